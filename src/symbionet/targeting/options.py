"""Options of the targets, as frozen, validated objects shared by the library and the
command line (whose defaults come from here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from symbionet.errors import invalid

# the magnitudes the cascades and linear programs compute with reliably: beyond them,
# HiGHS counts values as infinite or zero and sums lose all precision
LARGEST = 1e9
SMALLEST = 1e-9
DT_MIN_K = 10.0
"""Default minimum approach temperature (K): a common first value for process heat
exchangers with liquids (Kemp, 2007), and the one of the Kemp four-stream benchmark."""
METHODS = ("cascade", "lp")
"""How targets are computed: the pinch algorithm (``cascade``) or a linear program (``lp``)."""


def _check_number(option: str, value: float) -> None:
    """Raise unless ``value`` is a number from 0 to the largest magnitude computed with."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= LARGEST:
        raise invalid(option, f"must be a number from 0 to {LARGEST:g}, not {value}")
    if 0 < value < SMALLEST:
        raise invalid(
            option, f"{value:g} is too small to compute with: use 0 or at least {SMALLEST:g}"
        )


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise invalid("method", f"must be {' or '.join(METHODS)}, not {method!r}")


@dataclass(frozen=True)
class HeatOptions:
    """Heat targets: ``dt_min`` the minimum approach temperature (K) between hot and cold
    streams; ``method`` ``cascade`` (problem table) or ``lp`` (transshipment LP)."""

    dt_min: float = DT_MIN_K
    method: str = "cascade"

    def __post_init__(self) -> None:
        _check_number("dt_min", self.dt_min)
        _check_method(self.method)


@dataclass(frozen=True)
class WaterOptions:
    """Water targets: ``freshwater_ppm`` the contaminant concentration of freshwater;
    ``method`` ``cascade`` (water cascade) or ``lp`` (the allocation or Savelski-Bagajewicz
    LP)."""

    freshwater_ppm: float = 0.0
    method: str = "cascade"

    def __post_init__(self) -> None:
        _check_number("freshwater_ppm", self.freshwater_ppm)
        _check_method(self.method)


@dataclass(frozen=True)
class SiteOptions:
    """Site targets of a park: ``dt_min`` (K) at each exchanger with the shared loop,
    ``freshwater_ppm`` the contaminant concentration of freshwater."""

    dt_min: float = DT_MIN_K
    freshwater_ppm: float = 0.0

    def __post_init__(self) -> None:
        _check_number("dt_min", self.dt_min)
        _check_number("freshwater_ppm", self.freshwater_ppm)


Options = TypeVar("Options", HeatOptions, WaterOptions, SiteOptions)


__all__ = ["DT_MIN_K", "METHODS", "HeatOptions", "SiteOptions", "WaterOptions"]
