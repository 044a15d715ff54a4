"""Options of the design step, as one frozen, validated object shared by the library,
the command line, the web API and sweeps."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

from symbionet.errors import invalid

#: Periods solved at once when a fixed design (no investment) runs over many periods:
#: runs are independent apart from storage, which carries its level from run to run.
HORIZON = 24 * 7 * 4
MODES = ("invest", "operate")


@dataclass(frozen=True)
class DesignOptions:
    """How to design a park's network.

    ``objective`` is ``cost`` (annualised capex + opex + purchases - sales + CO2 price x
    emissions), ``co2`` or ``freshwater``; ``time`` is ``annual``, ``monthly``, ``hourly``
    or ``typical-days:N``. ``actors`` keeps only those actors' sites, streams, exchanges
    and technologies; ``exclude_exchanges`` drops exchanges or candidates by id.
    ``mode="operate"`` runs the operating exchanges and existing technologies with no new
    investment; ``fix`` runs a given design (id -> share built; what it does not name is
    not built). ``greenfield`` prices operating exchanges as if still to be built.
    ``caps`` bounds KPIs (``{"co2": 5000}``); ``linear`` relaxes the binaries;
    ``mip_gap`` is the relative optimality gap at which a MILP counts as solved and
    ``time_limit`` the solver's limit in seconds for each part. A fixed design or the
    operating network over more than ``horizon`` periods is run ``horizon`` periods at a
    time, storage levels carried over. ``prices`` asks for the marginal value of each
    resource at each site; ``verbose`` sends the solver's log to stderr.
    """

    objective: str = "cost"
    time: str = "annual"
    actors: tuple[str, ...] | None = None
    exclude_exchanges: tuple[str, ...] = ()
    mode: str = "invest"
    fix: Mapping[str, float] | None = None
    greenfield: bool = False
    candidates: bool = True
    linear: bool = False
    caps: Mapping[str, float] = field(default_factory=dict)
    mip_gap: float = 1e-4
    time_limit: float | None = None
    prices: bool = True
    horizon: int = HORIZON
    verbose: bool = False

    def __post_init__(self) -> None:
        from symbionet.optimisation.model import check_objective
        from symbionet.optimisation.periods import parse_time

        check_objective(self.objective, self.caps)
        parse_time(self.time)
        if self.mode not in MODES:
            raise invalid("mode", f"must be {' or '.join(MODES)}, not {self.mode!r}")
        if not isinstance(self.horizon, int) or self.horizon < 1:
            raise invalid("horizon", f"must be 1 or more periods, not {self.horizon}")
        if not (isinstance(self.mip_gap, Real) and 0 <= self.mip_gap < math.inf):
            raise invalid(
                "mip_gap", f"must be a number 0 or more, such as 0.01, not {self.mip_gap}"
            )
        limit = self.time_limit
        if limit is not None and not (isinstance(limit, Real) and limit >= 0):
            raise invalid("time_limit", f"must be 0 or more seconds, not {limit}")
        for name, cap in self.caps.items():
            if not (isinstance(cap, Real) and -math.inf < cap):
                raise invalid("caps", f"the bound on {name!r} must be a number, not {cap}")
        actors = None if self.actors is None else _names(self.actors)
        object.__setattr__(self, "actors", actors)
        object.__setattr__(self, "exclude_exchanges", _names(self.exclude_exchanges))
        object.__setattr__(self, "caps", {str(k): float(v) for k, v in self.caps.items()})
        if self.fix is not None:
            object.__setattr__(self, "fix", _shares(self.fix))


def _names(names: str | Iterable[str]) -> tuple[str, ...]:
    """Ids as a tuple: one id given alone is one id, not its letters."""
    return (names,) if isinstance(names, str) else tuple(str(name) for name in names)


def _shares(fix: Any) -> dict[str, float]:
    """The build share of each arc and technology from a mapping or series of id -> share,
    a list of ids, or a design result."""
    if hasattr(fix, "build_shares"):
        fix = fix.build_shares()
    if isinstance(fix, Mapping) or hasattr(fix, "items"):
        return {str(k): float(v) for k, v in fix.items()}
    return {str(k): 1.0 for k in fix}


__all__ = ["HORIZON", "MODES", "DesignOptions"]
