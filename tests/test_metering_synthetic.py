"""The synthetic year against its truth: faults flagged where they are, totals and coverage
unspoilt by them; the benchmark generator; the readings commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from symbionet import load_park
from symbionet.metering import flag_readings, read_readings, verify
from symbionet.metering.synthetic import benchmark_readings, synthetic_year, write_readings
from symbionet.present.cli import app
from symbionet.register.park import Park
from tests.conftest import EXAMPLES

runner = CliRunner()
SYMBIONET = Path(sys.executable).with_name("symbionet")
KALUNDBORG = EXAMPLES / "kalundborg"


@pytest.fixture(scope="module")
def park() -> Park:
    return load_park(KALUNDBORG)


@pytest.fixture(scope="module")
def year(park: Park, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    made = synthetic_year(park, 2024, seed=7)
    path = made.write(tmp_path_factory.mktemp("readings") / "scada.csv")
    readings = read_readings(path, park, made.meters)
    flagged = flag_readings(readings, park, made.meters)
    return made, flagged, verify(park, flagged, 2024)


def test_the_year_matches_the_register(park: Park, year) -> None:  # type: ignore[no-untyped-def]
    made, _, _ = year
    truth = made.truth
    assert truth["total"].to_numpy() == pytest.approx(truth["expected"].to_numpy(), rel=1e-12)
    operating = park.exchanges.index[park.exchanges["status"] == "operating"]
    assert sorted(truth.index) == sorted(operating)


def test_every_fault_is_flagged_where_it_is(year) -> None:  # type: ignore[no-untyped-def]
    made, flagged, _ = year
    flags = flagged.flags
    assert sorted(made.faults["fault"]) == sorted(
        ["gap", "gap", "duplicate", "stuck", "negative", "outlier", "counter_reset", "unit_change"]
    )
    for fault in made.faults.itertuples(index=False):
        mine = flags[(flags["meter"] == fault.meter) & (flags["flag"] == fault.fault)]
        if fault.fault == "duplicate":  # five rows repeated: one flag each
            assert len(mine) == 5
            assert mine["start"].min() == fault.start
            continue
        assert len(mine) == 1, fault
        assert mine.iloc[0]["start"] == fault.start
        assert mine.iloc[0]["end"] == fault.end
    assert len(flags) == len(made.faults) + 4  # the duplicate's 5 flags


def test_totals_and_coverage_are_those_of_the_unspoilt_readings(year) -> None:  # type: ignore[no-untyped-def]
    made, _, verified = year
    table = verified.table.xs(2024, level="year")
    truth = made.truth.reindex(table.index)
    # values are written with 6 decimals: the sums agree to about 1e-9
    assert table["measured"].to_numpy() == pytest.approx(truth["valid"].to_numpy(), rel=1e-8)
    assert table["coverage"].to_numpy() == pytest.approx(truth["coverage"].to_numpy(), abs=1e-12)
    assert table["expected"].to_numpy() == pytest.approx(truth["expected"].to_numpy())
    spoilt = truth["coverage"] < 1
    assert spoilt.sum() == 6  # two gaps, stuck, negative, outlier, counter reset
    # what is missing is missing: the measured total falls short by about the share uncovered
    short = 1 - table["measured"] / table["expected"]
    assert (short[spoilt] > 0).all()
    assert (short[spoilt] - (1 - table["coverage"][spoilt])).abs().max() < 0.003
    assert (short[~spoilt].abs() < 1e-8).all()


def test_the_same_seed_gives_the_same_year(park: Park) -> None:
    first = synthetic_year(park, 2023, seed=3)
    again = synthetic_year(park, 2023, seed=3)
    pd.testing.assert_frame_equal(first.readings, again.readings)
    other = synthetic_year(park, 2023, seed=4)
    assert not first.readings["Værdi"].equals(other.readings["Værdi"])
    assert len(first.amounts) == 16 * 8760  # 2023: 8760 hours


def test_a_quarter_hourly_year(park: Park) -> None:
    made = synthetic_year(park, 2024, seed=1, interval="15min")
    readings = read_readings(made.readings, park, made.meters)
    verified = verify(park, readings, 2024, made.meters)
    table = verified.table.xs(2024, level="year")
    truth = made.truth.reindex(table.index)
    assert table["measured"].to_numpy() == pytest.approx(truth["valid"].to_numpy(), rel=1e-12)
    assert table["coverage"].to_numpy() == pytest.approx(truth["coverage"].to_numpy(), abs=1e-12)


def test_benchmark_readings(park: Park, tmp_path: Path) -> None:
    meters, readings = benchmark_readings(park, n_meters=20, year=2024, interval="15min")
    steps = 366 * 96
    # 1 in 2000 rows dropped, 1 in 20000 repeated
    assert len(readings) == 20 * steps - 20 * steps // 2000 + 20 * steps // 20000
    path = write_readings(readings, tmp_path / "bench.csv")
    back = read_readings(path, park, meters)
    assert len(back) == len(readings)
    verified = verify(park, back, 2024, meters)
    table = verified.table
    assert table["readings"].sum() == 20 * steps - 20 * steps // 2000 - 20 * steps // 100000
    assert table["duplicate"].sum() == 20 * steps // 20000
    assert table["negative"].sum() == 20 * steps // 100000
    # 20 meters over the 16 operating exchanges: each exchange's meters share its quantity
    ratio = table["measured"] / table["expected"] / table["coverage"]
    assert (ratio - 1).abs().max() < 0.01
    parquet = write_readings(readings, tmp_path / "bench.parquet")
    assert len(read_readings(parquet, park, meters)) == len(readings)


# --- the commands ------------------------------------------------------------------------


def test_synthesize_check_and_verify(tmp_path: Path) -> None:
    out = tmp_path / "year.csv"
    made = runner.invoke(app, ["readings", "synthesize", str(KALUNDBORG), "--out", str(out)])
    assert made.exit_code == 0, made.output
    meters = tmp_path / "year-meters.csv"
    assert meters.is_file()
    again = runner.invoke(app, ["readings", "synthesize", str(KALUNDBORG), "--out", str(out)])
    assert again.exit_code != 0
    checked = runner.invoke(
        app, ["readings", "check", str(KALUNDBORG), str(out), "--meters", str(meters)]
    )
    assert checked.exit_code == 0, checked.output
    assert "m_tisso_refinery" in checked.output and "12 flags" in checked.output
    verified = runner.invoke(
        app,
        ["readings", "verify", str(KALUNDBORG), str(out), "--meters", str(meters), "--json"],
    )
    assert verified.exit_code == 0, verified.output
    data = json.loads(verified.output)
    rows = {row["exchange"]: row for row in data["table"]}
    assert rows["tisso_refinery"]["expected"] == 900000
    assert rows["tisso_refinery"]["year"] == 2023  # the park's year
    assert 0 < rows["tisso_refinery"]["coverage"] <= 1
    assert len(data["flags"]) == 12


def test_the_example_meters_read_the_synthetic_year(tmp_path: Path) -> None:
    out = tmp_path / "year.csv"
    assert (
        runner.invoke(app, ["readings", "synthesize", str(KALUNDBORG), "--out", str(out)]).exit_code
        == 0
    )
    written = pd.read_csv(tmp_path / "year-meters.csv")
    example = pd.read_csv(KALUNDBORG / "meters.csv")
    assert written["id"].tolist() == example["id"].tolist()
    assert written["kind"].tolist() == example["kind"].tolist()
    verified = runner.invoke(
        app, ["readings", "verify", str(KALUNDBORG), str(out), "--year", "2024"]
    )
    assert verified.exit_code == 0, verified.output
    assert "tisso_refinery" in verified.output


def test_bad_readings_end_with_the_problem_and_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "timestamp,meter,value,unit\n2024-01-01 00:00,m_tisso_refinery,1,m3/h\n",
        encoding="utf-8",
    )
    meters = tmp_path / "meters.csv"
    meters.write_text("id,exchange,unit,kind\nm_tisso_refinery,tisso_refinery,m3,interval\n")
    result = subprocess.run(
        [str(SYMBIONET), "readings", "check", str(KALUNDBORG), str(path), "--meters", str(meters)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{path}:2:unit: meter 'm_tisso_refinery': 'm3/h' is not an amount" in result.stderr


def test_a_bad_meters_file_is_located(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("timestamp,meter,value\n", encoding="utf-8")
    meters = tmp_path / "meters.csv"
    meters.write_text("id,exchange,unit,kind\nm1,tisso_refinery,m3,sometimes\n")
    result = subprocess.run(
        [str(SYMBIONET), "readings", "verify", str(KALUNDBORG), str(path), "--meters", str(meters)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{meters}:2:kind: 'sometimes' is not one of interval, rate, counter" in result.stderr


def test_a_park_without_operating_exchanges_has_nothing_to_synthesize(tmp_path: Path) -> None:
    park = tmp_path / "empty"
    park.mkdir()
    (park / "park.yaml").write_text("name: Empty\nyear: 2024\n", encoding="utf-8")
    (park / "actors.csv").write_text("id,name\na,Alpha\n", encoding="utf-8")
    (park / "sites.csv").write_text("id,actor,lat,lon\ns,a,56,10\n", encoding="utf-8")
    (park / "streams.csv").write_text(
        "id,site,direction,resource,quantity,unit\n", encoding="utf-8"
    )
    for extra in ([], ["--count", "5"]):
        out = tmp_path / f"readings{len(extra)}.csv"
        made = CliRunner().invoke(
            app, ["readings", "synthesize", str(park), "--out", str(out), *extra]
        )
        assert made.exit_code == 1 and not out.exists()
        assert "no operating exchange carries anything to meter" in str(made.exception)
    sheet = CliRunner().invoke(
        app, ["case-sheet", str(park), "x", "--out", str(tmp_path / "c.html")]
    )
    assert sheet.exit_code == 1 and "unknown exchange 'x' (the park has no exchanges)" in str(
        sheet.exception
    )
