"""Technologies to by-products: the organisations' processes that take a by-product as
feedstock (``solutions.csv``) matched to the park's supply streams through discovery.

Each solution becomes a demand stream of the resource it takes, at a site of its
organisation (its first) or, where the organisation has none in the park, at the park's
centre (the mean position of its sites); the park's streams count only what their
committed exchanges leave free, as when an entrant is sited (``symbionet.siting.worth``),
or, asked to, their whole amounts (the solution then competes with today's use).
Discovery's own rules (resource and substitution, quality, quantity, timing, transport
reach) then pair that demand with the park's supplies, and its valuation gives each pair
its transport, CO2e and yearly worth; nothing here ranks or prices on its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from symbionet.discovery.engine import DiscoverOptions, discover
from symbionet.errors import Problem, SymbionetError
from symbionet.register.park import Park
from symbionet.siting.worth import COMMITTED, free_amounts
from symbionet.units import convert

COLUMNS = [
    "solution",
    "organisation",
    "supply",
    "supplier",
    "resource",
    "quantity",
    "unit",
    "distance_km",
    "gives",
    "explanation",
    "name",
    "replaces",
    "replaced",
    "replaced_unit",
    "gives_quantity",
    "gives_unit",
    "mode",
    "co2e_t",
    "value_eur",
    "at_centre",
    "committed",
]
"""The columns of :func:`byproducts_for`: the contract's first, then the figures behind them."""

ORIGIN = "secretariat"
"""The pipeline origin of a hub proposal: the hub is the ecosystem's secretariat."""

_TAG = "@solution"
"""Suffix of the id of the demand stream that stands for a solution."""


def _actor(park: Park, organisation: str, what: str = "organisation") -> None:
    if organisation not in park.actors.index:
        raise SymbionetError(
            [Problem("actors.csv", None, "id", f"no {what} {organisation!r} in the park")]
        )


def _solutions(park: Park, organisation: str | None) -> pd.DataFrame:
    solutions = park.table("solutions")
    if organisation is not None:
        _actor(park, organisation)
        solutions = solutions[solutions["organisation"] == organisation]
    return solutions


def _names(park: Park) -> pd.Series:
    actors = park.actors
    names = actors["name"] if "name" in actors else pd.Series(actors.index, index=actors.index)
    return names.fillna(pd.Series(actors.index, index=actors.index)).astype(str)


def _hypothetical(
    park: Park, solutions: pd.DataFrame, free: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sites to add (a centre for organisations without one) and each solution's
    demand stream, indexed by ``<solution>@solution``."""
    sites, streams = park.sites, park.streams
    first_site = sites.reset_index().drop_duplicates("actor").set_index("actor")[sites.index.name]
    centre_lat, centre_lon = float(sites["lat"].mean()), float(sites["lon"].mean())
    supplies = streams[streams["direction"] == "supply"]
    new_sites: dict[str, dict[str, Any]] = {}
    rows = []
    for ident, solution in solutions.iterrows():
        organisation, takes = str(solution["organisation"]), str(solution["takes"])
        if organisation in first_site.index:
            site = str(first_site[organisation])
        else:
            site = f"{organisation}@centre"
            new_sites[site] = {
                "actor": organisation,
                "name": "the park's centre",
                "lat": centre_lat,
                "lon": centre_lon,
                "port": False,
                "rail": False,
            }
        capacity = solution.get("capacity")
        if pd.notna(capacity) and float(capacity) > 0:
            amount = float(capacity)
        else:  # no capacity stated: room for the whole of any supply it can take
            ratio = np.array(
                [park.catalogue.ratio(str(r), takes) or 0.0 for r in supplies["resource"]]
            )
            amount = float((free.reindex(supplies.index).fillna(0.0).to_numpy() * ratio).sum())
        if amount <= 0:
            continue
        entry = park.catalogue.resources[takes]
        rows.append(
            {
                "id": f"{ident}{_TAG}",
                "site": site,
                "direction": "demand",
                "resource": takes,
                "quantity": amount,
                "unit": f"{entry.unit}/yr",
                "name": str(solution["name"]),
                "confidential": False,
                "annual_quantity": amount,
                "annual_unit": f"{entry.unit}/yr",
                "resource_class": entry.resource_class,
            }
        )
    added_sites = pd.DataFrame.from_dict(new_sites, orient="index")
    added_sites.index.name = sites.index.name
    added_streams = pd.DataFrame(rows).set_index("id") if rows else streams.iloc[0:0]
    return added_sites, added_streams


def _empty() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in COLUMNS})


def _committed(park: Park) -> pd.Series:
    """For each supply stream that committed exchanges take from, what they take: the
    exchanges' ids, receivers and statuses in words."""
    exchanges = park.exchanges[park.exchanges["status"].isin(COMMITTED)]
    if exchanges.empty:
        return pd.Series(dtype=object)
    names = _names(park)
    receiver = exchanges["demand"].map(park.streams["site"]).map(park.sites["actor"])
    words = [
        f"{names.get(r, r)} (exchange {x}, {status})"
        for x, r, status in zip(exchanges.index, receiver, exchanges["status"], strict=True)
    ]
    return pd.Series(words, index=exchanges.index).groupby(exchanges["supply"]).agg("; ".join)


def byproducts_for(
    park: Park, organisation: str | None = None, *, committed: bool = False
) -> pd.DataFrame:
    """Each solution (of ``organisation``, or of every organisation) matched to the park's
    supply streams of the resource it takes, through discovery: one row per solution and
    supply, best value first. Columns: see :data:`COLUMNS`; ``quantity`` is what the
    supply can deliver a year (its free amount, at most the solution's capacity), in the
    supply's unit; ``gives_quantity`` what the solution makes of it (its ``yield``);
    ``value_eur`` and ``co2e_t`` discovery's yearly worth of the exchange, for both sides;
    ``at_centre`` whether the solution was placed at the park's centre for want of a site
    of its organisation; ``committed`` who takes the supply today through committed
    exchanges (agreement, implementation, operating). With ``committed=True`` the
    supplies count their whole amounts, what those exchanges take included: the solution
    then competes with today's use. The park is searched as given: pass
    ``park.visible_to(actor)`` for what one organisation may see."""
    solutions = _solutions(park, organisation)
    if solutions.empty or park.streams.empty:
        return _empty()
    free = park.streams["annual_quantity"].astype(float) if committed else free_amounts(park)
    sites, demands = _hypothetical(park, solutions, free)
    if demands.empty:
        return _empty()
    streams = park.streams.copy()
    streams["annual_quantity"] = free
    supplies = streams[streams["direction"] == "supply"]
    frames = dict(park.frames)
    frames["sites"] = pd.concat([park.sites, sites]) if len(sites) else park.sites
    frames["streams"] = pd.concat([supplies, demands])
    searched = replace(park, frames=frames, _empty={})
    options = DiscoverOptions(internal=True, per_demand=max(1, len(supplies)))
    found = discover(searched, options).candidates
    found = found[found["demand"].astype(str).isin(demands.index)]
    if found.empty:
        return _empty()
    ident = found["demand"].astype(str).str.removesuffix(_TAG).to_numpy()
    chosen = solutions.loc[ident]
    centre = sites.index if len(sites) else pd.Index([])
    at_centre = demands.loc[found["demand"].astype(str), "site"].isin(centre).to_numpy()
    yields = pd.to_numeric(chosen["yield"], errors="coerce").to_numpy(dtype=float)
    gives = chosen["gives"].astype(object).where(chosen["gives"].notna(), None).to_numpy()
    replaced = found["replaced"].to_numpy(dtype=float)
    gives_quantity = np.where(np.isnan(yields) | pd.isna(gives), np.nan, replaced * yields)
    gives_unit = [
        f"{park.catalogue.resources[str(g)].unit}/yr" if g is not None else None for g in gives
    ]
    names = _names(park)
    table = pd.DataFrame(
        {
            "solution": ident,
            "organisation": chosen["organisation"].astype(str).to_numpy(),
            "supply": found["supply"].astype(str).to_numpy(),
            "supplier": found["supplier"].astype(str).to_numpy(),
            "resource": found["resource"].astype(str).to_numpy(),
            "quantity": found["quantity"].to_numpy(dtype=float),
            "unit": found["unit"].astype(str).to_numpy(),
            "distance_km": found["distance_km"].to_numpy(dtype=float),
            "gives": gives,
            "name": chosen["name"].astype(str).to_numpy(),
            "replaces": found["replaces"].astype(str).to_numpy(),
            "replaced": replaced,
            "replaced_unit": found["replaced_unit"].astype(str).to_numpy(),
            "gives_quantity": gives_quantity,
            "gives_unit": gives_unit,
            "mode": found["mode"].astype(str).to_numpy(),
            "co2e_t": found["co2e_t"].to_numpy(dtype=float),
            "value_eur": found["value_eur"].to_numpy(dtype=float),
            "at_centre": at_centre,
        }
    )
    today = _committed(park)
    table["committed"] = [today.get(s) for s in table["supply"]]
    table["explanation"] = [
        _explain(row, names, str(text))
        for row, text in zip(table.to_dict("records"), found["explanation"], strict=True)
    ]
    table = table.sort_values(
        ["value_eur", "solution", "supply"], ascending=[False, True, True], kind="stable"
    )
    return table[COLUMNS].reset_index(drop=True)


def _figure(x: float) -> str:
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def _explain(row: dict[str, Any], names: pd.Series, found: str) -> str:
    """Why a solution and a supply go together, in one line, discovery's words included."""
    organisation = names.get(row["organisation"], row["organisation"])
    supplier = names.get(row["supplier"], row["supplier"])
    words = (
        f"{row['name']} of {organisation} takes {row['replaces']}: {supplier}'s "
        f"{row['supply']} offers {_figure(row['quantity'])} {row['unit']} of {row['resource']}, "
        f"{_figure(row['distance_km'])} km away"
    )
    if row["gives"] is not None and not np.isnan(row["gives_quantity"]):
        words += f", from which it makes {_figure(row['gives_quantity'])} {row['gives_unit']} of "
        words += str(row["gives"])
    words += f". Discovery: {found}."
    if row["committed"] is not None:
        words += f" Committed today to {row['committed']}."
    if row["at_centre"]:
        words += f" {organisation} has no site in the park: placed at the park's centre."
    return words


def propose(
    park: Park,
    solution: str,
    supply: str,
    author: str | None,
    on: dt.date | str | None = None,
    *,
    committed: bool = False,
) -> Park:
    """The park with the pairing of ``solution`` and the supply stream ``supply`` entering
    the synergy pipeline as an idea from the hub (origin ``secretariat``, the hub being
    the ecosystem's secretariat): the solution's organisation owns it, the supplier and it
    are its partners, and discovery's figures are carried over as for a discovered
    candidate (quantity, CO2e, saving); the demand side is left empty, the solution not
    being a stream of the park. ``committed``: the supply's whole amount counts, as in
    :func:`byproducts_for`. Raises SymbionetError when the solution or the supply is
    unknown, or when discovery does not pair them."""
    solutions = park.table("solutions")
    if solution not in solutions.index:
        known = ", ".join(sorted(map(str, solutions.index))[:10]) or "none"
        raise SymbionetError(
            [Problem("solutions.csv", None, "id", f"no solution {solution!r} (solutions: {known})")]
        )
    streams = park.streams
    if supply not in streams.index or streams.at[supply, "direction"] != "supply":
        raise SymbionetError([Problem("streams.csv", None, "id", f"no supply stream {supply!r}")])
    organisation = str(solutions.at[solution, "organisation"])
    found = byproducts_for(park, organisation, committed=committed)
    match = found[(found["solution"] == solution) & (found["supply"] == supply)]
    if match.empty:
        raise SymbionetError(
            [
                Problem(
                    "solutions.csv",
                    None,
                    None,
                    f"discovery does not pair solution {solution!r} with supply {supply!r} "
                    "(resource, quality, amount or distance)",
                )
            ]
        )
    row = match.iloc[0]
    from symbionet.pipeline.edits import propose as propose_project

    names = _names(park)
    supplier = str(row["supplier"])
    title = f"{row['name']} on {row['resource']} from {names.get(supplier, supplier)}"
    return propose_project(
        park,
        title,
        on=on,
        author=author,
        decision=f"proposed by the hub: solution {solution} on supply {supply}",
        origin=ORIGIN,
        owner=organisation,
        partners=list(dict.fromkeys([supplier, organisation])),
        supply=supply,
        resource=str(row["resource"]),
        quantity=float(row["quantity"]),
        unit=str(row["unit"]),
        co2e_t=float(row["co2e_t"]),
        saving=float(row["value_eur"]) * convert(1.0, "EUR", park.currency),
        notes=str(row["explanation"]),
    )


__all__ = ["COLUMNS", "ORIGIN", "byproducts_for", "propose"]
