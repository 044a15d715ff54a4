"""Many coalitions and failures of one park solved fast: the park's network is built once,
each subset of it is split into the parts its arcs and technologies join, and each
distinct part is solved once, on any ``concurrent.futures`` executor.

Nodes that no kept arc or technology joins to another node are in no part: nothing can
change for them (every demand from its source, every supply to its fate), so they save
nothing and send nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd

from symbionet.optimisation.network import Network, joined
from symbionet.optimisation.solve import BINARIES_TOGETHER
from symbionet.progress import Progress, silent

#: Worker processes take a while to start: with no executor given, fewer tasks than this
#: run in this process.
PARALLEL_FROM = 8

#: Nodes of the parts solved as one model at most (with up to ``BINARIES_TOGETHER``
#: build decisions, as in a design).
NODES_TOGETHER = 200

#: A part: its node ids, and the arcs between them that are left out.
Part = tuple[tuple[str, ...], tuple[str, ...]]

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


def run_tasks(
    function: Callable[[Item], Outcome],
    items: Sequence[Item],
    executor: Executor | None = None,
    progress: Progress = silent,
    message: str = "solving",
) -> list[Outcome]:
    """``function`` of each item, in the items' order, on ``executor`` (None: a process pool
    sized to the machine, shut down before returning; fewer than ``PARALLEL_FROM`` items
    in this process). ``function`` and the items must pickle for a process or Dask
    executor. ``progress(message, done, total)`` follows each finished item."""
    total = len(items)
    progress(message, 0, total)
    if executor is None and total < PARALLEL_FROM:
        outcomes = []
        for done, item in enumerate(items, start=1):
            outcomes.append(function(item))
            progress(message, done, total)
        return outcomes
    pool = executor or ProcessPoolExecutor(max_workers=os.cpu_count() or 1)
    futures: list[Future[Outcome]] = [pool.submit(function, item) for item in items]
    try:
        for done, future in enumerate(as_completed(futures), start=1):
            future.result()
            progress(message, done, total)
        return [future.result() for future in futures]
    finally:
        for future in futures:
            future.cancel()
        if executor is None:
            pool.shutdown()


@dataclass(frozen=True)
class Coalitions:
    """A park's network, built once, and what joins its nodes, to split any coalition of its
    actors into the parts that can be solved on their own."""

    net: Network
    ends: np.ndarray  # node positions joined by each arc or technology
    joins: np.ndarray  # the arc or technology id of each pair of ends
    actor: np.ndarray  # the actor of each node

    @classmethod
    def of(cls, net: Network) -> Coalitions:
        ends, joins = net.links()
        return cls(net, ends, joins.to_numpy(dtype=object), net.nodes["actor"].to_numpy(object))

    def parts(self, actors: Collection[str], exclude: Collection[str] = ()) -> list[Part]:
        """The parts of the network of ``actors`` without the arcs ``exclude``: groups of
        nodes that the kept arcs and technologies join, each with the arcs left out
        between its nodes."""
        inside = np.isin(self.actor, list(actors))
        between = inside[self.ends[:, 0]] & inside[self.ends[:, 1]]
        left_out = np.isin(self.joins, list(exclude)) if exclude else np.zeros(len(between), bool)
        ends = self.ends[between & ~left_out]
        if not len(ends):
            return []
        _, labels = joined(len(self.actor), ends)
        joined_nodes = np.unique(ends)
        dropped = self.ends[between & left_out]
        parts = []
        for label in np.unique(labels[joined_nodes]):
            positions = joined_nodes[labels[joined_nodes] == label]
            within = (labels[dropped[:, 0]] == label) & (labels[dropped[:, 1]] == label)
            arcs = self.joins[between & left_out][within]
            parts.append((tuple(self.net.nodes.index[positions]), tuple(sorted(arcs))))
        return parts

    def network(self, part: Part) -> Network:
        """The network of one part."""
        nodes, dropped = part
        return self.net.part(pd.Index(nodes, name=self.net.nodes.index.name)).without(dropped)


def bundles(parts: Sequence[Network]) -> list[list[Network]]:
    """Parts in groups solved as one model each: up to ``BINARIES_TOGETHER`` build decisions
    and ``NODES_TOGETHER`` nodes (smaller branch-and-bound trees, models to share out)."""
    bundles: list[list[Network]] = []
    binaries = nodes = 0
    for net in parts:
        if bundles and (
            binaries + net.decisions() > BINARIES_TOGETHER
            or nodes + len(net.nodes) > NODES_TOGETHER
        ):
            bundles.append([])
            binaries = nodes = 0
        if not bundles:
            bundles.append([])
        bundles[-1].append(net)
        binaries += net.decisions()
        nodes += len(net.nodes)
    return bundles


__all__ = ["NODES_TOGETHER", "PARALLEL_FROM", "Coalitions", "Part", "bundles", "run_tasks"]
