"""Cooperative games: fair splits of a coalition value between players.

A game is given by its characteristic function: the value each coalition of players
can secure on its own (for a park: the yearly saving the optimiser finds when only
those partners exchange). Coalitions are bit masks over the players' positions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import comb

import numpy as np
from scipy.optimize import linprog

Value = Callable[[frozenset[str]], float]
EXACT_LIMIT = 15


@dataclass(frozen=True)
class Game:
    """Players and the value of every coalition, indexed by bit mask."""

    players: tuple[str, ...]
    values: np.ndarray  # values[mask] for mask in 0 .. 2**n - 1

    @classmethod
    def from_function(cls, players: Sequence[str], value: Value) -> Game:
        """Evaluate ``value`` once for every coalition (at most 2**15 of them)."""
        n = len(players)
        if n > EXACT_LIMIT:
            raise ValueError(f"{n} players: exact games are limited to {EXACT_LIMIT}")
        values = np.zeros(2**n)
        for mask in range(1, 2**n):
            values[mask] = value(frozenset(p for i, p in enumerate(players) if mask >> i & 1))
        return cls(tuple(players), values)

    @property
    def n(self) -> int:
        return len(self.players)

    @property
    def grand(self) -> float:
        return float(self.values[-1])

    def membership(self) -> np.ndarray:
        """Matrix (coalition × player) of 0/1: which players each coalition holds."""
        masks = np.arange(2**self.n)[:, None]
        return ((masks >> np.arange(self.n)) & 1).astype(float)


def shapley(game: Game) -> np.ndarray:
    """Exact Shapley values: each player's marginal contribution averaged over all orders."""
    n = game.n
    members = game.membership().astype(bool)
    sizes = members.sum(axis=1).astype(int)
    weights = np.array([1 / (n * comb(n - 1, s)) if s < n else 0.0 for s in range(n + 1)])
    result = np.zeros(n)
    for i in range(n):
        without = ~members[:, i]
        masks = np.flatnonzero(without)
        gains = game.values[masks | (1 << i)] - game.values[masks]
        result[i] = float(np.sum(weights[sizes[masks]] * gains))
    return result


def random_orders(n: int, samples: int, seed: int = 0) -> np.ndarray:
    """``samples`` random orders of joining of ``n`` players (one per row), reproducible by
    ``seed``."""
    rng = np.random.default_rng(seed)
    return np.array([rng.permutation(n) for _ in range(samples)], dtype=int).reshape(samples, n)


def shapley_sampled(
    players: Sequence[str], value: Value, samples: int = 200, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Shapley values estimated from the orders of :func:`random_orders`, with 95 %
    confidence half-widths (1.96 standard errors of the mean marginal contribution).

    Coalition values are cached, so a coalition met in several orders is valued once.
    """
    cache: dict[frozenset[str], float] = {frozenset(): 0.0}

    def cached(coalition: frozenset[str]) -> float:
        if coalition not in cache:
            cache[coalition] = value(coalition)
        return cache[coalition]

    n = len(players)
    orders = random_orders(n, samples, seed)
    gains = np.zeros((samples, n))
    for s, order in enumerate(orders):
        coalition: frozenset[str] = frozenset()
        before = 0.0
        for i in order:
            coalition = coalition | {players[i]}
            after = cached(coalition)
            gains[s, i] = after - before
            before = after
    half_width = (
        1.96 * gains.std(axis=0, ddof=1) / np.sqrt(samples) if samples > 1 else gains[0] * np.inf
    )
    return gains.mean(axis=0), half_width


def _excess_lp(
    game: Game, fixed: dict[int, float]
) -> tuple[np.ndarray, float, np.ndarray, list[int]]:
    """min ε s.t. x(S) + ε ≥ v(S) for open coalitions, x(S) = v(S) − e_S for fixed ones."""
    n = game.n
    members = game.membership()
    proper = [m for m in range(1, 2**n - 1) if m not in fixed]
    a_ub = np.hstack([-members[proper], -np.ones((len(proper), 1))])
    b_ub = -game.values[proper]
    equalities = [2**n - 1, *fixed]
    a_eq = np.hstack([members[equalities], np.zeros((len(equalities), 1))])
    b_eq = np.array([game.grand, *(game.values[m] - e for m, e in fixed.items())])
    cost = np.zeros(n + 1)
    cost[-1] = 1.0
    result = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=[(None, None)] * (n + 1),
        method="highs",
    )
    if result.status != 0:
        raise RuntimeError(f"excess LP failed: {result.message}")
    return result.x[:n], float(result.x[-1]), np.asarray(result.ineqlin.marginals), proper


def least_core(game: Game) -> tuple[np.ndarray, float]:
    """A least-core allocation and its ε: no coalition is short by more than ε.

    ε ≤ 0 means the core is not empty: no group of players could do better alone. With
    fewer than two players there is no group to compare with: ε is 0.
    """
    if game.n < 2:
        return np.full(game.n, game.grand), 0.0
    x, epsilon, _, _ = _excess_lp(game, {})
    return x, epsilon


def nucleolus(game: Game) -> np.ndarray:
    """The nucleolus: lexicographically minimises the largest excesses (sequential LPs)."""
    if game.n < 2:
        return np.full(game.n, game.grand)
    fixed: dict[int, float] = {}
    members = game.membership()
    while True:
        x, epsilon, duals, proper = _excess_lp(game, fixed)
        binding = [m for m, d in zip(proper, duals, strict=True) if abs(d) > 1e-9]
        for mask in binding:
            fixed[mask] = epsilon
        rank = np.linalg.matrix_rank(members[[2**game.n - 1, *fixed]])
        if rank >= game.n or not binding or len(fixed) >= 2**game.n - 2:
            return x


def proportional(game: Game, weights: np.ndarray) -> np.ndarray:
    """The grand coalition's value split in proportion to ``weights``."""
    total = float(np.sum(weights))
    if total == 0:
        return np.full(game.n, game.grand / max(game.n, 1))
    return game.grand * np.asarray(weights, dtype=float) / total


def largest_shortfall(game: Game, x: np.ndarray) -> tuple[float, int]:
    """The largest v(S) − x(S) over proper coalitions, and that coalition's mask.

    A split is in the core when this is ≤ 0 (up to rounding).
    """
    shortfall = game.values - game.membership() @ x
    proper = shortfall[1:-1]
    worst = int(np.argmax(proper)) + 1
    return float(proper[worst - 1]), worst


def coalition_players(game: Game, mask: int) -> list[str]:
    return [p for i, p in enumerate(game.players) if mask >> i & 1]
