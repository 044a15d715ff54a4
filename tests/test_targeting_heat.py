"""Heat targets: the Kemp benchmark, threshold problems, the problem table against the
transshipment LP on random problems, curves, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbionet.errors import SymbionetError
from symbionet.present.targeting_figures import composite_curves_figure, grand_composite_figure
from symbionet.results import Result
from symbionet.targeting.heat import composite_curves, heat_targets, read_heat_streams
from symbionet.targeting.options import HeatOptions
from tests.conftest import ROOT

BENCHMARKS = ROOT / "tests" / "data" / "benchmarks"
METHODS = ["cascade", "lp"]


def streams(*rows: tuple[str, float, float, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["name", "supply_temp_c", "target_temp_c", "cp_kw_per_k"])


def kemp() -> pd.DataFrame:
    """The published four-stream problem, from its original columns."""
    raw = pd.read_csv(BENCHMARKS / "kemp_four_stream.csv")
    return pd.DataFrame(
        {
            "name": raw.kind.str[0].str.upper() + raw.stream.astype(str),
            "supply_temp_c": raw.supply_temp_C,
            "target_temp_c": raw.target_temp_C,
            "cp_kw_per_k": raw.cp_kW_per_K,
        }
    )


@pytest.mark.parametrize("method", METHODS)
def test_kemp_four_stream_published_targets(method: str) -> None:
    targets = heat_targets(kemp(), dt_min=10, method=method)
    assert targets.hot_utility_kw == pytest.approx(20, rel=1e-6)
    assert targets.cold_utility_kw == pytest.approx(60, rel=1e-6)
    assert targets.heat_recovery_kw == pytest.approx(450, rel=1e-6)
    assert targets.pinch_shifted_c == pytest.approx(85, rel=1e-6)
    assert targets.pinch_hot_c == pytest.approx(90, rel=1e-6)
    assert targets.pinch_cold_c == pytest.approx(80, rel=1e-6)
    assert not targets.threshold


def test_example_file_is_the_kemp_problem() -> None:
    table = read_heat_streams(ROOT / "examples" / "targeting" / "kemp_four_stream.csv")
    assert table.line.tolist() == [2, 3, 4, 5]
    pd.testing.assert_frame_equal(
        table[kemp().columns].reset_index(drop=True), kemp(), check_dtype=False
    )


@pytest.mark.parametrize("method", METHODS)
def test_threshold_needing_only_hot_utility(method: str) -> None:
    # The hot stream (100 kW) is hotter than the cold one everywhere: it gives all its heat
    # and the cold stream (140 kW) still needs 40 kW; nothing is left to cool.
    problem = streams(("H", 150, 50, 1.0), ("C", 30, 100, 2.0))
    targets = heat_targets(problem, dt_min=10, method=method)
    assert targets.hot_utility_kw == pytest.approx(40)
    assert targets.cold_utility_kw == 0
    assert targets.heat_recovery_kw == pytest.approx(100)
    assert targets.threshold
    assert targets.pinch_shifted_c is None and targets.pinch_hot_c is None


@pytest.mark.parametrize("method", METHODS)
def test_threshold_needing_only_cold_utility(method: str) -> None:
    problem = streams(("H", 200, 40, 2.0), ("C", 50, 120, 1.0))
    targets = heat_targets(problem, dt_min=10, method=method)
    assert targets.hot_utility_kw == 0
    assert targets.cold_utility_kw == pytest.approx(250)
    assert targets.heat_recovery_kw == pytest.approx(70)
    assert targets.threshold and targets.pinch_shifted_c is None


def test_stream_contributions_replace_half_the_minimum_approach() -> None:
    wide = heat_targets(kemp(), dt_min=20)
    own = heat_targets(kemp().assign(dt_min_contribution_k=10.0), dt_min=10)
    assert own.hot_utility_kw == pytest.approx(wide.hot_utility_kw)
    assert own.cold_utility_kw == pytest.approx(wide.cold_utility_kw)
    assert own.pinch_shifted_c == pytest.approx(wide.pinch_shifted_c)
    assert wide.hot_utility_kw > 20  # a wider approach costs utility on this problem


def test_a_blank_contribution_falls_back_to_half_the_minimum_approach() -> None:
    partly = kemp().assign(dt_min_contribution_k=[np.nan, 5.0, np.nan, 5.0])
    assert heat_targets(partly, dt_min=10).hot_utility_kw == pytest.approx(20)


temperature = st.integers(min_value=0, max_value=300)


@st.composite
def heat_problems(draw: st.DrawFn) -> pd.DataFrame:
    count = draw(st.integers(min_value=1, max_value=6))
    rows = []
    for i in range(count):
        supply = draw(temperature)
        target = draw(temperature.filter(lambda t, s=supply: t != s))
        cp = draw(st.integers(min_value=1, max_value=20)) / 2
        rows.append((f"S{i}", supply, target, cp))
    return streams(*rows)


@settings(max_examples=60, deadline=None)
@given(problem=heat_problems(), dt_min=st.sampled_from([0, 5, 10, 20]))
def test_problem_table_and_transshipment_lp_agree(problem: pd.DataFrame, dt_min: float) -> None:
    cascade = heat_targets(problem, dt_min=dt_min, method="cascade")
    lp = heat_targets(problem, dt_min=dt_min, method="lp")
    scale = 1e-6 * max(1.0, float((problem.cp_kw_per_k * 300).sum()))
    assert lp.hot_utility_kw == pytest.approx(cascade.hot_utility_kw, abs=scale)
    assert lp.cold_utility_kw == pytest.approx(cascade.cold_utility_kw, abs=scale)
    assert lp.threshold == cascade.threshold
    assert lp.pinch_shifted_c == cascade.pinch_shifted_c
    duty = problem.cp_kw_per_k * (problem.supply_temp_c - problem.target_temp_c)
    # First law: utilities differ by the streams' net heat.
    assert cascade.cold_utility_kw - cascade.hot_utility_kw == pytest.approx(duty.sum(), abs=scale)
    assert 0 <= cascade.heat_recovery_kw <= duty.clip(lower=0).sum() + scale


def test_curves_touch_at_the_pinch() -> None:
    targets = heat_targets(kemp(), dt_min=10)
    hot, cold = composite_curves_figure(kemp(), targets).data
    assert hot.name == "hot composite" and cold.name == "cold composite"
    assert (hot.x[0], hot.x[-1]) == (0, 510)  # all the heat of the hot streams
    assert (cold.x[0], cold.x[-1]) == (60, 530)  # starts at the cold utility
    assert np.interp(90, hot.y, hot.x) == pytest.approx(np.interp(80, cold.y, cold.x))
    (grand,) = grand_composite_figure(targets).data
    assert min(grand.x) == 0 and grand.y[int(np.argmin(grand.x))] == 85
    assert (grand.x[0], grand.x[-1]) == (20, 60)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "streams.csv"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[tuple[str, int | None, str | None]]:
    with pytest.raises(SymbionetError) as caught:
        read_heat_streams(path)
    assert all(p.file == str(path) for p in caught.value.problems)
    return [(p.message, p.row, p.column) for p in caught.value.problems]


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "name,supply_temp_c,target_temp_c\nH,150,50\n")
    assert problems_of(path) == [("required column is missing", 1, "cp_kw_per_k")]


def test_non_numeric_and_negative_values_are_located(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name,supply_temp_c,target_temp_c,cp_kw_per_k\nH,150,50,2\n\nC,hot,90,1\nD,20,90,-1\n",
    )
    assert problems_of(path) == [
        ("'hot' is not a number", 4, "supply_temp_c"),
        ("-1 is below 0", 5, "cp_kw_per_k"),
    ]
    path = write(tmp_path, "name,supply_temp_c,target_temp_c,cp_kw_per_k\nH,150,50,0\n")
    assert problems_of(path) == [("must be above 0", 2, "cp_kw_per_k")]


def test_a_stream_that_does_not_change_temperature_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "Name , Supply_Temp_C,target_temp_c,cp_kw_per_k\nH,150,150,2\n")
    assert problems_of(path) == [
        ("equals the supply temperature: no heat to move", 2, "target_temp_c")
    ]


def test_missing_file_and_empty_cells(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "absent.csv") == [
        ("cannot read: No such file or directory", None, None)
    ]
    ((message, row, column),) = problems_of(tmp_path)  # a folder, not a file
    assert message.startswith("cannot read") and (row, column) == (None, None)
    path = write(tmp_path, "name,supply_temp_c,target_temp_c,cp_kw_per_k\n,150,50,\n")
    assert problems_of(path) == [
        ("value required", 2, "cp_kw_per_k"),
        ("value required", 2, "name"),
    ]


@pytest.mark.parametrize("dt_min", [-1, float("nan"), float("inf"), 1e308])
def test_a_minimum_approach_that_is_not_a_usable_number_is_refused(dt_min: float) -> None:
    with pytest.raises(SymbionetError, match="dt_min: must be a number from 0 to 1e"):
        heat_targets(kemp(), dt_min=dt_min)


def test_an_unknown_method_or_option_is_refused() -> None:
    with pytest.raises(SymbionetError, match="method: must be cascade or lp, not 'pinch'"):
        HeatOptions(method="pinch")
    with pytest.raises(SymbionetError, match="dtmin: is not an option"):
        heat_targets(kemp(), dtmin=10)


def test_the_default_minimum_approach_is_10_k() -> None:
    assert HeatOptions().dt_min == 10
    assert heat_targets(kemp()).hot_utility_kw == pytest.approx(20)


def test_a_column_that_is_not_used_is_named_in_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "name,supply_temp_c,target_temp_c,cp_kw_per_k,Duty_kW\nH,150,50,2,200\n")
    (warning,) = read_heat_streams(path).attrs["warnings"]
    assert (warning.file, warning.row, warning.column, warning.severity) == (
        str(path),
        1,
        "duty_kw",
        "warning",
    )
    assert warning.message.startswith("not used: not one of the columns name, supply_temp_c")


def test_targets_are_a_result_with_their_tables() -> None:
    targets = heat_targets(kemp(), dt_min=10)
    assert isinstance(targets, Result)
    assert list(targets.tables()) == ["targets", "cascade"]
    row = targets.tables()["targets"].iloc[0]
    assert (row.hot_utility_kw, row.cold_utility_kw) == pytest.approx((20, 60))
    assert targets.to_frame() is targets.cascade
    assert "cascade" not in targets.to_dict()


def test_composite_curves_by_hand() -> None:
    curves = composite_curves(kemp(), heat_targets(kemp(), dt_min=10))
    hot = curves[curves.curve == "hot"]
    # hot streams: 170 -> 60 C at CP 3 and 150 -> 30 C at CP 1.5 (Kemp)
    assert hot.temperature_c.tolist() == [30, 60, 150, 170]
    assert hot.heat_kw.tolist() == pytest.approx([0, 45, 45 + 90 * 4.5, 45 + 405 + 60])
