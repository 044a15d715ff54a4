"""A sweep of 64 Kalundborg scenarios on a local Dask cluster of one worker and of two
(one thread each), in the same run: seconds of each, their ratio, the workers' CPU
seconds, the load average, and whether the answers are identical.

    .venv/bin/python benchmarks/bench_cluster.py

The scenarios are the example's kinds of change in steps: natural gas at 1, 1.5, 2 and 3
times its price, CO2e at 0, 40, 80 and 120 EUR/t, and no partner, Ørsted, Novo Nordisk or
Gyproc leaving (4 x 4 x 4), run beside the base. Each cluster solves one scenario on every
worker before it is timed, so that imports are not counted.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
KALUNDBORG = ROOT / "examples" / "kalundborg"
GAS = (1, 1.5, 2, 3)
CO2 = (0, 40, 80, 120)
LEAVING = ("", "orsted", "novo_nordisk", "gyproc")


def write_sweep(
    folder: Path,
    gas: tuple[float, ...] = GAS,
    co2: tuple[float, ...] = CO2,
    leaving: tuple[str, ...] = LEAVING,
) -> Path:
    """The Kalundborg example written to ``folder`` with, instead of its own scenarios,
    one for each natural gas price factor, CO2e price (EUR/t) and partner leaving ("":
    none)."""
    shutil.copytree(KALUNDBORG, folder)
    rows = []
    for factor, price, partner in itertools.product(gas, co2, leaving):
        name = f"gas_x{factor:g}_co2_{price:g}" + (f"_{partner}_leaves" if partner else "")
        rows.append((f"{name}_gas", name, "price", "natural_gas", factor, "x", f"gas x{factor:g}"))
        rows.append((f"{name}_co2", name, "co2_price", "", price, "EUR/t", f"CO2e {price:g}"))
        if partner:
            rows.append((f"{name}_leave", name, "leave", partner, "", "", f"{partner} leaves"))
    columns = ["id", "scenario", "change", "target", "value", "unit", "description"]
    pd.DataFrame(rows, columns=columns).to_csv(folder / "scenarios.csv", index=False)
    return folder


def _cpu_seconds() -> float:
    """CPU seconds of this process so far (run on each worker)."""
    return time.process_time()


def _warm() -> None:
    """One design and impact on this worker, so that its imports are done."""
    from symbionet import load_park
    from symbionet.scenarios.compare import run_scenarios

    run_scenarios(load_park(KALUNDBORG), [], executor=None)


def sweep_on(workers: int, folder: Path) -> tuple[float, float, float, pd.DataFrame]:
    """Seconds of the sweep on a local cluster of ``workers``, the workers' CPU seconds,
    this process's (the scheduler's and the client's) and the key figures."""
    from distributed import Client

    from symbionet import load_park
    from symbionet.executors import local_cluster
    from symbionet.scenarios.compare import run_scenarios

    park = load_park(folder)
    with local_cluster(workers) as address, Client(address) as client:
        client.run(_warm)
        before = sum(client.run(_cpu_seconds).values())
        started, here = time.perf_counter(), time.process_time()
        result = run_scenarios(park, executor=client.get_executor(pure=False))
        seconds, here = time.perf_counter() - started, time.process_time() - here
        cpu = sum(client.run(_cpu_seconds).values()) - before
    return seconds, cpu, here, pd.concat([result.figures, result.partners])


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = write_sweep(Path(scratch) / "sweep")
        scenarios = len(GAS) * len(CO2) * len(LEAVING)
        print(f"{scenarios} scenarios and the base; load average {os.getloadavg()}")
        one, one_cpu, one_here, one_figures = sweep_on(1, folder)
        print(
            f"1 worker:  {one:6.1f} s; CPU s: workers {one_cpu:6.1f}, scheduler and client "
            f"{one_here:5.1f}; load {os.getloadavg()}"
        )
        two, two_cpu, two_here, two_figures = sweep_on(2, folder)
        print(
            f"2 workers: {two:6.1f} s; CPU s: workers {two_cpu:6.1f}, scheduler and client "
            f"{two_here:5.1f}; load {os.getloadavg()}"
        )
    same = one_figures.equals(two_figures)
    print(f"ratio {one / two:.2f}; answers identical: {same}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
