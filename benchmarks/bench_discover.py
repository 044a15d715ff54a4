"""Discovery at national scale: time and peak memory of candidate generation and scoring.

    .venv/bin/python benchmarks/bench_discover.py [--sizes 10000 30000 100000] [--baseline 5000]

Each size runs in its own process pinned to two cores: a synthetic park is generated
(not timed), then ``discover`` finds, values, ranks and explains every candidate (timed).
Peak memory is the process's maximum resident set, park included. The naive baseline
checks every supply against every demand of a compatible resource on a smaller park and
must find the same candidates.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date
from typing import Any

from symbionet.discovery.engine import discover
from symbionet.discovery.generate import generate_park

SIZES = (10_000, 30_000, 100_000)
BASELINE_SITES = 5_000
CORES = 2
SEED = 1


def measure(sites: int, method: str = "index", seed: int = SEED) -> dict[str, Any]:
    """Generate a park of ``sites`` sites and time discovery on it."""
    park = generate_park(sites, seed)
    start = time.perf_counter()
    found = discover(park, method="all_pairs" if method == "all_pairs" else "index")
    table = found.candidates
    seconds = time.perf_counter() - start
    return {
        "sites": sites,
        "method": method,
        "streams": len(park.streams),
        "candidates": found.found,
        "seconds": round(seconds, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "pairs": sorted(zip(table["supply"], table["demand"], strict=True))
        if sites <= BASELINE_SITES
        else None,
    }


def _run(sites: int, method: str) -> dict[str, Any]:
    """``measure`` in a fresh process limited to ``CORES`` cores."""
    threads = {name: str(CORES) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(sites), "--method", method],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **threads},
    )
    return json.loads(done.stdout.splitlines()[-1])


def machine() -> str:
    """Cores and CPU model of this machine."""
    model = platform.processor() or "unknown CPU"
    with (
        contextlib.suppress(OSError, StopIteration),
        open("/proc/cpuinfo", encoding="utf-8") as info,
    ):
        model = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    return f"{os.cpu_count()} cores available ({model}), runs pinned to {CORES}"


def main(sizes: tuple[int, ...], baseline: int) -> None:
    print(f"# Discovery benchmark, {date.today()}: {machine()}")
    print("| sites | streams | candidates | seconds | peak MB |")
    print("|---:|---:|---:|---:|---:|")
    for sites in sizes:
        r = _run(sites, "index")
        print(
            f"| {r['sites']:,} | {r['streams']:,} | {r['candidates']:,} "
            f"| {r['seconds']:.1f} | {r['peak_mb']:,} |",
            flush=True,
        )
    indexed, naive = _run(baseline, "index"), _run(baseline, "all_pairs")
    same = "the same" if indexed["pairs"] == naive["pairs"] else "DIFFERENT"
    print(
        f"Baseline at {baseline:,} sites: all pairs {naive['seconds']:.1f} s, "
        f"spatial index {indexed['seconds']:.1f} s, "
        f"{naive['seconds'] / indexed['seconds']:.1f}x faster; {same} candidates"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--baseline", type=int, default=BASELINE_SITES)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--method", default="index", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:CORES])
        print(json.dumps(measure(args.child, args.method)))
    else:
        main(tuple(args.sizes), args.baseline)
