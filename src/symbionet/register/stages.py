"""The stages of the synergy pipeline and the rules a move between them follows.

A synergy moves forward through ``idea → screening → feasibility → agreement →
implementation → operating → ended``, or is ``rejected`` on the way. Each rule has a
short name that the message of a refused move quotes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from symbionet.errors import Problem, SymbionetError
from symbionet.register.schema import tables

STAGES = tuple(tables()["pipeline"].column("stage").choices)  # type: ignore[union-attr]
"""Every stage, in the order of the funnel (``rejected`` last)."""

FLOW = STAGES[:7]
"""The stages a synergy passes through, in order."""

ACTIVE = ("idea", "screening", "feasibility", "agreement", "implementation")
"""Stages of a synergy still being worked on: the ones that can stall."""

ENTRY = ("idea", "screening", "feasibility")
"""Stages a synergy may enter the pipeline at."""

BARRIERS = ("regulatory", "technical", "economic", "organisational")
"""Kinds of barrier a synergy may meet."""

RULES = {
    "new stage": "a move goes to another stage than the one the project is in",
    "reason to reject": "rejecting a synergy needs a reason, which it keeps",
    "agreement before operating": "operating needs an agreement date and a start date, "
    "the agreement not after the start",
    "exchange when operating": "an operating synergy is an exchange of the register: it names "
    "one, or has the supply, demand, quantity and unit to make one",
    "reason to go back": "moving back from agreement or later to before agreement needs a reason",
    "ended from operating": "only an operating synergy ends, and ending needs an end date not "
    "before its start date",
    "ended is final": "an ended synergy is not moved again (propose a new one)",
    "reopen with a reason": "a rejected synergy goes back only to idea, screening or "
    "feasibility, with a reason",
    "dates in order": "a move or decision is not dated before the project's proposal or its "
    "last log entry, and no agreement or start date is before the proposal",
}
"""The rules a move follows, by name."""


def refuse(project: str, rule: str, detail: str, column: str | None = "stage") -> SymbionetError:
    """The error of a refused move of ``project``: what is wrong, then the rule it breaks."""
    return SymbionetError(
        [
            Problem(
                "pipeline.csv",
                None,
                column,
                f"project {project!r}: {detail} (rule {rule!r}: {RULES[rule]})",
            )
        ]
    )


def parse_date(value: Any, what: str) -> dt.date | None:
    """A date from a ``date``, ``datetime`` or ``YYYY-MM-DD`` text; None for nothing given."""
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise SymbionetError(
            [Problem(what, None, None, f"{value!r} is not a date (YYYY-MM-DD)")]
        ) from None


def check_move(
    row: Mapping[str, Any],
    stage: str,
    on: dt.date,
    reason: str | None,
    last: dt.date | None,
) -> None:
    """Raise the error of the first rule that a move of a project (``row``, its dates
    already updated with those given to the move, as dates) to ``stage`` on ``on`` breaks;
    ``last`` is the date of its proposal or last log entry."""
    project, current = str(row["id"]), str(row["stage"])
    if stage not in STAGES:
        raise SymbionetError(
            [Problem("stage", None, None, f"{stage!r} is not one of {', '.join(STAGES)}")]
        )
    if stage == current:
        raise refuse(project, "new stage", f"is in stage {current} already")
    if last is not None and on < last:
        raise refuse(
            project,
            "dates in order",
            f"a move on {on} is before its proposal or last log entry ({last})",
            "date",
        )
    if current == "ended":
        raise refuse(project, "ended is final", f"ended; it cannot move to {stage}")
    if current == "rejected":
        if stage not in ENTRY or not reason:
            raise refuse(
                project,
                "reopen with a reason",
                f"was rejected ({row.get('rejected_reason')}); it cannot move to {stage}"
                + ("" if reason else " without a reason"),
            )
    elif stage == "rejected":
        if not reason:
            raise refuse(project, "reason to reject", "no reason given", "rejected_reason")
        if current == "operating":
            raise refuse(
                project,
                "ended from operating",
                "is operating: end it (stage ended) rather than reject it",
            )
    else:
        _check_forward(row, project, current, stage, reason)
    _check_dates(row, project)


def _check_forward(
    row: Mapping[str, Any], project: str, current: str, stage: str, reason: str | None
) -> None:
    """The rules of a move along the flow, forward or back."""
    position, target = FLOW.index(current), FLOW.index(stage)
    agreed = FLOW.index("agreement")
    if target < agreed <= position and not reason:
        raise refuse(
            project,
            "reason to go back",
            f"moving back from {current} to {stage} needs a reason",
        )
    if stage == "ended":
        if current != "operating":
            raise refuse(project, "ended from operating", f"is {current}, not operating")
        if row.get("end_date") is None:
            raise refuse(project, "ended from operating", "no end date", "end_date")
    if stage == "operating":
        agreement, start = row.get("agreement_date"), row.get("start_date")
        missing = [
            name
            for name, value in (("agreement date", agreement), ("start date", start))
            if value is None
        ]
        if missing:
            raise refuse(
                project,
                "agreement before operating",
                f"no {' and no '.join(missing)}",
                "agreement_date" if agreement is None else "start_date",
            )


DATE_ORDER = (
    ("proposed", "agreement_date", "dates in order"),
    ("proposed", "start_date", "dates in order"),
    ("agreement_date", "start_date", "agreement before operating"),
    ("start_date", "end_date", "ended from operating"),
)
"""Dates of a project that come in this order, and the rule that says so."""


def _check_dates(row: Mapping[str, Any], project: str) -> None:
    """A project's dates, after the move, are in order."""
    for early, late, rule in DATE_ORDER:
        first, then = row.get(early), row.get(late)
        if first is not None and then is not None and then < first:
            raise refuse(
                project,
                rule,
                f"the {_words(late)} {then} is before the {_words(early)} {first}",
                late,
            )


def _words(column: str) -> str:
    return "proposal" if column == "proposed" else column.replace("_", " ")


__all__ = [
    "ACTIVE",
    "BARRIERS",
    "ENTRY",
    "FLOW",
    "RULES",
    "STAGES",
    "check_move",
    "parse_date",
    "refuse",
]
