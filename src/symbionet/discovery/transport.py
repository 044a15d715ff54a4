"""Transport modes, treatment and matching defaults, and the choice of mode for a candidate.

The defaults ship as ``symbionet/data/transport.yaml``; a park overrides any part of it
with a ``transport`` mapping of the same shape in its ``park.yaml``. Every number names a
reference, like the catalogue's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

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
    """A way to move a resource, with the resources it carries and its cost model."""

    kind: Literal["truck", "ship", "pipeline", "grid"]
    description: str = ""
    classes: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    max_km: Factor
    min_km: Factor | None = None
    circuity: Factor | None = None
    needs_port: bool = False
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
    modes: dict[str, Mode]
    treatment: dict[str, Treatment] = {}

    def factors(self) -> list[tuple[str, Factor]]:
        """Every sourced number, with where it sits in the file."""
        found = [(f"matching.{k}", v) for k, v in self.matching if isinstance(v, Factor)]
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
    "cost_per_tkm": "EUR/t/km",
    "handling_per_t": "EUR/t",
    "emission_per_tkm": "t/t/km",
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
    """Unknown references and resources, and factors in units that do not fit."""
    found = []
    for where, factor in defaults.factors():
        if factor.ref not in defaults.references:
            found.append(Problem(file, None, where, f"unknown reference {factor.ref!r}"))
        field = where.rsplit(".", 1)[1]
        if field in _TARGETS:
            mode = defaults.modes.get(where.split(".")[1]) if where.startswith("modes.") else None
            target = _TARGETS[field].format(flow=mode.flow_unit if mode else "")
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


@dataclass(frozen=True)
class Legs:
    """The chosen transport of each candidate: mode, yearly cost and CO2e, share delivered."""

    kind: np.ndarray
    mode: np.ndarray
    cost: np.ndarray
    co2e: np.ndarray
    delivered: np.ndarray


class Transport:
    """The modes as arrays over the catalogue's resources, for vectorised mode choice."""

    def __init__(
        self,
        defaults: Defaults,
        catalogue: Catalogue,
        discount_rate: float,
        electricity_eur_per_mwh: float,
        electricity_t_per_mwh: float,
    ):
        self.names = list(defaults.modes)
        self.modes = [defaults.modes[name] for name in self.names]
        self.resources = list(catalogue.resources)
        entries = [catalogue.resources[r] for r in self.resources]
        shape = (len(self.modes), len(entries))
        self.units = np.full(shape, np.nan)
        for m, mode in enumerate(self.modes):
            unit = {"truck": "t", "ship": "t", "grid": "MWh"}.get(mode.kind, mode.flow_unit)
            for r, entry in enumerate(entries):
                if mode.carries(entry):
                    self.units[m, r] = _mode_units(str(unit), entry)
        self.max_km = np.array([value(m.max_km, "km") for m in self.modes])
        self.min_km = np.array([value(m.min_km, "km") for m in self.modes])
        self.circuity = np.array([value(m.circuity, "1", 1.0) for m in self.modes])
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
        self, m: int, codes: np.ndarray, km: np.ndarray, same_site: np.ndarray, ports: np.ndarray
    ) -> np.ndarray:
        allowed = np.isfinite(self.units[m, codes]) & (km <= self.max_km[m]) & ~same_site
        allowed &= km >= self.min_km[m]
        return allowed & ports if self.modes[m].needs_port else allowed

    def possible(
        self, codes: np.ndarray, km: np.ndarray, same_site: np.ndarray, ports: np.ndarray
    ) -> np.ndarray:
        """Whether some mode (or the site itself) can carry each candidate."""
        found = same_site.copy()
        for m in range(len(self.modes)):
            found |= self._allowed(m, codes, km, same_site, ports)
        return found

    def _leg(self, m: int, amount: np.ndarray, codes: np.ndarray, km: np.ndarray) -> tuple:
        """Yearly cost (EUR), CO2e (t) and share delivered of moving ``amount`` by mode ``m``."""
        mode = self.modes[m]
        moved = amount * self.units[m, codes]
        route_km = km * self.circuity[m]
        if mode.kind in {"truck", "ship"}:
            per_t = (
                value(mode.handling_per_t, "EUR/t")
                + value(mode.cost_per_tkm, "EUR/t/km") * route_km
            )
            co2e = moved * value(mode.emission_per_tkm, "t/t/km") * route_km
            return moved * per_t, co2e, np.ones_like(amount)
        if mode.kind == "grid":
            cost = moved * value(mode.cost_per_unit, "EUR/MWh")
            return cost, np.zeros_like(amount), np.ones_like(amount)
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
        return cost, pumping * co2, delivered

    def choose(
        self,
        codes: np.ndarray,
        km: np.ndarray,
        same_site: np.ndarray,
        ports: np.ndarray,
        amount: np.ndarray,
        worth: np.ndarray,
        co2_price: float,
    ) -> Legs:
        """The mode of each candidate that keeps most of its worth.

        ``worth`` is what one delivered unit is worth (EUR, CO2e at ``co2_price``); a mode
        loses what it does not deliver, its cost and its CO2e at ``co2_price``.
        """
        n = len(amount)
        kind = np.full(n, "onsite", dtype=object)
        mode = np.full(n, "onsite", dtype=object)
        cost, co2e, delivered = np.zeros(n), np.zeros(n), np.ones(n)
        best = np.where(same_site, amount * worth, -np.inf)
        for m, name in enumerate(self.names):
            allowed = self._allowed(m, codes, km, same_site, ports)
            if not allowed.any():
                continue
            leg_cost, leg_co2e, leg_share = self._leg(
                m, amount[allowed], codes[allowed], km[allowed]
            )
            kept = amount[allowed] * leg_share * worth[allowed] - leg_cost - co2_price * leg_co2e
            better = kept > best[allowed]
            rows = np.flatnonzero(allowed)[better]
            best[rows] = kept[better]
            kind[rows], mode[rows] = self.modes[m].kind, name
            cost[rows], co2e[rows], delivered[rows] = (
                leg_cost[better],
                leg_co2e[better],
                leg_share[better],
            )
        return Legs(kind, mode, cost, co2e, delivered)


__all__ = [
    "Defaults",
    "Legs",
    "Matching",
    "Mode",
    "Transport",
    "Treatment",
    "load_defaults",
    "value",
]
