"""Resilience: what happens when partners leave or exchanges fail, re-optimised.

Each scenario removes partners (their sites, streams and exchanges) or exchanges and
re-runs the optimiser for the rest. For every remaining partner it reports the supply
left stranded (sent back to its fate), the demand now bought from its baseline source
or left unmet, and the extra cost and CO2e that follow; beside it, graph metrics of the
exchange network (degree, betweenness, dependence on the largest supplier).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import networkx as nx
import pandas as pd

from symbionet.assessment.accounting import impact
from symbionet.assessment.sharing import operating, players
from symbionet.errors import SymbionetError
from symbionet.optimisation.result import DesignResult
from symbionet.optimisation.solve import design
from symbionet.register.baseline import stream_baseline
from symbionet.register.park import Park


@dataclass
class StressResult:
    """Scenario totals, per-partner consequences, the criticality ranking and graph metrics."""

    scenarios: pd.DataFrame
    partners: pd.DataFrame
    ranking: pd.DataFrame
    graph: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        return {
            name: _records(getattr(self, name))
            for name in ("scenarios", "partners", "ranking", "graph")
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    flat = frame.reset_index()
    return flat.astype(object).where(flat.notna(), None).to_dict(orient="records")


def exchanged(park: Park, result: DesignResult) -> pd.Series:
    """Yearly amount each stream sends (supplies) or receives (demands: what arrives, in its
    own resource, after conversion and transport losses)."""
    streams = park.streams
    sent = result.built.groupby("from")["annual"].sum().reindex(streams.index)
    received = result.built.groupby("to")["received"].sum().reindex(streams.index)
    return sent.where(streams["direction"] == "supply", received).fillna(0.0)


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
    return pd.DataFrame(rows).set_index("actor")


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
            else "nothing to stress: give --remove NAME, --all-single or --k N"
        )
    return list(dict.fromkeys(sets))


def stress(
    park: Park,
    remove: Sequence[str] = (),
    all_single: bool = False,
    k: int = 1,
    mode: str = "operate",
) -> StressResult:
    """Re-optimise the park without each failure set and report who is hit and how hard."""
    failures = scenarios_for(park, remove, all_single, k)
    intact = exchanged(park, design(park, mode=mode))
    actors = list(park.actors.index)
    rows, partner_rows = [], []
    for failure in failures:
        gone = [n for n in failure if n in park.actors.index]
        kept = [a for a in actors if a not in gone]
        broken = [n for n in failure if n in park.exchanges.index]
        result = design(park, mode=mode, actors=kept, exclude_exchanges=broken)
        consequences = _consequences(park, intact, exchanged(park, result), kept)
        label = " + ".join(failure)
        rows.append(
            {
                "scenario": label,
                "removed": list(failure),
                "extra_cost_eur": float(consequences["extra_cost_eur"].sum()),
                "co2e_rebound_t": float(consequences["co2e_rebound_t"].sum()),
                "partners_hit": int((consequences["streams_hit"] > 0).sum()),
                "unmet_demand": float(consequences["unmet_demand"].sum()),
                "status": result.status,
            }
        )
        partner_rows.append(consequences.assign(scenario=label).reset_index())
    scenarios = (
        pd.DataFrame(rows).set_index("scenario").sort_values("extra_cost_eur", ascending=False)
    )
    partners = pd.concat(partner_rows, ignore_index=True).set_index(["scenario", "actor"])
    partners = partners[partners["streams_hit"] > 0]
    singles = scenarios[scenarios["removed"].map(len) == 1]
    ranking = singles[["extra_cost_eur", "co2e_rebound_t", "partners_hit"]].copy()
    ranking.index = [r[0] for r in singles["removed"]]
    ranking.index.name = "removed"
    ranking.insert(0, "rank", range(1, len(ranking) + 1))
    return StressResult(scenarios, partners, ranking, graph_metrics(park))
