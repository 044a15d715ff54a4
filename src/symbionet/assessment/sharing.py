"""Benefit sharing: a fair, auditable split of the park's saving between its partners.

The value of a coalition is the yearly saving (EUR) the optimiser finds when only its
members exchange: baseline cost minus optimal cost for those partners alone. A lone
partner is worth what it saves by itself (its own exchanges and plants, as
``design --actors ID`` finds). Partners without streams add nothing to any coalition and
are left out of the game.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from symbionet.assessment import games
from symbionet.errors import SymbionetError
from symbionet.optimisation.solve import design
from symbionet.register.park import Park

METHODS = ("shapley", "nucleolus", "least-core", "proportional")
#: Worker processes take seconds to start: fewer solves than this run in this process.
PARALLEL_FROM = 8


@dataclass
class ShareResult:
    """Each partner's share of the grand coalition's saving, and whether the split is stable."""

    method: str
    mode: str
    table: pd.DataFrame
    grand_value: float
    in_core: bool | None
    worst_coalition: list[str] = field(default_factory=list)
    worst_shortfall: float | None = None
    coalitions_solved: int = 0
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        table = self.table.reset_index()
        return {
            "method": self.method,
            "mode": self.mode,
            "grand_value_eur": self.grand_value,
            "in_core": self.in_core,
            "worst_coalition": self.worst_coalition,
            "worst_shortfall_eur": self.worst_shortfall,
            "coalitions_solved": self.coalitions_solved,
            "note": self.note,
            "shares": table.astype(object).where(table.notna(), None).to_dict(orient="records"),
        }


def players(park: Park) -> list[str]:
    """Actors that own at least one stream, in the park's order."""
    owners = set(park.streams["site"].map(park.sites["actor"]))
    return [a for a in park.actors.index if a in owners]


def coalition_value(park: Park, coalition: Sequence[str], mode: str = "operate") -> float:
    """Yearly saving (EUR) of the coalition on its own: its baseline cost minus its optimum."""
    if not coalition:
        return 0.0
    result = design(park, actors=sorted(coalition), mode=mode)
    if not result.ok:
        raise SymbionetError(
            f"the design for {sorted(coalition)} did not solve: {result.termination}"
        )
    return float(result.savings["cost_eur"])


def operating(park: Park) -> pd.DataFrame:
    """The park's operating exchanges."""
    return park.exchanges[park.exchanges["status"] == "operating"]


def operating_links(park: Park) -> nx.Graph:
    """Partners joined by the operating exchanges between their streams (the only ones an
    operating park can use)."""
    owner = park.streams["site"].map(park.sites["actor"])
    graph = nx.Graph()
    graph.add_nodes_from(park.actors.index)
    graph.add_edges_from(
        zip(operating(park)["supply"].map(owner), operating(park)["demand"].map(owner), strict=True)
    )
    return graph


def coalition_game(
    park: Park,
    names: Sequence[str],
    mode: str = "operate",
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> games.Game:
    """v(S) for every coalition of ``names``. In operate mode partners exchange only along
    operating exchanges, so a coalition is worth the sum of its linked groups (a lone
    partner is a group of its own): only those groups are solved (in parallel worker
    processes), the rest are sums."""
    coalitions = [
        tuple(p for i, p in enumerate(names) if m >> i & 1) for m in range(2 ** len(names))
    ]
    if mode == "operate":
        graph = operating_links(park)
        parts = {
            c: [tuple(sorted(g)) for g in nx.connected_components(graph.subgraph(c))]
            for c in coalitions
        }
    else:
        parts = {c: [c] for c in coalitions if c}
    needed = sorted({g for groups in parts.values() for g in groups})
    evaluate = partial(coalition_value, park, mode=mode)
    solved: dict[tuple[str, ...], float] = {}
    if workers <= 1 or len(needed) <= PARALLEL_FROM:
        results: Any = map(evaluate, needed)
        pool = None
    else:
        pool = ProcessPoolExecutor(max_workers=workers)
        results = pool.map(evaluate, needed, chunksize=2)
    try:
        for done, (group, value) in enumerate(zip(needed, results, strict=True), start=1):
            solved[group] = value
            if progress:
                progress(done, len(needed))
    finally:
        if pool is not None:
            pool.shutdown()
    values = [sum(solved[g] for g in parts.get(c, [])) for c in coalitions]
    return games.Game(tuple(names), np.array(values, dtype=float))


def share(
    park: Park,
    method: str = "shapley",
    mode: str = "operate",
    samples: int = 200,
    seed: int = 0,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ShareResult:
    """Split the saving by Shapley value, nucleolus, least core or in proportion to the
    saving each partner books in the impact accounts. Exact games up to 15 partners
    (every coalition solved once, in parallel); sampled Shapley with 95 % intervals beyond."""
    if method not in METHODS:
        raise SymbionetError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    names = players(park)
    workers = workers or min(4, os.cpu_count() or 1)
    frame = pd.DataFrame(index=pd.Index(names, name="actor"))
    frame["name"] = park.actors["name"].reindex(names)
    if len(names) > games.EXACT_LIMIT:
        if method != "shapley":
            raise SymbionetError(
                f"{len(names)} partners: {method} needs every coalition (at most "
                f"{games.EXACT_LIMIT} partners); use --method shapley, which samples"
            )
        cache: dict[frozenset[str], float] = {}

        def value(coalition: frozenset[str]) -> float:
            if coalition not in cache:
                cache[coalition] = coalition_value(park, sorted(coalition), mode)
            return cache[coalition]

        mean, half_width = games.shapley_sampled(names, value, samples, seed)
        frame["share_eur"] = mean
        frame["ci95_eur"] = half_width
        frame["standalone_eur"] = [value(frozenset([name])) for name in names]
        grand = value(frozenset(names))
        return ShareResult(
            method,
            mode,
            frame,
            grand,
            None,
            coalitions_solved=len(cache),
            note=f"sampled Shapley over {samples} random orders; core not checked",
        )
    game = coalition_game(park, names, mode, workers, progress)
    if method == "shapley":
        split = games.shapley(game)
    elif method == "nucleolus":
        split = games.nucleolus(game)
    elif method == "least-core":
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
        method,
        mode,
        frame,
        game.grand,
        shortfall <= tolerance,
        games.coalition_players(game, mask) if shortfall > tolerance else [],
        shortfall,
        len(game.values),
    )
