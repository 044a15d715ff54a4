"""Benchmarks of design at national scale; prints figures and ratios.

    python benchmarks/bench_national_design.py              # both cases
    python benchmarks/bench_national_design.py national     # one of them

Cases: ``national`` (300 sites in 10 parks around Danish port towns, 2,000 candidate
exchanges as binaries, ship and truck links between parks among them, 12 typical days, 1 %
gap), against the same model solved as one HiGHS MILP under the same time limit;
``hourly`` (the 30-site park of ``bench_design.py``, investments as an LP over the 8,760
hours of a year), against PyPSA + HiGHS on the same network under a time limit, each side
in its own process. The reference of each ratio is measured in the same run.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import linopy
import xarray as xr
from bench_design import _peak_mib, to_pypsa

import symbionet
from symbionet.optimisation.model import build_model
from symbionet.optimisation.network import Network, build_network
from symbionet.optimisation.solve import design
from symbionet.optimisation.synthetic import write_national_park, write_synthetic_park
from symbionet.solver import solve

GOALS = {"national": 600.0, "hourly": 300.0}
NATIONAL_TIME = "typical-days:12"
# the limit of the references (the national MILP as one model; PyPSA over the year)
REFERENCE_LIMIT = {"national": 600.0, "hourly": 900.0}


def _folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="symbionet-bench-"))


def _park_30() -> symbionet.Park:
    return symbionet.load_park(write_synthetic_park(_folder() / "park", 30, seed=1))


def _timings(result: Any, goal: str) -> dict[str, Any]:
    total = result.timings["total_s"]
    return {
        "status": result.termination,
        "objective": result.objective,
        "bound": result.bound,
        "gap": (result.objective - result.bound) / abs(result.objective),
        "build_s": result.timings["build_s"],
        "solve_s": result.timings["solve_s"],
        "total_s": total,
        "goal_s": GOALS[goal],
        "total_over_goal": total / GOALS[goal],
    }


def case_national() -> dict[str, Any]:
    park = symbionet.load_park(write_national_park(_folder() / "park", seed=1))
    links = park.exchanges["mode"].value_counts().to_dict()
    result = design(
        park,
        time=NATIONAL_TIME,
        candidates=False,
        prices=False,
        mip_gap=0.01,
        time_limit=GOALS["national"],
    )
    ours = _timings(result, "national")
    net = build_network(park, NATIONAL_TIME, candidates=False)
    started = time.perf_counter()
    whole = build_model(net)
    build_s = time.perf_counter() - started
    solved = solve(whole.model, mip_rel_gap=0.01, time_limit=REFERENCE_LIMIT["national"])
    constant = whole.constants.get("cost", 0.0)
    objective = whole.value("cost") if solved.feasible else float("nan")
    bound = solved.bound + constant
    reference = {
        "status": solved.status,
        "objective": objective,
        "bound": bound,
        "gap": (objective - bound) / abs(objective),
        "build_s": build_s,
        "solve_s": solved.seconds,
    }
    return {
        "binaries": net.decisions(),
        "modes": links,
        "symbionet": ours,
        "one_milp": reference,
        "total_over_one_milp": ours["total_s"] / (build_s + solved.seconds),
    }


def hourly_network() -> Network:
    return build_network(_park_30(), "hourly", candidates=False)


def side_symbionet() -> dict[str, Any]:
    park = _park_30()
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        result = design(
            park, time="hourly", linear=True, candidates=False, prices=False, executor=pool
        )
    figures = _timings(result, "hourly")
    figures["peak_mib"] = _peak_mib()
    return figures


def contaminant_limits(n: Any, net: Network) -> None:
    """The demands' contaminant limits (blending, as in symbionet's model) on PyPSA's model."""
    m, arcs = n.model, net.arcs
    for contaminant in net.limits.columns:
        limit = net.limits[contaminant].dropna()
        rows = arcs.index[arcs["to_node"].isin(limit.index)].rename("name")
        ends = arcs.loc[rows]
        carried = net.concentration.loc[ends["from_node"], contaminant].to_numpy()
        excess = (carried - limit.loc[ends["to_node"]].to_numpy()) * ends["efficiency"].to_numpy()
        into = xr.DataArray(ends["to_node"].to_numpy(), coords={"name": rows}, name="node")
        mixed = (
            (xr.DataArray(excess, coords={"name": rows}) * m["Link-p"].sel(name=rows))
            .groupby(into)
            .sum()
        )
        sources = m["Generator-p"].coords["name"].to_index()
        clean = [d for d in limit.index if f"{d} source" in sources]
        fresh = m["Generator-p"].sel(name=[f"{d} source" for d in clean])
        fresh = fresh.assign_coords(name=clean).rename(name="node")
        allowed = xr.DataArray(limit.loc[clean].to_numpy(), coords={"node": clean})
        lhs = linopy.merge([mixed, -allowed * fresh], dim="_term", join="outer")
        m.add_constraints(lhs <= 0, name=f"limit_{contaminant}")


def side_pypsa() -> dict[str, Any]:
    import logging

    logging.disable(logging.WARNING)
    net = hourly_network()
    started = time.perf_counter()
    n = to_pypsa(net)
    n.optimize.create_model(include_objective_constant=False)
    contaminant_limits(n, net)
    build_s = time.perf_counter() - started
    solved = solve(n.model, time_limit=REFERENCE_LIMIT["hourly"])
    objective = float(n.model.objective.value) + net.constant_cost if solved.feasible else None
    return {
        "status": solved.status,
        "objective": objective,
        "build_s": build_s,
        "solve_s": solved.seconds,
        "limit_s": REFERENCE_LIMIT["hourly"],
        "peak_mib": _peak_mib(),
    }


def _child(side: str) -> dict[str, Any]:
    """Run one side in a fresh process and return what it prints last."""
    completed = subprocess.run(
        [sys.executable, __file__, f"--side={side}"], capture_output=True, text=True, check=True
    )
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def case_hourly() -> dict[str, Any]:
    ours = _child("symbionet")
    theirs = _child("pypsa")
    theirs_s = theirs["build_s"] + theirs["solve_s"]
    figures = {
        "symbionet": ours,
        "pypsa": theirs,
        "total_over_pypsa": ours["total_s"] / theirs_s,
    }
    if theirs["objective"] is not None:
        figures["objective_relative_difference"] = abs(ours["objective"] / theirs["objective"] - 1)
    return figures


CASES = {"national": case_national, "hourly": case_hourly}
SIDES = {"symbionet": side_symbionet, "pypsa": side_pypsa}


def main(argv: list[str]) -> None:
    if argv and argv[0].startswith("--side="):
        print(json.dumps(SIDES[argv[0].split("=", 1)[1]](), default=float))
        return
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    print(f"# {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores, {cpu}; load {os.getloadavg()}")
    for name in argv or list(CASES):
        started = time.perf_counter()
        figures = CASES[name]()
        figures["wall_s"] = time.perf_counter() - started
        figures["load_after"] = os.getloadavg()
        print(json.dumps({name: figures}, default=float), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
