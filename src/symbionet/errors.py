"""User-facing errors: every problem names its file, row and column."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in the input, located as precisely as the input allows.

    ``row`` is the line number in a CSV file (the header is line 1), the row number in a
    worksheet or the record number in a JSON file; ``None`` when the problem concerns a
    whole file. Such a problem is located as ``file:row:column``. In a park given as a
    ``document`` in memory (a dict or JSON text), ``file`` is the part of the document
    (``actors``, ``park``), ``row`` the record's index from 0, and the problem is located
    as a path: ``actors[3].nace``. A ``warning`` is shown by ``check`` but does not stop
    the park from loading.
    """

    file: str
    row: int | None
    column: str | None
    message: str
    severity: str = "error"
    document: bool = False

    @property
    def location(self) -> str:
        """Where the problem is: ``actors.csv:5:nace``, or ``actors[3].nace`` in a document."""
        if not self.document:
            row = "" if self.row is None else f":{self.row}"
            return f"{self.file}{row}" + (f":{self.column}" if self.column else "")
        where = self.file + ("" if self.row is None else f"[{self.row}]")
        return ".".join(part for part in (where, self.column) if part)

    def __str__(self) -> str:
        message = f"warning: {self.message}" if self.severity == "warning" else self.message
        return f"{where}: {message}" if (where := self.location) else message

    def to_dict(self) -> dict[str, object]:
        """The problem as plain data: ``location``, ``message`` and ``severity``, and for a
        file also its ``file``, ``row`` and ``column``."""
        where = {} if self.document else {"file": self.file, "row": self.row, "column": self.column}
        return {
            **where,
            "location": self.location,
            "message": self.message,
            "severity": self.severity,
        }


class SymbionetError(Exception):
    """Raised for bad input: carries every problem found, never a partial result."""

    def __init__(self, problems: Iterable[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("", None, None, problems)]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def invalid(option: str, message: str) -> SymbionetError:
    """An error in an option, such as ``time: must be annual, monthly, ... not 'weekly'``."""
    return SymbionetError([Problem(option, None, None, message)])


__all__ = [
    "Problem",
    "SymbionetError",
    "invalid",
]
