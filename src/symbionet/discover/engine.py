"""``discover``: candidate exchanges of a park, valued, ranked and explained."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rich.console import Console
from rich.progress import Progress

from symbionet.discover.candidates import Found, Matcher
from symbionet.discover.transport import Transport, load_defaults, value
from symbionet.discover.value import evaluate
from symbionet.errors import Problem, SymbionetError
from symbionet.register.catalogue import CLASSES, Catalogue
from symbionet.register.park import Park
from symbionet.units import convert

LARGE = 20_000  # streams from which a progress bar is shown
COLUMNS = [
    "supply",
    "demand",
    "supplier",
    "receiver",
    "resource",
    "quantity",
    "unit",
    "replaces",
    "replaced",
    "replaced_unit",
    "ratio",
    "share_of_demand",
    "mode",
    "route",
    "distance_km",
    "co2e_t",
    "freshwater_m3",
    "virgin_t",
    "waste_diverted",
    "receiver_saving_eur",
    "supplier_saving_eur",
    "transport_eur",
    "treatment_eur",
    "value_eur",
    "benefit_eur",
    "score",
    "internal",
    "existing",
    "status",
    "unverified",
    "conditions",
    "explanation",
]


def _fail(option: str, message: str) -> SymbionetError:
    return SymbionetError([Problem(option, None, None, message)])


def resource_filter(catalogue: Catalogue, resource: str | None) -> Callable[[str, str], bool]:
    """Keeps resource pairs where either side is of the class, or is the resource, named."""
    if resource is None:
        return lambda supply, demand: True
    if resource in CLASSES:
        return lambda supply, demand: (
            resource
            in {
                catalogue.resources[supply].resource_class,
                catalogue.resources[demand].resource_class,
            }
        )
    key = catalogue.resolve(resource)
    if key is None:
        near = [c for c in CLASSES if fuzz.ratio(resource.lower(), c) >= 75]
        close = ", ".join(dict.fromkeys(near + catalogue.suggest(resource)))
        raise _fail(
            "resource",
            f"{resource!r} is neither a class ({', '.join(CLASSES)}) nor a catalogue resource"
            + (f" (did you mean {close}?)" if close else ""),
        )
    return lambda supply, demand: key in {supply, demand}


@contextmanager
def _progress(show: bool, total: int) -> Iterator[Callable[[], None]]:
    if not show:
        yield lambda: None
        return
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("Matching resource pairs", total=total)
        yield lambda: bar.advance(task)


def discover(
    park: Park,
    *,
    top: int | None = None,
    max_km: float | None = None,
    resource: str | None = None,
    internal: bool = False,
    per_demand: int = 10,
    co2_price: float | None = None,
    progress: bool = False,
    method: Literal["index", "all_pairs"] = "index",
) -> pd.DataFrame:
    """Candidate exchanges from supply to demand streams, best first (see docs/discovery.md).

    ``top``: keep the best N; ``max_km``: farthest straight-line distance; ``resource``:
    a class (water, energy, material) or a resource that either side must be;
    ``internal``: include matches within one actor (flagged); ``per_demand``: nearest
    compatible supplies kept for each demand; ``co2_price``: EUR per t CO2e for ranking
    (default: the park's co2_price, else the reference price); ``progress``: a progress
    bar for large parks; ``method``: ``all_pairs`` checks every pair (a slow reference).
    """
    if top is not None and top < 0:
        raise _fail("top", f"must be 0 or more, not {top}")
    if max_km is not None and not max_km >= 0:
        raise _fail("max_km", f"must be 0 or more, not {max_km}")
    if per_demand < 1:
        raise _fail("per_demand", f"must be 1 or more, not {per_demand}")
    if co2_price is not None and not co2_price >= 0:
        raise _fail("co2_price", f"must be 0 or more, not {co2_price}")
    keep = resource_filter(park.catalogue, resource)
    defaults = load_defaults(park.catalogue, park.meta.get("transport"))
    if co2_price is None:
        own = float(park.meta.get("co2_price") or 0.0) * convert(1.0, park.currency, "EUR")
        co2_price = own or value(defaults.matching.reference_co2_price, "EUR/t")
    transport = Transport(
        defaults,
        park.catalogue,
        discount_rate=float(park.meta.get("discount_rate", 0.05)),
        electricity_eur_per_mwh=park.catalogue.price_eur("electricity") or 0.0,
        electricity_t_per_mwh=park.catalogue.emission_t("electricity") or 0.0,
    )
    matcher = Matcher(
        park, defaults, transport, internal=internal, per_demand=per_demand, max_km=max_km
    )
    pairs = matcher.live_pairs(keep)
    search = matcher.search if method == "index" else matcher.every_pair
    parts = []
    large = len(matcher.supplies) + len(matcher.demands) >= LARGE
    with _progress(progress and large, len(pairs)) as advance:
        for _, pair in pairs.iterrows():
            parts.append(search(pair))
            advance()
    found = Found.join(parts).nearest(per_demand)
    values = evaluate(park, matcher, transport, defaults, found, co2_price)
    benefit = values["benefit_eur"].to_numpy()
    order = np.lexsort((found.demand, found.supply, -benefit))[: top or None]
    scale = float(np.abs(benefit).max()) if len(benefit) else 0.0
    chosen = found.take(order)
    table = _table(park, matcher, chosen, values.iloc[order].reset_index(drop=True))
    table["score"] = table["benefit_eur"] / (scale or 1.0)
    table["unverified"] = _unverified(matcher, chosen)
    table["explanation"] = explain(table, park)
    table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
    table.attrs["candidates"] = len(benefit)
    return table[COLUMNS]


def _table(park: Park, matcher: Matcher, found: Found, values: pd.DataFrame) -> pd.DataFrame:
    """Candidates with their streams, actors, resources, values and flags."""
    supplies, demands, pairs = matcher.supplies, matcher.demands, matcher.pairs
    units = {key: entry.unit for key, entry in park.catalogue.resources.items()}
    s, d, p = found.supply, found.demand, found.pair
    table = pd.DataFrame(
        {
            "supply": supplies.index.to_numpy()[s],
            "demand": demands.index.to_numpy()[d],
            "supplier": supplies["actor"].to_numpy()[s],
            "receiver": demands["actor"].to_numpy()[d],
            "resource": pairs["supply"].to_numpy()[p],
            "quantity": found.amount,
            "replaces": pairs["demand"].to_numpy()[p],
            "ratio": pairs["ratio"].to_numpy()[p],
            "conditions": pairs["conditions"].to_numpy()[p],
            "distance_km": found.km,
        }
    )
    table["unit"] = table["resource"].map(units) + "/yr"
    table["replaced_unit"] = table["replaces"].map(units) + "/yr"
    table = pd.concat([table, values], axis=1)
    table["internal"] = table["supplier"] == table["receiver"]
    exchanges = park.exchanges
    current = exchanges[exchanges["status"] != "ended"]
    status = pd.Series(
        current["status"].to_numpy(),
        index=pd.MultiIndex.from_arrays([current["supply"], current["demand"]]),
    )
    status = status[~status.index.duplicated()]
    keys = pd.MultiIndex.from_arrays([table["supply"], table["demand"]])
    table["status"] = status.reindex(keys).to_numpy()
    table["existing"] = table["status"].notna()
    return table


def _unverified(matcher: Matcher, found: Found) -> np.ndarray:
    """The quality limits of each candidate that its supply states no value for."""
    labels = np.full(len(found.pair), "", dtype=object)
    for pair in np.unique(found.pair):
        rows = np.flatnonzero(found.pair == pair)
        demand = matcher.pairs.at[pair, "demand"]
        for column, _, unknown in matcher.quality(found.supply[rows], found.demand[rows], demand):
            flagged = rows[unknown]
            labels[flagged] = labels[flagged] + np.where(labels[flagged] == "", "", ", ") + column
    return labels


def amounts(values: pd.Series) -> np.ndarray:
    """Amounts to three significant figures, with thousands separators."""
    x = values.to_numpy(dtype=float)
    magnitude = np.floor(np.log10(np.where(np.isfinite(x) & (x != 0), np.abs(x), 1.0)))
    scale = 10.0 ** (magnitude - 2)
    rounded = np.round(x / scale) * scale
    decimals = np.clip(2 - magnitude, 0, None).astype(int)
    return np.array([f"{v:,.{k}f}" for v, k in zip(rounded, decimals, strict=True)], dtype=object)


def explain(table: pd.DataFrame, park: Park) -> pd.Series:
    """One line per candidate: who, what, how much, how, and what it saves."""
    names = park.actors["name"]
    step = 100_000  # rows explained at once, to bound the memory of the text columns
    lines = [_lines(table.iloc[i : i + step], names) for i in range(0, len(table), step)]
    return pd.concat(lines) if lines else pd.Series([], dtype=object)


def _lines(table: pd.DataFrame, names: pd.Series) -> pd.Series:
    fmt = amounts
    same = table["resource"] == table["replaces"]
    what = np.where(
        same,
        "",
        " for "
        + fmt(table["replaced"])
        + " "
        + table["replaced_unit"]
        + " of "
        + table["replaces"],
    )
    how = np.where(
        table["mode"] == "onsite",
        " on site",
        " by " + table["mode"] + " over " + table["distance_km"].map("{:.1f}".format) + " km",
    )
    share = np.where(
        table["share_of_demand"] < 0.995,
        "; meets " + (100 * table["share_of_demand"]).map("{:.0f}".format) + " % of the demand",
        "; meets the whole demand",
    )
    flags = np.where(table["internal"], "; within one actor", "") + np.where(
        table["existing"], "; exists (" + table["status"].fillna("") + ")", ""
    )
    unverified = np.where(
        table["unverified"] != "", "; supply does not state " + table["unverified"], ""
    )
    return (
        table["supplier"].map(names).fillna(table["supplier"])
        + " → "
        + table["receiver"].map(names).fillna(table["receiver"])
        + ": "
        + fmt(table["quantity"])
        + " "
        + table["unit"]
        + " of "
        + table["resource"]
        + what
        + how
        + share
        + "; saves "
        + fmt(table["co2e_t"])
        + " t CO2e and "
        + fmt(table["value_eur"])
        + " EUR a year"
        + unverified
        + flags
    )
