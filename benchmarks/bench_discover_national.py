"""National discovery split by region on a local Dask cluster: time and memory per worker.

    .venv/bin/python benchmarks/bench_discover_national.py
        [--sites 1000000] [--compare 300000] [--regions 16] [--top 100000]

Each measurement runs in its own process on a synthetic park (``generate_park(N,
seed=1)``, not timed):

- ``--compare`` sites: ``discover`` in one process, then split by region on a local Dask
  cluster of two worker processes of one thread each, every candidate kept (``top=None``);
  the two tables must be equal, row for row.
- ``--sites`` sites: split by region on the same cluster, keeping the best ``--top`` (every
  candidate is still found, valued and counted, and scores are against the best of all),
  then the same regional code in one process (``InProcess``); the two must be equal.

Seconds are the wall time of the ``discover`` call, CPU seconds each process's user and
system time over it. Peak memory is each process's peak resident set over the call, the
park included: each worker's, gathered with ``Client.run``, and the client's, which holds
the park and, in this local cluster, the scheduler.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from typing import Any

import pandas as pd

from symbionet.discovery.engine import DiscoveryResult, discover
from symbionet.discovery.generate import generate_park
from symbionet.executors import InProcess

SEED = 1
WORKERS = 2
ROWS_HASHED = 200_000


def reset_peak() -> None:
    """Start this process's peak resident set afresh (Linux: its ``VmHWM``)."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")


def peak_mb() -> int:
    """This process's peak resident set since it started or was reset, in MB. Unlike
    ``getrusage``'s, it does not count the memory of the process that started this one."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) // 1024


def digest(found: DiscoveryResult) -> str:
    """A fingerprint of every row and column of the candidates (hashed a block of rows at a
    time, to keep memory low), and how many were found."""
    table, fingerprint = found.candidates, hashlib.sha256()
    for start in range(0, len(table), ROWS_HASHED):
        rows = pd.util.hash_pandas_object(table.iloc[start : start + ROWS_HASHED], index=True)
        fingerprint.update(rows.to_numpy().tobytes())
    return f"{found.found}:{fingerprint.hexdigest()}"


def timed(call: Any) -> tuple[DiscoveryResult, float]:
    started = time.perf_counter()
    result = call()
    return result, round(time.perf_counter() - started, 1)


def cpu_s() -> float:
    """CPU seconds this process has used (user and system)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def on_cluster(sites: int, regions: int, top: int | None, again: bool) -> dict[str, Any]:
    """Discovery by region on a local cluster of ``WORKERS`` processes; with ``again``, the
    same regional code in this process afterwards."""
    import dask
    from distributed import Client, LocalCluster

    park = generate_park(sites, SEED)
    figures: dict[str, Any] = {"sites": sites, "streams": len(park.streams), "top": top}
    # each region's task carries its own part of the park, by design
    with (
        dask.config.set({"distributed.admin.large-graph-warning-threshold": "2GB"}),
        LocalCluster(
            n_workers=WORKERS,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        executor = client.get_executor(pure=False)
        client.run(reset_peak)
        reset_peak()
        before, mine = client.run(cpu_s), cpu_s()
        found, figures["seconds"] = timed(
            lambda: discover(park, regions=regions, top=top, executor=executor)
        )
        figures["client_cpu_s"] = round(cpu_s() - mine, 1)
        figures["worker_cpu_s"] = [round(t - before[w], 1) for w, t in client.run(cpu_s).items()]
        figures["worker_peak_mb"] = list(client.run(peak_mb).values())
    figures["client_peak_mb"] = peak_mb()
    figures["candidates"] = found.found
    figures["rows"] = len(found.candidates)
    figures["digest"] = digest(found)
    del found
    if again:
        mine = cpu_s()
        alone, figures["in_process_seconds"] = timed(
            lambda: discover(park, regions=regions, top=top, executor=InProcess())
        )
        figures["in_process_cpu_s"] = round(cpu_s() - mine, 1)
        figures["in_process_digest"] = digest(alone)
    return figures


def in_one_process(sites: int) -> dict[str, Any]:
    """``discover`` of the whole park in this process."""
    park = generate_park(sites, SEED)
    reset_peak()
    mine = cpu_s()
    found, seconds = timed(lambda: discover(park))
    return {
        "sites": sites,
        "seconds": seconds,
        "cpu_s": round(cpu_s() - mine, 1),
        "peak_mb": peak_mb(),
        "digest": digest(found),
    }


def child(*args: str) -> dict[str, Any]:
    """One measurement in a fresh process."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return figures


def machine() -> str:
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        model = next((line.split(":", 1)[1].strip() for line in info if "model name" in line), "")
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({model}), {total:.0f} GiB memory, {available:.0f} GiB free"


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def cluster_figures(run: dict[str, Any]) -> str:
    return (
        f"CPU s in the workers {run['worker_cpu_s']} and the client {run['client_cpu_s']}, "
        f"workers' peaks {run['worker_peak_mb']} MB, client's peak {run['client_peak_mb']:,} MB"
    )


def main(sites: int, compare: int, regions: int, top: int) -> None:
    print(f"# Discovery by region, {date.today()}: {machine()}; load average {load()}")
    one = child("one", str(compare))
    split = child("cluster", str(compare), str(regions), "all")
    print(
        f"{compare:,} sites, {split['streams']:,} streams, {split['candidates']:,} candidates: "
        f"one process {one['seconds']} s ({one['cpu_s']} CPU s), peak {one['peak_mb']:,} MB; "
        f"{regions} regions on {WORKERS} workers {split['seconds']} s "
        f"(x{one['seconds'] / split['seconds']:.2f}), {cluster_figures(split)}; "
        f"the same candidates: {one['digest'] == split['digest']}"
    )
    print(f"load average {load()}")
    big = child("cluster", str(sites), str(regions), str(top), "again")
    print(
        f"{sites:,} sites, {big['streams']:,} streams, {big['candidates']:,} candidates "
        f"(best {big['rows']:,} kept): {regions} regions on {WORKERS} workers "
        f"{big['seconds']} s, {cluster_figures(big)}; the same regional code in one process "
        f"{big['in_process_seconds']} s ({big['in_process_cpu_s']} CPU s, "
        f"x{big['in_process_seconds'] / big['seconds']:.2f}); "
        f"the same candidates: {big['digest'] == big['in_process_digest']}"
    )
    print(f"load average {load()}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        kind, size, *rest = sys.argv[2:]
        if kind == "one":
            print(json.dumps(in_one_process(int(size))))
        else:
            chosen = None if rest[1] == "all" else int(rest[1])
            print(json.dumps(on_cluster(int(size), int(rest[0]), chosen, "again" in rest)))
        sys.exit()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1_000_000)
    parser.add_argument("--compare", type=int, default=300_000, help="sites in one process")
    parser.add_argument("--regions", type=int, default=16)
    parser.add_argument("--top", type=int, default=100_000)
    options = parser.parse_args()
    main(options.sites, options.compare, options.regions, options.top)
