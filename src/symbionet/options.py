"""What every step's options share: an options object (a frozen dataclass that checks
itself when made), with single options given by name on top of it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from typing import Any, TypeVar

from symbionet.errors import invalid

Options = TypeVar("Options")


def unknown_options(kind: type, given: Iterable[str]) -> None:
    """Raise for a name that is not a field of the options dataclass ``kind``."""
    known = {f.name for f in fields(kind)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise invalid(unknown[0], f"is not an option; use one of {', '.join(sorted(known))}")


def options_from(
    kind: type[Options], options: Options | None, overrides: Mapping[str, Any]
) -> Options:
    """``options`` (default: ``kind()``) with single options changed by name and checked
    again; an object of another kind or an unknown name is refused."""
    if options is not None and not isinstance(options, kind):
        raise invalid(
            "options",
            f"must be {kind.__name__}, not {options!r}: give single options by name",
        )
    unknown_options(kind, overrides)
    base = options if options is not None else kind()
    return replace(base, **overrides) if overrides else base  # type: ignore[type-var]


__all__ = ["options_from", "unknown_options"]
