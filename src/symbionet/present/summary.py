"""Summaries of a park as tables: what the terminal, the report and the web show."""

from __future__ import annotations

import pandas as pd

from symbionet.register.park import Park


def stream_table(park: Park) -> pd.DataFrame:
    """Streams with their actor and yearly amount in the resource's canonical unit."""
    streams = park.streams
    actor = streams["site"].map(park.sites["actor"])
    return pd.DataFrame(
        {
            "actor": actor,
            "site": streams["site"],
            "direction": streams["direction"],
            "resource": streams["resource"],
            "class": streams["resource_class"],
            "quantity": streams["quantity"],
            "unit": streams["unit"],
            "per_year": streams["annual_quantity"],
            "canonical_unit": streams["annual_unit"],
            "confidential": streams["confidential"],
        },
        index=streams.index,
    )


def exchange_table(park: Park) -> pd.DataFrame:
    """Exchanges with supplier, receiver, resources and yearly amount."""
    exchanges = park.exchanges
    actor_of = park.streams["site"].map(park.sites["actor"])
    return pd.DataFrame(
        {
            "supplier": exchanges["supply"].map(actor_of),
            "receiver": exchanges["demand"].map(actor_of),
            "resource": exchanges["supply"].map(park.streams["resource"]),
            "replaces": exchanges["demand"].map(park.streams["resource"]),
            "per_year": exchanges["annual_quantity"],
            "unit": exchanges["supply"].map(park.streams["annual_unit"]),
            "mode": exchanges["mode"],
            "status": exchanges["status"],
            "start_year": exchanges["start_year"],
        },
        index=exchanges.index,
    )


def resource_totals(park: Park) -> pd.DataFrame:
    """Yearly supply, demand and operating exchange per class and resource, canonical units."""
    streams = stream_table(park)
    amounts = streams.pivot_table(
        index=["class", "resource", "canonical_unit"],
        columns="direction",
        values="per_year",
        aggfunc="sum",
        fill_value=0.0,
    ).reindex(columns=["supply", "demand"], fill_value=0.0)
    operating = park.exchanges[park.exchanges["status"] == "operating"]
    supplied = (
        operating["annual_quantity"]
        .groupby(operating["supply"].map(park.streams["resource"]))
        .sum()
    )
    ratio = [
        park.catalogue.ratio(s, d)
        for s, d in zip(
            operating["supply"].map(park.streams["resource"]),
            operating["demand"].map(park.streams["resource"]),
            strict=True,
        )
    ]
    received = (
        (operating["annual_quantity"] * ratio)
        .groupby(operating["demand"].map(park.streams["resource"]))
        .sum()
    )
    resources = amounts.index.get_level_values("resource")
    amounts["exchanged"] = resources.map(supplied).fillna(0.0)
    amounts["met_by_exchanges"] = resources.map(received).fillna(0.0)
    amounts.columns.name = None
    return amounts.reset_index().rename(columns={"canonical_unit": "unit"})


HUB_TABLES = ("projects", "calls", "facilities", "programmes", "solutions")
"""The knowledge hub's tables counted where a park has them."""


def counts(park: Park) -> dict[str, int]:
    """Number of rows of each table, and of each hub table the park has."""
    return {
        name: len(park.table(name))
        for name in ("actors", "sites", "streams", "exchanges", "technologies", "plots")
    } | {name: len(park.frames[name]) for name in HUB_TABLES if name in park.frames}
