"""Text cells that Excel opens safely: no formula runs, nothing is cut short.

A CSV cell starting with ``=``, ``+``, ``-`` or ``@`` would run as a formula in a
spreadsheet. Written, such text gets a leading apostrophe (a number stays a number); read
back, the apostrophe goes, so names survive the round trip exactly. A workbook stores text
as string cells, never as formulas, and refuses text Excel would truncate or cannot hold.
"""

from __future__ import annotations

import re

from symbionet.errors import Problem

CELL_LIMIT = 32_767
"""The most characters an Excel cell holds."""

_FORMULA = re.compile(r"'*[=+\-@]")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # as openpyxl refuses them


def excel_text(text: str) -> str:
    """Text as a CSV cell a spreadsheet shows as text, never runs as a formula."""
    if _FORMULA.match(text) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def plain_text(text: str) -> str:
    """The text :func:`excel_text` was given."""
    return text[1:] if text.startswith("'") and _FORMULA.match(text[1:]) else text


def xlsx_problem(text: str, where: str, row: int, column: str | None) -> Problem | None:
    """Why ``text`` cannot go into a workbook cell (``where``: file[sheet]), or None if it can."""
    if len(text) > CELL_LIMIT:
        message = f"{len(text):,} characters: Excel cells hold at most {CELL_LIMIT:,}"
    elif found := _ILLEGAL.search(text):
        message = f"holds control character {found.group()!r}, which Excel cannot store"
    else:
        return None
    return Problem(where, row, column, message)
