"""Benchmarks of the design optimiser on seeded synthetic parks; prints figures and ratios.

    python benchmarks/bench_design.py            # every case
    python benchmarks/bench_design.py lp milp    # some of them

Cases: ``lp`` (30 sites, 8 resources, 12 typical days, investments relaxed), ``milp``
(the same with its 200 candidate exchanges as binaries, 1 % gap), ``typical`` (typical
days against the full hourly year on 5 sites, investments relaxed), ``operate`` (the
``milp`` design, fixed, over the full hourly year) and ``pypsa`` (an energy-only park of
30 sites over 672 hours, built and solved by symbionet and by PyPSA as buses, links,
generators, loads and stores; each side in its own process so that peak memory is its
own). The reference of
each ratio is measured in the same run: the solver's own time, or PyPSA.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import symbionet
from symbionet.optimisation.model import build_model
from symbionet.optimisation.network import Network, build_network
from symbionet.optimisation.solve import design
from symbionet.optimisation.synthetic import ENERGY, write_synthetic_park
from symbionet.solver import solve

GOALS = {"lp": 60.0, "milp": 120.0, "operate": 120.0}
HOURS_PYPSA = 672


def _park(sites: int, seed: int = 1, **options: Any) -> symbionet.Park:
    folder = Path(tempfile.mkdtemp(prefix="symbionet-bench-"))
    return symbionet.load_park(write_synthetic_park(folder / "park", sites, seed=seed, **options))


def case_lp() -> dict[str, Any]:
    park = _park(30)
    result = design(park, time="typical-days:12", linear=True, candidates=False, prices=False)
    return _figures(result, "lp")


def case_milp() -> dict[str, Any]:
    park = _park(30)
    result = design(
        park,
        time="typical-days:12",
        candidates=False,
        prices=False,
        mip_gap=0.01,
        time_limit=GOALS["milp"],
    )
    figures = _figures(result, "milp")
    figures["binaries"] = int(result.solution["build"].notnull().sum())
    figures["candidates"] = len(park.exchanges)
    return figures


def case_typical() -> dict[str, Any]:
    park = _park(5, seed=2, candidates=20)
    options = {"linear": True, "candidates": False, "prices": False}
    full = design(park, time="hourly", **options)
    rows = {"full_year_objective": full.objective, "full_year_s": full.timings["total_s"]}
    for days in (4, 8, 12):
        typical = design(park, time=f"typical-days:{days}", **options)
        rows[f"typical_{days}_relative_error"] = typical.objective / full.objective - 1
        rows[f"typical_{days}_s"] = typical.timings["total_s"]
    return rows


def case_operate() -> dict[str, Any]:
    park = _park(30)
    chosen = design(park, time="typical-days:12", candidates=False, prices=False, mip_gap=0.01)
    result = design(park, time="hourly", fix=chosen, candidates=False, prices=False)
    figures = _figures(result, "operate")
    figures["periods"] = int(result.flows.shape[1])
    return figures


def _figures(result: Any, goal: str) -> dict[str, Any]:
    total = result.timings["total_s"]
    return {
        "status": result.termination,
        "objective": result.objective,
        "gap": result.gap,
        "build_s": result.timings["build_s"],
        "solve_s": result.timings["solve_s"],
        "total_s": total,
        "goal_s": GOALS[goal],
        "total_over_goal": total / GOALS[goal],
        "total_over_solver": total / result.timings["solve_s"],
    }


# ---- PyPSA comparison: each side in a child process


def energy_network() -> Network:
    """The energy-only park (heat, steam, electricity) over its first 672 hours."""
    park = _park(30, kinds=ENERGY, candidates=200, stores=2)
    net = build_network(park, "hourly", candidates=False)
    return net.subset(net.periods.index[:HOURS_PYPSA])


def _peak_mib() -> float:
    """This process's own peak resident memory (VmHWM, reset when the process starts)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def side_symbionet() -> dict[str, Any]:
    net = energy_network()
    started = time.perf_counter()
    built = build_model(net, linear=True)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    solve(built.model)
    solve_s = time.perf_counter() - started
    return {
        "objective": float(built.model.objective.value),
        "build_s": build_s,
        "solve_s": solve_s,
        "peak_mib": _peak_mib(),
    }


def to_pypsa(net: Network) -> Any:
    """The same network as PyPSA components: a bus per node, loads for the streams,
    generators for the baseline routes, links for arcs and plants, stores for storage."""
    import pypsa

    from symbionet.optimisation.model import unmet_penalty

    nodes, arcs, techs = net.nodes, net.arcs, net.techs
    snapshots = pd.Index(net.periods.index, name="snapshot")
    n = pypsa.Network()
    n.set_snapshots(snapshots)
    n.snapshot_weightings.loc[:, :] = net.periods.weight.to_numpy()[:, None]
    n.add("Bus", nodes.index, carrier=nodes["resource"].to_numpy())
    quantity = net.quantity.T.set_axis(snapshots)
    big = float(quantity.to_numpy().max()) * 10 + 1.0
    supply = nodes.index[nodes["kind"] == "supply"]
    demand = nodes.index[nodes["kind"] == "demand"]
    sourced = demand[nodes.loc[demand, "has_route"].to_numpy(bool)]
    hubs = nodes.index[nodes["kind"] == "hub"]
    bought = hubs[nodes.loc[hubs, "has_route"].to_numpy(bool)]
    loads = pd.concat([-quantity[supply], quantity[demand]], axis=1)
    n.add(
        "Load",
        loads.columns,
        suffix=" load",
        bus=loads.columns,
        p_set=loads.set_axis(loads.columns + " load", axis=1),
    )
    penalty = unmet_penalty(net, "cost")
    for name, where, cost, sign in (
        ("fate", supply, nodes.loc[supply, "unit_cost"], -1.0),
        ("source", sourced, nodes.loc[sourced, "unit_cost"], 1.0),
        ("unmet", demand, pd.Series(penalty, index=demand), 1.0),
        ("buy", bought, nodes.loc[bought, "unit_cost"], 1.0),
        ("dump", hubs, pd.Series(0.0, index=hubs), -1.0),
    ):
        if len(where):
            n.add(
                "Generator",
                where,
                suffix=f" {name}",
                bus=where,
                p_nom=big,
                sign=sign,
                marginal_cost=cost.to_numpy(),
            )
    bound = _arc_bounds(net)
    free = arcs.index[arcs["built"].to_numpy(bool)]
    invest = arcs.index[~arcs["built"].to_numpy(bool)]
    n.add(
        "Link",
        free,
        bus0=arcs.loc[free, "from_node"].to_numpy(),
        bus1=arcs.loc[free, "to_node"].to_numpy(),
        efficiency=arcs.loc[free, "efficiency"].to_numpy(),
        marginal_cost=arcs.loc[free, "unit_cost"].to_numpy(),
        p_nom=big,
    )
    peak = bound[invest].max().clip(lower=1e-9)
    n.add(
        "Link",
        invest,
        bus0=arcs.loc[invest, "from_node"].to_numpy(),
        bus1=arcs.loc[invest, "to_node"].to_numpy(),
        efficiency=arcs.loc[invest, "efficiency"].to_numpy(),
        marginal_cost=arcs.loc[invest, "unit_cost"].to_numpy(),
        p_nom_extendable=True,
        p_nom_max=peak.to_numpy(),
        capital_cost=(arcs.loc[invest, "fixed_cost"] / peak).to_numpy(),
        p_max_pu=(bound[invest] / peak).set_axis(snapshots),
    )
    plants = techs.index[~techs["storage"].to_numpy(bool)]
    n.add(
        "Link",
        plants,
        bus0=techs.loc[plants, "in0"].to_numpy(),
        bus1=techs.loc[plants, "out0"].to_numpy(),
        efficiency=techs.loc[plants, "efficiency"].to_numpy(),
        marginal_cost=techs.loc[plants, "unit_cost"].to_numpy(),
        p_nom_extendable=True,
        p_nom_max=techs.loc[plants, "capacity"].to_numpy(),
        capital_cost=techs.loc[plants, "size_cost"].to_numpy(),
    )
    stores = techs.index[techs["storage"].to_numpy(bool)]
    if len(stores):
        n.add("Bus", stores, suffix=" store", carrier="store")
        n.add(
            "Store",
            stores,
            bus=stores + " store",
            e_nom_extendable=True,
            e_cyclic=True,
            e_nom_max=techs.loc[stores, "capacity"].to_numpy(),
            capital_cost=techs.loc[stores, "size_cost"].to_numpy(),
        )
        n.add(
            "Link",
            stores,
            suffix=" charge",
            bus0=techs.loc[stores, "in0"].to_numpy(),
            bus1=(stores + " store"),
            efficiency=techs.loc[stores, "efficiency"].to_numpy(),
            p_nom=big,
        )
        n.add(
            "Link",
            stores,
            suffix=" discharge",
            bus0=(stores + " store"),
            bus1=techs.loc[stores, "out0"].to_numpy(),
            p_nom=big,
        )
    return n


def _arc_bounds(net: Network) -> pd.DataFrame:
    """The stream bound of every arc in every period (snapshots x arcs)."""
    arcs, nodes, quantity = net.arcs, net.nodes, net.quantity
    bound = pd.DataFrame(np.inf, index=net.periods.index, columns=arcs.index)
    for arc, row in arcs.iterrows():
        if nodes.loc[row["from_node"], "kind"] != "hub":
            bound[arc] = np.minimum(bound[arc], quantity.loc[row["from_node"]].to_numpy())
        if nodes.loc[row["to_node"], "kind"] != "hub":
            bound[arc] = np.minimum(
                bound[arc], quantity.loc[row["to_node"]].to_numpy() / row["efficiency"]
            )
    return bound


def side_pypsa() -> dict[str, Any]:
    import logging

    logging.disable(logging.WARNING)
    n = to_pypsa(energy_network())
    started = time.perf_counter()
    n.optimize.create_model(include_objective_constant=False)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    solve(n.model)
    solve_s = time.perf_counter() - started
    return {
        "objective": float(n.model.objective.value),
        "build_s": build_s,
        "solve_s": solve_s,
        "peak_mib": _peak_mib(),
    }


def _child(side: str) -> dict[str, Any]:
    """Run one side in a fresh process and return what it prints last."""
    completed = subprocess.run(
        [sys.executable, __file__, f"--side={side}"], capture_output=True, text=True, check=True
    )
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def case_pypsa() -> dict[str, Any]:
    ours = _child("symbionet")
    theirs = _child("pypsa")
    return {
        "symbionet": ours,
        "pypsa": theirs,
        "objective_relative_difference": abs(ours["objective"] / theirs["objective"] - 1),
        "build_ratio": ours["build_s"] / theirs["build_s"],
        "solve_ratio": ours["solve_s"] / theirs["solve_s"],
        "memory_ratio": ours["peak_mib"] / theirs["peak_mib"],
    }


CASES = {
    "lp": case_lp,
    "milp": case_milp,
    "typical": case_typical,
    "operate": case_operate,
    "pypsa": case_pypsa,
}
SIDES = {"symbionet": side_symbionet, "pypsa": side_pypsa}


def main(argv: list[str]) -> None:
    if argv and argv[0].startswith("--side="):
        print(json.dumps(SIDES[argv[0].split("=", 1)[1]]()))
        return
    names = argv or list(CASES)
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    print(f"# {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores, {cpu}; load {os.getloadavg()}")
    for name in names:
        started = time.perf_counter()
        figures = CASES[name]()
        figures["wall_s"] = time.perf_counter() - started
        print(json.dumps({name: figures}, default=float))


if __name__ == "__main__":
    main(sys.argv[1:])
