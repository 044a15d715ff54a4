"""Reading parks as a folder of files, an Excel workbook or a JSON document.

Readers return raw text tables with the line (or sheet row, or record) number of every
row, so that each problem can name where it is; ``write`` holds the writers.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from symbionet.errors import Problem, SymbionetError
from symbionet.register.schema import tables

FORMATS = ("folder", "xlsx", "json")


@dataclass
class RawTable:
    """A table as read: text cells ('' when empty) and where each row came from."""

    name: str
    file: str
    frame: pd.DataFrame
    rows: list[int]


@dataclass
class RawPark:
    """Everything read from a park source, before validation."""

    source: str
    meta: dict[str, Any]
    meta_file: str
    tables: dict[str, RawTable]
    catalogue: dict[str, Any] | None = None
    catalogue_file: str = "catalogue.yaml"
    problems: list[Problem] = field(default_factory=list)


def park_format(path: Path) -> str:
    """The format of a park path: a folder, an .xlsx workbook or a .json document."""
    if path.is_dir():
        return "folder"
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return "xlsx"
    if suffix == ".json":
        return "json"
    if not path.exists():
        raise SymbionetError([Problem(str(path), None, None, "no such park folder or file")])
    raise SymbionetError(
        [Problem(str(path), None, None, "not a park: expected a folder, an .xlsx or a .json file")]
    )


def cell_text(value: Any) -> str:
    """A cell value as the text a CSV file would hold."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    return str(value).strip()


def _frame(header: list[str], rows: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=header, dtype=object) if header else pd.DataFrame()


def _yaml(path: Path, text: str, label: str) -> tuple[Any, list[Problem]]:
    try:
        return yaml.safe_load(text), []
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(error, "problem", None) or "malformed"
        return None, [Problem(label, line, None, f"not valid YAML: {reason}")]


def _read_csv(path: Path, name: str) -> tuple[RawTable | None, list[Problem]]:
    label = path.name
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header: list[str] = []
            rows: list[list[str]] = []
            lines: list[int] = []
            problems: list[Problem] = []
            for record in reader:
                if not any(cell.strip() for cell in record):
                    continue
                if not header:
                    header = [cell.strip() for cell in record]
                    continue
                if len(record) != len(header):
                    problems.append(
                        Problem(
                            label,
                            reader.line_num,
                            None,
                            f"row has {len(record)} fields, the header has {len(header)}",
                        )
                    )
                    continue
                rows.append([cell.strip() for cell in record])
                lines.append(reader.line_num)
    except (UnicodeDecodeError, csv.Error) as error:
        return None, [Problem(label, None, None, f"cannot read as UTF-8 CSV: {error}")]
    if not header:
        return None, [Problem(label, 1, None, "empty file: no header row")]
    return RawTable(name, label, _frame(header, rows), lines), problems


def read_folder(path: Path) -> RawPark:
    """Read a park folder: park.yaml, one CSV per table, optional catalogue.yaml."""
    park = RawPark(str(path), {}, "park.yaml", {})
    for table in tables().values():
        file = path / table.file
        if not file.exists():
            if table.required:
                park.problems.append(Problem(table.file, None, None, "required file is missing"))
            continue
        if table.name == "park":
            meta, problems = _yaml(file, file.read_text(encoding="utf-8"), table.file)
            park.problems += problems
            if meta is not None and not isinstance(meta, dict):
                park.problems.append(Problem(table.file, None, None, "must be a YAML mapping"))
            park.meta = meta if isinstance(meta, dict) else {}
            continue
        raw, problems = _read_csv(file, table.name)
        park.problems += problems
        if raw is not None:
            park.tables[table.name] = raw
    extension = path / "catalogue.yaml"
    if extension.exists():
        data, problems = _yaml(extension, extension.read_text(encoding="utf-8"), extension.name)
        park.problems += problems
        park.catalogue = data if isinstance(data, dict) else None
    return park


def read_xlsx(path: Path) -> RawPark:
    """Read a park workbook: one sheet per table; sheet ``park`` holds key/value rows."""
    from openpyxl import load_workbook

    label = path.name
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        raise SymbionetError(
            [Problem(label, None, None, f"cannot open workbook: {error}")]
        ) from None
    park = RawPark(str(path), {}, f"{label}[park]", {})
    sheets = {name.strip().lower(): workbook[name] for name in workbook.sheetnames}
    for table in tables().values():
        sheet = sheets.get(table.name)
        where = f"{label}[{table.name}]"
        if sheet is None:
            if table.required:
                park.problems.append(Problem(where, None, None, "required sheet is missing"))
            continue
        values = [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        numbered = [(i + 1, row) for i, row in enumerate(values) if any(row)]
        if not numbered:
            park.problems.append(Problem(where, 1, None, "empty sheet: no header row"))
            continue
        (_, header), body = numbered[0], numbered[1:]
        width = max((len(row) for _, row in numbered), default=0)
        while header and not header[-1]:
            header = header[:-1]
        if table.name == "park":
            for number, row in body:
                key, value = ([*row, "", ""])[:2]
                declared = table.column(key)
                if value and declared is not None and declared.type == "mapping":
                    parsed, problems = _yaml(path, value, where)
                    park.problems += [Problem(where, number, key, p.message) for p in problems]
                    park.meta[key] = parsed
                elif value:
                    park.meta[key] = value
            continue
        rows = [row[: len(header)] for _, row in body]
        extra = [(n, row) for n, row in body if any(row[len(header) : width])]
        for number, _ in extra:
            park.problems.append(
                Problem(where, number, None, "values beyond the last header column")
            )
        park.tables[table.name] = RawTable(
            table.name, where, _frame(header, rows), [n for n, _ in body]
        )
    if "catalogue" in sheets:
        cell = next(sheets["catalogue"].iter_rows(values_only=True), (None,))[0]
        data, problems = _yaml(path, str(cell or ""), f"{label}[catalogue]")
        park.problems += problems
        park.catalogue = data if isinstance(data, dict) else None
    workbook.close()
    return park


def read_json(path: Path) -> RawPark:
    """Read a park JSON document: {"park": {...}, "actors": [{...}], ...}."""
    label = path.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        line = getattr(error, "lineno", None)
        raise SymbionetError([Problem(label, line, None, f"not valid JSON: {error}")]) from None
    if not isinstance(data, dict):
        raise SymbionetError([Problem(label, None, None, "must be a JSON object")])
    park = RawPark(str(path), {}, f"{label}#park", {})
    for table in tables().values():
        where = f"{label}#{table.name}"
        entry = data.get(table.name)
        if entry is None:
            if table.required:
                park.problems.append(Problem(where, None, None, "required table is missing"))
            continue
        if table.name == "park":
            if isinstance(entry, dict):
                park.meta = entry
            else:
                park.problems.append(Problem(where, None, None, "must be an object"))
            continue
        if not isinstance(entry, list) or not all(isinstance(r, dict) for r in entry):
            park.problems.append(Problem(where, None, None, "must be a list of objects"))
            continue
        header = list(dict.fromkeys(key for record in entry for key in record))
        rows = [[cell_text(record.get(key)) for key in header] for record in entry]
        park.tables[table.name] = RawTable(
            table.name, where, _frame(header, rows), list(range(1, len(rows) + 1))
        )
    unknown = sorted(set(data) - set(tables()) - {"catalogue"})
    for key in unknown:
        park.problems.append(Problem(label, None, key, "unknown table"))
    if isinstance(data.get("catalogue"), dict):
        park.catalogue = data["catalogue"]
    return park


def read_park(path: Path) -> RawPark:
    """Read a park from a folder, workbook or JSON document."""
    reader = {"folder": read_folder, "xlsx": read_xlsx, "json": read_json}[park_format(path)]
    return reader(path)
