"""The no-symbiosis baseline of each stream: what a surplus does and how a demand is met today.

Every stream gets a cost (EUR) and an emission (t CO2e) per canonical unit of its
resource, from its ``fate`` (supplies) or ``source`` (demands) route in the catalogue, or
the resource's own price and emission factor when the route names none; a stream's own
``price`` overrides the cost. A supply that states no fate takes the default fate of its
resource (see :func:`default_fate`). ``basis`` says where each number came from.

The cost and CO2e of a supply are what the supplier avoids when the exchange takes it
instead of its fate: a disposal's gate fee and emissions are avoided; a sale is lost, and
the market makes up for it (the buyer buys what it would buy instead); a supply made only
for the exchange (``made`` routes: a heat pump, a wood-chip boiler) costs what making it
takes, so both figures are negative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from symbionet.register.catalogue import Catalogue, Factor, Resource, Route
from symbionet.register.park import Park
from symbionet.units import annual_factor, convert

#: Fates that dispose of a surplus: an exchange that takes it diverts it from disposal.
DISPOSAL = frozenset(
    {
        "landfill",
        "incineration",
        "hazardous_treatment",
        "discharge",
        "sea_discharge",
        "flare",
        "cooling",
        "land_spreading",
    }
)
#: Fates that sell a surplus outside the park: without the exchange it still finds a buyer.
SALES = frozenset({"sold", "recycling_market"})
#: A fate an exchange carries out rather than avoids: a supply spread on land that goes to
#: a demand for fertiliser is still spread on land.
FATE_KEPT_FOR = {"land_spreading": frozenset({"fertiliser"})}
#: Default fate of an unpriced supply that states none, by resource group, then by class.
DEFAULT_FATE_BY_GROUP = {
    "fuel gas": "flare",
    "waste fuel": "incineration",
    "solid biofuel": "sold",
    "cooling water": "sea_discharge",
    "effluent": "sea_discharge",
    "stormwater": "sea_discharge",
    "saline": "sea_discharge",
}
DEFAULT_FATE_BY_CLASS = {"water": "discharge", "energy": "cooling", "material": "landfill"}
#: Default source of a demand that states none, by resource group (else bought on the market).
DEFAULT_SOURCE_BY_GROUP = {"wastewater": "treatment_plant"}
#: Water groups drawn from fresh water bodies (directly or treated).
FRESHWATER_GROUPS = frozenset({"freshwater", "potable", "treated water"})


def is_freshwater(resource: Resource) -> bool:
    """Water taken from lakes, rivers or aquifers, raw or treated."""
    return resource.resource_class == "water" and resource.group in FRESHWATER_GROUPS


def draws_freshwater(catalogue: Catalogue, resource: str, route: str | None) -> bool:
    """Whether a demand for ``resource`` met by ``route`` takes fresh water."""
    source = catalogue.routes.get(route or "")
    via = catalogue.resources.get(source.resource or "") if source else None
    return is_freshwater(catalogue.resources[resource]) or (via is not None and is_freshwater(via))


def is_primary_material(resource: Resource) -> bool:
    """A material produced for use, with a production footprint in the catalogue (residues
    have none): replacing it avoids virgin material."""
    return resource.resource_class == "material" and resource.emission_factor is not None


def fate_kept(fates: np.ndarray, demand_groups: np.ndarray) -> np.ndarray:
    """Where an exchange to a demand of ``demand_groups`` carries out the supply's fate
    instead of avoiding it (digestate spread on land as fertiliser): that fate is not
    credited."""
    kept = np.zeros(len(fates), dtype=bool)
    for fate, groups in FATE_KEPT_FOR.items():
        kept |= (np.asarray(fates, dtype=object) == fate) & np.isin(
            np.asarray(demand_groups, dtype=object), list(groups)
        )
    return kept


def canonical_per(unit: str, resource: Resource) -> float:
    """How many canonical units of ``resource`` one ``unit`` is (through density or energy)."""
    return annual_factor(
        unit,
        resource.unit,
        resource.density_t_per_m3,
        resource.energy_mwh_per_unit,
        resource.energy_mwh_per_m3,
    )


def per_unit(factor: Factor, resource: Resource, numerator: str) -> float:
    """A factor such as 64 EUR/MWh or 0.227 t/MWh, in ``numerator`` per canonical unit of
    ``resource``."""
    amount = factor.unit.partition("/")[2].strip() or resource.unit
    in_amount = convert(factor.value, factor.unit, f"{numerator} / ({amount})")
    return in_amount / canonical_per(amount, resource)


def default_fate(catalogue: Catalogue, resource: str) -> str:
    """The fate of a supply that states none: wastewater is discharged (at its catalogue
    tariff), a resource with its own catalogue price is sold, an unpriced fuel gas flared,
    waste fuel incinerated, solid biofuel sold, clean or treated water let out to sea, any
    other surplus disposed of as its class usually is (water to the sewer, heat dumped,
    materials landfilled)."""
    entry = catalogue.resources[resource]
    if entry.group == "wastewater":
        return "discharge"
    if entry.price is not None:
        return "sold"
    return DEFAULT_FATE_BY_GROUP.get(entry.group) or DEFAULT_FATE_BY_CLASS[entry.resource_class]


def market_replacement(catalogue: Catalogue, resource: str) -> tuple[float, float, str]:
    """(EUR, t CO2e, basis) per canonical unit of what a buyer of ``resource`` gets instead
    when it no longer gets it: the resource itself when the catalogue prices it and gives its
    footprint (a commodity), else the first substitute with a price, in the substitution
    ratio (biomethane's buyer takes natural gas, scrap's user virgin steel). The resource's
    own price, where it has one, is the sale lost."""
    entry = catalogue.resources[resource]
    own_price = catalogue.price_eur(resource)
    if entry.price is not None and entry.emission_factor is not None:
        co2e = catalogue.emission_t(resource) or 0.0
        return own_price or 0.0, co2e, f"sale lost: {resource} ({entry.price.ref})"
    sub = next((s for s in entry.substitutes if catalogue.resources[s.resource].price), None)
    if sub is None:
        price = own_price or 0.0
        ref = f" ({entry.price.ref})" if entry.price else ": no price on record"
        return price, catalogue.emission_t(resource) or 0.0, f"sale lost: {resource}{ref}"
    price = (
        own_price
        if own_price is not None
        else sub.ratio * (catalogue.price_eur(sub.resource) or 0.0)
    )
    co2e = sub.ratio * (catalogue.emission_t(sub.resource) or 0.0)
    return (
        price,
        co2e,
        f"sale lost: its buyer takes {sub.ratio:g} {sub.resource} instead ({sub.ref})",
    )


def made_factors(catalogue: Catalogue, route: Route, resource: str) -> tuple[float, float, str]:
    """(EUR, t CO2e, basis) per canonical unit of ``resource`` that a ``made`` route spends:
    its input resource's price and emission factor per MWh, over its efficiency."""
    out = catalogue.resources[resource]
    fuel = catalogue.resources[route.resource or ""]
    out_mwh, fuel_mwh = out.mwh_per_unit or 0.0, fuel.mwh_per_unit or 0.0
    per_output = out_mwh / (route.efficiency or 1.0) / fuel_mwh if fuel_mwh else 0.0
    cost = per_output * (catalogue.price_eur(fuel.id) or 0.0)
    co2e = per_output * (catalogue.emission_t(fuel.id) or 0.0)
    refs = ", ".join(f.ref for f in (fuel.price, fuel.emission_factor) if f is not None)
    basis = f"made: route {route.id}, {route.resource} / {route.efficiency:g} ({refs})"
    return cost, co2e, basis


def route_taken(
    catalogue: Catalogue, route_id: str | None, resource: str, direction: str
) -> str | None:
    """The stated route, else a supply's :func:`default_fate` or a demand's group default
    (a treatment plant takes in wastewater); None for a demand bought on the market."""
    if route_id is not None:
        return route_id
    if direction == "supply":
        return default_fate(catalogue, resource)
    return DEFAULT_SOURCE_BY_GROUP.get(catalogue.resources[resource].group)


def route_factors(
    catalogue: Catalogue, route_id: str | None, resource: str, direction: str
) -> tuple[float, float, str]:
    """(EUR, t CO2e, basis) per canonical unit of ``resource`` through a baseline route.

    A supply with no route takes :func:`default_fate` (wastewater discharged at its own
    catalogue tariff), a demand of wastewater the treatment plant. A route's own factors
    come first. A sale is lost at :func:`market_replacement`; a ``made`` route (naming its
    input resource) costs that input; a demand without route factors costs the resource's
    catalogue price and emission factor (buying it on the market); any other supply route
    costs nothing.
    """
    entry = catalogue.resources[resource]
    stated, route_id = route_id, route_taken(catalogue, route_id, resource, direction)
    route = catalogue.routes.get(route_id) if route_id else None
    kind = "fate" if direction == "supply" else "source"
    note = f"; default {kind} {route_id}, none stated" if stated is None and route_id else ""
    parts: list[str] = []
    cost = co2e = 0.0
    if stated is None and direction == "supply" and route_id not in SALES and entry.price:
        cost = catalogue.price_eur(resource) or 0.0
        co2e = catalogue.emission_t(resource) or 0.0
        parts.append(f"tariff: {resource} ({entry.price.ref})")
    elif route is not None and (route.cost or route.emission_factor):
        if route.cost:
            cost = per_unit(route.cost, entry, "EUR")
            parts.append(f"cost: route {route.id} ({route.cost.ref})")
        if route.emission_factor:
            co2e = per_unit(route.emission_factor, entry, "t")
            parts.append(f"CO2e: route {route.id} ({route.emission_factor.ref})")
    elif direction == "supply" and route_id in SALES:
        price, footprint, basis = market_replacement(catalogue, resource)
        cost, co2e = -price, -footprint
        parts.append(basis)
    elif direction == "supply" and route is not None and route.resource:
        spent, footprint, basis = made_factors(catalogue, route, resource)
        cost, co2e = -spent, -footprint
        parts.append(basis)
    elif direction == "demand":
        if entry.price:
            cost = catalogue.price_eur(resource) or 0.0
            parts.append(f"price: {resource} ({entry.price.ref})")
        if entry.emission_factor:
            co2e = catalogue.emission_t(resource) or 0.0
            parts.append(f"CO2e: {resource} ({entry.emission_factor.ref})")
    return cost, co2e, ("; ".join(parts) or "no cost or emission on record") + note


def stream_baseline(park: Park) -> pd.DataFrame:
    """Per stream: its stated baseline route, the route it takes (``route_taken``, defaults
    filled in) and the cost and CO2e per canonical unit it implies.

    Factors are looked up once per (direction, route, resource), then spread over the
    streams; a stream's own ``price`` replaces the cost.
    """
    streams = park.streams
    keys = pd.DataFrame(
        {
            "direction": streams["direction"],
            "route": streams["fate"].where(streams["direction"] == "supply", streams["source"]),
            "resource": streams["resource"],
        },
        index=streams.index,
    ).astype(object)
    keys["route"] = keys["route"].where(keys["route"].notna(), None)
    combos = keys.drop_duplicates()
    catalogue = park.catalogue
    factors = pd.DataFrame(
        [
            (*route_factors(catalogue, r, res, d), route_taken(catalogue, r, res, d))
            for d, r, res in combos.itertuples(index=False)
        ],
        columns=["cost_eur", "co2e_t", "basis", "route_taken"],
        index=pd.MultiIndex.from_frame(combos),
    )
    table = factors.reindex(pd.MultiIndex.from_frame(keys))
    table.index = streams.index
    table.insert(0, "route", keys["route"])
    priced = streams["price"].notna()
    table.loc[priced, "cost_eur"] = streams.loc[priced, "price"] * convert(
        1.0, park.currency, "EUR"
    )
    table.loc[priced, "basis"] = [
        f"price: stream {stream_id}; " + str(basis).split("; ", 1)[-1]
        for stream_id, basis in table.loc[priced, "basis"].items()
    ]
    return table


__all__ = [
    "DEFAULT_FATE_BY_CLASS",
    "DEFAULT_FATE_BY_GROUP",
    "DEFAULT_SOURCE_BY_GROUP",
    "DISPOSAL",
    "FATE_KEPT_FOR",
    "FRESHWATER_GROUPS",
    "SALES",
    "canonical_per",
    "default_fate",
    "draws_freshwater",
    "fate_kept",
    "is_freshwater",
    "is_primary_material",
    "made_factors",
    "market_replacement",
    "per_unit",
    "route_factors",
    "route_taken",
    "stream_baseline",
]
