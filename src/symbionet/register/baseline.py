"""The no-symbiosis baseline of each stream: what a surplus does and how a demand is met today.

Every stream gets a cost (EUR) and an emission (t CO2e) per canonical unit of its
resource, from its ``fate`` (supplies) or ``source`` (demands) route in the catalogue, or
the resource's own price and emission factor when the route names none; a stream's own
``price`` overrides the cost. ``basis`` says where each number came from.
"""

from __future__ import annotations

import pandas as pd

from symbionet.register.catalogue import Catalogue, Factor, Resource
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


SALES = frozenset({"sold", "recycling_market"})


def route_factors(
    catalogue: Catalogue, route_id: str | None, resource: str, direction: str
) -> tuple[float, float, str]:
    """(EUR, t CO2e, basis) per canonical unit of ``resource`` through a baseline route.

    A route's own factors come first. Without them, a demand costs the resource's
    catalogue price and emission factor (buying it on the market); a supply that is sold
    earns the resource's price; any other supply costs nothing.
    """
    entry = catalogue.resources[resource]
    route = catalogue.routes.get(route_id) if route_id else None
    parts: list[str] = []
    cost = co2e = 0.0
    if route is not None and (route.cost or route.emission_factor):
        if route.cost:
            cost = per_unit(route.cost, entry, "EUR")
            parts.append(f"cost: route {route.id} ({route.cost.ref})")
        if route.emission_factor:
            co2e = per_unit(route.emission_factor, entry, "t")
            parts.append(f"CO2e: route {route.id} ({route.emission_factor.ref})")
    elif direction == "demand":
        if entry.price:
            cost = catalogue.price_eur(resource) or 0.0
            parts.append(f"price: {resource} ({entry.price.ref})")
        if entry.emission_factor:
            co2e = catalogue.emission_t(resource) or 0.0
            parts.append(f"CO2e: {resource} ({entry.emission_factor.ref})")
    elif route_id in SALES and entry.price:
        cost = -(catalogue.price_eur(resource) or 0.0)
        parts.append(f"sale price: {resource} ({entry.price.ref})")
    return cost, co2e, "; ".join(parts) or "no cost or emission on record"


def stream_baseline(park: Park) -> pd.DataFrame:
    """Per stream: its baseline route and the cost and CO2e per canonical unit it implies.

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
    factors = pd.DataFrame(
        [route_factors(park.catalogue, r, res, d) for d, r, res in combos.itertuples(index=False)],
        columns=["cost_eur", "co2e_t", "basis"],
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
