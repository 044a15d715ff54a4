"""``discover``: candidate exchanges of a park, valued, ranked and explained."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from symbionet.discovery.candidates import Found, Matcher
from symbionet.discovery.explain import explain
from symbionet.discovery.transport import Defaults, Transport, load_defaults, value
from symbionet.discovery.value import evaluate
from symbionet.errors import invalid
from symbionet.options import options_from
from symbionet.progress import Progress, silent
from symbionet.register.catalogue import CLASSES, Catalogue
from symbionet.register.estimates import estimate_labels
from symbionet.register.magnitudes import check_magnitudes
from symbionet.register.park import CLOSED, Park
from symbionet.results import Result
from symbionet.units import convert

PROGRESS_EVERY = 1_000  # resource pairs between progress reports
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
    "route_km",
    "co2e_t",
    "freshwater_m3",
    "groundwater_m3",
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
    "estimated",
    "conditions",
    "explanation",
]


@dataclass(frozen=True)
class DiscoverOptions:
    """How to search for candidate exchanges.

    ``top``: keep the best N (None: all); ``max_km``: farthest straight-line distance;
    ``resource``: a class (water, energy, material) or a resource that either side must
    be; ``internal``: include matches within one actor (flagged); ``per_demand``: nearest
    compatible supplies kept for each demand; ``co2_price``: EUR per t CO2e for ranking
    (None: the park's co2_price, else the reference price); ``method``: ``all_pairs``
    checks every pair (a slow reference); ``blend``: also keep water above a demand's
    (positive) ppm limit, for the share of the demand it can make up blended with clean
    water (its conditions say ``blend``).
    """

    top: int | None = None
    max_km: float | None = None
    resource: str | None = None
    internal: bool = False
    per_demand: int = 10
    co2_price: float | None = None
    method: Literal["index", "all_pairs"] = "index"
    blend: bool = False

    def __post_init__(self) -> None:
        if self.top is not None and self.top < 0:
            raise invalid("top", f"must be 0 or more, not {self.top}")
        if self.max_km is not None and not self.max_km >= 0:
            raise invalid("max_km", f"must be 0 or more, not {self.max_km}")
        if self.per_demand < 1:
            raise invalid("per_demand", f"must be 1 or more, not {self.per_demand}")
        if self.co2_price is not None and not self.co2_price >= 0:
            raise invalid("co2_price", f"must be 0 or more, not {self.co2_price}")
        if self.method not in ("index", "all_pairs"):
            raise invalid("method", f"must be index or all_pairs, not {self.method!r}")


@dataclass
class DiscoveryResult(Result):
    """Candidate exchanges, best first (indexed by rank), and how many were found before
    the best ``top`` were kept."""

    candidates: pd.DataFrame
    found: int
    options: DiscoverOptions = field(default_factory=DiscoverOptions)
    main_table = "candidates"


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
        raise invalid(
            "resource",
            f"{resource!r} is neither a class ({', '.join(CLASSES)}) nor a catalogue resource"
            + (f" (did you mean {close}?)" if close else ""),
        )
    return lambda supply, demand: key in {supply, demand}


@dataclass(frozen=True)
class Search:
    """A park's matcher, with the transport, defaults and CO2 price it values candidates at."""

    park: Park
    options: DiscoverOptions
    keep: Callable[[str, str], bool]
    matcher: Matcher
    transport: Transport
    defaults: Defaults
    co2_price: float


def prepare(park: Park, options: DiscoverOptions) -> Search:
    """What discovery in ``park`` needs: its matcher, transport and ranking CO2 price."""
    keep, co2_price = resource_filter(park.catalogue, options.resource), options.co2_price
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
        country=park.meta.get("country"),
    )
    matcher = Matcher(
        park,
        defaults,
        transport,
        internal=options.internal,
        per_demand=options.per_demand,
        max_km=options.max_km,
        blend=options.blend,
    )
    return Search(park, options, keep, matcher, transport, defaults, co2_price)


def find(search: Search, progress: Progress = silent) -> Found:
    """The ``per_demand`` nearest compatible supplies of each demand."""
    matcher, options = search.matcher, search.options
    pairs = matcher.live_pairs(search.keep)
    look = matcher.search if options.method == "index" else matcher.every_pair
    parts = []
    for done, (_, pair) in enumerate(pairs.iterrows()):
        if done % PROGRESS_EVERY == 0:
            progress("matching resource pairs", done, len(pairs))
        parts.append(look(pair))
    progress("matching resource pairs", len(pairs), len(pairs))
    return Found.join(parts).nearest(options.per_demand)


def tabulate(search: Search, found: Found) -> tuple[pd.DataFrame, int, float]:
    """The best ``top`` of ``found`` valued and explained, best first (ties: supply, then
    demand, in stream order), without their score; how many were found; the largest
    absolute benefit among them."""
    park, matcher, options = search.park, search.matcher, search.options
    values = evaluate(park, matcher, search.transport, search.defaults, found, search.co2_price)
    benefit = values["benefit_eur"].to_numpy()
    order = np.lexsort((found.demand, found.supply, -benefit))[: options.top or None]
    scale = float(np.abs(benefit).max()) if len(benefit) else 0.0
    chosen = found.take(order)
    table = _table(park, matcher, chosen, values.iloc[order].reset_index(drop=True))
    table["unverified"] = _unverified(matcher, chosen)
    if options.blend:
        table["conditions"] = _blend_conditions(matcher, chosen, table["conditions"])
    table["explanation"] = explain(table, park.actors["name"])
    return table, len(benefit), scale


def ranked(
    table: pd.DataFrame, found: int, scale: float, options: DiscoverOptions
) -> DiscoveryResult:
    """Candidates scored against the largest absolute benefit ``scale``, indexed by rank."""
    table["score"] = table["benefit_eur"] / (scale or 1.0)
    table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
    return DiscoveryResult(table[COLUMNS], found, options)


def discover(
    park: Park,
    options: DiscoverOptions | None = None,
    *,
    progress: Progress = silent,
    executor: Executor | None = None,
    regions: int | None = None,
    **overrides: Any,
) -> DiscoveryResult:
    """Candidate exchanges from supply to demand streams, best first, as ``options`` say
    (see :class:`DiscoverOptions` and docs/discovery.md; keyword arguments override single
    options). ``progress`` receives (message, steps done, steps to do). ``regions``: the
    park split into that many regions, each searched as one task on ``executor`` (see
    :func:`symbionet.discovery.regions.discover_regions`); the same answer."""
    options = options_from(DiscoverOptions, options, overrides)
    check_magnitudes(park)
    if regions is not None:
        from symbionet.discovery.regions import discover_regions

        return discover_regions(park, options, regions, executor=executor, progress=progress)
    search = prepare(park, options)
    return ranked(*tabulate(search, find(search, progress)), options)


def _categories(values: pd.Series, rows: np.ndarray) -> pd.Categorical:
    """``values`` (one per resource pair or stream) taken at ``rows``, as categories."""
    codes, labels = pd.factorize(values)
    return pd.Categorical.from_codes(codes[rows], categories=labels)


def _table(park: Park, matcher: Matcher, found: Found, values: pd.DataFrame) -> pd.DataFrame:
    """Candidates with their streams, actors, resources, values and flags."""
    supplies, demands, pairs = matcher.supplies, matcher.demands, matcher.pairs
    s, d, p = found.supply, found.demand, found.pair
    units = pairs[["supply", "demand"]].map(lambda r: park.catalogue.resources[r].unit + "/yr")
    actor_s, actor_d = matcher.actor_s[s], matcher.actor_d[d]
    table = pd.DataFrame(
        {
            "supply": pd.Categorical.from_codes(s, categories=supplies.index),
            "demand": pd.Categorical.from_codes(d, categories=demands.index),
            "supplier": pd.Categorical.from_codes(actor_s, categories=matcher.actor_ids),
            "receiver": pd.Categorical.from_codes(actor_d, categories=matcher.actor_ids),
            "resource": _categories(pairs["supply"], p),
            "quantity": found.amount,
            "unit": _categories(units["supply"], p),
            "replaces": _categories(pairs["demand"], p),
            "replaced_unit": _categories(units["demand"], p),
            "ratio": pairs["ratio"].to_numpy()[p],
            "conditions": _categories(pairs["conditions"], p),
            "distance_km": found.km,
            "internal": actor_s == actor_d,
        }
    )
    table = pd.concat([table, values], axis=1)
    for column in ("mode", "route"):
        table[column] = pd.Categorical(table[column])
    exchanges = park.exchanges[park.exchanges["status"] != "ended"]
    at_s = supplies.index.get_indexer(exchanges["supply"])
    at_d = demands.index.get_indexer(exchanges["demand"])
    known = (at_s >= 0) & (at_d >= 0)
    status = pd.Series(
        exchanges["status"].to_numpy()[known],
        index=at_s[known].astype(np.int64) * len(demands) + at_d[known],
    )
    status = status[~status.index.duplicated()]
    table["status"] = status.reindex(s.astype(np.int64) * len(demands) + d).to_numpy()
    table["existing"] = table["status"].notna() & ~table["status"].isin(CLOSED)
    table["estimated"] = estimate_labels(park, table["supply"], table["demand"])
    return table


def _blend_conditions(matcher: Matcher, found: Found, conditions: pd.Series) -> pd.Series:
    """Conditions, with the blend a candidate needs to stay within its demand's ppm limits."""
    share = matcher.blend_share(found.supply, found.demand)
    blend = pd.Series(
        [f"blend: at most {100 * x:.3g} % of the demand, the rest clean water" for x in share],
        index=conditions.index,
    )
    return blend.where(share < 1, conditions.astype(str))


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


__all__ = [
    "COLUMNS",
    "PROGRESS_EVERY",
    "DiscoverOptions",
    "DiscoveryResult",
    "Search",
    "discover",
    "find",
    "prepare",
    "ranked",
    "resource_filter",
    "tabulate",
]
