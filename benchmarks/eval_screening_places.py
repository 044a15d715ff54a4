"""Evaluation: screening leave-one-place-out, on every place of the knowledge base with at
least 10 documented exchanges (``src/symbionet/data/exchanges.csv``).

Each place in turn is hidden from the knowledge base; its organisations are screened from
their NACE codes alone; recall is the share of its E documented exchanges (supplier,
receiver and one of the resources) among the top 2E proposals, precision the share of the
top E proposals that are documented. The baseline proposes 2E random ordered pairs of the
place's organisations and finds an exchange by its pair alone (its expected values).

    .venv/bin/python benchmarks/eval_screening_places.py            # the table and means
    .venv/bin/python benchmarks/eval_screening_places.py --minimum 5 --markdown
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from symbionet.discovery.screening import documented_exchanges, leave_one_place_out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minimum", type=int, default=10, help="exchanges a place needs")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    cases = documented_exchanges()
    started = time.perf_counter()
    table = leave_one_place_out(args.minimum, cases)
    seconds = time.perf_counter() - started
    table["ratio"] = table["recall"] / table["random_recall"]
    columns = ["country", "organisations", "exchanges", "recall", "recall_exact"]
    columns += ["random_recall", "ratio"]
    columns += ["precision", "random_precision"]
    shown = table[columns].round(3)
    means = table[["recall", "recall_exact", "random_recall", "precision", "random_precision"]]
    means = means.mean()
    print(
        f"knowledge base: {len(cases)} exchanges, {cases['place'].nunique()} places; "
        f"{len(table)} places with at least {args.minimum}; {seconds:.1f} s"
    )
    if args.markdown:
        print("| place | " + " | ".join(shown.columns) + " |")
        print("|---|" + "---:|" * len(shown.columns))
        for place, row in shown.iterrows():
            print(f"| {place} | " + " | ".join(str(v) for v in row) + " |")
    else:
        with pd.option_context(
            "display.width", 250, "display.max_rows", 200, "display.max_columns", 20
        ):
            print(shown)
    print(
        f"mean recall@2E {means['recall']:.3f}, random {means['random_recall']:.3f} "
        f"(ratio {means['recall'] / means['random_recall']:.2f}), with the resource itself "
        f"{means['recall_exact']:.3f}; mean precision@E "
        f"{means['precision']:.3f}, random {means['random_precision']:.3f}"
    )


if __name__ == "__main__":
    main()
