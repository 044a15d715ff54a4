"""The synergy pipeline on the platform: who may propose, carry over and move projects,
and the board, funnel and figures each role may see. Every change is a library function
applied to the park as saved (``repository.edit_park``): rules checked, each row logged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException

from symbionet import pipeline
from symbionet.errors import Problem, SymbionetError
from symbionet.register.park import Park
from symbionet.register.stages import ACTIVE
from symbionet.results import plain, records
from symbionet.store import repository
from symbionet.store.accounts import Access
from symbionet.store.repository import StoredPark
from symbionet.web.context import Platform, visible_park
from symbionet.web.models import PROPOSAL_FIELDS
from symbionet.web.service import latest_discovery, scrubbed


def pipeline_view(
    platform: Platform,
    stored: StoredPark,
    access: Access,
    stage: str | None = None,
    partner: str | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The pipeline as the role sees it (a partner: the projects it takes part in): the
    projects of ``stage`` and ``partner``, the board by stage, the funnel, the time from
    idea to operation and the projects that stall on ``today``."""
    park = visible_park(stored, access, platform)
    day = today or dt.date.today()

    def made() -> dict[str, Any]:
        try:
            times = pipeline.time_to_operation(park, partner)
            return {
                "projects": records(pipeline.projects(park, stage, partner)),
                "board": {s: records(t) for s, t in pipeline.board(park, partner).items()},
                "funnel": records(pipeline.funnel(park, partner)),
                "time_to_operation": {
                    "median_days": times.median_days,
                    "projects": records(times.projects),
                },
                "stalls": records(pipeline.stalls(park, day, partner=partner)),
                "stages": list(pipeline.STAGES),
                "currency": park.currency,
            }
        except SymbionetError as error:
            raise scrubbed(error, platform, stored, access) from None

    key = ("pipeline", access.role, access.actor, stage, partner, day.isoformat())
    return platform.computed(stored, key, made)


def _edit(
    platform: Platform,
    stored: StoredPark,
    access: Access,
    author: str,
    edit: Callable[[Park], Park],
) -> int:
    """Apply ``edit`` to the park as saved; its problems as the role may read them."""
    try:
        return repository.edit_park(platform.engine, stored.id, edit, author)
    except SymbionetError as error:
        raise scrubbed(error, platform, stored, access) from None


def propose(
    platform: Platform,
    stored: StoredPark,
    access: Access,
    author: str,
    title: str,
    fields: dict[str, Any],
) -> int:
    """Add a synergy at the idea stage: the secretariat for anyone, a partner's editor for
    its own partner (the owner), naming only streams it may see. The park's new version."""
    if access.role == "viewer":
        raise HTTPException(403, "a viewer may not propose synergies")
    given = {k: v for k, v in fields.items() if v not in (None, "")}
    wrong = sorted(set(given) - set(PROPOSAL_FIELDS))
    if wrong:
        raise SymbionetError(
            [Problem("pipeline", None, name, "not a field of a proposal") for name in wrong]
        )
    if access.actor is not None:
        if given.setdefault("owner", access.actor) != access.actor:
            raise HTTPException(403, "a partner proposes synergies it owns itself")
        seen = visible_park(stored, access, platform).streams.index
        unknown = [
            Problem("pipeline", None, side, f"no stream {given[side]!r} in streams.csv")
            for side in ("supply", "demand")
            if side in given and given[side] not in seen
        ]
        if unknown:
            raise SymbionetError(unknown)
    by, on = access.actor or author, given.pop("proposed", None)
    return _edit(
        platform,
        stored,
        access,
        author,
        lambda p: pipeline.propose(p, title, on=on, author=by, **given),
    )


def carry_over(
    platform: Platform, stored: StoredPark, access: Access, author: str, number: int
) -> int:
    """Carry candidate ``number`` of the newest discovery (1 first) into the pipeline with
    its figures (the secretariat's). The park's new version."""
    if access.role != "secretariat":
        raise HTTPException(403, "the park's secretariat carries candidates into the pipeline")
    latest = latest_discovery(platform, stored.id)
    found = None if latest is None else latest[1].candidates
    if found is None or not 1 <= number <= len(found):
        raise HTTPException(404, f"no candidate {number}")
    row = found.iloc[number - 1]
    return _edit(
        platform,
        stored,
        access,
        author,
        lambda p: pipeline.from_candidate(p, row, author=author),
    )


def move(
    platform: Platform,
    stored: StoredPark,
    access: Access,
    author: str,
    project: str,
    stage: str,
    details: dict[str, Any],
) -> int:
    """Move a project to ``stage`` by the pipeline's rules (the secretariat's), with the
    move's date, reason and the agreement, start or end date it needs. The new version."""
    if access.role != "secretariat":
        raise HTTPException(403, "the park's secretariat moves synergies through the stages")
    given = {k: v for k, v in details.items() if v not in (None, "")}
    return _edit(
        platform,
        stored,
        access,
        author,
        lambda p: pipeline.move(p, project, stage, author=author, **given),
    )


def project_figures(view: dict[str, Any]) -> dict[str, Any]:
    """The funnel's totals over the open stages (idea to implementation) and the median
    time from idea to operation, for a dashboard."""
    open_stages = [r for r in view["funnel"] if r["stage"] in ACTIVE]
    return plain(
        {
            "open_projects": sum(r["projects"] for r in open_stages),
            "open_co2e_t": sum(r["co2e_t"] for r in open_stages),
            "median_days_to_operation": view["time_to_operation"]["median_days"],
        }
    )


__all__ = ["carry_over", "move", "pipeline_view", "project_figures", "propose"]
