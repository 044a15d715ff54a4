"""The synergy pipeline as a library: moves and their rules, figures checked by hand, the
carry-over of a discovered candidate, and the checks made when a park loads."""

from __future__ import annotations

import datetime as dt
import functools
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbionet import SymbionetError, discover, load_park
from symbionet.pipeline import (
    STAGES,
    board,
    from_candidate,
    funnel,
    move,
    projects,
    propose,
    risk_register,
    stage_times,
    stalls,
    time_to_operation,
)
from symbionet.register.park import Park
from symbionet.units import convert
from tests.conftest import write_park

NO_EXCHANGES = {"exchanges.csv": "id,supply,demand,quantity,unit\n"}


@pytest.fixture(scope="module")
def tiny_park(tmp_path_factory: pytest.TempPathFactory) -> Park:
    """The tiny park: gypsum from the power plant to the board plant (exchange g1,
    50,000 t/yr of 73,000 t/yr on offer and 60,000 t/yr wanted)."""
    return load_park(write_park(tmp_path_factory.mktemp("pipeline") / "tiny"))


@pytest.fixture
def gypsum(tiny_park: Park) -> Park:
    """The tiny park with one project at idea: 10,000 t/yr more gypsum, proposed 2020-01-01."""
    return propose(
        tiny_park,
        "More gypsum to the board plant",
        id="more_gypsum",
        on="2020-01-01",
        owner="board",
        partners=["power", "board"],
        supply="gyp",
        demand="nat",
        quantity=10000,
        unit="t/yr",
    )


def refused(park: Park, project: str, stage: str, **kwargs: object) -> str:
    with pytest.raises(SymbionetError) as error:
        move(park, project, stage, **kwargs)  # type: ignore[arg-type]
    return str(error.value)


def test_a_proposal_enters_at_its_stage_with_a_log_entry(gypsum: Park) -> None:
    row = gypsum.table("pipeline").loc["more_gypsum"]
    assert row["stage"] == "idea"
    assert row["proposed"] == "2020-01-01"
    assert row["partners"] == "power; board"
    log = gypsum.table("pipeline_log")
    assert log[["project", "date", "to_stage"]].values.tolist() == [
        ["more_gypsum", "2020-01-01", "idea"]
    ]
    assert log["from_stage"].isna().all()


def test_a_proposal_is_refused_past_feasibility_or_with_unknown_fields(tiny_park: Park) -> None:
    with pytest.raises(SymbionetError, match="enters the pipeline at idea, screening"):
        propose(tiny_park, "x", stage="agreement")
    with pytest.raises(SymbionetError, match="colour: not a column a proposal sets"):
        propose(tiny_park, "x", colour="red")
    with pytest.raises(SymbionetError, match="unknown actor 'nobody'"):
        propose(tiny_park, "x", partners="power; nobody")
    with pytest.raises(SymbionetError, match="'moral' is not one of regulatory"):
        propose(tiny_park, "x", barriers="technical; moral")
    with pytest.raises(SymbionetError, match="is not a date"):
        propose(tiny_park, "x", due="2020-13-01")


def test_each_refused_move_names_its_rule(gypsum: Park) -> None:
    assert "rule 'new stage'" in refused(gypsum, "more_gypsum", "idea", on="2020-02-01")
    assert "rule 'reason to reject'" in refused(gypsum, "more_gypsum", "rejected", on="2020-02-01")
    assert "rule 'dates in order'" in refused(gypsum, "more_gypsum", "screening", on="2019-12-31")
    assert "the agreement date 2019-12-31 is before the proposal 2020-01-01" in refused(
        gypsum, "more_gypsum", "agreement", on="2020-02-01", agreement_date="2019-12-31"
    )
    message = refused(gypsum, "more_gypsum", "operating", on="2020-02-01")
    assert "no agreement date and no start date" in message
    assert "rule 'agreement before operating'" in message
    message = refused(
        gypsum, "more_gypsum", "operating", on="2020-02-01", agreement_date="2020-01-15"
    )
    assert "no start date (rule 'agreement before operating'" in message
    message = refused(
        gypsum,
        "more_gypsum",
        "operating",
        on="2020-02-01",
        agreement_date="2020-01-15",
        start_date="2020-01-10",
    )
    assert "the start date 2020-01-10 is before the agreement date 2020-01-15" in message
    message = refused(gypsum, "more_gypsum", "ended", on="2020-02-01", end_date="2020-02-01")
    assert "is idea, not operating (rule 'ended from operating'" in message
    assert "no project 'other'" in refused(gypsum, "other", "screening")
    assert "'done' is not one of idea" in refused(gypsum, "more_gypsum", "done")

    agreed = move(gypsum, "more_gypsum", "agreement", on="2020-03-01")
    assert agreed.table("pipeline").at["more_gypsum", "agreement_date"] == "2020-03-01"
    message = refused(agreed, "more_gypsum", "feasibility", on="2020-04-01")
    assert "moving back from agreement to feasibility needs a reason" in message
    assert "rule 'reason to go back'" in message
    back = move(agreed, "more_gypsum", "feasibility", on="2020-04-01", reason="price reopened")
    assert pd.isna(back.table("pipeline").at["more_gypsum", "agreement_date"])
    assert back.table("pipeline_log")["decision"].iloc[-1] == "price reopened"

    rejected = move(gypsum, "more_gypsum", "rejected", on="2020-02-01", reason="too far")
    assert rejected.table("pipeline").at["more_gypsum", "rejected_reason"] == "too far"
    message = refused(rejected, "more_gypsum", "agreement", on="2020-03-01", reason="again")
    assert "rule 'reopen with a reason'" in message
    assert "was rejected (too far)" in message
    assert "rule 'reopen with a reason'" in refused(
        rejected, "more_gypsum", "screening", on="2020-03-01"
    )
    reopened = move(rejected, "more_gypsum", "screening", on="2020-03-01", reason="new price")
    row = reopened.table("pipeline").loc["more_gypsum"]
    assert (row["stage"], row["rejected_reason"]) == ("screening", "too far")


def test_an_operating_project_is_an_exchange_of_the_register(gypsum: Park) -> None:
    assert "rule 'exchange when operating'" in refused(
        propose(gypsum, "Unsized", id="unsized", on="2020-01-01"),
        "unsized",
        "operating",
        on="2020-05-01",
        agreement_date="2020-03-01",
        start_date="2020-04-01",
    )
    operating = move(
        gypsum,
        "more_gypsum",
        "operating",
        on="2020-05-01",
        agreement_date="2020-03-01",
        start_date="2020-04-01",
        author="secretariat",
    )
    exchange = operating.exchanges.loc["more_gypsum"]
    assert (exchange["supply"], exchange["demand"], exchange["status"]) == (
        "gyp",
        "nat",
        "operating",
    )
    assert (exchange["quantity"], exchange["unit"], exchange["start_year"]) == (10000, "t/yr", 2020)
    assert exchange["annual_quantity"] == 10000
    assert operating.table("pipeline").at["more_gypsum", "exchange"] == "more_gypsum"
    log = operating.table("pipeline_log").iloc[-1]
    assert (log["from_stage"], log["to_stage"], log["author"]) == (
        "idea",
        "operating",
        "secretariat",
    )
    assert len(gypsum.exchanges) == 1  # the park given is left as it was

    assert "rule 'ended from operating'" in refused(
        operating, "more_gypsum", "rejected", on="2021-01-01", reason="x"
    )
    assert "no end date" in refused(operating, "more_gypsum", "ended", on="2021-01-01")
    assert "the end date 2020-03-31 is before the start date 2020-04-01" in refused(
        operating, "more_gypsum", "ended", on="2021-01-01", end_date="2020-03-31"
    )
    ended = move(operating, "more_gypsum", "ended", on="2023-01-05", end_date="2022-12-31")
    exchange = ended.exchanges.loc["more_gypsum"]
    assert (exchange["status"], exchange["end_year"]) == ("ended", 2022)
    assert "rule 'ended is final'" in refused(ended, "more_gypsum", "operating", on="2024-01-01")


def test_operating_takes_an_exchange_named_and_a_stream_cannot_give_more(gypsum: Park) -> None:
    named = move(
        gypsum,
        "more_gypsum",
        "operating",
        on="2020-05-01",
        agreement_date="2020-03-01",
        start_date="2021-04-01",
        exchange="g1",
    )
    assert len(named.exchanges) == 1
    assert named.exchanges.at["g1", "start_year"] == 2021
    big = propose(
        gypsum,
        "Too much",
        id="much",
        on="2020-01-01",
        supply="gyp",
        demand="nat",
        quantity=20,
        unit="kt/yr",
    )
    with pytest.raises(SymbionetError) as error:
        move(
            big,
            "much",
            "operating",
            on="2024-01-01",
            agreement_date="2023-01-01",
            start_date="2023-06-01",
        )
    assert "streams.csv:quantity: 'nat': operating and agreed exchanges take 70,000" in str(
        error.value
    )


def test_funnel_sums_the_expected_figures_per_stage(tiny_park: Park) -> None:
    park = propose(tiny_park, "A", id="a", on="2021-01-01", co2e_t=100, saving=1000, owner="power")
    park = propose(park, "B", id="b", on="2021-01-01", co2e_t=50, water_m3=20, partners="board")
    park = propose(park, "C", id="c", on="2021-01-01", materials_t=7, saving=-200)
    park = move(park, "b", "feasibility", on="2021-02-01")
    park = move(park, "c", "feasibility", on="2021-02-01")
    table = funnel(park)
    assert list(table.index) == list(STAGES)
    assert table.loc["idea"].to_dict() == {
        "projects": 1,
        "co2e_t": 100,
        "water_m3": 0,
        "materials_t": 0,
        "saving": 1000,
    }
    # feasibility: b and c: 50 + nothing t CO2e, 20 m3, 7 t, nothing - 200
    assert table.loc["feasibility"].to_dict() == {
        "projects": 2,
        "co2e_t": 50,
        "water_m3": 20,
        "materials_t": 7,
        "saving": -200,
    }
    assert table["projects"].sum() == 3
    assert funnel(park, partner="board").loc["feasibility", "projects"] == 1
    assert list(projects(park, partner="power").index) == ["a"]
    assert list(projects(park, stage="feasibility").index) == ["b", "c"]
    shown = board(park)
    assert list(shown) == list(STAGES)
    assert list(shown["feasibility"].index) == ["b", "c"]
    with pytest.raises(SymbionetError, match="unknown actor 'nobody'"):
        funnel(park, partner="nobody")


def test_time_to_operation_and_its_median_by_hand(tmp_path: Path) -> None:
    pipeline = (
        "id,title,stage,owner,exchange,proposed,agreement_date,start_date,end_date\n"
        # 31 + 29 (2020 is a leap year) = 60 days
        "p1,P1,operating,board,g1,2020-01-01,2020-01-01,2020-03-01,\n"
        # 366 days; ended since, it did operate
        "p2,P2,ended,,g1,2020-01-01,2020-06-01,2021-01-01,2022-01-01\n"
        "p3,P3,operating,,g1,2021-01-01,2021-01-01,2021-01-11,\n"  # 10 days
        "p4,P4,agreement,board,,2021-01-01,2021-01-01,,\n"  # not operated: not counted
    )
    park = load_park(write_park(tmp_path / "tiny", {"pipeline.csv": pipeline}))
    times = time_to_operation(park)
    assert times.projects["days"].to_dict() == {"p1": 60, "p2": 366, "p3": 10}
    assert times.median_days == 60
    assert times.to_dict()["median_days"] == 60
    assert time_to_operation(park, partner="board").median_days == 60
    assert time_to_operation(park, partner="power").median_days is None


def test_stalls_lists_overdue_and_long_waiting_projects(tiny_park: Park) -> None:
    park = propose(tiny_park, "Late", id="late", on="2022-01-01", due="2022-03-01")
    park = propose(park, "Slow", id="slow", on="2022-01-01", due="2023-06-01")
    park = move(park, "slow", "screening", on="2022-02-01")
    park = propose(park, "Fine", id="fine", on="2022-05-01", due="2022-12-01")
    park = propose(park, "Dropped", id="dropped", on="2022-01-01", due="2022-02-01")
    park = move(park, "dropped", "rejected", on="2022-01-02", reason="no")
    table = stalls(park, "2022-09-01", longest=180)
    # late: due 2022-03-01, 184 days before 2022-09-01; in idea for 243 days
    # slow: in screening since 2022-02-01, 212 days; not due
    assert list(table.index) == ["late", "slow"]
    assert table.at["late", "days_overdue"] == 184
    assert table.at["late", "days_in_stage"] == 243
    assert table.at["late", "why"] == "184 days past due; 243 days in idea"
    assert table.at["slow", "since"] == "2022-02-01"
    assert table.at["slow", "why"] == "212 days in screening"
    times = stage_times(park, "2022-09-01")
    # idea: late 243, slow 31, fine 123, dropped 1 -> median (31 + 123) / 2 = 77
    assert times.loc["idea"].to_dict() == {"projects": 4, "median_days": 77, "longest_days": 243}
    assert times.loc["screening", "projects"] == 1


def test_risks_are_scored_and_sorted(tiny_park: Park, tmp_path: Path) -> None:
    park = propose(tiny_park, "A", id="a", on="2021-01-01", owner="power")
    folder = tmp_path / "park"
    park.save(folder)
    (folder / "risks.csv").write_text(
        "id,project,risk,category,likelihood,impact\n"
        "r1,a,Gypsum too wet,technical,2,3\nr2,a,Plant closes,supply,4,5\n",
        encoding="utf-8",
    )
    table = risk_register(load_park(folder))
    assert table["score"].tolist() == [20, 6]
    assert table["title"].tolist() == ["A", "A"]


def test_a_candidate_is_carried_over_with_its_figures(tmp_path: Path) -> None:
    park = load_park(write_park(tmp_path / "tiny", NO_EXCHANGES))
    candidate = discover(park).candidates.iloc[0]
    carried = from_candidate(park, candidate, on="2024-02-01", author="secretariat")
    row = carried.table("pipeline").iloc[0]
    assert carried.table("pipeline").index[0] == "gyp-nat"
    assert (row["origin"], row["supply"], row["demand"]) == ("discovery", "gyp", "nat")
    assert (row["owner"], row["partners"]) == ("board", "power; board")
    assert row["quantity"] == candidate["quantity"]
    assert row["co2e_t"] == candidate["co2e_t"]
    assert row["materials_t"] == candidate["virgin_t"] == 60000
    assert row["water_m3"] == candidate["freshwater_m3"] == 0
    rate = convert(1.0, "EUR", "DKK")  # the park is in DKK, discovery values in EUR
    assert row["saving"] == pytest.approx(candidate["value_eur"] * rate, rel=1e-9)
    assert row["title"] == "fgd_gypsum from Power plant to Board plant"
    assert funnel(carried).at["idea", "saving"] == pytest.approx(candidate["value_eur"] * rate)
    with pytest.raises(SymbionetError, match="is project 'gyp-nat' of the pipeline already"):
        from_candidate(carried, candidate)
    existing = discover(load_park(write_park(tmp_path / "with"))).candidates.iloc[0]
    with pytest.raises(SymbionetError, match="already exchanged in the park"):
        from_candidate(park, existing)
    operating = move(
        carried,
        "gyp-nat",
        "operating",
        on="2024-06-01",
        agreement_date="2024-03-01",
        start_date="2024-05-01",
    )
    assert operating.exchanges.at["gyp-nat", "quantity"] == candidate["quantity"]


def test_the_pipeline_is_checked_when_a_park_loads(tmp_path: Path) -> None:
    header = "id,title,stage,partners,barriers,rejected_reason,start_date,due\n"
    folder = write_park(
        tmp_path / "bad",
        {
            "pipeline.csv": header + "a,A,rejected,power;ghost,legal,,,\nb,B,idea,,,,,2021-02-30\n",
            "pipeline_log.csv": "id,project,date,to_stage\nl1,a,2020-01-01,idea\n",
        },
    )
    with pytest.raises(SymbionetError) as error:
        load_park(folder)
    text = str(error.value)
    assert "pipeline.csv:2:partners: unknown actor 'ghost'" in text
    assert "pipeline.csv:2:barriers: 'legal' is not one of regulatory" in text
    assert "pipeline.csv:2:rejected_reason: a rejected synergy needs its reason" in text
    assert "pipeline.csv:3:due: '2021-02-30' is not a date (YYYY-MM-DD)" in text
    assert "pipeline.csv:2:stage: warning: the log's last entry moves it to idea, not rejected" in (
        text
    )


def test_a_park_without_pipeline_loads_and_has_an_empty_funnel(tiny_park: Park) -> None:
    assert "pipeline" not in tiny_park.frames
    assert funnel(tiny_park)["projects"].sum() == 0
    assert time_to_operation(tiny_park).median_days is None
    assert stalls(tiny_park, dt.date(2024, 1, 1)).empty


MOVES = st.lists(
    st.tuples(
        st.sampled_from(STAGES),
        st.booleans(),
        st.integers(min_value=0, max_value=400),
        st.integers(min_value=0, max_value=3),
    ),
    min_size=1,
    max_size=6,
)
"""Moves: the stage, whether a reason is given, the days since the last move, and how many
days before the move the agreement was (0: no agreement date given)."""


@functools.cache
def _gypsum_park() -> Park:
    """The ``gypsum`` park, made once for the property test (loaded whole, then its files
    removed)."""
    folder = Path(tempfile.mkdtemp(prefix="symbionet-pipeline-"))
    try:
        park = load_park(write_park(folder / "tiny"))
    finally:
        shutil.rmtree(folder)
    return propose(
        park,
        "More gypsum",
        id="more_gypsum",
        on="2020-01-01",
        supply="gyp",
        demand="nat",
        quantity=10000,
        unit="t/yr",
    )


@settings(max_examples=25, deadline=None)
@given(moves=MOVES)
def test_any_allowed_moves_keep_the_log_consistent_with_the_stage(
    moves: list[tuple[str, bool, int, int]],
) -> None:
    gypsum = _gypsum_park()
    park, day = gypsum, dt.date(2020, 1, 1)
    for stage, with_reason, days, agreed in moves:
        day += dt.timedelta(days=days)
        before = park
        try:
            park = move(
                park,
                "more_gypsum",
                stage,
                on=day,
                reason="decided" if with_reason else None,
                agreement_date=day - dt.timedelta(days=agreed) if agreed else None,
                start_date=day if stage == "operating" else None,
                end_date=day if stage == "ended" else None,
            )
        except SymbionetError as error:
            assert "rule '" in str(error)
            assert park is before
            continue
        row = park.table("pipeline").loc["more_gypsum"]
        log = park.table("pipeline_log")
        log = log[log["project"] == "more_gypsum"]
        assert log["to_stage"].iloc[-1] == row["stage"] == stage
        assert log["from_stage"].iloc[1:].tolist() == log["to_stage"].iloc[:-1].tolist()
        assert log["date"].is_monotonic_increasing
        assert not park.warnings
        if stage == "rejected":
            assert row["rejected_reason"] == "decided"
        if stage in ("operating", "ended"):
            assert park.exchanges.at[row["exchange"], "status"] == stage


def test_a_write_stopped_between_files_leaves_a_park_that_loads(
    kalundborg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from symbionet.pipeline import write_pipeline
    from symbionet.register import rewrite as files

    park = load_park(kalundborg)
    park = propose(
        park,
        "More biomethane",
        id="more",
        on="2024-01-01",
        supply="biomethane",
        demand="refinery_gas",
        quantity=500000,
        unit="Nm3/yr",
    )
    write_pipeline(park, kalundborg)
    park = move(
        park,
        "more",
        "operating",
        on="2024-06-01",
        agreement_date="2024-02-01",
        start_date="2024-05-01",
    )
    written: list[str] = []
    write_text = files.write_text

    def stop_after_exchanges(path: Path, text: str) -> None:
        if written:
            raise SymbionetError(f"{path}: disk full")
        written.append(Path(path).name)
        write_text(path, text)

    monkeypatch.setattr(files, "write_text", stop_after_exchanges)
    with pytest.raises(SymbionetError, match="disk full"):
        write_pipeline(park, kalundborg)
    assert written == ["exchanges.csv"]
    stopped = load_park(kalundborg)  # the exchange is there, its project not yet operating
    assert stopped.exchanges.at["more", "status"] == "operating"
    assert stopped.table("pipeline").at["more", "stage"] == "idea"
    monkeypatch.undo()
    write_pipeline(park, kalundborg)
    assert load_park(kalundborg).table("pipeline").at["more", "stage"] == "operating"


def test_a_screening_proposal_brings_its_partners_and_evidence(tiny_park: Park) -> None:
    proposal = {
        "supplier": "power",
        "receiver": "board",
        "what": "FGD gypsum",
        "resources": ["fgd_gypsum"],
        "evidence": "Asnæs → Gyproc (Kalundborg, 1993)",
        "existing": False,
    }
    park = from_candidate(tiny_park, proposal, on="2024-01-01")
    row = park.table("pipeline").loc["fgd-gypsum-power-board"]
    assert (row["origin"], row["resource"], row["partners"]) == (
        "screening",
        "fgd_gypsum",
        "power; board",
    )
    assert row["title"] == "FGD gypsum: Power plant to Board plant"
    assert row["notes"] == "Asnæs → Gyproc (Kalundborg, 1993)"
    assert row[["co2e_t", "saving"]].isna().all()


def test_a_decision_is_logged_without_moving_and_risks_are_added(gypsum: Park) -> None:
    from symbionet.pipeline import add_risk, decide

    park = move(gypsum, "more_gypsum", "screening", on="2020-02-01")
    park = decide(
        park,
        "more_gypsum",
        "Ask for a gypsum sample",
        on="2020-03-01",
        author="board",
        next_step="Test the sample",
        due="2020-04-01",
        readiness=3,
    )
    row = park.table("pipeline").loc["more_gypsum"]
    assert (row["stage"], row["next_step"], row["due"], row["readiness"]) == (
        "screening",
        "Test the sample",
        "2020-04-01",
        3,
    )
    last = park.table("pipeline_log").iloc[-1]
    assert (last["to_stage"], last["decision"], last["author"]) == (
        "screening",
        "Ask for a gypsum sample",
        "board",
    )
    assert pd.isna(last["from_stage"])
    assert not park.warnings
    # a decision does not restart the time in the stage: screening since 2020-02-01
    assert stalls(park, "2020-12-01").at["more_gypsum", "since"] == "2020-02-01"
    # screening from 2020-02-01 to 2020-12-01: 304 days, counted once
    times = stage_times(park, "2020-12-01")
    assert times.loc["screening"].to_dict() == {
        "projects": 1,
        "median_days": 304,
        "longest_days": 304,
    }
    with pytest.raises(SymbionetError, match="not a column a decision sets"):
        decide(park, "more_gypsum", "x", on="2020-03-02", stage="operating")
    with pytest.raises(SymbionetError, match="rule 'dates in order'"):
        decide(park, "more_gypsum", "x", on="2020-01-01")
    park = add_risk(park, "more_gypsum", "Gypsum too wet", 2, 4, category="technical")
    assert risk_register(park)[["project", "score"]].values.tolist() == [["more_gypsum", 8]]
    with pytest.raises(
        SymbionetError, match=r"risks\.csv:likelihood: 'more-gypsum-plant-closes': 6 is above 5"
    ):
        add_risk(park, "more_gypsum", "Plant closes", 6, 5)


def test_exchanges_take_the_pipeline_stages_and_dates_are_read_whole(tmp_path: Path) -> None:
    from symbionet import ImpactOptions

    # implementing exchanges hold their quantity as agreed and operating ones do:
    # 50,000 + 30,000 t/yr is more than the 60,000 t/yr the board plant wants
    exchanges = (
        "id,supply,demand,quantity,unit,status\n"
        "g1,gyp,nat,50000,t/yr,operating\ng2,gyp,nat,30000,t/yr,implementation\n"
    )
    with pytest.raises(SymbionetError, match="take 80,000 t/yr of this demand"):
        load_park(write_park(tmp_path / "a", {"exchanges.csv": exchanges}))
    rejected = exchanges.replace("implementation", "rejected")
    assert load_park(write_park(tmp_path / "b", {"exchanges.csv": rejected}))
    assert ImpactOptions(statuses=("implementation", "rejected")).statuses
    # a workbook's date cell is read as its date
    pipeline = "id,title,proposed\na,A,2024-01-15 00:00:00\n"
    park = load_park(write_park(tmp_path / "c", {"pipeline.csv": pipeline}))
    assert park.table("pipeline").at["a", "proposed"] == "2024-01-15"


def test_a_move_is_not_dated_before_the_proposal_of_a_project_without_log(
    tmp_path: Path,
) -> None:
    pipeline = "id,title,stage,proposed\na,A,idea,2022-05-01\n"
    park = load_park(write_park(tmp_path / "tiny", {"pipeline.csv": pipeline}))
    message = refused(park, "a", "screening", on="2022-04-30")
    assert "a move on 2022-04-30 is before its proposal or last log entry (2022-05-01)" in message
    moved = move(park, "a", "screening", on="2022-05-01")
    assert moved.table("pipeline_log")[["from_stage", "to_stage"]].values.tolist() == [
        ["idea", "screening"]
    ]


def test_an_exchange_takes_the_stages_of_the_pipeline() -> None:
    from symbionet.assessment.accounting import STATUSES
    from symbionet.register.stages import STAGES

    # declared twice in the register (pipeline.csv's stage, exchanges.csv's status)
    assert STAGES == STATUSES
    assert STAGES[0] == "idea" and STAGES[-1] == "rejected"
