"""Parks in and out as bytes: the uploads, downloads and Excel template of the web platform.

Everything here takes and gives bytes, never a path of the caller's: an upload is read by
the park readers from a private temporary folder, removed afterwards, and a download is
written there and read back. An upload is read whole or not at all: any invalid row
raises ``SymbionetError`` listing every problem as ``file:row:column``, located exactly as
``symbionet check`` locates it in the same file, and nothing is returned.

- :func:`read_upload`: a park as a zip of its folder, an Excel workbook, or a JSON or YAML
  document.
- :func:`merge_table_upload`: one table as CSV whose rows add to or replace rows of a park
  by id; with ``actor``, a partner may enter only its own rows.
- :func:`park_download`: a park in any of :data:`DOWNLOADS`, read back by
  :func:`read_upload` as the same park.
- :func:`excel_template`: an empty workbook with drop-down lists, ready to fill in.
"""

from __future__ import annotations

import io
import json
import math
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from symbionet.errors import Problem, SymbionetError
from symbionet.register.io import (
    RawPark,
    RawTable,
    _read_csv,
    _read_data,
    _yaml,
    read_document,
    read_folder,
    read_json,
    read_text,
    read_xlsx,
)
from symbionet.register.park import Park, build_park
from symbionet.register.schema import Column, Table, tables
from symbionet.register.write import park_document, write_folder, write_xlsx

if TYPE_CHECKING:
    from symbionet.register.catalogue import Catalogue

MAX_UNPACKED = 200 * 1024**2
"""The most bytes an uploaded zip (or workbook, itself a zip) may unpack to."""
MAX_ENTRIES = 10_000
"""The most entries an uploaded zip may hold."""

DOWNLOADS = ("folder", "xlsx", "json", "yaml")
"""The formats a park downloads in: its folder as a zip, a workbook, a JSON or YAML document."""

MEDIA_TYPES = {
    "folder": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "yaml": "application/yaml",
}
SUFFIXES = {"folder": ".zip", "xlsx": ".xlsx", "json": ".json", "yaml": ".yaml"}
_UPLOADS = {
    ".zip": "folder",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
}
_JUNK = {".DS_Store", "Thumbs.db", "desktop.ini"}
"""Files an archiver or a desktop adds to a zip; passed over."""
_CHUNK = 1024**2


def _refuse(file: str, message: str, row: int | None = None, column: str | None = None) -> Problem:
    return Problem(file, row, column, message)


def _name(filename: str) -> str:
    """The file name of an upload without any folders a browser or client sent with it,
    control characters or more than 50 characters before its suffix if it is long."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", re.split(r"[\\/]", str(filename).strip())[-1])
    path = PurePosixPath(name)
    return path.stem[:50] + path.suffix[:10] if len(name.encode()) > 200 else name


@contextmanager
def _scratch() -> Iterator[Path]:
    """A private temporary folder, removed whatever happens."""
    folder = tempfile.mkdtemp(prefix="symbionet-")
    try:
        yield Path(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- uploads ---------------------------------------------------------------------------


def read_upload(data: bytes, filename: str) -> Park:
    """The park in an upload: a ``.zip`` of a park folder (its files at the zip's root or in
    one top folder), an ``.xlsx`` workbook, or a ``.json`` or ``.yaml`` park document.

    Raises ``SymbionetError`` with every problem, each located as ``symbionet check``
    locates it (``streams.csv:5:quantity``, ``park.xlsx[streams]:5:quantity``); a zip that
    is damaged, leaves its folder, holds links or unpacks to more than
    :data:`MAX_UNPACKED` bytes is refused whole.
    """
    label = _name(filename)
    kind = _UPLOADS.get(PurePosixPath(label.lower()).suffix)
    if kind is None:
        message = "not a park: upload a .zip of a park folder, an .xlsx, a .json or a .yaml file"
        raise SymbionetError([_refuse(label or filename, message)])
    if not isinstance(data, bytes | bytearray):
        raise SymbionetError([_refuse(label, f"an upload is bytes, not {type(data).__name__}")])
    data = bytes(data)
    with _scratch() as folder:
        if kind == "folder":
            raw = read_folder(_unzip(data, label, folder / "park"), include=False)
        elif kind == "xlsx":
            _entries(data, label, workbook=True)  # a workbook is a zip: bounded like one
            path = folder / label
            path.write_bytes(data)
            raw = read_xlsx(path)
        elif kind == "json":
            path = folder / label
            path.write_bytes(data)
            raw = read_json(path)
        else:
            path = folder / label
            path.write_bytes(data)
            raw = _read_yaml_document(path)
    raw.source = label
    return build_park(raw)


def _read_yaml_document(path: Path) -> RawPark:
    """A park document in YAML, read as the JSON document it stands for (records located
    as ``park.yaml#streams:4:quantity``, counted from 1)."""
    label = path.name
    text, problems = read_text(path, label)
    if text is None:
        raise SymbionetError(problems)
    data, problems = _yaml(text, label)
    if problems:
        raise SymbionetError(problems)
    if isinstance(data, dict) and "park" not in data and "name" in data:
        message = (
            "the park.yaml of a park folder, not a park document: upload the folder as a zip, "
            "or a document whose park key holds these keys"
        )
        raise SymbionetError([_refuse(label, message)])
    return _read_data(_as_json(data), label, label)


def _as_json(value: Any) -> Any:
    """YAML data as JSON would hold it: dates as their text, and NaN and infinity as text,
    so that validation refuses them where they stand instead of reading an empty cell."""
    if isinstance(value, dict):
        return {str(key): _as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _entries(data: bytes, label: str, workbook: bool = False) -> list[zipfile.ZipInfo]:
    """The entries of a zip, after refusing what must not be unpacked. A ``workbook`` is
    only bounded in size: the workbook reader says what is wrong with a damaged one."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        if workbook:
            return []
        message = f"not a zip archive, or a damaged one ({error}): zip the park folder again"
        raise SymbionetError([_refuse(label, message)]) from None
    with archive:
        entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        message = f"holds {len(entries):,} entries: at most {MAX_ENTRIES:,} are unpacked"
        raise SymbionetError([_refuse(label, message)])
    problems = []
    for entry in [] if workbook else entries:
        name = entry.filename
        parts = name.replace("\\", "/").split("/")
        mode = entry.external_attr >> 16
        if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
            problems.append(_refuse(label, f"{name}: an absolute path: refused"))
        elif ".." in parts:
            problems.append(_refuse(label, f"{name}: a path out of the archive's folder: refused"))
        elif mode & 0o170000 == 0o120000:
            problems.append(_refuse(label, f"{name}: a symbolic link: refused"))
        elif not entry.is_dir() and mode & 0o170000 not in (0, 0o100000):
            problems.append(_refuse(label, f"{name}: not a plain file: refused"))
    total = sum(entry.file_size for entry in entries)
    if total > MAX_UNPACKED:
        problems.append(
            _refuse(
                label,
                f"unpacks to {total / 1024**2:,.0f} MB: at most {MAX_UNPACKED // 1024**2} MB "
                "are accepted",
            )
        )
    if problems:
        raise SymbionetError(problems)
    return entries


def _unzip(data: bytes, label: str, folder: Path) -> Path:
    """Unpack the park folder a zip holds into ``folder``: the files at its root, or those
    of its one top folder. Only the park folder's own files are written."""
    entries = _entries(data, label)
    files: dict[tuple[str, ...], zipfile.ZipInfo] = {}
    for entry in entries:
        parts = tuple(p for p in entry.filename.replace("\\", "/").split("/") if p not in ("", "."))
        if entry.is_dir() or not parts or parts[0] == "__MACOSX" or parts[-1] in _JUNK:
            continue
        if parts in files:
            raise SymbionetError([_refuse(label, f"{'/'.join(parts)}: in the zip twice")])
        files[parts] = entry
    if not files:
        raise SymbionetError([_refuse(label, "holds no files: zip a park folder")])
    if not any(len(parts) == 1 for parts in files):
        tops = sorted({parts[0] for parts in files})
        if len(tops) > 1:
            shown = ", ".join(tops[:5]) + (", ..." if len(tops) > 5 else "")
            message = f"holds several folders ({shown}): zip one park folder"
            raise SymbionetError([_refuse(label, message)])
        files = {parts[1:]: entry for parts, entry in files.items()}
    folder.mkdir()
    unpacked = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for parts, entry in files.items():
            if len(parts) != 1:
                continue  # the park readers read the folder's own files only
            try:
                with archive.open(entry) as source, (folder / parts[0]).open("wb") as target:
                    while chunk := source.read(_CHUNK):
                        unpacked += len(chunk)
                        if unpacked > MAX_UNPACKED:
                            limit = MAX_UNPACKED // 1024**2
                            message = f"unpacks to more than {limit} MB: refused"
                            raise SymbionetError([_refuse(label, message)])
                        target.write(chunk)
            except (
                zipfile.BadZipFile,
                RuntimeError,  # encrypted
                NotImplementedError,  # a compression method zipfile does not read
                zlib.error,
                EOFError,
                OSError,
                ValueError,
            ) as error:
                message = f"{entry.filename}: cannot unpack ({error}): zip the park folder again"
                raise SymbionetError([_refuse(label, message)]) from None
    return folder


# --- one table merged into a park -------------------------------------------------------

OWNED = ("actors", "sites", "streams", "technologies")
"""The tables whose rows belong to one actor: what a partner may upload."""


def merge_table_upload(park: Park, data: bytes, filename: str, actor: str | None = None) -> Park:
    """The park with the rows of one uploaded CSV table added, or replacing the rows of the
    same id; the file name names the table (``streams.csv``). The whole resulting park is
    validated: any problem raises ``SymbionetError`` and the park is unchanged.

    Problems of the upload are located at its CSV line and column
    (``streams.csv:3:quantity``); rows of the park it makes invalid are located by path
    (``exchanges[2].quantity``). With ``actor`` (a partner entering its own data) every row
    must belong to that actor: actors its own row, sites and technologies and streams at
    its sites; a row of another actor's id is refused without saying more of it, and the
    problems the change would cause in rows the partner does not own are not described.
    """
    label = _name(filename)
    table = _upload_table(label)
    if actor is not None:
        if actor not in park.actors.index:
            raise SymbionetError([_refuse(label, f"unknown actor {actor!r}")])
        if table.name not in OWNED:
            allowed = ", ".join(tables()[name].file for name in OWNED)
            message = f"is kept by the park's facilitator: a partner uploads {allowed}"
            raise SymbionetError([_refuse(label, message)])
    if not isinstance(data, bytes | bytearray):
        raise SymbionetError([_refuse(label, f"an upload is bytes, not {type(data).__name__}")])
    with _scratch() as folder:
        path = folder / table.file
        path.write_bytes(bytes(data))
        upload, problems = _read_csv(path, table.name)
    problems = [replace(p, file=label) for p in problems]
    if upload is None or problems:
        raise SymbionetError(problems)
    upload.file = label
    header = _header_problems(upload, table)
    if header:
        raise SymbionetError(header)
    if not upload.rows:
        raise SymbionetError([_refuse(label, "holds no rows: nothing to add or replace")])
    if actor is not None and (refused := _not_owned(park, upload, table, actor)):
        raise SymbionetError(refused)
    if actor is None:
        return _build_merged(park, upload, table, None)
    # A partner is told what the park as it sees it says of its rows, and no more: a
    # problem only the rest of the park shows (another partner's confidential stream, an
    # exchange with it) is not described.
    seen = _build_merged(park.visible_to(actor), upload, table, actor)
    try:
        merged = _build_merged(park, upload, table, None)
    except SymbionetError:
        raise SymbionetError([_refuse(label, _BREAKS)]) from None
    merged.warnings = seen.warnings
    return merged


_BREAKS = (
    "these rows would make rows of the park that other partners share invalid: "
    "the park's facilitator can tell which"
)


def _build_merged(park: Park, upload: RawTable, table: Table, actor: str | None) -> Park:
    """The park with the upload merged, validated whole; its problems located by
    :func:`_located`."""
    raw = read_document(park.to_document())
    raw.document = False  # problems are located below: in the upload or by path in the park
    raw.source = park.source
    raw.tables[table.name] = _merged(raw.tables.get(table.name), upload, table)
    try:
        merged = build_park(raw)
    except SymbionetError as error:
        raise SymbionetError(_located(error.problems, upload.file, table, actor)) from None
    merged.warnings = _located(merged.warnings, upload.file, table, actor)
    return merged


def _upload_table(label: str) -> Table:
    """The table an uploaded CSV file's name names."""
    files = {table.file: table for name, table in tables().items() if name != "park"}
    table = files.get(label.lower())
    if table is None:
        names = ", ".join(files)
        message = f"not a table of a park: name the CSV file as its table ({names})"
        raise SymbionetError([_refuse(label or "upload", message)])
    return table


def _header_problems(upload: RawTable, table: Table) -> list[Problem]:
    """The problems of the upload's columns (unknown, repeated, missing), before its rows."""
    from symbionet.register.validate import coerce

    _, problems = coerce(upload, table)
    return [p for p in problems if p.row in (None, 1)]


def _key(table: Table) -> str:
    return "period" if table.name == "profiles" else str(table.id_column)


def _key_text(value: str, table: Table) -> str:
    """A row's id as compared: a period as its number (``01`` is period 1)."""
    if table.name == "profiles":
        try:
            number = float(value)
        except ValueError:
            return value
        return str(int(number)) if number.is_integer() else value
    return value


def _column(upload: RawTable, name: str) -> list[str]:
    return list(upload.frame[name]) if name in upload.frame else [""] * len(upload.rows)


def _not_owned(park: Park, upload: RawTable, table: Table, actor: str) -> list[Problem]:
    """The rows of an upload that are not ``actor``'s own (see :data:`OWNED`)."""
    own_sites = set(park.sites.index[park.sites["actor"] == actor])
    ids = _column(upload, "id")
    if table.name == "actors":
        owned_ids = {actor}
    elif table.name == "sites":
        owned_ids = own_sites
    else:
        frame = park.table(table.name)
        owned_ids = set(frame.index[frame["site"].isin(own_sites)])
    known = set(park.table(table.name).index)
    problems = []

    def not_theirs(line: int, column: str, value: str) -> None:
        message = f"{value!r} is not one of the rows of {actor!r}"
        problems.append(_refuse(upload.file, message, line, column))

    for line, row_id, position in zip(upload.rows, ids, range(len(ids)), strict=True):
        if row_id in known and row_id not in owned_ids:
            not_theirs(line, "id", row_id)
            continue
        if table.name == "actors" and row_id and row_id != actor:
            not_theirs(line, "id", row_id)
        elif table.name == "sites":
            owner_id = _column(upload, "actor")[position]
            if owner_id != actor:
                message = f"must be {actor!r}: a partner enters its own sites only"
                problems.append(_refuse(upload.file, message, line, "actor"))
        elif table.name in ("streams", "technologies"):
            site = _column(upload, "site")[position]
            if site not in own_sites:
                message = f"{site!r} is not one of the sites of {actor!r}"
                problems.append(_refuse(upload.file, message, line, "site"))
    return problems


def _merged(existing: RawTable | None, upload: RawTable, table: Table) -> RawTable:
    """The park's rows of a table with the upload's: a row of an uploaded id takes the place
    of the park's row, new ones follow. The park's rows are numbered -1, -2... (row 0 of the
    park is -1), the upload's by their CSV lines, so that each problem can be placed."""
    key = _key(table)
    columns = list(existing.frame.columns) if existing is not None else []
    columns += [c for c in upload.frame.columns if c not in columns]
    uploaded: dict[str, list[int]] = {}
    for position, value in enumerate(_column(upload, key)):
        uploaded.setdefault(_key_text(value, table), []).append(position)
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    typed: set[tuple[int, str]] = set()
    placed: set[str] = set()

    def take_upload(positions: list[int]) -> None:
        for position in positions:
            rows.append(dict(upload.frame.iloc[position]))
            numbers.append(upload.rows[position])

    if existing is not None:
        existing_typed: dict[int, list[str]] = {}
        for position, column in existing.typed:
            existing_typed.setdefault(position, []).append(column)
        for position in range(len(existing.rows)):
            record = dict(existing.frame.iloc[position]) if len(existing.frame.columns) else {}
            value = _key_text(str(record.get(key, "")), table)
            if value and value in uploaded:
                if value not in placed:
                    take_upload(uploaded[value])
                    placed.add(value)
                continue
            typed |= {(len(rows), column) for column in existing_typed.get(position, [])}
            rows.append(record)
            numbers.append(-1 - existing.rows[position])
    for value, positions in uploaded.items():
        if value not in placed or not value:
            take_upload(positions)
            placed.add(value)
    frame = pd.DataFrame(
        [[row.get(c, "") for c in columns] for row in rows], columns=columns, dtype=object
    )
    return RawTable(table.name, upload.file, frame, numbers, {}, frozenset(typed))


def _located(problems: list[Problem], label: str, table: Table, actor: str | None) -> list[Problem]:
    """Problems of a merged park where they are: the upload's at its CSV line, the park's
    by path (``exchanges[2].quantity``). For a partner, only its upload's are described."""
    own: list[Problem] = []
    elsewhere: list[Problem] = []
    for problem in problems:
        if problem.file == label and (problem.row is None or problem.row > 0):
            own.append(problem)
        elif problem.file == label:
            assert problem.row is not None
            elsewhere.append(replace(problem, file=table.name, row=-1 - problem.row, document=True))
        else:
            elsewhere.append(replace(problem, document=True))
    own.sort(key=lambda p: (p.row or 0, p.column or "", p.message))
    if actor is None:
        return own + elsewhere
    if any(p.severity == "error" for p in elsewhere):
        own.append(_refuse(label, _BREAKS))
    return own


# --- downloads -------------------------------------------------------------------------


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "park"


def park_download(park: Park, format: str) -> tuple[bytes, str, str]:
    """The park as a file to download: (content, file name, media type). ``format`` is one
    of :data:`DOWNLOADS` (``zip`` is the folder): the folder as a zip of one top folder,
    an Excel workbook, a JSON or a YAML document, each as ``symbionet convert`` writes it.
    :func:`read_upload` reads each back as the same park (the same ``to_document()``)."""
    kind = "folder" if format == "zip" else format
    if kind not in DOWNLOADS:
        message = f"download a park as {', '.join(DOWNLOADS)}, not {format!r}"
        raise SymbionetError([_refuse("format", message)])
    slug = _slug(park.name)
    name = f"{slug}{SUFFIXES[kind]}"
    inputs = park.inputs()
    if kind == "json":
        document = park_document(park.meta, inputs, park.catalogue_extension)
        content = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    elif kind == "yaml":
        document = json.loads(json.dumps(park.to_document()))  # plain data, as JSON holds it
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        content = text.encode("utf-8")
    else:
        with _scratch() as folder:
            if kind == "xlsx":
                path = folder / name
                write_xlsx(path, park.meta, inputs, park.catalogue_extension)
                content = path.read_bytes()
            else:
                path = folder / slug
                write_folder(path, park.meta, inputs, park.catalogue_extension)
                content = _zip_folder(path, slug)
    return content, name, MEDIA_TYPES[kind]


def _zip_folder(folder: Path, top: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, f"{top}/{file.name}")
    return buffer.getvalue()


# --- the Excel template ----------------------------------------------------------------

INLINE_LIMIT = 255
"""The most characters Excel takes in a drop-down list written in the validation itself."""
_AMOUNTS = ("t", "kt", "Mt", "kg", "m3", "Nm3", "L", "MWh", "kWh", "GWh", "TWh", "GJ", "TJ")
_RATES = ("MW", "kW")
_TIMES = ("yr", "day", "h")
_LAST_ROW = 1_048_576


def quantity_units(catalogue: Catalogue | None = None) -> list[str]:
    """The units offered for quantities: every amount the register reads as meant, per
    year, day and hour, and the rates MW and kW; a catalogue's own units come too."""
    amounts = list(_AMOUNTS)
    if catalogue is not None:
        amounts += sorted({r.unit for r in catalogue.resources.values()} - set(amounts))
    units = [f"{amount}/{time}" for amount in amounts for time in _TIMES]
    return [*units, *_RATES, *amounts]


def _lists(park: Park | None) -> dict[str, list[str]]:
    """The named lists of the template, by the column types and references they serve."""
    from symbionet.register.catalogue import default_catalogue

    catalogue = park.catalogue if park is not None else default_catalogue()
    lists = {
        "resources": sorted(catalogue.resources),
        "units": quantity_units(catalogue),
        "fates": [k for k, r in catalogue.routes.items() if r.kind == "fate"],
        "sources": [k for k, r in catalogue.routes.items() if r.kind == "source"],
        "booleans": ["true", "false"],
    }
    if park is not None:
        streams = park.streams
        lists |= {
            "actors": [str(i) for i in park.actors.index],
            "sites": [str(i) for i in park.sites.index],
            "streams": [str(i) for i in streams.index],
            "supplies": [str(i) for i in streams.index[streams["direction"] == "supply"]],
            "demands": [str(i) for i in streams.index[streams["direction"] == "demand"]],
            "profiles": [str(c) for c in park.profiles.columns],
        }
    return lists


def _list_of(table: Table, column: Column, lists: dict[str, list[str]]) -> tuple[str, bool] | None:
    """The list a column's cells come from, and whether a value off the list is refused
    (only for the schema's own choices; a resource, unit or id off the list may be a
    synonym, another unit or a row added in the same workbook, and is checked on upload)."""
    if column.type == "bool":
        return "booleans", True
    if column.type == "resource":
        return "resources", False
    if column.type == "unit":
        return "units", False
    if column.type == "route":
        return ("fates" if column.allowed == "fate" else "sources"), False
    if column.type == "profile":
        return "profiles", False
    if column.type == "ref":
        if table.name == "exchanges" and column.name in ("supply", "demand"):
            return ("supplies" if column.name == "supply" else "demands"), False
        return column.allowed, False
    return None


def excel_template(park: Park | None = None) -> bytes:
    """An empty park workbook to fill in: sheet ``park`` with its keys, a sheet per table
    with its header row (as ``read_xlsx`` reads it), and drop-down lists where a column's
    values come from a list: the schema's choices and true/false (others refused), and
    resources, units, fates and sources from the catalogue (the park's, when given), with
    its actor, site, stream and profile ids (others allowed, with a warning). Long lists
    stand on a hidden sheet ``lists``. For a partner, give ``park.visible_to(actor)``."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    book.remove(book.active)
    lists = _lists(park)
    store = book.create_sheet("lists")
    store.sheet_state = "hidden"
    ranges: dict[str, str] = {}
    for position, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(position)
        store.cell(1, position, name).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            cell = store.cell(row, position, value)
            cell.data_type = "s"
        last = max(len(values) + 1, 2)
        ranges[name] = f"{quote_sheetname('lists')}!${letter}$2:${letter}${last}"

    def validation(name: str, strict: bool) -> DataValidation:
        values = lists[name]
        inline = ",".join(values)
        fits = len(inline) <= INLINE_LIMIT and not any("," in v or '"' in v for v in values)
        formula = f'"{inline}"' if fits else ranges[name]
        check = DataValidation(type="list", formula1=formula, allow_blank=True)
        check.errorStyle = "stop" if strict else "warning"
        check.error = (
            f"Choose one of the {name}."
            if strict
            else f"Not one of the {name} listed: the register checks it when you upload."
        )
        check.errorTitle = "symbionet"
        return check

    def choices(column: Column) -> DataValidation:
        check = DataValidation(
            type="list", formula1=f'"{",".join(column.choices)}"', allow_blank=True
        )
        check.errorStyle = "stop"
        check.error = f"{column.name} is one of: {', '.join(column.choices)}."
        check.errorTitle = "symbionet"
        return check

    bold = Font(bold=True)
    for table in tables().values():
        sheet = book.create_sheet(table.name, index=len(book.sheetnames) - 1)
        if table.name == "park":
            sheet.append(["key", "value"])
            for row, column in enumerate(table.inputs, start=2):
                sheet.cell(row, 1, column.name).data_type = "s"
                sheet.cell(row, 1).comment = Comment(_described(column), "symbionet")
                if column.choices:
                    check = choices(column)
                    sheet.add_data_validation(check)
                    check.add(f"B{row}")
            for cell in sheet[1]:
                cell.font = bold
            continue
        header = [c for c in table.inputs if not c.is_pattern]
        if park is not None and table.name != "profiles":  # its contaminants (ppm_cod...)
            # (a profile column without its periods is refused: profiles.csv is filled whole)
            header += [
                replace(declared, name=str(name))
                for name in park.table(table.name).columns
                if (declared := table.column(str(name))) is not None and declared.is_pattern
            ]
        for position, column in enumerate(header, start=1):
            cell = sheet.cell(1, position, column.name)
            cell.data_type = "s"
            cell.font = bold
            cell.comment = Comment(_described(column), "symbionet")
            letter = get_column_letter(position)
            where = f"{letter}2:{letter}{_LAST_ROW}"
            if column.choices:
                check = choices(column)
            elif (source := _list_of(table, column, lists)) is not None and source[0] in lists:
                check = validation(*source)
            else:
                continue
            sheet.add_data_validation(check)
            check.add(where)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _described(column: Column) -> str:
    unit = f" [{column.unit}]" if column.unit else ""
    need = "required" if column.required else "optional"
    return f"{column.description}{unit} ({need})"


__all__ = [
    "DOWNLOADS",
    "MAX_ENTRIES",
    "MAX_UNPACKED",
    "MEDIA_TYPES",
    "OWNED",
    "excel_template",
    "merge_table_upload",
    "park_download",
    "quantity_units",
    "read_upload",
]
