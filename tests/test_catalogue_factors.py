"""Catalogue factors: year, basis and check on record; the corrected values worked out by
hand; a park's year choosing the value; a park's catalogue read as its author meant."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from symbionet.discovery.transport import load_defaults
from symbionet.errors import SymbionetError
from symbionet.register.baseline import stream_baseline
from symbionet.register.catalogue import (
    FACTOR_DOC_END,
    FACTOR_DOC_START,
    Catalogue,
    default_catalogue,
    factor_markdown,
    load_catalogue,
)
from symbionet.register.park import load_park
from symbionet.units import convert
from tests.conftest import ROOT, TINY, write_park

DKK_PER_EUR = 7.46038
SHIPPED = ROOT / "src" / "symbionet" / "data" / "catalogue.yaml"


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return default_catalogue()


def shipped_factors() -> list[tuple[str, dict]]:
    """Every factor of the shipped file as written, before any default is filled in."""
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    kinds = {"resources": ("price", "emission_factor"), "routes": ("cost", "emission_factor")}
    return [
        (f"{section}.{key}.{kind}", entry[kind])
        for section, names in kinds.items()
        for key, entry in data[section].items()
        for kind in names
        if kind in entry
    ]


# ------------------------------------------------------------- year, basis, check


def test_every_factor_states_its_year_its_basis_and_whether_it_was_checked() -> None:
    found = shipped_factors()
    assert len(found) >= 120
    for where, factor in found:
        assert isinstance(factor.get("year"), int), where
        assert len(factor.get("basis", "")) >= 10, where
        assert isinstance(factor.get("checked"), bool), where
        for year, value in factor.get("by_year", {}).items():
            assert isinstance(year, int) and "ref" in value, where


def test_prices_say_what_taxes_they_leave_out(cat: Catalogue) -> None:
    for key in ("drinking_water", "electricity", "natural_gas", "district_heat"):
        assert "excl. VAT" in cat.resources[key].price.basis, key
    assert "water tax" in cat.resources["drinking_water"].price.basis
    assert "net calorific value" in cat.resources["natural_gas"].price.basis
    assert "net calorific value" in cat.resources["natural_gas"].emission_factor.basis
    assert "location-based" in cat.resources["electricity"].emission_factor.basis


# ------------------------------------------------------------- corrected values


def test_industrial_water_prices_leave_out_the_refunded_water_tax(cat: Catalogue) -> None:
    price = cat.resources["drinking_water"].price
    assert price.unit == "DKK/m3"
    assert 4 <= price.value <= 8  # industrial tariffs before tax
    drinking = 6 / DKK_PER_EUR  # 0.804 EUR/m3
    assert cat.price_eur("drinking_water") == pytest.approx(drinking)
    # built on it: softening 0.15 EUR/m3; RO at 75 % recovery plus 0.5 EUR/m3; deaeration 1
    assert cat.price_eur("process_water") == pytest.approx(drinking + 0.15, abs=0.01)
    demin = 1.33 * drinking + 0.5  # 1.57 EUR/m3
    assert cat.price_eur("demin_water") == pytest.approx(demin, abs=0.05)
    assert cat.price_eur("boiler_feed_water") == pytest.approx(demin + 1.0, abs=0.05)
    utility, plant = cat.routes["utility_water"].cost, cat.routes["demin_plant"].cost
    assert convert(utility.value, utility.unit, "EUR/m3") == pytest.approx(drinking)
    assert convert(plant.value, plant.unit, "EUR/m3") == pytest.approx(demin, abs=0.05)


def test_sewer_is_the_large_users_step_of_the_stepped_tariff(cat: Catalogue) -> None:
    step1 = 34.0  # DKK/m3 up to 500 m3/yr; 80 % of it to 20,000 m3/yr; 40 % above
    step3 = 0.4 * step1
    cost = cat.routes["discharge"].cost
    assert convert(cost.value, cost.unit, "DKK/m3") == pytest.approx(step3)
    average = (500 * step1 + 19_500 * 0.8 * step1 + (1_000_000 - 20_000) * step3) / 1_000_000
    assert average == pytest.approx(13.9, abs=0.05)  # a user of 1 million m3/yr
    assert average == pytest.approx(cost.value, rel=0.03)


def test_gas_and_all_built_on_it_are_priced_per_mwh_net_calorific_value(cat: Catalogue) -> None:
    gross = 55.0  # EUR per MWh gross calorific value, Eurostat's basis
    net = gross / 0.9  # net calorific value of natural gas is about 10 % below gross
    assert cat.price_eur("natural_gas") == pytest.approx(net, rel=0.01)
    assert cat.resources["natural_gas"].energy_mwh_per_m3 == pytest.approx(0.011)  # net
    assert cat.price_eur("hot_water") == pytest.approx(net / 0.9, rel=0.01)
    for key in ("steam_hp", "steam_mp", "steam_lp"):
        energy = cat.resources[key].energy_mwh_per_unit
        assert cat.price_eur(key) == pytest.approx(energy / 0.9 * net, rel=0.015), key
    boiler = cat.routes["natural_gas_boiler"].cost
    assert boiler.value == pytest.approx(net / 0.9 + 3, rel=0.01)


def test_district_heat_is_the_2023_average(cat: Catalogue) -> None:
    assert cat.emission_t("district_heat") == pytest.approx(0.105)
    route = cat.routes["district_heating_network"].emission_factor
    assert (route.value, route.year, route.ref) == (0.105, 2023, "br18_2023")


def test_ship_emissions_are_those_of_a_bulk_carrier(cat: Catalogue) -> None:
    ship = load_defaults(cat).modes["ship"]
    factor = ship.emission_per_tkm
    assert factor.value == pytest.approx(0.0054)
    assert "bulk carrier" in factor.basis and "bulk carrier" in ship.description
    assert 2 <= 0.015 / factor.value <= 3  # the general-cargo figure used before


# ------------------------------------------------------------------ by year


@pytest.mark.parametrize(
    ("year", "value", "ref"),
    [
        (None, 0.187, "br18_2023"),
        (2016, 0.197, "hb2016"),
        (2022, 0.197, "hb2016"),
        (2023, 0.187, "br18_2023"),
        (2024, 0.187, "br18_2023"),
        (2025, 0.135, "br18_2025"),
        (2027, 0.135, "br18_2025"),
        (2030, 0.047, "br18_2030"),
        (2050, 0.0403, "br18_2040"),
    ],
)
def test_the_year_selects_the_grid_factor(
    cat: Catalogue, year: int | None, value: float, ref: str
) -> None:
    chosen = cat.for_year(year)
    assert chosen.year == year
    factor = chosen.resources["electricity"].emission_factor
    assert (factor.value, factor.ref) == (value, ref)
    assert year is None or factor.by_year == {}  # the year's value alone
    assert chosen.routes["grid"].emission_factor.value == value
    assert chosen.emission_t("chilled_water") == pytest.approx(value / 4.5, abs=0.001)


@pytest.mark.parametrize(("year", "value"), [(2023, 0.105), (2025, 0.0878), (2030, 0.0713)])
def test_the_year_selects_the_district_heat_factor(cat: Catalogue, year: int, value: float) -> None:
    chosen = cat.for_year(year)
    assert chosen.emission_t("district_heat") == pytest.approx(value)
    assert chosen.routes["district_heating_network"].emission_factor.value == value


def test_the_building_regulation_values_are_checked_against_its_table(cat: Catalogue) -> None:
    for where in (
        "resources.electricity.emission_factor",
        "resources.district_heat.emission_factor",
    ):
        factor = dict(cat.factors())[where]
        for year, value in factor.years().items():
            assert value.checked, (where, year)
            if value.ref.startswith("br18_"):
                assert value.ref == f"br18_{year}"
                assert cat.references[value.ref].url.endswith("Bilag_2/Tabel_8")


def test_a_year_before_every_value_takes_the_earliest_and_says_so(cat: Catalogue) -> None:
    factor = cat.for_year(2010).resources["electricity"].emission_factor
    assert (factor.value, factor.year) == (0.197, 2016)
    assert "2016 value, the earliest on record, used for 2010" in factor.note


POWER = "power,b1,demand,electricity,100,MWh/yr,,grid,,false\n"


@pytest.mark.parametrize(
    ("year", "value", "ref"), [(2025, 0.135, "br18_2025"), (2010, 0.197, "hb2016")]
)
def test_a_parks_year_chooses_the_factor_and_its_basis_names_the_source(
    tmp_path: Path, year: int, value: float, ref: str
) -> None:
    folder = write_park(
        tmp_path / "park",
        {
            "park.yaml": f"name: Year park\nyear: {year}\ncurrency: DKK\n",
            "streams.csv": TINY["streams.csv"] + POWER,
        },
    )
    park = load_park(folder)
    assert park.catalogue.year == year
    baseline = stream_baseline(park)
    assert baseline.loc["power", "co2e_t"] == pytest.approx(value)  # t per MWh from the grid
    assert ref in baseline.loc["power", "basis"]
    assert f"factors for {year}" in park.catalogue.label


# ----------------------------------------------------------- a park's catalogue

THING = {"name": "Thing", "class": "material", "group": "test", "unit": "t"}


@pytest.mark.parametrize(
    ("entry", "column"),
    [
        (
            {**THING, "price": {"value": float("nan"), "unit": "EUR/t", "ref": "hb2016"}},
            "resources.thing.price.value",
        ),
        (
            {**THING, "emission_factor": {"value": float("inf"), "unit": "t/t", "ref": "hb2016"}},
            "resources.thing.emission_factor.value",
        ),
        (
            {
                **THING,
                "substitutes": [{"resource": "coal", "ratio": float("inf"), "ref": "hb2016"}],
            },
            "resources.thing.substitutes.0.ratio",
        ),
        ({**THING, "typical": {"moisture": float("nan")}}, "resources.thing.typical.moisture"),
    ],
)
def test_nan_and_infinite_numbers_are_refused(tmp_path: Path, entry: dict, column: str) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump({"resources": {"thing": entry}}), encoding="utf-8")
    with pytest.raises(SymbionetError) as caught:
        load_catalogue(path)
    problems = caught.value.problems
    assert any(p.column == column and "finite" in p.message for p in problems), problems
    assert all(p.file == str(path) for p in problems)


@pytest.mark.parametrize(
    ("factor", "message"),
    [
        (
            {
                "value": 1,
                "unit": "t/t",
                "ref": "hb2016",
                "by_year": {2025: {"value": 2, "ref": "hb2016"}},
            },
            "needs its own year",
        ),
        (
            {
                "value": 1,
                "unit": "t/t",
                "ref": "hb2016",
                "year": 2023,
                "by_year": {2025: {"value": 2, "ref": "nowhere"}},
            },
            "unknown reference 'nowhere'",
        ),
    ],
)
def test_values_by_year_need_a_year_of_their_own_and_known_sources(
    tmp_path: Path, factor: dict, message: str
) -> None:
    path = tmp_path / "catalogue.yaml"
    entry = {**THING, "emission_factor": factor}
    path.write_text(yaml.safe_dump({"resources": {"thing": entry}}), encoding="utf-8")
    with pytest.raises(SymbionetError) as caught:
        load_catalogue(path)
    assert any(
        str(p.column).startswith("resources.thing.emission_factor") and message in p.message
        for p in caught.value.problems
    ), caught.value.problems


def test_a_nan_price_in_park_yaml_is_an_error_naming_the_key(tmp_path: Path) -> None:
    folder = write_park(
        tmp_path / "park",
        {
            "park.yaml": "name: P\nyear: 2023\nprices:\n  natural_gas: {value: .nan, unit: EUR/MWh}\n"
        },
    )
    with pytest.raises(SymbionetError) as caught:
        load_park(folder)
    assert any(
        p.file == "park.yaml" and str(p.column).startswith("prices.natural_gas")
        for p in caught.value.problems
    ), caught.value.problems


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("- a list\n- not a catalogue\n", None, "must be a mapping"),
        (
            "resource:\n  natural_gas: {name: Gas}\n",
            "resource",
            "unknown key (expected version, description, references, resources, routes); "
            "did you mean 'resources'?",
        ),
        ("resources: [natural_gas]\n", "resources", "must be a mapping of ids to entries"),
        ("resources:\n  natural_gas: 61\n", "resources.natural_gas", "must be a mapping"),
        (
            "resources:\n  natural_gas:\n    pric: {value: 1, unit: EUR/MWh, ref: hb2016}\n",
            "resources.natural_gas.pric",
            "Extra inputs",
        ),
    ],
)
def test_a_malformed_catalogue_is_an_error_naming_file_and_key(
    tmp_path: Path, text: str, column: str | None, message: str
) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SymbionetError) as caught:
        load_catalogue(path)
    problems = caught.value.problems
    assert any(p.column == column and message in p.message for p in problems), problems
    assert all(p.file == str(path) for p in problems)


def test_a_misspelt_key_in_a_park_catalogue_stops_the_park(tmp_path: Path) -> None:
    folder = write_park(tmp_path / "park", {"catalogue.yaml": "resourcs:\n  natural_gas: {}\n"})
    with pytest.raises(SymbionetError) as caught:
        load_park(folder)
    assert any(
        p.file == "catalogue.yaml" and p.column == "resourcs" for p in caught.value.problems
    ), caught.value.problems


def test_overriding_only_the_price_keeps_the_rest_of_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(
        "version: p1\nresources:\n  natural_gas:\n"
        "    price: {value: 300, unit: DKK/MWh, ref: hb2016, year: 2024, basis: contract}\n",
        encoding="utf-8",
    )
    park, base = load_catalogue(path), default_catalogue()
    gas, shipped = park.resources["natural_gas"], base.resources["natural_gas"]
    assert park.price_eur("natural_gas") == pytest.approx(300 / DKK_PER_EUR)
    assert gas.emission_factor == shipped.emission_factor
    assert (gas.name, gas.synonyms, gas.energy_mwh_per_m3) == (
        shipped.name,
        shipped.synonyms,
        shipped.energy_mwh_per_m3,
    )
    assert park.resolve("naturgas") == "natural_gas"
    assert park.overrides == ("resources.natural_gas.price",)
    assert park.label == "catalogue 2026.11+p1; park overrides: resources.natural_gas.price"
    assert base.overrides == ()


def test_a_park_factor_replaces_every_year_of_the_shipped_one(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(
        "resources:\n  electricity:\n"
        "    emission_factor: {value: 0.1, unit: t/MWh, ref: hb2016, year: 2024}\n",
        encoding="utf-8",
    )
    assert load_catalogue(path).for_year(2025).emission_t("electricity") == pytest.approx(0.1)


def test_a_park_lists_what_it_changed(tmp_path: Path) -> None:
    folder = write_park(
        tmp_path / "park",
        {
            "park.yaml": (
                "name: P\nyear: 2023\ncurrency: DKK\n"
                "prices:\n  groundwater: {value: 3, unit: DKK/m3, ref: well contract}\n"
            ),
            "catalogue.yaml": (
                "version: p1\nresources:\n  natural_gypsum:\n"
                "    price: {value: 30, unit: EUR/t, ref: hb2016, year: 2023, basis: delivered}\n"
            ),
        },
    )
    park = load_park(folder)
    assert park.catalogue.overrides == (
        "resources.natural_gypsum.price",
        "resources.groundwater.price (park.yaml)",
    )
    assert park.catalogue.label == (
        "catalogue 2026.11+p1; factors for 2023; park overrides: "
        "resources.natural_gypsum.price, resources.groundwater.price (park.yaml)"
    )
    assert park.catalogue.price_eur("groundwater") == pytest.approx(3 / DKK_PER_EUR)


# --------------------------------------------------------------------------- docs


def test_the_factor_list_in_the_docs_is_generated_from_the_catalogue(cat: Catalogue) -> None:
    text = (ROOT / "docs" / "catalogue.md").read_text(encoding="utf-8")
    start = text.index(FACTOR_DOC_START)
    end = text.index(FACTOR_DOC_END) + len(FACTOR_DOC_END)
    assert text[start:end] == factor_markdown(), (
        "run symbionet.register.catalogue.write_factor_docs"
    )
    for where, factor in cat.factors():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{where}` |"))
        assert f"| {factor.year} | {factor.basis} | `{factor.ref}` |" in row, where
