"""Units: quantities in any compatible unit become canonical amounts per year."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symbionet.register.schema import markdown
from symbionet.units import ACCEPTED, UnitProblem, annual_factor, convert, parse_unit


@pytest.mark.parametrize(
    ("unit", "canonical", "factor"),
    [
        ("t/day", "t", 365.0),
        ("kt/yr", "t", 1000.0),
        ("kt", "t", 1000.0),
        ("Mt/a", "t", 1e6),
        ("GWh", "MWh", 1000.0),
        ("GJ", "MWh", 1 / 3.6),
        ("MW", "MWh", 8760.0),
        ("m3/h", "m3", 8760.0),
        ("L/yr", "m3", 1e-3),
        ("Nm3/yr", "m3", 1.0),
        ("t/h", "t", 8760.0),
    ],
)
def test_known_conversions(unit: str, canonical: str, factor: float) -> None:
    assert annual_factor(unit, canonical) == pytest.approx(factor, rel=1e-12)


def test_mass_volume_and_energy_bridge_through_the_resource() -> None:
    assert annual_factor("m3/yr", "t", density_t_per_m3=0.8) == pytest.approx(0.8)
    assert annual_factor("t", "m3", density_t_per_m3=0.8) == pytest.approx(1.25)
    # steam at 0.76 MWh/t: 760 MWh of steam is 1000 t
    assert annual_factor("MWh", "t", energy_mwh_per_unit=0.76) == pytest.approx(1 / 0.76)
    # natural gas counted in MWh, given in normal cubic metres at 11.0 kWh/Nm3
    assert annual_factor("Nm3/h", "MWh", energy_mwh_per_m3=0.011) == pytest.approx(0.011 * 8760)


@pytest.mark.parametrize(
    ("unit", "canonical"),
    [("t", "MWh"), ("MW", "t"), ("kg", "m3"), ("degC", "t"), ("m", "t")],
)
def test_incompatible_units_are_refused(unit: str, canonical: str) -> None:
    with pytest.raises(UnitProblem):
        annual_factor(unit, canonical)


@pytest.mark.parametrize("text", ["", "t/", "foo", "3 ** t", "t**(", "1/0"])
def test_malformed_units_are_refused(text: str) -> None:
    with pytest.raises(UnitProblem):
        parse_unit(text)


def test_currency_converts_at_the_central_rate() -> None:
    assert convert(7.46038, "DKK/t", "EUR/t") == pytest.approx(1.0)


@given(st.text(max_size=12))
def test_any_text_is_a_unit_or_a_unit_problem(text: str) -> None:
    try:
        factor = annual_factor(text, "t")
    except UnitProblem:
        return
    assert isinstance(factor, float)


@pytest.mark.parametrize(
    ("unit", "canonical", "factor"),
    [
        ("ton", "t", 1.0),  # the metric tonne, never the US short ton (0.907 t)
        ("tons/day", "t", 365.0),
        ("tonnes", "t", 1.0),
        ("kton", "t", 1000.0),
        ("Mtons", "t", 1e6),
        ("t/d", "t", 365.0),
        ("t/år", "t", 1.0),
        ("m³/h", "m3", 8760.0),
        ("Nm³/h", "m3", 8760.0),
        ("kW", "MWh", 8.76),
        ("TJ", "MWh", 1e6 / 3600),
    ],
)
def test_units_people_write_are_read_as_they_mean_them(
    unit: str, canonical: str, factor: float
) -> None:
    assert annual_factor(unit, canonical) == pytest.approx(factor, rel=1e-12)


@pytest.mark.parametrize("text", ["mt", "mt/yr", "MT", "kt/mt"])
def test_ambiguous_units_are_refused(text: str) -> None:
    with pytest.raises(UnitProblem, match="ambiguous"):
        parse_unit(text)


@pytest.mark.parametrize(
    ("unit", "spelling"), [(u, s) for u, spellings in ACCEPTED.items() for s in spellings]
)
def test_every_documented_spelling_reads_as_its_unit(unit: str, spelling: str) -> None:
    assert convert(1.0, spelling, unit) == pytest.approx(1.0, rel=1e-12)
    assert f"`{spelling}`" in markdown()
