"""The HiGHS wrapper: quiet unless asked, never on stdout, safe in threads, honest status."""

from __future__ import annotations

import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import linopy
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from symbionet.solver import solve


def two_variables(cap: float = 0.4) -> linopy.Model:
    """min x + 2y  s.t.  x + y >= 1, x <= cap: x = cap, y = 1 - cap, objective 2 - cap."""
    model = linopy.Model()
    x = model.add_variables(lower=0, name="x")
    y = model.add_variables(lower=0, name="y")
    model.add_constraints(x + y >= 1, name="demand")
    model.add_constraints(x <= cap, name="cap")
    model.add_objective(x + 2 * y)
    return model


def knapsack(size: int) -> linopy.Model:
    """max sum of i * x_i over binaries x_1..x_size, at most ``size`` in weight (weight i):
    the optimum is ``size`` (any set of weights adding up to it)."""
    model = linopy.Model()
    items = pd.RangeIndex(1, size + 1, name="item")
    weight = xr.DataArray(np.arange(1, size + 1, dtype=float), coords=[items])
    take = model.add_variables(binary=True, coords=[items], name="take")
    model.add_constraints((weight * take).sum() <= size, name="weight")
    model.add_objective((weight * take).sum(), sense="max")
    return model


def market_split(rows: int = 6, columns: int = 50) -> tuple[linopy.Model, np.ndarray, np.ndarray]:
    """A market split problem (Cornuéjols and Dawande, 1998): split items so that each row's
    weights halve exactly, the deviation minimised. Taking nothing is feasible (deviation b
    in each row) and the LP relaxation is 0, but with 10 (rows - 1) columns, the hardest
    size, proving the integer optimum takes branch and bound far longer than a second."""
    weights = np.random.default_rng(3).integers(0, 100, (rows, columns))
    half = weights.sum(axis=1) // 2
    model = linopy.Model()
    row, column = pd.RangeIndex(rows, name="row"), pd.RangeIndex(columns, name="column")
    chosen = model.add_variables(binary=True, coords=[column], name="chosen")
    over = model.add_variables(lower=0, coords=[row], name="over")
    under = model.add_variables(lower=0, coords=[row], name="under")
    taken = (xr.DataArray(weights, coords=[row, column]) * chosen).sum("column")
    model.add_constraints(taken - over + under == xr.DataArray(half, coords=[row]), name="split")
    model.add_objective(over.sum() + under.sum())
    return model, weights, half


def test_optimal_lp_by_hand() -> None:
    model = two_variables()
    solved = solve(model)
    assert (solved.status, solved.termination, solved.feasible) == ("ok", "optimal", True)
    assert model.variables["x"].solution.item() == pytest.approx(0.4)
    assert model.variables["y"].solution.item() == pytest.approx(0.6)
    # the LP's bound is its optimum, 0.4 + 2 x 0.6; the demand's dual is y's cost, 2
    assert (solved.gap, solved.bound) == (0.0, pytest.approx(1.6))
    assert model.constraints["demand"].dual.item() == pytest.approx(2.0)
    assert solved.seconds > 0


def test_optimal_mip_by_hand() -> None:
    model = knapsack(7)
    solved = solve(model, mip_rel_gap=0)
    assert (solved.status, solved.termination) == ("ok", "optimal")
    taken = model.variables["take"].solution
    assert float((taken * taken["item"]).sum()) == pytest.approx(7)
    assert solved.bound == pytest.approx(7) and solved.gap == pytest.approx(0)


def test_infeasible() -> None:
    model = two_variables()
    model.add_constraints(model.variables["y"] <= 0.5, name="short")  # x + y <= 0.9 < 1
    solved = solve(model)
    assert solved.status != "ok" and solved.termination in ("infeasible", "infeasible_or_unbounded")
    assert not solved.feasible
    assert math.isinf(solved.gap) and math.isnan(solved.bound)
    assert model.status != "ok"


def test_time_limit_with_a_feasible_solution() -> None:
    model, weights, half = market_split()
    solved = solve(model, time_limit=0.5)
    assert (solved.status, solved.termination, solved.feasible) == (
        "time limit",
        "time_limit",
        True,
    )
    chosen = model.variables["chosen"].solution.to_numpy()
    over = model.variables["over"].solution.to_numpy()
    under = model.variables["under"].solution.to_numpy()
    # the incumbent the variables hold keeps every row's balance...
    assert weights @ chosen - over + under == pytest.approx(half)
    deviation = float(over.sum() + under.sum())
    # ...its deviation is a whole number, not 0 (0 would be proven optimal), and the bound
    # is the LP relaxation's 0: the gap is (deviation - 0) / deviation = 1
    assert deviation >= 1 and solved.bound == pytest.approx(0, abs=1e-6)
    assert solved.gap == pytest.approx(1)


def test_time_limit_without_a_feasible_solution() -> None:
    model, _, _ = market_split()
    solved = solve(model, time_limit=0)
    assert (solved.status, solved.termination, solved.feasible) == (
        "no solution",
        "time_limit",
        False,
    )
    assert math.isinf(solved.gap)
    assert model.variables["chosen"].solution.isnull().all()


def test_nothing_reaches_stdout_or_stderr_when_quiet(capfd: pytest.CaptureFixture[str]) -> None:
    solve(two_variables())
    solve(knapsack(9))
    solve(market_split()[0], time_limit=0)
    model = two_variables()
    model.add_constraints(model.variables["y"] <= 0.5, name="short")
    solve(model)
    assert capfd.readouterr() == ("", "")


def test_verbose_log_goes_to_stderr_only(capfd: pytest.CaptureFixture[str]) -> None:
    solve(two_variables(), verbose=True)
    out, err = capfd.readouterr()
    assert out == ""
    assert "Running HiGHS" in err and "Optimal" in err


def _answer(cap: float) -> float:
    model = two_variables(cap) if cap < 1 else knapsack(int(cap))
    solved = solve(model, mip_rel_gap=0)
    assert solved.status == "ok" and model.objective.value is not None
    return float(model.objective.value)


def test_threads_give_the_same_answers_and_leave_stdout_alone(
    capfd: pytest.CaptureFixture[str],
) -> None:
    cases = [0.1, 0.25, 0.5, 0.75, 0.9, 5, 8, 11, 13, 17, 19, 23] * 2
    alone = [_answer(case) for case in cases]
    # by hand: 2 - cap for the LPs, the knapsack's size for the MIPs
    assert alone == pytest.approx([2 - c if c < 1 else c for c in cases])
    solving, printed = threading.Event(), list[str]()

    def print_while_solving() -> None:
        while not printed or solving.is_set():
            printed.append(f"line {len(printed)} of what another thread prints")
            os.write(1, f"{printed[-1]}\n".encode())  # straight to file descriptor 1
            time.sleep(0.0002)

    printing = threading.Thread(target=print_while_solving)
    solving.set()
    printing.start()
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(_answer, cases))
    solving.clear()
    printing.join()
    assert together == alone
    out, err = capfd.readouterr()
    assert len(printed) > 1 and out.splitlines() == printed and err == ""
