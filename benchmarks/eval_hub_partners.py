"""Leave-one-project-out evaluation of partner matching on a park with documented projects.

For each retrieval method (character n-grams, stemmed words, BM25) and for the parts of the
score one at a time, hides each project in turn, asks for partners for its lead and its
topic, and prints mean recall@10 of its real partners against the ranking by sector alone,
then the recall project by project for the hub's method, and any project name that an
organisation's text gives away.

    .venv/bin/python benchmarks/eval_hub_partners.py                 # examples/biotech-city
    .venv/bin/python benchmarks/eval_hub_partners.py PARK --k 5
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

import symbionet
from symbionet.hub.evaluation import evaluate_partners, leaks
from symbionet.hub.matching import METHOD, WEIGHTS
from symbionet.hub.text import METHODS

ORDER = ("text", "reverse", "together", "kind", "network")
PARTS = {
    ("text only" if n == 1 else "+ " + ORDER[n - 1]): {
        part: (WEIGHTS[part] if k < n else 0.0) for k, part in enumerate(ORDER)
    }
    for n in range(1, len(ORDER) + 1)
}
"""The parts of the score added one at a time, each with its weight (the last: all)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("park", nargs="?", default="examples/biotech-city")
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    park = symbionet.load_park(args.park)
    print(f"{park.name}: {len(park.actors)} organisations, {len(park.table('projects'))} projects")
    print(
        f"\n{'method':6} {'parts':12} {'recall@' + str(args.k):>10} {'baseline':>9} {'ratio':>6}"
        f" {'seconds':>8}"
    )
    for method in METHODS:
        for name, weights in PARTS.items():
            started = time.perf_counter()
            result = evaluate_partners(park, args.k, method=method, weights=weights)
            seconds = time.perf_counter() - started
            print(
                f"{method:6} {name:12} {result.recall:10.3f} {result.baseline:9.3f}"
                f" {result.ratio:6.2f} {seconds:8.2f}"
            )
    result = evaluate_partners(park, args.k, method=METHOD)
    print(f"\nproject by project ({METHOD}, all parts; {len(result.projects)} projects):")
    with pd.option_context("display.width", 200):
        print(result.projects.to_string(index=False, float_format="{:.2f}".format))
    found = leaks(park)
    print("\nproject names in organisations' text:", "none" if found.empty else "")
    if not found.empty:
        print(found.to_string(index=False))


if __name__ == "__main__":
    main()
