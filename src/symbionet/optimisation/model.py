"""The design model in linopy: variables, balances, limits and objectives over labelled arrays.

Each constraint family is written once over xarray dimensions (``arc``, ``node``,
``tech``, ``period``); the balance of every node and period is assembled like PyPSA's
nodal balance, from (variable, node of each element, coefficient) entries grouped by
node and summed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from symbionet.errors import Problem, SymbionetError, invalid
from symbionet.optimisation.network import Network

OBJECTIVES = ("cost", "co2", "freshwater")
KPIS = ("cost", "co2", "freshwater", "waste", "unmet")
# a tie-break weight on cost when minimising CO2e or freshwater
TIE_BREAK = 1e-6


@dataclass
class Built:
    """The linopy model and the expressions it reports."""

    model: linopy.Model
    kpis: dict[str, linopy.LinearExpression]
    constants: dict[str, float]
    penalty: float
    integer: bool

    def value(self, name: str) -> float:
        """A KPI's value in the solution."""
        solution = self.kpis[name].solution
        return float(solution.item() if solution.size else 0.0) + self.constants.get(name, 0.0)


def _da(values: pd.Series | np.ndarray, index: pd.Index) -> xr.DataArray:
    return xr.DataArray(np.asarray(values, dtype=float), coords={index.name: index})


def _index(values: pd.Index, name: str) -> pd.Index:
    return pd.Index(values, name=name)


def _quantity(net: Network, nodes: pd.Index) -> xr.DataArray:
    frame = net.quantity.loc[nodes]
    return xr.DataArray(
        frame.to_numpy(dtype=float),
        coords={"node": _index(nodes, "node"), "period": net.periods.index},
    )


def _group(expr: linopy.LinearExpression, nodes: pd.Series, dim: str) -> linopy.LinearExpression:
    """Sum an expression over ``dim`` into the node each element belongs to."""
    mapping = xr.DataArray(nodes.to_numpy(), coords={dim: nodes.index}, name="node")
    return expr.groupby(mapping).sum()


def check_objective(objective: str, caps: Mapping[str, float] | None = None) -> None:
    """Raise for an unknown objective or a bound on an unknown KPI."""
    if objective not in OBJECTIVES:
        raise invalid("objective", f"must be {', '.join(OBJECTIVES)}, not {objective!r}")
    for name in caps or {}:
        if name not in KPIS:
            raise invalid("caps", f"cannot bound {name!r}: use one of {', '.join(KPIS)}")


def build_model(
    net: Network,
    objective: str = "cost",
    *,
    caps: dict[str, float] | None = None,
    linear: bool = False,
    fix: dict[str, float] | None = None,
    initial_level: pd.Series | None = None,
) -> Built:
    """The linopy model of a network.

    ``caps`` bounds KPIs (ε-constraints: ``{"co2": 1000.0}``), ``linear`` relaxes the
    investment binaries, ``fix`` sets the build share (0..1) of arcs and technologies by
    id, and ``initial_level`` starts storage at given levels instead of cycling.
    """
    check_objective(objective, caps)
    m = linopy.Model()
    nodes, arcs, techs = net.nodes, net.arcs, net.techs
    period = net.periods.index
    weight = _da(net.periods.weight, period)
    hours = _da(net.periods.hours, period)
    fix = fix or {}

    supply = _index(nodes.index[nodes["kind"] == "supply"], "node")
    demand = _index(nodes.index[nodes["kind"] == "demand"], "node")
    sourced = _index(demand[nodes.loc[demand, "has_route"].to_numpy(bool)], "node")
    hubs = _index(nodes.index[nodes["kind"] == "hub"], "node")
    bought = _index(hubs[nodes.loc[hubs, "has_route"].to_numpy(bool)], "node")

    # ---- arcs: flows bounded by the streams they join, and by their build decision
    arc_index = _index(arcs.index, "arc")
    quantity = net.quantity
    eff = arcs["efficiency"].to_numpy(dtype=float)
    bound = np.full((len(arcs), len(period)), np.inf)
    from_stream = nodes.loc[arcs["from_node"], "kind"].to_numpy() != "hub"
    to_stream = nodes.loc[arcs["to_node"], "kind"].to_numpy() != "hub"
    bound[from_stream] = quantity.loc[arcs["from_node"][from_stream]].to_numpy()
    # an arc that delivers nothing (a pipe losing all it carries) carries nothing
    needed = quantity.loc[arcs["to_node"][to_stream]].to_numpy()
    delivered = np.broadcast_to(eff[to_stream, None], needed.shape)
    limit_to = np.divide(needed, delivered, out=np.zeros_like(needed), where=delivered > 0)
    bound[to_stream] = np.minimum(bound[to_stream], limit_to)
    upper = xr.DataArray(bound, coords={"arc": arc_index, "period": period})
    # the stream bounds only limit arcs that are partly or not built: elsewhere the balances
    # imply them, and stating them again would blur the duals
    fixed_arcs = arcs.index.intersection(list(fix))
    share = pd.Series(fix, dtype=float).reindex(arcs.index).fillna(1.0).to_numpy()
    limited = np.where(share[:, None] < 1.0, bound * share[:, None], np.inf)
    flow = m.add_variables(
        lower=0,
        upper=xr.DataArray(limited, coords=upper.coords),
        coords=[arc_index, period],
        name="flow",
    )

    chosen = arcs.index[~arcs["built"].to_numpy(bool)].difference(fixed_arcs)
    invest = _index(chosen, "arc")
    integer = not linear and (len(invest) > 0)
    build = None
    if len(invest):
        build = m.add_variables(lower=0, upper=1, coords=[invest], name="build", binary=integer)
        m.add_constraints(flow.sel(arc=invest) <= upper.sel(arc=invest) * build, name="arc_use")

    # ---- baseline routes at the nodes
    fate = m.add_variables(lower=0, coords=[supply, period], name="fate")
    source = m.add_variables(lower=0, coords=[sourced, period], name="source")
    unmet = m.add_variables(lower=0, coords=[demand, period], name="unmet")
    buy = m.add_variables(lower=0, coords=[bought, period], name="buy") if len(bought) else None
    dump = m.add_variables(lower=0, coords=[hubs, period], name="dump") if len(hubs) else None

    entries: list[linopy.LinearExpression] = [
        _group(-1 * flow, arcs["from_node"], "arc"),
        _group(_da(eff, arc_index) * flow, arcs["to_node"], "arc"),
        -1 * fate,
        1 * source,
        1 * unmet,
    ]
    if buy is not None:
        entries.append(1 * buy)
    if dump is not None:
        entries.append(-1 * dump)

    # ---- technologies: conversion with up to two inputs and two outputs, and storage
    tech_terms, tech_cost = _technologies(m, net, techs, hours, linear, fix, initial_level)
    entries += tech_terms

    balance_lhs = linopy.merge(entries, dim="_term", join="outer")
    node_index = _index(nodes.index, "node")
    rhs = xr.zeros_like(_quantity(net, nodes.index))
    rhs.loc[{"node": demand}] = _quantity(net, demand)
    rhs.loc[{"node": supply}] = -_quantity(net, supply)
    balance_lhs = balance_lhs.reindex(node=node_index)
    m.add_constraints(balance_lhs == rhs, name="balance")

    _contaminant_limits(m, net, flow, source, arc_index)

    # ---- KPIs as expressions
    def unit(column: str, index: pd.Index) -> xr.DataArray:
        return _da(nodes.loc[index, column], index)

    def per_year(expr: Any) -> linopy.LinearExpression:
        return (expr * weight).sum()

    operating = [
        (_da(arcs["unit_cost"], arc_index) * flow).sum("arc"),
        (unit("unit_cost", supply) * fate).sum("node"),
        (unit("unit_cost", sourced) * source).sum("node"),
    ]
    emitted = [
        (_da(arcs["unit_co2e"], arc_index) * flow).sum("arc"),
        (unit("unit_co2e", supply) * fate).sum("node"),
        (unit("unit_co2e", sourced) * source).sum("node"),
    ]
    fresh_out = nodes.loc[arcs["from_node"], "fresh_out"].to_numpy(dtype=float)
    fresh = [
        (_da(fresh_out, arc_index) * flow).sum("arc"),
        (unit("fresh_in", sourced) * source).sum("node"),
    ]
    if buy is not None:
        operating.append((unit("unit_cost", bought) * buy).sum("node"))
        emitted.append((unit("unit_co2e", bought) * buy).sum("node"))
        fresh.append((unit("fresh_in", bought) * buy).sum("node"))
    operating += tech_cost["operating"]
    material = nodes.loc[supply, "disposal"] * (nodes.loc[supply, "resource_class"] == "material")
    kpis = {
        "co2": per_year(linopy.merge(emitted, join="outer")),
        "freshwater": per_year(linopy.merge(fresh, join="outer")),
        "waste": per_year((_da(material, supply) * fate).sum("node")),
        "unmet": per_year(unmet.sum("node")),
    }
    fixed_terms = list(tech_cost["fixed"])
    if build is not None:
        fixed_terms.append((_da(arcs.loc[invest, "fixed_cost"], invest) * build).sum())
    operating_cost = per_year(linopy.merge(operating, join="outer"))
    cost = operating_cost + net.co2_price * kpis["co2"]
    if fixed_terms:
        cost = cost + linopy.merge(fixed_terms, join="outer")
    kpis["cost"] = cost
    constants = {"cost": net.constant_cost + fixed_charge(net, fix)}

    penalty = unmet_penalty(net, objective)
    goal = {"cost": cost, "co2": kpis["co2"], "freshwater": kpis["freshwater"]}[objective]
    if objective != "cost":
        goal = goal + TIE_BREAK * cost
    m.add_objective(goal + penalty * kpis["unmet"])
    for name, cap in (caps or {}).items():
        m.add_constraints(kpis[name] <= cap - constants.get(name, 0.0), name=f"cap_{name}")
    return Built(m, kpis, constants, penalty, integer or tech_cost["integer"])


def fixed_charge(net: Network, fix: dict[str, float] | None) -> float:
    """Yearly fixed cost of the builds of a fixed design."""
    if not fix:
        return 0.0
    share = pd.Series(fix, dtype=float)
    arcs = net.arcs["fixed_cost"].reindex(share.index).fillna(0.0)
    techs = net.techs
    sized = techs["size_cost"] * techs["capacity"].fillna(0.0)
    opened = techs["fixed_cost"].reindex(share.index).fillna(0.0) * (share > 0)
    return float((share * (arcs + sized.reindex(share.index).fillna(0.0))).sum() + opened.sum())


def unmet_penalty(net: Network, objective: str) -> float:
    """Cost of one unit of unmet demand: far above what meeting it could cost."""

    def largest(values: pd.Series) -> float:
        return float(values.abs().max()) if values.notna().any() else 0.0

    if objective == "cost":
        scale = max(
            largest(net.nodes["unit_cost"]) + net.co2_price * largest(net.nodes["unit_co2e"]),
            largest(net.arcs["unit_cost"]),
            largest(net.techs["unit_cost"]),
        )
    elif objective == "co2":
        scale = max(largest(net.nodes["unit_co2e"]), largest(net.arcs["unit_co2e"]))
    else:
        scale = largest(net.nodes["fresh_in"])
    return 1e3 * max(1.0, scale)


def _technologies(
    m: linopy.Model,
    net: Network,
    techs: pd.DataFrame,
    hours: xr.DataArray,
    linear: bool,
    fix: dict[str, float],
    initial_level: pd.Series | None,
) -> tuple[list[linopy.LinearExpression], dict]:
    """Variables and limits of technologies; their balance entries and their costs."""
    period = net.periods.index
    terms: list[linopy.LinearExpression] = []
    cost: dict = {"operating": [], "fixed": [], "integer": False}
    if techs.empty:
        return terms, cost
    capacity = techs["capacity"].astype(float)
    candidate = (techs["fixed_cost"] > 0) | (techs["size_cost"] > 0)
    candidate &= ~techs.index.isin(list(fix))
    missing = techs.index[candidate & capacity.isna()]
    if len(missing):
        raise SymbionetError(
            [
                Problem("technologies.csv", None, "capacity", f"{tech}: a candidate needs one")
                for tech in missing
            ]
        )
    sized = _index(techs.index[candidate], "tech")
    size_upper = capacity.copy()
    for tech_id, share in fix.items():
        if tech_id in techs.index:
            size_upper[tech_id] = capacity[tech_id] * share
    size = None
    if len(sized):
        size = m.add_variables(lower=0, coords=[sized], name="size")
        with_fixed = _index(sized[techs.loc[sized, "fixed_cost"].to_numpy() > 0], "tech")
        if len(with_fixed):
            integer = not linear
            open_ = m.add_variables(
                lower=0, upper=1, coords=[with_fixed], name="open", binary=integer
            )
            cost["integer"] = integer
            m.add_constraints(
                size.sel(tech=with_fixed) <= _da(capacity[with_fixed], with_fixed) * open_,
                name="open_size",
            )
            cost["fixed"].append(
                (_da(techs.loc[with_fixed, "fixed_cost"], with_fixed) * open_).sum()
            )
        m.add_constraints(size <= _da(capacity[sized], sized), name="size_limit")
        cost["fixed"].append((_da(techs.loc[sized, "size_cost"], sized) * size).sum())
    fixed_size = techs.index[~techs.index.isin(sized)]
    fixed_size_upper = size_upper[fixed_size].fillna(np.inf)

    convert = _index(techs.index[~techs["storage"].to_numpy(bool)], "tech")
    if len(convert):
        run = m.add_variables(lower=0, coords=[convert, period], name="run")
        table = techs.loc[convert]
        for port, coefficient in (
            ("in0", -np.ones(len(table))),
            ("in2", -table["ratio2"].to_numpy()),
            ("out0", table["efficiency"].to_numpy()),
            ("out2", table["efficiency2"].to_numpy()),
        ):
            present = table[port].notna().to_numpy()
            if not present.any():
                continue
            rows = _index(convert[present], "tech")
            coef = _da(coefficient[present], rows)
            terms.append(_group(coef * run.sel(tech=rows), table.loc[rows, port], "tech"))
        _capacity(m, run, convert, sized, size, fixed_size_upper, hours, "run")
        cost["operating"].append((_da(table["unit_cost"], convert) * run).sum("tech"))

    stores = _index(techs.index[techs["storage"].to_numpy(bool)], "tech")
    if len(stores):
        table = techs.loc[stores]
        charge = m.add_variables(lower=0, coords=[stores, period], name="charge")
        discharge = m.add_variables(lower=0, coords=[stores, period], name="discharge")
        level = m.add_variables(lower=0, coords=[stores, period], name="level")
        terms.append(_group(-1 * charge, table["in0"], "tech"))
        terms.append(_group(1 * discharge, table["out0"], "tech"))
        _capacity(m, level, stores, sized, size, fixed_size_upper, None, "level")
        _storage_balance(
            m, net, level, charge, discharge, _da(table["efficiency"], stores), initial_level
        )
        cost["operating"].append((_da(table["unit_cost"], stores) * charge).sum("tech"))
    return terms, cost


def _capacity(
    m: linopy.Model,
    var: linopy.Variable,
    index: pd.Index,
    sized: pd.Index,
    size: linopy.Variable | None,
    fixed_upper: pd.Series,
    hours: xr.DataArray | None,
    name: str,
) -> None:
    """A rate (times hours) or a level within the built size or the fixed capacity."""
    scale = hours if hours is not None else 1.0
    variable_size = _index(index.intersection(sized), "tech")
    if size is not None and len(variable_size):
        m.add_constraints(
            var.sel(tech=variable_size) <= size.sel(tech=variable_size) * scale,
            name=f"{name}_size",
        )
    bounded = _index(index.intersection(fixed_upper.index[np.isfinite(fixed_upper)]), "tech")
    if len(bounded):
        m.add_constraints(
            var.sel(tech=bounded) <= _da(fixed_upper[bounded], bounded) * scale,
            name=f"{name}_capacity",
        )


def _storage_balance(
    m: linopy.Model,
    net: Network,
    level: linopy.Variable,
    charge: linopy.Variable,
    discharge: linopy.Variable,
    efficiency: xr.DataArray,
    initial_level: pd.Series | None,
) -> None:
    """level[t] = level[t-1] + efficiency * charge[t] - discharge[t], cycling in each block."""
    period = net.periods.index
    block = net.periods.block.to_numpy()
    position = np.arange(len(period))
    starts = np.r_[True, block[1:] != block[:-1]]
    ends = np.r_[block[1:] != block[:-1], True]
    end_of_block = {b: position[ends & (block == b)][0] for b in np.unique(block)}
    previous = np.where(starts, [end_of_block[b] for b in block], position - 1)
    before = level.isel(period=xr.DataArray(previous, dims="period")).assign_coords(period=period)
    flows = efficiency * charge - discharge
    if initial_level is None:
        m.add_constraints(level - before - flows == 0, name="storage")
        return
    inner = _index(period[~starts], "period")
    m.add_constraints((level - before - flows).sel(period=inner) == 0, name="storage")
    first = _index(period[starts], "period")
    initial = _da(
        initial_level.reindex(level.coords["tech"].to_index()).fillna(0.0),
        level.coords["tech"].to_index(),
    )
    m.add_constraints((level - flows).sel(period=first) == initial, name="storage_start")


def _contaminant_limits(
    m: linopy.Model,
    net: Network,
    flow: linopy.Variable,
    source: linopy.Variable,
    arc_index: pd.Index,
) -> None:
    """Blending: what reaches a demand, mixed, stays within its limit for each contaminant."""
    arcs = net.arcs
    for contaminant in net.limits.columns:
        limit = net.limits[contaminant].dropna()
        into = arcs["to_node"].isin(limit.index).to_numpy()
        if not into.any():
            continue
        rows = _index(arc_index[into], "arc")
        carried = net.concentration.loc[arcs.loc[rows, "from_node"], contaminant].to_numpy()
        allowed = limit.loc[arcs.loc[rows, "to_node"]].to_numpy()
        excess = (carried - allowed) * arcs.loc[rows, "efficiency"].to_numpy(dtype=float)
        if not (excess > 0).any():
            continue
        terms = [_group(_da(excess, rows) * flow.sel(arc=rows), arcs.loc[rows, "to_node"], "arc")]
        clean = _index(limit.index.intersection(source.coords["node"].to_index()), "node")
        if len(clean):
            terms.append(-_da(limit[clean], clean) * source.sel(node=clean))
        lhs = linopy.merge(terms, dim="_term", join="outer")
        m.add_constraints(lhs <= 0, name=f"limit_{contaminant}")
