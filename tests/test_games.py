"""Benefit-sharing solutions on textbook games with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbionet.assessment.games import (
    Game,
    coalition_players,
    largest_shortfall,
    least_core,
    nucleolus,
    proportional,
    shapley,
    shapley_sampled,
)


def glove_game() -> Game:
    """One left glove (L) and two right gloves (R1, R2): a pair is worth 1."""
    return Game.from_function(["L", "R1", "R2"], lambda s: 1.0 if "L" in s and len(s) >= 2 else 0.0)


def bankruptcy(estate: float, claims: list[float]) -> Game:
    """v(S) = what S secures after paying everyone else's claim in full."""
    names = [f"c{c:g}" for c in claims]
    by_name = dict(zip(names, claims, strict=True))
    return Game.from_function(
        names, lambda s: max(0.0, estate - sum(c for p, c in by_name.items() if p not in s))
    )


def test_glove_game_shapley_and_nucleolus() -> None:
    game = glove_game()
    assert shapley(game) == pytest.approx([2 / 3, 1 / 6, 1 / 6])
    assert nucleolus(game) == pytest.approx([1, 0, 0], abs=1e-9)
    x, epsilon = least_core(game)
    assert epsilon == pytest.approx(0, abs=1e-9)
    assert x == pytest.approx([1, 0, 0], abs=1e-9)


def test_airport_game_shapley() -> None:
    """Runway costs 1, 3, 6: Shapley shares are 1/3, 1/3 + 1, 1/3 + 1 + 3 (Littlechild-Owen)."""
    costs = {"a": 1.0, "b": 3.0, "c": 6.0}
    game = Game.from_function(list(costs), lambda s: -max(costs[p] for p in s))
    assert -shapley(game) == pytest.approx([1 / 3, 4 / 3, 13 / 3])


@pytest.mark.parametrize(
    ("estate", "expected"),
    [(100, [100 / 3, 100 / 3, 100 / 3]), (200, [50, 75, 75]), (300, [50, 100, 150])],
)
def test_talmud_bankruptcy_nucleolus(estate: float, expected: list[float]) -> None:
    """Aumann and Maschler (1985): the Talmud's division is the nucleolus."""
    assert nucleolus(bankruptcy(estate, [100, 200, 300])) == pytest.approx(expected, abs=1e-6)


def test_empty_core_has_positive_least_core_epsilon() -> None:
    """Three players, any pair earns 1, all three earn 1: the core is empty."""
    game = Game.from_function(["a", "b", "c"], lambda s: 1.0 if len(s) >= 2 else 0.0)
    x, epsilon = least_core(game)
    assert epsilon == pytest.approx(1 / 3)
    assert x == pytest.approx([1 / 3] * 3)
    assert largest_shortfall(game, x)[0] == pytest.approx(1 / 3)


def test_two_players_one_saving_alone() -> None:
    """a saves 4 alone, b nothing, both 6: every standard solution gives each its standalone
    value plus half the surplus 6 - 4 - 0 = 2, so a 5 and b 1; a split giving a 3 leaves a
    4 - 3 = 1 short of what it saves alone."""
    values = {frozenset("a"): 4.0, frozenset("b"): 0.0, frozenset("ab"): 6.0}
    game = Game.from_function(["a", "b"], values.__getitem__)
    assert game.values == pytest.approx([0, 4, 0, 6])
    for split in (shapley(game), nucleolus(game), least_core(game)[0]):
        assert split == pytest.approx([5, 1], abs=1e-9)
    shortfall, mask = largest_shortfall(game, np.array([3.0, 3.0]))
    assert shortfall == pytest.approx(1.0)
    assert coalition_players(game, mask) == ["a"]


@pytest.mark.parametrize("players", [[], ["a"]])
def test_games_of_fewer_than_two_players(players: list[str]) -> None:
    """A lone player gets the whole value (here 7); with no player there is nothing to split."""
    game = Game.from_function(players, lambda s: 7.0)
    expected = [7.0] * len(players)
    for split in (
        shapley(game),
        nucleolus(game),
        least_core(game)[0],
        proportional(game, np.zeros(len(players))),
    ):
        assert list(split) == pytest.approx(expected)
    assert least_core(game)[1] == 0.0


def test_sampled_shapley_converges_to_exact() -> None:
    game = bankruptcy(200, [100, 200, 300])
    value = dict(zip(game.players, range(3), strict=True))
    mean, half_width = shapley_sampled(
        game.players,
        lambda s: float(game.values[sum(1 << value[p] for p in s)]),
        samples=4000,
        seed=1,
    )
    exact = shapley(game)
    assert np.all(np.abs(mean - exact) <= half_width + 1e-9)
    assert np.all(half_width < 3)


def test_sampled_shapley_intervals_cover_a_known_value_beyond_the_exact_limit() -> None:
    """An airport game of 20 planes, runway segments of 1 each: plane k (k = 1..20) needs
    k segments, and segment j is shared by the 21 - j planes that need it, so plane k's
    Shapley cost is the sum of 1 / (21 - j) for j = 1..k (Littlechild-Owen): 1/20 for the
    first, 1/20 + 1/19 + ... + 1 = 3.5977 for the last."""
    planes = [f"p{k}" for k in range(1, 21)]
    need = {p: k for k, p in enumerate(planes, start=1)}
    exact = np.cumsum([1 / (21 - j) for j in range(1, 21)])
    assert exact[0] == pytest.approx(0.05) and exact[-1] == pytest.approx(3.5977, abs=1e-4)
    covered = 0
    for seed in range(10):
        mean, half_width = shapley_sampled(
            planes, lambda s: -max((need[p] for p in s), default=0), samples=200, seed=seed
        )
        # every order's gains add up to the grand coalition's value
        assert mean.sum() == pytest.approx(-20)
        covered += int(np.sum(np.abs(-mean - exact) <= half_width))
    # 95 % intervals: about 190 of 200 cover the exact value (binomial sd about 3)
    assert 178 <= covered <= 200
    # four times the orders halve the interval
    _, wider = shapley_sampled(planes, lambda s: -max((need[p] for p in s), default=0), 200)
    _, narrower = shapley_sampled(planes, lambda s: -max((need[p] for p in s), default=0), 800)
    assert np.median(narrower / wider) == pytest.approx(0.5, abs=0.1)


def test_proportional_split() -> None:
    game = glove_game()
    assert proportional(game, np.array([1.0, 1.0, 2.0])) == pytest.approx([0.25, 0.25, 0.5])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=7, max_size=7), st.floats(0, 50))
def test_supermodular_games_have_shapley_in_the_core(singles: list[float], synergy: float) -> None:
    """Convex games (here: additive plus a synergy per extra member) have Shapley in the core,
    and every solution is efficient."""
    players = ["a", "b", "c"]
    base = dict(zip(players, singles[:3], strict=True))
    game = Game.from_function(
        players, lambda s: sum(base[p] for p in s) + synergy * (len(s) - 1) ** 2
    )
    for split in (shapley(game), nucleolus(game), least_core(game)[0]):
        assert split.sum() == pytest.approx(game.grand, rel=1e-9, abs=1e-9)
        assert largest_shortfall(game, split)[0] <= 1e-6
