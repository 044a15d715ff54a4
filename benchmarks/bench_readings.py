"""Metered readings into the database and the verified account from them; prints figures.

    .venv/bin/python benchmarks/bench_readings.py                  # 1,000 meters, a year
    .venv/bin/python benchmarks/bench_readings.py --meters 50

Generates a year of 15-minute readings of N meters over the operating exchanges of the
Kalundborg example with the metering library's seeded generator (``benchmark_readings``:
a few gaps, duplicates and negative readings; not timed). Times writing them as a CSV file
and reading that file back as users upload them (``symbionet.metering.read_readings``),
then converting and flagging them (``flag_readings``). Then, in a fresh PostgreSQL server
run from Debian's binaries as the tests run it (durable commits, 128 MB of buffers, as
``bench_import.py`` runs it), times ``store_readings`` of the valid amounts into an empty
table and ``verified_account`` of the year from the database, checked against
``verify_flagged`` of the same readings in memory; then a month of every meter stored
again, and the whole year stored again (both replace what they cover). The reference,
in the same run: pandas
``to_sql`` (SQLAlchemy's executemany) of a 1 % sample into the same table, extrapolated to
every row.
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


def server_cpu(data: Path) -> float:
    """Seconds of CPU the PostgreSQL server with its data in ``data`` has used: its live
    processes, and those it has reaped (parallel workers, counted in the postmaster's)."""
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that has ended meanwhile
            continue
        pid = int(stat.parent.name)
        if pid == postmaster:
            total += sum(int(f) for f in fields[11:15])
        elif int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=1_000)
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--no-parse", action="store_true", help="skip reading the CSV back")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import insert
    from tests import databases

    import symbionet
    from symbionet.metering import flag_readings, read_readings
    from symbionet.metering.synthetic import benchmark_readings, write_readings
    from symbionet.metering.verification import verify_flagged
    from symbionet.store.database import migrate, open_database
    from symbionet.store.model import metadata
    from symbionet.store.readings import readings_of, store_readings, verified_account

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    park = symbionet.load_park(ROOT / "examples" / "kalundborg")
    started = time.perf_counter()
    meters, raw = benchmark_readings(park, args.meters, YEAR, "15min", SEED)
    print(
        f"readings: {args.meters:,} meters x 15 min x {YEAR} = {len(raw):,} rows "
        f"(generated in {time.perf_counter() - started:.1f} s, not timed)"
    )

    def report(phase: str, seconds: float, count: int) -> None:
        print(f"{phase:36} {seconds:8.1f} s {count / seconds:12,.0f} rows/s", flush=True)

    with tempfile.TemporaryDirectory(prefix="symbionet-readings-") as scratch:
        path = Path(scratch) / "readings.csv"
        started = time.perf_counter()
        write_readings(raw, path)
        report("write CSV", time.perf_counter() - started, len(raw))
        print(f"{'':36} {path.stat().st_size / 1e6:8,.0f} MB")
        if not args.no_parse:
            started = time.perf_counter()
            parsed = read_readings(path, park, meters)
            report("read the CSV (metering)", time.perf_counter() - started, len(raw))
            assert len(parsed) == len(raw)
            del parsed
        path.unlink()
        started = time.perf_counter()
        flagged = flag_readings(raw, park, meters)
        report("convert and flag (metering)", time.perf_counter() - started, len(raw))
        del raw
        frame = readings_of(flagged)
        rows = len(frame)

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
                print(f"load average before loading {os.getloadavg()[0]:.1f}", flush=True)
                started, cpu = time.perf_counter(), time.process_time()
                served = server_cpu(server.data)
                stored = store_readings(engine, park_id, frame)
                load = time.perf_counter() - started
                report("store_readings (COPY)", load, rows)
                print(
                    f"{'':36} {time.process_time() - cpu:8.1f} s CPU in Python, "
                    f"{server_cpu(server.data) - served:.1f} s in the server"
                )
                assert stored == rows
                started, served = time.perf_counter(), server_cpu(server.data)
                account = verified_account(engine, park_id, park, YEAR, meters)
                summed = time.perf_counter() - started
                report("verified_account (SQL sums)", summed, rows)
                print(f"{'':36} {server_cpu(server.data) - served:8.1f} s CPU in the server")
                started = time.perf_counter()
                verified_account(engine, park_id, park, YEAR, meters)
                report("verified_account again", time.perf_counter() - started, rows)
                month = frame[frame["at"] < frame["at"].min() + np.timedelta64(31, "D")]
                started = time.perf_counter()
                store_readings(engine, park_id, month)
                report(
                    "store a month again (replaces it)", time.perf_counter() - started, len(month)
                )
                again = verified_account(engine, park_id, park, YEAR, meters)
                assert np.allclose(  # the same sums, added in another order
                    again.table["measured"], account.table["measured"], rtol=1e-12, equal_nan=True
                )
                started = time.perf_counter()
                store_readings(engine, park_id, frame)
                report("store the year again (replaces it)", time.perf_counter() - started, rows)
                started = time.perf_counter()
                memory = verify_flagged(flagged, park, YEAR)
                report("verify_flagged in memory", time.perf_counter() - started, rows)
                assert np.allclose(
                    account.table["measured"], memory.table["measured"], rtol=1e-9, equal_nan=True
                )
                assert (account.table["readings"] == memory.table["readings"]).all()
                print(
                    f"load + account {load + summed:.1f} s: {(load + summed) / GOAL_S:.2f} "
                    f"of the goal ({GOAL_S:.0f} s); load average {os.getloadavg()[0]:.1f}"
                )
                if not args.no_reference:
                    sample = frame.sample(frac=SAMPLE, random_state=SEED).assign(
                        park_id=reference_id
                    )
                    sample["meter"] = sample["meter"].astype("str")
                    # the reference park's partition, made by one reading stored first
                    store_readings(engine, reference_id, frame.head(1))
                    sample = sample[sample.index != frame.index[0]]
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
