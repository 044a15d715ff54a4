"""Metered readings into the database and the verified account from them; prints figures.

    .venv/bin/python benchmarks/bench_readings.py                  # 1,000 meters, a year
    .venv/bin/python benchmarks/bench_readings.py --meters 50

Generates a year of 15-minute readings for N meters with seeded numpy (not timed): about
0.5 % of the readings flagged, 0.1 % without a value. Writes them as a CSV file and times
reading that file back into a frame (users upload files). Then, in a fresh PostgreSQL
server run from Debian's binaries as the tests run it (durable commits, 128 MB of
buffers, as ``bench_import.py`` runs it), times ``store_readings`` into an empty table,
the account of the year (``meter_totals`` summed in the database, each meter's total and
coverage, then per exchange) and reading one meter's year back. The reference, in the
same run: pandas ``to_sql`` (SQLAlchemy's executemany) of a 1 % sample into the same
table, extrapolated to every row.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SEED = 1
YEAR = 2025
GOAL_S = 120.0
SAMPLE = 0.01
DURABLE = {
    "fsync": "on",
    "full_page_writes": "on",
    "synchronous_commit": "on",
    "shared_buffers": "128MB",
}


def generate(meters: int, year: int = YEAR, seed: int = SEED) -> pd.DataFrame:
    """A year of 15-minute readings of ``meters`` meters, meter by meter, in UTC."""
    rng = np.random.default_rng(seed)
    times = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="15min", tz="UTC")[:-1]
    per = len(times)
    names = [f"m{number:04d}" for number in range(meters)]
    size = meters * per
    level = rng.gamma(2.0, 5.0, meters).repeat(per)
    value = np.round(level * rng.gamma(8.0, 1 / 8.0, size), 3)
    flag = np.zeros(size, np.int16)
    flag[rng.random(size) < 0.005] = 1
    empty = rng.random(size) < 0.001
    value[empty], flag[empty] = np.nan, 2
    return pd.DataFrame(
        {
            "meter": pd.Categorical.from_codes(np.arange(meters).repeat(per), categories=names),
            "at": np.tile(times.as_unit("us"), meters),
            "value": value,
            "flag": flag,
        }
    )


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.table(
        {
            "meter": pa.array(frame["meter"].astype("str").to_numpy(), pa.string()),
            "at": pa.array(frame["at"].to_numpy(dtype="datetime64[us]"), pa.timestamp("s")).cast(
                pa.timestamp("s", tz="UTC")
            ),
            "value": pa.array(frame["value"].to_numpy(), pa.float64()),
            "flag": pa.array(frame["flag"].to_numpy(), pa.int16()),
        }
    )
    pacsv.write_csv(table, path, pacsv.WriteOptions(batch_size=1 << 20))


def read_csv(path: Path) -> pd.DataFrame:
    """The CSV file as the store's frame: times written as UTC."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=1 << 24),
        convert_options=pacsv.ConvertOptions(
            column_types={
                "meter": pa.dictionary(pa.int32(), pa.string()),
                "at": pa.timestamp("s", tz="UTC"),
                "value": pa.float64(),
                "flag": pa.int16(),
            }
        ),
    )
    return table.to_pandas()


def account(engine: object, park_id: int, year: int = YEAR) -> pd.DataFrame:
    """The year's verified figures per meter: valid total and coverage of the quarter
    hours, summed in the database."""
    from symbionet.store.readings import meter_totals

    start = pd.Timestamp(f"{year}-01-01", tz="UTC")
    end = pd.Timestamp(f"{year + 1}-01-01", tz="UTC")
    totals = meter_totals(engine, park_id, start, end)  # type: ignore[arg-type]
    quarters = (end - start) / pd.Timedelta("15min")
    return totals.assign(coverage=totals["valid"] / quarters)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=1_000)
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import insert
    from tests import databases

    from symbionet.store.database import migrate, open_database
    from symbionet.store.model import metadata
    from symbionet.store.readings import read_readings, store_readings

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    started = time.perf_counter()
    frame = generate(args.meters)
    rows = len(frame)
    print(
        f"readings: {args.meters:,} meters x 15 min x {YEAR} = {rows:,} rows "
        f"(generated in {time.perf_counter() - started:.1f} s, not timed)"
    )

    def report(phase: str, seconds: float, count: int = rows) -> None:
        print(f"{phase:34} {seconds:8.1f} s {count / seconds:12,.0f} rows/s")

    with tempfile.TemporaryDirectory(prefix="symbionet-readings-") as scratch:
        path = Path(scratch) / "readings.csv"
        started = time.perf_counter()
        write_csv(frame, path)
        report("write CSV", time.perf_counter() - started)
        print(f"{'':34} {path.stat().st_size / 1e6:8,.0f} MB")
        started = time.perf_counter()
        parsed = read_csv(path)
        report("parse CSV", time.perf_counter() - started)
        assert len(parsed) == rows
        path.unlink()
        del parsed

        databases.SETTINGS.update(DURABLE)
        server = databases.PostgresServer(databases.postgres_bin())
        server.start()
        try:
            url = server.url(server.create_database())
            migrate(url)
            engine = open_database(url)
            parks = metadata().tables["parks"]
            with engine.begin() as connection:
                park_id, reference_id = (
                    connection.execute(
                        insert(parks)
                        .values(name=name, meta={}, tables=[], version=1)
                        .returning(parks.c.id)
                    ).scalar_one()
                    for name in ("benchmark", "reference")
                )
            try:
                print(f"load average before loading {os.getloadavg()[0]:.1f}")
                started, cpu = time.perf_counter(), time.process_time()
                stored = store_readings(engine, park_id, frame)
                load = time.perf_counter() - started
                report("store_readings (COPY)", load)
                print(f"{'':34} {time.process_time() - cpu:8.1f} s CPU in Python")
                assert stored == rows
                started = time.perf_counter()
                figures = account(engine, park_id)
                summed = time.perf_counter() - started
                report("account of the year (SQL sums)", summed)
                valid = frame["flag"].to_numpy() == 0
                assert int(figures["valid"].sum()) == int(valid.sum())
                assert np.isclose(figures["total"].sum(), np.nansum(frame["value"][valid]))
                started = time.perf_counter()
                one = read_readings(engine, park_id, meters=["m0000"])
                report("read one meter's year", time.perf_counter() - started, len(one))
                print(
                    f"load + account {load + summed:.1f} s: {(load + summed) / GOAL_S:.2f} "
                    f"of the goal ({GOAL_S:.0f} s)"
                )
                if not args.no_reference:
                    sample = frame.sample(frac=SAMPLE, random_state=SEED).assign(
                        park_id=reference_id
                    )
                    sample["meter"] = sample["meter"].astype("str")
                    started = time.perf_counter()
                    sample.to_sql("readings", engine, if_exists="append", index=False)
                    slow = (time.perf_counter() - started) / SAMPLE
                    print(
                        f"reference: pandas to_sql of {len(sample):,} rows, extrapolated "
                        f"{slow:.0f} s ({rows / slow:,.0f} rows/s): store_readings "
                        f"{slow / load:.1f}x faster"
                    )
            finally:
                engine.dispose()
        finally:
            server.stop()
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
