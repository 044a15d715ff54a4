"""Benchmarks of benefit sharing and resilience; prints figures and ratios.

    python benchmarks/bench_share.py                       # every case, this code only
    python benchmarks/bench_share.py --before /tmp/before  # beside an older checkout
    python benchmarks/bench_share.py share stress          # some of the cases

Cases: ``share`` (Shapley split of Kalundborg, operate mode), ``stress`` (Kalundborg with
each partner removed in turn) and ``invest`` (Shapley split of a seeded synthetic park of
10 partners in invest mode: candidates may be built, every coalition a MILP). Each case
runs in its own process, with the default executor (a process pool sized to the machine).
``--before PATH`` runs the same case on the code of another checkout (``git worktree add
PATH COMMIT``) in the same run, with this virtual environment, and prints the ratio;
``--before-limit`` stops an old run that takes longer (seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KALUNDBORG = ROOT / "examples" / "kalundborg"
PARTNERS = 10
SEED = 1

# One case, run in a fresh process: loads the park, times the call, prints JSON.
CASE = """
import json, sys, time
from symbionet import load_park
from symbionet.assessment.sharing import share
from symbionet.assessment.resilience import stress
case, folder = sys.argv[1], sys.argv[2]
park = load_park(folder)
started = time.perf_counter()
if case == "stress":
    result = stress(park, all_single=True)
    figure = float(result.ranking["extra_cost_eur"].iloc[0])
else:
    result = share(park, mode="invest" if case == "invest" else "operate")
    figure = float(result.grand_value)
print(json.dumps({"seconds": time.perf_counter() - started, "figure": figure}))
"""


def ten_partner_park(folder: Path) -> Path:
    """The seeded synthetic park of 10 partners (one site each), flat in time."""
    from symbionet.optimisation.synthetic import write_synthetic_park

    return write_synthetic_park(folder / "park10", PARTNERS, seed=SEED, hourly=False)


def run(case: str, park: Path, source: Path, limit: float | None) -> dict[str, float] | None:
    """Seconds and headline figure of one case on the code under ``source``; None when it
    ran past ``limit``."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    try:
        done = subprocess.run(
            [sys.executable, "-c", CASE, case, str(park)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            timeout=limit,
        )
    except subprocess.TimeoutExpired:
        return None
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", default=["share", "stress", "invest"])
    parser.add_argument("--before", type=Path, help="checkout of the code to compare with")
    parser.add_argument("--before-limit", type=float, default=1800.0)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory(prefix="symbionet-bench-") as scratch:
        parks = {
            "share": KALUNDBORG,
            "stress": KALUNDBORG,
            "invest": ten_partner_park(Path(scratch)),
        }
        print(f"{'case':8} {'now s':>8} {'before s':>9} {'ratio':>7}  figure (now / before)")
        for case in args.cases:
            now = run(case, parks[case], ROOT / "src", None)
            assert now is not None
            before = (
                run(case, parks[case], args.before / "src", args.before_limit)
                if args.before
                else None
            )
            if before is None:
                old = f">{args.before_limit:.0f}" if args.before else "-"
                print(f"{case:8} {now['seconds']:8.1f} {old:>9} {'':>7}  {now['figure']:,.0f}")
                continue
            ratio = before["seconds"] / now["seconds"]
            print(
                f"{case:8} {now['seconds']:8.1f} {before['seconds']:9.1f} {ratio:6.1f}x  "
                f"{now['figure']:,.0f} / {before['figure']:,.0f}"
            )


if __name__ == "__main__":
    main()
