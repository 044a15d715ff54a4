"""What the platform's pages and API both do, as plain functions over a park as stored
and the role asking: each calls the library and gives plain data or tables, filtered to
what the role may see."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import HTTPException

from symbionet.access.views import candidates_for, public_view
from symbionet.assessment.accounting import ImpactResult, impact
from symbionet.discovery.engine import DiscoveryResult
from symbionet.errors import Problem, SymbionetError
from symbionet.register import transfer
from symbionet.register.park import Park
from symbionet.register.write import csv_text
from symbionet.results import plain, records
from symbionet.store import accounts, consents, jobs, repository
from symbionet.store.accounts import PARTNER_TABLES, Access
from symbionet.store.model import ROW_TABLES, key_column
from symbionet.store.repository import StoredPark
from symbionet.web.context import Platform, storable_id, visible_park

#: analyses whose result holds discovery's candidates, and where
DISCOVERIES = {"discover": (), "assess": ("discovery",)}


def check_table(table: str) -> None:
    if table not in ROW_TABLES:
        raise HTTPException(404, f"no table {table!r}: one of {', '.join(ROW_TABLES)}")


def park_impact(platform: Platform, stored: StoredPark, access: Access | None) -> ImpactResult:
    """The impact of the operating exchanges the role may see (the public: all of them,
    to be published only through :func:`public_view`)."""
    park = stored.park if access is None else visible_park(stored, access, platform)
    actor = None if access is None else access.actor
    return platform.computed(stored, ("impact", actor), lambda: impact(park))


def key_figures(platform: Platform, stored: StoredPark, access: Access | None) -> dict[str, Any]:
    """The park's key figures (central, low, high) as the role may see them: whole for
    the secretariat; as published for the public and for partners, who also get their
    own figures."""
    whole = park_impact(platform, stored, None)
    if access is not None and access.role == "secretariat":
        figures = whole.park
    else:
        figures = platform.computed(
            stored, ("public",), lambda: public_view(stored.park, whole)
        ).figures
    partner = None
    if access is not None and access.actor is not None:
        own = park_impact(platform, stored, access).partners
        if access.actor in own.index:
            partner = plain(own.loc[access.actor].to_dict())
    return {"park": plain(figures.to_dict(orient="index")), "partner": partner}


def public_figures(platform: Platform, stored: StoredPark) -> dict[str, Any]:
    """What the public may see: the published totals and exchanges by resource."""
    whole = park_impact(platform, stored, None)
    view = platform.computed(stored, ("public",), lambda: public_view(stored.park, whole))
    return {"name": stored.park.name, **view.to_dict()}


#: the hub's tables whose rows belong to one organisation, and the column naming it
ORGANISATION_COLUMNS = {
    "contacts": "organisation",
    "bookings": "organisation",
    "solutions": "organisation",
    "project_partners": "organisation",
    "facilities": "owner",
}


def owner(park: Park, table: str, record: Mapping[str, Any]) -> str | None:
    """The partner a row belongs to: an actor (an organisation) itself, a site's actor, a
    stream's or a technology's site's actor, the organisation of a contact, a booking, a
    solution or a project partnership, a facility's owner; ``None`` for rows of no one
    partner."""
    if table == "actors":
        return str(record.get("id"))
    if table == "sites" or table in ORGANISATION_COLUMNS:
        value = record.get(ORGANISATION_COLUMNS.get(table, "actor"))
        return None if value is None else str(value)
    if table in ("streams", "technologies"):
        site = record.get("site")
        if site is None or site not in park.sites.index:
            return None
        return str(park.sites.at[site, "actor"])
    return None


def table_rows(
    platform: Platform, stored: StoredPark, access: Access, table: str
) -> list[dict[str, Any]]:
    """The rows of a table the role may see, as written in files, each with its
    ``_version`` and whether the role ``_may_edit`` it; made once per version of the park
    and role, and shared: not to be changed."""
    check_table(table)
    return platform.computed(
        stored,
        ("rows", table, access.role, access.actor),
        lambda: _table_rows(platform, stored, access, table),
    )


def _table_rows(
    platform: Platform, stored: StoredPark, access: Access, table: str
) -> list[dict[str, Any]]:
    park = visible_park(stored, access, platform)
    if table not in park.frames:
        return []
    frame = park.inputs()[table]
    key = key_column(table)
    versions = stored.rows.get(table, {})
    rows = []
    for record in records(frame):
        row_id = str(record.get(key))
        rows.append(
            {
                **record,
                "_version": versions.get(row_id),
                "_may_edit": access.may_edit(table, owner(stored.park, table, record)),
            }
        )
    return rows


def _hidden_words(platform: Platform, stored: StoredPark, access: Access) -> set[str]:
    """Ids and names of the streams the role may not see, and the ids of the exchanges
    and the names of the time profiles hidden with them."""
    if access.actor is None:
        return set()
    park = stored.park
    seen = visible_park(stored, access, platform)
    hidden = park.streams.drop(seen.streams.index)
    words = {str(i) for i in hidden.index}
    words |= {str(i) for i in park.exchanges.index.difference(seen.exchanges.index)}
    words |= hidden_profiles(platform, stored, access)
    if "name" in hidden:
        words |= {str(n) for n in hidden["name"].dropna() if str(n).strip()}
    return words


def hidden_profiles(platform: Platform, stored: StoredPark, access: Access) -> set[str]:
    """The time profiles the role may not see (those only hidden streams use)."""
    park = stored.park
    if access.actor is None or "profiles" not in park.frames:
        return set()
    seen = visible_park(stored, access, platform)
    kept = seen.frames["profiles"].columns if "profiles" in seen.frames else []
    return {str(c) for c in park.frames["profiles"].columns if c not in kept}


def refuse_hidden_profiles(
    platform: Platform,
    stored: StoredPark,
    access: Access,
    streams: list[tuple[Problem, Mapping[str, Any]]],
) -> None:
    """Refuse streams of a partner (each with where it is) that name a time profile hidden
    from it, as if there were no such profile: else it would learn that one exists, and see
    its figures once a stream of its own used it."""
    hidden = hidden_profiles(platform, stored, access)
    problems = [
        replace(where, column="profile", message=f"no profile {name!r} in profiles.csv")
        for where, record in streams
        if (name := str(record.get("profile") or "").strip()) in hidden
    ]
    if problems:
        raise SymbionetError(problems)


def _new_stream(table: str, row_id: Any, record: Mapping[str, Any]) -> list[tuple[Problem, Any]]:
    """A row of a table as a stream to check with :func:`refuse_hidden_profiles`."""
    if table != "streams":
        return []
    return [(Problem(f"streams[{row_id}]", None, None, "", document=True), record)]


def uploaded(data: bytes, filename: str) -> list[tuple[Problem, Any]]:
    """The rows of an uploaded ``streams.csv``, each with its line, to check with
    :func:`refuse_hidden_profiles` (none when it cannot be read: its import says why)."""
    label = re.split(r"[\\/]", filename.strip())[-1]
    try:
        return uploaded_rows(data.decode("utf-8-sig"), label.lower().removesuffix(".csv"), label)
    except UnicodeDecodeError:
        return []


def uploaded_rows(text: str, table: str, label: str = "streams.csv") -> list[tuple[Problem, Any]]:
    """The rows of a CSV of ``table`` (none unless streams), as :func:`uploaded` gives them."""
    if table != "streams":
        return []
    try:
        rows = list(csv.DictReader(io.StringIO(text)))
    except csv.Error:
        return []
    return [(Problem(label, line, None, ""), row) for line, row in enumerate(rows, start=2)]


def partner_park_upload(
    platform: Platform, stored: StoredPark, access: Access, data: bytes, filename: str
) -> Park:
    """The park with a partner's own rows from an uploaded whole park (the workbook it
    downloaded, say): read and checked whole first, every problem listed; then its rows of
    actors, sites, streams and technologies that differ from the park's are merged as a
    CSV of each table would be. Any other row must be as the partner sees it."""
    actor = str(access.actor)
    uploaded = transfer.read_upload(data, filename)
    seen = visible_park(stored, access, platform).inputs()
    given = uploaded.inputs()
    park, problems = stored.park, []
    for table in transfer.OWNED:
        if table not in given:
            continue
        key = key_column(table)
        before = {str(r[key]): _filled(r) for r in records(seen.get(table, pd.DataFrame()))}
        changed = []
        for position, record in enumerate(records(given[table])):
            row_id = str(record[key])
            if before.get(row_id) == _filled(record):
                continue
            if owner(uploaded, table, record) != actor:
                message = f"{row_id!r} is not one of {actor}'s rows: leave the others as they are"
                problems.append(Problem(f"{filename}[{table}]", position + 2, key, message))
            changed.append(position)
        if changed and not problems:
            rows = csv_text(given[table].iloc[changed])
            refuse_hidden_profiles(platform, stored, access, uploaded_rows(rows, table))
            park = transfer.merge_table_upload(park, rows.encode(), f"{table}.csv", actor)
    if problems:
        raise SymbionetError(problems)
    return park


def _filled(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None}


def scrubbed(
    error: SymbionetError, platform: Platform, stored: StoredPark, access: Access
) -> SymbionetError:
    """The error with each problem that mentions a stream hidden from the role replaced
    by one that says only that the change conflicts with data the role cannot see."""
    words = _hidden_words(platform, stored, access)
    if not words:
        return error
    problems = []
    for problem in error.problems:
        text = f"{problem.location} {problem.message}"
        if any(word in text for word in words):
            problem = Problem("", None, None, "the change conflicts with data of another partner")
        problems.append(problem)
    return SymbionetError(list(dict.fromkeys(problems)))


def _editable(
    platform: Platform,
    stored: StoredPark,
    access: Access,
    table: str,
    row_id: str,
) -> dict[str, Any]:
    """The row as the role sees it, or 404 when it has no such row (hidden rows alike);
    403 when it may not change it."""
    check_table(table)
    park = visible_park(stored, access, platform)
    key = key_column(table)
    found = [
        r for r in records(park.inputs().get(table, pd.DataFrame())) if str(r.get(key)) == row_id
    ]
    if not found:
        raise HTTPException(404, f"{table}: no such row")
    if not access.may_edit(table, owner(stored.park, table, found[0])):
        raise HTTPException(403, f"{table}[{row_id}]: your role may not change this row")
    return found[0]


def change_row(
    platform: Platform,
    stored: StoredPark,
    access: Access,
    author: str,
    table: str,
    row_id: str,
    values: Mapping[str, Any],
    version: int,
) -> int:
    """Change fields of a row; its new version."""
    record = _editable(platform, stored, access, table, row_id)
    after = {**record, **values}
    if access.role != "secretariat" and not access.may_edit(
        table, owner(stored.park, table, after)
    ):
        raise HTTPException(403, f"{table}[{row_id}]: the row would belong to another partner")
    refuse_hidden_profiles(platform, stored, access, _new_stream(table, row_id, values))
    try:
        return repository.update_row(
            platform.engine, stored.id, table, row_id, values, version, author
        )
    except repository.ConflictError:
        raise
    except SymbionetError as error:
        raise scrubbed(error, platform, stored, access) from None


def add_row(
    platform: Platform,
    stored: StoredPark,
    access: Access,
    author: str,
    table: str,
    record: Mapping[str, Any],
) -> int:
    """Add a row the role may own; the park's new version."""
    check_table(table)
    if access.role != "secretariat" and (
        table not in PARTNER_TABLES
        or table == "actors"
        or not access.may_edit(table, owner(stored.park, table, record))
    ):
        raise HTTPException(403, f"your role may not add this row to {table}")
    refuse_hidden_profiles(platform, stored, access, _new_stream(table, record.get("id"), record))
    try:
        return repository.add_row(platform.engine, stored.id, table, record, author)
    except SymbionetError as error:
        raise scrubbed(error, platform, stored, access) from None


def remove_row(
    platform: Platform,
    stored: StoredPark,
    access: Access,
    author: str,
    table: str,
    row_id: str,
    version: int,
) -> int:
    """Remove a row; the park's new version."""
    _editable(platform, stored, access, table, row_id)
    if access.role != "secretariat" and table == "actors":
        raise HTTPException(403, "only the secretariat removes a partner")
    try:
        return repository.delete_row(platform.engine, stored.id, table, row_id, version, author)
    except repository.ConflictError:
        raise
    except SymbionetError as error:
        raise scrubbed(error, platform, stored, access) from None


def find_job(platform: Platform, job_id: int, park_id: int | None = None) -> jobs.Job:
    """Job ``job_id`` (of park ``park_id``, when given), or 404."""
    try:
        if not storable_id(job_id):
            raise SymbionetError(f"no job {job_id}")
        job = jobs.get_job(platform.engine, job_id)
    except SymbionetError:
        raise HTTPException(404, f"no job {job_id}") from None
    if park_id is not None and job.park_id != park_id:
        raise HTTPException(404, f"no job {job_id}")
    return job


def artifact(platform: Platform, job: jobs.Job) -> Any:
    """The result object a finished job stored, read once per process."""
    return platform.cache.get(
        ("artifact", job.id), lambda: jobs.job_artifact(platform.engine, job.id)
    )


def latest_discovery(platform: Platform, park_id: int) -> tuple[jobs.Job, DiscoveryResult] | None:
    """The newest discovery run on the park (alone or in an assessment), as a result."""
    found = [
        job
        for kind in DISCOVERIES
        if (job := jobs.latest_result(platform.engine, park_id, kind)) is not None
    ]
    if not found:
        return None
    job = max(found, key=lambda j: j.id)
    result = artifact(platform, job)
    for part in DISCOVERIES[job.kind]:
        result = getattr(result, part)
    return job, result


def candidates(platform: Platform, stored: StoredPark, access: Access) -> dict[str, Any]:
    """The candidates of the newest discovery as the role may see them: all of them with
    each side's consent for the secretariat; those involving its partner, anonymised until
    both sides agree, for a partner."""
    latest = latest_discovery(platform, stored.id)
    if latest is None:
        return {"job": None, "candidates": []}
    job, result = latest
    agreed = consents.opted_in(platform.engine, stored.id)
    if access.actor is None:
        table = result.candidates.copy()
        pairs = list(zip(table["supply"], table["demand"], strict=True))
        for side in ("supplier", "receiver"):
            table[f"{side}_agrees"] = [
                (s, d) in agreed.get(str(actor), set())
                for (s, d), actor in zip(pairs, table[side], strict=True)
            ]
        shown = table
    else:
        shown = candidates_for(result, stored.park, access.actor, agreed)
        mine = agreed.get(access.actor, set())
        shown = shown.assign(agreed=[pair in mine for pair in _pairs(result, access.actor)])
    return {
        "job": {"id": job.id, "finished": plain(job.finished), "park_version": job.park_version},
        "candidates": records(shown),
    }


def _pairs(result: DiscoveryResult, actor: str) -> list[tuple[str, str]]:
    """The (supply, demand) of each candidate involving ``actor``, in the order
    :func:`candidates_for` lists them."""
    table = result.candidates
    mine = table[(table["supplier"] == actor) | (table["receiver"] == actor)]
    return [(str(s), str(d)) for s, d in zip(mine["supply"], mine["demand"], strict=True)]


def consent(
    platform: Platform, stored: StoredPark, access: Access, author: str, number: int, agree: bool
) -> dict[str, Any]:
    """A partner's editor agrees (or no longer agrees) for it to be revealed on its
    candidate ``number`` (as numbered in its list); a viewer changes nothing."""
    if access.actor is None:
        raise HTTPException(403, "only a partner agrees to be revealed on its candidates")
    if access.role != "editor":
        raise HTTPException(403, "a viewer may not agree for its partner: ask its editor")
    latest = latest_discovery(platform, stored.id)
    pairs = [] if latest is None else _pairs(latest[1], access.actor)
    if not 1 <= number <= len(pairs):
        raise HTTPException(404, f"no candidate {number} of yours")
    pair = pairs[number - 1]
    if agree:
        consents.opt_in(platform.engine, stored.id, access.actor, pair, author)
    else:
        consents.opt_out(platform.engine, stored.id, access.actor, pair)
    return {"number": number, "agreed": agree}


def invite(
    platform: Platform, park_id: int, email: str, name: str, role: str, actor: str | None
) -> tuple[int, str | None]:
    """Give a role in the park to the user with ``email``, made with a new password when
    there is none: the user's id and that password (``None`` for a user known already)."""
    engine = platform.engine
    password = None
    user = accounts.user_by_email(engine, email)
    if user is None:
        password = accounts.new_password()
        user = accounts.create_user(engine, email, name, password)
    accounts.grant(engine, user, park_id, role, actor)
    return user, password


REPORT_MEDIA = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def latest_assessment(platform: Platform, park_id: int) -> tuple[jobs.Job, Any] | None:
    """The newest finished assessment of the park and its result object."""
    job = jobs.latest_result(platform.engine, park_id, "assess")
    if job is None:
        return None
    found = artifact(platform, job)
    return None if found is None else (job, found)


def report_file(
    platform: Platform,
    stored: StoredPark,
    access: Access,
    partner: str | None,
    language: str,
    format: str,
) -> tuple[bytes, str, str]:
    """A report of the newest assessment as a file (content, name, media type): the
    park's, for the secretariat; a partner's, for the secretariat or that partner."""
    from symbionet.present.partner_report import write_park_report, write_partner_report

    if partner is None:
        if access.role != "secretariat":
            raise HTTPException(403, "the park report is the secretariat's; ask for your own")
    elif access.actor not in (None, partner):
        raise HTTPException(403, "a partner gets its own report only")
    if format not in REPORT_MEDIA:
        raise HTTPException(422, f"format: one of {', '.join(REPORT_MEDIA)}")
    latest = latest_assessment(platform, stored.id)
    if latest is None:
        raise HTTPException(404, "no assessment has run yet: the secretariat runs one first")
    _, assessment = latest
    park = stored.park
    with tempfile.TemporaryDirectory(prefix="symbionet-report-") as folder:
        if partner is None:
            written = write_park_report(park, assessment, Path(folder), [format], language=language)
        else:
            agreed = consents.opted_in(platform.engine, stored.id)
            written = write_partner_report(
                park, partner, assessment, Path(folder), [format],
                opted_in=agreed, language=language,
            )  # fmt: skip
        target = next(path for path in written if path.suffix == f".{format}")
        return target.read_bytes(), target.name, REPORT_MEDIA[format]


def history(platform: Platform, park_id: int) -> list[dict[str, Any]]:
    """Every change to the park, newest first."""
    return [plain(change) for change in reversed(repository.park_history(platform.engine, park_id))]


def figures_at(platform: Platform, park_id: int, when: datetime) -> dict[str, Any]:
    """The park's key figures recomputed as it was at ``when``."""
    park = repository.park_at(platform.engine, park_id, when)
    return {"at": when.isoformat(), "park": plain(impact(park).park.to_dict(orient="index"))}


__all__ = [
    "add_row",
    "candidates",
    "change_row",
    "consent",
    "figures_at",
    "find_job",
    "history",
    "invite",
    "key_figures",
    "latest_assessment",
    "latest_discovery",
    "owner",
    "park_impact",
    "public_figures",
    "remove_row",
    "report_file",
    "table_rows",
]
