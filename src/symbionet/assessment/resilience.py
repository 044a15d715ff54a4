"""Resilience: what happens when partners leave or exchanges fail, re-optimised.

Each scenario removes partners (their sites, streams and exchanges) or exchanges and
re-runs the optimiser for the rest. For every remaining partner it reports the supply
left stranded (sent back to its fate), the demand now bought from its baseline source
or left unmet, and the extra cost and CO2e that follow; beside it, graph metrics of the
exchange network (degree, betweenness, dependence on the largest supplier).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import networkx as nx
import pandas as pd

from symbionet.assessment.accounting import impact
from symbionet.assessment.sharing import operating, players
from symbionet.errors import SymbionetError, invalid
from symbionet.executors import run_tasks
from symbionet.optimisation.coalitions import Coalitions, Part, bundles
from symbionet.optimisation.network import (
    MODES,
    Network,
    build_network,
    disjoint_union,
    untagged,
)
from symbionet.optimisation.result import DesignResult
from symbionet.optimisation.solve import design_network
from symbionet.options import options_from
from symbionet.progress import Progress, silent
from symbionet.register.baseline import stream_baseline
from symbionet.register.park import Park
from symbionet.results import Result


@dataclass(frozen=True)
class StressOptions:
    """The failures to test: partners or exchanges to ``remove`` together, each partner
    alone (``all_single``), every group of up to ``k`` partners; the network of ``mode``
    (operate: the operating exchanges; invest: candidates too)."""

    remove: tuple[str, ...] = ()
    all_single: bool = False
    k: int = 1
    mode: str = "operate"

    def __post_init__(self) -> None:
        if isinstance(self.remove, str):
            raise invalid("remove", f"takes a list of names, not the text {self.remove!r}")
        object.__setattr__(self, "remove", tuple(str(name) for name in self.remove))
        if not isinstance(self.k, int) or isinstance(self.k, bool) or self.k < 1:
            raise invalid("k", f"must be a whole number of partners, 1 or more, not {self.k!r}")
        if self.mode not in MODES:
            raise invalid("mode", f"must be {' or '.join(MODES)}, not {self.mode!r}")


@dataclass
class StressResult(Result):
    """Scenario totals, per-partner consequences, the criticality ranking and graph metrics."""

    scenarios: pd.DataFrame
    partners: pd.DataFrame
    ranking: pd.DataFrame
    graph: pd.DataFrame
    main_table = "scenarios"


def exchanged(net: Network, result: DesignResult) -> pd.Series:
    """Yearly amount each stream of a network sends (supplies) or receives (demands: what
    arrives, in its own resource, after conversion and transport losses)."""
    kind = net.nodes.loc[net.nodes["kind"] != "hub", "kind"]
    sent = result.built.groupby("from")["annual"].sum().reindex(kind.index)
    received = result.built.groupby("to")["received"].sum().reindex(kind.index)
    return sent.where(kind == "supply", received).fillna(0.0)


def parts_exchanged(parts: Sequence[Network]) -> list[tuple[pd.Series, str]]:
    """What each stream of several parts of a network exchanges at their optimum, solved
    side by side in one design, and the solver's status."""
    union = disjoint_union(parts)
    result = design_network(union, prices=False)
    amounts = exchanged(union, result)
    streams, numbers = untagged(amounts.index)
    amounts = amounts.set_axis(streams)
    return [(amounts[numbers == number], result.status) for number in range(len(parts))]


def _consequences(
    park: Park, intact: pd.Series, stressed: pd.Series, kept: Sequence[str]
) -> pd.DataFrame:
    """Per remaining partner: stranded supply, demand falling back to its source, cost, CO2e."""
    streams = park.streams
    owner = streams["site"].map(park.sites["actor"])
    mine = owner.isin(kept)
    lost = (intact - stressed.reindex(intact.index).fillna(0.0)).clip(lower=0.0)[mine]
    base = stream_baseline(park).loc[lost.index]
    has_source = base["route"].notna() | (streams.loc[lost.index, "direction"] == "supply")
    table = pd.DataFrame(
        {
            "actor": owner[lost.index],
            "stranded_supply": lost.where(streams.loc[lost.index, "direction"] == "supply", 0.0),
            "fallback_demand": lost.where(
                (streams.loc[lost.index, "direction"] == "demand") & has_source, 0.0
            ),
            "unmet_demand": lost.where(
                (streams.loc[lost.index, "direction"] == "demand") & ~has_source, 0.0
            ),
            "extra_cost_eur": lost * base["cost_eur"],
            "co2e_rebound_t": lost * base["co2e_t"],
            "streams_hit": (lost > 1e-6).astype(int),
        }
    )
    return table.groupby("actor").sum()


def exchange_graph(park: Park) -> nx.DiGraph:
    """Actors as nodes, operating exchanges as edges weighted by what the receiver saves."""
    graph = nx.DiGraph()
    graph.add_nodes_from(park.actors.index)
    if operating(park).empty:
        return graph
    table = impact(park).exchanges
    for row in table.itertuples():
        if row.supplier != row.receiver:
            weight = graph.get_edge_data(row.supplier, row.receiver, {"weight": 0.0})["weight"]
            graph.add_edge(
                row.supplier, row.receiver, weight=weight + max(row.receiver_saving_eur, 0.0)
            )
    return graph


def graph_metrics(park: Park) -> pd.DataFrame:
    """Degree, betweenness and dependence (share of what a partner receives that comes from
    its largest supplier) of every partner in the exchange network."""
    graph = exchange_graph(park)
    betweenness = nx.betweenness_centrality(graph.to_undirected())
    rows = []
    for actor in graph.nodes:
        incoming = [d["weight"] for _, _, d in graph.in_edges(actor, data=True)]
        rows.append(
            {
                "actor": actor,
                "suppliers": graph.in_degree(actor),
                "receivers": graph.out_degree(actor),
                "betweenness": betweenness[actor],
                "dependence": max(incoming) / sum(incoming) if sum(incoming) > 0 else 0.0,
            }
        )
    columns = ["actor", "suppliers", "receivers", "betweenness", "dependence"]
    return pd.DataFrame(rows, columns=columns).set_index("actor")


def scenarios_for(
    park: Park, remove: Sequence[str], all_single: bool, k: int
) -> list[tuple[str, ...]]:
    """The failure sets to test: the given ones, every single partner, or every k partners."""
    known = set(park.actors.index) | set(park.exchanges.index)
    unknown = [name for name in remove if name not in known]
    if unknown:
        raise SymbionetError(f"unknown partner or exchange: {', '.join(unknown)}")
    sets: list[tuple[str, ...]] = [tuple(remove)] if remove else []
    if all_single or k > 1:
        for size in range(1, max(k, 1) + 1):
            sets += list(combinations(players(park), size))
    if not sets:
        raise SymbionetError(
            "nothing to stress: no partner has a stream"
            if all_single or k > 1
            else "nothing to stress: name partners or exchanges to remove, or remove each "
            "partner in turn (all_single) or every group of up to k"
        )
    return list(dict.fromkeys(sets))


def stress(
    park: Park,
    options: StressOptions | None = None,
    *,
    executor: Executor | None = None,
    progress: Progress = silent,
    **overrides: Any,
) -> StressResult:
    """Re-optimise the park without each failure set and report who is hit and how hard,
    as ``options`` say (keyword arguments override single options). The park's network
    is built once; each scenario's network is split into independent parts and each
    distinct part solved once, on ``executor`` (None: a process pool for the call);
    ``progress(message, done, total)`` follows them."""
    chosen = options_from(StressOptions, options, overrides)
    failures = scenarios_for(park, chosen.remove, chosen.all_single, chosen.k)
    return failures_tested(park, failures, chosen.mode, executor=executor, progress=progress)


def failures_tested(
    park: Park,
    failures: list[tuple[str, ...]],
    mode: str = "operate",
    *,
    executor: Executor | None = None,
    progress: Progress = silent,
) -> StressResult:
    """The park re-optimised without each of ``failures`` (sets of partners and exchanges;
    none: a result without scenarios), as :func:`stress` describes."""
    split = Coalitions.of(build_network(park, mode=mode))
    actors = list(park.actors.index)
    kept = {failure: [a for a in actors if a not in failure] for failure in failures}
    parts = {
        failure: split.parts(kept[failure], [n for n in failure if n in park.exchanges.index])
        for failure in failures
    }
    intact_parts = split.parts(actors)
    needed: list[Part] = sorted({p for found in [intact_parts, *parts.values()] for p in found})
    together = bundles([split.network(p) for p in needed])
    solved = run_tasks(parts_exchanged, together, executor, progress, "solving scenarios")
    outcomes = dict(zip(needed, (o for bundle in solved for o in bundle), strict=True))

    def amounts(found: list[Part]) -> pd.Series:
        series = [outcomes[p][0] for p in found]
        joined = pd.concat(series) if series else pd.Series(dtype=float)
        return joined.reindex(park.streams.index).fillna(0.0)

    intact = amounts(intact_parts)
    rows, partner_rows = [], []
    for failure in failures:
        consequences = _consequences(park, intact, amounts(parts[failure]), kept[failure])
        label = " + ".join(failure)
        statuses = [outcomes[p][1] for p in parts[failure] if outcomes[p][1] != "ok"]
        rows.append(
            {
                "scenario": label,
                "removed": list(failure),
                "extra_cost_eur": float(consequences["extra_cost_eur"].sum()),
                "co2e_rebound_t": float(consequences["co2e_rebound_t"].sum()),
                "partners_hit": int((consequences["streams_hit"] > 0).sum()),
                "unmet_demand": float(consequences["unmet_demand"].sum()),
                "status": statuses[0] if statuses else "ok",
            }
        )
        partner_rows.append(consequences.assign(scenario=label).reset_index())
    columns = ["scenario", "removed", "extra_cost_eur", "co2e_rebound_t", "partners_hit"]
    columns += ["unmet_demand", "status"]
    scenarios = (
        pd.DataFrame(rows, columns=columns)
        .set_index("scenario")
        .sort_values("extra_cost_eur", ascending=False)
    )
    # no one is hit in the intact park: its rows give the table its columns when there is
    # no scenario, and are dropped below with everyone not hit
    hit = _consequences(park, intact, intact, actors).assign(scenario="").reset_index()
    partners = pd.concat([hit, *partner_rows], ignore_index=True).set_index(["scenario", "actor"])
    partners = partners[partners["streams_hit"] > 0]
    singles = scenarios[scenarios["removed"].map(len) == 1]
    ranking = singles[["extra_cost_eur", "co2e_rebound_t", "partners_hit"]].copy()
    ranking.index = [r[0] for r in singles["removed"]]
    ranking.index.name = "removed"
    ranking.insert(0, "rank", range(1, len(ranking) + 1))
    return StressResult(scenarios, partners, ranking, graph_metrics(park))


__all__ = [
    "StressOptions",
    "StressResult",
    "exchange_graph",
    "exchanged",
    "failures_tested",
    "graph_metrics",
    "parts_exchanged",
    "scenarios_for",
    "stress",
]
