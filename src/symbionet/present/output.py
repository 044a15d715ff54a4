"""What every command shares: the consoles, text shown as written, the options that say
where tables go (``--json``, ``--csv``, ``--xlsx``, ``--force``) and sending them there.

Kept light (no pandas, no solver) so that the command line answers ``--help`` at once.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from symbionet.errors import Problem, SymbionetError

if TYPE_CHECKING:
    import pandas as pd

    from symbionet.present.tables import Money

console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, soft_wrap=True)

ParkPath = Annotated[Path, typer.Argument(help="Park folder, .xlsx workbook or .json file.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
CsvOption = Annotated[
    Path | None, typer.Option("--csv", help="Write the main table to this CSV file.")
]
XlsxOption = Annotated[
    Path | None,
    typer.Option("--xlsx", help="Write every table to this Excel workbook, a sheet each."),
]
ForceFlag = Annotated[
    bool, typer.Option("--force", help="Replace the file or park already at the target.")
]

_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """User text safe to show on a terminal: control characters (escape codes, bidi
    overrides) written out as ``\\xNN`` instead of acting on the terminal."""
    return _UNPRINTABLE.sub(lambda found: ascii(found.group())[1:-1], text)


def say(text: object, style: str | None = None, *, error: bool = False) -> None:
    """A line of text on stdout (stderr with ``error``), shown as written: never read as
    markup or escape codes."""
    shown = err_console if error else console
    shown.print(printable(str(text)), style=style, markup=False, highlight=False, emoji=False)


def print_problems(problems: list[Problem]) -> None:
    """Each problem on its own line on stderr, then how many errors and warnings."""
    for problem in problems:
        say(problem, error=True)
    warnings = sum(p.severity == "warning" for p in problems)
    errors = len(problems) - warnings
    counts = [_plural(errors, "error"), _plural(warnings, "warning")]
    say(
        ", ".join(c for c in counts if not c.startswith("0 ")),
        "red" if errors else "yellow",
        error=True,
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def print_json(data: object) -> None:
    """Plain JSON on stdout: NaN and infinity as null, tables as lists of records."""
    from symbionet.results import plain

    print(json.dumps(plain(data), indent=2, allow_nan=False))


class Output:
    """Where a command's tables go: the terminal, JSON on stdout, or a CSV or Excel file
    (checked before any work is done, so that a long run never ends in a refusal)."""

    def __init__(self, as_json: bool, csv: Path | None, xlsx: Path | None, force: bool):
        from symbionet.present.tables import check_export

        if sum([as_json, csv is not None, xlsx is not None]) > 1:
            raise SymbionetError("--json, --csv and --xlsx: choose one")
        self.as_json = as_json
        self.file = csv or xlsx
        self.force = force
        if self.file is not None:
            check_export(self.file, force)

    @property
    def terminal(self) -> bool:
        return not self.as_json and self.file is None

    def send(
        self,
        tables: dict[str, pd.DataFrame],
        data: Callable[[], object],
        show: Callable[[], None],
        money: Money | None = None,
    ) -> None:
        """JSON of ``data()``, ``tables`` to the file, or ``show()`` on the terminal."""
        if self.as_json:
            payload = data()
            if money is not None and isinstance(payload, dict):
                payload = {**payload, "currency": money.to_dict()}
            print_json(payload)
        elif self.file is not None:
            from symbionet.present.tables import export_tables

            shown = {k: money.frame(v, rows=True) if money else v for k, v in tables.items()}
            written = export_tables(shown, self.file, self.force)
            if written.suffix.lower() == ".csv" and len(tables) > 1:  # the main table only
                say(
                    f"wrote {written}: {next(iter(tables))}, the first of {len(tables)} tables "
                    "(--xlsx writes them all)"
                )
            else:
                say(f"wrote {_plural(len(tables), 'table')} to {written}")
        else:
            show()
            note = money.note() if money is not None else None
            if note:
                say(note, style="dim")
