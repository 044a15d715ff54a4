"""Benefit sharing: a fair, auditable split of the park's saving between its partners.

The value of a coalition is the yearly saving (EUR) the optimiser finds when only its
members exchange: baseline cost minus optimal cost for those partners alone. A lone
partner is worth what it saves by itself (its own exchanges and plants, as
``design(park, actors=[ID])`` finds). Partners without streams add nothing to any coalition and
are left out of the game.

The park's network is built once; a coalition's network is the part of it its members
own, split into the parts its arcs and technologies join (see
:mod:`symbionet.optimisation.coalitions`). A coalition is worth the sum of its parts, and
each distinct part is solved once, on the executor given.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from symbionet.assessment import games
from symbionet.errors import SymbionetError, invalid
from symbionet.executors import run_tasks
from symbionet.optimisation.coalitions import Coalitions, Part, bundles
from symbionet.optimisation.model import Built, build_model
from symbionet.optimisation.network import (
    MODES,
    Network,
    build_network,
    disjoint_union,
    untagged,
)
from symbionet.optimisation.options import DesignOptions
from symbionet.optimisation.result import baseline_kpis
from symbionet.optimisation.solve import design
from symbionet.options import options_from
from symbionet.progress import Progress, silent
from symbionet.register.park import Park
from symbionet.results import Result
from symbionet.solver import solve as highs

METHODS = ("shapley", "nucleolus", "least-core", "proportional")


@dataclass(frozen=True)
class ShareOptions:
    """How to split the saving: ``method`` (shapley, nucleolus, least-core or
    proportional), ``mode`` (operate: the operating exchanges; invest: candidates too),
    and for sampled Shapley (beyond 15 partners) ``samples`` random orders drawn with
    ``seed``."""

    method: str = "shapley"
    mode: str = "operate"
    samples: int = 200
    seed: int = 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise invalid("method", f"must be {', '.join(METHODS)}, not {self.method!r}")
        if self.mode not in MODES:
            raise invalid("mode", f"must be {' or '.join(MODES)}, not {self.mode!r}")
        if not isinstance(self.samples, int) or isinstance(self.samples, bool) or self.samples < 2:
            raise invalid(
                "samples", f"must be a whole number of orders, 2 or more, not {self.samples!r}"
            )
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise invalid("seed", f"must be a whole number 0 or more, not {self.seed!r}")


@dataclass
class ShareResult(Result):
    """Each partner's share of the grand coalition's saving, and whether the split is stable.

    ``coalitions_solved`` counts the coalitions valued, ``solves`` the optimisations run
    for them (distinct parts of their networks)."""

    method: str
    mode: str
    table: pd.DataFrame
    grand_value: float
    in_core: bool | None
    worst_coalition: list[str] = field(default_factory=list)
    worst_shortfall: float | None = None
    coalitions_solved: int = 0
    solves: int = 0
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: amounts named with their unit, the table as ``shares``."""
        keys = {"table": "shares", "grand_value": "grand_value_eur"}
        keys["worst_shortfall"] = "worst_shortfall_eur"
        return {keys.get(k, k): v for k, v in super().to_dict().items()}


def players(park: Park) -> list[str]:
    """Actors that own at least one stream, in the park's order."""
    owners = set(park.streams["site"].map(park.sites["actor"]))
    return [a for a in park.actors.index if a in owners]


def coalition_value(park: Park, coalition: Sequence[str], mode: str = "operate") -> float:
    """Yearly saving (EUR) of the coalition on its own, its network built for it alone: its
    baseline cost minus its optimum."""
    if not coalition:
        return 0.0
    result = design(park, actors=tuple(sorted(coalition)), mode=mode, prices=False)
    if not result.ok:
        raise SymbionetError(
            f"the design for {sorted(coalition)} did not solve: {result.termination}"
        )
    return float(result.savings["cost_eur"])


def operating(park: Park) -> pd.DataFrame:
    """The park's operating exchanges."""
    return park.exchanges[park.exchanges["status"] == "operating"]


def part_savings(parts: Sequence[Network]) -> list[float]:
    """Yearly saving (EUR) of each of several parts of coalitions' networks, solved side by
    side in one model: they share nothing, so each keeps its own optimum, and one model is
    built instead of many."""
    union = disjoint_union(parts)
    built = build_model(union, "cost")
    solved = highs(built.model, mip_rel_gap=DesignOptions().mip_gap)
    if not solved.ok:
        raise SymbionetError(f"a coalition's design did not solve: {solved.termination}")
    costs = _cost_by_tag(built, len(parts))
    return [
        float(baseline_kpis(net)["cost_eur"] - cost - net.constant_cost)
        for net, cost in zip(parts, costs, strict=True)
    ]


def _cost_by_tag(built: Built, count: int) -> np.ndarray:
    """The solved cost of each tagged network of a disjoint union, from the terms of the
    cost that each one's variables carry (its constant cost left out)."""
    model = built.model
    size = 1 + max(int(variable.labels.max()) for variable in model.variables.data.values())
    values = np.zeros(size)
    owner = np.full(size, -1)
    for variable in model.variables.data.values():
        labels = variable.labels
        dim = next(d for d in labels.dims if d in ("arc", "node", "tech"))
        _, tags = untagged(labels[dim].to_index())
        tag = xr.DataArray(tags, coords={dim: labels[dim]}).broadcast_like(labels)
        flat = labels.to_numpy().ravel()
        kept = flat >= 0
        values[flat[kept]] = variable.solution.transpose(*labels.dims).to_numpy().ravel()[kept]
        owner[flat[kept]] = tag.transpose(*labels.dims).to_numpy().ravel()[kept]
    cost = built.kpis["cost"]
    terms = cost.vars.to_numpy().ravel()
    coeffs = cost.coeffs.to_numpy().ravel()
    kept = terms >= 0
    return np.bincount(
        owner[terms[kept]], weights=coeffs[kept] * values[terms[kept]], minlength=count
    )


def coalition_values(
    park: Park,
    coalitions: Collection[frozenset[str]],
    mode: str = "operate",
    *,
    executor: Executor | None = None,
    progress: Progress = silent,
) -> tuple[dict[frozenset[str], float], int]:
    """v(S) of each coalition, the park's network built once, and how many parts were
    solved: each coalition is worth the sum of its parts, each distinct part solved once."""
    progress("splitting coalitions into parts", 0, len(coalitions))
    split = Coalitions.of(build_network(park, mode=mode))
    parts = {c: split.parts(c) for c in coalitions}
    needed: list[Part] = sorted({p for found in parts.values() for p in found})
    together = bundles([split.network(p) for p in needed])
    savings = run_tasks(part_savings, together, executor, progress, "solving coalitions")
    solved = dict(zip(needed, (s for bundle in savings for s in bundle), strict=True))
    return {c: float(sum(solved[p] for p in found)) for c, found in parts.items()}, len(needed)


def coalition_game(
    park: Park,
    names: Sequence[str],
    mode: str = "operate",
    *,
    executor: Executor | None = None,
    progress: Progress = silent,
) -> tuple[games.Game, int]:
    """v(S) for every coalition of ``names``, and how many parts were solved."""
    coalitions = [
        frozenset(p for i, p in enumerate(names) if m >> i & 1) for m in range(2 ** len(names))
    ]
    values, solves = coalition_values(park, coalitions, mode, executor=executor, progress=progress)
    game = games.Game(tuple(names), np.array([values[c] for c in coalitions], dtype=float))
    return game, solves


def share(
    park: Park,
    options: ShareOptions | None = None,
    *,
    executor: Executor | None = None,
    progress: Progress = silent,
    **overrides: Any,
) -> ShareResult:
    """Split the saving by Shapley value, nucleolus, least core or in proportion to the
    saving each partner books in the impact accounts, as ``options`` say (keyword
    arguments override single options). Exact games up to 15 partners; sampled Shapley
    with 95 % intervals beyond. ``executor`` solves the coalitions' parts (None: a process
    pool for the call); ``progress(message, done, total)`` follows them."""
    chosen = options_from(ShareOptions, options, overrides)
    names = players(park)
    frame = pd.DataFrame(index=pd.Index(names, name="actor"))
    frame["name"] = park.actors["name"].reindex(names)
    if len(names) > games.EXACT_LIMIT:
        return _sampled(park, chosen, names, frame, executor, progress)
    game, solves = coalition_game(park, names, chosen.mode, executor=executor, progress=progress)
    if chosen.method == "shapley":
        split = games.shapley(game)
    elif chosen.method == "nucleolus":
        split = games.nucleolus(game)
    elif chosen.method == "least-core":
        split, _ = games.least_core(game)
    else:
        from symbionet.assessment.accounting import impact

        booked = impact(park).partners["saving_eur"] if len(operating(park)) else pd.Series()
        booked = booked.reindex(names).fillna(0.0)
        split = games.proportional(game, booked.clip(lower=0).to_numpy())
    frame["share_eur"] = split
    frame["standalone_eur"] = [game.values[1 << i] for i in range(game.n)]
    frame["share_pct"] = 100 * split / game.grand if game.grand else 0.0
    shortfall, mask = games.largest_shortfall(game, split) if game.n > 1 else (0.0, 0)
    tolerance = 1e-6 * max(1.0, abs(game.grand))
    return ShareResult(
        chosen.method,
        chosen.mode,
        frame,
        game.grand,
        shortfall <= tolerance,
        games.coalition_players(game, mask) if shortfall > tolerance else [],
        shortfall,
        len(game.values),
        solves,
    )


def _sampled(
    park: Park,
    chosen: ShareOptions,
    names: list[str],
    frame: pd.DataFrame,
    executor: Executor | None,
    progress: Progress,
) -> ShareResult:
    """Shapley values from random orders: every coalition the orders meet valued at once."""
    if chosen.method != "shapley":
        raise invalid(
            "method",
            f"{len(names)} partners: {chosen.method} needs every coalition (at most "
            f"{games.EXACT_LIMIT} partners); use shapley, which samples",
        )
    orders = games.random_orders(len(names), chosen.samples, chosen.seed)
    needed = {
        frozenset(names[i] for i in order[:size])
        for order in orders
        for size in range(1, len(names) + 1)
    }
    needed |= {frozenset([name]) for name in names}
    values, solves = coalition_values(
        park, needed, chosen.mode, executor=executor, progress=progress
    )
    mean, half_width = games.shapley_sampled(names, values.__getitem__, chosen.samples, chosen.seed)
    frame["share_eur"] = mean
    frame["ci95_eur"] = half_width
    frame["standalone_eur"] = [values[frozenset([name])] for name in names]
    return ShareResult(
        chosen.method,
        chosen.mode,
        frame,
        values[frozenset(names)],
        None,
        coalitions_solved=len(needed),
        solves=solves,
        note=f"sampled Shapley over {chosen.samples} random orders; core not checked",
    )


__all__ = [
    "METHODS",
    "ShareOptions",
    "ShareResult",
    "coalition_game",
    "coalition_value",
    "coalition_values",
    "operating",
    "part_savings",
    "players",
    "share",
]
