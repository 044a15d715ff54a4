"""Meters of a park: what each one measures, in which unit, and how its readings convert.

A meter (a row of ``meters.csv``) measures one exchange or one stream. Its readings are
amounts per interval (``interval``), rates (``rate``) or a cumulative register
(``counter``); they convert to the canonical unit of the resource measured (the supply's
resource for an exchange), the unit in which the register gives ``annual_quantity``.
"""

from __future__ import annotations

import zoneinfo
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from symbionet.errors import Problem, SymbionetError
from symbionet.units import ACCEPTED, UnitProblem, annual_factor, parse_unit, ureg

if TYPE_CHECKING:
    from symbionet.register.catalogue import Resource
    from symbionet.register.park import Park

KINDS = ("interval", "rate", "counter")
DEFAULT_TIMEZONE = "Europe/Copenhagen"
FILE = "meters.csv"

# Amounts a meter can read: a mass, a volume or an energy; a rate is one of them per time.
_AMOUNTS = {ureg.Quantity(1, parse_unit(u)).dimensionality for u in ("t", "m3", "MWh")}


def unit_kind(unit: str) -> str:
    """``amount`` (m3, t, MWh, L, kWh), ``rate`` (m3/h, MW, t/h) or ``other``; raises
    UnitProblem for a unit that cannot be read."""
    dims = ureg.Quantity(1, parse_unit(unit)).dimensionality
    if dims in _AMOUNTS:
        return "amount"
    if (ureg.Quantity(1, parse_unit(unit)) * ureg.hour).dimensionality in _AMOUNTS:
        return "rate"
    return "other"


def _near_unit(unit: str) -> str | None:
    """The meter unit ``unit`` is most likely a misspelling of (``M3`` for m3), if any."""
    import difflib

    units = [u for spellings in ACCEPTED.values() for u in spellings if unit_kind(u) != "other"]
    lower = {u.lower(): u for u in reversed(units)}
    if unit.lower() in lower:
        return lower[unit.lower()]
    found = difflib.get_close_matches(unit, units, n=1, cutoff=0.75)
    return found[0] if found else None


def reading_factor(unit: str, kind: str, resource: Resource) -> float:
    """Factor turning one reading in ``unit`` into the resource's canonical amount: per
    reading for interval and counter meters, per hour of the interval for rate meters.
    Raises UnitProblem saying why a unit does not fit."""
    try:
        found = unit_kind(unit)
    except UnitProblem as problem:
        near = _near_unit(unit)
        raise UnitProblem(f"{problem}: did you mean {near}?" if near else str(problem)) from None
    if kind == "rate" and found != "rate":
        raise UnitProblem(
            f"{unit!r} is not a rate: a rate meter reads m3/h, MW, t/h and the like"
            + (" (declare the meter's kind as interval or counter)" if found == "amount" else "")
        )
    if found == "other" and (near := _near_unit(unit)) is not None:
        raise UnitProblem(f"{unit!r} is no unit of an amount or a rate: did you mean {near}?")
    if kind != "rate" and found != "amount":
        raise UnitProblem(
            f"{unit!r} is not an amount: a{'n' if kind == 'interval' else ''} {kind} meter "
            "reads m3, MWh, t and the like"
            + (" (declare the meter's kind as rate)" if found == "rate" else "")
        )
    given = f"({unit})*h" if kind == "rate" else unit
    try:
        return annual_factor(
            given,
            resource.unit,
            resource.density_t_per_m3,
            resource.energy_mwh_per_unit,
            resource.energy_mwh_per_m3,
        )
    except UnitProblem:
        raise UnitProblem(
            f"{unit!r} cannot measure {resource.id}, which is measured in {resource.unit}"
        ) from None


def parse_interval(text: str) -> float:
    """Seconds in an interval such as ``15min``, ``1h``, ``1d``, ``PT15M``; raises ValueError."""
    try:
        delta = pd.Timedelta(text.strip())
    except (ValueError, TypeError):
        raise ValueError(f"{text!r} is not an interval (15min, 1h, 1d)") from None
    seconds = delta.total_seconds()
    if not seconds > 0:
        raise ValueError(f"{text!r} is not a positive interval")
    return float(seconds)


def meter_table(park: Park, meters: pd.DataFrame | None = None) -> pd.DataFrame:
    """The park's meters resolved, indexed by meter id: ``target`` (the exchange or stream
    id), ``target_type`` (``exchange`` or ``stream``), ``unit``, ``kind``, ``interval_s``
    (NaN: inferred from the readings), ``timezone``, ``resource`` and ``canonical`` (the
    unit the readings convert to). ``meters`` (a table like ``meters.csv``, indexed by
    id or with an ``id`` column) replaces the park's own. Raises SymbionetError naming
    the row and column of every problem."""
    table = park.table("meters") if meters is None else meters
    if "id" in table.columns:
        table = table.set_index("id")
    table = table.copy()
    for column in ("exchange", "stream", "unit", "kind", "interval", "timezone", "description"):
        if column not in table.columns:
            table[column] = None
    problems: list[Problem] = []
    source = str(table.attrs.get("file", FILE))

    def problem(position: int, column: str | None, message: str) -> None:
        problems.append(Problem(source, position + 2, column, message))

    exchanges, streams = park.exchanges, park.streams
    rows = []
    for position, (meter, row) in enumerate(table.iterrows()):  # one row per meter
        exchange, stream = _text(row["exchange"]), _text(row["stream"])
        if (exchange is None) == (stream is None):
            problem(position, "exchange", f"meter {meter!r}: give its exchange or its stream, one")
            continue
        if exchange is not None and exchange not in exchanges.index:
            problem(position, "exchange", f"meter {meter!r}: unknown exchange {exchange!r}")
            continue
        if stream is not None and stream not in streams.index:
            problem(position, "stream", f"meter {meter!r}: unknown stream {stream!r}")
            continue
        supply = exchanges.at[exchange, "supply"] if exchange is not None else stream
        resource = park.catalogue.resources.get(str(streams.at[supply, "resource"]))
        kind = _text(row["kind"]) or "interval"
        if kind not in KINDS:
            problem(position, "kind", f"meter {meter!r}: {kind!r} is not one of {', '.join(KINDS)}")
            continue
        unit = _text(row["unit"])
        if unit is None:
            problem(position, "unit", f"meter {meter!r}: its unit is missing")
            continue
        if resource is None:
            problem(position, None, f"meter {meter!r}: its resource is not in the catalogue")
            continue
        try:
            reading_factor(unit, kind, resource)
        except UnitProblem as error:
            problem(position, "unit", f"meter {meter!r}: {error}")
            continue
        interval = np.nan
        if (text := _text(row["interval"])) is not None:
            try:
                interval = parse_interval(text)
            except ValueError as error:
                problem(position, "interval", f"meter {meter!r}: {error}")
                continue
        zone = _text(row["timezone"]) or DEFAULT_TIMEZONE
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problem(
                position,
                "timezone",
                f"meter {meter!r}: {zone!r} is not a time zone (Europe/Copenhagen, UTC, "
                "Etc/GMT-1 for standard time all year)",
            )
            continue
        rows.append(
            {
                "id": str(meter),
                "target": exchange if exchange is not None else stream,
                "target_type": "exchange" if exchange is not None else "stream",
                "unit": unit,
                "kind": kind,
                "interval_s": interval,
                "timezone": zone,
                "resource": resource.id,
                "canonical": resource.unit,
            }
        )
    if problems:
        raise SymbionetError(problems)
    columns = ["target", "target_type", "unit", "kind", "interval_s", "timezone"]
    return pd.DataFrame(rows, columns=["id", *columns, "resource", "canonical"]).set_index("id")


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def read_meters(path: str | Path) -> pd.DataFrame:
    """A meters table from a CSV file like meters.csv, typed and checked as the park's
    own is (problems located at the file's rows)."""
    from dataclasses import replace

    from symbionet.register.schema import read_csv, tables
    from symbionet.register.validate import coerce

    frame, problems = coerce(read_csv(path), tables()["meters"])
    errors = [replace(p, file=str(path)) for p in problems if p.severity == "error"]
    if errors:
        raise SymbionetError(errors)
    frame.attrs["file"] = str(path)
    return frame


__all__ = [
    "DEFAULT_TIMEZONE",
    "KINDS",
    "meter_table",
    "parse_interval",
    "read_meters",
    "reading_factor",
    "unit_kind",
]
