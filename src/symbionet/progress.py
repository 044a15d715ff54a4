"""Progress of long work, reported through a callback that each front end renders:
the command line as a bar on a terminal and as lines elsewhere, a web app as job
progress."""

from __future__ import annotations

from collections.abc import Callable

#: ``progress(message, done, total)``: ``done`` out of ``total`` (None when unknown)
Progress = Callable[[str, float, float | None], None]


def silent(message: str, done: float, total: float | None = None) -> None:
    """The progress callback that shows nothing."""


__all__ = ["Progress", "silent"]
