"""Integration targeting: the least utility or freshwater a set of streams can reach.

``heat`` targets heat recovery (problem table and transshipment LP), ``water`` targets
water reuse (water cascade and source-sink allocation LP, plus a bilinear model for
several contaminants), and ``site`` compares plant-by-plant and park-wide targets.
This module holds what they share: reading and checking CSV tables, solving linear
programs with HiGHS, and writing figures to one offline HTML file.
"""

from __future__ import annotations

import csv
import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

import linopy
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from symbionet.errors import Problem, SymbionetError
from symbionet.register.write import write_text

Check = Literal["any", "nonnegative", "positive"]
# the magnitudes the cascades and linear programs compute with reliably: beyond them,
# HiGHS counts values as infinite or zero and sums lose all precision
LARGEST = 1e9
SMALLEST = 1e-9


@dataclass(frozen=True)
class Column:
    """An expected CSV column: its name, whether it holds text or numbers, and its rules."""

    name: str
    numeric: bool = True
    required: bool = True
    check: Check = "any"


def csv_header(path: str | Path) -> list[str]:
    """The normalised header of a CSV file (lower case, stripped)."""
    return _read_csv(Path(path), str(path))[0]


def read_table(path: str | Path, columns: Sequence[Column]) -> pd.DataFrame:
    """Read a CSV file into a checked table (see ``check_table``); extra columns are dropped.

    Header names are matched without regard to case or surrounding spaces.
    """
    file = str(path)
    header, rows, lines = _read_csv(Path(path), file)
    missing = [c.name for c in columns if c.required and c.name not in header]
    if missing:
        raise SymbionetError(Problem(file, 1, name, "missing column") for name in missing)
    wanted = [c.name for c in columns if c.name in header]
    positions = [header.index(name) for name in wanted]
    table = pd.DataFrame([[row[i] for i in positions] for row in rows], columns=wanted, dtype=str)
    table["line"] = lines
    table.attrs["file"] = file
    return check_table(table, columns)


def _read_csv(path: Path, file: str) -> tuple[list[str], list[list[str]], list[int]]:
    """Header (normalised), padded rows and their line numbers, skipping blank lines."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            records = [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    except FileNotFoundError:
        raise SymbionetError([Problem(file, None, None, "file not found")]) from None
    except OSError as error:
        raise SymbionetError([Problem(file, None, None, f"cannot read: {error}")]) from None
    except (UnicodeDecodeError, csv.Error) as error:
        message = f"not a readable CSV file: {error}"
        raise SymbionetError([Problem(file, None, None, message)]) from None
    if not records:
        raise SymbionetError([Problem(file, None, None, "file is empty")])
    header_line, raw_header = records[0]
    header = [name.strip().lower() for name in raw_header]
    problems = [
        Problem(file, header_line, name, "column appears more than once")
        for name in sorted({n for n in header if header.count(n) > 1})
    ]
    problems += [
        Problem(file, line, None, f"{len(row)} fields but the header has {len(header)}")
        for line, row in records[1:]
        if len(row) > len(header)
    ]
    if len(records) == 1:
        problems.append(Problem(file, None, None, "no data rows"))
    if problems:
        raise SymbionetError(problems)
    rows = [row + [""] * (len(header) - len(row)) for _, row in records[1:]]
    return header, rows, [line for line, _ in records[1:]]


def check_table(table: pd.DataFrame, columns: Sequence[Column]) -> pd.DataFrame:
    """Return a copy with numeric columns as floats and text stripped, or raise every problem.

    Empty optional numeric cells become NaN; an absent optional column is added as NaN
    (numeric) or empty text. Problems are located with ``locate``.
    """
    checked = table.copy()
    problems: list[Problem] = []
    for column in columns:
        if column.name not in checked:
            if column.required:
                problems.append(Problem(table_file(table), 1, column.name, "missing column"))
            checked[column.name] = np.nan if column.numeric else ""
            continue
        text = checked[column.name].astype("string").str.strip().fillna("")
        empty = text == ""
        if column.required:
            problems += [
                locate(checked, index, column.name, "missing value")
                for index in checked.index[empty]
            ]
        if not column.numeric:
            checked[column.name] = text.astype(str)
            continue
        values = pd.to_numeric(text.where(~empty), errors="coerce").astype(float)
        bad = ~empty & ~np.isfinite(values)
        problems += [
            locate(checked, index, column.name, f"not a number: {text[index]!r}")
            for index in checked.index[bad]
        ]
        problems += _rule_problems(checked, values, column)
        problems += [
            locate(checked, index, column.name, message)
            for index, message in magnitude_problems(values).items()
        ]
        checked[column.name] = values
    if problems:
        raise SymbionetError(sorted(problems, key=_problem_order))
    return checked


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


def check_option(option: str, value: float) -> None:
    """Raise unless an option (``--dt-min``, ``--freshwater-ppm``) is a number from 0 to
    the largest magnitude computed with."""
    if not 0 <= value <= LARGEST:
        message = f"must be a number from 0 to {LARGEST:g}, not {value}"
        raise SymbionetError([Problem(option, None, None, message)])
    if 0 < value < SMALLEST:
        message = f"{value:g} is too small to compute with: use 0 or at least {SMALLEST:g}"
        raise SymbionetError([Problem(option, None, None, message)])


def no_solution(file: str, what: str) -> SymbionetError:
    """The error when a linear program finds no solution where the cascade finds one."""
    message = (
        f"{what} finds no solution within the solver's tolerances: the numbers span too "
        "many orders of magnitude for a reliable answer"
    )
    return SymbionetError([Problem(file, None, None, message)])


def _rule_problems(table: pd.DataFrame, values: pd.Series, column: Column) -> list[Problem]:
    if column.check == "positive":
        broken, rule = values <= 0, "must be positive"
    elif column.check == "nonnegative":
        broken, rule = values < 0, "must not be negative"
    else:
        return []
    return [
        locate(table, index, column.name, f"{rule} (got {values[index]:g})")
        for index in table.index[broken.fillna(False)]
    ]


def _problem_order(problem: Problem) -> tuple[int, str]:
    return (problem.row or 0, problem.column or "")


def table_file(table: pd.DataFrame) -> str:
    """The file a table was read from, or a placeholder for tables built in memory."""
    return str(table.attrs.get("file", "<table>"))


def locate(table: pd.DataFrame, index: object, column: str | None, message: str) -> Problem:
    """A problem at one row of a table: its CSV line when it was read from a file."""
    row = int(table.at[index, "line"]) if "line" in table else None
    return Problem(table_file(table), row, column, message)


def solve(model: linopy.Model, **options: Any) -> bool:
    """Solve a linopy model with HiGHS, quietly: True if optimal, False if infeasible."""
    linopy_logger = logging.getLogger("linopy")
    level = linopy_logger.level
    linopy_logger.setLevel(logging.ERROR)
    try:
        _, condition = model.solve(solver_name="highs", io_api="lp", output_flag=False, **options)
    finally:
        linopy_logger.setLevel(level)
    if condition == "optimal":
        return True
    if condition in ("infeasible", "infeasible_or_unbounded"):
        return False
    message = f"HiGHS stopped without a solution: {condition}"
    raise SymbionetError([Problem("", None, None, message)])


def tolerance(scale: float) -> float:
    """Absolute tolerance for zero tests on LP and cascade values of about this size."""
    return 1e-7 * max(1.0, abs(scale))


def write_html(figures: Sequence[go.Figure], path: str | Path, title: str) -> None:
    """Write figures to one self-contained HTML file (plotly.js inlined, nothing remote)."""
    parts = [
        figure.to_html(full_html=False, include_plotlyjs=(i == 0), include_mathjax=False)
        for i, figure in enumerate(figures)
    ]
    body = "\n".join(parts)
    head = f'<meta charset="utf-8"><title>{html.escape(title)}</title>'
    write_text(
        path, f"<!DOCTYPE html>\n<html><head>{head}</head>\n<body>\n{body}\n</body></html>\n"
    )


def result_dict(result: Any) -> dict[str, object]:
    """A result dataclass as a JSON-ready dict, leaving out fields with ``json: False`` metadata."""
    return {
        field.name: getattr(result, field.name)
        for field in fields(result)
        if field.metadata.get("json", True)
    }
