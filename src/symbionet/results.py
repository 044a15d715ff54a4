"""What every result shares: plain data for JSON, and its tables for export.

A result is a dataclass that inherits :class:`Result`. ``to_dict()`` gives plain data
(NaN, infinity and missing values become ``None``, numpy numbers Python numbers, tables
lists of records); ``to_frame()`` its main table; ``tables()`` every table it holds, for
an Excel workbook with one sheet each. Fields marked ``field(metadata={"json": False})``
are left out of ``to_dict()``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, ClassVar

import pandas as pd


def plain(value: Any) -> Any:
    """A value as plain JSON data: None for anything missing or not finite."""
    if isinstance(value, pd.DataFrame):
        return records(value)
    if isinstance(value, pd.Series):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Result):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, dt.date | dt.datetime | pd.Timestamp):
        return value.isoformat()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as a list of plain records; a named index becomes the first column."""
    flat = frame.reset_index() if any(name is not None for name in frame.index.names) else frame
    return [{str(k): plain(v) for k, v in row.items()} for row in flat.to_dict(orient="records")]


class Result:
    """Base of the result dataclasses: plain data, the main table and every table."""

    #: the field that holds the main table (``to_frame()``)
    main_table: ClassVar[str] = "table"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            field.name: plain(getattr(self, field.name))
            for field in dataclasses.fields(self)  # type: ignore[arg-type]
            if field.metadata.get("json", True)
        }

    def to_frame(self) -> pd.DataFrame:
        """The main table."""
        frame = getattr(self, self.main_table)
        assert isinstance(frame, pd.DataFrame)
        return frame

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the result, by field name, the main one first."""
        found = {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)  # type: ignore[arg-type]
            if isinstance(getattr(self, field.name), pd.DataFrame)
        }
        main = {self.main_table: found.pop(self.main_table)} if self.main_table in found else {}
        return main | found


__all__ = ["Result", "plain", "records"]
