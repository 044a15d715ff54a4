"""``site``: where new entrants go on a park's free plots, and what each placement is worth.

Each entrant may take a plot, or a connected group of adjacent plots it fills (see
``symbionet.siting.land``). An option (an entrant on a plot or group) is worth what its
exchanges with the park's streams are worth a year (discovery's valuation, each exchange
from whichever plot of the group suits it best), less the land, annualised. The
assignment that is worth most, with entrants competing for the park's free amounts, is a
MILP (``symbionet.siting.assignment``); every option is also valued alone, to rank each
entrant's alternatives.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from symbionet.errors import invalid
from symbionet.options import options_from
from symbionet.register.park import Park
from symbionet.results import Result
from symbionet.siting.assignment import Assigned, alone, assign
from symbionet.siting.entrants import Entrants, read_entrants
from symbionet.siting.land import Land, connected_groups, read_land, smallest_droppable
from symbionet.siting.worth import free_amounts, placement_links
from symbionet.units import annuity, convert

EXPLAINED = 3  # exchanges named in a placement's explanation


@dataclass(frozen=True)
class SitingOptions:
    """How to site entrants.

    ``max_plots``: the most adjacent plots one entrant may take; ``land_years``: the
    horizon over which a plot's price is annualised at the park's discount rate;
    ``co2_price``: EUR per t CO2e added to an exchange's money (None: the park's
    ``co2_price``, else 0); ``top``: alternatives listed per entrant; ``mip_gap`` and
    ``time_limit``: HiGHS's relative gap and time limit (seconds) for the assignment.
    """

    max_plots: int = 3
    land_years: float = 30.0
    co2_price: float | None = None
    top: int = 3
    mip_gap: float = 1e-6
    time_limit: float | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.max_plots <= 6:
            raise invalid("max_plots", f"must be 1 to 6, not {self.max_plots}")
        if not self.land_years > 0:
            raise invalid("land_years", f"must be above 0, not {self.land_years}")
        if self.co2_price is not None and not self.co2_price >= 0:
            raise invalid("co2_price", f"must be 0 or more, not {self.co2_price}")
        if self.top < 1:
            raise invalid("top", f"must be 1 or more, not {self.top}")
        if not 0 <= self.mip_gap < 1:
            raise invalid("mip_gap", f"must be at least 0 and below 1, not {self.mip_gap}")


@dataclass
class SitingResult(Result):
    """Placements (one row per entrant; empty plots where it is not placed, and why), the
    exchanges that make each placement worth it, each entrant's best alternatives valued
    alone, its best option in each park (``parks``: which park suits it best), and what
    the solver proved. Money in EUR a year."""

    placements: pd.DataFrame
    exchanges: pd.DataFrame
    alternatives: pd.DataFrame
    parks: pd.DataFrame
    status: str
    objective_eur: float
    options_count: int
    seconds: dict[str, float] = field(default_factory=dict)
    options: SitingOptions = field(default_factory=SitingOptions)
    main_table = "placements"

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _options(entrants: Entrants, land: Land, max_plots: int, land_per_m2: float) -> pd.DataFrame:
    """Every (entrant, group) an entrant may take: zoned for it, at a quay if it needs one,
    large enough, and filled (no plot can be left out with the rest connected and large
    enough); with its plots, park, area and annualised land cost (EUR a year)."""
    plots = land.plots
    area = plots["area_m2"].to_numpy()
    groups = connected_groups(len(plots), land.pairs, max_plots)
    droppable = smallest_droppable(groups, area)
    table = entrants.table
    zoning = plots["zoning"]
    allowed = np.array(
        [
            zoning.isin(zones).to_numpy() if zones else np.ones(len(plots), bool)
            for zones in table["zoning"]
        ],
        dtype=bool,
    ).reshape(len(table), len(plots))
    need = table["area_m2"].to_numpy(float)[:, None]
    port = table["port"].to_numpy(bool)[:, None]
    found = []
    for members, drop in zip(groups, droppable, strict=True):
        size = area[members].sum(axis=1)
        fits = allowed[:, members].all(axis=2) & (size >= need) & (size < need + drop)
        fits &= ~port | plots["port"].to_numpy()[members].any(axis=1)
        e, g = np.nonzero(fits)
        ids = plots.index.to_numpy()[members[g]]
        found.append(
            pd.DataFrame(
                {
                    "entrant": table.index.to_numpy()[e],
                    "plots": ["+".join(row) for row in ids],
                    "members": list(ids),
                    "park": plots["park"].to_numpy()[members[g, 0]],
                    "area_m2": size[g],
                    "land_eur": (plots["price"].to_numpy() * area)[members[g]].sum(axis=1)
                    * land_per_m2,
                }
            )
        )
    options = pd.concat(found, ignore_index=True)
    options.index.name = "option"
    return options


def _explain(rows: pd.DataFrame, money: tuple[float, str], names: pd.Series) -> str:
    """The exchanges that make an option worth it, best first, in the park's currency."""
    rate, currency = money
    best = rows[rows["share"] > 0].sort_values("benefit_eur", ascending=False).head(EXPLAINED)
    parts = [
        f"{r.quantity * r.share:,.0f} {r.unit} of {r.resource} "
        f"{'to' if r.direction == 'supply' else 'from'} {names.get(r.partner, r.partner)} "
        f"by {r.route}: "
        f"{r.benefit_eur * r.share * rate:,.0f} {currency}/yr"
        for r in best.itertuples()
    ]
    return "; ".join(parts) if parts else "no exchange with the park"


def _sums(links: pd.DataFrame, share: pd.Series) -> pd.DataFrame:
    """Value, connection and CO2e of each option at the links' shares."""
    used = links[["value_eur", "connection_eur", "co2e_t", "benefit_eur"]].mul(share, axis=0)
    return used.groupby(links["option"]).sum()


@dataclass(frozen=True)
class Prepared:
    """What the assignment is solved over: the entrants, every option valued alone (by
    option: entrant, plots, park, area_m2, land_eur, value_eur, connection_eur, co2e_t,
    benefit_eur, net_eur), its plots (``members``: option, plot), its links (with their
    share alone), and the amounts of the entrants' streams and the park's free streams."""

    entrants: Entrants
    table: pd.DataFrame
    members: pd.DataFrame
    links: pd.DataFrame
    own: pd.Series
    free: pd.Series


def prepare_siting(
    park: Park, entrants: str | Path | Entrants | dict[str, Any], options: SitingOptions
) -> Prepared:
    """The options of every entrant, their exchanges, and their worth each alone."""
    land = read_land(park)
    read = read_entrants(entrants, park)
    rate = float(park.meta.get("discount_rate", 0.05))
    per_m2 = convert(1.0, park.currency, "EUR") * float(annuity(rate, options.land_years))
    co2_price = options.co2_price
    if co2_price is None:
        co2_price = float(park.meta.get("co2_price") or 0.0) * convert(1.0, park.currency, "EUR")
    table = _options(read, land, options.max_plots, per_m2)
    members = table[["members"]].explode("members").rename(columns={"members": "plot"})
    members = members.reset_index()
    spots = members.merge(table[["entrant"]], left_on="option", right_index=True)
    spots = spots[["entrant", "plot"]].drop_duplicates().reset_index(drop=True)
    links = placement_links(park, read, land, spots, co2_price)
    links = _option_links(links, members, table)
    own = read.streams["annual_quantity"].astype(float)
    free = free_amounts(park)
    links["alone"] = alone(links, own, free)
    sums = _sums(links, links["alone"]).reindex(table.index).fillna(0.0)
    table = table.join(sums)
    table["net_eur"] = table["benefit_eur"] - table["land_eur"]
    return Prepared(read, table, members, links, own, free)


def solve_siting(
    prepared: Prepared, options: SitingOptions, chosen: pd.Index | None = None
) -> Assigned:
    """The assignment over the options worth something alone (or only over ``chosen``)."""
    table, links, members = prepared.table, prepared.links, prepared.members
    worth = table.index[table["net_eur"] > 0]
    if chosen is not None:
        worth = worth.intersection(chosen)
    return assign(
        table.loc[worth],
        members[members["option"].isin(worth)].reset_index(drop=True),
        links[links["option"].isin(worth) & (links["benefit_eur"] > 0)],
        prepared.own,
        prepared.free,
        mip_gap=options.mip_gap,
        time_limit=options.time_limit,
    )


def site(
    park: Park,
    entrants: str | Path | Entrants | dict[str, Any],
    options: SitingOptions | None = None,
    **overrides: Any,
) -> SitingResult:
    """Site ``entrants`` (a YAML file, its data, or read ``Entrants``) on ``park``'s plots:
    the placements worth most together, their exchanges, and each entrant's alternatives
    (see :class:`SitingOptions` and docs/national.md)."""
    options = options_from(SitingOptions, options, overrides)
    started = time.perf_counter()
    prepared = prepare_siting(park, entrants, options)
    valued = time.perf_counter()
    result = solve_siting(prepared, options)
    solved = time.perf_counter()
    table, links = prepared.table, prepared.links.copy()
    links["share"] = result.share.reindex(links.index).fillna(0.0)
    taken = result.taken.index[result.taken > 0.5]
    names = _partner_names(park)
    money = (convert(1.0, "EUR", park.currency), park.currency)
    placements = _placements(prepared.entrants, table, links, taken, names, money)
    exchanges = _exchanges(links[links["option"].isin(taken) & (links["share"] > 0)], table, names)
    alternatives = _alternatives(table, links, taken, options.top, names, money)
    objective = float(
        (links["benefit_eur"] * links["share"]).sum() - table.loc[taken, "land_eur"].sum()
    )
    return SitingResult(
        placements,
        exchanges,
        alternatives,
        _best_per_park(table),
        result.solved.status,
        objective,
        len(table),
        {"values": valued - started, "solve": solved - valued},
        options,
    )


def _option_links(links: pd.DataFrame, members: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Each option's links: for each of the entrant's streams and each park stream, the
    exchange from the plot of the group that makes it worth most."""
    if links.empty:
        return links.assign(option=pd.Series(dtype=np.int64)).rename_axis("link")
    members = members.merge(table[["entrant"]], left_on="option", right_index=True)
    joined = members.merge(links, on=["entrant", "plot"])
    joined = joined.sort_values(["option", "stream", "partner", "benefit_eur"], kind="stable")
    best = joined.drop_duplicates(["option", "stream", "partner"], keep="last")
    return best.reset_index(drop=True).rename_axis("link")


def _partner_names(park: Park) -> pd.Series:
    """Each park stream's owner, by name: 'Asnæs Power Station (asnaes_steam)'."""
    streams = park.streams
    actor = streams["site"].map(park.sites["actor"])
    name = actor.map(park.actors["name"]).fillna(actor)
    return name.astype(str) + " (" + streams.index.to_series().astype(str) + ")"


def _placements(
    entrants: Entrants,
    table: pd.DataFrame,
    links: pd.DataFrame,
    taken: pd.Index,
    names: pd.Series,
    money: tuple[float, str],
) -> pd.DataFrame:
    """One row per entrant: where it goes, what it is worth, and why."""
    at = _sums(links, links["share"]).reindex(taken).fillna(0.0)
    rows = []
    for entrant, row in entrants.table.iterrows():
        mine = [o for o in taken if table.at[o, "entrant"] == entrant]
        if mine:
            o = mine[0]
            value, connection = at.at[o, "value_eur"], at.at[o, "connection_eur"]
            land = table.at[o, "land_eur"]
            why = _explain(links[links["option"] == o], money, names)
            rows.append(
                (
                    entrant,
                    row["name"],
                    table.at[o, "park"],
                    table.at[o, "plots"],
                    table.at[o, "area_m2"],
                    value,
                    connection,
                    land,
                    value - connection - land,
                    at.at[o, "co2e_t"],
                    why,
                )
            )
            continue
        rows.append(
            (
                entrant,
                row["name"],
                None,
                None,
                np.nan,
                0.0,
                0.0,
                0.0,
                0.0,
                0.0,
                _why_not(entrant, row, table, money),
            )
        )
    columns = [
        "entrant",
        "name",
        "park",
        "plots",
        "area_m2",
        "value_eur",
        "connection_eur",
        "land_eur",
        "net_eur",
        "co2e_t",
        "explanation",
    ]
    return pd.DataFrame(rows, columns=columns).set_index("entrant")


def _why_not(entrant: str, row: pd.Series, table: pd.DataFrame, money: tuple[float, str]) -> str:
    """Why an entrant is not placed."""
    mine = table[table["entrant"] == entrant]
    if mine.empty:
        zones = " or ".join(row["zoning"]) or "any zone"
        quay = " at a quay" if row["port"] else ""
        return (
            f"not placed: no plot or connected group of plots zoned {zones}{quay} "
            f"has {row['area_m2']:,.0f} m2"
        )
    best = mine["net_eur"].max()
    if not (mine["value_eur"] > 0).any():
        return (
            "not placed: none of its streams finds a partner in the park, in what the "
            "park's committed exchanges leave free"
        )
    if best <= 0:
        return (
            f"not placed: worth less than its land on every plot or group "
            f"(best net {best * money[0]:,.0f} {money[1]}/yr)"
        )
    return "not placed: the plots or park supplies it would use are worth more to other entrants"


def _exchanges(links: pd.DataFrame, table: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """The exchanges of the placements, at the amounts the assignment gives them."""
    share = links["share"]
    frame = pd.DataFrame(
        {
            "entrant": links["entrant"],
            "plots": table["plots"].reindex(links["option"]).to_numpy(),
            "stream": links["stream"],
            "direction": links["direction"],
            "partner": links["partner"].map(names).fillna(links["partner"]),
            "resource": links["resource"],
            "quantity": links["quantity"] * share,
            "replaces": links["replaces"],
            "replaced": links["replaced"] * share,
            "mode": links["mode"],
            "distance_km": links["distance_km"],
            "value_eur": links["value_eur"] * share,
            "connection_eur": links["connection_eur"] * share,
            "co2e_t": links["co2e_t"] * share,
        }
    )
    return frame.sort_values(["entrant", "value_eur"], ascending=[True, False]).reset_index(
        drop=True
    )


def _best_per_park(table: pd.DataFrame) -> pd.DataFrame:
    """Each entrant's best option alone in each park, the parks ranked by it."""
    best = table.sort_values(["entrant", "net_eur", "land_eur"], ascending=[True, False, True])
    best = best.drop_duplicates(["entrant", "park"]).copy()
    best["rank"] = best.groupby("entrant").cumcount() + 1
    columns = ["entrant", "rank", "park", "plots", "value_eur", "connection_eur", "land_eur"]
    return best[[*columns, "net_eur"]].reset_index(drop=True)


def _alternatives(
    table: pd.DataFrame,
    links: pd.DataFrame,
    taken: pd.Index,
    top: int,
    names: pd.Series,
    money: tuple[float, str],
) -> pd.DataFrame:
    """Each entrant's best options valued alone, ranked by net worth."""
    ranked = table.sort_values(["entrant", "net_eur", "land_eur"], ascending=[True, False, True])
    ranked = ranked.groupby("entrant", sort=False).head(top).copy()
    ranked["rank"] = ranked.groupby("entrant").cumcount() + 1
    ranked["chosen"] = ranked.index.isin(taken)
    shown = links[links["option"].isin(ranked.index)].assign(share=lambda f: f["alone"])
    by_option = dict(list(shown.groupby("option")))
    ranked["explanation"] = [
        _explain(by_option.get(o, shown.iloc[0:0]), money, names) for o in ranked.index
    ]
    columns = [
        "entrant",
        "rank",
        "park",
        "plots",
        "area_m2",
        "value_eur",
        "connection_eur",
        "land_eur",
        "net_eur",
        "co2e_t",
        "chosen",
        "explanation",
    ]
    return ranked[columns].reset_index(drop=True)


__all__ = ["Prepared", "SitingOptions", "SitingResult", "prepare_siting", "site", "solve_siting"]
