"""Making and moving synergy projects. Each function returns a new park, checked whole as
a loaded park is; the park given is left as it was."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from symbionet.errors import Problem, SymbionetError
from symbionet.register.park import Park, park_from_document
from symbionet.register.schema import tables
from symbionet.register.stages import ENTRY, STAGES, check_move, parse_date, refuse
from symbionet.register.write import park_document
from symbionet.results import plain
from symbionet.units import convert

DATES = ("due", "proposed", "agreement_date", "start_date", "end_date")
"""Date columns of the pipeline table."""

LISTS = ("partners", "barriers", "documents")
"""Columns of the pipeline table that hold a list separated by ``;``."""

MOVED = {
    "id",
    "stage",
    "exchange",
    "proposed",
    "agreement_date",
    "start_date",
    "end_date",
    "rejected_reason",
}
"""Columns only a move sets (through its own arguments), never through ``fields``."""


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A park table as records of plain values (its id as a column)."""
    flat = frame.reset_index() if frame.index.name else frame
    return [{str(k): plain(v) for k, v in row.items()} for row in flat.to_dict("records")]


def _rebuilt(park: Park, changed: Mapping[str, list[dict[str, Any]]]) -> Park:
    """The park with some tables replaced, checked whole as a loaded park is."""
    inputs = park.inputs()
    for name, rows in changed.items():
        table = tables()[name]
        declared = [c.name for c in table.inputs if not c.is_pattern]
        given = {key for row in rows for key in row}
        extra = sorted(
            key
            for key in given - set(declared)
            if (column := table.column(key)) is not None and column.type != "derived"
        )
        frame = pd.DataFrame(rows, columns=[*declared, *extra])
        if rows:
            inputs[name] = frame.dropna(axis=1, how="all")
        else:
            inputs.pop(name, None)
    document = park_document(dict(park.meta), inputs, park.catalogue_extension)
    try:
        return replace(park_from_document(document), source=park.source)
    except SymbionetError as error:
        raise SymbionetError([_located(p, inputs) for p in error.problems]) from None


def _located(problem: Problem, inputs: Mapping[str, pd.DataFrame]) -> Problem:
    """A problem of the changed park located by the file and id of its row."""
    if problem.file not in inputs or problem.row is None:
        return replace(problem, document=False)
    frame = inputs[problem.file]
    key = tables()[problem.file].id_column
    where = f"{frame.iloc[problem.row][key]!r}: " if key and problem.row < len(frame) else ""
    return Problem(
        tables()[problem.file].file,
        None,
        problem.column,
        f"{where}{problem.message} (after this change)",
        problem.severity,
    )


def _today(on: dt.date | str | None) -> dt.date:
    return parse_date(on, "date") or dt.date.today()


def _cell(name: str, value: Any) -> Any:
    """A value given for a pipeline column as the cell holds it."""
    if name in DATES:
        day = parse_date(value, name)
        return None if day is None else day.isoformat()
    if name in LISTS and not isinstance(value, str) and isinstance(value, Iterable):
        return "; ".join(str(v) for v in value) or None
    return plain(value)


_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue"})


def _slug(title: str, taken: set[str]) -> str:
    """An id from a title: its words in lower case joined by ``-``, at most 48 characters
    (whole words), unique among ``taken``."""
    words = re.findall(r"[a-z0-9]+", title.lower().translate(_LETTERS))
    base = ""
    for word in words:
        if len(base) + len(word) + 1 > 48 and base:
            break
        base = f"{base}-{word}" if base else word[:48]
    base = base or "project"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def _check_fields(fields: Mapping[str, Any], reserved: set[str], what: str) -> None:
    """Refuse fields that are not columns of the pipeline table ``what`` may set."""
    declared = {c.name for c in tables()["pipeline"].inputs}
    wrong = sorted(set(fields) - (declared - reserved))
    if wrong:
        raise SymbionetError(
            [Problem("pipeline.csv", None, name, f"not a column {what} sets") for name in wrong]
        )


def _found(rows: list[dict[str, Any]], project: str) -> dict[str, Any]:
    """The row of ``project``, or the error naming the projects there are."""
    for row in rows:
        if row["id"] == project:
            return row
    known = ", ".join(sorted(r["id"] for r in rows)[:10]) or "none"
    raise SymbionetError(
        [Problem("pipeline.csv", None, "id", f"no project {project!r} (projects: {known})")]
    )


def _last_date(row: Mapping[str, Any], log: list[dict[str, Any]]) -> dt.date | None:
    """The latest of a project's proposal date and the dates of its log entries."""
    dates = [parse_date(r["date"], "date") for r in log if r["project"] == row["id"]]
    dates.append(parse_date(row.get("proposed"), "proposed"))
    return max((d for d in dates if d is not None), default=None)


def _log_id(project: str, log: list[dict[str, Any]]) -> str:
    taken = {row["id"] for row in log}
    n = sum(row["project"] == project for row in log) + 1
    while f"{project}-{n}" in taken:
        n += 1
    return f"{project}-{n}"


def propose(
    park: Park,
    title: str,
    *,
    id: str | None = None,
    stage: str = "idea",
    on: dt.date | str | None = None,
    author: str | None = None,
    decision: str | None = None,
    **fields: Any,
) -> Park:
    """The park with a new synergy project entering the pipeline at ``stage`` (idea,
    screening or feasibility) on ``on`` (default today), and its first log entry.

    ``fields`` are other columns of ``pipeline.csv`` (``owner``, ``partners`` as a list or
    ``a; b``, ``supply``, ``demand``, ``quantity``, ``unit``, ``co2e_t``, ``water_m3``,
    ``materials_t``, ``saving``, ``readiness``, ``barriers``, ``next_step``, ``due``...);
    dates as ``date`` or ``YYYY-MM-DD``. ``id`` defaults to one made from the title.
    """
    if not str(title).strip():
        raise SymbionetError([Problem("pipeline.csv", None, "title", "a project needs a title")])
    if stage not in ENTRY:
        raise SymbionetError(
            [
                Problem(
                    "pipeline.csv",
                    None,
                    "stage",
                    f"a project enters the pipeline at {', '.join(ENTRY)}, not {stage!r}: "
                    "propose it, then move it on",
                )
            ]
        )
    _check_fields(fields, {"id", "title", "stage", "proposed"}, "a proposal")
    day = _today(on)
    rows = _records(park.table("pipeline"))
    taken = {row["id"] for row in rows}
    if id is not None and id in taken:
        raise SymbionetError([Problem("pipeline.csv", None, "id", f"project {id!r} exists")])
    project = id if id is not None else _slug(title, taken)
    row: dict[str, Any] = {"id": project, "title": title, "stage": stage}
    row.update({name: _cell(name, value) for name, value in fields.items()})
    row["proposed"] = day.isoformat()
    log = _records(park.table("pipeline_log"))
    log.append(
        {
            "id": _log_id(project, log),
            "project": project,
            "date": day.isoformat(),
            "from_stage": None,
            "to_stage": stage,
            "decision": decision or "proposed",
            "author": author,
        }
    )
    return _rebuilt(park, {"pipeline": [*rows, row], "pipeline_log": log})


def _per_eur(park: Park) -> float:
    """Units of the park's currency per EUR (discovery values money in EUR)."""
    return 1.0 if park.currency == "EUR" else float(f"{convert(1.0, 'EUR', park.currency):.12g}")


def _name(park: Park, actor: str) -> str:
    names = park.actors["name"] if "name" in park.actors else pd.Series(dtype=str)
    return str(names.get(actor, actor))


def _given(value: Any) -> bool:
    return plain(value) is not None


def from_candidate(
    park: Park,
    candidate: Mapping[str, Any] | pd.Series,
    *,
    title: str | None = None,
    id: str | None = None,
    on: dt.date | str | None = None,
    author: str | None = None,
    **fields: Any,
) -> Park:
    """The park with a discovered candidate (a row of ``discover(park).candidates``) or a
    screening proposal (a row of ``screen(park)``) entering the pipeline, its figures
    carried over: ``co2e_t``, ``water_m3`` (freshwater), ``materials_t`` (virgin material)
    and ``saving`` (``value_eur`` in the park's currency); the supplier and receiver as
    partners, the receiver as owner. ``fields`` set or override other columns."""
    row = {str(k): v for k, v in dict(candidate).items()}
    if "supplier" not in row or "receiver" not in row:
        raise SymbionetError("a candidate is a row of discover(park).candidates or of screen(park)")
    supplier, receiver = str(row["supplier"]), str(row["receiver"])
    if bool(plain(row.get("existing"))):
        raise SymbionetError(
            [
                Problem(
                    "candidate",
                    None,
                    None,
                    f"{row.get('supply', supplier)} to {row.get('demand', receiver)} is "
                    "already exchanged in the park",
                )
            ]
        )
    carried: dict[str, Any] = {"owner": receiver, "partners": [supplier, receiver]}
    if "supply" in row:
        pipeline = park.table("pipeline")
        open_ = pipeline[~pipeline["stage"].isin(["ended", "rejected"])]
        same = open_[(open_["supply"] == row["supply"]) & (open_["demand"] == row["demand"])]
        if len(same):
            raise SymbionetError(
                [
                    Problem(
                        "candidate",
                        None,
                        None,
                        f"{row['supply']} to {row['demand']} is project {same.index[0]!r} "
                        "of the pipeline already",
                    )
                ]
            )
        per_eur = _per_eur(park)
        carried.update(
            origin="discovery",
            supply=row["supply"],
            demand=row["demand"],
            resource=row.get("resource"),
            quantity=row.get("quantity"),
            unit=row.get("unit"),
            co2e_t=row.get("co2e_t"),
            water_m3=row.get("freshwater_m3"),
            materials_t=row.get("virgin_t"),
            saving=float(row["value_eur"]) * per_eur if _given(row.get("value_eur")) else None,
            notes=row.get("explanation"),
        )
        name = title or f"{row.get('resource', 'resource')} from {_name(park, supplier)} to " + (
            _name(park, receiver)
        )
        id = (
            id if id is not None else _slug(f"{row['supply']} {row['demand']}", set(pipeline.index))
        )
    else:
        carried.update(origin="screening", notes=row.get("evidence"))
        given = row.get("resources")
        resources = [str(r) for r in given] if isinstance(given, list | tuple) else []
        if len(resources) == 1 and park.catalogue.resolve(resources[0]):
            carried["resource"] = resources[0]
        id = (
            id
            if id is not None
            else _slug(
                f"{row.get('what')} {supplier} {receiver}", set(park.table("pipeline").index)
            )
        )
        name = title or f"{row.get('what', 'synergy')}: {_name(park, supplier)} to " + (
            _name(park, receiver)
        )
    carried = {k: v for k, v in carried.items() if _given(v) or isinstance(v, list)}
    carried.update(fields)
    return propose(
        park,
        name,
        id=id,
        on=on,
        author=author,
        decision=f"proposed from the {carried['origin']} candidate",
        **carried,
    )


def _exchange_row(
    project: dict[str, Any], exchanges: list[dict[str, Any]], name: str | None, mode: str | None
) -> str:
    """Create or update the exchange an operating project is; return its id."""
    key = name or project.get("exchange")
    start = str(project["start_date"])[:4]
    for row in exchanges:
        if row["id"] == key:
            row.update(status="operating", start_year=int(start))
            return str(key)
    missing = [c for c in ("supply", "demand", "quantity", "unit") if project.get(c) is None]
    if missing:
        raise refuse(
            project["id"],
            "exchange when operating",
            (f"no exchange {key!r} in the register, and " if key else "no exchange named, and ")
            + f"no {', '.join(missing)} to make one",
            "exchange",
        )
    key = key or project["id"]
    if any(row["id"] == key for row in exchanges):
        raise refuse(
            project["id"], "exchange when operating", f"exchange {key!r} exists", "exchange"
        )
    reference = f"synergy project {project['id']}" + (
        f"; {project['reference']}" if project.get("reference") else ""
    )
    exchanges.append(
        {
            "id": key,
            "supply": project["supply"],
            "demand": project["demand"],
            "quantity": project["quantity"],
            "unit": project["unit"],
            "mode": mode,
            "status": "operating",
            "start_year": int(start),
            "reference": reference,
        }
    )
    return str(key)


def move(
    park: Park,
    project: str,
    stage: str,
    *,
    on: dt.date | str | None = None,
    author: str | None = None,
    reason: str | None = None,
    agreement_date: dt.date | str | None = None,
    start_date: dt.date | str | None = None,
    end_date: dt.date | str | None = None,
    exchange: str | None = None,
    mode: str | None = None,
    **fields: Any,
) -> Park:
    """The park with ``project`` moved to ``stage`` on ``on`` (default today), the move
    logged, or a ``SymbionetError`` naming the rule it breaks (see ``RULES``).

    Moving to agreement sets the agreement date to ``on`` unless one is given. Moving to
    operating needs an agreement and a start date, and creates (or updates) the exchange
    of the register that the project is: ``exchange`` names it (default the project's, else
    a new one with the project's id, supply, demand, quantity and unit, travelling by
    ``mode``), with status operating and the start date's year. While a project has an
    exchange, its status follows the stage. ``reason`` is logged as the decision; rejecting
    needs one and keeps it. ``fields`` update other columns (``next_step``, ``due``...).
    """
    rows = _records(park.table("pipeline"))
    row = _found(rows, project)
    if stage not in STAGES:
        raise SymbionetError(
            [Problem("stage", None, None, f"{stage!r} is not one of {', '.join(STAGES)}")]
        )
    _check_fields(fields, MOVED, "a move")
    before = dict(row)
    day = _today(on)
    log = _records(park.table("pipeline_log"))
    last = _last_date(row, log)
    given = {
        "agreement_date": parse_date(agreement_date, "agreement_date"),
        "start_date": parse_date(start_date, "start_date"),
        "end_date": parse_date(end_date, "end_date"),
    }
    current = {k: parse_date(row.get(k), k) for k in given}
    if stage == "agreement" and given["agreement_date"] is None:
        given["agreement_date"] = current["agreement_date"] or day
    merged = {k: given[k] or current[k] for k in given}
    if exchange is not None:
        row["exchange"] = exchange
    proposed = parse_date(row.get("proposed"), "proposed")
    check_move({**row, **merged, "proposed": proposed}, stage, day, reason, last)
    row.update({k: v.isoformat() for k, v in merged.items() if v is not None})
    row.update({name: _cell(name, value) for name, value in fields.items()})
    if STAGES.index(stage) < STAGES.index("agreement"):
        for name in ("agreement_date", "start_date"):  # an agreement that fell through
            row[name] = None
    if stage == "rejected":
        row["rejected_reason"] = reason
    row["stage"] = stage
    changed: dict[str, list[dict[str, Any]]] = {"pipeline": rows}
    exchanges = _records(park.table("exchanges"))
    if stage == "operating":
        row["exchange"] = _exchange_row(row, exchanges, exchange, mode)
        changed["exchanges"] = exchanges
    elif row.get("exchange") is not None:
        for other in exchanges:
            if other["id"] == row["exchange"]:
                other["status"] = stage
                if stage == "ended":
                    other["end_year"] = int(str(row["end_date"])[:4])
                changed["exchanges"] = exchanges
    log.append(
        {
            "id": _log_id(project, log),
            "project": project,
            "date": day.isoformat(),
            "from_stage": before["stage"],
            "to_stage": stage,
            "decision": reason or f"moved from {before['stage']} to {stage}",
            "author": author,
        }
    )
    changed["pipeline_log"] = log
    return _rebuilt(park, changed)


def decide(
    park: Park,
    project: str,
    decision: str,
    *,
    on: dt.date | str | None = None,
    author: str | None = None,
    **fields: Any,
) -> Park:
    """The park with a decision about ``project`` logged on ``on`` (default today) without
    moving it: its stage stays, and ``fields`` update other columns (``next_step``,
    ``due``, ``readiness``, ``barriers``, ``saving``...)."""
    if not str(decision).strip():
        raise SymbionetError([Problem("pipeline_log.csv", None, "decision", "no decision given")])
    rows = _records(park.table("pipeline"))
    row = _found(rows, project)
    _check_fields(fields, MOVED | {"title"}, "a decision")
    day = _today(on)
    log = _records(park.table("pipeline_log"))
    last = _last_date(row, log)
    if last is not None and day < last:
        raise refuse(
            project,
            "dates in order",
            f"a decision on {day} is before its proposal or last log entry ({last})",
            "date",
        )
    row.update({name: _cell(name, value) for name, value in fields.items()})
    log.append(
        {
            "id": _log_id(project, log),
            "project": project,
            "date": day.isoformat(),
            "from_stage": None,
            "to_stage": row["stage"],
            "decision": decision,
            "author": author,
        }
    )
    return _rebuilt(park, {"pipeline": rows, "pipeline_log": log})


def add_risk(
    park: Park,
    project: str,
    risk: str,
    likelihood: int,
    impact: int,
    *,
    category: str = "other",
    mitigation: str | None = None,
    owner: str | None = None,
    id: str | None = None,
) -> Park:
    """The park with a risk of ``project``: likelihood and impact from 1 to 5."""
    _found(_records(park.table("pipeline")), project)
    risks = _records(park.table("risks"))
    taken = {r["id"] for r in risks}
    if id is not None and id in taken:
        raise SymbionetError([Problem("risks.csv", None, "id", f"risk {id!r} exists")])
    key = id if id is not None else _slug(f"{project} {risk}", taken)
    risks.append(
        {
            "id": key,
            "project": project,
            "risk": risk,
            "category": category,
            "likelihood": likelihood,
            "impact": impact,
            "mitigation": mitigation,
            "owner": owner,
        }
    )
    return _rebuilt(park, {"risks": risks})


__all__ = ["add_risk", "decide", "from_candidate", "move", "propose"]
