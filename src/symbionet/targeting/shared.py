"""What the targets share: their input tables, read and checked through the register's
declarations (``symbionet/register/schema/targeting/``), the magnitudes they compute
with, and solving their linear programs with HiGHS."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import linopy
import numpy as np
import pandas as pd

from symbionet.errors import Problem, SymbionetError
from symbionet.register.io import RawTable, cell_text
from symbionet.register.schema import Table, read_csv, tables
from symbionet.register.validate import coerce
from symbionet.results import Result
from symbionet.solver import Solved, solve
from symbionet.targeting.options import LARGEST, SMALLEST


def declared(name: str) -> Table:
    """The declaration of a targeting input table (``heat_streams``, ``water_fixed_load``,
    ``water_fixed_flowrate``)."""
    return tables("targeting")[name]


def read_table(path: str | Path, names: Sequence[str]) -> pd.DataFrame:
    """Read a CSV file as the declared table among ``names`` that its header matches best.

    Header names are matched without regard to case or surrounding spaces. Columns the
    table does not declare are left out, each with a warning in ``attrs["warnings"]``;
    the table has a ``line`` column (the CSV line of each row) and ``attrs["file"]``.
    """
    raw = read_csv(path)
    raw.frame.columns = [str(c).strip().lower() for c in raw.frame.columns]
    header = set(raw.frame.columns)
    hits = {name: len(header & {c.name for c in declared(name).columns}) for name in names}
    if not any(hits.values()):
        expected = " or ".join(", ".join(c.name for c in declared(n).columns) for n in names)
        raise SymbionetError([Problem(raw.file, 1, None, f"expected the columns {expected}")])
    table = declared(max(names, key=lambda name: hits[name]))
    known = [c.name for c in table.columns]
    message = f"not used: not one of the columns {', '.join(known)}"
    warnings = [
        Problem(raw.file, 1, str(column), message, "warning")
        for column in raw.frame.columns
        if column not in known
    ]
    raw.frame = raw.frame.loc[:, [c for c in raw.frame.columns if c in known]]
    checked = _typed(raw, table)
    checked.attrs["warnings"] = warnings
    return checked


def check_table(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Check a table built in memory against a declaration, as if read from a CSV file
    (rows numbered from line 2 unless it has a ``line`` column); other columns are left
    out. Returns the typed table or raises every problem."""
    table = declared(name)
    lines = frame["line"].astype(int).tolist() if "line" in frame else None
    columns = [c.name for c in table.columns if c.name in frame]
    text = frame[columns].astype(object).map(cell_text).reset_index(drop=True)
    file = table_file(frame)
    raw = RawTable(name, file, text, lines or list(range(2, len(frame) + 2)))
    return _typed(raw, table)


def _typed(raw: RawTable, table: Table) -> pd.DataFrame:
    typed, problems = coerce(raw, table)
    errors = [p for p in problems if p.severity == "error"]
    if not raw.rows:
        errors.append(Problem(raw.file, None, None, "no data rows"))
    errors += [
        Problem(raw.file, raw.rows[position], column, message)
        for column in typed.columns
        if typed[column].dtype == float
        for position, message in magnitude_problems(typed[column]).items()
    ]
    if errors:
        raise SymbionetError(sorted(errors, key=lambda p: (p.row or 0, p.column or "")))
    typed["line"] = raw.rows
    typed.attrs["file"] = raw.file
    return typed


def summary(result: Result) -> pd.DataFrame:
    """A result's figures as one row: lists joined by commas; tables, mappings and nested
    results left out."""
    row = {}
    for name, value in result.to_dict().items():
        if isinstance(value, list) and all(not isinstance(v, dict) for v in value):
            row[name] = ", ".join(map(str, value))
        elif not isinstance(value, dict | list):
            row[name] = value
    return pd.DataFrame([row])


def magnitude_problems(values: pd.Series) -> dict[Any, str]:
    """Messages for the values too large or too small (but not 0) to compute with."""
    size = values.abs()
    large = values[np.isfinite(values) & (size > LARGEST)]
    small = values[(size > 0) & (size < SMALLEST)]
    messages = {
        i: f"{v:g} is too large to compute with (at most {LARGEST:g})" for i, v in large.items()
    }
    messages |= {
        i: f"{v:g} is too small to compute with: use 0 or at least {SMALLEST:g}"
        for i, v in small.items()
    }
    return messages


def table_file(table: pd.DataFrame) -> str:
    """The file a table was read from, or a placeholder for tables built in memory."""
    return str(table.attrs.get("file", "<table>"))


def locate(table: pd.DataFrame, index: object, column: str | None, message: str) -> Problem:
    """A problem at one row of a table: its CSV line when it was read from a file."""
    row = int(table.at[index, "line"]) if "line" in table else None
    return Problem(table_file(table), row, column, message)


def positive(table: pd.DataFrame, column: str) -> list[Problem]:
    """Problems for the rows where a column declared 0 or more is 0."""
    return [
        locate(table, index, column, "must be above 0") for index in table.index[table[column] == 0]
    ]


def optimal(model: linopy.Model, **options: Any) -> Solved | None:
    """Solve a linear program quietly: what HiGHS proved at the optimum, None if the
    program is infeasible; any other end is an error."""
    solved = solve(model, **options)
    if solved.ok:
        return solved
    if solved.termination in ("infeasible", "infeasible_or_unbounded"):
        return None
    message = f"HiGHS stopped without a solution: {solved.termination}"
    raise SymbionetError([Problem("", None, None, message)])


def no_solution(file: str, what: str) -> SymbionetError:
    """The error when a linear program finds no solution where the cascade finds one."""
    message = (
        f"{what} finds no solution within the solver's tolerances: the numbers span too "
        "many orders of magnitude for a reliable answer"
    )
    return SymbionetError([Problem(file, None, None, message)])


def tolerance(scale: float) -> float:
    """Absolute tolerance for zero tests on LP and cascade values of about this size."""
    return 1e-7 * max(1.0, abs(scale))


__all__ = [
    "check_table",
    "declared",
    "locate",
    "magnitude_problems",
    "no_solution",
    "optimal",
    "positive",
    "read_table",
    "summary",
    "table_file",
    "tolerance",
]
