"""Turn raw park tables into typed, checked tables, collecting every problem on the way."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import process as fuzzy

from symbionet.errors import Problem
from symbionet.register.catalogue import Catalogue, Resource
from symbionet.register.io import RawTable
from symbionet.register.schema import NACE_PATTERN, Column, Table, tables, temperature_ranges
from symbionet.units import UnitProblem, annual_factor, convert, parse_unit

_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}
_NACE = re.compile(NACE_PATTERN)
# Local number forms that a plain reading would take wrongly or not at all: thousands
# separated by dots (65.000, 1.500.000), a decimal comma (1,5; 1.500,5).
_DOT_THOUSANDS = r"[+-]?\d{1,3}\.000"
# One dot and three decimals (12.500): a decimal, or Danish thousands: read, with a warning.
_THREE_DECIMALS = r"[+-]?[1-9]\d{0,2}\.\d{3}"
_LOCAL_NUMBER = r"[+-]?(\d{1,3}(\.\d{3})+,\d+|\d{1,3}(\.\d{3}){2,}|\d{1,3}\.000|\d+,\d+)"


def _close(word: str, choices: list[str], limit: int = 3) -> str:
    """' (did you mean a, b?)' for the closest choices, or ''."""
    if not choices:
        return ""
    matches = [m for m, score, _ in fuzzy.extract(word, choices, limit=limit) if score >= 50]
    return f" (did you mean {', '.join(matches)}?)" if matches else ""


@dataclass
class Checker:
    """Collects the problems of one table, each at the file, line and column it concerns."""

    raw: RawTable
    problems: list[Problem] = field(default_factory=list)

    def at(
        self,
        mask: pd.Series | np.ndarray,
        column: str | None,
        messages: str | Iterable[str],
        severity: str = "error",
    ) -> None:
        """Report the rows where ``mask`` holds: one message for all, or one per flagged row."""
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        texts = [messages] * len(positions) if isinstance(messages, str) else list(messages)
        for position, text in zip(positions, texts, strict=True):
            self.problems.append(
                Problem(
                    self.raw.file_of(int(position)), self.raw.rows[position], column, text, severity
                )
            )

    def header(self, column: str | None, message: str) -> None:
        """Report a column on the header row, or where a JSON record first gives it."""
        row = 1 if self.raw.rows and self.raw.rows[0] >= 2 else None
        row = self.raw.first.get(column or "", row)
        self.problems.append(Problem(self.raw.file, row, column, message))


def _convert(text: pd.Series, column: Column, check: Checker) -> pd.Series:
    """Cells of one column from text to their declared type; bad cells are reported."""
    given = text != ""
    name = str(text.name)
    if column.type in {"float", "int", "year"}:
        numbers = pd.to_numeric(text.where(given), errors="coerce").astype(float)
        read = np.isfinite(numbers)  # to_numeric may miss the last digit: read those exactly
        numbers[read] = text[read].astype(float)
        local = given & text.str.fullmatch(_LOCAL_NUMBER)
        # 55.000 is a latitude of 55: read as thousands it would be out of bounds
        thousands = numbers * 1000
        impossible = (thousands > (np.inf if column.max is None else column.max)) | (
            thousands < (-np.inf if column.min is None else column.min)
        )
        local &= ~(text.str.fullmatch(_DOT_THOUSANDS) & impossible)
        typed = pd.Series(
            [(row, name) in check.raw.typed for row in range(len(text))], index=text.index
        )
        ambiguous = given & text.str.fullmatch(_THREE_DECIMALS) & ~local & ~impossible & ~typed
        check.at(
            ambiguous,
            name,
            [
                f"{v!r} is read as {float(v):g}; if it is {float(v) * 1000:g} in Danish "
                f"form, write {float(v) * 1000:g}"
                for v in text[ambiguous]
            ],
            "warning",
        )
        bad = (given & ~np.isfinite(numbers)) | local
        check.at(
            local,
            name,
            [
                f"{v!r} is not a plain number: write it without thousands separators and "
                "with a decimal point (65.000 → 65000, 1.500,5 → 1500.5)"
                for v in text[local]
            ],
        )
        check.at(bad & ~local, name, [f"{v!r} is not a number" for v in text[bad & ~local]])
        if column.type == "float":
            return numbers.where(~bad)
        fractional = given & ~bad & ((numbers % 1 != 0) | (numbers.abs() > 2**53))
        check.at(fractional, name, [f"{v!r} is not a whole number" for v in text[fractional]])
        return numbers.where(~(bad | fractional)).round().astype("Int64")
    if column.type == "bool":
        truth = text.str.lower().map({**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)})
        bad = given & truth.isna()
        check.at(bad, name, [f"{v!r} is not true or false" for v in text[bad]])
        return truth
    if column.type == "enum":
        spelling = {choice.lower(): choice for choice in column.choices}
        chosen = text.str.lower().map(spelling)
        bad = given & chosen.isna()
        options = ", ".join(column.choices)
        check.at(
            bad,
            name,
            [f"{v!r} is not one of {options}" + _close(v, column.choices) for v in text[bad]],
        )
        return chosen
    if column.type == "date":
        dates = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        bad = given & (dates.isna() | ~text.str.fullmatch(r"\d{4}-\d{2}-\d{2}( 00:00:00)?"))
        check.at(bad, name, [f"{v!r} is not a date (YYYY-MM-DD)" for v in text[bad]])
        return dates.dt.strftime("%Y-%m-%d").where(given & ~bad)
    if column.type == "nace":
        bad = given & ~text.str.match(_NACE)
        check.at(bad, name, [f"{v!r} is not a NACE code (C, 20 or 20.14)" for v in text[bad]])
    return text.where(given)


def _dtype(column: Column) -> str:
    """The pandas dtype a declared column is held in."""
    return {"float": "float64", "bool": "boolean", "int": "Int64", "year": "Int64"}.get(
        column.type, "str"
    )


def _default(column: Column) -> Any:
    if column.default == "":
        return None
    if column.type == "bool":
        return column.default == "true"
    if column.type in {"float", "int", "year"}:
        return float(column.default)
    return column.default


def coerce(raw: RawTable, table: Table) -> tuple[pd.DataFrame, list[Problem]]:
    """Typed table with defaults applied, and the problems of its cells and columns."""
    check = Checker(raw)
    frame = raw.frame
    seen: set[str] = set()
    for name in frame.columns:
        column = table.column(name)
        if name in seen:
            check.header(name, "column appears twice")
        elif column is None or column.type == "derived":
            choices = [c.name for c in table.inputs if not c.is_pattern]
            check.header(name, "unknown column" + _close(name, choices))
        seen.add(name)
    for column in table.fixed:
        if column.required and column.name not in frame.columns:
            check.header(column.name, "required column is missing")
    names = [c.name for c in table.fixed if c.type != "derived"]
    names += sorted(
        n for n in set(frame.columns) - set(names) if (c := table.column(n)) and c.is_pattern
    )
    typed = {}
    for name in names:
        column = table.column(name)
        assert column is not None
        if name not in frame.columns:
            typed[name] = pd.Series(_default(column), index=range(len(frame)), dtype=_dtype(column))
            continue
        text = frame[name]
        if isinstance(text, pd.DataFrame):  # a duplicated header: take the first
            text = text.iloc[:, 0]
        text = text.fillna("").astype(str).rename(name).reset_index(drop=True)
        values = _convert(text, column, check)
        default = _default(column)
        if default is not None:
            values = values.where(values.notna(), default)
        if column.required:
            check.at(values.isna() & (text == ""), name, "value required")
        if column.min is not None or column.max is not None:
            numbers = pd.to_numeric(values, errors="coerce").astype(float)
            low = numbers < (column.min if column.min is not None else -np.inf)
            high = numbers > (column.max if column.max is not None else np.inf)
            check.at(low, name, [f"{v:g} is below {column.min:g}" for v in numbers[low]])
            check.at(high, name, [f"{v:g} is above {column.max:g}" for v in numbers[high]])
        typed[name] = values.astype(_dtype(column))
    result = pd.DataFrame(typed, index=range(len(frame)))
    return result, check.problems


# --- checks across rows and tables -----------------------------------------------------


@dataclass
class Tables:
    """Typed tables of a park under validation, with their checkers."""

    frames: dict[str, pd.DataFrame]
    checks: dict[str, Checker]

    def has(self, name: str) -> bool:
        return name in self.frames and name in self.checks


def check_ids(data: Tables) -> None:
    """Ids are unique within each table."""
    for name, frame in data.frames.items():
        key = tables()[name].id_column
        if key is None or key not in frame or not data.has(name):
            continue
        check = data.checks[name]
        ids = frame[key]
        duplicated = ids.notna() & ids.duplicated(keep="first")
        first = {v: i for i, v in reversed(list(enumerate(ids)))}
        check.at(
            duplicated,
            key,
            [
                f"duplicate id {v!r} (first on row {check.raw.rows[first[v]]}"
                + (
                    ""
                    if (f := check.raw.file_of(first[v])) == check.raw.file_of(int(i))
                    else f" of {f}"
                )
                + ")"
                for i, v in zip(np.flatnonzero(duplicated), ids[duplicated], strict=True)
            ],
        )
    if data.has("exchanges") and "actors" in data.frames:
        ids = data.frames["exchanges"]["id"]
        shared = ids.notna() & ids.isin(data.frames["actors"]["id"].dropna())
        data.checks["exchanges"].at(
            shared,
            "id",
            [f"{v!r} is also the id of an actor: give one of them another id" for v in ids[shared]],
            "warning",
        )


def _columns_of_type(data: Tables, kind: str) -> Iterator[tuple[str, pd.DataFrame, Column]]:
    """(table name, frame, column) for every present column of a declared type."""
    for name, frame in data.frames.items():
        if data.has(name):
            for column in tables()[name].fixed:
                if column.type == kind and column.name in frame:
                    yield name, frame, column


def check_references(data: Tables) -> None:
    """Every ref column names an existing row of its table."""
    for name, frame, column in _columns_of_type(data, "ref"):
        target = data.frames.get(column.allowed)
        known = sorted(set(target["id"].dropna())) if target is not None else []
        values = frame[column.name]
        bad = values.notna() & ~values.isin(known)
        noun = column.allowed.removesuffix("s")
        data.checks[name].at(
            bad,
            column.name,
            [f"unknown {noun} {v!r}" + _close(str(v), known) for v in values[bad]],
        )


#: How to add a resource the catalogue lacks, told with every unknown resource.
ADD_RESOURCE = (
    "; to add it, list it under `resources:` in the park's catalogue.yaml (in a workbook, "
    "a row of the catalogue sheet) with its name, class, group and unit "
    "(see docs/catalogue.md)"
)


def unknown_resource(catalogue: Catalogue, name: str) -> str:
    """Why ``name`` names no resource, with the closest ids and how to add one; for an EWC
    code that several resources share, which they are."""
    if shared := catalogue.sharing_ewc(name):
        return (
            f"EWC code {name!r} is given by several resources ({', '.join(shared)}): "
            "write the id of the one meant"
        )
    close = catalogue.suggest(name)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return f"unknown resource {name!r}{hint}{ADD_RESOURCE}"


def resolve_resources(data: Tables, catalogue: Catalogue) -> None:
    """Resource columns become catalogue ids; unknown names get the closest suggestions."""
    for name, frame, column in _columns_of_type(data, "resource"):
        given = frame[column.name]
        resolved = given.map(catalogue.resolve, na_action="ignore")
        bad = given.notna() & resolved.isna()
        messages = [unknown_resource(catalogue, value) for value in given[bad]]
        data.checks[name].at(bad, column.name, messages)
        frame[column.name] = resolved.where(resolved.notna(), given).astype("str")


def check_units(data: Tables) -> None:
    """Unit columns are readable units."""
    for name, frame, column in _columns_of_type(data, "unit"):
        units = frame[column.name]
        reasons = {u: _unit_problem(u) for u in units.dropna().unique()}
        reason = pd.Series([reasons.get(u, "") for u in units], index=units.index, dtype=object)
        data.checks[name].at(reason != "", column.name, reason[reason != ""])


def _unit_problem(unit: str) -> str:
    try:
        parse_unit(unit)
    except UnitProblem as error:
        return str(error)
    return ""


def _annual(
    frame: pd.DataFrame, resource: pd.Series, catalogue: Catalogue
) -> tuple[pd.Series, pd.Series]:
    """Quantity in the resource's canonical unit per year, and the reason where it cannot be."""
    pairs = pd.MultiIndex.from_arrays([frame["unit"].astype(object), resource.astype(object)])
    factors: dict[tuple[object, object], tuple[float, str]] = {}
    for unit, key in pairs.unique():
        entry = catalogue.resources.get(key) if isinstance(key, str) else None
        if entry is None or not isinstance(unit, str):
            factors[(unit, key)] = (np.nan, "")
            continue
        try:
            factor = annual_factor(
                unit,
                entry.unit,
                entry.density_t_per_m3,
                entry.energy_mwh_per_unit,
                entry.energy_mwh_per_m3,
            )
            factors[(unit, key)] = (factor, "")
        except UnitProblem as error:
            unreadable = _unit_problem(unit) != ""  # reported by check_units
            reason = "" if unreadable else f"{error} ({key} is measured in {entry.unit})"
            factors[(unit, key)] = (np.nan, reason)
    looked_up = [factors[pair] for pair in pairs]
    factor = pd.Series([f for f, _ in looked_up], index=frame.index, dtype=float)
    reasons = pd.Series([r for _, r in looked_up], index=frame.index, dtype=object)
    return frame["quantity"] * factor, reasons


def check_streams(data: Tables, catalogue: Catalogue) -> None:
    """Units fit the resource; fates and sources fit the direction and class; profiles exist."""
    if not data.has("streams"):
        return
    streams, check = data.frames["streams"], data.checks["streams"]
    annual, reasons = _annual(streams, streams["resource"], catalogue)
    check.at(reasons != "", "unit", reasons[reasons != ""])
    entries = streams["resource"].map(catalogue.resources.get, na_action="ignore")
    streams["annual_quantity"] = annual
    streams["annual_unit"] = entries.map(lambda r: r.unit, na_action="ignore").astype("str")
    streams["resource_class"] = entries.map(lambda r: r.resource_class, na_action="ignore").astype(
        "str"
    )
    _check_amounts(check, streams, streams["resource"], catalogue)
    _check_temperatures(check, streams, catalogue)
    for column, direction in (("fate", "supply"), ("source", "demand")):
        _check_routes(check, streams, column, direction, catalogue)
    profiles = data.frames.get("profiles")
    names = [c for c in profiles.columns if c != "period"] if profiles is not None else []
    given = streams["profile"]
    bad = given.notna() & ~given.isin(names)
    check.at(
        bad,
        "profile",
        [f"no profile {v!r} in profiles.csv" + _close(str(v), names) for v in given[bad]],
    )


# The most of one resource any single site handles in a year, in the unit it is judged in:
# energy where the resource carries it, else mass or volume. Beyond it a number or a unit
# is almost surely wrong (Denmark uses about 2e8 MWh of energy a year).
_LARGEST = {"MWh": 1e8, "t": 1e8, "m3": 1e10}


def _judged_in(entry: Resource) -> tuple[str, float] | None:
    """The unit a resource's yearly amount is judged in, and one canonical unit in it."""
    if entry.mwh_per_unit:
        return "MWh", entry.mwh_per_unit
    for unit in _LARGEST:
        try:
            return unit, annual_factor(entry.unit, unit, None, None, entry.energy_mwh_per_m3)
        except UnitProblem:
            continue
    return None


def _check_amounts(
    check: Checker, frame: pd.DataFrame, resource: pd.Series, catalogue: Catalogue
) -> None:
    """A yearly amount too large to compute with is an error; one larger than any site
    handles is a warning."""
    annual = frame["annual_quantity"]
    endless = frame["quantity"].notna() & np.isinf(annual)
    check.at(
        endless,
        "quantity",
        [
            f"{q:g} {u} is too large: it does not fit a number in a year"
            for q, u in zip(frame["quantity"][endless], frame["unit"][endless], strict=True)
        ],
    )
    judged = {
        key: _judged_in(catalogue.resources[key])
        for key in resource.dropna().unique()
        if key in catalogue.resources
    }
    per_row = [judged.get(key) or ("", np.nan) for key in resource]
    unit = pd.Series([u for u, _ in per_row], index=frame.index, dtype=object)
    amount = annual * pd.Series([f for _, f in per_row], index=frame.index, dtype=float)
    bound = unit.map(_LARGEST).astype(float)
    huge = np.isfinite(amount) & (amount > bound)
    check.at(
        huge,
        "quantity",
        [
            f"{q:g} {u} of {r} is {a:.3g} {j}/yr, more than any one site handles "
            f"(over {b:.0e} {j}/yr): check the number and the unit"
            for q, u, r, a, j, b in zip(
                frame["quantity"][huge],
                frame["unit"][huge],
                resource[huge],
                amount[huge],
                unit[huge],
                bound[huge],
                strict=True,
            )
        ],
        "warning",
    )


def _check_temperatures(check: Checker, streams: pd.DataFrame, catalogue: Catalogue) -> None:
    """A stated temperature fits the stream's resource; if not, name the resources it fits."""
    ranges = {k: r for k, r in temperature_ranges().items() if k in catalogue.resources}
    pairs = list(zip(streams["temperature_c"], streams["resource"], strict=True))
    wrong = [key in ranges and pd.notna(t) and not ranges[key].admits(t) for t, key in pairs]
    messages = []
    for t, key in (pair for pair, bad in zip(pairs, wrong, strict=True) if bad):
        given = catalogue.resources[key]
        fits = sorted(
            (k for k, r in ranges.items() if r.admits(t)),
            key=lambda k: (
                catalogue.resources[k].unit != given.unit,
                catalogue.resources[k].group != given.group,
            ),
        )
        hint = f" (did you mean {', '.join(fits[:3])}?)" if fits else ""
        messages.append(
            f"{t:g} °C does not fit {key}, which is {ranges[key].text} ({ranges[key].basis}){hint}"
        )
    check.at(np.array(wrong, dtype=bool), "temperature_c", messages)


def _check_routes(
    check: Checker, streams: pd.DataFrame, column: str, direction: str, catalogue: Catalogue
) -> None:
    """A fate (or source) is a known route of that kind, for a supply (or demand) of its class."""
    values = streams[column]
    wrong_direction = values.notna() & (streams["direction"] != direction)
    check.at(wrong_direction, column, f"only a {direction} stream has a {column}")
    routes = {k: r for k, r in catalogue.routes.items() if r.kind == column}
    unknown = values.notna() & ~values.isin(list(routes))
    check.at(
        unknown,
        column,
        [f"unknown {column} {v!r}" + _close(str(v), sorted(routes)) for v in values[unknown]],
    )
    fits = pd.Series(
        [
            route in routes and cls in routes[route].classes
            for route, cls in zip(values, streams["resource_class"], strict=True)
        ],
        index=streams.index,
    )
    mismatch = values.isin(list(routes)) & streams["resource_class"].notna() & ~fits
    check.at(
        mismatch,
        column,
        [
            f"{column} {v!r} does not apply to {cls} resources"
            for v, cls in zip(values[mismatch], streams["resource_class"][mismatch], strict=True)
        ],
    )


def check_exchanges(data: Tables, catalogue: Catalogue) -> None:
    """Exchanges link a supply to a demand of a resource it can replace, within their amounts."""
    if not (data.has("exchanges") and data.has("streams")):
        return
    exchanges, check = data.frames["exchanges"], data.checks["exchanges"]
    streams = data.frames["streams"].set_index("id", drop=False)
    streams = streams[~streams.index.duplicated()]
    for column in ("supply", "demand"):
        found = exchanges[column].map(streams["direction"])
        wrong = found.notna() & (found != column)
        check.at(
            wrong, column, [f"stream {v!r} is not a {column}" for v in exchanges[column][wrong]]
        )
    supply_resource = exchanges["supply"].map(streams["resource"])
    demand_resource = exchanges["demand"].map(streams["resource"])
    ratio = pd.Series(
        [
            catalogue.ratio(s, d) if isinstance(s, str) and isinstance(d, str) else None
            for s, d in zip(supply_resource, demand_resource, strict=True)
        ],
        index=exchanges.index,
        dtype=float,
    )
    known = list(catalogue.resources)
    impossible = supply_resource.isin(known) & demand_resource.isin(known) & ratio.isna()
    check.at(
        impossible,
        "demand",
        [
            f"{s} cannot replace {d} (no substitution in the catalogue)"
            for s, d in zip(supply_resource[impossible], demand_resource[impossible], strict=True)
        ],
    )
    annual, reasons = _annual(exchanges, supply_resource, catalogue)
    check.at(reasons != "", "unit", reasons[reasons != ""])
    exchanges["annual_quantity"] = annual
    _check_amounts(check, exchanges, supply_resource, catalogue)
    ended_first = exchanges["end_year"] < exchanges["start_year"]
    check.at(
        ended_first.fillna(False),
        "end_year",
        [
            f"ends in {e} before it starts in {b}"
            for e, b in zip(
                exchanges["end_year"][ended_first.fillna(False)],
                exchanges["start_year"][ended_first.fillna(False)],
                strict=True,
            )
        ],
        "warning",
    )
    firm = exchanges["status"].isin(["agreement", "implementation", "operating"])
    stream_ids = data.frames["streams"]["id"]
    for column, amount in (("supply", annual), ("demand", annual * ratio)):
        taken = amount[firm].groupby(exchanges.loc[firm, column]).sum()
        available = streams["annual_quantity"].reindex(taken.index)
        for stream_id, total in taken[taken > available * (1 + 1e-6) + 1e-9].items():
            data.checks["streams"].at(
                stream_ids == stream_id,
                "quantity",
                f"operating and agreed exchanges take {total:,.6g} "
                f"{streams.at[stream_id, 'annual_unit']}/yr of this {column}, "
                f"more than its {available[stream_id]:,.6g}",
            )


def check_technologies(data: Tables, catalogue: Catalogue) -> None:
    """A capacity is a rate of the main input (an amount for a store): converted once to
    the input's canonical unit per year."""
    if not data.has("technologies"):
        return
    techs, check = data.frames["technologies"], data.checks["technologies"]
    entries = techs["input"].map(catalogue.resources.get, na_action="ignore")
    canonical = entries.map(lambda r: r.unit if r is not None else None, na_action="ignore")
    rates = techs.assign(quantity=techs["capacity"], unit=techs["capacity_unit"].fillna(canonical))
    annual, reasons = _annual(rates, techs["input"], catalogue)
    wrong = (reasons != "") & techs["capacity"].notna()
    check.at(wrong, "capacity_unit", reasons[wrong])
    techs["annual_capacity"] = annual


def check_profiles(data: Tables) -> None:
    """Periods are unique and every profile has a positive total."""
    if not data.has("profiles"):
        return
    profiles, check = data.frames["profiles"], data.checks["profiles"]
    period = profiles["period"]
    twice = period.notna() & period.duplicated()
    check.at(twice, "period", [f"period {v} appears twice" for v in period[twice]])
    for name in profiles.columns.drop("period"):
        if not profiles[name].fillna(0).sum() > 0:
            check.header(name, "profile has no positive share")


def check_meta(
    meta: dict[str, Any], file: str, catalogue: Catalogue
) -> tuple[dict[str, Any], list[Problem]]:
    """park.yaml: declared keys with their types; prices as {value, unit, ref} per resource."""
    table = tables()["park"]
    scalars = {str(k): v for k, v in meta.items() if not isinstance(v, dict | list)}
    text = pd.DataFrame([{k: "" if v is None else str(v).strip() for k, v in scalars.items()}])
    numbers = frozenset((0, k) for k, v in scalars.items() if isinstance(v, int | float))
    typed, problems = coerce(RawTable("park", file, text, [0], typed=numbers), table)
    problems = [
        Problem(
            file, None, p.column, p.message.replace("required column", "required key"), p.severity
        )
        for p in problems
    ]
    for key, value in meta.items():
        column = table.column(str(key))
        if isinstance(value, dict | list) and (column is None or column.type != "mapping"):
            problems.append(Problem(file, None, str(key), "must be a single value"))
    clean = {
        k: v.item() if hasattr(v, "item") else v for k, v in typed.iloc[0].items() if not pd.isna(v)
    }
    for key, value in meta.items():
        column = table.column(str(key))
        if column is not None and column.type == "mapping" and value is not None:
            if isinstance(value, dict):
                clean[str(key)] = value
            else:
                problems.append(Problem(file, None, str(key), "must be a mapping"))
    problems += [
        Problem(file, None, where, f"{value} is not a finite number")
        for where, value in _numbers({k: v for k, v in meta.items() if k != "prices"})
        if not math.isfinite(value)
    ]
    prices = meta.get("prices")
    if not isinstance(prices, dict):
        return clean, problems
    for key, entry in prices.items():
        where = f"prices.{key}"
        resource = catalogue.resources.get(catalogue.resolve(str(key)) or "")
        if resource is None:
            problems.append(Problem(file, None, where, unknown_resource(catalogue, str(key))))
        elif not (isinstance(entry, dict) and {"value", "unit"} <= set(entry)):
            problems.append(Problem(file, None, where, "needs value and unit"))
        else:
            try:
                value = float(entry["value"])
                if not math.isfinite(value):
                    raise ValueError(f"{entry['value']!r} is not a finite number")
                convert(value, str(entry["unit"]), f"EUR / ({resource.unit})")
            except (UnitProblem, TypeError, ValueError) as error:
                problems.append(
                    Problem(file, None, where, f"not a price per {resource.unit}: {error}")
                )
    return clean, problems


def _numbers(meta: dict[str, Any]) -> Iterator[tuple[str, float]]:
    """(dotted key, value) of every number nested in the mappings and lists of park.yaml."""
    stack: list[tuple[str, Any]] = [
        (str(k), v) for k, v in meta.items() if isinstance(v, dict | list)
    ]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            stack += [(f"{where}.{k}", v) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(f"{where}.{i}", v) for i, v in enumerate(value)]
        elif isinstance(value, float):
            yield where, value


def check_bookings(data: Tables) -> None:
    """A booking ends on or after its start, within its facility's availability, and the
    requested, confirmed and closed bookings of one facility do not overlap: the later row
    of two that do is an error at its start."""
    if not data.has("bookings"):
        return
    bookings, check = data.frames["bookings"], data.checks["bookings"]
    first = pd.to_datetime(bookings["start"], format="%Y-%m-%d", errors="coerce")
    last = pd.to_datetime(bookings["end"], format="%Y-%m-%d", errors="coerce")
    backwards = (last < first).fillna(False).to_numpy(bool)
    check.at(
        backwards,
        "end",
        [
            f"ends on {e} before it starts on {s}"
            for s, e in zip(bookings["start"][backwards], bookings["end"][backwards], strict=True)
        ],
    )
    status = bookings["status"].fillna("requested")
    facilities = data.frames.get("facilities")
    if facilities is not None and {"id", "available_from", "available_to"} <= set(facilities):
        known = facilities.dropna(subset=["id"]).drop_duplicates("id").set_index("id")
        asked = status.isin(["requested", "confirmed"]).to_numpy(bool)
        for column, dates, bound, word in (
            ("start", first, "available_from", "from"),
            ("end", last, "available_to", "until"),
        ):
            text = bookings["facility"].map(known[bound]).astype(object)
            limit = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
            beyond = (dates < limit) if word == "from" else (dates > limit)
            outside = beyond.to_numpy(bool) & asked
            check.at(
                outside,
                column,
                [
                    f"facility {f} can be booked {word} {b}, not {d}"
                    for f, b, d in zip(
                        bookings["facility"][outside],
                        text[outside],
                        bookings[column][outside],
                        strict=True,
                    )
                ],
            )
    holding = (
        status.isin(["requested", "confirmed", "closed"]).to_numpy(bool)
        & first.notna().to_numpy(bool)
        & last.notna().to_numpy(bool)
        & ~backwards
        & bookings["facility"].notna().to_numpy(bool)
    )
    held = pd.DataFrame(
        {
            "position": np.flatnonzero(holding),
            "facility": bookings["facility"].to_numpy()[holding],
            "first": first.to_numpy()[holding],
            "last": last.to_numpy()[holding],
        }
    )
    pairs = held.merge(held, on="facility", suffixes=("", "_other"))
    pairs = pairs[
        (pairs["position_other"] < pairs["position"])
        & (pairs["first_other"] <= pairs["last"])
        & (pairs["last_other"] >= pairs["first"])
    ]
    clashes = pairs.sort_values(["position", "position_other"]).drop_duplicates("position")
    mask = np.zeros(len(bookings), dtype=bool)
    mask[clashes["position"].to_numpy(int)] = True
    other = clashes.set_index("position")["position_other"]
    check.at(
        mask,
        "start",
        [
            f"facility {bookings['facility'].iat[p]} is already booked from "
            f"{bookings['start'].iat[o]} to {bookings['end'].iat[o]} "
            f"(booking {bookings['id'].iat[o]})"
            for p, o in zip(np.flatnonzero(mask), other.reindex(np.flatnonzero(mask)), strict=True)
        ],
    )
