"""What a candidate exchange is worth each year: CO2e, freshwater, virgin material, waste
and money, and the score that ranks candidates.

Each stream's baseline (what its surplus does, or how its demand is met, without the
exchange) costs and emits per canonical unit what ``symbionet.register.baseline`` says:
its route's factors, else its resource's catalogue price and emission factor; a stream's
own ``price`` overrides the cost. A supply that would be sold loses its sale (its buyer
takes the same product elsewhere), so a fuel only counts for what it displaces beyond
itself; a fate the candidate carries out (digestate spread as fertiliser) is not credited.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from symbionet.discovery.candidates import Found, Matcher
from symbionet.discovery.transport import Defaults, Transport
from symbionet.register.baseline import (
    DISPOSAL,
    draws_freshwater,
    fate_kept,
    is_freshwater,
    is_primary_material,
    per_unit,
    stream_baseline,
)
from symbionet.register.catalogue import Catalogue
from symbionet.register.park import Park


def baseline_terms(baseline: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Cost (EUR) and CO2e (t) per canonical unit of each stream's baseline."""
    terms = baseline.loc[frame.index, ["cost_eur", "co2e_t"]]
    return terms.set_axis(["cost", "co2e"], axis=1)


def treatment_terms(defaults: Defaults, catalogue: Catalogue, pairs: pd.DataFrame) -> pd.DataFrame:
    """Treatment cost (EUR) and CO2e (t) per supply unit for each resource pair."""
    steps = {(t.supply, t.demand): t for t in defaults.treatment.values()}
    cost, co2e = np.zeros(len(pairs)), np.zeros(len(pairs))
    for i, (supply, demand) in enumerate(zip(pairs["supply"], pairs["demand"], strict=True)):
        step = steps.get((supply, demand))
        if step is None:
            continue
        entry = catalogue.resources[supply]
        cost[i] = per_unit(step.cost, entry, "EUR")
        if step.emission_factor is not None:
            co2e[i] = per_unit(step.emission_factor, entry, "t")
    return pd.DataFrame({"cost": cost, "co2e": co2e}, index=pairs.index)


def evaluate(
    park: Park,
    matcher: Matcher,
    transport: Transport,
    defaults: Defaults,
    found: Found,
    co2_price: float,
) -> pd.DataFrame:
    """Yearly CO2e, freshwater, virgin material, waste and money of each candidate.

    CO2e avoided = replaced amount × its baseline emission + supply × its fate's emission
    − transport − treatment. Money = what the receiver no longer pays + what the supplier
    no longer pays to dispose of it (negative for a lost sale) − transport − treatment.
    """
    catalogue = park.catalogue
    supplies, demands, pairs = matcher.supplies, matcher.demands, matcher.pairs
    baseline = stream_baseline(park)
    supply_terms = baseline_terms(baseline, supplies)
    demand_terms = baseline_terms(baseline, demands)
    treatment = treatment_terms(defaults, catalogue, pairs)
    s, d, p = found.supply, found.demand, found.pair
    ratio = pairs["ratio"].to_numpy()[p]
    receiver_unit = demand_terms["cost"].to_numpy()[d]
    replaced_unit_co2e = demand_terms["co2e"].to_numpy()[d]
    worth = ratio * (receiver_unit + co2_price * replaced_unit_co2e)
    legs = transport.choose(
        matcher.codes_s[s],
        found.km,
        matcher.site_s[s] == matcher.site_d[d],
        matcher.places_s.take(s),
        matcher.places_d.take(d),
        found.amount,
        worth,
        co2_price,
    )
    amount = found.amount
    replaced = amount * legs.delivered * ratio
    fresh = {key: is_freshwater(entry) for key, entry in catalogue.resources.items()}
    takes_fresh = [
        draws_freshwater(catalogue, r, route if isinstance(route, str) else None)
        for r, route in zip(demands["resource"], demands["route"], strict=True)
    ]
    freshwater = (
        np.asarray(takes_fresh, dtype=bool)[d]
        & ~supplies["resource"].map(fresh).to_numpy(dtype=bool)[s]
    )
    groundwater = (
        (demands["route"] == "groundwater") | (demands["resource"] == "groundwater")
    ).to_numpy()[d] & (supplies["resource"] != "groundwater").to_numpy()[s]
    fates = baseline["route_taken"].reindex(supplies.index).to_numpy(dtype=object)[s]
    groups = {key: entry.group for key, entry in catalogue.resources.items()}
    avoided = ~fate_kept(fates, pairs["demand"].map(groups).to_numpy(dtype=object)[p])
    primary = {key: is_primary_material(entry) for key, entry in catalogue.resources.items()}
    virgin = pairs["demand"].map(primary).to_numpy()[p]
    material = {
        key: entry.resource_class == "material" for key, entry in catalogue.resources.items()
    }
    wasted = (pd.Series(fates).isin(DISPOSAL).to_numpy() & avoided) & supplies["resource"].map(
        material
    ).to_numpy(dtype=bool)[s]
    treat_cost = amount * treatment["cost"].to_numpy()[p]
    co2e = (
        replaced * replaced_unit_co2e
        + amount * supply_terms["co2e"].to_numpy()[s] * avoided
        - legs.co2e
        - amount * treatment["co2e"].to_numpy()[p]
    )
    receiver = replaced * receiver_unit
    supplier = amount * supply_terms["cost"].to_numpy()[s] * avoided
    value = receiver + supplier - legs.cost - treat_cost
    return pd.DataFrame(
        {
            "replaced": replaced,
            "share_of_demand": replaced / demands["amount"].to_numpy()[d],
            "mode": legs.kind,
            "route": legs.route,
            "route_km": legs.route_km,
            "co2e_t": co2e,
            "freshwater_m3": np.where(freshwater, replaced, 0.0),
            "groundwater_m3": np.where(groundwater, replaced, 0.0),
            "virgin_t": np.where(virgin, replaced, 0.0),
            "waste_diverted": np.where(wasted, amount, 0.0),
            "receiver_saving_eur": receiver,
            "supplier_saving_eur": supplier,
            "transport_eur": legs.cost,
            "treatment_eur": treat_cost,
            "value_eur": value,
            "benefit_eur": value + co2_price * co2e,
        }
    )
