"""Metered readings in the database (``symbionet.store.readings``), on SQLite and on
PostgreSQL (``engine``): stored and read back exactly, replaced idempotently, never half
written, aggregated in SQL as pandas aggregates them, each park's apart."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, insert, select

from symbionet.errors import SymbionetError
from symbionet.store import readings
from symbionet.store.model import metadata
from symbionet.store.readings import flag_bits, read_readings, store_readings
from tests.conftest import EXAMPLES

GAP, OUTLIER = flag_bits()["gap"], flag_bits()["outlier"]


def new_park(engine: Engine, name: str) -> int:
    parks = metadata().tables["parks"]
    with engine.begin() as connection:
        return int(
            connection.execute(
                insert(parks)
                .values(name=name, meta={"name": name}, tables=[], version=1)
                .returning(parks.c.id)
            ).scalar_one()
        )


@pytest.fixture
def parks(engine: Engine) -> Iterator[tuple[int, int]]:
    yield new_park(engine, "North"), new_park(engine, "South")


@pytest.fixture(params=["delete", "refill"])
def later_loads(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """How a load into a park's partition replaces rows on PostgreSQL: deleting each range,
    or emptying the partition and filling it again (as a load of most of it does)."""
    monkeypatch.setattr(readings, "_most_of", lambda *_: request.param == "refill")
    return str(request.param)


def frame(meter: str, at: Any, value: Any, flag: Any = 0) -> pd.DataFrame:
    at = pd.DatetimeIndex(at)
    values = np.broadcast_to(np.asarray(value, dtype=np.float64), (len(at),))
    flags = np.broadcast_to(np.asarray(flag, dtype=np.int16), (len(at),))
    return pd.DataFrame(
        {"meter": [meter] * len(at), "at": at.tz_convert("UTC"), "value": values, "flag": flags}
    )


def quarter_hours(start: str, end: str, tz: str = "UTC") -> pd.DatetimeIndex:
    return pd.date_range(start, end, freq="15min", tz=tz, inclusive="left")


def stored(engine: Engine, park_id: int, **options: Any) -> pd.DataFrame:
    return read_readings(engine, park_id, **options)


def expected(*frames: pd.DataFrame) -> pd.DataFrame:
    """The frames as ``read_readings`` gives them: ordered by meter and time."""
    whole = pd.concat(frames, ignore_index=True).sort_values(["meter", "at"], kind="stable")
    return pd.DataFrame(
        {
            "meter": whole["meter"].astype("str").to_numpy(),
            "at": pd.DatetimeIndex(whole["at"]).tz_convert("UTC").as_unit("ns"),
            "value": whole["value"].to_numpy(dtype=np.float64),
            "flag": whole["flag"].to_numpy(dtype=np.int16),
        }
    ).astype({"meter": "str"})


def count(engine: Engine) -> int:
    table = metadata().tables["readings"]
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_readings_come_back_exactly_across_the_summer_time_changes(
    engine: Engine, parks: tuple[int, int]
) -> None:
    park, _ = parks
    # Copenhagen's clocks go forward on 30 March and back on 27 October 2024: 92 and 100
    # quarter hours those days, every one a distinct UTC time.
    spring = quarter_hours("2024-03-30", "2024-04-01", "Europe/Copenhagen")
    autumn = quarter_hours("2024-10-26", "2024-10-28", "Europe/Copenhagen")
    assert len(quarter_hours("2024-03-31", "2024-04-01", "Europe/Copenhagen")) == 92
    assert len(quarter_hours("2024-10-27", "2024-10-28", "Europe/Copenhagen")) == 100
    rng = np.random.default_rng(3)
    heat = frame("heat", spring.append(autumn), rng.random(len(spring) + len(autumn)) * 1e3)
    heat.loc[5, "value"] = np.nan
    heat.loc[6, "flag"] = 3
    heat.loc[7, "value"] = 0.1 + 0.2  # 0.30000000000000004: every digit kept
    odd = frame(
        'steam, "west" ø', pd.DatetimeIndex(["2024-01-01 00:00:00.000001"], tz="UTC"), -1.5e-300
    )
    mixed = pd.concat([odd, heat.iloc[::-1]], ignore_index=True)  # any order in

    assert store_readings(engine, park, mixed) == len(mixed)

    back = stored(engine, park)
    pd.testing.assert_frame_equal(back, expected(heat, odd))
    assert str(back["at"].dtype) == "datetime64[ns, UTC]"
    assert back["at"].iloc[0] == pd.Timestamp("2024-03-29 23:00", tz="UTC")  # midnight in CET


def test_reading_by_meter_and_time(engine: Engine, parks: tuple[int, int]) -> None:
    park, _ = parks
    times = quarter_hours("2024-12-31 23:00", "2025-01-01 01:00")
    both = pd.concat([frame("a", times, 1.0), frame("b", times, 2.0)], ignore_index=True)
    store_readings(engine, park, both)
    start = pd.Timestamp("2025-01-01", tz="Europe/Copenhagen")  # 2024-12-31 23:00 UTC
    end = pd.Timestamp("2024-12-31 23:30", tz="UTC")
    back = stored(engine, park, meters=["b"], start=start, end=end)
    assert list(back["meter"]) == ["b", "b"]
    assert list(back["at"]) == list(times[:2])
    assert stored(engine, park, meters=[]).empty
    with pytest.raises(SymbionetError, match="time zone"):
        stored(engine, park, start=pd.Timestamp("2025-01-01"))


def test_storing_again_replaces_each_meters_range_and_changes_nothing_more(
    engine: Engine, parks: tuple[int, int], later_loads: str
) -> None:
    park, _ = parks
    day = quarter_hours("2024-06-01", "2024-06-02")
    first = pd.concat([frame("a", day, 1.0), frame("b", day, 2.0)], ignore_index=True)
    store_readings(engine, park, first)
    store_readings(engine, park, first)  # the same upload again: nothing changes
    pd.testing.assert_frame_equal(stored(engine, park), expected(first))

    # Meter a again from 06:00 to 11:45, with 09:00 left out: the range is replaced whole,
    # so a's 09:00 reading is gone; a before and after the range, and b, are kept.
    again = quarter_hours("2024-06-01 06:00", "2024-06-01 12:00")
    again = again[again != pd.Timestamp("2024-06-01 09:00", tz="UTC")]
    update = frame("a", again, 5.0, flag=1)
    store_readings(engine, park, update)
    kept = first[(first["meter"] == "b") | ~first["at"].between(again[0], again[-1])]
    pd.testing.assert_frame_equal(stored(engine, park), expected(kept, update))
    assert count(engine) == 96 * 2 - 1
    store_readings(engine, park, update)
    assert count(engine) == 96 * 2 - 1


def test_a_first_load_failing_leaves_nothing_and_the_next_one_works(
    engine: Engine, parks: tuple[int, int]
) -> None:
    park, other = parks
    store_readings(engine, other, frame("a", quarter_hours("2024-06-01", "2024-06-02"), 5.0))
    day = frame("a", quarter_hours("2024-06-01", "2024-06-02"), 1.0)
    with pytest.raises(SymbionetError, match="read twice"):
        store_readings(engine, park, pd.concat([day, day.tail(1)], ignore_index=True))
    assert stored(engine, park).empty
    assert count(engine) == 96  # the other park's
    store_readings(engine, park, day)
    pd.testing.assert_frame_equal(stored(engine, park), expected(day))


@pytest.mark.parametrize("rows", [7, 1_000])
def test_a_load_failing_midway_leaves_the_old_readings_exactly(
    engine: Engine,
    parks: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
    rows: int,
    later_loads: str,
) -> None:
    park, _ = parks
    monkeypatch.setattr(readings, "CHUNK_ROWS", rows)
    monkeypatch.setattr(readings, "BATCH_ROWS", rows)
    day = quarter_hours("2024-06-01", "2024-06-02")
    old = pd.concat([frame("a", day, 1.0), frame("b", day, 2.0)], ignore_index=True)
    store_readings(engine, park, old)
    # A new upload of both meters whose last row repeats a time of meter b: the database
    # refuses it after the rows before it went in; nothing of the upload stays.
    new = pd.concat([frame("a", day, 7.0), frame("b", day, 8.0)], ignore_index=True)
    bad = pd.concat([new, new.tail(1)], ignore_index=True)
    with pytest.raises(SymbionetError, match="read twice"):
        store_readings(engine, park, bad)
    pd.testing.assert_frame_equal(stored(engine, park), expected(old))


def test_an_import_stopped_while_writing_leaves_the_old_readings(
    engine: Engine, parks: tuple[int, int], monkeypatch: pytest.MonkeyPatch, later_loads: str
) -> None:
    park, _ = parks
    day = quarter_hours("2024-06-01", "2024-06-02")
    old = frame("a", day, 1.0)
    store_readings(engine, park, old)
    monkeypatch.setattr(readings, "CHUNK_ROWS", 10)
    monkeypatch.setattr(readings, "BATCH_ROWS", 10)
    written = 0
    real = readings._sqlite_rows if engine.dialect.name == "sqlite" else readings._records

    def stopping(*args: Any) -> Any:
        nonlocal written
        written += 1
        if written == 4:
            raise KeyboardInterrupt  # as a process stopped by its user
        return real(*args)

    monkeypatch.setattr(
        readings, "_sqlite_rows" if engine.dialect.name == "sqlite" else "_records", stopping
    )
    with pytest.raises(KeyboardInterrupt):
        store_readings(engine, park, frame("a", day, 9.0))
    assert written == 4
    pd.testing.assert_frame_equal(stored(engine, park), expected(old))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"value": "lots"}, "not a number"),
        ({"flag": 70_000}, "small whole number"),
        ({"flag": 1.5}, "small whole number"),
        ({"meter": None}, "name no meter"),
        ({"at": pd.NaT}, "lack their time"),
    ],
)
def test_bad_readings_are_refused_before_anything_is_written(
    engine: Engine, parks: tuple[int, int], change: dict[str, Any], message: str
) -> None:
    park, _ = parks
    day = quarter_hours("2024-06-01", "2024-06-02")
    store_readings(engine, park, frame("a", day, 1.0))
    bad = frame("a", day, 2.0).astype({"value": object, "flag": object, "meter": object})
    for column, value in change.items():
        bad.loc[50, column] = value
    with pytest.raises(SymbionetError, match=message):
        store_readings(engine, park, bad)
    assert stored(engine, park)["value"].tolist() == [1.0] * 96


def test_naive_times_and_unknown_parks_are_refused(engine: Engine, parks: tuple[int, int]) -> None:
    park, other = parks
    naive = frame("a", quarter_hours("2024-06-01", "2024-06-02"), 1.0)
    naive["at"] = naive["at"].dt.tz_localize(None)
    with pytest.raises(SymbionetError, match="time zone"):
        store_readings(engine, park, naive)
    with pytest.raises(SymbionetError, match=f"no park with id {other + 1} "):
        store_readings(
            engine, other + 1, frame("a", quarter_hours("2024-06-01", "2024-06-02"), 1.0)
        )
    assert count(engine) == 0


def test_each_park_keeps_its_own_readings(
    engine: Engine, parks: tuple[int, int], later_loads: str
) -> None:
    north, south = parks
    day = quarter_hours("2024-06-01", "2024-06-02")
    mine, theirs = frame("a", day, 1.0), frame("a", day, 2.0)
    store_readings(engine, north, mine)
    store_readings(engine, south, theirs)
    store_readings(engine, south, theirs.iloc[10:20].assign(value=3.0))  # replaces south's only
    pd.testing.assert_frame_equal(stored(engine, north), expected(mine))
    assert stored(engine, south)["value"].sum() == 86 * 2.0 + 10 * 3.0
    with engine.begin() as connection:
        connection.execute(
            metadata().tables["parks"].delete().where(metadata().tables["parks"].c.id == south)
        )
    assert count(engine) == 96  # a park deleted takes its readings with it
    pd.testing.assert_frame_equal(stored(engine, north), expected(mine))


def test_the_sums_in_the_database_are_those_of_pandas(
    engine: Engine, parks: tuple[int, int]
) -> None:
    north, south = parks
    rng = np.random.default_rng(7)
    times = quarter_hours("2024-12-31", "2026-01-02")  # the year 2025 and a day each side
    parts = []
    for number in range(4):
        part = frame(f"m{number}", times, np.round(rng.gamma(2.0, 5.0, len(times)), 3))
        # outliers are left out; gaps (a flag that does not exclude) are counted
        part["flag"] = rng.choice(
            [0, OUTLIER, GAP, OUTLIER | GAP], len(times), p=[0.9, 0.04, 0.04, 0.02]
        )
        part.loc[rng.random(len(times)) < 0.01, "value"] = np.nan
        parts.append(part)
    readings_ = pd.concat(parts, ignore_index=True)
    store_readings(engine, north, readings_)
    store_readings(engine, south, readings_.assign(value=1e6))  # another park: never summed
    start = pd.Timestamp("2025-01-01", tz="UTC")
    end = pd.Timestamp("2026-01-01", tz="UTC")

    totals = readings.meter_totals(engine, north, start, end)

    year = readings_[(readings_["at"] >= start) & (readings_["at"] < end)]
    valid = year[(year["flag"] & OUTLIER == 0) & year["value"].notna()]
    by_meter = year.groupby("meter")
    assert list(totals.index) == ["m0", "m1", "m2", "m3"]
    assert totals["readings"].tolist() == by_meter.size().tolist() == [35_040] * 4
    assert totals["valid"].tolist() == valid.groupby("meter").size().tolist()
    np.testing.assert_allclose(totals["total"], valid.groupby("meter")["value"].sum(), rtol=1e-12)
    assert (
        totals["outlier"].tolist()
        == (year["flag"] & OUTLIER > 0).groupby(year["meter"]).sum().tolist()
    )
    assert totals["gap"].tolist() == (year["flag"] & GAP > 0).groupby(year["meter"]).sum().tolist()
    assert (totals["first"] == start).all()
    assert (totals["last"] == end - pd.Timedelta("15min")).all()
    only = readings.meter_totals(engine, north, start, end, meters=["m2"])
    assert list(only.index) == ["m2"]


def test_the_sums_in_the_database_by_hand(engine: Engine, parks: tuple[int, int]) -> None:
    park, _ = parks
    times = quarter_hours("2025-01-01", "2025-01-01 01:00")  # four quarter hours
    hand = frame("a", times, [1.5, 2.25, np.nan, 4.0], flag=[0, GAP, 0, OUTLIER | GAP])
    store_readings(engine, park, hand)
    totals = readings.meter_totals(engine, park, times[0], times[-1] + pd.Timedelta("15min"))
    # valid: 1.5 and 2.25 (a gap after it does not exclude it; the third has no value, the
    # fourth is an outlier) = 3.75
    assert totals.loc["a"].tolist()[:3] == [4, 2, 3.75]
    assert totals.loc["a", "gap"] == 2
    assert totals.loc["a", "outlier"] == 1
    assert totals.loc["a", "stuck"] == 0
    empty = readings.meter_totals(engine, park, times[0], times[0])
    assert empty.empty


def test_the_verified_account_from_the_database_is_that_of_the_readings_in_memory(
    engine: Engine, parks: tuple[int, int]
) -> None:
    import symbionet
    from symbionet.metering import flag_readings
    from symbionet.metering.synthetic import benchmark_readings
    from symbionet.metering.verification import verify_flagged

    north, south = parks
    park = symbionet.load_park(EXAMPLES / "kalundborg")
    meters, raw = benchmark_readings(park, n_meters=12, year=2024, interval="1h", seed=5)
    flagged = flag_readings(raw, park, meters)
    stored_ = readings.readings_of(flagged)
    store_readings(engine, north, stored_)
    store_readings(engine, south, stored_.assign(value=stored_["value"] * 2))  # never mixed in

    account = readings.verified_account(engine, north, park, 2024, meters)

    memory = verify_flagged(flagged, park, 2024)
    same = ["expected", "meters", "readings", "unit"]
    pd.testing.assert_frame_equal(account.table[same], memory.table[same])
    np.testing.assert_allclose(account.table["measured"], memory.table["measured"], rtol=1e-12)
    np.testing.assert_allclose(account.table["coverage"], memory.table["coverage"], rtol=1e-12)
    # by hand: one meter's measured amount is the sum of its valid amounts in 2024
    first = meters["id"].iloc[0]
    mine = flagged.amounts[flagged.amounts["meter"] == first]
    assert account.meters.loc[(first, 2024), "measured"] == pytest.approx(
        mine["amount"].sum(), rel=1e-12
    )
    assert account.meters.loc[(first, 2024), "readings"] == len(mine)


LOADER = """
import sys
import numpy as np
import pandas as pd
from symbionet.store.database import open_database
from symbionet.store.readings import store_readings

times = pd.date_range("2024-01-01", periods=35_040, freq="15min", tz="UTC")
meters = 60
frame = pd.DataFrame(
    {
        "meter": np.repeat([f"m{n:02d}" for n in range(meters)], len(times)),
        "at": np.tile(times, meters),
        "value": 9.0,
        "flag": 0,
    }
)
engine = open_database(sys.argv[1])
store_readings(engine, int(sys.argv[2]), frame)
engine.dispose()
print("stored")
"""


def copying(engine: Engine) -> Callable[[], bool]:
    """Whether the load has written rows that it has not committed yet."""
    if engine.dialect.name == "postgresql":

        def copied() -> bool:
            with engine.connect() as connection:
                done = connection.exec_driver_sql(
                    "SELECT coalesce(max(tuples_processed), 0) FROM pg_stat_progress_copy"
                ).scalar_one()
            return int(done) > 200_000

        return copied
    database = engine.url.database
    assert database is not None
    wal = Path(f"{database}-wal")
    return lambda: wal.exists() and wal.stat().st_size > 20_000_000


@pytest.mark.slow
@pytest.mark.parametrize("before", [96, 0], ids=["later load", "first load"])
def test_a_load_killed_half_way_leaves_the_old_readings(
    engine: Engine, parks: tuple[int, int], database_url: str, before: int
) -> None:
    park, _ = parks
    old = frame("m00", quarter_hours("2024-01-01", "2024-01-02"), 1.0).head(before)
    if before:
        store_readings(engine, park, old)
    loader = subprocess.Popen(
        [sys.executable, "-c", LOADER, database_url, str(park)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    under_way = copying(engine)
    deadline = time.monotonic() + 300
    try:
        while not under_way():
            assert loader.poll() is None, loader.communicate()
            assert time.monotonic() < deadline, "the load did not start within 300 s"
            time.sleep(0.01)
    finally:
        loader.kill()  # as a power cut would, in the middle of the load
        loader.communicate()
    assert loader.returncode == -signal.SIGKILL
    engine.dispose()  # read again, as the next process would
    assert count(engine) == before
    if before:
        pd.testing.assert_frame_equal(stored(engine, park), expected(old))
    # the next load finds nothing half made
    again = frame("m00", quarter_hours("2024-01-01", "2024-01-03"), 2.0)
    store_readings(engine, park, again)
    pd.testing.assert_frame_equal(stored(engine, park), expected(again))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgresql_each_park_has_a_partition_of_its_own(
    engine: Engine, parks: tuple[int, int], later_loads: str
) -> None:
    north, south = parks
    day = quarter_hours("2024-06-01", "2024-06-02")
    store_readings(engine, north, frame("a", day, 1.0))
    store_readings(engine, south, frame("a", day[:10], 2.0))
    store_readings(engine, north, frame("b", day, 3.0))  # into the partition made before
    with engine.connect() as connection:
        held = {
            park: connection.exec_driver_sql(
                f"SELECT count(*), sum(value) FROM {readings.partition_name(park)}"
            ).one()
            for park in parks
        }
    assert held == {north: (192, 96 * 1.0 + 96 * 3.0), south: (10, 20.0)}
    with engine.connect() as connection:
        # the planner's statistics of a new partition, made by its first load
        described = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_stats WHERE tablename = %s", (readings.partition_name(south),)
        ).scalar_one()
    assert described == 5


def test_two_first_loads_of_a_park_at_once_both_go_in_one_after_the_other(
    engine: Engine, parks: tuple[int, int]
) -> None:
    park, _ = parks
    year = quarter_hours("2024-01-01", "2024-03-01")
    loads = [frame(meter, year, value) for meter, value in (("a", 1.0), ("b", 2.0))]
    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(lambda f: store_readings(engine, park, f), loads)) == [len(year)] * 2
    pd.testing.assert_frame_equal(stored(engine, park), expected(*loads))


def test_the_verified_account_of_kalundborgs_own_meters_from_the_database(
    engine: Engine, parks: tuple[int, int]
) -> None:
    """Interval, rate and counter meters, in Copenhagen's time, with the synthetic faults
    (gaps, stuck values, outliers, a counter reset): the same figures as in memory."""
    import symbionet
    from symbionet.metering import flag_readings
    from symbionet.metering import read_readings as read_files
    from symbionet.metering.synthetic import synthetic_year
    from symbionet.metering.verification import verify_flagged

    park_id, _ = parks
    park = symbionet.load_park(EXAMPLES / "kalundborg")
    made = synthetic_year(park, 2024, seed=3, interval="1h")
    flagged = flag_readings(read_files(made.readings, park, made.meters), park, made.meters)
    store_readings(engine, park_id, readings.readings_of(flagged))

    account = readings.verified_account(engine, park_id, park, 2024, made.meters)

    memory = verify_flagged(flagged, park, 2024)
    same = ["expected", "unit", "meters", "readings"]
    pd.testing.assert_frame_equal(account.table[same], memory.table[same])
    np.testing.assert_allclose(account.table["measured"], memory.table["measured"], rtol=1e-12)
    np.testing.assert_allclose(account.table["coverage"], memory.table["coverage"], rtol=1e-12)
    assert (memory.table["coverage"] < 1).any()  # the faults left some hours uncovered
