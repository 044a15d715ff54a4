"""Writing parks as a folder of files, an Excel workbook or a JSON document.

Writers never destroy what they were not asked to replace and never leave a half-written
file. A target that exists is overwritten only if it is a park and ``force`` is given;
anything else there is refused, and a symbolic link is never followed. The new park is
written beside the target and swapped in by renaming, so a write stopped at any point
(even killed) leaves the old park whole; the next write to the same target restores or
removes what a stopped one left (files named ``.symbionet-*``).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from symbionet.errors import Problem, SymbionetError
from symbionet.register.excel import catalogue_sheets, excel_text, xlsx_problem
from symbionet.register.io import cell_text
from symbionet.register.schema import tables
from symbionet.results import plain

SCRATCH = ".symbionet-"
"""Prefix of the names a write uses beside its target while it runs."""


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {key: value for key, v in row.items() if (value := plain(v)) is not None}
        for row in frame.to_dict(orient="records")
    ]


def _refuse(target: Path, message: str) -> SymbionetError:
    return SymbionetError([Problem(str(target), None, None, message)])


def _scratch(target: Path, role: str) -> Path:
    """Where a write to ``target`` keeps the new version (``new``) or the old one (``old``)."""
    return target.parent / f"{SCRATCH}{role}-{target.name}"


def _remove(path: Path) -> None:
    """Remove a file, link or folder; a link is removed, never followed."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()


def recover(target: Path) -> None:
    """Undo a write to ``target`` that was stopped: the old version comes back if the new one
    never replaced it, and what the stopped write left beside it goes."""
    target = Path(os.path.abspath(target))
    old = _scratch(target, "old")
    if os.path.lexists(old) and not os.path.lexists(target):
        os.rename(old, target)
    for leftover in (_scratch(target, "new"), old):
        _remove(leftover)


PARK_FILES = {table.file for table in tables().values()} | {"catalogue.yaml"}


def _is_park_file(path: Path) -> bool:
    """Whether a file is a park workbook (sheet ``park``) or JSON document (key ``park``)."""
    try:
        if path.suffix.lower() == ".json":
            with path.open(encoding="utf-8") as handle:
                document = json.load(handle)
            return isinstance(document, dict) and "park" in document
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        try:
            return "park" in book.sheetnames
        finally:
            book.close()
    except Exception:  # anything unreadable is not a park
        return False


def check_target(path: Path | str, folder: bool, force: bool = False) -> Path:
    """The absolute target of a park write (a ``folder`` or a file), after checking the
    write may replace it. Refused: a symbolic link; a folder where a file goes or the
    reverse; a non-empty target that is not a park; a park, unless ``force``.
    """
    target = Path(os.path.abspath(path))
    try:
        _check_target(target, folder, force)
    except OSError as error:
        raise _refuse(target, f"cannot write: {error.strerror or error}") from error
    return target


def _check_target(target: Path, folder: bool, force: bool) -> None:
    recover(target)
    if target.is_symlink():
        raise _refuse(target, "is a symbolic link: name the folder or file itself")
    if not target.exists():
        writable(target)
        return
    if folder != target.is_dir():
        raise _refuse(target, f"exists and is not a {'folder' if folder else 'file'}")
    if folder:
        names = sorted(p.name for p in target.iterdir())
        others = [n for n in names if n not in PARK_FILES]
        if others:
            shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
            raise _refuse(
                target, f"holds files that are not part of a park ({shown}): not overwritten"
            )
        empty = not names
    else:
        empty = target.stat().st_size == 0
        if not empty and not _is_park_file(target):
            raise _refuse(target, "exists and is not a park: not overwritten")
    if not empty and not force:
        raise _refuse(target, "is a park already: it is replaced only with force")
    writable(target)


def writable(path: Path | str) -> None:
    """Raise a clear error unless a file or folder can be created at ``path``."""
    target = Path(os.path.abspath(path))
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise _refuse(target, f"cannot write here: {parent} is not a folder")
    if target.is_dir() and target.suffix:
        raise _refuse(target, "is a folder, not a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _refuse(target, f"cannot write here: no permission to write in {parent}")


@contextmanager
def replacing(path: Path | str) -> Iterator[Path]:
    """Yield a scratch path beside ``path``; the block writes it, and it then replaces
    ``path`` by renaming (a folder: the old one is renamed aside first, then removed).
    Whatever happens, ``path`` holds either the whole old or the whole new version."""
    target = Path(os.path.abspath(path))
    writable(target)
    new, old = _scratch(target, "new"), _scratch(target, "old")
    try:
        recover(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        yield new
        if new.is_dir() and os.path.lexists(target):
            os.rename(target, old)
        os.replace(new, target)
    except OSError as error:
        raise _refuse(target, f"cannot write: {error.strerror or error}") from error
    finally:
        recover(target)


def write_text(path: Path | str, text: str) -> None:
    """Write a text file whole or not at all."""
    with replacing(path) as staged:
        staged.write_text(text, encoding="utf-8")


def csv_text(frame: pd.DataFrame, index: bool = False) -> str:
    """A table as CSV text a spreadsheet opens safely: text cells never run as formulas."""
    shown = frame.reset_index() if index else frame
    cells = shown.astype(object).map(
        lambda v: excel_text(v) if isinstance(v, str) else cell_text(plain(v))
    )
    return cells.to_csv(index=False, lineterminator="\n")


def write_folder(
    path: Path,
    meta: dict[str, Any],
    frames: dict[str, pd.DataFrame],
    catalogue: dict[str, Any] | None,
) -> None:
    """Write a park folder: park.yaml and one CSV per non-empty table."""
    with replacing(path) as staged:
        staged.mkdir()
        (staged / "park.yaml").write_text(
            yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        for name, frame in frames.items():
            (staged / tables()[name].file).write_text(csv_text(frame), encoding="utf-8")
        if catalogue:
            (staged / "catalogue.yaml").write_text(
                yaml.safe_dump(catalogue, sort_keys=False, allow_unicode=True), encoding="utf-8"
            )


def add_sheet(book: Any, name: str, where: str, rows: list[list[Any]], exact: bool = False) -> None:
    """A worksheet of ``rows`` (the first a header): text as string cells, never formulas;
    with ``exact``, a number that needs a 17th digit as its exact text (a workbook keeps
    16), for a park's data to read back as it was."""
    sheet = book.create_sheet(name)
    problems = []
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            if exact and isinstance(value, float) and float(f"{value:.16g}") != value:
                value = repr(value)
            if isinstance(value, str):
                problem = xlsx_problem(value, where, r, str(rows[0][c - 1]) if r > 1 else None)
                if problem:
                    problems.append(problem)
                    continue
            cell = sheet.cell(r, c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"
    if problems:
        raise SymbionetError(problems)


def write_xlsx(
    path: Path,
    meta: dict[str, Any],
    frames: dict[str, pd.DataFrame],
    catalogue: dict[str, Any] | None,
) -> None:
    """Write a park workbook: sheet ``park`` (key, value) and one sheet per table."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    file = Path(path).name
    park_rows: list[list[Any]] = [["key", "value"]]
    for key, value in meta.items():
        mapping = isinstance(value, dict | list)
        park_rows.append(
            [key, yaml.safe_dump(value, default_flow_style=True).strip() if mapping else value]
        )
    add_sheet(book, "park", f"{file}[park]", park_rows)
    for name, frame in frames.items():
        rows = [list(frame.columns)]
        rows += [[plain(v) for v in row] for row in frame.itertuples(index=False)]
        add_sheet(book, name, f"{file}[{name}]", rows, exact=True)
    if isinstance(catalogue, dict) and catalogue:
        for sheet, rows in catalogue_sheets(catalogue).items():
            add_sheet(book, sheet, f"{file}[{sheet}]", rows, exact=True)
    elif catalogue:  # not a mapping: kept as YAML, refused when read
        text = yaml.safe_dump(catalogue, sort_keys=False)
        add_sheet(book, "catalogue", f"{file}[catalogue]", [[text]])
    with replacing(path) as staged:
        book.save(staged)


def park_document(
    meta: dict[str, Any],
    frames: dict[str, pd.DataFrame],
    catalogue: dict[str, Any] | None,
) -> dict[str, Any]:
    """A park as one JSON document: {"park": {...}, "actors": [{...}], ..., "catalogue": ...}."""
    document: dict[str, Any] = {"park": meta}
    document.update({name: _records(frame) for name, frame in frames.items()})
    if catalogue:
        document["catalogue"] = catalogue
    return document


def write_json(
    path: Path,
    meta: dict[str, Any],
    frames: dict[str, pd.DataFrame],
    catalogue: dict[str, Any] | None,
) -> None:
    """Write a park as one JSON document."""
    document = park_document(meta, frames, catalogue)
    write_text(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


WRITERS = {"folder": write_folder, "xlsx": write_xlsx, "json": write_json}


def save_format(path: Path) -> str:
    """The format a park is written in, from the target's suffix (none: a folder)."""
    return path.suffix.lower().lstrip(".") or "folder"


__all__ = [
    "PARK_FILES",
    "SCRATCH",
    "WRITERS",
    "add_sheet",
    "check_target",
    "csv_text",
    "park_document",
    "recover",
    "replacing",
    "save_format",
    "writable",
    "write_folder",
    "write_json",
    "write_text",
    "write_xlsx",
]
