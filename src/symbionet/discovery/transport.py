"""Transport modes, treatment and matching defaults, and the choice of mode for a candidate.

The defaults ship as ``symbionet/data/transport.yaml``; a park overrides any part of it
with a ``transport`` mapping of the same shape in its ``park.yaml``. Every number names a
reference, like the catalogue's.

Routes: a road or pipe route is the straight line times a detour (circuity) factor, the
road's by country; a sea route runs between two ports over the shipping lanes of the
``searoute`` package (each pair of ports computed once), with a truck leg at either end
for a site that is not at a port; rail runs between two sites with a siding.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from importlib.resources import files
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from scipy.spatial import cKDTree

from symbionet.errors import Problem, SymbionetError
from symbionet.register.baseline import canonical_per, per_unit
from symbionet.register.catalogue import Catalogue, Factor, Reference, Resource
from symbionet.units import UnitProblem, annuity, convert

DEFAULTS_FILE = "transport.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Matching(_Strict):
    """Quality and timing rules of matching, and the CO2 price used for ranking."""

    heat_approach: Factor
    cooling_approach: Factor
    reference_co2_price: Factor
    storable_classes: tuple[str, ...] = ()
    storable_groups: tuple[str, ...] = ()


class Mode(_Strict):
    """A way to move a resource, with the resources it carries and its cost model.

    ``needs_port``: a ship, between two ports, reached by its ``access`` truck mode from
    a site within ``access_km`` of a cargo terminal; ``needs_rail``: both sites have a
    siding; ``payload``: the unit a truck, rail or ship mode's factors are per (t, m3).
    """

    kind: Literal["truck", "ship", "rail", "pipeline", "grid"]
    description: str = ""
    classes: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    max_km: Factor
    min_km: Factor | None = None
    circuity: Factor | None = None
    needs_port: bool = False
    needs_rail: bool = False
    payload: Literal["t", "m3"] = "t"
    access: str | None = None
    access_km: Factor | None = None
    cost_per_tkm: Factor | None = None
    handling_per_t: Factor | None = None
    emission_per_tkm: Factor | None = None
    flow_unit: str | None = None
    capex_per_km: Factor | None = None
    reference_flow: Factor | None = None
    scale_exponent: Factor | None = None
    min_capex_per_km: Factor | None = None
    lifetime: Factor | None = None
    opex_share: Factor | None = None
    pumping_per_km: Factor | None = None
    loss_per_km: Factor | None = None
    cost_per_unit: Factor | None = None

    @model_validator(mode="after")
    def _complete(self) -> Mode:
        needed = {
            "truck": ("cost_per_tkm", "emission_per_tkm"),
            "ship": ("cost_per_tkm", "emission_per_tkm"),
            "rail": ("cost_per_tkm", "emission_per_tkm"),
            "pipeline": ("flow_unit", "capex_per_km", "reference_flow", "lifetime"),
            "grid": ("cost_per_unit",),
        }[self.kind]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} mode needs {', '.join(missing)}")
        return self

    def carries(self, resource: Resource) -> bool:
        return (
            resource.resource_class in self.classes
            or resource.group in self.groups
            or resource.id in self.resources
        )


class Treatment(_Strict):
    """What a supply needs before it can replace a resource: cost and emission per unit."""

    supply: str
    demand: str
    cost: Factor
    emission_factor: Factor | None = None


class Defaults(_Strict):
    """The discovery defaults: references, matching rules, modes and treatments."""

    version: str
    description: str = ""
    references: dict[str, Reference]
    matching: Matching
    road_circuity: dict[str, Factor] = {}
    modes: dict[str, Mode]
    treatment: dict[str, Treatment] = {}

    def factors(self) -> list[tuple[str, Factor]]:
        """Every sourced number, with where it sits in the file."""
        found = [(f"matching.{k}", v) for k, v in self.matching if isinstance(v, Factor)]
        found += [(f"road_circuity.{k}", v) for k, v in self.road_circuity.items()]
        for name, mode in self.modes.items():
            found += [(f"modes.{name}.{k}", v) for k, v in mode if isinstance(v, Factor)]
        for name, step in self.treatment.items():
            found += [(f"treatment.{name}.{k}", v) for k, v in step if isinstance(v, Factor)]
        return found


# Units every factor converts to; {flow} is a pipeline's flow unit.
_TARGETS = {
    "heat_approach": "K",
    "cooling_approach": "K",
    "reference_co2_price": "EUR/t",
    "max_km": "km",
    "min_km": "km",
    "circuity": "1",
    "access_km": "km",
    "cost_per_tkm": "EUR/{payload}/km",
    "handling_per_t": "EUR/{payload}",
    "emission_per_tkm": "t/{payload}/km",
    "capex_per_km": "EUR/km",
    "reference_flow": "{flow}/yr",
    "scale_exponent": "1",
    "min_capex_per_km": "EUR/km",
    "lifetime": "yr",
    "opex_share": "1/yr",
    "pumping_per_km": "MWh/({flow})/km",
    "loss_per_km": "1/km",
    "cost_per_unit": "EUR/MWh",
}


def _problems(defaults: Defaults, catalogue: Catalogue, file: str) -> list[Problem]:
    """Unknown references and resources, factors in units that do not fit, and an access
    mode that is not a truck."""
    found = []
    for name, each in defaults.modes.items():
        access = defaults.modes.get(each.access or "")
        if each.access is not None and (access is None or access.kind != "truck"):
            message = f"{each.access!r} is not a truck mode"
            found.append(Problem(file, None, f"modes.{name}.access", message))
    for where, factor in defaults.factors():
        if factor.ref not in defaults.references:
            found.append(Problem(file, None, where, f"unknown reference {factor.ref!r}"))
        field = where.rsplit(".", 1)[1]
        if where.startswith("road_circuity."):
            field = "circuity"
        if field in _TARGETS:
            mode = defaults.modes.get(where.split(".")[1]) if where.startswith("modes.") else None
            target = _TARGETS[field].format(
                flow=mode.flow_unit if mode else "", payload=mode.payload if mode else ""
            )
            try:
                convert(factor.value, factor.unit, target)
            except UnitProblem as error:
                found.append(Problem(file, None, where, str(error)))
    for name, step in defaults.treatment.items():
        for side in ("supply", "demand"):
            if getattr(step, side) not in catalogue.resources:
                found.append(Problem(file, None, f"treatment.{name}.{side}", "unknown resource"))
        for field, numerator in (("cost", "EUR"), ("emission_factor", "t")):
            factor = getattr(step, field)
            if factor is not None and step.supply in catalogue.resources:
                try:
                    per_unit(factor, catalogue.resources[step.supply], numerator)
                except UnitProblem as error:
                    found.append(Problem(file, None, f"treatment.{name}.{field}", str(error)))
    return found


@cache
def _shipped() -> dict[str, Any]:
    text = (files("symbionet") / "data" / DEFAULTS_FILE).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def _merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``update`` laid over it, mappings merged key by key."""
    merged = dict(base)
    for key, entry in update.items():
        if isinstance(entry, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], entry)
        else:
            merged[key] = entry
    return merged


def load_defaults(catalogue: Catalogue, override: Any = None) -> Defaults:
    """The shipped defaults, with a park's ``transport`` mapping laid over them."""
    file = "park.yaml" if override else DEFAULTS_FILE
    prefix = "transport." if override else ""
    if override is not None and not isinstance(override, Mapping):
        raise SymbionetError([Problem(file, None, "transport", "must be a mapping")])
    data = _merge(_shipped(), override or {})
    try:
        defaults = Defaults.model_validate(data)
    except ValidationError as error:
        raise SymbionetError(
            [
                Problem(file, None, prefix + ".".join(str(p) for p in e["loc"]), e["msg"])
                for e in error.errors()
            ]
        ) from None
    problems = _problems(defaults, catalogue, file)
    if problems:
        raise SymbionetError(
            [Problem(p.file, p.row, prefix + (p.column or ""), p.message) for p in problems]
        )
    return defaults


def value(factor: Factor | None, unit: str, default: float = 0.0) -> float:
    """A factor's value in ``unit``, or ``default`` when the factor is absent."""
    return default if factor is None else convert(factor.value, factor.unit, unit)


def _mode_units(unit: str, resource: Resource) -> float:
    """Units of a mode (t, m3, MWh) per canonical unit of ``resource``; NaN if none fit."""
    try:
        return 1.0 / canonical_per(unit, resource)
    except UnitProblem:
        return float("nan")


@cache
def ports() -> pd.DataFrame:
    """The ports that ``searoute`` ships (UN/LOCODE): name, code, lat, lon, and whether it
    is a cargo terminal (``t`` = 1 in its data)."""
    text = (files("searoute") / "data" / "ports.geojson").read_text(encoding="utf-8")
    found = [(f["properties"], f["geometry"]["coordinates"]) for f in json.loads(text)["features"]]
    return pd.DataFrame(
        {
            "name": [data["name"] for data, _ in found],
            "code": [data["port"] for data, _ in found],
            "lat": [float(lat) for _, (_, lat) in found],
            "lon": [float(lon) for _, (lon, _) in found],
            "terminal": [data.get("t") == 1 for data, _ in found],
        }
    )


@cache
def _port_trees() -> tuple[cKDTree, cKDTree, np.ndarray]:
    """Spatial indexes of every port and of the cargo terminals (with their positions)."""
    from symbionet.discovery.candidates import unit_vectors

    table = ports()
    xyz = unit_vectors(table["lat"].to_numpy(), table["lon"].to_numpy())
    terminals = np.flatnonzero(table["terminal"].to_numpy())
    return cKDTree(xyz), cKDTree(xyz[terminals]), terminals


@cache
def _searoute_km(a: int, b: int) -> float:
    """Length (km) of the sea route between ports ``a`` and ``b``; inf where none is found."""
    from searoute import searoute

    table = ports()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # searoute warns where it finds no route
        found = searoute(
            [table.at[a, "lon"], table.at[a, "lat"]],
            [table.at[b, "lon"], table.at[b, "lat"]],
            units="km",
        )
    return float(found["properties"]["length"]) if found["geometry"]["coordinates"] else np.inf


def sea_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sea route lengths (km) between ports ``a`` and ``b`` (positions in :func:`ports`),
    each pair of ports computed once and kept for later calls."""
    if not len(a):
        return np.zeros(0)
    ends = np.column_stack([np.minimum(a, b), np.maximum(a, b)])
    pairs, back = np.unique(ends, axis=0, return_inverse=True)
    lengths = np.array([_searoute_km(x, y) if x != y else 0.0 for x, y in pairs.tolist()])
    return lengths[back.ravel()]


@dataclass(frozen=True)
class Places:
    """Where streams are: a rail siding, and the port each would ship from: the nearest
    port for a site at a port (``access_km`` 0), else the nearest cargo terminal and the
    straight-line km to it."""

    rail: np.ndarray
    port: np.ndarray
    access_km: np.ndarray

    def take(self, rows: np.ndarray) -> Places:
        return Places(*(getattr(self, f.name)[rows] for f in fields(self)))


def places(lat: np.ndarray, lon: np.ndarray, at_port: np.ndarray, rail: np.ndarray) -> Places:
    """The :class:`Places` of sites at ``lat``, ``lon`` (degrees)."""
    from symbionet.discovery.candidates import EARTH_RADIUS_KM, unit_vectors

    every, terminal_tree, terminals = _port_trees()
    xyz = unit_vectors(lat, lon).reshape(-1, 3)
    port = every.query(xyz)[1]
    chord, nearest = terminal_tree.query(xyz)
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord, 2.0) / 2)
    return Places(
        np.asarray(rail, dtype=bool),
        np.where(at_port, port, terminals[nearest]).astype(np.int64),
        np.where(at_port, 0.0, km),
    )


@dataclass(frozen=True)
class Legs:
    """The chosen transport of each candidate: mode, yearly cost and CO2e, share delivered,
    the route's length (km) and the route in words."""

    kind: np.ndarray
    mode: np.ndarray
    cost: np.ndarray
    co2e: np.ndarray
    delivered: np.ndarray
    route_km: np.ndarray
    route: np.ndarray


def _km_text(km: np.ndarray) -> np.ndarray:
    """Distances as text: whole km from 10 km, one decimal below."""
    rounded = np.where(km >= 10, np.round(km), np.round(km, 1))
    return pd.Series(rounded).map("{:g} km".format).to_numpy(dtype=object)


class Transport:
    """The modes as arrays over the catalogue's resources, for vectorised mode choice."""

    def __init__(
        self,
        defaults: Defaults,
        catalogue: Catalogue,
        discount_rate: float,
        electricity_eur_per_mwh: float,
        electricity_t_per_mwh: float,
        country: str | None = None,
    ):
        self.names = list(defaults.modes)
        self.modes = [defaults.modes[name] for name in self.names]
        self.resources = list(catalogue.resources)
        entries = [catalogue.resources[r] for r in self.resources]
        shape = (len(self.modes), len(entries))
        self.units = np.full(shape, np.nan)
        for m, mode in enumerate(self.modes):
            unit = {"grid": "MWh", "pipeline": mode.flow_unit}.get(mode.kind, mode.payload)
            for r, entry in enumerate(entries):
                if mode.carries(entry):
                    self.units[m, r] = _mode_units(str(unit), entry)
        self.max_km = np.array([value(m.max_km, "km") for m in self.modes])
        self.min_km = np.array([value(m.min_km, "km") for m in self.modes])
        road = defaults.road_circuity.get(country or "")
        self.circuity = np.array(
            [
                value(road if road and m.kind == "truck" else m.circuity, "1", 1.0)
                for m in self.modes
            ]
        )
        self.access_km = np.array([value(m.access_km, "km") for m in self.modes])
        self.access = [self.names.index(m.access) if m.access else -1 for m in self.modes]
        self.discount_rate = discount_rate
        self.electricity = (electricity_eur_per_mwh, electricity_t_per_mwh)

    def code(self, resources: np.ndarray) -> np.ndarray:
        """Positions of resource ids in the catalogue's order."""
        order = {r: i for i, r in enumerate(self.resources)}
        return np.array([order[r] for r in resources], dtype=np.int64)

    def reach_km(self, resource: str) -> float:
        """Farthest straight-line distance any mode carries ``resource`` (0: on site only)."""
        carried = np.isfinite(self.units[:, self.resources.index(resource)])
        return float(self.max_km[carried].max()) if carried.any() else 0.0

    def _allowed(
        self, m: int, codes: np.ndarray, km: np.ndarray, same_site: np.ndarray, s: Places, d: Places
    ) -> np.ndarray:
        mode = self.modes[m]
        allowed = np.isfinite(self.units[m, codes]) & (km <= self.max_km[m]) & ~same_site
        allowed &= km >= self.min_km[m]
        if mode.needs_rail:
            allowed &= s.rail & d.rail
        if mode.needs_port:
            reach = self.access_km[m]
            allowed &= (s.access_km <= reach) & (d.access_km <= reach) & (s.port != d.port)
            a = self.access[m]
            if a >= 0:  # the road mode must carry it wherever a site is not at its port
                carried = np.isfinite(self.units[a, codes])
                allowed &= carried | ((s.access_km == 0) & (d.access_km == 0))
            rows = np.flatnonzero(allowed)
            allowed[rows] = np.isfinite(sea_km(s.port[rows], d.port[rows]))
        return allowed

    def possible(
        self, codes: np.ndarray, km: np.ndarray, same_site: np.ndarray, s: Places, d: Places
    ) -> np.ndarray:
        """Whether some mode (or the site itself) can carry each candidate."""
        found = same_site.copy()
        for m in range(len(self.modes)):
            found |= self._allowed(m, codes, km, same_site, s, d)
        return found

    def _moved(
        self, m: int, amount: np.ndarray, codes: np.ndarray, km: np.ndarray, legs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Cost (EUR) and CO2e (t) of moving ``amount`` ``km`` by truck, rail or ship ``m``,
        with its handling, where ``legs`` (elsewhere nothing)."""
        mode, unit = self.modes[m], self.modes[m].payload
        moved = np.where(legs, amount * self.units[m, codes], 0.0)
        per = value(mode.handling_per_t, f"EUR/{unit}") + value(
            mode.cost_per_tkm, f"EUR/{unit}/km"
        ) * np.where(legs, km, 0.0)
        return moved * per, moved * value(mode.emission_per_tkm, f"t/{unit}/km") * km

    def _leg(
        self, m: int, amount: np.ndarray, codes: np.ndarray, km: np.ndarray, s: Places, d: Places
    ) -> tuple[np.ndarray, ...]:
        """Yearly cost (EUR), CO2e (t), share delivered and route km of mode ``m``, and the
        sea and road km of a sea route (0 for other modes)."""
        mode = self.modes[m]
        ones, zeros = np.ones_like(amount), np.zeros_like(amount)
        route_km = km * self.circuity[m]
        if mode.kind == "ship":
            sea = sea_km(s.port, d.port)
            a = self.access[m]
            road = self.circuity[a] if a >= 0 else 1.0
            first, last = s.access_km * road, d.access_km * road
            cost, co2e = self._moved(m, amount, codes, sea, ones > 0)
            for leg in (first, last):
                if a >= 0 and leg.any():
                    leg_cost, leg_co2e = self._moved(a, amount, codes, leg, leg > 0)
                    cost, co2e = cost + leg_cost, co2e + leg_co2e
            return cost, co2e, ones, first + sea + last, sea, first, last
        if mode.kind in {"truck", "rail"}:
            cost, co2e = self._moved(m, amount, codes, route_km, ones > 0)
            return cost, co2e, ones, route_km, zeros, zeros, zeros
        if mode.kind == "grid":
            cost = amount * self.units[m, codes] * value(mode.cost_per_unit, "EUR/MWh")
            return cost, zeros, ones, route_km, zeros, zeros, zeros
        moved = amount * self.units[m, codes]
        flow = f"{mode.flow_unit}"
        reference = value(mode.reference_flow, f"{flow}/yr")
        scale = (moved / reference) ** value(mode.scale_exponent, "1", 1.0)
        per_km = np.maximum(
            value(mode.capex_per_km, "EUR/km") * scale, value(mode.min_capex_per_km, "EUR/km")
        )
        yearly = annuity(self.discount_rate, value(mode.lifetime, "yr")) + value(
            mode.opex_share, "1/yr"
        )
        pumping = moved * value(mode.pumping_per_km, f"MWh/({flow})/km") * route_km
        price, co2 = self.electricity
        cost = per_km * route_km * yearly + pumping * price
        delivered = np.clip(1.0 - value(mode.loss_per_km, "1/km") * route_km, 0.0, 1.0)
        return cost, pumping * co2, delivered, route_km, zeros, zeros, zeros

    def choose(
        self,
        codes: np.ndarray,
        km: np.ndarray,
        same_site: np.ndarray,
        s: Places,
        d: Places,
        amount: np.ndarray,
        worth: np.ndarray,
        co2_price: float,
    ) -> Legs:
        """The mode of each candidate that keeps most of its worth.

        ``worth`` is what one delivered unit is worth (EUR, CO2e at ``co2_price``); a mode
        loses what it does not deliver, its cost and its CO2e at ``co2_price``.
        """
        n = len(amount)
        chosen = np.full(n, -1)
        kept_best = np.where(same_site, amount * worth, -np.inf)
        legs = np.zeros((7, n))
        legs[2] = 1.0
        for m in range(len(self.modes)):
            allowed = self._allowed(m, codes, km, same_site, s, d)
            if not allowed.any():
                continue
            rows = np.flatnonzero(allowed)
            leg = np.stack(
                self._leg(m, amount[rows], codes[rows], km[rows], s.take(rows), d.take(rows))
            )
            kept = amount[rows] * leg[2] * worth[rows] - leg[0] - co2_price * leg[1]
            better = kept > kept_best[rows]
            rows = rows[better]
            kept_best[rows], chosen[rows], legs[:, rows] = kept[better], m, leg[:, better]
        names = np.array([*self.names, "onsite"], dtype=object)
        kinds = np.array([m.kind for m in self.modes] + ["onsite"], dtype=object)
        route = self._words(chosen, legs, s, d)
        return Legs(kinds[chosen], names[chosen], legs[0], legs[1], legs[2], legs[3], route)

    def _words(self, chosen: np.ndarray, legs: np.ndarray, s: Places, d: Places) -> np.ndarray:
        """Each route in words: ``water_pipe 1.2 km``; ``truck 12 km, Kalundborg port, ship
        633 km, Esbjerg port, truck 4 km``; ``on site``."""
        names = np.array([*self.names, "on site"], dtype=object)
        route = names[chosen]
        moving = chosen >= 0
        route[moving] = route[moving] + " " + _km_text(legs[3][moving])
        by_sea = [m for m, mode in enumerate(self.modes) if mode.kind == "ship"]
        ship = np.flatnonzero(np.isin(chosen, by_sea))
        if len(ship):
            port = ports()["name"].to_numpy(dtype=object) + " port"
            access = names[np.maximum(np.array(self.access)[chosen[ship]], 0)]
            first, last = legs[5][ship], legs[6][ship]
            lead = np.where(first > 0, access + " " + _km_text(first) + ", ", "")
            tail = np.where(last > 0, ", " + access + " " + _km_text(last), "")
            sea = names[chosen[ship]] + " " + _km_text(legs[4][ship])
            route[ship] = lead + port[s.port[ship]] + ", " + sea + ", " + port[d.port[ship]] + tail
        return route


__all__ = [
    "Defaults",
    "Legs",
    "Matching",
    "Mode",
    "Places",
    "Transport",
    "Treatment",
    "load_defaults",
    "places",
    "ports",
    "sea_km",
    "value",
]
