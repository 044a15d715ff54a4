"""The outcome of a design run: what is built, flows, balances, KPIs and marginal values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from symbionet.optimisation.network import Network
from symbionet.results import Result, plain, records

KPI_NAMES = {
    "cost": "cost_eur",
    "co2": "co2e_t",
    "freshwater": "freshwater_m3",
    "waste": "waste_t",
    "unmet": "unmet",
}
TOLERANCE = 1e-6


def baseline_kpis(net: Network) -> dict[str, float]:
    """KPIs with no exchange and no technology: every demand from its source, every supply
    to its fate. A demand with no source counts as unmet."""
    nodes = net.nodes
    supply = nodes[nodes["kind"] == "supply"]
    demand = nodes[nodes["kind"] == "demand"]
    routed = demand[demand["has_route"]]
    co2 = float((supply["annual"] * supply["unit_co2e"]).sum())
    co2 += float((routed["annual"] * routed["unit_co2e"]).sum())
    cost = float((supply["annual"] * supply["unit_cost"]).sum())
    cost += float((routed["annual"] * routed["unit_cost"]).sum()) + net.co2_price * co2
    material = supply["disposal"] * (supply["resource_class"] == "material")
    return {
        "cost_eur": cost,
        "co2e_t": co2,
        "freshwater_m3": float((routed["annual"] * routed["fresh_in"]).sum()),
        "waste_t": float((supply["annual"] * material).sum()),
        "unmet": float(demand.loc[~demand["has_route"], "annual"].sum()),
    }


@dataclass
class DesignResult(Result):
    """A solved design. Tables are pandas, per-period arrays xarray.

    ``status`` is ``ok`` for a proven optimum (within the gap); ``time limit`` when the
    solver stopped at its time limit with a feasible design not proven optimal (``gap``
    and ``bound``, the solver's lower bound on the objective, say how far it may be);
    ``no solution`` when it stopped before finding any (objective and KPIs NaN); else
    linopy's status (``warning`` for an infeasible model).

    ``flows`` holds each arc's amount in one occurrence of each period (canonical units
    of the supplied resource), ``annual`` the yearly totals; ``prices`` the marginal value
    of one more unit at each node (EUR, from the duals of the balances; empty for a MILP
    solved without them, or not proven optimal).
    """

    status: str
    termination: str
    objective_name: str
    objective: float
    gap: float
    bound: float
    kpis: dict[str, float]
    baseline: dict[str, float]
    built: pd.DataFrame
    flows: pd.DataFrame
    balance: pd.DataFrame
    unmet: pd.DataFrame
    prices: pd.DataFrame
    solution: xr.Dataset
    periods: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    estimated_share: dict[str, float] = field(default_factory=dict)
    """Per unit of the resources moved (t, m3, MWh...), the share of the yearly amount on
    built arcs that rests on an estimated stream (``provenance = estimated``)."""
    main_table = "built"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def savings(self) -> dict[str, float]:
        """Baseline minus design, for each KPI (positive: the design does better)."""
        return {k: self.baseline[k] - self.kpis[k] for k in self.kpis}

    def build_shares(self) -> pd.Series:
        """The share built of each arc and technology (a plant built smaller than its
        largest size keeps its size), to run this design again as ``fix``."""
        built = self.built
        share = built["built"].astype(float)
        sized = built["built"] & (built["capacity"] > 0)
        share[sized] = (built.loc[sized, "size"] / built.loc[sized, "capacity"]).clip(upper=1)
        return share

    @property
    def annual(self) -> pd.Series:
        """Yearly amount through each arc."""
        return self.flows.mul(self.periods["weight"], axis=1).sum(axis=1).rename("annual")

    def tables(self) -> dict[str, pd.DataFrame]:
        """What is built, the balances, unmet demand and marginal values."""
        return {
            "built": self.built[self.built["built"]],
            "balance": self.balance,
            "unmet": self.unmet,
            "prices": self.prices,
        }

    def to_dict(self, periods: bool = True) -> dict[str, Any]:
        """Plain data for JSON: status, objective, built, flows, kpis and the rest."""
        flows = []
        annual = self.annual
        used = annual[annual.abs() > TOLERANCE]
        for arc in used.index:
            row = self.built.loc[arc]
            entry: dict[str, Any] = {
                "arc": arc,
                "from": row["from"],
                "to": row["to"],
                "resource": row["resource"],
                "annual": float(used[arc]),
            }
            if periods:
                entry["periods"] = [float(v) for v in self.flows.loc[arc]]
            flows.append(entry)
        return {
            "status": self.status,
            "termination": self.termination,
            "objective_name": self.objective_name,
            "objective": plain(self.objective),
            "gap": plain(self.gap),
            "bound": plain(self.bound),
            "kpis": plain(self.kpis),
            "baseline": plain(self.baseline),
            "savings": plain(self.savings),
            "built": records(self.built[self.built["built"]]),
            "flows": flows,
            "balance": records(self.balance.reset_index()),
            "unmet": records(self.unmet.reset_index()),
            "prices": records(self.prices.reset_index()),
            "timings": self.timings,
            "estimated_share": plain(self.estimated_share),
        }


def _values(solution: xr.Dataset, name: str, index: pd.Index, dim: str) -> pd.DataFrame:
    """A solution array as a frame (rows ``index``, columns periods), zeros where absent."""
    columns = solution.coords["period"].to_index()
    if name not in solution:
        return pd.DataFrame(0.0, index=index, columns=columns)
    frame = solution[name].transpose(dim, "period").to_pandas()
    return frame.reindex(index, fill_value=0.0).fillna(0.0)


def built_table(net: Network, solution: xr.Dataset, annual: pd.Series) -> pd.DataFrame:
    """Arcs and technologies, with whether each is built and how much it carries a year
    (``annual``, as sent; for arcs ``received``: what arrives, after conversion and losses)."""
    arcs = net.arcs
    share = pd.Series(1.0, index=arcs.index)
    if "build" in solution:
        # NaN where the solver holds no solution: not built
        build = solution["build"].to_pandas()
        share.loc[build.index] = build
    if "fixed" in solution.attrs:
        share.update(pd.Series(solution.attrs["fixed"]))
    flows = annual.reindex(arcs.index).fillna(0.0)
    free = arcs["built"].astype(bool) & ~arcs.index.isin(list(solution.attrs.get("fixed", {})))
    existing = (arcs["origin"] == "exchange") & (arcs["status"] == "operating") & free
    rows = pd.DataFrame(
        {
            "kind": arcs["origin"],
            "from": arcs["from_node"],
            "to": arcs["to_node"],
            "resource": arcs["resource"],
            "status": arcs["status"],
            "km": arcs["km"],
            "capex_eur": arcs["capex"],
            "fixed_cost_eur": arcs["fixed_cost"],
            "capacity": np.nan,
            "size": np.nan,
            "annual": flows,
            "received": flows * arcs["efficiency"],
            "built": np.where(free, existing | (flows > TOLERANCE), share > 0.5),
        }
    )
    techs = net.techs
    weight = net.periods.weight
    if len(techs):
        size = techs["capacity"].copy()
        if "size" in solution:
            size.update(solution["size"].to_pandas())
        opened = pd.Series(True, index=techs.index)
        if "open" in solution:
            opened.update(solution["open"].to_pandas() > 0.5)
        used = pd.Series(0.0, index=techs.index)
        stores = techs["storage"].astype(bool)
        # what a plant takes in, or what a store takes in, over the year
        for name, members in (("run", techs.index[~stores]), ("charge", techs.index[stores])):
            if name in solution:
                yearly = _values(solution, name, members, "tech").mul(weight, axis=1).sum(axis=1)
                used.update(yearly)
        tech_rows = pd.DataFrame(
            {
                "kind": "technology:" + techs["kind"].astype(str),
                "from": techs["in0"],
                "to": techs["out0"],
                "resource": techs["in0"].str.split("/").str[1],
                "status": np.where(techs["existing"], "existing", "candidate"),
                "km": 0.0,
                "capex_eur": np.nan,
                "fixed_cost_eur": techs["fixed_cost"] + techs["size_cost"] * size.fillna(0),
                "capacity": techs["capacity"],
                "size": size,
                "annual": used,
                "built": techs["existing"] | (opened & (size.fillna(1) > TOLERANCE) & (used > 0)),
            }
        )
        rows = pd.concat([rows, tech_rows])
    return rows.rename_axis("id")


def balance_table(net: Network, solution: xr.Dataset) -> pd.DataFrame:
    """Yearly amounts per site and resource: streams, exchanged, converted, bought, disposed."""
    nodes = net.nodes
    weight = net.periods.weight
    arcs = net.arcs

    def yearly(name: str, index: pd.Index, dim: str) -> pd.Series:
        return _values(solution, name, index, dim).mul(weight, axis=1).sum(axis=1)

    flow = yearly("flow", arcs.index, "arc")
    sent = flow.groupby(arcs["from_node"]).sum()
    received = (flow * arcs["efficiency"]).groupby(arcs["to_node"]).sum()
    table = pd.DataFrame(index=nodes.index)
    table["supply"] = np.where(nodes["kind"] == "supply", nodes["annual"], 0.0)
    table["demand"] = np.where(nodes["kind"] == "demand", nodes["annual"], 0.0)
    table["received"] = received.reindex(nodes.index).fillna(0.0)
    table["sent"] = sent.reindex(nodes.index).fillna(0.0)
    table["bought"] = yearly("source", nodes.index, "node") + yearly("buy", nodes.index, "node")
    table["disposed"] = yearly("fate", nodes.index, "node") + yearly("dump", nodes.index, "node")
    table["unmet"] = yearly("unmet", nodes.index, "node")
    table["converted"] = _converted(net, solution)
    # solver noise (1e-12 of a unit) shown as zero
    table = table.where(table.abs() > TOLERANCE, 0.0)
    table["site"], table["resource"] = nodes["site"], nodes["resource"]
    return table.groupby(["site", "resource"]).sum(numeric_only=True)


def _converted(net: Network, solution: xr.Dataset) -> pd.Series:
    """Net yearly output of technologies and storage into each hub."""
    techs = net.techs
    out = pd.Series(0.0, index=net.nodes.index)
    weight = net.periods.weight
    if "run" in solution:
        run = _values(solution, "run", techs.index, "tech").mul(weight, axis=1).sum(axis=1)
        for port, coef in (
            ("in0", -1.0),
            ("in2", -techs["ratio2"]),
            ("out0", techs["efficiency"]),
            ("out2", techs["efficiency2"]),
        ):
            amounts = (run * coef).dropna()
            nodes = techs.loc[amounts.index, port]
            out = out.add(amounts.groupby(nodes).sum(), fill_value=0.0)
    if "charge" in solution:
        stored = _values(solution, "discharge", techs.index, "tech") - _values(
            solution, "charge", techs.index, "tech"
        )
        net_out = stored.mul(weight, axis=1).sum(axis=1).loc[techs["storage"].astype(bool)]
        out = out.add(net_out.groupby(techs.loc[net_out.index, "in0"]).sum(), fill_value=0.0)
    return out.reindex(net.nodes.index).fillna(0.0)


def price_table(net: Network, duals: xr.DataArray | None) -> pd.DataFrame:
    """Marginal value of one more unit at each node (EUR per canonical unit): per period,
    and averaged over the year weighted by the period weights."""
    nodes = net.nodes
    columns = ["site", "resource", "kind", "value_eur"]
    if duals is None:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="node"))
    weight = net.periods.weight
    per_unit = duals.to_pandas().reindex(nodes.index).div(weight, axis=1)
    average = per_unit.mul(weight, axis=1).sum(axis=1) / weight.sum()
    table = nodes[["site", "resource", "kind"]].copy()
    table["value_eur"] = average
    return table.rename_axis("node")


def unmet_table(net: Network, solution: xr.Dataset) -> pd.DataFrame:
    """Demands (by name) that no source, exchange or technology could meet, and by how much."""
    demand = net.nodes.index[net.nodes["kind"] == "demand"]
    yearly = _values(solution, "unmet", demand, "node").mul(net.periods.weight, axis=1)
    table = net.nodes.loc[demand, ["site", "resource"]].copy()
    table["unmet"] = yearly.sum(axis=1)
    return table[table["unmet"] > TOLERANCE].rename_axis("demand")


__all__ = [
    "KPI_NAMES",
    "TOLERANCE",
    "DesignResult",
    "balance_table",
    "baseline_kpis",
    "built_table",
    "price_table",
    "unmet_table",
]
