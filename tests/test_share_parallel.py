"""Benefit sharing, resilience and trade-off curves on any executor: threads and worker
processes give what one process gives; the park's network is built once and split into
parts that are solved once each."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from symbionet import load_park
from symbionet.assessment.resilience import StressOptions, stress
from symbionet.assessment.sharing import (
    ShareOptions,
    coalition_value,
    coalition_values,
    players,
    share,
)
from symbionet.errors import SymbionetError
from symbionet.executors import run_tasks
from symbionet.optimisation.coalitions import Coalitions
from symbionet.optimisation.network import build_network
from symbionet.optimisation.solve import design, design_network
from symbionet.optimisation.tradeoff import pareto
from tests.conftest import write_park
from tests.test_share_by_hand import PARK, SHAPLEY


@pytest.fixture(scope="module")
def park_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_park(tmp_path_factory.mktemp("parallel") / "park", PARK)


@pytest.fixture(scope="module", params=["threads", "processes"])
def executor(request: pytest.FixtureRequest) -> Iterator[Executor]:
    pool: Executor = (
        ThreadPoolExecutor(max_workers=2)
        if request.param == "threads"
        else ProcessPoolExecutor(max_workers=2)
    )
    with pool:
        yield pool


def test_share_on_an_executor_equals_the_serial_split(park_path: Path, executor: Executor) -> None:
    park = load_park(park_path)
    with ThreadPoolExecutor(max_workers=1) as one:
        serial = share(park, executor=one)
    spread = share(park, executor=executor)
    pd.testing.assert_frame_equal(spread.table, serial.table)
    # the hand-worked Shapley values of tests/test_share_by_hand.py
    assert spread.table["share_eur"].to_dict() == pytest.approx(SHAPLEY, abs=1e-3)
    assert spread.to_dict() == serial.to_dict()


def test_sampled_shapley_on_an_executor_equals_the_serial_one(
    park_path: Path, executor: Executor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from symbionet.assessment import games

    monkeypatch.setattr(games, "EXACT_LIMIT", 3)  # four partners: sampled
    park = load_park(park_path)
    serial = share(park, samples=50, seed=3)
    spread = share(park, ShareOptions(samples=50, seed=3), executor=executor)
    pd.testing.assert_frame_equal(spread.table, serial.table)
    assert spread.note == "sampled Shapley over 50 random orders; core not checked"


def test_stress_on_an_executor_equals_the_serial_run(park_path: Path, executor: Executor) -> None:
    park = load_park(park_path)
    options = StressOptions(all_single=True, remove=("to_brewery",))
    serial = stress(park, options)
    spread = stress(park, options, executor=executor)
    for name, table in serial.tables().items():
        pd.testing.assert_frame_equal(spread.tables()[name], table)
    # without the power station the dairy buys its 10,000 t of steam at 25 EUR/t and the
    # brewery its 15,000 t at 20: 250,000 + 300,000; the board plant its 8,000 t of
    # gypsum at 15: 120,000
    assert serial.scenarios.loc["power", "extra_cost_eur"] == pytest.approx(670_000, abs=1e-3)


def test_pareto_on_an_executor_equals_the_serial_curve(park_path: Path, executor: Executor) -> None:
    park = load_park(park_path)
    serial = pareto(park, ("cost", "co2"), points=3, mode="operate")
    spread = pareto(park, ("cost", "co2"), points=3, executor=executor, mode="operate")
    pd.testing.assert_frame_equal(spread.to_frame(), serial.to_frame())
    assert list(spread.to_frame()["status"]) == ["ok"] * 3


def test_each_part_is_solved_once(park_path: Path) -> None:
    park = load_park(park_path)
    split = Coalitions.of(build_network(park, mode="operate"))
    # P's own steam, its steam to D and R and R's own steam form one part, the gypsum
    # another; the board plant alone joins nothing
    assert [nodes for nodes, _ in split.parts(["power", "dairy", "brewery", "board"])] == [
        ("steam", "own_heat", "dairy_heat", "brew_steam", "brew_heat"),
        ("gyp", "nat"),
    ]
    assert split.parts(["board"]) == []
    # without the exchange to the brewery, R's own steam is a part of its own
    parts = split.parts(["power", "brewery"], exclude=["to_brewery"])
    assert sorted(nodes for nodes, _ in parts) == [
        ("brew_steam", "brew_heat"),
        ("steam", "own_heat"),
    ]
    seen: list[tuple[str, float, float | None]] = []
    result = share(park, progress=lambda message, done, total: seen.append((message, done, total)))
    # 16 coalitions need 6 distinct parts: P's own steam, R's own, the gypsum, and the
    # steam parts of PD, PR, PDR (with or without B, the same part)
    assert result.coalitions_solved == 16
    assert result.solves == 6
    assert seen[0] == ("splitting coalitions into parts", 0, 16)
    assert seen[1] == ("solving coalitions", 0, 1)  # six small parts, solved as one model
    assert seen[-1] == ("solving coalitions", 1, 1)


def test_a_network_built_once_solves_a_coalition_as_its_own_design(park_path: Path) -> None:
    park = load_park(park_path)
    net = build_network(park, mode="operate")
    options = {"actors": ("power", "brewery"), "exclude_exchanges": ("to_brewery",)}
    once = design_network(net, prices=False, **options)
    alone = design(park, mode="operate", prices=False, **options)
    # without the steam to the brewery each saves alone: 5,000 x 31 + 2,000 x 21
    assert once.savings["cost_eur"] == pytest.approx(197_000, abs=1e-3)
    assert once.kpis == pytest.approx(alone.kpis)
    assert once.baseline == pytest.approx(alone.baseline)


INVEST = {
    "park.yaml": "name: Candidates\ncurrency: EUR\n",
    "actors.csv": "id,name\npower,Power\nboard,Board\ndairy,Dairy\n",
    "sites.csv": (
        "id,actor,lat,lon\np,power,55.00,11.00\nb,board,55.01,11.00\nd,dairy,55.00,11.01\n"
    ),
    "streams.csv": (
        "id,site,direction,resource,quantity,unit,fate,source,price\n"
        "steam,p,supply,steam_lp,30000,t/yr,cooling,,1\n"
        "gyp,p,supply,fgd_gypsum,10000,t/yr,landfill,,40\n"
        "nat,b,demand,natural_gypsum,8000,t/yr,,market,15\n"
        "dairy_heat,d,demand,steam_lp,10000,t/yr,,natural_gas_boiler,25\n"
    ),
    "exchanges.csv": "id,supply,demand,quantity,unit,mode,status\n",
}


def test_invest_coalitions_on_one_network_equal_their_own_designs(tmp_path: Path) -> None:
    park = load_park(write_park(tmp_path / "park", INVEST))
    names = players(park)
    coalitions = [
        frozenset(p for i, p in enumerate(names) if m >> i & 1) for m in range(1, 2 ** len(names))
    ]
    values, solves = coalition_values(park, coalitions, "invest")
    for coalition in coalitions:
        alone = coalition_value(park, sorted(coalition), "invest")
        assert values[coalition] == pytest.approx(alone, rel=1e-6, abs=1e-3), coalition
    # gypsum (P, B) and steam (P, D) are candidate parts of their own: 2 solves for 7
    assert solves == 2
    assert values[frozenset(names)] > 0


def test_options_are_checked_before_anything_is_solved(park_path: Path) -> None:
    park = load_park(park_path)
    with pytest.raises(SymbionetError, match="method: must be shapley"):
        share(park, method="banzhaf")
    with pytest.raises(SymbionetError, match="workers: is not an option"):
        share(park, workers=2)
    with pytest.raises(SymbionetError, match="samples: must be a whole number"):
        ShareOptions(samples=1)
    with pytest.raises(SymbionetError, match="k: must be a whole number"):
        stress(park, k=0)
    with pytest.raises(SymbionetError, match="remove: takes a list of names"):
        StressOptions(remove="power")
    with pytest.raises(SymbionetError, match="options: must be ShareOptions, not 'nucleolus'"):
        share(park, "nucleolus")  # type: ignore[arg-type]
    with pytest.raises(SymbionetError, match="options: must be StressOptions"):
        stress(park, ["power"])  # type: ignore[arg-type]


def _fails(number: int) -> int:
    if number == 3:
        raise SymbionetError("three")
    return number


def test_a_failing_task_stops_the_run_with_its_error() -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        with pytest.raises(SymbionetError, match="three"):
            run_tasks(_fails, list(range(10)), pool)
        assert run_tasks(_fails, [1, 2], pool) == [1, 2]
    assert run_tasks(_fails, list(range(3))) == [0, 1, 2]
