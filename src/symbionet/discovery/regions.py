"""Discovery split by region, on any executor, with the same answer as one process.

The park's streams are split into regions of about as many streams each, by a k-d split of
their sites' positions as unit vectors (in which chords order like great-circle distances).
Each region is one task: a small park of its own demands and of the supplies within a halo
around its cell, searched as ``discover`` searches a whole park. A candidate belongs to its
demand's region, so one across a border is found once.

A supply left out of a region's park lies farther from each of its demands than the halo's
width plus the demand's depth inside the cell. A demand is settled when every supply that
could meet it lies within that distance (its reach ends inside), or when it has its
``per_demand`` candidates and all of them lie nearer: nothing left out could displace them.
The few unsettled demands (a truck or ship reach, sparse supplies) are searched again
against every supply of the resources that can meet them. Candidates are ranked, tied and
scored once, after the merge, as in one process.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import overload

import numpy as np
import pandas as pd

from symbionet.discovery.candidates import EARTH_RADIUS_KM, Found, unit_vectors
from symbionet.discovery.engine import (
    DiscoverOptions,
    DiscoveryResult,
    Search,
    find,
    prepare,
    ranked,
    tabulate,
)
from symbionet.errors import invalid
from symbionet.executors import run_tasks
from symbionet.progress import Progress, silent
from symbionet.register.park import Park

#: The halo (km) by default, or the longest reach if shorter: demands that reach farther
#: settle on their nearest candidates, found within it where supplies are dense.
HALO_KM = 10.0

#: Relative slack that keeps a settled demand settled under rounding of distances.
_SLACK = 1e-9


@dataclass(frozen=True)
class Region:
    """A task: a park of some demands and the supplies around them, and for each demand
    (in the park's order) the distance in km within which every supply is in the park."""

    park: Park
    options: DiscoverOptions
    room_km: np.ndarray


@dataclass(frozen=True)
class Outcome:
    """A region's candidates of its settled demands (the best ``top``, unscored), how many
    it found, their largest absolute benefit, and the ids of its unsettled demands."""

    table: pd.DataFrame
    found: int
    scale: float
    unsettled: pd.Index


@dataclass(frozen=True)
class Layout:
    """A park's streams, sites, actors and exchanges linked by position: which streams
    discovery matches, where they are, and the park of any of them."""

    park: Park
    site: np.ndarray  # each stream's site
    actor: np.ndarray  # each site's actor
    ends: np.ndarray  # each exchange's supply and demand streams (-1: not in the park)
    xyz: np.ndarray  # each site's unit vector
    supply: np.ndarray  # the streams matched as supplies, as discovery's matcher keeps them
    demand: np.ndarray  # and as demands

    @classmethod
    def of(cls, park: Park) -> Layout:
        streams, sites = park.streams, park.sites
        ends = [streams.index.get_indexer(park.exchanges[side]) for side in ("supply", "demand")]
        positive = (streams["annual_quantity"].fillna(0) > 0).to_numpy(dtype=bool)
        return cls(
            park,
            sites.index.get_indexer(streams["site"]),
            park.actors.index.get_indexer(sites["actor"]),
            np.column_stack(ends),
            unit_vectors(sites["lat"].to_numpy(dtype=float), sites["lon"].to_numpy(dtype=float)),
            positive & (streams["direction"] == "supply").to_numpy(dtype=bool),
            positive & (streams["direction"] == "demand").to_numpy(dtype=bool),
        )

    def cut(self, rows: np.ndarray) -> Park:
        """The park of the streams at ``rows`` (positions, ascending), with their sites and
        actors, the exchanges between them and every profile."""
        park = self.park
        chosen = np.zeros(len(park.streams) + 1, dtype=bool)  # the last: no stream
        chosen[rows] = True
        sites = np.unique(self.site[rows])
        frames = {
            "actors": park.actors.iloc[np.unique(self.actor[sites])],
            "sites": park.sites.iloc[sites],
            "streams": park.streams.iloc[rows],
            "exchanges": park.exchanges[chosen[self.ends].all(axis=1)],
            "profiles": park.profiles,
        }
        kept = {name: frame for name, frame in frames.items() if name in park.frames}
        return replace(park, frames=kept, warnings=[], _empty={})

    def sample(self) -> np.ndarray:
        """One matched stream of each side and resource: a park with the same resource
        pairs to match as the whole."""
        rows = np.flatnonzero(self.supply | self.demand)
        kinds = pd.DataFrame(
            {"supply": self.supply[rows], "resource": self.park.streams["resource"].iloc[rows]}
        )
        return rows[~kinds.duplicated().to_numpy()]

    def categories(self) -> dict[str, pd.Index]:
        """The supplies, demands and actors of discovery's tables, in the whole park's order."""
        index = self.park.streams.index
        sides = np.concatenate([np.flatnonzero(self.supply), np.flatnonzero(self.demand)])
        actors = self.park.actors.index[pd.unique(self.actor[self.site[sides]])].rename(None)
        return {
            "supply": index[self.supply],
            "demand": index[self.demand],
            "supplier": actors,
            "receiver": actors,
        }


class Tasks(Sequence[Region]):
    """Region tasks, each made when it is taken, so that only those in flight are held:
    the streams at some rows of a park, and their demands' room."""

    def __init__(
        self, layout: Layout, options: DiscoverOptions, parts: list[tuple[np.ndarray, np.ndarray]]
    ):
        self.layout, self.options, self.parts = layout, options, parts

    def __len__(self) -> int:
        return len(self.parts)

    @overload
    def __getitem__(self, index: int) -> Region: ...

    @overload
    def __getitem__(self, index: slice) -> Tasks: ...

    def __getitem__(self, index: int | slice) -> Region | Tasks:
        if isinstance(index, slice):
            return Tasks(self.layout, self.options, self.parts[index])
        rows, room = self.parts[index]
        return Region(self.layout.cut(rows), self.options, room)


def discover_regions(
    park: Park,
    options: DiscoverOptions,
    regions: int,
    *,
    executor: Executor | None = None,
    progress: Progress = silent,
    halo_km: float | None = None,
) -> DiscoveryResult:
    """``discover(park, options)`` with the park split into ``regions`` regions, each
    searched as one task on ``executor`` (see ``symbionet.executors.run_tasks``), with a
    halo of ``halo_km`` around each (default: ``HALO_KM``, or the longest reach if shorter).
    Any halo gives the same answer; a wider one settles more demands in their region."""
    if regions < 1:
        raise invalid("regions", f"must be 1 or more, not {regions}")
    if halo_km is not None and not halo_km >= 0:
        raise invalid("halo_km", f"must be 0 or more, not {halo_km}")
    layout = Layout.of(park)
    sample = prepare(layout.cut(layout.sample()), options)
    live = sample.matcher.live_pairs(sample.keep)
    radius = live["supply"].map(sample.matcher.radius_km).astype(float)
    if halo_km is None:
        halo_km = min(HALO_KM, float(radius.max()) if len(radius) else 0.0)
    reach = radius.groupby(live["demand"]).max()
    tasks = _first_pass(layout, options, regions, halo_km, reach)
    outcomes = run_tasks(search_region, tasks, executor, progress, "searching regions")
    unsettled = park.streams.index.get_indexer(pd.Index([]).append([o.unsettled for o in outcomes]))
    tasks = _second_pass(layout, options, np.sort(unsettled), live)
    outcomes += run_tasks(search_region, tasks, executor, progress, "searching across regions")
    return merge(layout, sample, outcomes)


def _first_pass(
    layout: Layout, options: DiscoverOptions, regions: int, halo_km: float, reach: pd.Series
) -> Tasks:
    """A task for each region with demands: its demands, the supplies within ``halo_km``
    of its cell, and the room of each demand (infinite where its reach ends inside)."""
    halo = 2 * np.sin(min(halo_km / EARTH_RADIUS_KM, np.pi) / 2) * (1 + 1e-6)
    streams = np.flatnonzero(layout.supply | layout.demand)
    lower, upper, cell = kd_cells(layout.xyz[layout.site[streams]], regions)
    resource = layout.park.streams["resource"]
    supplies = np.flatnonzero(layout.supply)
    parts = []
    for r in range(regions):
        own = streams[(cell == r) & layout.demand[streams]]
        if not len(own):
            continue
        near = _gap(layout.xyz, lower[r], upper[r]) <= halo
        at = layout.xyz[layout.site[own]]
        depth = np.minimum(at - lower[r], upper[r] - at).min(axis=1)
        room = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum((halo + depth) / 2, 1.0))
        room = room * (1 - _SLACK) - _SLACK
        farthest = reach.reindex(resource.iloc[own], fill_value=-np.inf).to_numpy()
        room = np.where(farthest >= room, room, np.inf)  # no resource pair: nothing to reach
        rows = np.sort(np.concatenate([own, supplies[near[layout.site[supplies]]]]))
        parts.append((rows, room))
    return Tasks(layout, options, parts)


def _second_pass(
    layout: Layout, options: DiscoverOptions, unsettled: np.ndarray, live: pd.DataFrame
) -> Tasks:
    """A task for each resource of unsettled demands: those demands and every supply of the
    resources that can meet them."""
    resource = layout.park.streams["resource"]
    demanded = resource.iloc[unsettled].to_numpy()
    parts = []
    for name in np.unique(demanded):
        own = unsettled[demanded == name]
        meets = resource.isin(live.loc[live["demand"] == name, "supply"]).to_numpy(dtype=bool)
        rows = np.sort(np.concatenate([own, np.flatnonzero(meets & layout.supply)]))
        parts.append((rows, np.full(len(own), np.inf)))
    return Tasks(layout, options, parts)


def search_region(region: Region) -> Outcome:
    """The candidates of a region's settled demands, and its unsettled demands."""
    search = prepare(region.park, region.options)
    found = find(search)
    room = region.room_km
    count = np.bincount(found.demand, minlength=len(room))
    farthest = np.zeros(len(room))
    np.maximum.at(farthest, found.demand, found.km)
    settled = (farthest < room) & ((count >= region.options.per_demand) | (room == np.inf))
    table, total, scale = tabulate(search, found.take(np.flatnonzero(settled[found.demand])))
    return Outcome(table, total, scale, search.matcher.demands.index[~settled])


def merge(layout: Layout, sample: Search, outcomes: list[Outcome]) -> DiscoveryResult:
    """The regions' candidates as one table: categories of the whole park, best first (ties:
    supply, then demand, in stream order), the best ``top``, scored and ranked."""
    options = sample.options
    tables = [o.table for o in outcomes if len(o.table)] or [tabulate(sample, Found())[0]]
    categories = layout.categories()
    codes = {
        column: np.concatenate(
            [labels.get_indexer(t[column].cat.categories)[t[column].cat.codes] for t in tables]
        )
        for column, labels in categories.items()
    }
    table = pd.concat([t.drop(columns=list(categories)) for t in tables], ignore_index=True)
    benefit = table["benefit_eur"].to_numpy()
    order = np.lexsort((codes["demand"], codes["supply"], -benefit))[: options.top or None]
    table = table.take(order).reset_index(drop=True)
    for column, labels in categories.items():
        table[column] = pd.Categorical.from_codes(codes[column][order], categories=labels)
    for column in ("mode", "route"):
        table[column] = pd.Categorical(table[column].to_numpy(dtype=object))
    found = sum(o.found for o in outcomes)
    return ranked(table, found, max([o.scale for o in outcomes], default=0.0), options)


def kd_cells(points: np.ndarray, cells: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A k-d split of ``points`` into ``cells`` boxes of about as many points each, each
    cut across its widest axis: the boxes' lower and upper corners (infinite where open)
    and the box of each point."""
    lower = np.full((cells, points.shape[1]), -np.inf)
    upper = np.full((cells, points.shape[1]), np.inf)
    box = np.zeros(len(points), dtype=np.int64)
    todo = [(0, cells, np.arange(len(points)))]
    while todo:
        first, count, members = todo.pop()
        box[members] = first
        if count == 1 or not len(members):
            continue
        left, values = count // 2, points[members]
        axis = int(np.argmax(np.ptp(values, axis=0)))
        at = len(members) * left // count
        cut = np.partition(values[:, axis], at)[at]
        upper[first : first + left, axis] = cut
        lower[first + left : first + count, axis] = cut
        below = values[:, axis] < cut
        todo += [(first, left, members[below]), (first + left, count - left, members[~below])]
    return lower, upper, box


def _gap(points: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The distance of each point from a box (0 inside)."""
    outside = np.maximum(np.maximum(lower - points, points - upper), 0.0)
    return np.sqrt((outside**2).sum(axis=1))


__all__ = [
    "HALO_KM",
    "Layout",
    "Outcome",
    "Region",
    "Tasks",
    "discover_regions",
    "kd_cells",
    "merge",
    "search_region",
]
