"""Writing changed tables back into the park they were read from, in place."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import yaml

from symbionet.errors import Problem, SymbionetError
from symbionet.register.excel import excel_text
from symbionet.register.io import INCLUDE, cell_text
from symbionet.register.park import Park, load_park
from symbionet.register.schema import read_csv, tables
from symbionet.register.write import write_text
from symbionet.results import plain


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


def included_park(folder: Path) -> Park | None:
    """The park a park folder includes (``include:`` in its park.yaml), if any."""
    try:
        meta = yaml.safe_load((folder / tables()["park"].file).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    target = meta.get(INCLUDE) if isinstance(meta, dict) else None
    if not isinstance(target, str) or not (folder / target).is_dir():
        return None
    return load_park(folder / target)


def _plain_rows(frame: pd.DataFrame, key: str, ids: pd.Index) -> pd.DataFrame:
    """The rows of ``frame`` with the ids ``ids``, as text, without empty columns."""
    rows = frame[frame[key].astype(str).isin(ids)].set_index(key).sort_index()
    rows = rows.dropna(axis=1, how="all")
    return rows[sorted(rows.columns)].map(_text)


def write_tables(park: Park, path: Path | str, names: Iterable[str]) -> list[Path]:
    """Write the tables ``names`` of ``park`` into the park at ``path``, in place and in the
    order given: in a folder only their CSV files, each whole or not at all, the others left
    as they are; a workbook or JSON park is written whole. The rows a folder takes from the
    park it includes stay in that park, never copied; a change to one is refused. Returns
    the files written."""
    target = Path(path)
    if not target.is_dir():
        if not target.is_file():
            raise SymbionetError([Problem(str(target), None, None, "no park here")])
        park.save(target, force=True)
        return [target]
    inputs = park.inputs()
    base = included_park(target)
    included = {} if base is None else base.inputs()
    written = []
    for name in names:
        file = target / tables()[name].file
        frame = inputs.get(name, pd.DataFrame(columns=[tables()[name].id_column or "id"]))
        key = tables()[name].id_column
        if name in included and key is not None:
            theirs = included[name]
            ids = pd.Index(theirs[key].astype(str))
            if not _plain_rows(frame, key, ids).equals(_plain_rows(theirs, key, ids)):
                message = "the change touches rows of the park this folder includes: make it there"
                raise SymbionetError([Problem(str(file), None, None, message)])
            frame = frame[~frame[key].astype(str).isin(ids)]
        if frame.empty and not file.exists():
            continue
        write_text(file, table_text(_columns(frame, name, file)))
        written.append(file)
    return written


__all__ = ["included_park", "table_text", "write_tables"]
