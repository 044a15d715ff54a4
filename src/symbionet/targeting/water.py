"""Water reuse targets: minimum freshwater and wastewater, the pinch, and a reuse network.

Two input forms are recognised from their columns:

* fixed load: ``operation, contaminant, mass_load_kg_per_h, c_in_max_ppm, c_out_max_ppm``,
  one row per operation and contaminant; the flow through each operation is free.
* fixed flowrate: ``stream_id, kind, flow_t_per_h, concentration_ppm`` with ``kind``
  ``source`` (water available at that concentration) or ``sink`` (water needed at that
  flow, at most that concentration).

Units: t/h x ppm = g/h, so a load of 1 kg/h raises 1 t/h of water by 1000 ppm.

With one contaminant, the targets come from the water cascade (limiting composite curve)
or from an LP; the fixed-load LP fixes every outlet at its maximum concentration, which
loses nothing (Savelski and Bagajewicz, 2000). With several contaminants the mass
balances are bilinear (flow x concentration): a successive LP finds good networks and
piecewise McCormick MILP relaxations bound how far they can be from optimal. That model
lets no operation pass more water than the plant takes in (no recirculation loops).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from symbionet.errors import Problem, SymbionetError
from symbionet.options import options_from
from symbionet.results import Result
from symbionet.targeting.options import WaterOptions
from symbionet.targeting.shared import (
    check_table,
    locate,
    no_solution,
    optimal,
    positive,
    read_table,
    summary,
    table_file,
    tolerance,
)

FIXED_LOAD, FIXED_FLOWRATE = "water_fixed_load", "water_fixed_flowrate"
FRESHWATER, WASTEWATER = "freshwater", "wastewater"
PPM_PER_KG_PER_T = 1000.0  # 1 kg of contaminant in 1 t of water is 1000 ppm
BILINEAR_METHOD = "bilinear model: successive LP + piecewise McCormick MILP"
ROUNDS = 6  # MILP relaxations, each on a finer partition of the outlet concentrations
SHRINK = 0.25  # the window of new breakpoints shrinks by this factor each round
REPAIR_MARGINS = (0.0, 0.01)  # room given to a relaxed network's real concentrations
RELATIVE_GAP = 1e-5


@dataclass(frozen=True)
class WaterTargets(Result):
    """Minimum freshwater and wastewater (t/h), the pinch and a network that reaches them.

    ``network`` has the columns ``from``, ``to`` and ``flow_t_per_h``, with ``freshwater``
    and ``wastewater`` as nodes. ``optimal`` is True when the freshwater flow is proven
    minimal; otherwise it is the best found and ``lower_bound_t_per_h`` bounds the optimum.
    """

    freshwater_t_per_h: float
    wastewater_t_per_h: float
    pinch_ppm: float | None
    network: pd.DataFrame = field(compare=False)
    method: str
    optimal: bool
    optimality: str
    lower_bound_t_per_h: float
    form: str
    contaminants: list[str]
    freshwater_ppm: float

    main_table: ClassVar[str] = "network"

    def tables(self) -> dict[str, pd.DataFrame]:
        """The targets as one row, then the network."""
        return {"targets": summary(self), "network": self.network}


@dataclass(frozen=True)
class Network:
    """Flows (t/h): freshwater into each receiver, reuse from sender to receiver, wastewater."""

    freshwater: pd.Series
    reuse: pd.DataFrame
    wastewater: pd.Series

    @property
    def total(self) -> float:
        return float(self.freshwater.sum())

    def edges(self) -> pd.DataFrame:
        """Every flow above noise: ``from``, ``to`` and ``flow_t_per_h``."""
        tol = tolerance(self.total)
        pairs = self.reuse.stack()
        flows = [
            *((FRESHWATER, str(to), q) for to, q in self.freshwater.items()),
            *((str(frm), str(to), q) for (frm, to), q in pairs.items()),
            *((str(frm), WASTEWATER, q) for frm, q in self.wastewater.items()),
        ]
        kept = [(a, b, float(q)) for a, b, q in flows if q > tol]
        return pd.DataFrame(kept, columns=["from", "to", "flow_t_per_h"]).astype(
            {"flow_t_per_h": float}
        )


@dataclass(frozen=True)
class _LoadProblem:
    """A fixed-load problem as arrays over (operation, contaminant); loads in kg/h."""

    load: xr.DataArray
    c_in: xr.DataArray
    c_out: xr.DataArray
    c_fw: float

    @property
    def operations(self) -> list[str]:
        return [str(op) for op in self.load.operation.values]

    @property
    def contaminants(self) -> list[str]:
        return [str(k) for k in self.load.contaminant.values]

    def limiting_flow(self) -> xr.DataArray:
        """Least flow (t/h) that takes each load from maximum inlet to maximum outlet."""
        return PPM_PER_KG_PER_T * self.load / (self.c_out - self.c_in)


def read_water_table(path: str | Path) -> pd.DataFrame:
    """Read a water CSV file in either form, recognised from its header
    (``attrs["warnings"]``: its unused columns)."""
    return read_table(path, [FIXED_LOAD, FIXED_FLOWRATE])


def water_targets(
    table: pd.DataFrame, options: WaterOptions | None = None, **overrides: Any
) -> WaterTargets:
    """Targets for a fixed-load or fixed-flowrate table (form recognised from its columns),
    as ``options`` say (keywords override single options: ``freshwater_ppm=10``)."""
    settings = options_from(WaterOptions, options, overrides)
    if "operation" in table:
        return _fixed_load_targets(table, settings.freshwater_ppm, settings.method)
    return _fixed_flowrate_targets(table, settings.freshwater_ppm, settings.method)


def cascade_targets(table: pd.DataFrame, freshwater_ppm: float = 0.0) -> tuple[float, float | None]:
    """The water cascade alone, for one contaminant: minimum freshwater (t/h) and pinch (ppm)."""
    if "operation" not in table:
        cascade = _flowrate_cascade(_checked_flowrate_table(table), freshwater_ppm)
    else:
        problem = _load_problem(table, freshwater_ppm)
        if len(problem.contaminants) > 1:
            message = "the water cascade takes one contaminant"
            raise SymbionetError([Problem(table_file(table), None, "contaminant", message)])
        cascade = _load_cascade(problem, problem.contaminants[0])
    freshwater = cascade.minimum_freshwater()
    return freshwater, cascade.pinch(freshwater)


# --- one contaminant: the water cascade -------------------------------------------------


@dataclass(frozen=True)
class _Cascade:
    """Sinks (flow at most at a concentration) and sources of one contaminant, plus freshwater.

    ``deficit(c)`` is the contaminant mass (g/h) by which the sinks' allowance below
    concentration c exceeds the sources' (without freshwater); freshwater at ``c_fw``
    covers ``fw * (c - c_fw)`` of it, so the target is the largest deficit per ppm.
    """

    sink_flow: np.ndarray
    sink_ppm: np.ndarray
    source_flow: np.ndarray
    source_ppm: np.ndarray
    c_fw: float

    def levels(self) -> np.ndarray:
        return np.unique(np.concatenate([self.sink_ppm, self.source_ppm, [self.c_fw]]))

    def deficit(self, ppm: np.ndarray) -> np.ndarray:
        def allowance(flow: np.ndarray, conc: np.ndarray) -> np.ndarray:
            return np.clip(ppm[:, None] - conc, 0, None) @ flow

        return allowance(self.sink_flow, self.sink_ppm) - allowance(
            self.source_flow, self.source_ppm
        )

    def scale(self) -> float:
        return float(self.sink_flow.sum() + self.source_flow.sum())

    def infeasible(self) -> bool:
        """True when sinks cleaner than freshwater cannot be met from cleaner sources."""
        levels = self.levels()
        below = levels[levels <= self.c_fw]
        return bool((self.deficit(below) > tolerance(self.scale() * self.c_fw)).any())

    def minimum_freshwater(self) -> float:
        """Water cascade: the freshwater that keeps every cumulative load surplus >= 0."""
        levels = self.levels()
        above = levels[levels > self.c_fw]
        per_ppm = self.deficit(above) / (above - self.c_fw)
        flow_gap = self.sink_flow.sum() - self.source_flow.sum()
        return max(0.0, float(flow_gap), *per_ppm.tolist())

    def pinch(self, freshwater: float) -> float | None:
        """Lowest concentration where the cascade with this freshwater has no load to spare."""
        levels = self.levels()
        above = levels[levels > self.c_fw]
        spare = freshwater * (above - self.c_fw) - self.deficit(above)
        pinched = above[spare <= tolerance(self.scale() * above.max(initial=1.0))]
        return float(pinched[0]) if freshwater > 0 and len(pinched) else None


def _load_cascade(problem: _LoadProblem, contaminant: str) -> _Cascade:
    """Limiting composite as a cascade: operations are sinks at inlet, sources at outlet."""
    flow = problem.limiting_flow().sel(contaminant=contaminant).to_numpy()
    return _Cascade(
        sink_flow=flow,
        sink_ppm=problem.c_in.sel(contaminant=contaminant).to_numpy(),
        source_flow=flow,
        source_ppm=problem.c_out.sel(contaminant=contaminant).to_numpy(),
        c_fw=problem.c_fw,
    )


# --- fixed flowrate ---------------------------------------------------------------------


def _flowrate_cascade(streams: pd.DataFrame, c_fw: float) -> _Cascade:
    """The cascade of checked fixed-flowrate streams; raises if no network can meet the sinks."""
    sinks, sources = streams[streams.kind == "sink"], streams[streams.kind == "source"]
    cascade = _Cascade(
        sink_flow=sinks.flow_t_per_h.to_numpy(),
        sink_ppm=sinks.concentration_ppm.to_numpy(),
        source_flow=sources.flow_t_per_h.to_numpy(),
        source_ppm=sources.concentration_ppm.to_numpy(),
        c_fw=c_fw,
    )
    if cascade.infeasible():
        raise SymbionetError(
            locate(streams, i, "concentration_ppm", _too_clean(row.concentration_ppm, c_fw))
            for i, row in sinks.iterrows()
            if row.concentration_ppm < c_fw
        )
    return cascade


def _fixed_flowrate_targets(table: pd.DataFrame, c_fw: float, method: str) -> WaterTargets:
    streams = _checked_flowrate_table(table)
    cascade = _flowrate_cascade(streams, c_fw)
    sinks = streams[streams.kind == "sink"].set_index("stream_id")
    sources = streams[streams.kind == "source"].set_index("stream_id")
    network = allocation_network(
        sinks[["flow_t_per_h", "concentration_ppm"]],
        sources[["flow_t_per_h", "concentration_ppm"]],
        c_fw,
    )
    if network is None:
        raise no_solution(table_file(table), "the source-sink allocation LP")
    freshwater = cascade.minimum_freshwater() if method == "cascade" else network.total
    wastewater = freshwater + cascade.source_flow.sum() - cascade.sink_flow.sum()
    names = {
        "cascade": "water cascade; network by source-sink allocation LP",
        "lp": "source-sink allocation LP",
    }
    return WaterTargets(
        freshwater_t_per_h=freshwater,
        wastewater_t_per_h=float(wastewater),
        pinch_ppm=cascade.pinch(freshwater),
        network=network.edges(),
        method=names[method],
        optimal=True,
        optimality="proven optimal",
        lower_bound_t_per_h=freshwater,
        form="fixed flowrate",
        contaminants=[],
        freshwater_ppm=float(c_fw),
    )


def _checked_flowrate_table(table: pd.DataFrame) -> pd.DataFrame:
    streams = check_table(table, FIXED_FLOWRATE)
    problems = positive(streams, "flow_t_per_h")
    problems += _reserved_name_problems(streams, "stream_id")
    problems += [
        locate(streams, i, "stream_id", f"{streams.at[i, 'stream_id']!r} appears more than once")
        for i in streams.index[streams.stream_id.duplicated()]
    ]
    if problems:
        raise SymbionetError(problems)
    return streams


def _reserved_name_problems(table: pd.DataFrame, column: str) -> list[Problem]:
    """Node names must differ from the freshwater and wastewater nodes."""
    reserved = table[column].str.lower().isin([FRESHWATER, WASTEWATER])
    return [
        locate(table, i, column, f"{table.at[i, column]!r} is reserved for the network")
        for i in table.index[reserved]
    ]


def _too_clean(limit: float, c_fw: float) -> str:
    return f"needs at most {limit:g} ppm, cleaner than the freshwater ({c_fw:g} ppm)"


def allocation_network(
    sinks: pd.DataFrame, sources: pd.DataFrame, freshwater_ppm: float = 0.0
) -> Network | None:
    """Source-sink allocation LP: meet every sink's flow and quality with least freshwater.

    ``sinks`` and ``sources`` are indexed by id, with ``flow_t_per_h`` and one column per
    contaminant (ppm, the same columns in both): for a sink the most it accepts (NaN: no
    limit), for a source what it carries (NaN: unknown, so it goes to no sink that limits
    that contaminant). None if no network meets every sink.
    """
    if sinks.empty or sources.empty:
        return _without_reuse(sinks, sources, freshwater_ppm)
    contaminants = pd.Index([c for c in sinks.columns if c != "flow_t_per_h"], name="contaminant")
    sink_ids = pd.Index(sinks.index.astype(str), name="sink")
    source_ids = pd.Index(sources.index.astype(str), name="source")
    limit = xr.DataArray(sinks[contaminants].to_numpy(float), coords=[sink_ids, contaminants])
    carried = xr.DataArray(sources[contaminants].to_numpy(float), coords=[source_ids, contaminants])
    forbidden = (carried.isnull() & limit.notnull()).any("contaminant")
    never_binding = max(float(carried.max(skipna=True).fillna(0)), freshwater_ppm)
    sink_flow = xr.DataArray(sinks.flow_t_per_h.to_numpy(float), coords=[sink_ids])
    source_flow = xr.DataArray(sources.flow_t_per_h.to_numpy(float), coords=[source_ids])
    model = linopy.Model()
    reuse = model.add_variables(lower=0, upper=xr.where(forbidden, 0.0, np.inf), name="reuse")
    freshwater = model.add_variables(lower=0, coords=[sink_ids], name="freshwater")
    wastewater = model.add_variables(lower=0, coords=[source_ids], name="wastewater")
    model.add_constraints(reuse.sum("source") + freshwater == sink_flow, name="sink_flow")
    model.add_constraints(
        (reuse * carried.fillna(0)).sum("source") + freshwater_ppm * freshwater
        <= sink_flow * limit.fillna(never_binding),
        name="sink_quality",
    )
    model.add_constraints(reuse.sum("sink") + wastewater == source_flow, name="source_flow")
    model.add_objective(freshwater.sum())
    if optimal(model) is None:
        return None
    return Network(
        freshwater=freshwater.solution.to_series(),
        reuse=reuse.solution.to_pandas(),
        wastewater=wastewater.solution.to_series(),
    )


def _without_reuse(
    sinks: pd.DataFrame, sources: pd.DataFrame, freshwater_ppm: float
) -> Network | None:
    """Every sink on freshwater and every source to waste (when one side is empty)."""
    limits = sinks.drop(columns="flow_t_per_h")
    if (limits < freshwater_ppm).to_numpy().any():
        return None
    return Network(
        freshwater=sinks.flow_t_per_h.astype(float),
        reuse=pd.DataFrame(0.0, index=sources.index, columns=sinks.index),
        wastewater=sources.flow_t_per_h.astype(float),
    )


# --- fixed load -------------------------------------------------------------------------


def _fixed_load_targets(table: pd.DataFrame, c_fw: float, method: str) -> WaterTargets:
    problem = _load_problem(table, c_fw)
    cascades = [_load_cascade(problem, k) for k in problem.contaminants]
    single_bound = max(cascade.minimum_freshwater() for cascade in cascades)
    if len(cascades) > 1:
        return _bilinear_targets(problem, single_bound)
    network = _fixed_outlet_lp(problem, problem.c_out, no_recirculation=False)
    if network is None:
        raise no_solution(table_file(table), "the fixed-outlet LP")
    freshwater = single_bound if method == "cascade" else network.total
    names = {
        "cascade": "limiting composite; network by Savelski-Bagajewicz LP",
        "lp": "Savelski-Bagajewicz LP (outlets at their maximum)",
    }
    return WaterTargets(
        freshwater_t_per_h=freshwater,
        wastewater_t_per_h=freshwater,
        pinch_ppm=cascades[0].pinch(freshwater),
        network=network.edges(),
        method=names[method],
        optimal=True,
        optimality="proven optimal",
        lower_bound_t_per_h=freshwater,
        form="fixed load",
        contaminants=problem.contaminants,
        freshwater_ppm=float(c_fw),
    )


def _bilinear_targets(problem: _LoadProblem, single_bound: float) -> WaterTargets:
    network, lower_bound = _bilinear_search(problem, single_bound)
    freshwater = network.total
    lower_bound = min(lower_bound, freshwater)
    return WaterTargets(
        freshwater_t_per_h=freshwater,
        wastewater_t_per_h=freshwater,
        pinch_ppm=None,
        network=network.edges(),
        method=BILINEAR_METHOD,
        optimal=_gap_closed(lower_bound, freshwater),
        optimality=_optimality(lower_bound, freshwater),
        lower_bound_t_per_h=lower_bound,
        form="fixed load",
        contaminants=problem.contaminants,
        freshwater_ppm=problem.c_fw,
    )


def _optimality(lower_bound: float, incumbent: float) -> str:
    gap = 100 * (incumbent - lower_bound) / max(incumbent, 1e-12)
    if not _gap_closed(lower_bound, incumbent):
        return f"best found: optimum >= {lower_bound:.6g} t/h (gap {gap:.2g} %)"
    return f"proven optimal within {gap:.2g} %" if gap > 1e-7 else "proven optimal"


def _load_problem(table: pd.DataFrame, c_fw: float) -> _LoadProblem:
    """Check a fixed-load table (every operation lists every contaminant) into arrays."""
    rows = check_table(table, FIXED_LOAD)
    problems = [
        locate(rows, i, "c_out_max_ppm", "must be above c_in_max_ppm")
        for i in rows.index[rows.c_out_max_ppm <= rows.c_in_max_ppm]
    ]
    problems += [
        locate(rows, i, "c_in_max_ppm", _too_clean(rows.at[i, "c_in_max_ppm"], c_fw))
        for i in rows.index[rows.c_in_max_ppm < c_fw]
    ]
    first_rows = rows.drop_duplicates("operation")
    problems += _reserved_name_problems(first_rows, "operation")
    problems += [
        locate(rows, i, "contaminant", f"listed twice for operation {rows.at[i, 'operation']!r}")
        for i in rows.index[rows.duplicated(["operation", "contaminant"])]
    ]
    contaminants = pd.unique(rows.contaminant)
    for i, row in first_rows.iterrows():
        listed = set(rows.contaminant[rows.operation == row.operation])
        problems += [
            locate(rows, i, "contaminant", f"operation {row.operation!r} has no row for {k!r}")
            for k in contaminants
            if k not in listed
        ]
    if problems:
        raise SymbionetError(problems)
    arrays = (
        rows.set_index(["operation", "contaminant"])[
            ["mass_load_kg_per_h", "c_in_max_ppm", "c_out_max_ppm"]
        ]
        .to_xarray()
        .reindex(operation=pd.unique(rows.operation), contaminant=contaminants)
    )
    return _LoadProblem(
        load=arrays.mass_load_kg_per_h,
        c_in=arrays.c_in_max_ppm,
        c_out=arrays.c_out_max_ppm,
        c_fw=c_fw,
    )


def _flow_variables(model: linopy.Model, problem: _LoadProblem) -> dict[str, linopy.Variable]:
    """Freshwater, reuse (no operation feeds itself) and wastewater flows, t/h."""
    operations = pd.Index(problem.operations, name="operation")
    senders = operations.rename("source")
    receivers = operations.rename("sink")
    no_self_feed = xr.DataArray(
        np.where(np.eye(len(operations), dtype=bool), 0.0, np.inf), coords=[senders, receivers]
    )
    return {
        "freshwater": model.add_variables(lower=0, coords=[operations], name="freshwater"),
        "reuse": model.add_variables(lower=0, upper=no_self_feed, name="reuse"),
        "wastewater": model.add_variables(lower=0, coords=[operations], name="wastewater"),
    }


def _as_sender(array: xr.DataArray) -> xr.DataArray:
    return array.rename(operation="source")


def _into(expression: linopy.Variable | linopy.LinearExpression) -> linopy.LinearExpression:
    """Sum over senders, labelled by the receiving operation."""
    return expression.sum("source").rename(sink="operation")


def _add_flow_balances(
    model: linopy.Model, flows: dict[str, linopy.Variable]
) -> linopy.LinearExpression:
    """Water in equals water out of every operation; returns the flow through each one."""
    throughput = flows["freshwater"] + _into(flows["reuse"])
    out = flows["reuse"].sum("sink").rename(source="operation") + flows["wastewater"]
    model.add_constraints(throughput == out, name="flow_balance")
    return throughput


def _network(flows: dict[str, linopy.Variable]) -> Network:
    return Network(
        freshwater=flows["freshwater"].solution.to_series(),
        reuse=flows["reuse"].solution.to_pandas(),
        wastewater=flows["wastewater"].solution.to_series(),
    )


def _fixed_outlet_lp(
    problem: _LoadProblem, outlet_ppm: xr.DataArray, no_recirculation: bool
) -> Network | None:
    """Least freshwater when every outlet is taken to carry ``outlet_ppm`` (an upper bound on
    its real concentration, which is then guaranteed within limits); None if infeasible."""
    model = linopy.Model()
    flows = _flow_variables(model, problem)
    throughput = _add_flow_balances(model, flows)
    if no_recirculation:
        model.add_constraints(throughput <= flows["freshwater"].sum(), name="no_recirculation")
    inlet_mass = problem.c_fw * flows["freshwater"] + _into(flows["reuse"] * _as_sender(outlet_ppm))
    model.add_constraints(inlet_mass <= throughput * problem.c_in, name="inlet_limit")
    model.add_constraints(
        inlet_mass + PPM_PER_KG_PER_T * problem.load <= throughput * outlet_ppm,
        name="outlet_limit",
    )
    model.add_objective(flows["freshwater"].sum())
    return None if optimal(model) is None else _network(flows)


def _outlet_concentrations(problem: _LoadProblem, network: Network) -> xr.DataArray:
    """Real outlet concentrations of a network (ppm): each operation's mass balance."""
    reuse = network.reuse.to_numpy()
    throughput = network.freshwater.to_numpy() + reuse.sum(axis=0)
    idle = throughput <= tolerance(network.total)
    matrix = np.diag(np.where(idle, 1.0, throughput)) - np.where(idle[:, None], 0.0, reuse.T)
    rhs = np.where(
        idle[:, None],
        problem.c_fw,
        problem.c_fw * network.freshwater.to_numpy()[:, None]
        + PPM_PER_KG_PER_T * problem.load.to_numpy(),
    )
    return problem.load.copy(data=np.linalg.solve(matrix, rhs))


def _successive_lp(problem: _LoadProblem, outlet_ppm: xr.DataArray) -> Network | None:
    """Fix outlet concentrations, solve the LP, update them to the network's real ones;
    repeat while the freshwater falls."""
    best: Network | None = None
    for _ in range(20):
        network = _fixed_outlet_lp(problem, outlet_ppm, no_recirculation=True)
        if network is None or (best is not None and not _improves(network.total, best.total)):
            break
        best = network
        outlet_ppm = _outlet_concentrations(problem, network).clip(max=problem.c_out)
    return best


def _improves(candidate: float, incumbent: float) -> bool:
    return candidate < incumbent - tolerance(incumbent)


def _gap_closed(lower_bound: float, incumbent: float) -> bool:
    return lower_bound >= incumbent - max(tolerance(incumbent), RELATIVE_GAP * incumbent)


@dataclass(frozen=True)
class _Relaxation:
    bound: float
    outlet_ppm: xr.DataArray
    network: Network


def _segment_bounds(points: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """Lower and upper ends of the segments between sorted breakpoints (dim ``point``)."""
    segments = pd.RangeIndex(points.sizes["point"] - 1, name="segment")

    def ends(part: slice) -> xr.DataArray:
        return points.isel(point=part).rename(point="segment").assign_coords(segment=segments)

    return ends(slice(None, -1)), ends(slice(1, None))


def _product(
    model: linopy.Model,
    flow: linopy.Variable | linopy.LinearExpression,
    conc: linopy.Variable,
    chosen: linopy.Variable,
    segments: tuple[xr.DataArray, xr.DataArray],
    cap: float,
    name: str,
) -> linopy.Variable:
    """Relaxed ``flow * conc`` for 0 <= flow <= cap: McCormick on the chosen segment of conc.

    The flow is split into one share per segment (only the chosen one may carry it), which
    makes the envelope exact at every breakpoint.
    """
    low, high = segments
    indexes = {**flow.indexes, **chosen.indexes}
    product_coords = [index for dim, index in indexes.items() if dim != "segment"]
    share_coords = [*product_coords, indexes["segment"]]
    share = model.add_variables(lower=0, coords=share_coords, name=f"{name}_share")
    model.add_constraints(share.sum("segment") == flow, name=f"{name}_shares")
    model.add_constraints(share <= cap * chosen, name=f"{name}_segment")
    product = model.add_variables(lower=0, coords=product_coords, name=name)
    at_low = (share * low).sum("segment")
    at_high = (share * high).sum("segment")
    model.add_constraints(product >= at_low, name=f"{name}_above_low")
    model.add_constraints(product <= at_high, name=f"{name}_below_high")
    chosen_low = (chosen * low).sum("segment")
    chosen_high = (chosen * high).sum("segment")
    model.add_constraints(product >= at_high + cap * (conc - chosen_high), name=f"{name}_high")
    model.add_constraints(product <= at_low + cap * (conc - chosen_low), name=f"{name}_low")
    return product


def _relaxation(problem: _LoadProblem, points: xr.DataArray, cap: float) -> _Relaxation | None:
    """MILP relaxation of the bilinear model: each outlet concentration lies in one segment
    between its breakpoints and every flow x concentration product is relaxed on that segment.
    Flows are capped at ``cap``; None if no network fits."""
    model = linopy.Model()
    flows = _flow_variables(model, problem)
    throughput = _add_flow_balances(model, flows)
    model.add_constraints(throughput <= flows["freshwater"].sum(), name="no_recirculation")
    model.add_constraints(flows["freshwater"].sum() <= cap, name="freshwater_cap")
    low, high = _segment_bounds(points)
    chosen = model.add_variables(binary=True, coords=low.coords, name="chosen")
    model.add_constraints(chosen.sum("segment") == 1, name="one_segment")
    conc = model.add_variables(lower=points.min("point"), upper=points.max("point"), name="ppm")
    model.add_constraints(conc >= (chosen * low).sum("segment"), name="ppm_above_segment")
    model.add_constraints(conc <= (chosen * high).sum("segment"), name="ppm_below_segment")
    sender = (_as_sender(low), _as_sender(high))
    sender_conc, sender_chosen = conc.rename(operation="source"), chosen.rename(operation="source")
    pipe = _product(model, flows["reuse"], sender_conc, sender_chosen, sender, cap, "pipe_mass")
    waste = _product(model, flows["wastewater"], conc, chosen, (low, high), cap, "waste_mass")
    outlet = _product(model, throughput, conc, chosen, (low, high), cap, "outlet_mass")
    inlet_mass = problem.c_fw * flows["freshwater"] + _into(pipe)
    model.add_constraints(inlet_mass <= throughput * problem.c_in, name="inlet_limit")
    model.add_constraints(
        inlet_mass + PPM_PER_KG_PER_T * problem.load == outlet, name="operation_mass"
    )
    model.add_constraints(
        outlet == pipe.sum("sink").rename(source="operation") + waste, name="splitter_mass"
    )
    model.add_objective(flows["freshwater"].sum())
    solved = optimal(model, mip_rel_gap=1e-9)
    if solved is None:
        return None
    return _Relaxation(bound=solved.bound, outlet_ppm=conc.solution, network=_network(flows))


def _bilinear_search(problem: _LoadProblem, single_bound: float) -> tuple[Network, float]:
    """Best network found and a lower bound on the least freshwater, several contaminants.

    Starts from the successive LP with every outlet at its maximum. Each round adds
    breakpoints around the latest concentrations (a window that shrinks by ``SHRINK``),
    solves the MILP relaxation, which bounds the optimum from below, and restarts the
    successive LP from the real concentrations of the relaxation's network, which may find
    a better one; it stops when the gap closes or after ``ROUNDS`` rounds.
    """
    best = _successive_lp(problem, problem.c_out)
    if best is None:
        raise no_solution("", "the successive LP")
    lower_bound = single_bound
    least = problem.c_fw + PPM_PER_KG_PER_T * problem.load / max(best.total, 1e-12)
    least = least.clip(max=problem.c_out)
    points = [least, problem.c_out]
    centre = _outlet_concentrations(problem, best)
    for round_ in range(ROUNDS):
        if _gap_closed(lower_bound, best.total):
            break
        window = (problem.c_out - least) * SHRINK ** (round_ + 1)
        points += [(centre + offset).clip(least, problem.c_out) for offset in (-window, 0, window)]
        relaxed = _relaxation(problem, _sorted_points(points), best.total)
        if relaxed is None:
            return best, best.total
        lower_bound = max(lower_bound, relaxed.bound)
        for margin in REPAIR_MARGINS:
            if _gap_closed(lower_bound, best.total):
                break
            start = _outlet_concentrations(problem, relaxed.network) * (1 + margin)
            candidate = _successive_lp(problem, start.clip(max=problem.c_out))
            if candidate is not None and _improves(candidate.total, best.total):
                best = candidate
        centre = relaxed.outlet_ppm
    return best, lower_bound


def _sorted_points(points: list[xr.DataArray]) -> xr.DataArray:
    """Breakpoints of every outlet concentration, sorted along dim ``point``."""
    stacked = xr.concat(points, dim="point").transpose(..., "point")
    return stacked.copy(data=np.sort(stacked.to_numpy(), axis=-1))


# --- curves -----------------------------------------------------------------------------


def limiting_composites(table: pd.DataFrame, targets: WaterTargets) -> pd.DataFrame:
    """A fixed-load table's limiting composite curve per contaminant and the freshwater
    supply line: ``curve``, ``mass_load_kg_per_h`` and ``concentration_ppm``."""
    problem = _load_problem(table, targets.freshwater_ppm)
    curves = []
    for contaminant in targets.contaminants:
        cascade = _load_cascade(problem, contaminant)
        levels = np.unique(np.concatenate([cascade.sink_ppm, cascade.source_ppm]))
        load = cascade.deficit(levels) / PPM_PER_KG_PER_T
        curves.append((f"limiting composite ({contaminant})", load, levels))
        freshwater = targets.freshwater_t_per_h
        if freshwater > 0:
            line = np.array([0.0, load[-1]])
            name = f"water supply line ({freshwater:.4g} t/h)"
            curves.append(
                (name, line, targets.freshwater_ppm + PPM_PER_KG_PER_T * line / freshwater)
            )
    return pd.concat(
        pd.DataFrame({"curve": name, "mass_load_kg_per_h": x, "concentration_ppm": y})
        for name, x, y in curves
    ).reset_index(drop=True)


def source_sink_composites(table: pd.DataFrame, targets: WaterTargets) -> pd.DataFrame:
    """A fixed-flowrate table's sink and source composite curves (freshwater as the
    cleanest source): ``curve``, ``flow_t_per_h`` and ``load_kg_per_h``, both cumulative."""
    streams = _checked_flowrate_table(table)
    sinks = streams[streams.kind == "sink"]
    sources = streams[streams.kind == "source"]
    curves = []
    for name, flow, ppm in (
        ("sink composite", sinks.flow_t_per_h.to_numpy(), sinks.concentration_ppm.to_numpy()),
        (
            "source composite with freshwater",
            np.append(sources.flow_t_per_h.to_numpy(), targets.freshwater_t_per_h),
            np.append(sources.concentration_ppm.to_numpy(), targets.freshwater_ppm),
        ),
    ):
        order = np.argsort(ppm, kind="stable")
        flows = np.concatenate([[0.0], np.cumsum(flow[order])])
        loads = np.concatenate([[0.0], np.cumsum(flow[order] * ppm[order])]) / PPM_PER_KG_PER_T
        curves.append(pd.DataFrame({"curve": name, "flow_t_per_h": flows, "load_kg_per_h": loads}))
    return pd.concat(curves, ignore_index=True)


__all__ = [
    "FIXED_FLOWRATE",
    "FIXED_LOAD",
    "FRESHWATER",
    "PPM_PER_KG_PER_T",
    "WASTEWATER",
    "Network",
    "WaterTargets",
    "allocation_network",
    "cascade_targets",
    "limiting_composites",
    "read_water_table",
    "source_sink_composites",
    "water_targets",
]
