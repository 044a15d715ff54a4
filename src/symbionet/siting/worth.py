"""What an entrant's streams are worth on each plot, through discovery's own rules.

Each entrant's streams are placed on every plot it may take, as a site of its own, beside
the park's streams; discovery's matcher pairs them in both directions (an entrant's
supply with the park's demands, the park's supplies with the entrant's demands) under its
resource, quality, quantity, timing and transport rules, and discovery's valuation gives
each pair its yearly money, CO2e and transport by the mode that keeps most of its worth.
The park's streams count only what their committed exchanges (agreement, implementation,
operating) leave free.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from symbionet.discovery.candidates import Found, Matcher, haversine_km
from symbionet.discovery.engine import DiscoverOptions, prepare
from symbionet.discovery.value import evaluate
from symbionet.register.park import Park
from symbionet.siting.entrants import Entrants
from symbionet.siting.land import Land

COMMITTED = ("agreement", "implementation", "operating")
"""Statuses of exchanges whose amounts the park's streams no longer have free."""
LINK_COLUMNS = [
    "entrant",
    "plot",
    "stream",
    "partner",
    "direction",
    "resource",
    "replaces",
    "quantity",
    "unit",
    "replaced",
    "own",
    "take",
    "mode",
    "route",
    "distance_km",
    "co2e_t",
    "connection_eur",
    "value_eur",
    "benefit_eur",
]
"""The columns of the exchanges an entrant could have from a plot (``placement_links``)."""


def free_amounts(park: Park) -> pd.Series:
    """Each stream's yearly amount (canonical unit) less what committed exchanges take from
    a supply or bring to a demand (the supply's amount times the substitution ratio)."""
    streams, exchanges = park.streams, park.exchanges
    taken = exchanges[exchanges["status"].isin(COMMITTED)]
    resource = streams["resource"]
    ratio = [
        park.catalogue.ratio(resource.get(s, ""), resource.get(d, "")) or 0.0
        for s, d in zip(taken["supply"], taken["demand"], strict=True)
    ]
    amount = taken["annual_quantity"].astype(float)
    used = pd.concat(
        [
            amount.groupby(taken["supply"]).sum(),
            (amount * np.asarray(ratio, dtype=float)).groupby(taken["demand"]).sum(),
        ]
    )
    used = used.groupby(level=0).sum().reindex(streams.index).fillna(0.0)
    return (streams["annual_quantity"].astype(float) - used).clip(lower=0.0)


def placed_park(
    park: Park, entrants: Entrants, land: Land, spots: pd.DataFrame
) -> tuple[Park, pd.DataFrame]:
    """The park with its streams at their free amounts, and each entrant's streams on each
    of its ``spots`` (entrant, plot) as a site ``entrant@plot`` of the entrant's own; and
    the entrant, plot and stream of each placed stream, by its id in that park."""
    plots = land.plots.loc[spots["plot"]]
    sites = pd.DataFrame(
        {
            # an actor of its own, even where an entrant shares its id with a park's actor
            "actor": ("@" + spots["entrant"]).to_numpy(),
            "name": spots["entrant"].to_numpy(),
            "lat": plots["lat"].to_numpy(),
            "lon": plots["lon"].to_numpy(),
            "port": plots["port"].to_numpy(),
        },
        index=pd.Index(spots["entrant"] + "@" + spots["plot"], name="id"),
    )
    own = entrants.streams
    rows = spots.merge(own.reset_index(), on="entrant")
    placed = own.loc[rows["id"]].drop(columns="entrant")
    placed["site"] = (rows["entrant"] + "@" + rows["plot"]).to_numpy()
    placed.index = pd.Index(rows["id"] + "@" + rows["plot"], name="id")
    where = pd.DataFrame(
        {"entrant": rows["entrant"], "plot": rows["plot"], "stream": rows["id"]}
    ).set_index(placed.index)
    streams = park.streams.copy()
    streams["annual_quantity"] = free_amounts(park)
    frames = dict(park.frames)
    frames["sites"] = pd.concat([park.sites, sites])
    frames["streams"] = pd.concat([streams, placed])
    return replace(park, frames=frames, _empty={}), where


def placement_links(
    park: Park, entrants: Entrants, land: Land, spots: pd.DataFrame, co2_price: float
) -> pd.DataFrame:
    """Every exchange an entrant could have from each of its ``spots`` with a park stream:
    entrant, plot, the entrant's stream, the park's stream (``partner``), the amounts each
    side gives or takes, the transport and the yearly worth (EUR)."""
    spots = spots[spots["entrant"].isin(entrants.streams["entrant"])]
    if spots.empty:
        return pd.DataFrame(columns=LINK_COLUMNS)
    placed, where = placed_park(park, entrants, land, spots)
    search = prepare(placed, DiscoverOptions(co2_price=co2_price))
    matcher = search.matcher
    supplies, demands = matcher.supplies, matcher.demands
    ours_s = supplies.index.isin(where.index)
    ours_d = demands.index.isin(where.index)
    parts = []
    for _, pair in matcher.live_pairs().iterrows():
        s_all = matcher.by_resource_s[pair["supply"]]
        d_all = matcher.by_resource_d[pair["demand"]]
        for s_side, d_side in (
            (s_all[ours_s[s_all]], d_all[~ours_d[d_all]]),
            (s_all[~ours_s[s_all]], d_all[ours_d[d_all]]),
        ):
            if not len(s_side) or not len(d_side):
                continue
            s, d = np.repeat(s_side, len(d_side)), np.tile(d_side, len(s_side))
            km = haversine_km(
                supplies["lat"].to_numpy()[s],
                supplies["lon"].to_numpy()[s],
                demands["lat"].to_numpy()[d],
                demands["lon"].to_numpy()[d],
            )
            near = km <= matcher.radius_km(pair["supply"])
            parts.append(matcher.check(s[near], d[near], pair, km[near]))
    found = Found.join(parts)
    if not len(found.supply):
        return pd.DataFrame(columns=LINK_COLUMNS)
    values = evaluate(placed, matcher, search.transport, search.defaults, found, co2_price)
    return _links(matcher, found, values, ours_s, where)


def _links(
    matcher: Matcher, found: Found, values: pd.DataFrame, ours_s: np.ndarray, where: pd.DataFrame
) -> pd.DataFrame:
    """The candidates as links between an entrant's stream on a plot and a park stream."""
    supplies, demands = matcher.supplies, matcher.demands
    giving = ours_s[found.supply]
    supply_ids = supplies.index.to_numpy()[found.supply]
    demand_ids = demands.index.to_numpy()[found.demand]
    placed = where.loc[np.where(giving, supply_ids, demand_ids)]
    replaced = values["replaced"].to_numpy()
    return pd.DataFrame(
        {
            "entrant": placed["entrant"].to_numpy(),
            "plot": placed["plot"].to_numpy(),
            "stream": placed["stream"].to_numpy(),
            "partner": np.where(giving, demand_ids, supply_ids),
            "direction": np.where(giving, "supply", "demand"),
            "resource": matcher.pairs["supply"].to_numpy()[found.pair],
            "replaces": matcher.pairs["demand"].to_numpy()[found.pair],
            "quantity": found.amount,
            "unit": [
                matcher.catalogue.resources[r].unit + "/yr"
                for r in matcher.pairs["supply"].to_numpy()[found.pair]
            ],
            "replaced": replaced,
            # what the link uses of the entrant's stream and of its partner's, in their units
            "own": np.where(giving, found.amount, replaced),
            "take": np.where(giving, replaced, found.amount),
            "mode": values["mode"].to_numpy(),
            "route": values["route"].to_numpy(),
            "distance_km": found.km,
            "co2e_t": values["co2e_t"].to_numpy(),
            "connection_eur": values["transport_eur"].to_numpy(),
            "value_eur": (values["benefit_eur"] + values["transport_eur"]).to_numpy(),
            "benefit_eur": values["benefit_eur"].to_numpy(),
        }
    )


__all__ = ["COMMITTED", "LINK_COLUMNS", "free_amounts", "placed_park", "placement_links"]
