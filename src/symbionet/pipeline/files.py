"""Writing a changed pipeline back into the park it was read from."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from symbionet.register.park import Park
from symbionet.register.rewrite import write_tables

TABLES = ("exchanges", "pipeline", "pipeline_log", "risks")
"""The tables the pipeline's functions change, in the order they are written: each step
leaves a park that loads (an exchange before the project naming it, a project before its
log and risks)."""


def write_pipeline(park: Park, path: Path | str, names: Iterable[str] = TABLES) -> list[Path]:
    """Write the pipeline's tables ``names`` of ``park`` into the park at ``path``, in place
    (see :func:`symbionet.register.rewrite.write_tables`). Returns the files written."""
    return write_tables(park, path, [n for n in TABLES if n in set(names)])


__all__ = ["TABLES", "write_pipeline"]
