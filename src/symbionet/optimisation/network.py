"""The design network as labelled tables: nodes, arcs and technologies over periods.

Nodes are the streams themselves (a supply or a demand keeps its own quality) and one hub
per site and resource where a technology takes or delivers it. Arcs carry a resource
from a supply or hub to a demand or hub: the park's exchanges, candidate exchanges
between compatible streams, on-site connections to the hubs and links between hubs.
Every number is per canonical unit of the resource (EUR, t CO2e, m3 of freshwater).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from symbionet.discovery.candidates import haversine_km
from symbionet.discovery.engine import discover
from symbionet.discovery.transport import (
    Defaults,
    Mode,
    load_defaults,
    value,
)
from symbionet.errors import Problem, SymbionetError, invalid
from symbionet.optimisation.periods import FLAT, Periods, build_periods
from symbionet.register.baseline import (
    DISPOSAL,
    canonical_per,
    draws_freshwater,
    is_freshwater,
    per_unit,
    stream_baseline,
)
from symbionet.register.catalogue import Catalogue, Resource
from symbionet.register.magnitudes import LARGEST, beyond, check_magnitudes
from symbionet.register.park import CLOSED, Park
from symbionet.units import annuity, convert

DEFAULT_LIFETIME = 20.0
MODES = ("invest", "operate")
# the ports of a technology, each a hub node or none
PORTS = ("in0", "in2", "out0", "out2")
# what joins an id and the number of its network in a disjoint union
TAG = "#"
# nearest compatible supplies discovery offers each demand as candidates, and nearest
# streams at other sites linked to a plant's hub
CANDIDATES_PER_DEMAND = 10
# what the model's own numbers are called in messages, by table and column
MODEL_NUMBERS = {
    "nodes": {
        "annual": "yearly amount",
        "unit_cost": "cost per unit",
        "unit_co2e": "CO2e per unit",
    },
    "arcs": {
        "efficiency": "share delivered",
        "unit_cost": "cost per unit",
        "unit_co2e": "CO2e per unit",
        "capex": "capex",
        "fixed_cost": "yearly fixed cost",
    },
    "techs": {
        "capacity": "capacity",
        "fixed_cost": "yearly fixed cost",
        "size_cost": "yearly cost per unit of size",
        "unit_cost": "cost per unit",
    },
}


@dataclass(frozen=True)
class Network:
    """Everything the model needs, as tables indexed by node, arc and technology."""

    periods: Periods
    nodes: pd.DataFrame
    arcs: pd.DataFrame
    techs: pd.DataFrame
    quantity: pd.DataFrame
    limits: pd.DataFrame
    concentration: pd.DataFrame
    co2_price: float
    constant_cost: float

    def subset(self, periods: pd.Index) -> Network:
        """The same network over fewer periods."""
        return replace(
            self, periods=self.periods.subset(periods), quantity=self.quantity.loc[:, periods]
        )

    def links(self) -> tuple[np.ndarray, pd.Index]:
        """Pairs of node positions that an arc or a technology joins, and the id of what
        joins each pair (a technology joins its first input to each of its other ports)."""
        position = pd.Series(np.arange(len(self.nodes)), index=self.nodes.index)
        pairs = [self.arcs[["from_node", "to_node"]]]
        for port in PORTS[1:]:
            pairs.append(
                self.techs[["in0", port]].dropna().set_axis(["from_node", "to_node"], axis=1)
            )
        joined = pd.concat([p for p in pairs if len(p)] or [pairs[0]])
        ends = np.column_stack(
            [
                position.loc[joined["from_node"]].to_numpy(),
                position.loc[joined["to_node"]].to_numpy(),
            ]
        ).astype(int)
        return ends.reshape(-1, 2), joined.index

    def components(self) -> list[pd.Index]:
        """Groups of nodes that no arc or technology joins to another group."""
        ends, _ = self.links()
        count, labels = joined(len(self.nodes), ends)
        return [self.nodes.index[labels == label] for label in range(count)]

    def part(self, nodes: pd.Index) -> Network:
        """The network of a group of nodes, with the arcs between them and their
        technologies."""
        arcs = self.arcs[self.arcs["from_node"].isin(nodes) & self.arcs["to_node"].isin(nodes)]
        techs = self.techs[self.techs["in0"].isin(nodes)]
        return replace(
            self,
            nodes=self.nodes.loc[nodes],
            arcs=arcs,
            techs=techs,
            quantity=self.quantity.loc[nodes],
            limits=self.limits[self.limits.index.isin(nodes)],
            concentration=self.concentration.loc[nodes],
            constant_cost=float(arcs["existing_cost"].sum() + techs["existing_cost"].sum()),
        )

    def tagged(self, tag: str) -> Network:
        """The same network with ``tag`` appended to every node, arc and technology id, so
        that copies of overlapping parts can be solved side by side."""

        def name(frame: pd.DataFrame) -> pd.DataFrame:
            return frame.set_axis((frame.index.astype(str) + tag).rename(frame.index.name))

        def ids(column: pd.Series) -> pd.Series:
            plain = column.astype(object)
            return plain.where(plain.isna(), plain.astype(str) + tag)

        arcs = self.arcs.assign(
            from_node=ids(self.arcs["from_node"]), to_node=ids(self.arcs["to_node"])
        )
        techs = self.techs.assign(**{port: ids(self.techs[port]) for port in PORTS})
        return replace(
            self,
            nodes=name(self.nodes),
            arcs=name(arcs),
            techs=name(techs),
            quantity=name(self.quantity),
            limits=name(self.limits),
            concentration=name(self.concentration),
        )

    def of_actors(self, actors: Iterable[str] | None, exclude: Iterable[str] = ()) -> Network:
        """The network of a coalition, built once for the park: its actors' streams and hubs,
        the arcs between them but those of ``exclude``, and its technologies."""
        net = (
            self
            if actors is None
            else self.part(self.nodes.index[self.nodes["actor"].isin(list(actors))])
        )
        return net.without(exclude)

    def without(self, arcs: Iterable[str]) -> Network:
        """The same network without some arcs (ids not in it are ignored)."""
        dropped = self.arcs.index.intersection(list(arcs))
        if dropped.empty:
            return self
        kept = self.arcs.drop(index=dropped)
        return replace(
            self,
            arcs=kept,
            constant_cost=float(kept["existing_cost"].sum() + self.techs["existing_cost"].sum()),
        )

    def decisions(self) -> int:
        """How many build decisions (binaries) the network holds."""
        return int((~self.arcs["built"].astype(bool)).sum() + (self.techs["fixed_cost"] > 0).sum())

    def steady(self) -> bool:
        """Whether every stream is flat in time and nothing stores (one period then says all)."""
        streams = self.nodes[self.nodes["kind"] != "hub"]
        return bool((streams["profile"] == FLAT).all() and not self.techs["storage"].any())

    def collapsed(self) -> Network:
        """The same network over one yearly period."""
        index = pd.RangeIndex(1, 2, name="period")
        periods = Periods(
            "annual",
            pd.Series(1.0, index=index, name="weight"),
            pd.Series(8760.0, index=index, name="hours"),
            pd.Series(0, index=index, name="block"),
            pd.DataFrame({FLAT: [1.0]}, index=index),
        )
        quantity = pd.DataFrame({1: self.nodes["annual"].to_numpy()}, index=self.nodes.index)
        quantity.columns = index
        return replace(self, periods=periods, quantity=quantity)


def disjoint_union(nets: Sequence[Network]) -> Network:
    """One network of several over the same periods, each one's ids tagged with its number
    (see :func:`untagged`), so that overlapping parts are solved side by side as copies."""
    tagged = [net.tagged(f"{TAG}{number}") for number, net in enumerate(nets)]

    def stacked(name: str) -> pd.DataFrame:
        return pd.concat([getattr(net, name) for net in tagged])

    return replace(
        tagged[0],
        nodes=stacked("nodes"),
        arcs=stacked("arcs"),
        techs=stacked("techs"),
        quantity=stacked("quantity"),
        limits=stacked("limits"),
        concentration=stacked("concentration"),
        constant_cost=float(sum(net.constant_cost for net in nets)),
    )


def untagged(ids: pd.Index) -> tuple[pd.Index, np.ndarray]:
    """Ids of a :func:`disjoint_union` as they were, and the number of the network of each."""
    split = ids.astype(str).str.rsplit(TAG, n=1)
    return pd.Index(split.str[0], name=ids.name), split.str[1].astype(int).to_numpy()


def joined(size: int, ends: np.ndarray) -> tuple[int, np.ndarray]:
    """Connected groups of ``size`` nodes joined by pairs of positions: their count, and the
    group of each node."""
    graph = coo_matrix((np.ones(len(ends)), (ends[:, 0], ends[:, 1])), shape=(size, size))
    count, labels = connected_components(graph, directed=False)
    return int(count), labels


def _resource_frame(catalogue: Catalogue, resources: Iterable[str]) -> pd.DataFrame:
    rows = {}
    for r in dict.fromkeys(resources):
        entry = catalogue.resources[r]
        rows[r] = {
            "resource_class": entry.resource_class,
            "price": catalogue.price_eur(r),
            "co2e": catalogue.emission_t(r) or 0.0,
            "fresh": float(is_freshwater(entry)),
        }
    columns = ["resource_class", "price", "co2e", "fresh"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def _stream_nodes(park: Park) -> pd.DataFrame:
    """One node per stream with its baseline cost, CO2e, freshwater and disposal per unit."""
    streams = park.streams
    catalogue = park.catalogue
    base = stream_baseline(park)
    supply = (streams["direction"] == "supply").to_numpy()
    route = base["route"].reindex(streams.index)
    named = [r if isinstance(r, str) else None for r in route]
    fresh = np.array(
        [
            draws_freshwater(catalogue, resource, r)
            for resource, r in zip(streams["resource"], named, strict=True)
        ],
        dtype=bool,
    )
    priced = streams["price"].notna().to_numpy()
    listed_price = np.array(
        [catalogue.resources[r].price is not None for r in streams["resource"]], dtype=bool
    )
    nodes = pd.DataFrame(
        {
            "kind": np.where(supply, "supply", "demand"),
            "site": streams["site"],
            "resource": streams["resource"],
            "route": route,
            "unit_cost": base["cost_eur"],
            "unit_co2e": base["co2e_t"],
            "has_route": supply | route.notna().to_numpy() | priced | listed_price,
            # fresh water on offer with no fate and no price is abstracted only when used
            "fresh_out": (supply & route.isna().to_numpy() & ~priced & fresh).astype(float),
            "fresh_in": (~supply & fresh).astype(float),
            "disposal": (supply & route.isin(DISPOSAL).to_numpy()).astype(float),
            "temperature": streams["temperature_c"],
            "profile": streams["profile"].where(streams["profile"].notna(), FLAT),
            "annual": streams["annual_quantity"].astype(float),
        },
        index=streams.index.rename("node"),
    )
    return nodes


def _hub(site: str, resource: str) -> str:
    return f"{site}/{resource}"


def _technologies(park: Park) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Technologies with their ports on hub nodes, and the hub nodes themselves."""
    techs = park.technologies
    rate = float(park.meta.get("discount_rate", 0.05))
    currency = convert(1.0, park.currency, "EUR")
    rows = []
    for tech_id, k in techs.iterrows():
        ports = {}
        for port in ("input", "input2", "output", "output2"):
            resource = k.get(port)
            ports[port] = _hub(k["site"], resource) if isinstance(resource, str) else None
        capacity = float(k["annual_capacity"])
        if k["kind"] != "storage":
            capacity /= 8760.0
        if k["kind"] == "storage" and (
            k["output"] != k["input"] or isinstance(k.get("input2"), str)
        ):
            raise _technology_problem(
                tech_id, "output", "a store keeps one resource: output = input"
            )
        existing = k["status"] == "existing"
        lifetime = float(k["lifetime"]) if pd.notna(k["lifetime"]) else DEFAULT_LIFETIME
        factor = annuity(rate, lifetime)
        per_capacity = np.nan
        if pd.notna(k["capex_per_capacity"]) and capacity > 0:
            # per unit of the declared capacity unit, turned into per canonical rate
            per_capacity = float(k["capex_per_capacity"]) * float(k["capacity"]) / capacity
        rows.append(
            {
                "tech": tech_id,
                "site": k["site"],
                "kind": k["kind"],
                "storage": k["kind"] == "storage",
                "in0": ports["input"],
                "in2": ports["input2"],
                "out0": ports["output"],
                "out2": ports["output2"],
                "efficiency": float(k["efficiency"]) if pd.notna(k["efficiency"]) else 1.0,
                "ratio2": float(k["ratio2"]) if pd.notna(k["ratio2"]) else 0.0,
                "efficiency2": float(k["efficiency2"]) if pd.notna(k["efficiency2"]) else 0.0,
                "capacity": capacity,
                "existing": existing,
                "fixed_cost": 0.0
                if existing
                else currency * (factor * _num(k["capex"]) + _num(k["opex_fixed"])),
                "size_cost": 0.0 if existing else currency * factor * _num(per_capacity),
                "existing_cost": currency * _num(k["opex_fixed"]) if existing else 0.0,
                "unit_cost": currency * _num(k["opex_variable"]),
            }
        )
    columns = [
        "tech",
        "site",
        "kind",
        "storage",
        "in0",
        "in2",
        "out0",
        "out2",
        "efficiency",
        "ratio2",
        "efficiency2",
        "capacity",
        "existing",
        "fixed_cost",
        "size_cost",
        "existing_cost",
        "unit_cost",
    ]
    table = pd.DataFrame(rows, columns=columns).set_index("tech")
    hubs = {}
    for _, k in techs.iterrows():
        for port in ("input", "input2", "output", "output2"):
            resource = k.get(port)
            if isinstance(resource, str):
                hubs[_hub(k["site"], resource)] = (k["site"], resource)
    hub_frame = pd.DataFrame(
        [{"node": h, "kind": "hub", "site": s, "resource": r} for h, (s, r) in hubs.items()],
        columns=["node", "kind", "site", "resource"],
    ).set_index("node")
    return table, hub_frame


def _technology_problem(tech: object, column: str, message: str) -> SymbionetError:
    return SymbionetError([Problem("technologies.csv", None, column, f"{tech}: {message}")])


def _num(value: Any) -> float:
    return float(value) if value is not None and pd.notna(value) else 0.0


def _mode_for(defaults: Defaults, entry: Resource, kind: str) -> Mode | None:
    """The first transport mode of ``kind`` (pipeline, truck...) that carries a resource."""
    return next(
        (
            mode
            for mode in defaults.modes.values()
            if mode.carries(entry) and (kind == "any" or mode.kind == kind)
        ),
        None,
    )


def _arc_costs(
    defaults: Defaults,
    entry: Resource,
    kind: str,
    km: float,
    annual: float,
    rate: float,
    electricity: tuple[float, float],
) -> dict[str, float]:
    """Capex, its yearly share, per-unit cost and CO2e, and share delivered of one arc."""
    free = {
        "reach_km": np.inf,
        "capex": 0.0,
        "annuity": annuity(rate, DEFAULT_LIFETIME),
        "opex_share": 0.0,
        "unit_cost": 0.0,
        "unit_co2e": 0.0,
        "delivered": 1.0,
    }
    if kind == "onsite" or km <= 0:
        return free
    mode = _mode_for(defaults, entry, kind) or _mode_for(defaults, entry, "any")
    if mode is None:
        return {**free, "reach_km": 0.0}
    free["reach_km"] = value(mode.max_km, "km", np.inf)
    route_km = km * value(mode.circuity, "1", 1.0)
    if mode.kind in {"truck", "ship", "rail"}:  # factors per t, or per m3 (a tanker)
        load = mode.payload
        per_load = (
            value(mode.handling_per_t, f"EUR/{load}")
            + value(mode.cost_per_tkm, f"EUR/{load}/km") * route_km
        )
        load_per_unit = 1.0 / canonical_per(load, entry)
        co2 = value(mode.emission_per_tkm, f"t/{load}/km") * route_km
        return {**free, "unit_cost": per_load * load_per_unit, "unit_co2e": co2 * load_per_unit}
    if mode.kind == "grid":
        mwh_per_unit = 1.0 / canonical_per("MWh", entry)
        return {**free, "unit_cost": value(mode.cost_per_unit, "EUR/MWh") * mwh_per_unit}
    flow_unit = str(mode.flow_unit)
    per_flow = 1.0 / canonical_per(flow_unit, entry)
    reference = value(mode.reference_flow, f"{flow_unit}/yr")
    scale = (max(annual, 0.0) * per_flow / reference) ** value(mode.scale_exponent, "1", 1.0)
    per_km = max(value(mode.capex_per_km, "EUR/km") * scale, value(mode.min_capex_per_km, "EUR/km"))
    pumping = value(mode.pumping_per_km, f"MWh/({flow_unit})/km") * route_km * per_flow
    return {
        **free,
        "capex": per_km * route_km,
        "annuity": annuity(rate, value(mode.lifetime, "yr", DEFAULT_LIFETIME)),
        "opex_share": value(mode.opex_share, "1/yr"),
        "unit_cost": pumping * electricity[0],
        "unit_co2e": pumping * electricity[1],
        "delivered": float(np.clip(1 - value(mode.loss_per_km, "1/km") * route_km, 0, 1)),
    }


def _treatment(defaults: Defaults, catalogue: Catalogue, supply: str, demand: str) -> tuple:
    """Cost (EUR) and CO2e (t) per unit of ``supply`` of treating it to replace ``demand``."""
    for step in defaults.treatment.values():
        if step.supply == supply and step.demand == demand:
            entry = catalogue.resources[supply]
            co2e = step.emission_factor
            return (
                per_unit(step.cost, entry, "EUR"),
                per_unit(co2e, entry, "t") if co2e is not None else 0.0,
            )
    return 0.0, 0.0


def _candidate_pairs(park: Park, nodes: pd.DataFrame) -> pd.DataFrame:
    """Candidate exchanges found by discovery, within the streams of ``nodes``."""
    found = discover(park, per_demand=CANDIDATES_PER_DEMAND, blend=True).candidates
    found = found.reset_index(drop=True)
    found = found[found["supply"].isin(nodes.index) & found["demand"].isin(nodes.index)]
    return found[["supply", "demand", "mode", "distance_km"]].assign(status="idea")


def _site_km(park: Park, a: pd.Series, b: pd.Series) -> np.ndarray:
    sites = park.sites
    return haversine_km(
        sites.loc[a, "lat"].to_numpy(),
        sites.loc[a, "lon"].to_numpy(),
        sites.loc[b, "lat"].to_numpy(),
        sites.loc[b, "lon"].to_numpy(),
    )


def _arcs(
    park: Park,
    nodes: pd.DataFrame,
    hubs: pd.DataFrame,
    mode: str,
    greenfield: bool,
    candidates: bool,
) -> pd.DataFrame:
    """Every arc: the park's exchanges, candidate exchanges and the links to hubs."""
    catalogue = park.catalogue
    defaults = load_defaults(catalogue, park.meta.get("transport"))
    rate = float(park.meta.get("discount_rate", 0.05))
    electricity = (
        catalogue.price_eur("electricity") or 0.0,
        catalogue.emission_t("electricity") or 0.0,
    )
    currency = convert(1.0, park.currency, "EUR")
    exchanges = park.exchanges
    exchanges = exchanges[
        exchanges["supply"].isin(nodes.index)
        & exchanges["demand"].isin(nodes.index)
        & ~exchanges["status"].isin(CLOSED)
    ]
    if mode == "operate":
        exchanges = exchanges[exchanges["status"] == "operating"]
    listed = exchanges.reset_index().rename(columns={"id": "arc"})
    listed["origin"] = "exchange"
    frames = [listed]
    if candidates and mode == "invest":
        pairs = _candidate_pairs(park, nodes)
        known = set(zip(listed["supply"], listed["demand"], strict=True))
        fresh = [(s, d) not in known for s, d in zip(pairs["supply"], pairs["demand"], strict=True)]
        pairs = pairs.loc[np.array(fresh, dtype=bool)]
        pairs["arc"] = pairs["supply"].astype(str) + ">" + pairs["demand"].astype(str)
        pairs["origin"] = "candidate"
        frames.append(pairs)
    frames.append(_hub_links(park, nodes, hubs, remote=candidates and mode == "invest"))
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty_arcs()
    arcs = pd.concat(frames, ignore_index=True)
    for column in ("distance_km", "capex", "opex", "lifetime"):
        if column not in arcs:
            arcs[column] = np.nan
    every = pd.concat([nodes[["site", "resource", "annual"]], hubs[["site", "resource"]]])
    source, target = every.loc[arcs["supply"]], every.loc[arcs["demand"]]
    arcs["from_node"], arcs["to_node"] = arcs["supply"], arcs["demand"]
    arcs["resource"] = source["resource"].to_numpy()
    ratios = [
        catalogue.ratio(a, b) for a, b in zip(source["resource"], target["resource"], strict=True)
    ]
    arcs["ratio"] = [np.nan if r is None else r for r in ratios]
    arcs = arcs[arcs["ratio"].notna()].reset_index(drop=True)
    source, target = every.loc[arcs["supply"]], every.loc[arcs["demand"]]
    same_site = source["site"].to_numpy() == target["site"].to_numpy()
    km = np.where(
        same_site,
        0.0,
        _site_km(park, source["site"], target["site"]),
    )
    km = np.where(arcs["distance_km"].notna(), arcs["distance_km"], km)
    annual = np.minimum(
        source["annual"].fillna(np.inf).to_numpy(),
        target["annual"].fillna(np.inf).to_numpy() / arcs["ratio"].to_numpy(),
    )
    annual = np.where(np.isfinite(annual), annual, 0.0)
    priced = [
        _arc_costs(
            defaults,
            catalogue.resources[r],
            "onsite" if same else str(k),
            float(d),
            float(q),
            rate,
            electricity,
        )
        for r, k, d, q, same in zip(
            arcs["resource"], arcs["mode"].fillna("pipeline"), km, annual, same_site, strict=True
        )
    ]
    costs = pd.DataFrame(priced)
    treated = pd.DataFrame(
        [
            _treatment(defaults, catalogue, a, b)
            for a, b in zip(source["resource"], target["resource"], strict=True)
        ],
        columns=["cost", "co2e"],
    )
    arcs["km"] = km
    arcs["efficiency"] = arcs["ratio"] * costs["delivered"]
    arcs["unit_cost"] = costs["unit_cost"] + treated["cost"]
    arcs["unit_co2e"] = costs["unit_co2e"] + treated["co2e"]
    operating = (arcs["status"] == "operating").to_numpy()
    built = operating & (not greenfield)
    given_capex = arcs["capex"].to_numpy(dtype=float) * currency
    given_opex = arcs["opex"].to_numpy(dtype=float) * currency
    capex = np.where(np.isfinite(given_capex), given_capex, costs["capex"])
    opex = np.where(np.isfinite(given_opex), given_opex, capex * costs["opex_share"])
    lifetime = arcs["lifetime"].to_numpy(dtype=float)
    stated = np.isfinite(given_capex) & np.isfinite(lifetime)
    yearly_share = np.where(
        stated,
        [annuity(rate, y) if y > 0 else 0.0 for y in np.nan_to_num(lifetime)],
        costs["annuity"],
    )
    fixed = capex * yearly_share + opex
    arcs["capex"] = capex
    arcs["fixed_cost"] = np.where(built, 0.0, fixed)
    arcs["existing_cost"] = np.where(built, opex, 0.0)
    arcs["built"] = built | (arcs["fixed_cost"] <= 0)
    in_reach = (km <= costs["reach_km"].to_numpy()) | (arcs["origin"] == "exchange").to_numpy()
    arcs = arcs[in_reach]
    arcs["status"] = arcs["status"].fillna("idea")
    arcs = arcs.set_index("arc")
    return arcs[ARC_COLUMNS]


ARC_COLUMNS = [
    "origin",
    "from_node",
    "to_node",
    "resource",
    "status",
    "km",
    "ratio",
    "efficiency",
    "unit_cost",
    "unit_co2e",
    "capex",
    "fixed_cost",
    "existing_cost",
    "built",
]


def _empty_arcs() -> pd.DataFrame:
    return pd.DataFrame(columns=ARC_COLUMNS, index=pd.Index([], name="arc"))


def _hub_links(park: Park, nodes: pd.DataFrame, hubs: pd.DataFrame, remote: bool) -> pd.DataFrame:
    """Arcs from supplies into hubs and from hubs to demands: at the hub's site, and with
    ``remote`` also from and to the nearest compatible streams at other sites."""
    catalogue = park.catalogue
    rows = []
    for h_id, h in hubs.iterrows():
        into = [catalogue.ratio(r, h["resource"]) is not None for r in nodes["resource"]]
        out = [catalogue.ratio(h["resource"], r) is not None for r in nodes["resource"]]
        for kind, fits in (("supply", into), ("demand", out)):
            linked = nodes[(nodes["kind"] == kind).to_numpy() & np.array(fits, dtype=bool)]
            here = linked["site"] == h["site"]
            chosen = list(linked.index[here])
            if remote and (~here).any():
                away = linked[~here]
                km = _site_km(park, pd.Series(h["site"], index=away.index), away["site"])
                order = np.argsort(km, kind="stable")[:CANDIDATES_PER_DEMAND]
                chosen += list(away.index[order])
            rows += [(n, h_id) if kind == "supply" else (h_id, n) for n in chosen]
    frame = pd.DataFrame(rows, columns=["supply", "demand"])
    frame["arc"] = frame["supply"] + ">" + frame["demand"]
    frame["mode"] = "pipeline"
    frame["status"] = "idea"
    frame["origin"] = "hub"
    return frame


def restrict(park: Park, actors: Sequence[str] | None) -> Park:
    """The park of a coalition: its actors' sites, streams, exchanges and technologies."""
    if actors is None:
        return park
    unknown = [a for a in actors if a not in park.actors.index]
    if unknown:
        raise invalid("actors", f"unknown actor {', '.join(map(repr, unknown))}")
    sites = park.sites.index[park.sites["actor"].isin(actors)]
    streams = park.streams.index[park.streams["site"].isin(sites)]
    frames = dict(park.frames)
    frames["actors"] = park.actors.loc[list(actors)]
    frames["sites"] = park.sites.loc[sites]
    frames["streams"] = park.streams.loc[streams]
    if "exchanges" in frames:
        ex = frames["exchanges"]
        frames["exchanges"] = ex[ex["supply"].isin(streams) & ex["demand"].isin(streams)]
    if "technologies" in frames:
        tech = frames["technologies"]
        frames["technologies"] = tech[tech["site"].isin(sites)]
    return replace(park, frames=frames, _empty={})


def build_network(
    park: Park,
    time: str = "annual",
    *,
    mode: str = "invest",
    greenfield: bool = False,
    candidates: bool = True,
    exclude: Sequence[str] = (),
    baseline: bool = False,
) -> Network:
    """The network of a park for one time resolution.

    ``mode="operate"`` keeps only operating exchanges and existing technologies;
    ``baseline`` keeps no arcs and no technologies at all (every demand from its source,
    every supply to its fate); ``exclude`` drops arcs by id.
    """
    if mode not in MODES:
        raise invalid("mode", f"must be {' or '.join(MODES)}, not {mode!r}")
    check_magnitudes(park)
    nodes = _stream_nodes(park)
    techs, hubs = _technologies(park)
    if mode == "operate" or baseline:
        techs = techs[techs["existing"].astype(bool)] if not baseline else techs.iloc[:0]
        used = set(techs[list(PORTS)].stack().dropna())
        hubs = hubs[hubs.index.isin(used)]
    arcs = _empty_arcs() if baseline else _arcs(park, nodes, hubs, mode, greenfield, candidates)
    unknown = [e for e in exclude if e not in arcs.index and e not in park.exchanges.index]
    if unknown:
        raise invalid("exclude_exchanges", f"unknown exchange {', '.join(map(repr, unknown))}")
    arcs = arcs.drop(index=[e for e in exclude if e in arcs.index])
    periods = build_periods(park.profiles, sorted(set(nodes["profile"])), time)
    shares = periods.shares[nodes["profile"]].to_numpy().T
    quantity = pd.DataFrame(
        nodes["annual"].to_numpy()[:, None] * shares, index=nodes.index, columns=periods.index
    )
    resources = _resource_frame(park.catalogue, list(nodes["resource"]) + list(hubs["resource"]))
    hubs = hubs.assign(
        unit_cost=resources.loc[hubs["resource"], "price"].to_numpy(dtype=float),
        unit_co2e=resources.loc[hubs["resource"], "co2e"].to_numpy(dtype=float),
        fresh_in=resources.loc[hubs["resource"], "fresh"].to_numpy(dtype=float),
    )
    # a hub buys on the market only what a technology takes in, and only at a known price
    inputs = set(techs[["in0", "in2"]].stack().dropna())
    hubs["has_route"] = hubs["unit_cost"].notna() & hubs.index.isin(list(inputs))
    hubs["unit_cost"] = hubs["unit_cost"].fillna(0.0)
    all_nodes = pd.concat([nodes, hubs])
    all_nodes["resource_class"] = resources.loc[all_nodes["resource"], "resource_class"].to_numpy()
    for column in ("fresh_out", "fresh_in", "disposal", "annual"):
        all_nodes[column] = all_nodes[column].fillna(0.0)
    all_nodes["has_route"] = all_nodes["has_route"].astype(bool)
    all_nodes["actor"] = all_nodes["site"].map(park.sites["actor"])
    limits, concentration = _contaminants(park, all_nodes)
    quantity = quantity.reindex(all_nodes.index, fill_value=0.0)
    constant = float(arcs["existing_cost"].sum() + techs["existing_cost"].sum())
    _check_model_numbers({"nodes": all_nodes, "arcs": arcs, "techs": techs})
    return Network(
        periods=periods,
        nodes=all_nodes,
        arcs=arcs,
        techs=techs,
        quantity=quantity,
        limits=limits,
        concentration=concentration,
        co2_price=convert(float(park.meta.get("co2_price") or 0.0), park.currency, "EUR"),
        constant_cost=constant,
    )


def _check_model_numbers(tables: dict[str, pd.DataFrame]) -> None:
    """Raise for a number of the model beyond what the optimiser takes (from catalogue
    prices, units or transport defaults), naming the stream, arc or technology."""
    problems = [
        Problem(
            "design",
            None,
            None,
            f"{row}: {label} of {value:g} is too large for the optimiser (at most {LARGEST:g}); "
            "check its amounts, prices and units",
        )
        for table, labels in MODEL_NUMBERS.items()
        for column, label in labels.items()
        for row, value in beyond(tables[table][column]).items()
    ]
    if problems:
        raise SymbionetError(problems)


def _contaminants(park: Park, nodes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Limits of demands and concentrations of supplies, one column per contaminant (ppm).

    A supply or hub whose concentration is not stated carries the resource's typical
    value, else none.
    """
    streams = park.streams
    columns = [c for c in streams.columns if c.startswith("ppm_") and streams[c].notna().any()]
    demands = nodes.index[nodes["kind"] == "demand"]
    limits = streams.reindex(demands)[columns].rename(columns=lambda c: c[4:])
    limits = limits.dropna(how="all")
    typical = pd.DataFrame(
        {
            c: [park.catalogue.resources[r].typical.get(c, np.nan) for r in nodes["resource"]]
            for c in columns
        },
        index=nodes.index,
    )
    stated = streams.reindex(nodes.index)[columns]
    concentration = stated.fillna(typical).fillna(0.0).rename(columns=lambda c: c[4:])
    return limits, concentration
