"""What the pipeline holds: projects by stage, the funnel of expected savings, the time
from proposal to operation, and where projects stall. Every function reads a park and
returns tables; ``partner`` keeps the projects an actor owns or takes part in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from symbionet.errors import Problem, SymbionetError
from symbionet.register.park import Park
from symbionet.register.stage_checks import split
from symbionet.register.stages import ACTIVE, STAGES, parse_date
from symbionet.results import Result

FIGURES = ("co2e_t", "water_m3", "materials_t", "saving")
"""The expected yearly savings of a project: t CO2e, m3 of freshwater, t of virgin
material and money in the park's currency."""

SHOWN = ("title", "stage", "owner", "partners", "readiness", "next_step", "due", *FIGURES)
"""The columns of a project shown on a board."""


def _partner_mask(pipeline: pd.DataFrame, partner: str) -> pd.Series:
    involved = [partner in split(cell) for cell in pipeline["partners"]]
    return (pipeline["owner"] == partner).fillna(False) | pd.Series(
        involved, index=pipeline.index, dtype=bool
    )


def projects(park: Park, stage: str | None = None, partner: str | None = None) -> pd.DataFrame:
    """The pipeline table (indexed by project id), of one ``stage`` and one ``partner``
    (its owner or one of its partners) when given."""
    pipeline = park.table("pipeline")
    if stage is not None and stage not in STAGES:
        raise SymbionetError(
            [Problem("stage", None, None, f"{stage!r} is not one of {', '.join(STAGES)}")]
        )
    if partner is not None and partner not in park.actors.index:
        raise SymbionetError([Problem("partner", None, None, f"unknown actor {partner!r}")])
    keep = pd.Series(True, index=pipeline.index)
    if stage is not None:
        keep &= pipeline["stage"] == stage
    if partner is not None:
        keep &= _partner_mask(pipeline, partner)
    return pipeline[keep]


def funnel(park: Park, partner: str | None = None) -> pd.DataFrame:
    """Per stage (every stage, in order): the number of projects and the sum of their
    expected yearly savings (``co2e_t``, ``water_m3``, ``materials_t``, ``saving`` in the
    park's currency; a project without a figure adds nothing to it)."""
    table = projects(park, partner=partner)
    grouped = table.groupby("stage")
    result = pd.DataFrame(
        {"projects": grouped.size(), **{f: grouped[f].sum(min_count=0) for f in FIGURES}}
    ).reindex(list(STAGES))
    result["projects"] = result["projects"].fillna(0).astype(int)
    result[list(FIGURES)] = result[list(FIGURES)].fillna(0.0).astype(float)
    result.index.name = "stage"
    return result


def board(park: Park, partner: str | None = None) -> dict[str, pd.DataFrame]:
    """The projects of each stage (every stage, in order), with the columns a board shows,
    the nearest due date first."""
    table = projects(park, partner=partner)
    return {
        stage: table.loc[table["stage"] == stage, list(SHOWN)].sort_values(
            ["due", "title"], na_position="last"
        )
        for stage in STAGES
    }


def _moves(park: Park) -> pd.DataFrame:
    """The log entries that changed a project's stage (not decisions that left it where it
    was), in the order they happened."""
    log = park.table("pipeline_log")
    log = log.assign(_at=range(len(log))).sort_values(["date", "_at"], kind="stable")
    before = log.groupby("project")["to_stage"].shift()
    return log[before.isna() | (log["to_stage"] != before)]


@dataclass
class OperationTimes(Result):
    """Days from proposal to operation of each project that reached operation, and their
    median (None when no project has both dates)."""

    projects: pd.DataFrame
    median_days: float | None
    main_table = "projects"


def time_to_operation(park: Park, partner: str | None = None) -> OperationTimes:
    """For each project that reached operation (operating or ended since): the date it was
    proposed, the date it started operating (its start date, else the log's first move to
    operating) and the days between, with the median over those projects."""
    table = projects(park, partner=partner)
    reached = table[table["stage"].isin(["operating", "ended"])]
    moves = _moves(park)
    first = moves[moves["to_stage"] == "operating"].groupby("project")["date"].first()
    started = reached["start_date"].fillna(reached.index.to_series().map(first))
    frame = pd.DataFrame(
        {"title": reached["title"], "proposed": reached["proposed"], "operating": started}
    )
    frame = frame.dropna(subset=["proposed", "operating"])
    frame["days"] = [
        (_day(o) - _day(p)).days for p, o in zip(frame["proposed"], frame["operating"], strict=True)
    ]
    frame["days"] = frame["days"].astype(int)
    median = float(frame["days"].median()) if len(frame) else None
    return OperationTimes(frame, median)


def _day(value: object) -> dt.date:
    day = parse_date(value, "date")
    assert day is not None
    return day


def _entered(park: Park, table: pd.DataFrame) -> pd.Series:
    """The date each project entered its current stage: its last log entry to that stage,
    else its proposal date."""
    moves = _moves(park)
    last = moves.groupby("project")[["to_stage", "date"]].last()
    logged = last["date"].where(last["to_stage"] == table["stage"].reindex(last.index))
    return logged.reindex(table.index).fillna(table["proposed"])


def stalls(
    park: Park, today: dt.date | str, longest: int = 180, partner: str | None = None
) -> pd.DataFrame:
    """Projects still being worked on (idea to implementation) that are past their due
    date, or have been in their stage more than ``longest`` days, on ``today``: their
    stage, since when, for how many days, their due date and the days it is past, and why
    they are listed; the most overdue first."""
    day = parse_date(today, "today")
    assert day is not None
    table = projects(park, partner=partner)
    table = table[table["stage"].isin(ACTIVE)]
    since = _entered(park, table)
    in_stage = pd.Series(
        [(day - _day(s)).days if isinstance(s, str) else None for s in since],
        index=table.index,
        dtype="Int64",
    )
    overdue = pd.Series(
        [(day - _day(d)).days if isinstance(d, str) else None for d in table["due"]],
        index=table.index,
        dtype="Int64",
    )
    late = (overdue > 0).fillna(False)
    long = (in_stage > longest).fillna(False)
    why = [
        "; ".join(
            ([f"{o} days past due"] if is_late else []) + ([f"{s} days in {g}"] if is_long else [])
        )
        for o, s, g, is_late, is_long in zip(
            overdue, in_stage, table["stage"], late, long, strict=True
        )
    ]
    result = pd.DataFrame(
        {
            "title": table["title"],
            "stage": table["stage"],
            "owner": table["owner"],
            "since": since,
            "days_in_stage": in_stage,
            "due": table["due"],
            "days_overdue": overdue.where(late),
            "next_step": table["next_step"],
            "why": why,
        },
        index=table.index,
    )[late | long]
    return result.sort_values(
        ["days_overdue", "days_in_stage"], ascending=False, na_position="last"
    )


def stage_times(park: Park, today: dt.date | str, partner: str | None = None) -> pd.DataFrame:
    """Where projects stall: per stage, how many projects spent time in it (from the log,
    the current stage counted up to ``today``), and the median and longest days spent."""
    day = parse_date(today, "today")
    assert day is not None
    table = projects(park, partner=partner)
    moves = _moves(park)
    moves = moves[moves["project"].isin(table.index)]
    spans: list[tuple[str, int]] = []
    for project, entries in moves.groupby("project", sort=False):
        dates = [_day(d) for d in entries["date"]]
        ends = [*dates[1:], day if table.at[project, "stage"] in ACTIVE else None]
        for stage, start, end in zip(entries["to_stage"], dates, ends, strict=True):
            if end is not None:
                spans.append((stage, (end - start).days))
    frame = pd.DataFrame(spans, columns=["stage", "days"])
    grouped = frame.groupby("stage")["days"]
    result = pd.DataFrame(
        {"projects": grouped.size(), "median_days": grouped.median(), "longest_days": grouped.max()}
    ).reindex([s for s in STAGES if s not in ("ended", "rejected")])
    result["projects"] = result["projects"].fillna(0).astype(int)
    result.index.name = "stage"
    return result


def risk_register(park: Park, partner: str | None = None) -> pd.DataFrame:
    """The risks of the projects (of one partner's projects), with their project's title and
    stage and a score (likelihood × impact, 1 to 25), the highest first."""
    table = projects(park, partner=partner)
    risks = park.table("risks")
    risks = risks[risks["project"].isin(table.index)]
    result = risks.assign(
        title=risks["project"].map(table["title"]),
        stage=risks["project"].map(table["stage"]),
        score=(risks["likelihood"] * risks["impact"]).astype("Int64"),
    )
    return result.sort_values(["score", "project"], ascending=[False, True])


__all__ = [
    "FIGURES",
    "OperationTimes",
    "board",
    "funnel",
    "projects",
    "risk_register",
    "stage_times",
    "stalls",
    "time_to_operation",
]
