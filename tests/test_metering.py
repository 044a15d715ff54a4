"""Metered data: reading, unit conversion, each flag on small series checked by hand, time
zones and daylight saving, counters, verified totals and coverage."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symbionet import load_park
from symbionet.errors import SymbionetError
from symbionet.metering import flag_readings, meter_table, read_readings, verify
from symbionet.metering.meters import reading_factor
from symbionet.register.park import Park
from symbionet.units import UnitProblem
from tests.conftest import EXAMPLES, write_park

HOURS_2024 = 366 * 24


@cache
def _kalundborg() -> Park:
    return load_park(EXAMPLES / "kalundborg")


@pytest.fixture
def park() -> Park:
    return _kalundborg()


def meters(*rows: tuple[str, str, str, str], interval: str | None = None) -> pd.DataFrame:
    """A meters table: (id, exchange, unit, kind) per meter."""
    frame = pd.DataFrame(rows, columns=["id", "exchange", "unit", "kind"])
    frame["interval"] = interval
    return frame


WATER = ("w", "tisso_refinery", "m3", "interval")  # surface water, canonical m3
HEAT = ("h", "asnaes_dh", "MW", "rate")  # district heat, canonical MWh
STEAM = ("c", "steam_novo", "t", "counter")  # steam, canonical t


def series(
    meter: str, start: str, values: list[float], freq: str = "1h", unit: str | None = None
) -> pd.DataFrame:
    """Readings of one meter at naive local times from ``start``."""
    times = pd.date_range(start, periods=len(values), freq=freq)
    frame = pd.DataFrame({"time": times, "meter": meter, "value": values})
    if unit is not None:
        frame["unit"] = unit
    return frame


def flagged(park: Park, table: pd.DataFrame, frame: pd.DataFrame):  # type: ignore[no-untyped-def]
    return flag_readings(read_readings(frame, park, table), park, table)


def flags_of(result, flag: str) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return result.flags[result.flags["flag"] == flag]


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# --- units ------------------------------------------------------------------------------


def test_litres_on_a_m3_meter_are_converted_and_flagged_as_a_unit_change(park: Park) -> None:
    table = meters(WATER)
    frame = pd.concat(
        [
            series("w", "2024-01-10 00:00", [10.0, 12.0], unit="m3"),
            series("w", "2024-01-10 02:00", [11000.0, 9000.0], unit="L"),
        ]
    )
    result = flagged(park, table, frame)
    # 10 + 12 m3, then 11000 L = 11 m3 and 9000 L = 9 m3
    assert result.amounts["amount"].tolist() == pytest.approx([10, 12, 11, 9])
    change = flags_of(result, "unit_change")
    assert len(change) == 1
    row = change.iloc[0]
    # 02:00 and 03:00 local (CET, UTC+1) are 01:00 and 02:00 UTC; the run ends at 03:00 UTC
    assert (row["start"], row["end"]) == (utc("2024-01-10 01:00"), utc("2024-01-10 03:00"))
    assert "2 readings in L" in row["detail"] and "m3" in row["detail"]
    assert len(result.flags) == 1


def test_a_change_of_unit_the_file_does_not_declare_is_flagged(park: Park) -> None:
    table = meters(WATER)
    values = [10 + (i % 3) * 0.1 for i in range(48)] + [10_000 + (i % 3) * 100 for i in range(72)]
    result = flagged(park, table, series("w", "2024-09-01 00:00", values))
    change = flags_of(result, "unit_change")
    assert len(change) == 1
    # 00:00 CEST is 22:00 UTC: days in UTC hold readings 0-1, 2-25, 26-49 (22 low, 2 high)
    # and 50-73 (high): the first day with a high median starts 2024-09-03 00:00 UTC
    assert change.iloc[0]["start"] == utc("2024-09-03 00:00")
    assert "a change of unit the file does not declare?" in change.iloc[0]["detail"]
    assert len(result.flags) == 1  # readings left as they are: no outliers, no gaps
    assert len(result.amounts) == 120


def test_kwh_on_a_mwh_meter_are_megawatt_hours(park: Park) -> None:
    table = meters(("e", "asnaes_dh", "MWh", "interval"))
    frame = series("e", "2024-02-01 00:00", [500.0, 1500.0], unit="kWh")
    verified = verify(park, read_readings(frame, park, table), 2024, table)
    assert verified.table.loc[("asnaes_dh", 2024), "measured"] == pytest.approx(2.0)  # 0.5 + 1.5
    assert verified.table.loc[("asnaes_dh", 2024), "unit"] == "MWh"


def test_a_rate_in_mw_is_multiplied_by_a_quarter_hour(park: Park) -> None:
    table = meters(HEAT, interval="15min")
    frame = series("h", "2024-02-01 00:00", [4.0, 4.0, 8.0, 2.0], freq="15min")
    verified = verify(park, read_readings(frame, park, table), 2024, table)
    row = verified.table.loc[("asnaes_dh", 2024)]
    # (4 + 4 + 8 + 2) MW x 0.25 h = 4.5 MWh, over one hour of the year
    assert row["measured"] == pytest.approx(4.5)
    assert row["coverage"] == pytest.approx(1 / HOURS_2024)


def test_a_steam_meter_in_mwh_counts_tonnes_through_the_energy_content(park: Park) -> None:
    table = meters(("s", "steam_novo", "MWh", "interval"), interval="1h")
    frame = series("s", "2024-02-01 00:00", [6.93, 13.86])
    result = flagged(park, table, frame)
    # medium-pressure steam carries 0.693 MWh per tonne in the catalogue: 10 t and 20 t
    assert park.catalogue.resources["steam_mp"].energy_mwh_per_unit == 0.693
    assert result.amounts["amount"].tolist() == pytest.approx([10, 20])


def test_a_rate_meter_without_declared_interval_infers_it(park: Park) -> None:
    table = meters(("h", "asnaes_dh", "kW", "rate"))
    frame = series("h", "2024-02-01 00:00", [1000.0, 1000.0, 3000.0], freq="15min")
    result = flagged(park, table, frame)
    assert result.meters.loc["h", "interval_s"] == 900
    # (1 + 1 + 3) MW x 0.25 h
    assert result.amounts["amount"].sum() == pytest.approx(1.25)


def test_readings_closer_than_the_declared_interval_are_refused(park: Park) -> None:
    table = meters(HEAT, interval="1h")
    frame = series("h", "2024-02-01 00:00", [4.0] * 3 + [5.0], freq="15min")
    with pytest.raises(SymbionetError) as error:
        flagged(park, table, frame)
    assert str(error.value) == (
        "meter 'h': readings come every 15 min (the median), its interval is declared as "
        "1 h: correct the interval"
    )


# --- counters ---------------------------------------------------------------------------


def test_counter_differences_and_a_reset(park: Park) -> None:
    table = meters(STEAM)
    frame = series("c", "2024-03-01 00:00", [100.0, 110.0, 125.0, 5.0, 20.0])
    result = flagged(park, table, frame)
    # differences 10, 15, (5 - 125: a reset, left out), 15
    assert result.amounts["amount"].tolist() == pytest.approx([10, 15, 15])
    reset = flags_of(result, "counter_reset")
    assert len(reset) == 1
    assert reset.iloc[0]["start"] == utc("2024-03-01 01:00")  # 02:00 to 03:00 local
    assert reset.iloc[0]["end"] == utc("2024-03-01 02:00")
    verified = verify(park, result, 2024)
    row = verified.table.loc[("steam_novo", 2024)]
    assert row["measured"] == pytest.approx(40)
    assert row["coverage"] == pytest.approx(3 / HOURS_2024)
    assert row["counter_reset"] == 1


def test_a_counter_read_across_new_year_is_split_in_proportion_to_time(park: Park) -> None:
    table = meters(STEAM)
    frame = pd.DataFrame(
        {
            "time": ["2024-12-31 12:00", "2025-01-01 12:00"],
            "meter": "c",
            "value": [1000.0, 1240.0],
        }
    )
    verified = verify(park, read_readings(frame, park, table), None, table)
    # 240 t over 24 h: 12 h in each year
    assert verified.table.loc[("steam_novo", 2024), "measured"] == pytest.approx(120)
    assert verified.table.loc[("steam_novo", 2025), "measured"] == pytest.approx(120)
    assert verified.table.loc[("steam_novo", 2025), "coverage"] == pytest.approx(12 / 8760)


def test_a_counter_gap_is_flagged_but_its_difference_counts(park: Park) -> None:
    table = meters(STEAM)
    frame = series("c", "2024-03-01 00:00", [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    frame = frame.drop(index=[2, 3])  # 02:00 and 03:00 missing: 30 t from 01:00 to 04:00
    result = flagged(park, table, frame)
    assert result.amounts["amount"].tolist() == pytest.approx([10, 30, 10, 10])
    gap = flags_of(result, "gap")
    assert len(gap) == 1 and "covers it" in gap.iloc[0]["detail"]
    assert result.amounts["covered"].sum() == 6 * 3600


# --- flags ------------------------------------------------------------------------------


def test_a_duplicate_counts_once(park: Park) -> None:
    table = meters(WATER)
    frame = series("w", "2024-04-02 00:00", [10.0, 11.0, 12.0])
    frame = pd.concat([frame, frame.iloc[[1]].assign(value=99.0)], ignore_index=True)
    result = flagged(park, table, frame)
    assert result.amounts["amount"].tolist() == pytest.approx([10, 11, 12])
    duplicate = flags_of(result, "duplicate")
    assert len(duplicate) == 1
    assert duplicate.iloc[0]["start"] == utc("2024-04-01 23:00")  # 01:00 CEST
    assert "99 m3 read again after 11 m3" in duplicate.iloc[0]["detail"]


def test_a_reading_sent_three_times_counts_once(park: Park) -> None:
    table = meters(WATER)
    frame = series("w", "2024-04-02 00:00", [10.0, 11.0, 12.0])
    again = frame.iloc[[1, 1]].assign(value=[98.0, 99.0])
    result = flagged(park, table, pd.concat([frame, again], ignore_index=True))
    assert result.amounts["amount"].tolist() == pytest.approx([10, 11, 12])
    assert flags_of(result, "duplicate")["detail"].tolist() == [
        "98 m3 read again after 11 m3: the first reading counts",
        "99 m3 read again after 11 m3: the first reading counts",
    ]


def test_a_gap_is_flagged_and_not_filled(park: Park) -> None:
    table = meters(WATER)
    frame = series("w", "2024-05-01 00:00", [10.0] * 2 + [20.0] * 2 + [30.0] * 4)
    frame = frame.drop(index=[2, 3, 4])  # readings of 02:00, 03:00, 04:00 missing
    result = flagged(park, table, frame)
    gap = flags_of(result, "gap")
    assert len(gap) == 1
    assert (gap.iloc[0]["start"], gap.iloc[0]["end"]) == (
        utc("2024-05-01 00:00"),  # 02:00 CEST
        utc("2024-05-01 03:00"),  # 05:00 CEST
    )
    assert gap.iloc[0]["detail"] == "no reading for 3 h"
    verified = verify(park, result, 2024)
    row = verified.table.loc[("tisso_refinery", 2024)]
    assert row["measured"] == pytest.approx(10 + 10 + 30 * 3)
    assert row["coverage"] == pytest.approx(5 / HOURS_2024)


def test_a_missing_value_is_a_gap(park: Park) -> None:
    table = meters(WATER, interval="1h")  # too few readings to infer it
    frame = series("w", "2024-05-01 00:00", [1.0, np.nan, 1.0])
    result = flagged(park, table, frame)
    assert len(flags_of(result, "gap")) == 1
    assert result.amounts["amount"].sum() == 2


def test_a_value_marked_missing_in_a_workbook_is_a_gap(park: Park, tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    pd.DataFrame(
        {
            "Timestamp": pd.date_range("2024-02-01", periods=4, freq="1h"),
            "Meter": "w",
            "Value": [1.0, "-", "#N/A", 2.5],
        }
    ).to_excel(path, index=False)
    table = meters(WATER, interval="1h")
    result = flag_readings(read_readings(path, park, table), park, table)
    assert result.amounts["amount"].tolist() == [1.0, 2.5]
    assert flags_of(result, "gap")["detail"].tolist() == ["no reading for 2 h"]


def test_a_negative_reading_is_left_out(park: Park) -> None:
    table = meters(WATER)
    result = flagged(park, table, series("w", "2024-05-01 00:00", [10.0, -3.0, 12.0]))
    assert result.amounts["amount"].tolist() == [10, 12]
    negative = flags_of(result, "negative")
    assert negative["detail"].tolist() == ["-3 m3"]
    assert len(result.flags) == 1  # the left-out reading is no gap


def test_a_stuck_meter_from_six_hours_on(park: Park) -> None:
    table = meters(WATER)
    values = (
        [10.0, 11.0] + [7.5] * 6 + [12.0] + [9.25] * 5 + [13.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    )
    result = flagged(park, table, series("w", "2024-06-01 00:00", values))
    stuck = flags_of(result, "stuck")
    # 7.5 six times over 6 h is stuck; 9.25 five times (5 h) is not; zeros (no flow) never
    assert len(stuck) == 1
    assert stuck.iloc[0]["detail"] == "7.5 m3 repeated 6 times over 6 h"
    assert (stuck.iloc[0]["start"], stuck.iloc[0]["end"]) == (
        utc("2024-06-01 00:00"),
        utc("2024-06-01 06:00"),
    )
    assert result.amounts["amount"].sum() == pytest.approx(10 + 11 + 12 + 9.25 * 5 + 13)


def test_two_stuck_runs_one_after_the_other(park: Park) -> None:
    table = meters(WATER)
    values = [1.0, 2.0] + [5.0] * 6 + [7.0] * 7 + [3.0, 4.0]
    result = flagged(park, table, series("w", "2024-06-01 00:00", values))
    stuck = flags_of(result, "stuck")
    assert stuck["detail"].tolist() == [
        "5 m3 repeated 6 times over 6 h",
        "7 m3 repeated 7 times over 7 h",
    ]
    assert result.amounts["amount"].tolist() == [1, 2, 3, 4]


def test_an_outlier_is_left_out(park: Park) -> None:
    table = meters(WATER)
    values = [100.0 + (i % 5) for i in range(48)]
    values[30] = 1000.0  # median 102, deviations 0..2: MAD 1; floor 0.3 x 102 = 30.6
    values[31] = 300.0  # 198 from the median: below 10 x 30.6, kept
    result = flagged(park, table, series("w", "2024-06-01 00:00", values))
    outlier = flags_of(result, "outlier")
    assert len(outlier) == 1
    assert outlier.iloc[0]["start"] == utc("2024-06-02 04:00")  # hour 30: 06:00 CEST
    assert outlier.iloc[0]["detail"] == "1000 m3/h where the median is 102 m3/h"
    assert result.amounts["amount"].sum() == pytest.approx(sum(values) - 1000)


# --- time zones and daylight saving ------------------------------------------------------


def _local_hours(day: str) -> list[str]:
    """The hours of a local day in Copenhagen as an export writes them, without offset."""
    start = pd.Timestamp(day, tz="Europe/Copenhagen")
    end = pd.Timestamp(day) + pd.Timedelta(days=1)
    hours = pd.date_range(start, end.tz_localize("Europe/Copenhagen"), freq="1h", inclusive="left")
    return [f"{t:%Y-%m-%d %H:%M}" for t in hours.tz_convert("Europe/Copenhagen")]


def test_the_spring_day_has_23_hours_and_no_gap(park: Park) -> None:
    hours = _local_hours("2024-03-31")
    assert len(hours) == 23 and "2024-03-31 02:00" not in hours
    table = meters(WATER)
    frame = pd.DataFrame({"time": hours, "meter": "w", "value": np.arange(1.0, 24.0)})
    result = flagged(park, table, frame)
    assert result.flags.empty
    verified = verify(park, result, 2024)
    assert verified.table.loc[("tisso_refinery", 2024), "measured"] == 276  # 1 + ... + 23
    assert verified.table.loc[("tisso_refinery", 2024), "coverage"] == pytest.approx(
        23 / HOURS_2024
    )


def test_the_autumn_day_has_25_hours_and_no_duplicate(park: Park) -> None:
    hours = _local_hours("2024-10-27")
    assert len(hours) == 25 and hours.count("2024-10-27 02:00") == 2
    table = meters(WATER)
    frame = pd.DataFrame({"time": hours, "meter": "w", "value": np.arange(25.0)})
    readings = read_readings(frame, park, table)
    # the first 02:00 is summer time (00:00 UTC), the second winter time (01:00 UTC)
    repeated = readings["time"].iloc[[2, 3]].tolist()
    assert repeated == [utc("2024-10-27 00:00"), utc("2024-10-27 01:00")]
    result = flag_readings(readings, park, table)
    assert result.flags.empty
    assert result.amounts["covered"].sum() == 25 * 3600


def test_the_autumn_day_in_quarter_hours(park: Park) -> None:
    start = pd.Timestamp("2024-10-27", tz="Europe/Copenhagen")
    end = pd.Timestamp("2024-10-28", tz="Europe/Copenhagen")
    quarters = pd.date_range(start, end, freq="15min", inclusive="left")
    assert len(quarters) == 100
    local = [f"{t:%d.%m.%Y %H:%M}" for t in quarters]  # 02:00 to 02:45 twice
    table = meters(HEAT)
    frame = pd.DataFrame({"time": local, "meter": "h", "value": np.linspace(4.0, 8.0, 100)})
    result = flagged(park, table, frame)
    assert result.flags.empty
    assert result.meters.loc["h", "interval_s"] == 900
    assert result.amounts["covered"].sum() == 25 * 3600
    assert result.amounts["amount"].sum() == pytest.approx(600 * 0.25)  # mean 6 MW x 25 h


def test_an_hour_repeated_three_times_holds_one_duplicate(park: Park) -> None:
    hours = _local_hours("2024-10-27")
    hours.insert(4, "2024-10-27 02:00")
    table = meters(WATER)
    frame = pd.DataFrame({"time": hours, "meter": "w", "value": np.arange(26.0)})
    result = flagged(park, table, frame)
    assert result.flags["flag"].tolist() == ["duplicate"]


def test_a_local_time_that_does_not_exist_is_an_error(park: Park) -> None:
    table = meters(WATER)
    frame = pd.DataFrame(
        {"time": ["2024-03-31 01:00", "2024-03-31 02:00"], "meter": "w", "value": 1.0}
    )
    with pytest.raises(SymbionetError) as error:
        read_readings(frame, park, table)
    (problem,) = error.value.problems
    assert (problem.row, problem.column) == (3, "time")
    assert "2024-03-31 02:00 does not exist in Europe/Copenhagen" in problem.message


def test_timestamps_with_an_offset_are_exact(park: Park) -> None:
    table = meters(WATER)
    frame = pd.DataFrame(
        {
            "time": ["2024-10-27T02:00:00+02:00", "2024-10-27T02:00:00+01:00"],
            "meter": "w",
            "value": 1.0,
        }
    )
    readings = read_readings(frame, park, table)
    assert readings["time"].tolist() == [utc("2024-10-27 00:00"), utc("2024-10-27 01:00")]


def test_timestamps_with_and_without_offset_in_one_file(park: Park) -> None:
    table = meters(WATER)
    frame = pd.DataFrame(
        {
            "time": ["2024-01-01 00:00", "2024-01-01T01:00+01:00", "2024-01-01 02:00"],
            "meter": "w",
            "value": 1.0,
        }
    )
    with pytest.raises(SymbionetError) as error:
        read_readings(frame, park, table)
    ((problem),) = error.value.problems
    assert (problem.row, problem.column) == (3, "time")
    assert "give every timestamp of a file an offset (+01:00, Z) or none" in problem.message


def test_a_meter_in_standard_time_all_year(park: Park) -> None:
    table = meters(WATER).assign(timezone="Etc/GMT-1")
    frame = pd.DataFrame({"time": ["2024-03-31 02:00"], "meter": "w", "value": 1.0})
    assert read_readings(frame, park, table)["time"].tolist() == [utc("2024-03-31 01:00")]


# --- files ------------------------------------------------------------------------------


def test_a_danish_scada_csv_with_decimal_commas(park: Park, tmp_path: Path) -> None:
    path = tmp_path / "scada.csv"
    path.write_text(
        "Tidspunkt;Målepunkt;Værdi;Enhed\n"
        "01-02-2024 00:00;w;1,5;m3\n"
        "01-02-2024 01:00;w;2,25;m³\n"
        "01-02-2024 02:00;w;1500;l\n",
        encoding="utf-8-sig",
    )
    readings = read_readings(path, park, meters(WATER))
    assert readings["value"].tolist() == [1.5, 2.25, 1500]
    assert readings["time"].iloc[0] == utc("2024-01-31 23:00")
    result = flag_readings(readings, park, meters(WATER))
    assert result.amounts["amount"].sum() == pytest.approx(5.25)


def test_date_and_time_in_two_columns(park: Park, tmp_path: Path) -> None:
    path = tmp_path / "split.csv"
    path.write_text(
        "Dato;Tid;Måler;Værdi\n27-10-2024;01:00;w;1,5\n27-10-2024;02:00;w;2\n"
        "27-10-2024;02:00;w;3\n27-10-2024;03:00;w;4\n",
        encoding="utf-8",
    )
    readings = read_readings(path, park, meters(WATER))
    assert readings["time"].tolist() == [
        utc("2024-10-26 23:00"),
        utc("2024-10-27 00:00"),  # the first 02:00: summer time
        utc("2024-10-27 01:00"),
        utc("2024-10-27 02:00"),
    ]
    workbook = tmp_path / "split.xlsx"
    pd.DataFrame(
        {
            "Date": pd.to_datetime(["2024-02-01", "2024-02-01"]),
            "Time": [
                pd.Timestamp("2024-02-01 13:15").time(),
                pd.Timestamp("2024-02-01 13:30").time(),
            ],
            "Meter": ["w", "w"],
            "Value": [1.0, 2.0],
        }
    ).to_excel(workbook, index=False)
    times = read_readings(workbook, park, meters(WATER))["time"].tolist()
    assert times == [utc("2024-02-01 12:15"), utc("2024-02-01 12:30")]


def test_an_excel_export_with_the_unit_in_the_header(park: Park, tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    pd.DataFrame(
        {
            "Timestamp": pd.date_range("2024-02-01", periods=3, freq="1h"),
            "Meter ID": ["w", "w", "w"],
            "Value [L]": [1000.0, 2000.0, 3000.0],
        }
    ).to_excel(path, index=False)
    readings = read_readings(path, park, meters(WATER))
    assert readings["unit"].astype(str).tolist() == ["L"] * 3
    result = flag_readings(readings, park, meters(WATER))
    assert result.amounts["amount"].sum() == pytest.approx(6)


def test_one_column_per_meter(park: Park, tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(
        "time,w [m3],h [MW]\n2024-02-01 00:00,1,10\n2024-02-01 01:00,2,20\n", encoding="utf-8"
    )
    table = meters(WATER, HEAT)
    verified = verify(park, path, 2024, table)
    assert verified.table.loc[("tisso_refinery", 2024), "measured"] == 3
    assert verified.table.loc[("asnaes_dh", 2024), "measured"] == 30


def _problems(
    park: Park, table: pd.DataFrame, path: Path
) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(SymbionetError) as error:
        read_readings(path, park, table)
    assert all(p.file == str(path) for p in error.value.problems)
    return [(p.row, p.column, p.message) for p in error.value.problems]


def test_bad_input_is_named_by_file_row_and_column(park: Park, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "timestamp,meter,value,unit\n"
        "2024-02-01 00:00,w,1,m3\n"
        "2024-02-01 01:00,nowhere,1,m3\n"
        "yesterday,w,1,m3\n"
        "2024-02-01 03:00,w,1,bananas\n"
        "2024-02-01 04:00,h,1,MWh\n"
        "2024-02-01 05:00,w,lots,m3\n",
        encoding="utf-8",
    )
    found = _problems(park, meters(WATER, HEAT), path)
    assert (3, "meter", "unknown meter 'nowhere' (meters.csv has w, h)") in found
    (said,) = [m for r, c, m in found if (r, c) == (4, "timestamp")]
    assert said.startswith("'yesterday' is not a timestamp: write 2024-12-31 23:45 (ISO")
    assert "31-12-2024 23:45 (the day first)" in said
    assert (7, "value", "'lots' is not a number") in found
    unit = [f for f in found if f[1] == "unit"]
    assert [(r, c) for r, c, _ in unit] == [(5, "unit"), (6, "unit")]
    assert "unknown unit 'bananas'" in unit[0][2]
    assert (
        "'MWh' is not a rate" in unit[1][2] and "declare the meter's kind as interval" in unit[1][2]
    )


@pytest.mark.parametrize(
    ("unit", "meant"), [("M3", "m3"), ("mwh", "MWh"), ("Kwh", "kWh"), ("m3/H", "m3/h")]
)
def test_a_misspelt_unit_is_refused_with_the_unit_meant(unit: str, meant: str) -> None:
    water = load_park(EXAMPLES / "kalundborg").catalogue.resources["surface_water"]
    with pytest.raises(UnitProblem, match=f"did you mean {re.escape(meant)}\\?"):
        reading_factor(unit, "interval", water)


def test_a_unit_that_cannot_measure_the_resource(park: Park, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("timestamp,meter,value,unit\n2024-02-01 00:00,w,1,MWh\n", encoding="utf-8")
    ((row, column, message),) = _problems(park, meters(WATER), path)
    assert (row, column) == (2, "unit")
    assert message == "meter 'w': 'MWh' cannot measure surface_water, which is measured in m3"


def test_a_file_without_a_timestamp_column(park: Park, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("meter,value\nw,1\n", encoding="utf-8")
    ((row, _, message),) = _problems(park, meters(WATER), path)
    assert row == 1 and message.startswith("no timestamp column")


def test_many_bad_rows_are_counted_after_the_first_twenty(park: Park, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "timestamp,meter,value\n" + "".join(f"2024-02-01 00:00,x{i},1\n" for i in range(25)),
        encoding="utf-8",
    )
    found = _problems(park, meters(WATER), path)
    assert len(found) == 21
    assert found[-1] == (None, "meter", "and 5 more rows with the same problem")


def test_meters_table_problems(park: Park) -> None:
    table = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e"],
            "exchange": ["tisso_refinery", None, "tisso_refinery", "tisso_refinery", "nope"],
            "stream": ["tisso_raw", None, None, None, None],
            "unit": ["m3", "m3", "m3/h", "m3", "m3"],
            "kind": ["interval", "interval", "interval", "interval", "interval"],
            "interval": [None, None, None, "often", None],
            "timezone": [None, None, None, None, "Mars/Olympus"],
        }
    )
    with pytest.raises(SymbionetError) as error:
        meter_table(park, table)
    found = [(p.row, p.column) for p in error.value.problems]
    assert found == [
        (2, "exchange"),
        (3, "exchange"),
        (4, "unit"),
        (5, "interval"),
        (6, "exchange"),
    ]
    messages = [p.message for p in error.value.problems]
    assert "'m3/h' is not an amount" in messages[2] and "as rate" in messages[2]


def test_a_park_without_meters_loads_and_verifies_nothing(park: Park) -> None:
    bare = load_park({**park.to_document(), "meters": []})
    assert bare.table("meters").empty
    empty = pd.DataFrame({"time": [], "meter": [], "value": []})
    verified = verify(bare, read_readings(empty, bare), 2024)
    assert verified.table["measured"].isna().all()
    operating = park.exchanges.index[park.exchanges["status"] == "operating"]
    assert list(verified.table.index.get_level_values("exchange")) == list(operating)
    assert verified.table["measured"].isna().all()
    assert (verified.table["coverage"] == 0).all()


def test_readings_of_a_park_without_meters_are_refused_with_what_to_do(
    tmp_path: Path,
) -> None:
    park = load_park(write_park(tmp_path / "mine"))
    path = tmp_path / "export.csv"
    path.write_text(
        "Tidspunkt;Målepunkt;Værdi;Enhed\n01-01-2024 00:00;m_heat;1,5;MWh\n", encoding="utf-8"
    )
    with pytest.raises(SymbionetError) as error:
        read_readings(path, park)
    assert [(p.row, p.column, p.message) for p in error.value.problems] == [
        (
            2,
            "Målepunkt",
            "unknown meter 'm_heat' (the park has no meters: declare them in meters.csv)",
        )
    ]


def test_a_table_posted_by_a_script_is_checked(park: Park) -> None:
    table = meters(WATER)
    frame = pd.DataFrame(
        {
            "meter": ["w", "w"],
            "time": pd.to_datetime(["2024-02-01 00:00", "2024-02-01 01:00"], utc=True),
            "value": [1.0, 2000.0],
            "unit": [None, "L"],
        }
    )
    result = flag_readings(frame, park, table)  # without read_readings: no unit is m3
    assert result.amounts["amount"].tolist() == pytest.approx([1, 2])
    with pytest.raises(SymbionetError, match="readings of unknown meters: x"):
        flag_readings(frame.assign(meter=["w", "x"]), park, table)
    with pytest.raises(SymbionetError, match="meter 'w': unit 'MWh' does not fit it"):
        flag_readings(frame.assign(unit=["m3", "MWh"]), park, table)


# --- the verified contract ---------------------------------------------------------------


def test_verified_table_contract(park: Park) -> None:
    table = meters(WATER)
    verified = verify(
        park, read_readings(series("w", "2024-02-01", [1.0]), park, table), None, table
    )
    frame = verified.table
    assert list(frame.index.names) == ["exchange", "year"]
    assert {"expected", "measured", "coverage", "unit"} <= set(frame.columns)
    assert frame.loc[("tisso_refinery", 2024), "expected"] == 900_000  # m3/yr in the register
    unmetered = frame.loc[("tisso_asnaes", 2024)]
    assert np.isnan(unmetered["measured"]) and unmetered["coverage"] == 0
    assert unmetered["meters"] == 0
    assert list(verified.flags.columns) == ["meter", "start", "end", "flag", "detail"]
    data = verified.to_dict()
    assert data["table"][0]["exchange"] == "tisso_refinery"


def test_a_metered_stream_is_verified_on_its_own(park: Park) -> None:
    table = pd.DataFrame(
        {"id": ["s"], "stream": ["tisso_raw"], "unit": ["m3"], "kind": ["interval"]}
    )
    frame = series("s", "2024-02-01", [5.0, 5.0])
    verified = verify(park, read_readings(frame, park, table), 2024, table)
    row = verified.streams.loc[("tisso_raw", 2024)]
    assert row["measured"] == 10
    assert row["expected"] == park.streams.at["tisso_raw", "annual_quantity"]
    assert list(verified.streams.index.names) == ["stream", "year"]


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.floats(0.5, 1000, allow_nan=False), min_size=3, max_size=60),
    dropped=st.sets(st.integers(0, 59), max_size=20),
    seed=st.integers(0, 1000),
)
def test_measured_is_the_sum_of_what_is_kept_in_any_row_order(
    values: list[float], dropped: set[int], seed: int
) -> None:
    park = _kalundborg()
    table = meters(WATER, interval="1h")
    frame = series("w", "2024-08-01 00:00", values)
    frame = frame.drop(index=[i for i in dropped if 0 < i < len(values)])
    frame = frame.sample(frac=1, random_state=seed)
    result = flag_readings(read_readings(frame, park, table), park, table)
    kept = frame["value"].to_numpy()
    excluded = result.flags["flag"].isin(["outlier", "stuck"]).any()
    if not excluded:
        assert result.amounts["amount"].sum() == pytest.approx(kept.sum())
        assert result.amounts["covered"].sum() == len(kept) * 3600
    gaps = flags_of(result, "gap")
    gap_hours = ((gaps["end"] - gaps["start"]) / pd.Timedelta(hours=1)).sum()
    last = frame.index.max()
    first = frame.index.min()
    assert gap_hours == (last - first + 1) - len(frame)  # every missing hour inside is a gap


@settings(max_examples=40, deadline=None)
@example(day=dt.date(2024, 3, 31), freq="15min", zone="Europe/Copenhagen")  # 23 hours
@example(day=dt.date(2024, 10, 27), freq="15min", zone="Europe/Copenhagen")  # 25 hours
@example(day=dt.date(2024, 3, 10), freq="1h", zone="America/New_York")
@example(day=dt.date(2024, 11, 3), freq="30min", zone="America/New_York")
@given(
    day=st.dates(
        min_value=pd.Timestamp("2023-01-01").date(), max_value=pd.Timestamp("2025-12-30").date()
    ),
    freq=st.sampled_from(["15min", "30min", "1h"]),
    zone=st.sampled_from(["Europe/Copenhagen", "Europe/London", "America/New_York", "UTC"]),
)
def test_any_local_day_read_without_offsets_covers_its_hours(day, freq: str, zone: str) -> None:  # type: ignore[no-untyped-def]
    park = _kalundborg()
    start = pd.Timestamp(day).tz_localize(zone)
    end = (pd.Timestamp(day) + pd.Timedelta(days=1)).tz_localize(zone)
    stamps = pd.date_range(start, end, freq=freq, inclusive="left")
    local = [f"{t:%Y-%m-%d %H:%M}" for t in stamps]  # as exported: local time, no offset
    table = meters(("h", "asnaes_dh", "MW", "rate"), interval=freq).assign(timezone=zone)
    frame = pd.DataFrame({"time": local, "meter": "h", "value": 2.0 + np.arange(len(local)) % 7})
    readings = read_readings(frame, park, table)
    assert readings["time"].tolist() == list(stamps.tz_convert("UTC"))
    result = flag_readings(readings, park, table)
    assert result.flags.empty
    hours = (end - start) / pd.Timedelta(hours=1)  # 23, 24 or 25
    assert result.amounts["covered"].sum() == hours * 3600
