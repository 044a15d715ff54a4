"""Turn raw park tables into typed, checked tables, collecting every problem on the way."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import process as fuzzy

from symbionet.errors import Problem
from symbionet.register.catalogue import Catalogue
from symbionet.register.io import RawPark, RawTable
from symbionet.register.schema import NACE_PATTERN, Column, Table, tables
from symbionet.units import UnitProblem, annual_factor, convert, parse_unit

_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}
_NACE = re.compile(NACE_PATTERN)


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

    def at(self, mask: pd.Series | np.ndarray, column: str | None, message: Callable[[int], str] | str) -> None:
        for position in np.flatnonzero(np.asarray(mask, dtype=bool)):
            text = message(int(position)) if callable(message) else message
            self.problems.append(Problem(self.raw.file, self.raw.rows[position], column, text))

    def header(self, column: str | None, message: str) -> None:
        row = 1 if self.raw.rows and self.raw.rows[0] >= 2 else None
        self.problems.append(Problem(self.raw.file, row, column, message))


def _convert(text: pd.Series, column: Column, check: Checker) -> pd.Series:
    """Cells of one column from text to their declared type; bad cells are reported."""
    given = text != ""
    name = column.name if not column.is_pattern else str(text.name)
    if column.type in {"float", "int", "year"}:
        numbers = pd.to_numeric(text.where(given), errors="coerce").astype(float)
        bad = given & ~np.isfinite(numbers)
        check.at(bad, name, lambda i: f"{text.iloc[i]!r} is not a number")
        if column.type == "float":
            return numbers.where(~bad)
        fractional = given & ~bad & (numbers % 1 != 0)
        check.at(fractional, name, lambda i: f"{text.iloc[i]!r} is not a whole number")
        return numbers.where(~(bad | fractional)).round().astype("Int64")
    if column.type == "bool":
        lower = text.str.lower()
        bad = given & ~lower.isin(_TRUE | _FALSE)
        check.at(bad, name, lambda i: f"{text.iloc[i]!r} is not true or false")
        return lower.map(lambda v: True if v in _TRUE else False if v in _FALSE else pd.NA)
    if column.type == "enum":
        spelling = {choice.lower(): choice for choice in column.choices}
        chosen = text.str.lower().map(spelling)
        bad = given & chosen.isna()
        check.at(
            bad,
            name,
            lambda i: f"{text.iloc[i]!r} is not one of {', '.join(column.choices)}"
            + _close(text.iloc[i], column.choices),
        )
        return chosen
    if column.type == "nace":
        bad = given & ~text.str.match(_NACE)
        check.at(bad, name, lambda i: f"{text.iloc[i]!r} is not a NACE code (C, 20 or 20.14)")
    return text.where(given)


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
        text = frame[name] if name in frame.columns else pd.Series("", index=frame.index, dtype=object)
        if isinstance(text, pd.DataFrame):  # a duplicated header: take the first
            text = text.iloc[:, 0]
        text = text.fillna("").astype(str).rename(name)
        values = _convert(text, column, check)
        default = _default(column)
        if default is not None:
            values = values.where(values.notna(), default)
        if column.required and name in frame.columns:
            check.at(values.isna() & (text == ""), name, "value required")
        if column.min is not None or column.max is not None:
            numbers = pd.to_numeric(values, errors="coerce").astype(float)
            low = numbers < column.min if column.min is not None else False
            high = numbers > column.max if column.max is not None else False
            check.at(low, name, lambda i: f"{numbers.iloc[i]:g} is below {column.min:g}")
            check.at(high, name, lambda i: f"{numbers.iloc[i]:g} is above {column.max:g}")
        typed[name] = values
    result = pd.DataFrame(typed, index=range(len(frame)))
    for name in result.columns:
        kind = table.column(name).type  # type: ignore[union-attr]
        if kind == "float":
            result[name] = result[name].astype(float)
        elif kind == "bool":
            result[name] = result[name].astype("boolean")
        elif kind not in {"int", "year"}:
            result[name] = result[name].astype("str")
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
        table = tables()[name]
        key = table.id_column
        if key is None or key not in frame or not data.has(name):
            continue
        ids = frame[key]
        duplicated = ids.notna() & ids.duplicated(keep="first")
        first = {v: i for i, v in reversed(list(enumerate(ids)))}
        check = data.checks[name]
        check.at(
            duplicated,
            key,
            lambda i: f"duplicate id {ids.iloc[i]!r} (first on row {check.raw.rows[first[ids.iloc[i]]]})",
        )


def check_references(data: Tables) -> None:
    """Every ref column names an existing row of its table."""
    for name, frame in data.frames.items():
        if not data.has(name):
            continue
        for column in tables()[name].fixed:
            if column.type != "ref" or column.name not in frame:
                continue
            target = data.frames.get(column.allowed)
            known = set(target["id"].dropna()) if target is not None else set()
            values = frame[column.name]
            bad = values.notna() & ~values.isin(known)
            data.checks[name].at(
                bad,
                column.name,
                lambda i, v=values, c=column, k=sorted(known): f"unknown {c.allowed[:-1]} {v.iloc[i]!r}"
                + _close(str(v.iloc[i]), k),
            )


def resolve_resources(data: Tables, catalogue: Catalogue) -> None:
    """Resource columns become catalogue ids; unknown names get the closest suggestions."""
    for name, frame in data.frames.items():
        if not data.has(name):
            continue
        for column in tables()[name].fixed:
            if column.type != "resource" or column.name not in frame:
                continue
            given = frame[column.name]
            resolved = given.map(lambda v: catalogue.resolve(v) if isinstance(v, str) else None)
            bad = given.notna() & resolved.isna()
            data.checks[name].at(
                bad,
                column.name,
                lambda i, g=given: f"unknown resource {g.iloc[i]!r}"
                + (
                    f" (did you mean {', '.join(catalogue.suggest(g.iloc[i]))}?)"
                    if catalogue.suggest(g.iloc[i])
                    else ""
                ),
            )
            frame[column.name] = resolved.where(resolved.notna(), given).astype("str")


def check_units(data: Tables) -> None:
    """Unit columns are readable units."""
    for name, frame in data.frames.items():
        if not data.has(name):
            continue
        for column in tables()[name].fixed:
            if column.type != "unit" or column.name not in frame:
                continue
            for position, unit in enumerate(frame[column.name]):
                if not isinstance(unit, str):
                    continue
                try:
                    parse_unit(unit)
                except UnitProblem as error:
                    data.checks[name].at(
                        np.arange(len(frame)) == position, column.name, str(error)
                    )


def _annual(frame: pd.DataFrame, resource: pd.Series, catalogue: Catalogue) -> tuple[pd.Series, pd.Series]:
    """Quantity in the resource's canonical unit per year, and the reason where it cannot be."""
    values, reasons = [], []
    for quantity, unit, key in zip(frame["quantity"], frame["unit"], resource, strict=True):
        entry = catalogue.resources.get(key) if isinstance(key, str) else None
        if entry is None or not isinstance(unit, str) or pd.isna(quantity):
            values.append(np.nan)
            reasons.append("")
            continue
        try:
            factor = annual_factor(unit, entry.unit, entry.density_t_per_m3, entry.energy_mwh_per_unit)
            values.append(quantity * factor)
            reasons.append("")
        except UnitProblem as error:
            values.append(np.nan)
            reasons.append(f"{error} ({key} is measured in {entry.unit})")
    return pd.Series(values, index=frame.index, dtype=float), pd.Series(reasons, index=frame.index)


def check_streams(data: Tables, catalogue: Catalogue) -> None:
    """Units fit the resource; fates and sources fit the direction and class; profiles exist."""
    if not data.has("streams"):
        return
    streams, check = data.frames["streams"], data.checks["streams"]
    annual, reasons = _annual(streams, streams["resource"], catalogue)
    check.at(reasons != "", "unit", lambda i: reasons.iloc[i])
    streams["annual_quantity"] = annual
    streams["annual_unit"] = streams["resource"].map(
        lambda r: catalogue.resources[r].unit if r in catalogue.resources else None
    ).astype("str")
    streams["resource_class"] = streams["resource"].map(
        lambda r: catalogue.resources[r].resource_class if r in catalogue.resources else None
    ).astype("str")
    for column, direction in (("fate", "supply"), ("source", "demand")):
        values = streams[column]
        wrong_direction = values.notna() & (streams["direction"] != direction)
        check.at(wrong_direction, column, f"only a {direction} stream has a {column}")
        routes = {k: r for k, r in catalogue.routes.items() if r.kind == column}
        unknown = values.notna() & ~values.isin(list(routes))
        check.at(
            unknown,
            column,
            lambda i, v=values, r=sorted(routes): f"unknown {column} {v.iloc[i]!r}"
            + _close(str(v.iloc[i]), r),
        )
        known = values.notna() & values.isin(list(routes)) & streams["resource_class"].notna()
        mismatch = known & ~pd.Series(
            [
                isinstance(route, str) and route in routes and cls in routes[route].classes
                for route, cls in zip(values, streams["resource_class"], strict=True)
            ],
            index=streams.index,
        )
        check.at(
            mismatch,
            column,
            lambda i, v=values: f"{column} {v.iloc[i]!r} does not apply to "
            f"{streams['resource_class'].iloc[i]} resources",
        )
    profiles = data.frames.get("profiles")
    names = [c for c in profiles.columns if c != "period"] if profiles is not None else []
    bad = streams["profile"].notna() & ~streams["profile"].isin(names)
    check.at(
        bad,
        "profile",
        lambda i: f"no profile {streams['profile'].iloc[i]!r} in profiles.csv"
        + _close(str(streams["profile"].iloc[i]), names),
    )


def check_exchanges(data: Tables, catalogue: Catalogue) -> None:
    """Exchanges link a supply to a demand of a resource it can replace, within their amounts."""
    if not (data.has("exchanges") and data.has("streams")):
        return
    exchanges, check = data.frames["exchanges"], data.checks["exchanges"]
    streams = data.frames["streams"].set_index("id", drop=False)
    streams = streams[~streams.index.duplicated()]
    for column, direction in (("supply", "supply"), ("demand", "demand")):
        found = exchanges[column].map(streams["direction"])
        wrong = found.notna() & (found != direction)
        check.at(wrong, column, lambda i, c=column, d=direction: f"stream {exchanges[c].iloc[i]!r} is not a {d}")
    supply_resource = exchanges["supply"].map(streams["resource"])
    demand_resource = exchanges["demand"].map(streams["resource"])
    ratios = [
        _ratio(catalogue, s, d) if isinstance(s, str) and isinstance(d, str) else np.nan
        for s, d in zip(supply_resource, demand_resource, strict=True)
    ]
    ratio = pd.Series(ratios, index=exchanges.index, dtype=float)
    both = supply_resource.isin(list(catalogue.resources)) & demand_resource.isin(list(catalogue.resources))
    check.at(
        both & ratio.isna(),
        "demand",
        lambda i: f"{supply_resource.iloc[i]} cannot replace {demand_resource.iloc[i]} "
        "(no substitution in the catalogue)",
    )
    annual, reasons = _annual(exchanges, supply_resource, catalogue)
    check.at(reasons != "", "unit", lambda i: reasons.iloc[i])
    exchanges["annual_quantity"] = annual
    firm = exchanges["status"].isin(["agreement", "operating"])
    for column, amount in (("supply", annual), ("demand", annual * ratio)):
        taken = amount[firm].groupby(exchanges.loc[firm, column]).sum()
        available = streams["annual_quantity"].reindex(taken.index)
        over = taken[(taken > available * (1 + 1e-6) + 1e-9)]
        stream_rows = data.frames["streams"]["id"]
        for stream_id, total in over.items():
            unit = streams.at[stream_id, "annual_unit"]
            data.checks["streams"].at(
                stream_rows == stream_id,
                "quantity",
                f"operating and agreed exchanges take {total:,.6g} {unit}/yr of this {column}, "
                f"more than its {available[stream_id]:,.6g}",
            )


def _ratio(catalogue: Catalogue, supply: str, demand: str) -> float:
    """Units of the demanded resource one unit of the supplied resource replaces (NaN: none)."""
    if supply == demand:
        return 1.0
    entry = catalogue.resources.get(supply)
    for sub in entry.substitutes if entry else ():
        if sub.resource == demand:
            return sub.ratio
    return np.nan


def check_profiles(data: Tables) -> None:
    """Periods are unique and every profile has a positive total."""
    if not data.has("profiles"):
        return
    profiles, check = data.frames["profiles"], data.checks["profiles"]
    period = profiles["period"]
    check.at(period.notna() & period.duplicated(), "period", lambda i: f"period {period.iloc[i]} appears twice")
    for name in profiles.columns.drop("period"):
        if not profiles[name].fillna(0).sum() > 0:
            check.header(name, "profile has no positive share")


def check_meta(meta: dict[str, Any], file: str, catalogue: Catalogue) -> tuple[dict[str, Any], list[Problem]]:
    """park.yaml: declared keys with their types; prices as {value, unit, ref} per resource."""
    table = tables()["park"]
    scalars = {str(k): v for k, v in meta.items() if not isinstance(v, dict | list)}
    text = pd.DataFrame([{k: "" if v is None else str(v).strip() for k, v in scalars.items()}])
    typed, problems = coerce(RawTable("park", file, text, [0]), table)
    problems = [Problem(file, None, p.column, p.message) for p in problems]
    for key, value in meta.items():
        column = table.column(str(key))
        if isinstance(value, dict | list) and (column is None or column.type != "mapping"):
            problems.append(Problem(file, None, str(key), "must be a single value"))
    clean = {k: v.item() if hasattr(v, "item") else v for k, v in typed.iloc[0].items() if not pd.isna(v)}
    prices = meta.get("prices")
    if prices is None:
        return clean, problems
    if not isinstance(prices, dict):
        problems.append(Problem(file, None, "prices", "must map resource ids to {value, unit, ref}"))
        return clean, problems
    for key, entry in prices.items():
        where = f"prices.{key}"
        resource = catalogue.resources.get(catalogue.resolve(str(key)) or "")
        if resource is None:
            problems.append(Problem(file, None, where, f"unknown resource {key!r}"))
        elif not (isinstance(entry, dict) and {"value", "unit"} <= set(entry)):
            problems.append(Problem(file, None, where, "needs value and unit"))
        else:
            try:
                convert(float(entry["value"]), str(entry["unit"]), f"EUR / ({resource.unit})")
            except (UnitProblem, TypeError, ValueError) as error:
                problems.append(Problem(file, None, where, f"not a price per {resource.unit}: {error}"))
    clean["prices"] = prices
    return clean, problems
