"""Many coalitions and failures of one park solved fast: the park's network is built once,
each subset of it is split into the parts its arcs and technologies join, and each
distinct part is solved once, on any ``concurrent.futures`` executor.

Nodes that no kept arc or technology joins to another node are in no part: nothing can
change for them (every demand from its source, every supply to its fate), so they save
nothing and send nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from symbionet.optimisation.network import Network, joined
from symbionet.optimisation.solve import BINARIES_TOGETHER

#: Nodes of the parts solved as one model at most (with up to ``BINARIES_TOGETHER``
#: build decisions, as in a design).
NODES_TOGETHER = 200

#: A part: its node ids, and the arcs between them that are left out.
Part = tuple[tuple[str, ...], tuple[str, ...]]


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


__all__ = ["NODES_TOGETHER", "Coalitions", "Part", "bundles"]
