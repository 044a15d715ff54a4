"""Scenarios as declared: the rows of a park's ``scenarios`` table grouped by scenario
name, each row one change, checked on their own before any is applied.

A change's problems are located at its row and field: ``scenarios.csv:4:unit`` in a park
folder, ``park.xlsx[scenarios]:4:unit`` in a workbook, ``scenarios[2].unit`` in a park
document in memory.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from symbionet.errors import Problem, SymbionetError
from symbionet.register.park import Park
from symbionet.units import CURRENCY_RATES, UnitProblem, convert, parse_unit

KINDS = ("price", "co2_price", "rate", "emission", "leave", "join", "capacity", "technology")
"""The kinds of change, as the ``change`` column names them."""
WITH_VALUE = frozenset({"price", "co2_price", "rate", "emission", "capacity"})
"""Changes that take a value and its unit."""
NEEDS_TARGET = frozenset({"price", "emission", "leave", "join", "capacity", "technology"})
"""Changes that name what they apply to."""
FACTOR_UNITS = {"x": "x", "×": "x", "factor": "x", "%": "%", "percent": "%"}
"""Units that change the current value rather than set it: a factor or a percentage."""
CURRENCIES = ("EUR", *CURRENCY_RATES)
"""Currencies a price may be given in."""


@dataclass(frozen=True)
class Where:
    """Where a change was declared: a file row (``scenarios.csv``, line 4) or a record of
    a document in memory (``scenarios``, index 2)."""

    file: str
    row: int | None
    document: bool = False

    def problem(self, column: str | None, message: str) -> Problem:
        return Problem(self.file, self.row, column, message, document=self.document)


@dataclass(frozen=True)
class Change:
    """One change of a scenario (see ``docs/scenarios.md``).

    ``kind`` is one of ``KINDS``; ``target``, ``value`` and ``unit`` as the table's columns
    say. ``rows`` gives the rows a ``join`` or ``technology`` change adds as a document
    fragment (``{"actors": [...], "sites": [...], ...}``) instead of naming a file in
    ``target``. ``where`` locates the change's problems."""

    kind: str
    target: str | None = None
    value: float | None = None
    unit: str | None = None
    id: str = ""
    description: str = ""
    reference: str = ""
    rows: Mapping[str, Any] | None = field(default=None, compare=False)
    where: Where | None = field(default=None, compare=False)

    def problem(self, column: str | None, message: str) -> Problem:
        """A problem of this change, at its row and ``column``."""
        if self.where is not None:
            return self.where.problem(column, message)
        label = f"change {self.id}" if self.id else f"{self.kind} change"
        return Problem(label, None, column, message)

    def error(self, column: str | None, message: str) -> SymbionetError:
        return SymbionetError([self.problem(column, message)])

    @property
    def mode(self) -> str:
        """``x`` (multiply), ``%`` (change by a percentage) or ``set`` (a new value)."""
        return FACTOR_UNITS.get((self.unit or "").strip().lower(), "set")

    def factor(self) -> float:
        """What a factor or percentage change multiplies the current value by."""
        assert self.value is not None
        return self.value if self.mode == "x" else 1.0 + self.value / 100.0

    @property
    def label(self) -> str:
        """The change in a few words: ``price natural_gas x2``."""
        target = self.target or ""
        if target.lstrip().startswith("{") or self.rows is not None:
            target = "rows of " + ", ".join(_tables_in(target, self.rows))
        parts = [self.kind, target]
        if self.value is not None:
            parts.append(f"{self.value:g} {self.unit or ''}".strip())
        return " ".join(p for p in parts if p)


def _tables_in(text: str, rows: Mapping[str, Any] | None) -> list[str]:
    """The tables rows given as JSON hold, for a change's label."""
    if rows is None:
        try:
            rows = json.loads(text)
        except ValueError:
            return ["JSON"]
    return [str(name) for name in rows] if isinstance(rows, Mapping) else ["JSON"]


@dataclass(frozen=True)
class Scenario:
    """A named scenario: its changes, applied in order (currency rates first)."""

    name: str
    changes: tuple[Change, ...]
    description: str = ""


@dataclass
class Locator:
    """Finds the file and row of each record of a park's scenarios table, reading the
    source again only when a problem has to be located."""

    park: Park

    @cached_property
    def places(self) -> list[Where] | None:
        from symbionet.register.io import read_park

        source = Path(self.park.source) if self.park.source else None
        if source is None or not source.exists():
            return None
        try:
            raw = read_park(source)
        except SymbionetError:
            return None
        table = raw.tables.get("scenarios")
        if table is None:
            return None
        return [Where(table.file, row) for row in table.rows]

    def __call__(self, position: int) -> Where:
        places = self.places
        if places is not None and position < len(places):
            return places[position]
        return Where("scenarios", position, document=True)


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def declared(park: Park, check: bool = True) -> dict[str, Scenario]:
    """The park's scenarios by name, in the order of their first row; with ``check``,
    every problem of their rows raised at once (``SymbionetError``)."""
    frame = park.table("scenarios")
    locate = Locator(park)
    grouped: dict[str, list[Change]] = {}
    for position, (change_id, row) in enumerate(frame.iterrows()):
        value = _cell(row.get("value"))
        change = Change(
            kind=str(row["change"]),
            target=None if _cell(row.get("target")) is None else str(row["target"]).strip(),
            value=None if value is None else float(value),
            unit=None if _cell(row.get("unit")) is None else str(row["unit"]).strip(),
            id=str(change_id),
            description=str(_cell(row.get("description")) or ""),
            reference=str(_cell(row.get("reference")) or ""),
            where=locate(position),
        )
        grouped.setdefault(str(row["scenario"]).strip(), []).append(change)
    found = {name: Scenario(name, tuple(changes)) for name, changes in grouped.items()}
    if check:
        check_scenarios(found.values())
    return found


def chosen(park: Park, names: Iterable[str] | None = None) -> list[Scenario]:
    """The scenarios called ``names`` (None: all the park declares), checked."""
    found = declared(park, check=False)
    if names is None:
        check_scenarios(found.values())
        return list(found.values())
    picked = []
    problems = []
    for name in names:
        if name in found:
            picked.append(found[name])
            continue
        known = ", ".join(found) or "none: the park has no scenarios table"
        file = "scenarios.csv" if Path(park.source or "").is_dir() else "scenarios"
        problems.append(
            Problem(file, None, "scenario", f"no scenario {name!r}; the park declares {known}")
        )
    if problems:
        raise SymbionetError(problems)
    check_scenarios(picked)
    return picked


def check_scenarios(scenarios: Iterable[Scenario]) -> None:
    """Raise every problem the changes show on their own (targets are checked against the
    park when the change is applied)."""
    problems = [p for scenario in scenarios for c in scenario.changes for p in check_change(c)]
    if problems:
        raise SymbionetError(problems)


def check_change(change: Change) -> list[Problem]:
    """Problems of one change taken alone: its kind, which fields it needs, its unit."""
    kind = change.kind
    if kind not in KINDS:
        return [
            change.problem("change", f"{kind!r} is not a change; use one of {', '.join(KINDS)}")
        ]
    problems = []
    has_rows = change.rows is not None
    if kind in NEEDS_TARGET and not change.target and not has_rows:
        problems.append(change.problem("target", f"a {kind} change needs a target"))
    if kind == "co2_price" and change.target:
        problems.append(change.problem("target", "a co2_price change has no target"))
    if kind == "rate" and change.target and change.target not in CURRENCY_RATES:
        problems.append(
            change.problem(
                "target",
                f"{change.target!r} is not a currency with a rate; use {', '.join(CURRENCY_RATES)}",
            )
        )
    if kind not in WITH_VALUE:
        for column, given in (("value", change.value), ("unit", change.unit)):
            if given is not None:
                problems.append(change.problem(column, f"a {kind} change takes no {column}"))
        return problems
    if change.value is None:
        problems.append(change.problem("value", f"a {kind} change needs a value"))
    elif not math.isfinite(change.value):
        problems.append(change.problem("value", "must be a finite number"))
    if not change.unit:
        problems.append(
            change.problem("unit", f"a {kind} change needs a unit: x, % or {example(kind)}")
        )
        return problems
    if change.mode != "set":
        if change.value is not None and change.factor() < 0 and kind != "price":
            problems.append(change.problem("value", f"would make the {kind} negative"))
        return problems
    message = unit_problem(kind, change.unit)
    if message:
        problems.append(change.problem("unit", message))
    elif change.value is not None and change.value < 0 and kind in ("co2_price", "capacity"):
        problems.append(change.problem("value", "must be 0 or more"))
    elif change.value is not None and change.value <= 0 and kind == "rate":
        problems.append(change.problem("value", "must be more than 0"))
    return problems


def example(kind: str) -> str:
    """Units that set a value of this kind, as an example for messages."""
    return {
        "price": "a currency per unit (DKK/MWh, EUR/t)",
        "co2_price": "a currency per tonne (EUR/t, DKK/t)",
        "rate": "units of the currency per EUR (DKK/EUR)",
        "emission": "tonnes or kg per unit (t/MWh, kg/t)",
        "capacity": "an amount or rate (t/yr, MWh/yr, MW)",
    }[kind]


def currency_of(unit: str) -> str | None:
    """The currency a price unit is given in (``DKK/MWh`` -> ``DKK``); None if none."""
    head = unit.partition("/")[0].strip()
    return head if head in CURRENCIES else None


def unit_problem(kind: str, unit: str) -> str | None:
    """Why ``unit`` cannot set a value of ``kind``; None when it can (whether it fits the
    target's resource is checked when the change is applied)."""
    try:
        parse_unit(unit)
    except UnitProblem as error:
        return f"{error}; use x, % or {example(kind)}"
    per = unit.partition("/")[2].strip()
    if kind in ("price", "co2_price"):
        if currency_of(unit) is None or not per:
            return f"{unit!r} is not a price; use {example(kind)}"
        if kind == "co2_price":
            try:
                convert(1.0, unit, "EUR/t")
            except UnitProblem:
                return f"{unit!r} is not a price per tonne; use {example(kind)}"
    elif kind == "rate":
        head = unit.partition("/")[0].strip()
        if head not in CURRENCY_RATES or per != "EUR":
            return f"{unit!r} is not a rate; use {example(kind)}"
    elif kind == "emission":
        if not per:
            return f"{unit!r} is not per an amount; use {example(kind)}"
        try:
            convert(1.0, unit.partition("/")[0], "t")
        except UnitProblem:
            return f"{unit!r} is not a mass per amount; use {example(kind)}"
    return None


__all__ = [
    "KINDS",
    "Change",
    "Locator",
    "Scenario",
    "Where",
    "check_change",
    "check_scenarios",
    "chosen",
    "declared",
]
