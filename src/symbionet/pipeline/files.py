"""Writing a changed pipeline back into the park it was read from."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from symbionet.errors import Problem, SymbionetError
from symbionet.register.excel import excel_text
from symbionet.register.io import cell_text
from symbionet.register.park import Park
from symbionet.register.schema import read_csv, tables
from symbionet.register.write import write_text
from symbionet.results import plain

TABLES = ("exchanges", "pipeline", "pipeline_log", "risks")
"""The tables the pipeline's functions change, in the order they are written: each step
leaves a park that loads (an exchange before the project naming it, a project before its
log and risks)."""


def _text(value: object) -> str:
    """A cell as a park's CSV file holds it: whole numbers without a decimal point."""
    value = plain(value)
    if isinstance(value, str):
        return excel_text(value)
    if (
        isinstance(value, float)
        and math.isfinite(value)
        and value.is_integer()
        and abs(value) < 1e15
    ):
        return str(int(value))
    return cell_text(value)


def _quoted(text: str) -> str:
    """A CSV cell, quoted when it holds a separator (a semicolon too, which Danish Excel
    separates with), a quote or a line break."""
    if any(mark in text for mark in ',;"\n\r\t'):
        return '"' + text.replace('"', '""') + '"'
    return text


def table_text(frame: pd.DataFrame) -> str:
    """A park table as the text of its CSV file."""
    lines = [",".join(_quoted(str(c)) for c in frame.columns)]
    lines += [",".join(_quoted(_text(v)) for v in row) for row in frame.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def _columns(frame: pd.DataFrame, name: str, file: Path) -> pd.DataFrame:
    """The table with the columns its file has, and those of the others that hold a value
    other than their default (a column filled by its default on loading stays out)."""
    if not file.exists():
        return frame
    header = list(read_csv(file).frame.columns)
    table = tables()[name]
    kept = [c for c in header if c in frame.columns]
    for column in frame.columns:
        declared = table.column(column)
        default = declared.default if declared is not None else ""
        if column not in kept and (frame[column].map(_text).replace("", default) != default).any():
            kept.append(column)
    return frame[kept]


def write_pipeline(park: Park, path: Path | str, names: Iterable[str] = TABLES) -> list[Path]:
    """Write the tables ``names`` of ``park`` into the park at ``path``, in place: in a
    folder, only their CSV files, each whole or not at all (the others are left as they
    are); a workbook or JSON park is written whole. Returns the files written."""
    target = Path(path)
    if not target.is_dir():
        if not target.is_file():
            raise SymbionetError([Problem(str(target), None, None, "no park here")])
        park.save(target, force=True)
        return [target]
    inputs = park.inputs()
    written = []
    for name in (n for n in TABLES if n in set(names)):
        file = target / tables()[name].file
        if name not in inputs:
            if file.exists():
                raise SymbionetError(
                    [Problem(str(file), None, None, f"the park has no {name} left to write")]
                )
            continue
        write_text(file, table_text(_columns(inputs[name], name, file)))
        written.append(file)
    return written


__all__ = ["TABLES", "table_text", "write_pipeline"]
