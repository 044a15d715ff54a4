"""Checks of the pipeline tables when a park is loaded: partners and barriers are known,
each stage has the dates and reasons it needs, and the log agrees with the stages."""

from __future__ import annotations

from itertools import pairwise

import pandas as pd

from symbionet.register.stages import BARRIERS
from symbionet.register.validate import Tables, _close


def split(cell: object) -> list[str]:
    """The items of a cell holding a list separated by ``;``."""
    if not isinstance(cell, str):
        return []
    return [item.strip() for item in cell.split(";") if item.strip()]


def check_pipeline(data: Tables) -> None:
    """The pipeline's cross-row rules (see ``docs/pipeline.md``)."""
    if not data.has("pipeline"):
        return
    frame, check = data.frames["pipeline"], data.checks["pipeline"]
    actors = data.frames.get("actors")
    known = sorted(set(actors["id"].dropna())) if actors is not None else []
    unknown = [[p for p in split(cell) if p not in known] for cell in frame["partners"]]
    check.at(
        pd.Series([bool(u) for u in unknown]),
        "partners",
        [
            ", ".join(f"unknown actor {p!r}" + _close(p, known) for p in wrong)
            for wrong in unknown
            if wrong
        ],
    )
    odd = [[b for b in split(cell) if b.lower() not in BARRIERS] for cell in frame["barriers"]]
    check.at(
        pd.Series([bool(o) for o in odd]),
        "barriers",
        [
            ", ".join(f"{b!r} is not one of {', '.join(BARRIERS)}" for b in wrong)
            for wrong in odd
            if wrong
        ],
    )
    stage = frame["stage"]
    needs = (
        ("rejected", "rejected_reason", "a rejected synergy needs its reason"),
        ("operating", "agreement_date", "an operating synergy needs its agreement date"),
        ("operating", "start_date", "an operating synergy needs its start date"),
        ("operating", "exchange", "an operating synergy names its exchange"),
        ("ended", "end_date", "an ended synergy needs its end date"),
    )
    for name, column, message in needs:
        check.at((stage == name) & frame[column].isna(), column, message)
    alone = frame["quantity"].notna() & frame["unit"].isna()
    check.at(alone, "unit", "a quantity needs its unit")
    order = ("proposed", "agreement_date", "start_date", "end_date")
    for early, late in pairwise(order):
        wrong = (frame[late] < frame[early]).fillna(False)
        check.at(
            wrong,
            late,
            [
                f"{b} is before {early} {a}"
                for a, b in zip(frame[early][wrong], frame[late][wrong], strict=True)
            ],
            "warning",
        )
    if data.has("exchanges") and "exchange" in frame:
        status = frame["exchange"].map(
            data.frames["exchanges"].drop_duplicates("id").set_index("id")["status"]
        )
        differ = status.notna() & (status != stage)
        check.at(
            differ,
            "exchange",
            [
                f"exchange {e!r} has status {s} while the synergy is {g}"
                for e, s, g in zip(
                    frame["exchange"][differ], status[differ], stage[differ], strict=True
                )
            ],
            "warning",
        )
    if data.has("pipeline_log"):
        log = data.frames["pipeline_log"]
        ordered = log.assign(_at=range(len(log))).sort_values(["date", "_at"], kind="stable")
        last = ordered.groupby("project")["to_stage"].last()
        logged = frame["id"].map(last)
        differ = logged.notna() & (logged != stage)
        check.at(
            differ,
            "stage",
            [
                f"the log's last entry moves it to {g}, not {s}"
                for g, s in zip(logged[differ], stage[differ], strict=True)
            ],
            "warning",
        )


__all__ = ["check_pipeline", "split"]
