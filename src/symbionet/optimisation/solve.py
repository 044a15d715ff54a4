"""Solving a design: the network in independent parts, a fixed design in runs of periods,
and the no-symbiosis baseline."""

from __future__ import annotations

import math
import time as clock
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from symbionet.executors import run_tasks
from symbionet.optimisation.model import KPIS, Built, build_model, fixed_charge
from symbionet.optimisation.network import Network, build_network, restrict
from symbionet.optimisation.options import DesignOptions
from symbionet.optimisation.periods import FLAT
from symbionet.optimisation.result import (
    KPI_NAMES,
    DesignResult,
    balance_table,
    baseline_kpis,
    built_table,
    price_table,
    unmet_table,
)
from symbionet.options import options_from
from symbionet.progress import Progress, silent
from symbionet.register.estimates import estimated_flow_shares
from symbionet.register.park import Park
from symbionet.solver import NO_SOLUTION, gap_and_bound
from symbionet.solver import solve as highs

# Independent parts of a MILP are solved on their own (smaller branch-and-bound trees);
# small ones together, up to this many binaries, to save building many tiny models.
BINARIES_TOGETHER = 30
# An LP over more periods than this goes to HiGHS's interior point method without crossover:
# the simplex stalls on a year of hours, where each build and size reaches into every hour.
INTERIOR_PERIODS = 24 * 7 * 4
INTERIOR = {"solver": "ipx", "run_crossover": "off"}

Report = Callable[[str, float], None]

#: How every part of a network is solved: objective, caps, linear, fixed design, solver
#: options, prices, horizon and the network's number of periods.
Settings = tuple[
    str, dict[str, float], bool, dict[str, float] | None, dict[str, Any], bool, int, int
]


def baseline_cost(park: Park, actors: Sequence[str] | None = None) -> float:
    """Yearly cost (EUR) of a park, or a coalition of its actors, with no exchange at all."""
    return baseline(park, actors)["cost_eur"]


def baseline(park: Park, actors: Sequence[str] | None = None) -> dict[str, float]:
    """KPIs of the no-symbiosis baseline: every demand from its source, every supply to
    its fate (cost in EUR, CO2e in t, freshwater in m3, waste in t, unmet demand)."""
    net = build_network(restrict(park, actors), "annual", baseline=True)
    return baseline_kpis(net)


def design(
    park: Park,
    options: DesignOptions | None = None,
    *,
    executor: Executor | None = None,
    progress: Progress = silent,
    **overrides: Any,
) -> DesignResult:
    """The best network for a park (or a coalition of its actors), as ``options`` say
    (see :class:`DesignOptions`; keyword arguments override single options, as in
    ``design(park, actors=["a", "b"], mode="operate")``). The independent parts of the
    network are solved on ``executor`` (None: a process pool for the call when there are
    many). ``progress`` receives (message, share done, 1.0)."""
    chosen = options_from(DesignOptions, options, overrides)
    started = clock.perf_counter()
    progress("reading the park", 0.0, 1.0)
    net = build_network(
        restrict(park, chosen.actors),
        chosen.time,
        mode=chosen.mode,
        greenfield=chosen.greenfield,
        candidates=chosen.candidates,
        exclude=chosen.exclude_exchanges,
    )
    result = design_network(
        net,
        replace(chosen, actors=None, exclude_exchanges=()),
        executor=executor,
        progress=progress,
    )
    result.timings["total_s"] = clock.perf_counter() - started
    result.estimated_share = estimated_flow_shares(park, result.built)
    progress("done", 1.0, 1.0)
    return result


def design_network(
    net: Network,
    options: DesignOptions | None = None,
    *,
    executor: Executor | None = None,
    progress: Progress = silent,
    **overrides: Any,
) -> DesignResult:
    """The best design of a network built once by :func:`build_network`, for the coalition
    ``actors`` of the options without their ``exclude_exchanges``: many coalitions or
    failures of one park are solved without building its network again. The network keeps
    the time, mode and candidates it was built with (those options are not read); its
    independent parts are solved on ``executor`` as in :func:`design`."""
    chosen = options_from(DesignOptions, options, overrides)
    sub = net.of_actors(chosen.actors, chosen.exclude_exchanges)
    fixed = _complete_fix(sub, None if chosen.fix is None else dict(chosen.fix))
    bounds = {name: cap for name, cap in chosen.caps.items() if cap < math.inf}
    result = _solve(
        sub,
        chosen.objective,
        bounds,
        chosen.linear,
        fixed,
        _solver_options(chosen.mip_gap, chosen.time_limit, chosen.verbose),
        chosen.prices,
        chosen.horizon,
        lambda message, done: progress(message, done, 1.0),
        executor,
    )
    result.baseline = baseline_kpis(sub)
    return result


def _complete_fix(net: Network, fix: dict[str, float] | None) -> dict[str, float] | None:
    """A fixed design covers every decision: what it does not name is not built."""
    if fix is None:
        return None
    decisions = list(net.arcs.index[~net.arcs["built"].astype(bool)])
    techs = net.techs
    decisions += list(techs.index[(techs["fixed_cost"] > 0) | (techs["size_cost"] > 0)])
    return {k: float(fix.get(k, 0.0)) for k in decisions}


def _solver_options(mip_gap: float, time_limit: float | None, verbose: bool) -> dict[str, Any]:
    options: dict[str, Any] = {"mip_rel_gap": float(mip_gap), "output_flag": verbose}
    if time_limit is not None and math.isfinite(time_limit):
        options["time_limit"] = float(time_limit)
    return options


@dataclass
class Piece:
    """The solution of one independent part of a network, with the solver's lower bound on
    its objective."""

    solution: xr.Dataset
    duals: xr.DataArray | None
    status: str
    termination: str
    gap: float
    bound: float
    timings: dict[str, float]


def _solve(
    net: Network,
    objective: str,
    caps: dict[str, float],
    linear: bool,
    fixed: dict[str, float] | None,
    options: dict[str, Any],
    prices: bool,
    horizon: int,
    say: Report,
    executor: Executor | None = None,
) -> DesignResult:
    """Solve each independent part of the network on its own and put the parts together.

    Parts that share no arc, technology or bound can be solved apart (a bound on a KPI
    links them all): the parts of a MILP on their own, small ones together (smaller
    branch-and-bound trees; the time limit applies to each); an LP's parts whose streams
    are all flat in time together over a single period, spread back over the periods, and
    the others over all periods, each on its own (small ones together); an LP over more
    than ``INTERIOR_PERIODS`` periods by the interior point method. A fixed design over
    many periods is operated in runs of periods (rolling horizon). The parts are solved on
    ``executor``.
    """
    if net.nodes.empty:
        return _result(net, objective, _nothing(net, objective, fixed))
    groups = _groups(net, caps, integer=not linear and fixed is None and not _no_decisions(net))
    settings = (objective, caps, linear, fixed, options, prices, horizon, len(net.periods.index))
    pieces = run_tasks(
        _solve_part,
        [(net.part(nodes) if len(groups) > 1 else net, settings) for nodes in groups],
        executor,
        lambda message, done, total: say(
            f"solved {done:g} of {len(groups)} parts", 0.05 + 0.9 * done / len(groups)
        ),
    )
    return _result(net, objective, _merge(pieces))


def _solve_part(item: tuple[Network, Settings]) -> Piece:
    """One part of a network solved as ``_solve`` says (a top-level function, so that it
    pickles)."""
    part, (objective, caps, linear, fixed, options, prices, horizon, periods) = item
    if part.steady() and periods > 1:
        return _solve_steady(part, objective, linear, fixed, options, prices)
    if (
        (fixed is not None or _no_decisions(part))
        and not caps
        and len(part.periods.index) > horizon
    ):
        return _solve_rolling(part, objective, fixed, options, prices, horizon)
    return _solve_once(part, objective, caps, linear, fixed, options, prices)


def _nothing(net: Network, objective: str, fixed: dict[str, float] | None) -> Piece:
    """The solution of a network with no streams: nothing flows, nothing is bought."""
    solution = xr.Dataset(
        {
            "weight": xr.DataArray(
                net.periods.weight.to_numpy(), coords={"period": net.periods.index}
            )
        }
    )
    solution.attrs["fixed"] = fixed or {}
    for name in KPIS:
        solution.attrs[f"kpi_{name}"] = net.constant_cost if name == "cost" else 0.0
    bound = solution.attrs[f"kpi_{objective}"]
    return Piece(solution, None, "ok", "optimal", 0.0, bound, {"build_s": 0.0, "solve_s": 0.0})


def _groups(net: Network, caps: dict[str, float], integer: bool) -> list[pd.Index]:
    """The groups of nodes to solve apart (see ``_solve``)."""
    if caps:
        return [net.nodes.index]
    parts = [net.part(nodes) for nodes in net.components()]
    varying = _bundled([p for p in parts if not p.steady()])
    if not integer:
        if len(net.periods.index) == 1:
            return [net.nodes.index]
        flat = [p.nodes.index for p in parts if p.steady()]
        return ([_join(flat)] if flat else []) + varying
    return _bundled([p for p in parts if p.steady()]) + varying


def _bundled(parts: list[Network]) -> list[pd.Index]:
    """Parts in groups of up to ``BINARIES_TOGETHER`` decisions, fewest decisions first."""
    groups = []
    bucket: list[pd.Index] = []
    count = 0
    for part in sorted(parts, key=Network.decisions):
        if bucket and count + part.decisions() > BINARIES_TOGETHER:
            groups.append(_join(bucket))
            bucket, count = [], 0
        bucket.append(part.nodes.index)
        count += part.decisions()
    if bucket:
        groups.append(_join(bucket))
    return groups


def _join(indexes: list[pd.Index]) -> pd.Index:
    return indexes[0].append(indexes[1:]) if len(indexes) > 1 else indexes[0]


def _solve_once(
    net: Network,
    objective: str,
    caps: dict[str, float],
    linear: bool,
    fixed: dict[str, float] | None,
    options: dict[str, Any],
    prices: bool,
    initial_level: pd.Series | None = None,
) -> Piece:
    started = clock.perf_counter()
    built = build_model(
        net, objective, caps=caps, linear=linear, fix=fixed, initial_level=initial_level
    )
    build_s = clock.perf_counter() - started
    if not built.integer and len(net.periods.index) > INTERIOR_PERIODS:
        options = {**options, **INTERIOR}
    status, termination, solve_s = _run(built, options)
    solved = built.model.status == "ok" and status != NO_SOLUTION
    solution = _solution(built, net, fixed, solved)
    duals = _duals(built, net, objective, caps, fixed, options, prices, solution, status)
    gap, bound = gap_and_bound(built.model)
    return Piece(
        solution,
        duals,
        status,
        termination,
        gap,
        bound + built.constants.get(objective, 0.0),
        {"build_s": build_s, "solve_s": solve_s},
    )


def _solve_steady(
    net: Network,
    objective: str,
    linear: bool,
    fixed: dict[str, float] | None,
    options: dict[str, Any],
    prices: bool,
) -> Piece:
    """A part flat in time: solved over one yearly period, then spread over the periods."""
    piece = _solve_once(net.collapsed(), objective, {}, linear, fixed, options, prices)
    share = xr.DataArray(net.periods.shares[FLAT].to_numpy(), coords={"period": net.periods.index})
    weight = xr.DataArray(net.periods.weight.to_numpy(), coords={"period": net.periods.index})
    spread = xr.Dataset(
        {
            name: values.isel(period=0, drop=True) * share if "period" in values.dims else values
            for name, values in piece.solution.data_vars.items()
        },
        attrs=piece.solution.attrs,
    )
    spread["weight"] = weight
    duals = None if piece.duals is None else piece.duals.isel(period=0, drop=True) * weight
    return replace(piece, solution=spread, duals=duals)


def _merge(pieces: list[Piece]) -> Piece:
    """One solution from the solutions of independent parts."""
    if len(pieces) == 1:
        return pieces[0]
    solution = xr.merge(
        [p.solution.drop_attrs() for p in pieces], join="outer", compat="no_conflicts"
    )
    solution.attrs["fixed"] = {k: v for p in pieces for k, v in p.solution.attrs["fixed"].items()}
    for name in KPIS:
        solution.attrs[f"kpi_{name}"] = sum(p.solution.attrs[f"kpi_{name}"] for p in pieces)
    duals = [p.duals for p in pieces if p.duals is not None]
    failed = _worst(pieces)
    return Piece(
        solution,
        xr.concat(duals, dim="node", join="outer") if len(duals) == len(pieces) else None,
        failed.status,
        failed.termination,
        max(p.gap for p in pieces),
        sum(p.bound for p in pieces),
        {k: sum(p.timings[k] for p in pieces) for k in ("build_s", "solve_s")},
    )


def _worst(pieces: list[Piece]) -> Piece:
    """The piece whose status speaks for all: the first without a solution, else the first
    not proven optimal, else the first."""
    return min(pieces, key=lambda p: (np.isfinite(p.solution.attrs["kpi_cost"]), p.status == "ok"))


def _no_decisions(net: Network) -> bool:
    techs = net.techs
    open_techs = ((techs["fixed_cost"] > 0) | (techs["size_cost"] > 0)).any()
    return bool(net.arcs["built"].astype(bool).all() and not open_techs)


def _run(built: Built, options: dict[str, Any]) -> tuple[str, str, float]:
    """Solve with HiGHS (see ``symbionet.solver``): status, termination and seconds."""
    chosen = dict(options)
    solved = highs(built.model, verbose=bool(chosen.pop("output_flag", False)), **chosen)
    return solved.status, solved.termination, solved.seconds


def _solution(
    built: Built, net: Network, fixed: dict[str, float] | None, solved: bool
) -> xr.Dataset:
    """The variables' values and the KPIs (NaN where the solver holds no feasible solution)."""
    m = built.model
    solution = xr.Dataset(
        {
            name: m.variables[name].solution
            if solved
            else xr.full_like(m.variables[name].lower, np.nan, dtype=float)
            for name in m.variables
        }
    )
    solution["weight"] = xr.DataArray(
        net.periods.weight.to_numpy(), coords={"period": net.periods.index}
    )
    solution.attrs["fixed"] = fixed or {}
    for name in built.kpis:
        solution.attrs[f"kpi_{name}"] = built.value(name) if solved else float("nan")
    return solution


def _duals(
    built: Built,
    net: Network,
    objective: str,
    caps: dict[str, float],
    fixed: dict[str, float] | None,
    options: dict[str, Any],
    prices: bool,
    solution: xr.Dataset,
    status: str,
) -> xr.DataArray | None:
    """Duals of the balances: directly for an LP, from the LP with the builds fixed for a MILP
    (only at a proven optimum)."""
    if not prices or status != "ok":
        return None
    if not built.integer:
        return built.model.constraints["balance"].dual
    decided: dict[str, float] = {}
    if "build" in solution:
        decided.update(solution["build"].round().to_pandas().to_dict())
    if "size" in solution:
        sizes = solution["size"].to_pandas()
        share = sizes / net.techs.loc[sizes.index, "capacity"]
        if "open" in solution:
            opened = solution["open"].round().to_pandas().reindex(sizes.index).fillna(1.0)
            # with no cost per unit of size, an opened plant is available in full
            free = net.techs.loc[sizes.index, "size_cost"] <= 0
            share = share.where(~free, opened).where(opened > 0, 0.0)
        decided.update(share.to_dict())
    if fixed:
        decided.update(fixed)
    lp = build_model(net, objective, caps=caps, linear=True, fix=decided)
    return lp.model.constraints["balance"].dual if _run(lp, options)[0] == "ok" else None


def _result(net: Network, objective: str, piece: Piece) -> DesignResult:
    solution = piece.solution
    kpis = {KPI_NAMES[k]: solution.attrs.get(f"kpi_{k}", np.nan) for k in KPIS}
    flows = (
        solution["flow"].transpose("arc", "period").to_pandas().reindex(net.arcs.index)
        if "flow" in solution and solution["flow"].size
        else pd.DataFrame(0.0, columns=net.periods.index, index=net.arcs.index)
    )
    annual = flows.mul(net.periods.weight, axis=1).sum(axis=1)
    return DesignResult(
        status=piece.status,
        termination=piece.termination,
        objective_name=objective,
        objective=kpis[KPI_NAMES[objective]],
        gap=piece.gap,
        bound=piece.bound,
        kpis=kpis,
        baseline={},
        built=built_table(net, solution, annual),
        flows=flows,
        balance=balance_table(net, solution),
        unmet=unmet_table(net, solution),
        prices=price_table(net, piece.duals),
        solution=solution,
        periods=pd.DataFrame({"weight": net.periods.weight, "hours": net.periods.hours}),
        timings=piece.timings,
    )


def _solve_rolling(
    net: Network,
    objective: str,
    fixed: dict[str, float] | None,
    options: dict[str, Any],
    prices: bool,
    horizon: int,
) -> Piece:
    """Operate a fixed design run by run of periods, storage levels carried over."""
    periods = net.periods.index
    runs = [periods[i : i + horizon] for i in range(0, len(periods), horizon)]
    pieces: list[Piece] = []
    storage = bool(net.techs["storage"].any())
    # stores start the first run empty
    level = pd.Series(0.0, index=net.techs.index[net.techs["storage"].astype(bool)])
    for run in runs:
        piece = _solve_once(
            net.subset(run),
            objective,
            {},
            True,
            fixed,
            options,
            prices,
            initial_level=level if storage else None,
        )
        pieces.append(piece)
        if "level" in piece.solution:
            level = piece.solution["level"].isel(period=-1).to_pandas()
    solution = xr.concat(
        [p.solution.drop_attrs() for p in pieces],
        dim="period",
        data_vars="all",
        coords="different",
        compat="equals",
        join="outer",
    )
    solution.attrs["fixed"] = fixed or {}
    for name in KPIS:
        solution.attrs[f"kpi_{name}"] = sum(p.solution.attrs[f"kpi_{name}"] for p in pieces)
    # the yearly fixed charges are in every run's cost: count them once
    constant = fixed_charge(net, fixed) + net.constant_cost
    repeated = constant * (len(runs) - 1)
    solution.attrs["kpi_cost"] -= repeated
    duals = [p.duals for p in pieces if p.duals is not None]
    failed = _worst(pieces)
    return Piece(
        solution,
        xr.concat(duals, dim="period") if len(duals) == len(pieces) else None,
        failed.status,
        failed.termination,
        max(p.gap for p in pieces),
        sum(p.bound for p in pieces) - (repeated if objective == "cost" else 0.0),
        {k: sum(p.timings[k] for p in pieces) for k in ("build_s", "solve_s")},
    )


__all__ = ["DesignResult", "baseline", "baseline_cost", "design", "design_network"]
