"""Free land: the plots, which are adjacent, and the connected groups an entrant may take.

An entrant takes one plot, or a connected group of adjacent plots when one is too small.
Groups are enumerated up to ``max_plots`` plots by growing every group of k plots by each
neighbour of its members, as whole arrays; a group an entrant may take is one it fills:
large enough, every plot zoned as the entrant allows (a quay among them if it needs one),
and no plot can be left out with the rest still connected and large enough.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd

from symbionet.errors import Problem, SymbionetError
from symbionet.register.io import read_park
from symbionet.register.park import Park

FILE = "plots.csv"


@dataclass(frozen=True)
class Land:
    """The plots of a park as arrays: position, area, price, zoning, quay, the park each
    belongs to, and the adjacent pairs (i < j, positions in ``plots``)."""

    plots: pd.DataFrame
    pairs: np.ndarray

    @property
    def ids(self) -> pd.Index:
        return self.plots.index


def plot_parks(park: Park) -> pd.Series:
    """The park each plot belongs to: a ``park`` column where the table has one, else the
    part of its id before a ``/`` (``kalundborg/north_1``), else the park's own name."""
    plots = park.plots
    if "park" in plots:
        return plots["park"].fillna(park.name).astype(str)
    prefix = plots.index.to_series().str.extract(r"^([^/]+)/", expand=False)
    return prefix.fillna(park.name).astype(str)


def read_land(park: Park) -> Land:
    """The park's plots with their adjacency checked: every adjacent id names a plot."""
    plots = park.plots
    if plots.empty:
        raise SymbionetError([Problem(FILE, None, None, "the park has no plots to site on")])
    ids = plots.index.astype(str)
    listed = pd.Series(plots["adjacent"].fillna("").astype(str).to_numpy(), index=ids)
    given = listed.str.split(";").explode().str.strip()
    given = given[(given != "") & (given != given.index)]
    j = ids.get_indexer(given)
    unknown = given[j < 0]
    if len(unknown):
        file, rows = _rows(park)
        line = dict(zip(ids, rows, strict=True))
        raise SymbionetError(
            [
                Problem(
                    file,
                    line[plot],
                    "adjacent",
                    f"plot {plot!r}: no plot {other!r}{_hint(other, ids)}",
                )
                for plot, other in unknown.items()
            ]
        )
    i = ids.get_indexer(given.index)
    edges = np.unique(np.sort(np.column_stack([i, j]), axis=1), axis=0).astype(np.int64)
    table = pd.DataFrame(
        {
            "lat": plots["lat"].to_numpy(float),
            "lon": plots["lon"].to_numpy(float),
            "area_m2": plots["area_m2"].to_numpy(float),
            "price": plots["price"].fillna(0.0).to_numpy(float),
            "zoning": plots["zoning"].astype(object).to_numpy(),
            "port": plots["port"].fillna(False).to_numpy(bool),
            "park": plot_parks(park).to_numpy(),
        },
        index=pd.Index(ids, name="plot"),
    )
    return Land(table, edges.reshape(-1, 2))


def _rows(park: Park) -> tuple[str, list[int | None]]:
    """The file each plot was read from and its line, where the park came from a park
    folder, workbook or JSON file; else plots.csv and no line."""
    source = Path(park.source) if park.source else None
    if source is not None and (source.is_file() or (source / "park.yaml").is_file()):
        try:
            table = read_park(source).tables.get("plots")
        except SymbionetError:
            table = None
        if table is not None and len(table.rows) == len(park.plots):
            return table.file, list(table.rows)
    return FILE, [None] * len(park.plots)


def _hint(name: str, ids: pd.Index) -> str:
    close = get_close_matches(name, list(ids), n=3)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def connected_groups(n: int, pairs: np.ndarray, max_plots: int) -> list[np.ndarray]:
    """Every connected group of up to ``max_plots`` of ``n`` plots: one array per size k,
    of shape (groups, k), each row sorted ascending."""
    both = np.concatenate([pairs, pairs[:, ::-1]]) if len(pairs) else np.zeros((0, 2), np.int64)
    order = np.argsort(both[:, 0], kind="stable")
    starts = np.searchsorted(both[order, 0], np.arange(n + 1))
    neighbours, degree = both[order, 1], np.diff(starts)
    sizes = [np.arange(n, dtype=np.int64)[:, None]]
    while sizes[-1].shape[1] < max_plots and len(sizes[-1]):
        groups = sizes[-1]
        k = groups.shape[1]
        members = groups.ravel()
        count = degree[members]
        row = np.repeat(np.repeat(np.arange(len(groups)), k), count)
        at = np.repeat(starts[members], count) + _ramp(count)
        added = neighbours[at]
        fresh = ~(groups[row] == added[:, None]).any(axis=1)
        grown = np.sort(np.column_stack([groups[row[fresh]], added[fresh]]), axis=1)
        sizes.append(np.unique(grown, axis=0) if len(grown) else grown.reshape(0, k + 1))
    return [s for s in sizes if len(s)]


def _ramp(count: np.ndarray) -> np.ndarray:
    """0, 1, ..., c-1 for each c in ``count``, concatenated."""
    total = int(count.sum())
    return np.arange(total) - np.repeat(np.cumsum(count) - count, count)


def smallest_droppable(groups: list[np.ndarray], area: np.ndarray) -> list[np.ndarray]:
    """For each group, the smallest area of a plot that can leave it with the rest still
    connected (infinite for a single plot)."""
    found = [np.full(len(groups[0]), np.inf)]
    for smaller, current in pairwise(groups):
        k = current.shape[1]
        keys = pd.MultiIndex.from_arrays(list(smaller.T))
        best = np.full(len(current), np.inf)
        for j in range(k):
            rest = np.delete(current, j, axis=1)
            connected = keys.get_indexer(pd.MultiIndex.from_arrays(list(rest.T))) >= 0
            best = np.where(connected, np.minimum(best, area[current[:, j]]), best)
        found.append(best)
    return found


__all__ = ["FILE", "Land", "connected_groups", "plot_parks", "read_land", "smallest_droppable"]
