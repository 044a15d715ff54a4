"""Start-up and the main job, measured against an earlier version in the same run.

    .venv/bin/python benchmarks/bench_library.py [--before REV] [--repeat N]

Times ``import symbionet``, ``symbionet --help`` and ``symbionet run`` on the Kalundborg
example (the job ``make run`` does), for this checkout and for ``REV`` (default: the
version before the library surface was reworked) checked out in a temporary git
worktree and run with the same Python and packages. Prints the median of ``N`` runs of
each and the ratio before / now.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "7f4a216"
CLI = "from symbionet.present.cli import main; import sys; sys.argv[0] = 'symbionet'; main()"


def timed(source: Path, args: list[str], repeat: int) -> float:
    """Median seconds of ``python args`` with ``source`` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(source), "COLUMNS": "160"}
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, *args],
            check=True,
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def cases(out: Path) -> dict[str, list[str]]:
    return {
        "import symbionet": ["-c", "import symbionet"],
        "symbionet --help": ["-c", CLI, "--help"],
        "symbionet run (make run)": ["-c", CLI, "run", "examples/kalundborg", "--out", str(out)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="git revision to compare with")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, median shown")
    options = parser.parse_args()
    print(f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as scratch:
        worktree = Path(scratch) / "before"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(worktree), options.before],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            print(f"{'case':28} {'before (s)':>11} {'now (s)':>9} {'before/now':>11}")
            for name, args in cases(Path(scratch) / "out").items():
                before = timed(worktree / "src", args, options.repeat)
                now = timed(ROOT / "src", args, options.repeat)
                print(f"{name:28} {before:11.2f} {now:9.2f} {before / now:11.1f}")
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False
            )


if __name__ == "__main__":
    main()
