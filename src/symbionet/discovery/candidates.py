"""Candidate exchanges: which supply could meet which demand, and how much of it.

A supply can meet a demand when the catalogue says its resource is the same or a
substitute, its quality fits the demand's limits, some transport mode carries it over the
distance between the sites, and the two overlap in time. Candidates come from a spatial
index queried per pair of resources, with the compatibility rules applied to whole arrays
of pairs at once; each demand keeps its ``per_demand`` nearest compatible supplies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from symbionet.discovery.transport import Defaults, Transport, places, value
from symbionet.register.catalogue import Catalogue
from symbionet.register.park import Park

EARTH_RADIUS_KM = 6371.0088
QUALITY = ("temperature_c", "pressure_bar", "purity")
_CHUNK = 4_000_000  # cells of a pairs × periods block when overlapping profiles


def haversine_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in km between points given in degrees."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = phi2 - phi1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, for a spatial index in which chords order like distances."""
    phi, lmb = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lmb), np.cos(phi) * np.sin(lmb), np.sin(phi)])


def resource_pairs(catalogue: Catalogue) -> pd.DataFrame:
    """Every (supplied, demanded) resource pair that can match, with the substitution ratio."""
    rows = [(r, r, 1.0, "same resource", "") for r in catalogue.resources]
    rows += [
        (r, sub.resource, sub.ratio, sub.conditions, sub.ref)
        for r, entry in catalogue.resources.items()
        for sub in entry.substitutes
    ]
    return pd.DataFrame(rows, columns=["supply", "demand", "ratio", "conditions", "ref"])


def stream_sides(park: Park) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Supplies and demands with a positive amount, with their site, actor and quality.

    A supply's quality is its stream's value, else its resource's typical value; a
    demand's is what its stream states (a limit or a need), else none.
    """
    streams = park.streams[park.streams["annual_quantity"].fillna(0) > 0]
    sites = park.sites.reindex(streams["site"])
    quality = [c for c in streams.columns if c in QUALITY or c.startswith("ppm_")]
    frame = pd.DataFrame(
        {
            "site": streams["site"].to_numpy(),
            "actor": sites["actor"].to_numpy(),
            "lat": sites["lat"].to_numpy(dtype=float),
            "lon": sites["lon"].to_numpy(dtype=float),
            "port": sites["port"].fillna(False).to_numpy(dtype=bool),
            "rail": sites["rail"].fillna(False).to_numpy(dtype=bool),
            "direction": streams["direction"].to_numpy(),
            "resource": streams["resource"].to_numpy(),
            "amount": streams["annual_quantity"].to_numpy(dtype=float),
            "profile": streams["profile"].to_numpy(),
            "route": streams["fate"].where(streams["direction"] == "supply", streams["source"]),
            "price": streams["price"].to_numpy(dtype=float),
        },
        index=streams.index,
    )
    for column in quality:
        frame[column] = streams[column].to_numpy(dtype=float)
    supplies = frame[frame["direction"] == "supply"].copy()
    for column in quality:
        typical = {
            key: entry.typical[column]
            for key, entry in park.catalogue.resources.items()
            if column in entry.typical
        }
        supplies[column] = supplies[column].fillna(supplies["resource"].map(typical))
    return supplies, frame[frame["direction"] == "demand"].copy()


def profile_shares(park: Park, names: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each stream's profile as shares of its year (rows of a matrix; the last row is flat)."""
    profiles = park.profiles.fillna(0.0).astype(float)
    columns = list(profiles.columns)
    periods = max(len(profiles), 1)
    shares = np.full((len(columns) + 1, periods), 1.0 / periods)
    if columns:
        matrix = profiles.to_numpy().T
        shares[:-1] = matrix / matrix.sum(axis=1, keepdims=True)
    lookup = {name: i for i, name in enumerate(columns)}
    rows = names.map(lookup).fillna(len(columns)).to_numpy(dtype=np.int64)
    return shares, rows


@dataclass
class Found:
    """Candidate pairs as arrays: positions in the supply and demand tables, and amounts."""

    supply: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    demand: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pair: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    km: np.ndarray = field(default_factory=lambda: np.zeros(0))
    amount: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def take(self, rows: np.ndarray) -> Found:
        return Found(
            *(getattr(self, n)[rows] for n in ("supply", "demand", "pair", "km", "amount"))
        )

    @staticmethod
    def join(parts: list[Found]) -> Found:
        if not parts:
            return Found()
        names = ("supply", "demand", "pair", "km", "amount")
        return Found(*(np.concatenate([getattr(p, n) for p in parts]) for n in names))

    def nearest(self, per_demand: int) -> Found:
        """The ``per_demand`` nearest candidates of each demand (ties: first supply first)."""
        order = np.lexsort((self.pair, self.supply, self.km, self.demand))
        ranked = self.take(order)
        starts = np.flatnonzero(np.r_[True, ranked.demand[1:] != ranked.demand[:-1]])
        sizes = np.diff(np.r_[starts, len(ranked.demand)])
        rank = np.arange(len(ranked.demand)) - np.repeat(starts, sizes)
        return ranked.take(np.flatnonzero(rank < per_demand))


class Matcher:
    """Finds candidates between a park's supplies and demands under the matching rules."""

    def __init__(
        self,
        park: Park,
        defaults: Defaults,
        transport: Transport,
        *,
        internal: bool = False,
        per_demand: int = 10,
        max_km: float | None = None,
        blend: bool = False,
    ):
        self.supplies, self.demands = stream_sides(park)
        self.blend = blend
        self.pairs = resource_pairs(park.catalogue)
        self.transport = transport
        self.internal, self.per_demand, self.max_km = internal, per_demand, max_km
        self.catalogue = park.catalogue
        matching = defaults.matching
        self.heat_approach = value(matching.heat_approach, "K")
        self.cooling_approach = value(matching.cooling_approach, "K")
        self.storable_classes = set(matching.storable_classes)
        self.storable_groups = set(matching.storable_groups)
        actors, self.actor_ids = pd.factorize(
            pd.concat([self.supplies["actor"], self.demands["actor"]])
        )
        sites = pd.factorize(pd.concat([self.supplies["site"], self.demands["site"]]))[0]
        n = len(self.supplies)
        self.actor_s, self.actor_d = actors[:n], actors[n:]
        self.site_s, self.site_d = sites[:n], sites[n:]
        self.xyz_s = unit_vectors(self.supplies["lat"].to_numpy(), self.supplies["lon"].to_numpy())
        self.xyz_d = unit_vectors(self.demands["lat"].to_numpy(), self.demands["lon"].to_numpy())
        self.codes_s = transport.code(self.supplies["resource"].to_numpy())
        where = ["lat", "lon", "port", "rail"]
        both = pd.concat([self.supplies[where], self.demands[where]])
        first = np.unique(sites, return_index=True)[1]
        at = places(*(both[c].to_numpy()[first] for c in where))
        self.places_s, self.places_d = at.take(self.site_s), at.take(self.site_d)
        self.shares, self.profile_s = profile_shares(park, self.supplies["profile"])
        self.profile_d = profile_shares(park, self.demands["profile"])[1]
        self.flat = len(self.shares) - 1
        self._trees: dict[str, tuple[np.ndarray, cKDTree]] = {}
        self.by_resource_s = self._positions(self.supplies)
        self.by_resource_d = self._positions(self.demands)

    @staticmethod
    def _positions(frame: pd.DataFrame) -> dict[str, np.ndarray]:
        codes, names = pd.factorize(frame["resource"])
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
        return {name: order[bounds[i] : bounds[i + 1]] for i, name in enumerate(names)}

    def live_pairs(self, keep: Callable[[str, str], bool] = lambda s, d: True) -> pd.DataFrame:
        """Resource pairs with both a supply and a demand in the park (and kept by ``keep``)."""
        pairs = self.pairs
        live = pairs["supply"].isin(list(self.by_resource_s)) & pairs["demand"].isin(
            list(self.by_resource_d)
        )
        chosen = [bool(keep(s, d)) for s, d in zip(pairs["supply"], pairs["demand"], strict=True)]
        return pairs[live & np.array(chosen, dtype=bool)]

    def radius_km(self, supply_resource: str) -> float:
        reach = self.transport.reach_km(supply_resource)
        return reach if self.max_km is None else min(reach, self.max_km)

    # --- the rules ---------------------------------------------------------------------

    def quality(
        self, s: np.ndarray, d: np.ndarray, demand_resource: str
    ) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        """(attribute, fails, unverified) for each quality rule that applies to the pairs.

        A demand's ppm_x is the most it accepts and its purity the least; a heat demand
        needs supply at its temperature plus the minimum approach, a cooling demand cold
        at its temperature minus the cooling approach, a steam demand at least its
        pressure and temperature. A rule is unverified where the demand states a limit
        and the supply's value is unknown. With ``blend``, a supply above a demand's
        positive ppm limit passes: clean water blended in keeps the mixture within it.
        """
        supplies, demands = self.supplies, self.demands
        group = self.catalogue.resources[demand_resource].group
        limits = [(c, "most", 0.0) for c in demands.columns if c.startswith("ppm_")]
        limits.append(("purity", "least", 0.0))
        if group == "heat":
            limits.append(("temperature_c", "least", self.heat_approach))
        elif group == "cooling":
            limits.append(("temperature_c", "most", -self.cooling_approach))
        elif group == "steam":
            limits += [("pressure_bar", "least", 0.0), ("temperature_c", "least", 0.0)]
        for column, sense, margin in limits:
            if column not in demands or not demands[column].notna().any():
                continue
            need = demands[column].to_numpy()[d] + margin
            have = supplies[column].to_numpy()[s] if column in supplies else np.full(len(s), np.nan)
            stated = ~np.isnan(need)
            fails = stated & ((have > need) if sense == "most" else (have < need))
            if self.blend and column.startswith("ppm_"):
                fails &= need <= 0
            yield column, fails, stated & np.isnan(have)

    def blend_share(self, s: np.ndarray, d: np.ndarray) -> np.ndarray:
        """The most of each demand its supply can make up, blended with clean water (0 ppm)
        to stay within the demand's ppm limits: 1 where the supply meets them as it is."""
        share = np.ones(len(s))
        for column in self.demands.columns:
            if column.startswith("ppm_") and column in self.supplies:
                limit = self.demands[column].to_numpy()[d]
                have = self.supplies[column].to_numpy()[s]
                over = have > limit
                share[over] = np.minimum(share[over], limit[over] / have[over])
        return share

    def storable(self, resource: str) -> bool:
        entry = self.catalogue.resources[resource]
        return entry.resource_class in self.storable_classes or entry.group in self.storable_groups

    def matched(self, s: np.ndarray, d: np.ndarray, ratio: float, storable: bool) -> np.ndarray:
        """Supply amount (canonical units a year) that can meet each demand.

        The smaller of the supply and the supply the demand needs (the share of it that a
        blend may hold); when either stream has a time profile and the resource cannot be
        stored, the sum over periods of the smaller of the two shares.
        """
        have = self.supplies["amount"].to_numpy()[s]
        need = self.demands["amount"].to_numpy()[d] / ratio * self.blend_share(s, d)
        amount = np.minimum(have, need)
        if storable or self.flat == 0:
            return amount
        timed = np.flatnonzero((self.profile_s[s] != self.flat) | (self.profile_d[d] != self.flat))
        step = max(1, _CHUNK // self.shares.shape[1])
        for start in range(0, len(timed), step):
            rows = timed[start : start + step]
            supplied = have[rows, None] * self.shares[self.profile_s[s[rows]]]
            needed = need[rows, None] * self.shares[self.profile_d[d[rows]]]
            amount[rows] = np.minimum(supplied, needed).sum(axis=1)
        return amount

    def check(self, s: np.ndarray, d: np.ndarray, pair: pd.Series, km: np.ndarray) -> Found:
        """The compatible pairs among (s, d) of one resource pair, with matched amounts."""
        keep = self.transport.possible(
            self.codes_s[s],
            km,
            self.site_s[s] == self.site_d[d],
            self.places_s.take(s),
            self.places_d.take(d),
        )
        if not self.internal:
            keep &= self.actor_s[s] != self.actor_d[d]
        for _, fails, _ in self.quality(s, d, pair["demand"]):
            keep &= ~fails
        s, d, km = s[keep], d[keep], km[keep]
        amount = self.matched(s, d, pair["ratio"], self.storable(pair["supply"]))
        timed = amount > 0
        index = np.full(int(timed.sum()), pair.name, dtype=np.int64)
        return Found(s[timed], d[timed], index, km[timed], amount[timed])

    # --- the search --------------------------------------------------------------------

    def _tree(self, resource: str) -> tuple[np.ndarray, cKDTree]:
        if resource not in self._trees:
            positions = self.by_resource_s[resource]
            self._trees[resource] = (
                positions,
                cKDTree(self.xyz_s[positions], balanced_tree=False, compact_nodes=False),
            )
        return self._trees[resource]

    def _distance(self, s: np.ndarray, d: np.ndarray) -> np.ndarray:
        sup, dem = self.supplies, self.demands
        return haversine_km(
            sup["lat"].to_numpy()[s],
            sup["lon"].to_numpy()[s],
            dem["lat"].to_numpy()[d],
            dem["lon"].to_numpy()[d],
        )

    def search(self, pair: pd.Series) -> Found:
        """Candidates of one resource pair through the spatial index.

        Each demand asks for its ``per_demand + 1`` nearest supplies within reach. Where
        fewer than ``per_demand`` of them are compatible, or the farthest kept is as far
        as the farthest asked (a tie at the cut), and more lie within reach, it asks again
        for four times as many.
        """
        positions, tree = self._tree(pair["supply"])
        demands = self.by_resource_d[pair["demand"]]
        radius = self.radius_km(pair["supply"])
        chord = 2 * np.sin(min(radius / EARTH_RADIUS_KM, np.pi) / 2) * (1 + 1e-9) + 1e-12
        # one more than kept, so that a tie at the cut shows as the farthest kept reaching
        # the farthest asked
        parts, todo, k = [], np.arange(len(demands)), self.per_demand + 1
        while len(todo):
            k = min(k, len(positions))
            gaps, nearest = tree.query(self.xyz_d[demands[todo]], k=k, distance_upper_bound=chord)
            nearest, gaps = nearest.reshape(len(todo), k), gaps.reshape(len(todo), k)
            within = nearest < len(positions)
            s, d = positions[nearest[within]], demands[np.repeat(todo, k)[within.ravel()]]
            km = self._distance(s, d)
            close = km <= radius
            found = self.check(s[close], d[close], pair, km[close]).nearest(self.per_demand)
            local = np.searchsorted(demands, found.demand)  # positions come sorted
            counts = np.bincount(local, minlength=len(demands))[todo]
            farthest = np.zeros(len(demands))
            np.maximum.at(farthest, local, found.km)
            asked = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(gaps[:, -1], 2.0) / 2)
            tied = farthest[todo] >= asked * (1 - 1e-9)
            more = within[:, -1] & (k < len(positions)) & ((counts < self.per_demand) | tied)
            again = np.zeros(len(demands), dtype=bool)
            again[todo[more]] = True
            parts.append(found.take(np.flatnonzero(~again[local])))
            todo, k = todo[more], k * 4
        return Found.join(parts).nearest(self.per_demand)

    def every_pair(self, pair: pd.Series) -> Found:
        """Candidates of one resource pair by checking every supply against every demand."""
        positions = self.by_resource_s[pair["supply"]]
        demands = self.by_resource_d[pair["demand"]]
        s = np.tile(positions, len(demands))
        d = np.repeat(demands, len(positions))
        km = self._distance(s, d)
        close = km <= self.radius_km(pair["supply"])
        return self.check(s[close], d[close], pair, km[close]).nearest(self.per_demand)
