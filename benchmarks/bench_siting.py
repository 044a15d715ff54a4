"""Benchmark of siting: 50 entrants on 500 plots of a seeded synthetic park, solved to
optimality; prints seconds and figures as JSON.

    python benchmarks/bench_siting.py [ENTRANTS] [PLOTS_PER_TOWN]

The park is ``generate_park`` with five towns' estates of 100 plots each (plots side by
side along the estate roads, adjacent to their neighbours, zoned heavy industry, light
industry or port). Each entrant is drawn with the same seed: an area of 8,000 to
80,000 m2 (so that many need two or three adjacent plots), one to three allowed zones, a
quay for one in ten, and two or three streams copied from the park's own (a copy of a
supply is a supply, of a demand a demand, at half to twice its amount), so that entrants
compete for the park's free supplies and demands. The reference, measured in the same
run: a greedy siting (entrants in order of their best net worth alone, each on its best
option alone whose plots are still free), its flows then shared out optimally.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from typing import Any

import numpy as np
import pandas as pd

from symbionet.discovery.generate import TOWNS, generate_park
from symbionet.siting.placement import SitingOptions, prepare_siting, solve_siting

SEED = 2026
GOAL_S = 60.0
COPIED = ["resource", "direction", "temperature_c", "pressure_bar", "purity", "fate", "source"]


def entrants(park: Any, count: int, seed: int = SEED) -> dict[str, Any]:
    """``count`` entrants whose streams are copies of the park's, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    streams = park.streams
    zones = sorted(park.plots["zoning"].dropna().unique())
    found = []
    for k in range(count):
        rows = streams.iloc[rng.choice(len(streams), size=int(rng.integers(2, 4)), replace=False)]
        copied = []
        for _, row in rows.iterrows():
            stream = {c: row[c] for c in COPIED if c in row and pd.notna(row[c])}
            stream["quantity"] = float(row["annual_quantity"] * rng.uniform(0.5, 2.0))
            stream["unit"] = f"{row['annual_unit']}/yr"
            copied.append(stream)
        allowed = rng.choice(zones, size=int(rng.integers(1, len(zones) + 1)), replace=False)
        found.append(
            {
                "id": f"e{k:02d}",
                "area_m2": float(rng.integers(8, 81) * 1000),
                "zoning": [str(z) for z in allowed],
                "needs": ["port"] if rng.random() < 0.1 else [],
                "streams": copied,
            }
        )
    return {"entrants": found}


def objective(prepared: Any, assigned: Any) -> float:
    """Σ benefit × share − Σ land of the options taken (EUR a year)."""
    links, table = prepared.links, prepared.table
    share = assigned.share.reindex(links.index).fillna(0.0)
    taken = assigned.taken.index[assigned.taken > 0.5]
    return float((links["benefit_eur"] * share).sum() - table.loc[taken, "land_eur"].sum())


def greedy(prepared: Any) -> pd.Index:
    """Entrants in order of their best net worth alone, each on its best option alone whose
    plots are all still free."""
    table = prepared.table[prepared.table["net_eur"] > 0]
    order = table.groupby("entrant")["net_eur"].max().sort_values(ascending=False).index
    used: set[str] = set()
    picked = []
    for entrant in order:
        mine = table[table["entrant"] == entrant].sort_values("net_eur", ascending=False)
        for option, members in mine["members"].items():
            if not used.intersection(members):
                picked.append(option)
                used.update(members)
                break
    return pd.Index(picked)


def main(count: int = 50, per_town: int = 100) -> dict[str, Any]:
    started = time.perf_counter()
    park = generate_park(300, SEED, towns=TOWNS.head(5), plots=per_town, ports=True)
    generated = time.perf_counter() - started
    options = SitingOptions(mip_gap=0.0)
    started = time.perf_counter()
    prepared = prepare_siting(park, entrants(park, count), options)
    build = time.perf_counter() - started
    started = time.perf_counter()
    optimum = solve_siting(prepared, options)
    solve = time.perf_counter() - started
    started = time.perf_counter()
    greedy_picks = greedy(prepared)
    reference = solve_siting(prepared, options, chosen=greedy_picks)
    greedy_s = time.perf_counter() - started
    best, rough = objective(prepared, optimum), objective(prepared, reference)
    table = prepared.table
    figures = {
        "entrants": count,
        "plots": len(park.plots),
        "adjacent_pairs": int(park.plots["adjacent"].fillna("").str.count(r"[^;]+").sum()) // 2,
        "park_streams": len(park.streams),
        "options": len(table),
        "options_worth_something": int((table["net_eur"] > 0).sum()),
        "links": len(prepared.links),
        "status": optimum.solved.status,
        "gap": optimum.solved.gap,
        "placed": int((optimum.taken > 0.5).sum()),
        "objective_eur": round(best, 2),
        "greedy_objective_eur": round(rough, 2),
        "greedy_over_optimum": round(rough / best, 4) if best else None,
        "generate_s": round(generated, 2),
        "build_s": round(build, 2),
        "solve_s": round(solve, 2),
        "total_s": round(build + solve, 2),
        "greedy_s": round(greedy_s, 2),
        "goal_s": GOAL_S,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    return figures


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(main(*arguments), indent=2))
