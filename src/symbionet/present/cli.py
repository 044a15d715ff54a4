"""The ``symbionet`` command line."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from symbionet.errors import SymbionetError

app = typer.Typer(
    name="symbionet",
    help="Industrial symbiosis: register, discover, design, assess and present resource exchanges.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)


def main() -> None:
    """Entry point: bad input ends with its problems listed and exit code 1, never a traceback."""
    try:
        app()
    except SymbionetError as error:
        for problem in error.problems:
            err_console.print(str(problem), markup=False, highlight=False)
        n = len(error.problems)
        err_console.print(f"[red]{n} problem{'s' if n != 1 else ''}[/red]")
        sys.exit(1)
