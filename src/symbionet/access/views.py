"""Results as one partner or the public may see them.

The secretariat sees every result whole. A partner sees only the candidates that involve
it, with the other side anonymised until both sides agree to be revealed; the public sees
the park's totals and its exchanges by resource, never one partner's confidential figure.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from symbionet.assessment.accounting import ImpactResult
from symbionet.discovery.engine import DiscoveryResult
from symbionet.register.park import Park
from symbionet.results import Result, plain
from symbionet.units import convert

#: columns of a partner's candidate table
COLUMNS = [
    "supply",
    "demand",
    "role",
    "partner",
    "partner_name",
    "revealed",
    "resource",
    "quantity",
    "unit",
    "replaces",
    "mode",
    "distance_km",
    "co2e_t",
    "value_eur",
    "existing",
    "status",
    "explanation",
]

#: fewest exchanges with a confidential stream behind a published total
MIN_CONFIDENTIAL = 3


def about(value: float) -> float:
    """``value`` to one significant figure, two when its first digit is 1 (38,700 -> 40,000,
    14,300 -> 14,000), halves rounded away from zero: at most 20 % off."""
    if value == 0 or not math.isfinite(value):
        return 0.0
    magnitude = math.floor(math.log10(abs(value)))
    digits = 2 if abs(value) < 2 * 10**magnitude else 1
    step = 10.0 ** (magnitude - digits + 1)
    return math.copysign(math.floor(abs(value) / step + 0.5) * step, value)


def about_km(distance: float) -> float:
    """A distance to the nearest km below 10 km, 5 km below 50 km, 10 km beyond; 1 km at
    least (2.3 -> 2, 23 -> 25, 123 -> 120)."""
    step = 1 if distance < 9.5 else 5 if distance < 47.5 else 10
    return float(max(1, math.floor(distance / step + 0.5) * step))


def figure(value: float) -> str:
    """A rounded figure as text, with thousands separators (40,000; 0.3)."""
    return f"{value:,.0f}" if abs(value) >= 1 or value == 0 else f"{value:.2g}"


def anonymous(row: Mapping[str, Any], role: str, currency: str = "EUR") -> str:
    """The sentence a partner reads about a candidate whose other side is not revealed
    (never on its own site: a site belongs to one actor), its value in ``currency``."""
    per_eur = 1.0 if currency == "EUR" else convert(1.0, "EUR", currency)
    verb = "take" if role == "supplier" else "supply"
    replaces = "" if row["replaces"] == row["resource"] else f" for {row['replaces']}"
    return (
        f"a partner about {figure(row['distance_km'])} km away could {verb} about "
        f"{figure(row['quantity'])} {row['unit']} of "
        f"{row['resource']}{replaces}; saves about {figure(row['co2e_t'])} t CO2e and "
        f"{figure(row['value_eur'] * per_eur)} {currency} a year"
    )


def candidates_for(
    result: DiscoveryResult,
    park: Park,
    actor: str,
    opted_in: Mapping[str, Collection[tuple[str, str]]],
) -> pd.DataFrame:
    """The candidates that involve ``actor``, as it may see them, numbered from 1.

    ``opted_in`` holds, for each actor, the (supply, demand) candidates it agrees to be
    revealed on. A candidate is revealed to both sides once both have agreed (a match
    within one actor always is); until then the other side's actor, name and stream are
    left out, whether its stream is confidential or not, and the quantity, CO2e and
    value (in the park's currency) are rounded by :func:`about`, the distance by
    :func:`about_km`, and the
    explanation is a sentence without the other party. Other candidates, their number and
    ranks (and the scores they set) never show.
    """
    park.visible_to(actor)  # an unknown actor is refused
    table = result.candidates
    mine = table[(table["supplier"] == actor) | (table["receiver"] == actor)]
    names = park.actors["name"]
    per_eur = 1.0 if park.currency == "EUR" else convert(1.0, "EUR", park.currency)
    rows = []
    for _, row in mine.iterrows():
        role = "supplier" if row["supplier"] == actor else "receiver"
        other = row["receiver"] if role == "supplier" else row["supplier"]
        pair = (str(row["supply"]), str(row["demand"]))
        revealed = other == actor or all(
            pair in opted_in.get(side, ()) for side in (actor, str(other))
        )
        shown = {c: row[c] for c in COLUMNS if c in row.index}
        shown |= {"role": role, "revealed": revealed}
        if revealed:
            shown |= {"partner": other, "partner_name": names.get(other, other)}
        else:
            shown |= {
                "partner": None,
                "partner_name": None,
                "supply" if role == "receiver" else "demand": None,
                "quantity": about(row["quantity"]),
                "distance_km": about_km(row["distance_km"]),
                "co2e_t": about(row["co2e_t"]),
                "value_eur": about(row["value_eur"] * per_eur) / per_eur,
            }
            shown["explanation"] = anonymous(shown, role, park.currency)
        rows.append(shown)
    view = pd.DataFrame(rows, columns=COLUMNS)
    view.index = pd.RangeIndex(1, len(view) + 1, name="number")
    return view


@dataclass(frozen=True)
class PublicView(Result):
    """What the public sees: the park's key figures and its exchanges by resource; a
    withheld figure is NaN."""

    figures: pd.DataFrame
    exchanges: pd.DataFrame
    main_table = "figures"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON, each table keyed by its figure or resource; withheld is null."""
        return {name: plain(table.to_dict(orient="index")) for name, table in self.tables().items()}


def public_view(park: Park, impact: ImpactResult) -> PublicView:
    """The park's published totals (central, low, high) and its counted exchanges summed by
    resource (number, amount, unit, CO2e).

    A total is published when none of the exchanges behind it draws on a confidential
    stream, or when at least :data:`MIN_CONFIDENTIAL` such exchanges do, so that no
    partner can single out another's confidential amount from it, its own and the open
    ones; otherwise it is withheld. No partner is named.
    """
    exchanges = impact.exchanges
    streams = park.streams
    confidential = streams.index[streams["confidential"].fillna(False).astype(bool)]
    links = park.exchanges.loc[exchanges.index]
    secret = (links["supply"].isin(confidential) | links["demand"].isin(confidential)).to_numpy()

    def withheld(behind: pd.DataFrame) -> np.ndarray:
        """Whether each column sums one or two confidential exchanges' figures."""
        counts = (behind.to_numpy() != 0)[secret].sum(axis=0)
        return (counts > 0) & (counts < MIN_CONFIDENTIAL)

    figures = impact.park.copy()
    figures.loc[withheld(exchanges[list(figures.index)]), :] = np.nan
    grouped = exchanges.groupby("resource", observed=True, sort=True)
    by_resource = pd.DataFrame(
        {
            "exchanges": grouped.size(),
            "amount": grouped["amount"].sum(),
            "unit": grouped["unit"].first(),
            "co2e_t": grouped["co2e_t"].sum(),
        }
    )
    amounts = pd.get_dummies(exchanges["resource"].astype(str)).mul(exchanges["amount"], axis=0)
    by_resource.loc[withheld(amounts[list(by_resource.index)]), ["amount", "co2e_t"]] = np.nan
    return PublicView(figures=figures, exchanges=by_resource)


__all__ = [
    "COLUMNS",
    "MIN_CONFIDENTIAL",
    "PublicView",
    "about",
    "about_km",
    "anonymous",
    "candidates_for",
    "figure",
    "public_view",
]
