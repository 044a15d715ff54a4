"""Reading parks as a folder of files, an Excel workbook, a JSON file or a document in memory.

Readers return raw text tables with the line (or sheet row, or record) number of every
row, so that each problem can name where it is; ``write`` holds the writers. Whatever a
file holds, reading it ends in a table or in problems: text must be UTF-8, YAML may not
use aliases, nesting is bounded, links may not leave the park folder, and a workbook is
read row by row, neither trusting its stored size nor taking a formula without its value.
A document in memory (a dict, or JSON text) is read exactly as the JSON file it stands for
would be, without touching the disk.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from symbionet.errors import Problem, SymbionetError
from symbionet.register.excel import CATALOGUE_SHEETS, catalogue_from_sheets, plain_text
from symbionet.register.schema import MAX_DEPTH, tables

FORMATS = ("folder", "xlsx", "json")
MAX_SHEET_ROWS = 1_048_576  # Excel's own limit
DELIMITERS = ",;\t"
_LONG_NUMBER = "a number too long to read (over 4,300 digits)"


@dataclass
class RawTable:
    """A table as read: text cells ('' when empty) and where each row came from."""

    name: str
    file: str
    frame: pd.DataFrame
    rows: list[int]
    first: dict[str, int] = field(default_factory=dict)
    """The row where each column is first given, for tables without a header row (JSON)."""
    typed: frozenset[tuple[int, str]] = frozenset()
    """The cells (row position, column) a typed source (JSON, a worksheet) gave as numbers,
    not as text: a typed number is never a local form such as Danish thousands."""
    row_files: list[str] = field(default_factory=list)
    """The file of each row, where rows come from more than one (a park that includes
    another); empty when every row is in ``file``."""

    def file_of(self, position: int) -> str:
        """The file the row at ``position`` was read from."""
        return self.row_files[position] if self.row_files else self.file

    def after(self, included: RawTable) -> RawTable:
        """This table's rows after those of the same table in an included park."""
        frame = pd.concat([included.frame, self.frame], ignore_index=True).fillna("")
        files = [included.file_of(i) for i in range(len(included.rows))]
        files += [self.file_of(i) for i in range(len(self.rows))]
        first = included.first | self.first
        return RawTable(
            self.name, self.file, frame, included.rows + self.rows, first, row_files=files
        )


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
    document: bool = False
    """Read from a document in memory: its problems are located by path (``actors[3].nace``)."""

    def add_catalogue(self, data: Any, file: str) -> None:
        """Keep the park's catalogue extension; one that is not a mapping is a problem."""
        self.catalogue_file = file
        if isinstance(data, dict):
            self.catalogue = data
        elif data is not None:
            message = "must be a mapping of catalogue sections (resources, routes, references)"
            self.problems.append(Problem(file, None, None, message))


def park_format(path: Path) -> str:
    """The format of a park path: a folder, an .xlsx workbook or a .json document."""
    try:
        folder, exists = path.is_dir(), path.exists()
    except OSError as error:  # a name too long, for one
        message = f"cannot read: {error.strerror or error}"
        raise SymbionetError([Problem(str(path), None, None, message)]) from None
    if folder:
        return "folder"
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return "xlsx"
    if suffix == ".json":
        return "json"
    if not exists:
        raise SymbionetError([Problem(str(path), None, None, "no such park folder or file")])
    raise SymbionetError(
        [Problem(str(path), None, None, "not a park: expected a folder, an .xlsx or a .json file")]
    )


def cell_text(value: Any) -> str:
    """A cell value as the text a CSV file would hold, line breaks as ``\n`` whichever
    system wrote them (a bare carriage return would end a CSV row)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _frame(header: list[str], rows: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=header, dtype=object) if header else pd.DataFrame()


def read_text(path: Path, label: str) -> tuple[str | None, list[Problem]]:
    """The text of a UTF-8 file (a byte-order mark is skipped), or the problem reading it."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, [Problem(label, None, None, f"cannot read: {error.strerror or error}")]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return None, [
            Problem(
                label,
                line,
                None,
                f"not UTF-8 text (byte 0x{data[error.start]:02x} cannot be read): save the "
                "file as UTF-8 (in Excel: 'CSV UTF-8'; in an editor: encoding UTF-8)",
            )
        ]


class _Loader(yaml.SafeLoader):
    """Safe YAML without aliases (a few anchors can expand a billion-fold) and with
    bounded nesting."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        mark = self.peek_event().start_mark
        if self.check_event(yaml.AliasEvent):
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not accepted: write the value out",
                problem_mark=mark,
            )
        if self.depth >= MAX_DEPTH:
            raise yaml.MarkedYAMLError(
                problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=mark
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _yaml(text: str, label: str) -> tuple[Any, list[Problem]]:
    try:
        return yaml.load(text, Loader=_Loader), []
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(error, "problem", None) or "malformed"
        return None, [Problem(label, line, None, f"not valid YAML: {reason}")]
    except ValueError:  # an integer of more digits than Python converts
        return None, [Problem(label, None, None, f"not valid YAML: {_LONG_NUMBER}")]


def _yaml_file(path: Path, label: str) -> tuple[Any, list[Problem]]:
    text, problems = read_text(path, label)
    return (None, problems) if text is None else _yaml(text, label)


def _too_deep(data: Any) -> bool:
    """Whether lists and mappings nest more than MAX_DEPTH levels (checked without recursion).
    A value a Python document holds in many places is counted once a level, so that sharing
    cannot multiply the work, and one that holds itself is too deep."""
    level = [data]
    for _ in range(MAX_DEPTH + 1):
        children = (
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        )
        level = list({id(child): child for child in children}.values())
        if not level:
            return False
    return True


def _nested(label: str, document: bool = False) -> SymbionetError:
    message = f"nested more than {MAX_DEPTH} levels deep"
    return SymbionetError([Problem(label, None, None, message, document=document)])


def _delimiter(text: str) -> str:
    """The delimiter of a CSV text, sniffed from its header: comma, semicolon or tab."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return max(DELIMITERS, key=header.count) if any(d in header for d in DELIMITERS) else ","


def _read_csv(path: Path, name: str) -> tuple[RawTable | None, list[Problem]]:
    label = path.name
    text, problems = read_text(path, label)
    if text is None:
        return None, problems
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header: list[str] = []
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if not header:
                header = [cell.strip() for cell in record]
                continue
            if len(record) != len(header):
                split = len(record) > len(header) and any(
                    a.strip().isdigit() and b.strip().isdigit() for a, b in pairwise(record)
                )
                problems.append(
                    Problem(
                        label,
                        reader.line_num,
                        None,
                        f"row has {len(record)} fields, the header has {len(header)}"
                        + (" (a decimal comma splits a number in two: write 1.5)" * split),
                    )
                )
                continue
            rows.append([plain_text(cell_text(cell)) for cell in record])
            lines.append(reader.line_num)
    except csv.Error as error:
        return None, [Problem(label, reader.line_num, None, f"cannot read as CSV: {error}")]
    if not header:
        return None, [Problem(label, 1, None, "empty file: no header row")]
    return RawTable(name, label, _frame(header, rows), lines), problems


def _outside(folder: Path, file: Path) -> Problem | None:
    """The problem with a park file that is not a plain file inside the park folder."""
    if not Path(os.path.realpath(file)).is_relative_to(os.path.realpath(folder)):
        return Problem(file.name, None, None, "links to a file outside the park folder: refused")
    if not file.is_file():
        return Problem(file.name, None, None, "not a plain file")
    return None


MISSING = "required file is missing"

INCLUDE = "include"
"""The park.yaml key naming another park folder whose rows a park builds on."""


def read_folder(path: Path, include: bool = True, seen: tuple[Path, ...] = ()) -> RawPark:
    """Read a park folder: park.yaml, one CSV per table, optional catalogue.yaml.

    A park.yaml with ``include: ../other`` builds on another park folder: its rows come
    first, the same organisations and streams rather than copies, and its settings hold
    where the including park gives none. ``include`` is refused where it is ``False``
    (an uploaded folder must be whole).
    """
    park = _read_one_folder(path)
    target = park.meta.pop(INCLUDE, None)
    if target is None:
        return park
    if not include or not isinstance(target, str) or not target.strip():
        message = (
            "include names a park folder beside this one"
            if include
            else ("include is for park folders on disk: upload the whole park")
        )
        park.problems.append(Problem(park.meta_file, None, INCLUDE, message))
        return park
    folder = (path / target).resolve()
    if folder in seen or folder == path.resolve():
        park.problems.append(Problem(park.meta_file, None, INCLUDE, f"{target} includes itself"))
        return park
    if not folder.is_dir():
        message = f"no park folder {target} (relative to {path})"
        park.problems.append(Problem(park.meta_file, None, INCLUDE, message))
        return park
    base = read_folder(folder, include, (*seen, path.resolve()))
    label = Path(target)
    for raw in base.tables.values():
        raw.row_files = [str(label / raw.file_of(i)) for i in range(len(raw.rows))]
        raw.file = str(label / raw.file)
    merged = dict(base.tables)
    for name, raw in park.tables.items():
        merged[name] = raw.after(merged[name]) if name in merged else raw
    park.tables = {name: merged[name] for name in tables() if name in merged}
    given = {tables()[name].file for name in park.tables}
    park.problems = [p for p in park.problems if not (p.file in given and p.message == MISSING)]
    park.meta = base.meta | park.meta
    park.problems = [
        replace(p, file=str(label / p.file)) if p.file else p for p in base.problems
    ] + park.problems
    if base.catalogue:
        park.catalogue = _merged(base.catalogue, park.catalogue or {})
    return park


def _merged(base: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """Catalogue extensions merged section by section, the including park's entries last."""
    result = dict(base)
    for section, entries in own.items():
        if isinstance(entries, dict) and isinstance(result.get(section), dict):
            result[section] = result[section] | entries
        else:
            result[section] = entries
    return result


def _read_one_folder(path: Path) -> RawPark:
    """One park folder as it is, its ``include`` not yet followed."""
    park = RawPark(str(path), {}, "park.yaml", {})
    for table in tables().values():
        file = path / table.file
        if not file.exists() and not file.is_symlink():
            if table.required:
                park.problems.append(Problem(table.file, None, None, MISSING))
            continue
        if refused := _outside(path, file):
            park.problems.append(refused)
            continue
        if table.name == "park":
            meta, problems = _yaml_file(file, table.file)
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
    if extension.exists() or extension.is_symlink():
        if refused := _outside(path, extension):
            park.problems.append(refused)
            return park
        data, problems = _yaml_file(extension, extension.name)
        park.problems += problems
        park.add_catalogue(data, extension.name)
    return park


def _rows(sheet: Any, where: str) -> Iterator[tuple[int, list[Any]]]:
    """The rows a sheet holds, numbered as in Excel. The stored dimension is ignored: a
    stale one would drop rows, a huge one would pad the sheet with millions of cells."""
    sheet.reset_dimensions()
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > MAX_SHEET_ROWS:
            raise SymbionetError([Problem(where, number, None, f"over {MAX_SHEET_ROWS:,} rows")])
        if values:
            yield number, list(values)


def _is_formula(value: Any) -> bool:
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    return isinstance(value, ArrayFormula | DataTableFormula) or (
        isinstance(value, str) and value.startswith("=")
    )


def _sheet_rows(
    written: Any, saved: Callable[[], Any], name: str, where: str
) -> tuple[list[tuple[int, list[str]]], list[Problem], set[tuple[int, int]]]:
    """Non-empty rows of a sheet as text, numbered as in Excel, its formula problems, and
    the cells (row number, column position) that hold numbers rather than text.

    ``written`` is the workbook as written (formulas as text); ``saved`` opens it with
    the values Excel saved for its formulas, read only where the sheet has formulas.
    """
    from openpyxl.utils import get_column_letter

    values = dict(_rows(written[name], where))
    formulas = {
        (number, column): getattr(value, "text", value)
        for number, row in values.items()
        for column, value in enumerate(row)
        if _is_formula(value)
    }
    if formulas:
        cached = dict(_rows(saved()[name], where))
        for number, column in formulas:
            row = cached.get(number, [])
            values[number][column] = row[column] if column < len(row) else None
    rows = [(n, text) for n, row in values.items() if any(text := [cell_text(v) for v in row])]
    header = rows[0][1] if rows else []
    problems = [
        Problem(
            where,
            number,
            header[column] if column < len(header) and header[column] else None,
            f"cell {get_column_letter(column + 1)}{number} holds the formula {formula} without "
            "a saved value: open and save the workbook in Excel, or enter the value",
        )
        for (number, column), formula in formulas.items()
        if values[number][column] is None
    ]
    numbers = {
        (number, column)
        for number, row in values.items()
        for column, value in enumerate(row)
        if _is_number(value)
    }
    return rows, problems, numbers


def _is_number(value: Any) -> bool:
    """Whether a typed cell (JSON, a worksheet) holds a number, not text or true/false."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def read_xlsx(path: Path) -> RawPark:
    """Read a park workbook: one sheet per table; sheet ``park`` holds key/value rows."""
    from openpyxl import load_workbook

    with ExitStack() as files, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns of features it does not read

        def open_book(saved: bool) -> Any:
            return load_workbook(
                files.enter_context(path.open("rb")), read_only=True, data_only=saved
            )

        try:
            return _read_workbook(path, open_book(False), cache(lambda: open_book(True)))
        except SymbionetError:
            raise
        except Exception as error:  # openpyxl raises many kinds, some only while reading rows
            raise SymbionetError(
                [Problem(path.name, None, None, f"cannot read workbook: {error}")]
            ) from None


def _read_workbook(path: Path, workbook: Any, saved: Callable[[], Any]) -> RawPark:
    label = path.name
    park = RawPark(str(path), {}, f"{label}[park]", {})
    names = {name.strip().lower(): name for name in workbook.sheetnames}
    for table in tables().values():
        where = f"{label}[{table.name}]"
        if table.name not in names:
            if table.required:
                park.problems.append(Problem(where, None, None, "required sheet is missing"))
            continue
        sheet = names[table.name]
        numbered, problems, numbers = _sheet_rows(workbook, saved, sheet, where)
        park.problems += problems
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
                    parsed, problems = _yaml(value, where)
                    park.problems += [Problem(where, number, key, p.message) for p in problems]
                    park.meta[key] = parsed
                elif value:
                    park.meta[key] = value
            continue
        rows = [[*row, *[""] * (len(header) - len(row))][: len(header)] for _, row in body]
        extra = [(n, row) for n, row in body if any(row[len(header) : width])]
        for number, _ in extra:
            park.problems.append(
                Problem(where, number, None, "values beyond the last header column")
            )
        typed = frozenset(
            (position, header[column])
            for position, (number, _) in enumerate(body)
            for column in range(len(header))
            if (number, column) in numbers
        )
        park.tables[table.name] = RawTable(
            table.name, where, _frame(header, rows), [n for n, _ in body], typed=typed
        )
    sheets = {}
    for sheet in CATALOGUE_SHEETS:
        if sheet in names:
            cells, problems, _ = _sheet_rows(workbook, saved, names[sheet], f"{label}[{sheet}]")
            park.problems += problems
            sheets[sheet] = cells
    if sheets:
        data, problems = catalogue_from_sheets(sheets, label, _yaml)
        park.problems += problems
        park.add_catalogue(data, f"{label}[catalogue]")
    return park


def _parse_json(text: str, file: str) -> Any:
    """The data of a JSON text from ``file`` ('' for a document in memory), bounded in depth."""
    document = not file
    try:
        # NaN and Infinity stay text, so that validation refuses them where they stand
        data = json.loads(text, parse_constant=str)
    except json.JSONDecodeError as error:
        line = None if document else error.lineno
        raise SymbionetError(
            [Problem(file, line, None, f"not valid JSON: {error}", document=document)]
        ) from None
    except ValueError:
        raise SymbionetError(
            [Problem(file, None, None, f"not valid JSON: {_LONG_NUMBER}", document=document)]
        ) from None
    except RecursionError:
        raise _nested(file, document) from None
    if _too_deep(data):
        raise _nested(file, document)
    return data


def _many(value: Any) -> str | None:
    """What a JSON table cell holds if it is not a single value: a list or an object."""
    return "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else None


def _read_data(data: Any, file: str, source: str) -> RawPark:
    """Read the parsed JSON document of a park: {"park": {...}, "actors": [{...}], ...}.

    ``file`` is the JSON file's name, located as ``park.json#actors:4:nace`` (record number
    from 1); '' for a document in memory, located as ``actors[3].nace`` (index from 0).
    """
    document = not file

    def where(part: str) -> str:
        return f"{file}#{part}" if file else part

    def problem(part: str, row: int | None, column: str | None, message: str) -> Problem:
        return Problem(where(part) if part else file, row, column, message, document=document)

    if not isinstance(data, dict):
        raise SymbionetError([problem("", None, None, "must be a JSON object")])
    park = RawPark(source, {}, where("park"), {}, document=document)
    for table in tables().values():
        entry = data.get(table.name)
        if entry is None:
            if table.required:
                park.problems.append(problem(table.name, None, None, "required table is missing"))
            continue
        if table.name == "park":
            if isinstance(entry, dict):
                park.meta = entry
            else:
                park.problems.append(problem(table.name, None, None, "must be an object"))
            continue
        if not isinstance(entry, list):
            park.problems.append(problem(table.name, None, None, "must be a list of objects"))
            continue
        records: list[tuple[int, dict[str, Any]]] = []
        for index, record in enumerate(entry, start=int(not document)):
            if not isinstance(record, dict):
                kind = "a list" if isinstance(record, list) else "a single value"
                message = f"must be an object of fields, not {kind}"
                park.problems.append(problem(table.name, index, None, message))
                continue
            for key, value in record.items():
                if many := _many(value):
                    message = f"must be a single value (text, a number, true or false), not {many}"
                    park.problems.append(problem(table.name, index, key, message))
            records.append((index, {k: v for k, v in record.items() if not _many(v)}))
        # a required field left out of a record is located there, as an empty one
        required = [column.name for column in table.columns if column.required]
        first: dict[str, int] = {}
        for index, record in records:
            for key in record:
                first.setdefault(key, index)
        header = list(dict.fromkeys([*required, *first]))
        rows = [[cell_text(record.get(key)) for key in header] for _, record in records]
        typed = frozenset(
            (position, key)
            for position, (_, record) in enumerate(records)
            for key, value in record.items()
            if _is_number(value)
        )
        park.tables[table.name] = RawTable(
            table.name,
            where(table.name),
            _frame(header, rows),
            [i for i, _ in records],
            first,
            typed,
        )
    for key in sorted(set(data) - set(tables()) - {"catalogue"}):
        park.problems.append(problem("", None, key, "unknown table"))
    park.add_catalogue(data.get("catalogue"), where("catalogue"))
    return park


def read_json(path: Path) -> RawPark:
    """Read a park JSON file."""
    text, problems = read_text(path, path.name)
    if text is None:
        raise SymbionetError(problems)
    return _read_data(_parse_json(text, path.name), path.name, str(path))


def read_document(document: Mapping[str, Any] | str | bytes) -> RawPark:
    """Read a park document in memory: a dict as ``Park.to_document()`` gives it, or its
    JSON text (str or UTF-8 bytes). A dict is read as the JSON text it stands for."""

    def refuse(message: str) -> SymbionetError:
        return SymbionetError([Problem("", None, None, message, document=True)])

    if isinstance(document, Mapping):
        if _too_deep(data := dict(document)):
            raise _nested("", document=True)
        try:
            text = json.dumps(data, ensure_ascii=False)
        except (TypeError, ValueError) as error:  # a value JSON cannot hold
            raise refuse(f"not a JSON document: {error}") from None
    elif isinstance(document, bytes):
        try:
            text = document.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise refuse(f"not UTF-8 text: {error}") from None
    elif isinstance(document, str):
        text = document
    else:
        kind = type(document).__name__
        raise refuse(f"a park document is a dict or JSON text (str or bytes), not {kind}")
    return _read_data(_parse_json(text, ""), "", "document")


def read_park(path: Path) -> RawPark:
    """Read a park from a folder, workbook or JSON document."""
    reader = {"folder": read_folder, "xlsx": read_xlsx, "json": read_json}[park_format(path)]
    return reader(path)
