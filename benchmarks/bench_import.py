"""Import of a synthetic national park into the database, and reading it back; prints figures.

    .venv/bin/python benchmarks/bench_import.py                       # 100,000 sites
    .venv/bin/python benchmarks/bench_import.py --sites 10000 --databases sqlite

Generates ``generate_park(SITES, seed=1)`` (not timed), then for each database (a fresh
PostgreSQL server run from Debian's binaries as the tests run it, and a SQLite file) times
``save_park`` into an empty database and ``load_stored_park`` back. The reference, in the
same run: what the register alone costs on the same park, ``park.to_document()`` (part of
saving) and ``park_from_document`` (part of loading: the register's checks).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, func, select

ROOT = Path(__file__).resolve().parents[1]
SEED = 1
GOAL_S = 60.0
DURABLE = {
    "fsync": "on",
    "full_page_writes": "on",
    "synchronous_commit": "on",
    "shared_buffers": "128MB",
}


def _rows(engine: Engine) -> int:
    from symbionet.store.model import ROW_TABLES, metadata

    with engine.connect() as connection:
        return sum(
            int(
                connection.execute(
                    select(func.count()).select_from(metadata().tables[t])
                ).scalar_one()
            )
            for t in ROW_TABLES
        )


def measure(url: str, park: object, repeat_load: int) -> dict[str, float]:
    """Seconds to save the park into the empty database at ``url`` and to load it back."""
    from symbionet.store.database import migrate, open_database
    from symbionet.store.repository import load_stored_park, save_park

    migrate(url)
    engine = open_database(url)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        park_id = save_park(engine, park, "benchmark")  # type: ignore[arg-type]
        saved, saved_cpu = time.perf_counter() - started, time.process_time() - cpu
        loads = []
        for _ in range(repeat_load):
            started = time.perf_counter()
            loaded = load_stored_park(engine, park_id)
            loads.append(time.perf_counter() - started)
        assert len(loaded.sites) == len(park.sites)  # type: ignore[attr-defined]
        return {"save": saved, "save_cpu": saved_cpu, "load": min(loads), "rows": _rows(engine)}
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument(
        "--databases", nargs="+", default=["postgresql", "sqlite"], choices=["postgresql", "sqlite"]
    )
    parser.add_argument("--repeat-load", type=int, default=1)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from symbionet.discovery.generate import generate_park
    from symbionet.register.park import park_from_document

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    started = time.perf_counter()
    park = generate_park(args.sites, SEED)
    print(
        f"park: {args.sites:,} sites, {len(park.streams):,} streams "
        f"(generated in {time.perf_counter() - started:.1f} s, not timed)"
    )
    started, cpu = time.perf_counter(), time.process_time()
    document = park.to_document()
    to_document = time.perf_counter() - started
    to_document_cpu = time.process_time() - cpu
    started = time.perf_counter()
    park_from_document(document)
    from_document = time.perf_counter() - started
    print(
        f"reference: park.to_document() {to_document:.1f} s ({to_document_cpu:.1f} s CPU), "
        f"park_from_document {from_document:.1f} s"
    )
    print(
        f"{'database':11} {'rows':>9} {'save s':>8} {'(CPU s)':>8} {'load s':>8}  save/goal"
        "  save/to_document"
    )
    for database in args.databases:
        with tempfile.TemporaryDirectory(prefix="symbionet-import-") as scratch:
            if database == "sqlite":
                figures = measure(f"sqlite:///{scratch}/park.sqlite", park, args.repeat_load)
            else:
                from tests import databases

                # as a server runs in production: durable commits, 128 MB of buffers
                databases.SETTINGS.update(DURABLE)
                server = databases.PostgresServer(databases.postgres_bin())
                server.start()
                try:
                    figures = measure(server.url(server.create_database()), park, args.repeat_load)
                finally:
                    server.stop()
        print(
            f"{database:11} {figures['rows']:9,.0f} {figures['save']:8.1f} "
            f"{figures['save_cpu']:8.1f} {figures['load']:8.1f}"
            f"  {figures['save'] / GOAL_S:9.2f}  {figures['save'] / to_document:15.1f}x"
        )
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
