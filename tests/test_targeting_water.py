"""Water targets: the Wang-Smith benchmark in both forms, networks that respect every
limit, infeasible problems, several contaminants, cascade against LP on random problems,
and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbionet.errors import SymbionetError
from symbionet.present.targeting_figures import water_figure
from symbionet.targeting import water as water_module
from symbionet.targeting.water import (
    FRESHWATER,
    WASTEWATER,
    WaterTargets,
    allocation_network,
    cascade_targets,
    read_water_table,
    water_targets,
)
from tests.conftest import ROOT

BENCHMARKS = ROOT / "tests" / "data" / "benchmarks"
METHODS = ["cascade", "lp"]
LOAD = ["operation", "contaminant", "mass_load_kg_per_h", "c_in_max_ppm", "c_out_max_ppm"]
FLOW = ["stream_id", "kind", "flow_t_per_h", "concentration_ppm"]
TOL = 1e-6


def flows(targets: WaterTargets) -> pd.Series:
    """The network as flows indexed by (from, to)."""
    edges = pd.DataFrame(targets.network, columns=["from", "to", "flow_t_per_h"])
    return edges.groupby(["from", "to"]).flow_t_per_h.sum()


def total(network: pd.Series, level: str, node: str) -> float:
    """Flow into (level "to") or out of (level "from") one node."""
    return float(network[network.index.get_level_values(level) == node].sum())


def assert_fixed_flowrate_network(table: pd.DataFrame, targets: WaterTargets) -> None:
    """Every sink gets its flow within its concentration; no source gives more than it has."""
    network = flows(targets)
    streams = table.set_index("stream_id")
    ppm = streams.concentration_ppm.to_dict() | {FRESHWATER: targets.freshwater_ppm}
    for sink, row in streams[streams.kind == "sink"].iterrows():
        into = network.xs(sink, level="to")
        assert into.sum() == pytest.approx(row.flow_t_per_h, abs=TOL)
        mixed = sum(q * ppm[source] for source, q in into.items())
        assert mixed <= row.flow_t_per_h * row.concentration_ppm + TOL
    for source, row in streams[streams.kind == "source"].iterrows():
        assert total(network, "from", source) == pytest.approx(row.flow_t_per_h)
    assert total(network, "from", FRESHWATER) == pytest.approx(targets.freshwater_t_per_h)
    assert total(network, "to", WASTEWATER) == pytest.approx(targets.wastewater_t_per_h)


def assert_fixed_load_network(table: pd.DataFrame, targets: WaterTargets) -> None:
    """Each operation picks up its loads with inlet and outlet within their limits."""
    network = flows(targets).unstack(fill_value=0.0)
    operations = list(pd.unique(table.operation.astype(str)))
    nodes = [FRESHWATER, *operations, WASTEWATER]
    matrix = network.reindex(index=nodes, columns=nodes, fill_value=0.0)
    pipes = matrix.loc[operations, operations].to_numpy()
    fresh = matrix.loc[FRESHWATER, operations].to_numpy()
    through = fresh + pipes.sum(axis=0)
    np.testing.assert_allclose(through, matrix.loc[operations].to_numpy().sum(axis=1), atol=TOL)
    assert fresh.sum() == pytest.approx(targets.freshwater_t_per_h)
    for _, rows in table.groupby("contaminant"):
        rows = rows.set_index(rows.operation.astype(str)).loc[operations]
        loads = 1000 * rows.mass_load_kg_per_h.to_numpy()
        outlet = np.linalg.solve(np.diag(through) - pipes.T, targets.freshwater_ppm * fresh + loads)
        inlet = (targets.freshwater_ppm * fresh + pipes.T @ outlet) / through
        assert (inlet <= rows.c_in_max_ppm.to_numpy() * (1 + 1e-6) + TOL).all()
        assert (outlet <= rows.c_out_max_ppm.to_numpy() * (1 + 1e-6) + TOL).all()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "name", ["wang_smith_1994_fixed_load.csv", "wang_smith_1994_fixed_flowrate.csv"]
)
def test_wang_smith_published_targets(name: str, method: str) -> None:
    table = read_water_table(BENCHMARKS / name)
    targets = water_targets(table, method=method)
    assert targets.freshwater_t_per_h == pytest.approx(90, rel=1e-6)
    assert targets.wastewater_t_per_h == pytest.approx(90, rel=1e-6)
    assert targets.pinch_ppm == pytest.approx(100, rel=1e-6)
    assert targets.optimal
    if targets.form == "fixed load":
        assert_fixed_load_network(table, targets)
    else:
        assert_fixed_flowrate_network(table, targets)


def test_reuse_saves_water_against_freshwater_only() -> None:
    table = read_water_table(BENCHMARKS / "wang_smith_1994_fixed_load.csv")
    fresh_only = 1000 * table.mass_load_kg_per_h / table.c_out_max_ppm
    assert fresh_only.sum() == pytest.approx(112.5)  # the README's no-reuse figure
    assert water_targets(table).freshwater_t_per_h < fresh_only.sum()


def test_sources_that_cover_every_sink_need_no_freshwater() -> None:
    table = pd.DataFrame(
        [("s", "source", 50, 20), ("k1", "sink", 20, 30), ("k2", "sink", 10, 100)], columns=FLOW
    )
    targets = water_targets(table)
    assert targets.freshwater_t_per_h == 0 and targets.pinch_ppm is None
    assert targets.wastewater_t_per_h == pytest.approx(20)
    assert_fixed_flowrate_network(table, targets)


def test_flow_limited_problem_has_no_pinch() -> None:
    # Clean enough sources, but too little of them: freshwater makes up the flow.
    table = pd.DataFrame([("s", "source", 10, 0), ("k", "sink", 30, 50)], columns=FLOW)
    targets = water_targets(table)
    assert targets.freshwater_t_per_h == pytest.approx(20)
    assert targets.wastewater_t_per_h == 0 and targets.pinch_ppm is None


def test_freshwater_concentration_raises_the_target() -> None:
    table = read_water_table(BENCHMARKS / "wang_smith_1994_fixed_flowrate.csv")
    table = table[table.concentration_ppm > 0]  # a sink at 0 ppm cannot take 10 ppm water
    clean = water_targets(table).freshwater_t_per_h
    dirty = water_targets(table, freshwater_ppm=10)
    assert dirty.freshwater_t_per_h > clean
    assert_fixed_flowrate_network(table, dirty)


def test_a_sink_cleaner_than_freshwater_is_infeasible() -> None:
    table = pd.DataFrame(
        [("s", "source", 10, 50), ("ok", "sink", 5, 100), ("pure", "sink", 5, 2)], columns=FLOW
    )
    table["line"] = [2, 3, 4]
    with pytest.raises(SymbionetError) as caught:
        water_targets(table, freshwater_ppm=10)
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (4, "concentration_ppm")
    assert "cleaner than the freshwater (10 ppm)" in problem.message


def test_a_cleaner_source_can_meet_a_sink_below_freshwater() -> None:
    table = pd.DataFrame([("s", "source", 10, 0), ("k", "sink", 5, 2)], columns=FLOW)
    assert water_targets(table, freshwater_ppm=10).freshwater_t_per_h == 0


def test_an_operation_needing_water_cleaner_than_freshwater_is_infeasible() -> None:
    table = read_water_table(BENCHMARKS / "wang_smith_1994_fixed_load.csv")
    with pytest.raises(SymbionetError) as caught:
        water_targets(table, freshwater_ppm=20)
    located = [(p.row, p.column) for p in caught.value.problems]
    assert located == [(2, "c_in_max_ppm")]  # operation 1 takes at most 0 ppm


def load_table(*rows: tuple[str, str, float, float, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=LOAD)


def test_two_contaminants_where_one_decides_everything() -> None:
    # X alone: A needs 10 t/h (1 kg/h, 0 -> 100 ppm); B takes A's outlet at 100 ppm and
    # needs 3 kg/h of X capacity below 200 ppm: 15 t/h. Y never binds, so 15 t/h.
    table = load_table(
        ("A", "X", 1.0, 0, 100),
        ("A", "Y", 0.5, 0, 100),
        ("B", "X", 2.0, 100, 200),
        ("B", "Y", 1.0, 50, 150),
    )
    targets = water_targets(table)
    assert targets.freshwater_t_per_h == pytest.approx(15, rel=1e-6)
    assert targets.optimal and targets.optimality.startswith("proven optimal")
    assert targets.lower_bound_t_per_h == pytest.approx(15, rel=1e-6)
    assert targets.contaminants == ["X", "Y"] and targets.pinch_ppm is None
    assert_fixed_load_network(table, targets)


def test_two_contaminants_that_forbid_reuse() -> None:
    # Each contaminant alone allows reuse (X: 10 t/h, Y: 11 t/h), but both operations take
    # only 0 ppm of one contaminant that the other one's outlet carries: no reuse at all,
    # A needs 10 t/h (X) and B 10 t/h (Y), 20 t/h in all.
    table = load_table(
        ("A", "X", 1.0, 0, 100),
        ("A", "Y", 0.1, 0, 100),
        ("B", "X", 0.1, 100, 200),
        ("B", "Y", 1.0, 0, 100),
    )
    targets = water_targets(table)
    assert targets.freshwater_t_per_h == pytest.approx(20, rel=1e-6)
    assert targets.wastewater_t_per_h == pytest.approx(20, rel=1e-6)
    assert targets.optimal
    assert sorted(map(tuple, pd.DataFrame(targets.network)[["from", "to"]].to_numpy())) == [
        ("A", WASTEWATER),
        ("B", WASTEWATER),
        (FRESHWATER, "A"),
        (FRESHWATER, "B"),
    ]
    for one in ("X", "Y"):
        single = water_targets(table[table.contaminant == one]).freshwater_t_per_h
        assert single < 20  # each contaminant alone would allow reuse


def test_relaxation_and_repair_prove_a_network_with_reuse() -> None:
    # B's outlet can dilute into A only partly: the optimum mixes fresh and reused water.
    table = load_table(
        ("A", "X", 0.3, 50, 135),
        ("A", "Y", 1.5, 50, 138),
        ("B", "X", 1.4, 0, 110),
        ("B", "Y", 0.4, 50, 147),
    )
    targets = water_targets(table)
    assert targets.optimal
    single = max(cascade_targets(table[table.contaminant == k])[0] for k in "XY")
    assert targets.freshwater_t_per_h > single + 1  # the bound of one contaminant is not enough
    assert targets.lower_bound_t_per_h == pytest.approx(targets.freshwater_t_per_h, rel=1e-5)
    assert ("B", "A") in flows(targets).index
    assert_fixed_load_network(table, targets)


def test_an_open_gap_is_reported_as_best_found(monkeypatch: pytest.MonkeyPatch) -> None:
    # One relaxation and no repair leave the successive LP's network (outlets first at their
    # maxima) short of the bound on this three-contaminant problem.
    monkeypatch.setattr(water_module, "ROUNDS", 1)
    monkeypatch.setattr(water_module, "REPAIR_MARGINS", ())
    table = read_water_table(ROOT / "examples" / "targeting" / "three_contaminants.csv")
    targets = water_targets(table)
    assert not targets.optimal
    assert targets.optimality.startswith("best found: optimum >= 105.5")
    assert 105 < targets.lower_bound_t_per_h < targets.freshwater_t_per_h < 106
    assert_fixed_load_network(table, targets)


def test_operations_must_list_every_contaminant_once() -> None:
    table = load_table(("A", "X", 1, 0, 100), ("A", "X", 1, 0, 100), ("B", "Y", 1, 0, 100))
    table["line"] = [2, 3, 4]
    with pytest.raises(SymbionetError) as caught:
        water_targets(table)
    messages = [(p.row, p.message) for p in caught.value.problems]
    assert messages == [
        (3, "listed twice for operation 'A'"),
        (2, "operation 'A' has no row for 'Y'"),
        (4, "operation 'B' has no row for 'X'"),
    ]


concentration = st.integers(min_value=0, max_value=500)
flow = st.integers(min_value=1, max_value=100)


@settings(max_examples=40, deadline=None)
@given(
    sinks=st.lists(st.tuples(flow, concentration), min_size=1, max_size=4),
    sources=st.lists(st.tuples(flow, concentration), min_size=1, max_size=4),
    freshwater_ppm=st.sampled_from([0, 0, 20]),
)
def test_water_cascade_and_allocation_lp_agree(
    sinks: list[tuple[int, int]], sources: list[tuple[int, int]], freshwater_ppm: int
) -> None:
    rows = [(f"k{i}", "sink", *s) for i, s in enumerate(sinks)]
    rows += [(f"s{i}", "source", *s) for i, s in enumerate(sources)]
    table = pd.DataFrame(rows, columns=FLOW)
    columns = ["flow_t_per_h", "concentration_ppm"]
    by_kind = table.set_index("stream_id").groupby("kind")[columns]
    try:
        freshwater, pinch = cascade_targets(table, freshwater_ppm)
    except SymbionetError:
        sinks, sources = by_kind.get_group("sink"), by_kind.get_group("source")
        assert allocation_network(sinks, sources, freshwater_ppm) is None
        return
    lp = water_targets(table, freshwater_ppm=freshwater_ppm, method="lp")
    assert lp.freshwater_t_per_h == pytest.approx(freshwater, rel=1e-6, abs=1e-6)
    assert lp.pinch_ppm == pinch
    assert_fixed_flowrate_network(table, lp)


@settings(max_examples=40, deadline=None)
@given(
    operations=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=50),
            st.integers(min_value=0, max_value=400),
            st.integers(min_value=10, max_value=400),
        ),
        min_size=1,
        max_size=4,
    ),
    freshwater_ppm=st.sampled_from([0, 0, 10]),
)
def test_limiting_composite_and_savelski_bagajewicz_lp_agree(
    operations: list[tuple[int, int, int]], freshwater_ppm: int
) -> None:
    table = load_table(
        *(
            (f"op{i}", "c", load / 10, c_in, c_in + rise)
            for i, (load, c_in, rise) in enumerate(operations)
        )
    )
    if (table.c_in_max_ppm < freshwater_ppm).any():
        with pytest.raises(SymbionetError, match="cleaner than the freshwater"):
            water_targets(table, freshwater_ppm=freshwater_ppm, method="lp")
        return
    freshwater, pinch = cascade_targets(table, freshwater_ppm)
    lp = water_targets(table, freshwater_ppm=freshwater_ppm, method="lp")
    assert lp.freshwater_t_per_h == pytest.approx(freshwater, rel=1e-6, abs=1e-6)
    assert lp.pinch_ppm == pinch
    assert_fixed_load_network(table, lp)


def test_figures_show_the_composites() -> None:
    load = read_water_table(BENCHMARKS / "wang_smith_1994_fixed_load.csv")
    composite, supply = water_figure(load, water_targets(load)).data
    assert composite.x[-1] == pytest.approx(41)  # all the loads, kg/h
    assert np.interp(100, composite.y, composite.x) == pytest.approx(9)  # at the pinch
    assert supply.y[-1] == pytest.approx(1000 * 41 / 90)  # the 90 t/h supply line
    flowrate = read_water_table(BENCHMARKS / "wang_smith_1994_fixed_flowrate.csv")
    sinks, sources = water_figure(flowrate, water_targets(flowrate)).data
    assert sinks.x[-1] == pytest.approx(170) and sources.x[-1] == pytest.approx(260)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "water.csv"
    path.write_text(text, encoding="utf-8")
    return path


def located(path: Path) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(SymbionetError) as caught:
        water_targets(read_water_table(path))
    assert all(p.file == str(path) for p in caught.value.problems)
    return [(p.row, p.column, p.message) for p in caught.value.problems]


def test_bad_fixed_flowrate_rows_are_located(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "stream_id,kind,flow_t_per_h,concentration_ppm\na,source,ten,5\nb,sink,-3,5\nc,drain,3,5\n",
    )
    assert located(path) == [
        (2, "flow_t_per_h", "'ten' is not a number"),
        (3, "flow_t_per_h", "-3 is below 0"),
        (4, "kind", "'drain' is not one of source, sink"),
    ]
    path.write_text(
        "stream_id,kind,flow_t_per_h,concentration_ppm\na,Source,0,5\nwastewater,sink,3,5\n"
    )
    assert located(path) == [
        (2, "flow_t_per_h", "must be above 0"),
        (3, "stream_id", "'wastewater' is reserved for the network"),
    ]


def test_bad_fixed_load_rows_are_located(tmp_path: Path) -> None:
    path = write(tmp_path, "operation,contaminant,mass_load_kg_per_h,c_in_max_ppm\n1,x,2,0\n")
    assert located(path) == [(1, "c_out_max_ppm", "required column is missing")]
    path.write_text(
        "operation,contaminant,mass_load_kg_per_h,c_in_max_ppm,c_out_max_ppm\n1,x,2,100,50\n"
    )
    assert located(path) == [(2, "c_out_max_ppm", "must be above c_in_max_ppm")]


def test_a_header_of_neither_form_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n1,2\n")
    ((row, column, message),) = located(path)
    assert (row, column) == (1, None)
    assert "operation" in message and "stream_id" in message


def test_targets_are_a_result_with_the_network_as_a_table() -> None:
    targets = water_targets(read_water_table(BENCHMARKS / "wang_smith_1994_fixed_flowrate.csv"))
    assert list(targets.tables()) == ["targets", "network"]
    assert list(targets.to_frame().columns) == ["from", "to", "flow_t_per_h"]
    assert targets.tables()["targets"].freshwater_t_per_h.item() == pytest.approx(90)
    edges = targets.to_dict()["network"]
    assert isinstance(edges, list) and set(edges[0]) == {"from", "to", "flow_t_per_h"}
    assert sum(e["flow_t_per_h"] for e in edges if e["from"] == FRESHWATER) == pytest.approx(90)
