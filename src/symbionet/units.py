"""Units: one pint registry, and conversion of stream quantities to canonical amounts per year."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import product
from typing import Any

import numpy as np
import pint

# Spellings common in industry data that pint does not read as meant: "ton" and "tons"
# (pint: the US short ton) for the metric tonne, "m3" and "m³" for cubic metres, "Nm3" for
# normal cubic metres, "kt" for kilotonnes (pint: knot), "år" for year, and a year of 365
# days (8760 h), the convention of energy and plant data. "mt" (pint: a millitonne, to
# some a metric ton) is refused as ambiguous.
_SPELLINGS = [
    (re.compile(r"\b(yr|year|years|a|annum|år)\b"), "annum"),
    (re.compile(r"\b([kM]?)(tons?|tonnes?|metric_tons?)\b"), r"\1metric_ton"),
    (re.compile(r"\bNm3\b"), "normal_cubic_meter"),
    (re.compile(r"\bkt\b"), "kilotonne"),
    (re.compile(r"\bMt\b"), "megatonne"),
    (re.compile(r"\b([A-Za-z]+)([23])\b"), r"\1**\2"),
]
_SUPERSCRIPTS = str.maketrans("²³", "23")
AMBIGUOUS = {
    "mt": "a millitonne or a metric ton? write t, kg or g",
    "MT": "a metric ton or a megatonne? write t or Mt",
}

# Spellings read as meant, by the unit they stand for (listed in docs/park-format.md).
ACCEPTED = {
    "t": ("t", "tonne", "tonnes", "ton", "tons"),
    "kt": ("kt", "kton", "ktonne", "kilotonne"),
    "Mt": ("Mt", "Mton", "megatonne"),
    "kg": ("kg",),
    "m3": ("m3", "m³", "m^3", "m**3"),
    "Nm3": ("Nm3", "Nm³"),
    "L": ("L", "l", "liter", "litre"),
    "MWh": ("MWh",),
    "kWh": ("kWh",),
    "GWh": ("GWh",),
    "TWh": ("TWh",),
    "GJ": ("GJ",),
    "TJ": ("TJ",),
    "MW": ("MW",),
    "kW": ("kW",),
    "yr": ("yr", "year", "a", "annum", "år"),
    "day": ("d", "day"),
    "h": ("h", "hour"),
    "t/day": ("t/d", "t/day", "tonnes/day", "tons/day"),
    "t/yr": ("t/yr", "t/a", "t/year", "tonnes/yr", "tons/year", "t/år"),
    "t/h": ("t/h", "tonnes/h", "tons/hour"),
    "m3/h": ("m3/h", "m³/h"),
    "m3/day": ("m3/d", "m³/d", "m3/day"),
    "m3/yr": ("m3/yr", "m³/yr", "m3/a", "m3/år"),
    "Nm3/h": ("Nm3/h", "Nm³/h"),
    "MWh/yr": ("MWh/yr", "MWh/a", "MWh/år"),
    "GJ/yr": ("GJ/yr", "GJ/a"),
}


def _spell(text: str) -> str:
    text = text.translate(_SUPERSCRIPTS)
    for pattern, replacement in _SPELLINGS:
        text = pattern.sub(replacement, text)
    return text


ureg: pint.UnitRegistry = pint.UnitRegistry(preprocessors=[_spell], on_redefinition="raise")
ureg.define("annum = 365 * day")
ureg.define("normal_cubic_meter = meter ** 3")
ureg.define("kilotonne = 1000 * metric_ton")
ureg.define("megatonne = 1e6 * metric_ton")
ureg.define("EUR = [currency]")

CURRENCY_RATES: dict[str, tuple[float, str]] = {
    "DKK": (7.46038, "ERM II central rate, Danmarks Nationalbank"),
}
"""Currencies besides EUR: units per EUR, and the source of the rate."""
for _code, (_per_eur, _source) in CURRENCY_RATES.items():
    ureg.define(f"{_code} = EUR / {_per_eur!r}")

YEAR = ureg.annum


class UnitProblem(ValueError):
    """A unit that cannot be read or converted; the message says why."""


@lru_cache(maxsize=4096)
def parse_unit(text: str) -> pint.Unit:
    """Read a unit string ("t/day", "GWh", "m3/h", "kt/yr") or raise UnitProblem."""
    text = str(text).strip()
    if not text:
        raise UnitProblem("no unit given")
    for word in re.findall(r"[^\W\d_]+", text):
        if word in AMBIGUOUS:
            raise UnitProblem(f"ambiguous unit {word!r}: {AMBIGUOUS[word]}")
    try:
        return ureg.parse_units(text)
    except Exception:  # pint's parser raises many kinds of errors on malformed text
        raise UnitProblem(f"unknown unit {text!r}") from None


@lru_cache(maxsize=4096)
def annual_factor(
    unit: str,
    canonical: str,
    density_t_per_m3: float | None = None,
    energy_mwh_per_unit: float | None = None,
    energy_mwh_per_m3: float | None = None,
) -> float:
    """Factor turning a quantity in ``unit`` into ``canonical`` amount per year.

    A unit without time is read as per year; a rate (t/day, m3/h, MW) is taken over one
    year. Mass and volume convert through the density, and either of them to energy
    through the energy content of one canonical unit or of one cubic metre.
    """
    given = ureg.Quantity(1.0, parse_unit(unit))
    target = parse_unit(canonical)
    bridges = []
    if density_t_per_m3:
        bridges.append(density_t_per_m3 * ureg.metric_ton / ureg.meter**3)
    if energy_mwh_per_unit:
        bridges.append(energy_mwh_per_unit * ureg.MWh / ureg.Quantity(1.0, target))
    if energy_mwh_per_m3:
        bridges.append(energy_mwh_per_m3 * ureg.MWh / ureg.meter**3)
    try:
        for amount in (given, given * YEAR):
            for exponents in product((0, -1, 1), repeat=len(bridges)):
                converted = amount
                for bridge, exponent in zip(bridges, exponents, strict=True):
                    converted = converted * bridge**exponent
                if converted.dimensionality == target.dimensionality:
                    return float(converted.to(target).magnitude)
    except pint.errors.PintError:
        raise UnitProblem(f"{unit!r} is not a quantity of {canonical!r}") from None
    raise UnitProblem(
        f"{unit!r} is not an amount or a yearly flow of {canonical!r}"
        + ("" if bridges else " (the resource has no density or energy content to convert)")
    )


def convert(value: float, unit: str, to: str) -> float:
    """Convert a plain value between two compatible units (prices, factors)."""
    try:
        return float(ureg.Quantity(value, parse_unit(unit)).to(parse_unit(to)).magnitude)
    except pint.errors.DimensionalityError:
        raise UnitProblem(f"{unit!r} cannot be converted to {to!r}") from None


def annuity(rate: float, years: Any) -> Any:
    """Capital recovery factor: the share of an investment paid back each year over
    ``years`` at the discount ``rate`` (works on numbers and arrays)."""
    # 1 - (1 + rate)^-years, exact for rates too small to change 1 + rate
    return 1.0 / years if rate == 0 else rate / -np.expm1(-years * np.log1p(rate))


__all__ = [
    "ACCEPTED",
    "AMBIGUOUS",
    "CURRENCY_RATES",
    "YEAR",
    "UnitProblem",
    "annual_factor",
    "annuity",
    "convert",
    "parse_unit",
    "ureg",
]
