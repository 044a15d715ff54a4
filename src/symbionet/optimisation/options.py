"""Errors in design options, each naming the option it is about."""

from __future__ import annotations

from symbionet.errors import Problem, SymbionetError


def invalid(option: str, message: str) -> SymbionetError:
    """An error such as ``time: must be annual, monthly, ... not 'weekly'``."""
    return SymbionetError([Problem(option, None, None, message)])
