"""Writing parks as a folder of files, an Excel workbook or a JSON document.

Writers take typed tables and write them atomically: a park is written whole or not at all.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from symbionet.register.io import cell_text
from symbionet.register.schema import tables


def _plain(value: Any) -> Any:
    """A typed cell as a plain Python value (None when missing)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {key: _plain(v) for key, v in row.items() if _plain(v) is not None}
        for row in frame.to_dict(orient="records")
    ]


@contextmanager
def _atomic(target: Path) -> Iterator[Path]:
    """Yield a temporary path; move it over ``target`` only if the block succeeds."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".symbionet-", dir=target.parent))
    staged = scratch / target.name
    try:
        yield staged
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        os.replace(staged, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_folder(
    path: Path,
    meta: dict[str, Any],
    frames: dict[str, pd.DataFrame],
    catalogue: dict[str, Any] | None,
) -> None:
    """Write a park folder: park.yaml and one CSV per non-empty table."""
    with _atomic(path) as staged:
        staged.mkdir()
        (staged / "park.yaml").write_text(
            yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        for name, frame in frames.items():
            out = frame.astype(object).where(frame.notna(), None)
            out = out.map(lambda v: cell_text(_plain(v)))
            out.to_csv(staged / tables()[name].file, index=False, lineterminator="\n")
        if catalogue:
            (staged / "catalogue.yaml").write_text(
                yaml.safe_dump(catalogue, sort_keys=False, allow_unicode=True), encoding="utf-8"
            )


def write_xlsx(
    path: Path,
    meta: dict[str, Any],
    frames: dict[str, pd.DataFrame],
    catalogue: dict[str, Any] | None,
) -> None:
    """Write a park workbook: sheet ``park`` (key, value) and one sheet per table."""
    from openpyxl import Workbook

    with _atomic(path) as staged:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "park"
        sheet.append(["key", "value"])
        for key, value in meta.items():
            mapping = isinstance(value, dict | list)
            sheet.append(
                [key, yaml.safe_dump(value, default_flow_style=True).strip() if mapping else value]
            )
        for name, frame in frames.items():
            sheet = book.create_sheet(name)
            sheet.append(list(frame.columns))
            for row in frame.itertuples(index=False):
                sheet.append([_plain(v) for v in row])
        if catalogue:
            book.create_sheet("catalogue").append([yaml.safe_dump(catalogue, sort_keys=False)])
        book.save(staged)


def write_json(
    path: Path,
    meta: dict[str, Any],
    frames: dict[str, pd.DataFrame],
    catalogue: dict[str, Any] | None,
) -> None:
    """Write a park as one JSON document."""
    document: dict[str, Any] = {"park": meta}
    document.update({name: _records(frame) for name, frame in frames.items()})
    if catalogue:
        document["catalogue"] = catalogue
    with _atomic(path) as staged:
        staged.write_text(
            json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


WRITERS = {"folder": write_folder, "xlsx": write_xlsx, "json": write_json}
