"""Progress on the command line: a bar on a terminal, plain lines on stderr elsewhere."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from symbionet.progress import Progress as ProgressCallback

#: seconds between plain progress lines with the same message
LINE_EVERY_S = 5.0


@contextmanager
def progress_display(console: Console, title: str = "") -> Iterator[ProgressCallback]:
    """A progress callback for the duration of a ``with`` block."""
    if console.is_terminal:
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task(title, total=None)

            def show(message: str, done: float, total: float | None = None) -> None:
                bar.update(task, description=message, completed=done, total=total)

            yield show
        return
    last: dict[str, float | str] = {"message": "", "at": 0.0}

    def line(message: str, done: float, total: float | None = None) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if message == last["message"] and not finished and now - float(last["at"]) < LINE_EVERY_S:
            return
        last.update(message=message, at=now)
        count = "" if not total else f" {done / total:.0%}"
        if total and total > 1:
            count = f" {done:,.0f}/{total:,.0f}{count}"
        print(f"{title + ': ' if title else ''}{message}{count}", file=sys.stderr, flush=True)

    yield line
