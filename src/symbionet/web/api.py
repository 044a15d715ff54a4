"""The platform's JSON API under ``/api``: the same calls as its pages, for scripts (with
``Authorization: Bearer <token>``) and for the pages' own scripts. Roles are checked here,
on the server, for every endpoint."""

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field, create_model

from symbionet.analyses import analysis
from symbionet.errors import SymbionetError
from symbionet.register import transfer
from symbionet.store import accounts, jobs, repository
from symbionet.store.accounts import Access
from symbionet.store.model import ROW_TABLES
from symbionet.web import metered, service, synergies
from symbionet.web.context import (
    SESSION_COOKIE,
    User,
    platform,
    role_in,
    secretariat,
    signed_in,
    visible_park,
)
from symbionet.web.models import (
    Consent,
    Invitation,
    JobRequest,
    Login,
    Move,
    Proposal,
    row_model,
)

router = APIRouter(prefix="/api")

SignedIn = Annotated[User, Depends(signed_in)]


def _access(request: Request, park_id: int, user: User) -> Access:
    return role_in(request, user, park_id)


@router.post("/session", tags=["accounts"], summary="Sign in (a browser session)")
def sign_in(login: Login, request: Request, response: Response) -> dict[str, Any]:
    engine = platform(request).engine
    user = accounts.authenticate(engine, login.email, login.password)
    if user is None:
        raise HTTPException(401, "wrong email or password")
    token, session = accounts.open_session(engine, user)
    set_session_cookie(response, token, platform(request).secure_cookies)
    return {"user": user, "csrf_token": session.csrf}


def set_session_cookie(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=accounts.SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


@router.delete("/session", tags=["accounts"], summary="Sign out")
def sign_out(request: Request, response: Response) -> dict[str, Any]:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        accounts.close_session(platform(request).engine, cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"signed_out": True}


@router.get("/me", tags=["accounts"], summary="The signed-in user and their roles")
def me(user: SignedIn, request: Request) -> dict[str, Any]:
    roles = accounts.memberships_of(platform(request).engine, user.id)
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "roles": [{"park": a.park, "role": a.role, "actor": a.actor} for a in roles],
        "csrf_token": user.session.csrf if user.session else None,
    }


@router.post("/tokens", tags=["accounts"], summary="A new API token for scripts")
def new_token(user: SignedIn, request: Request) -> dict[str, str]:
    return {"token": accounts.create_token(platform(request).engine, user.id)}


@router.get("/parks", tags=["parks"], summary="The parks you have a role in")
def parks(user: SignedIn, request: Request) -> list[dict[str, Any]]:
    engine = platform(request).engine
    mine = accounts.memberships_of(engine, user.id)
    ids = {a.park for a in mine}
    return [
        {
            **park,
            "roles": [{"role": a.role, "actor": a.actor} for a in mine if a.park == park["id"]],
        }
        for park in repository.list_parks(engine)
        if park["id"] in ids
    ]


@router.get("/parks/{park_id}", tags=["parks"], summary="A park's key figures and counts")
def park_summary(park_id: int, user: SignedIn, request: Request) -> dict[str, Any]:
    access = _access(request, park_id, user)
    state = platform(request)
    stored = state.stored(park_id)
    park = visible_park(stored, access, state)
    return {
        "id": park_id,
        "name": park.name,
        "version": stored.version,
        "currency": park.currency,
        "role": access.role,
        "actor": access.actor,
        "counts": {name: len(frame) for name, frame in park.frames.items()},
        "figures": service.key_figures(state, stored, access),
    }


def _table_routes(table: str) -> None:
    """The endpoints of one park table, typed by its declared columns."""
    new = row_model(table, True)
    change = create_model(
        f"{table.title()}Edit",
        version=(int, Field(description="the row's version when read (_version)")),
        values=(row_model(table, False), ...),
    )
    tags: list[str | Enum] = [f"table {table}"]

    @router.get(f"/parks/{{park_id}}/{table}", tags=tags, summary=f"Rows of {table} you may see")
    def rows(
        park_id: int,
        user: SignedIn,
        request: Request,
        response: Response,
        offset: Annotated[int, Query(ge=0, description="rows to skip")] = 0,
        limit: Annotated[int | None, Query(ge=1, description="rows at most (all)")] = None,
    ) -> list[dict[str, Any]]:
        """The rows you may see, from ``offset``, ``limit`` at most; their number in all
        in the ``X-Total-Count`` header."""
        access = _access(request, park_id, user)
        state = platform(request)
        found = service.table_rows(state, state.stored(park_id), access, table)
        response.headers["X-Total-Count"] = str(len(found))
        return found[offset : None if limit is None else offset + limit]

    @router.post(f"/parks/{{park_id}}/{table}", tags=tags, summary=f"Add a row to {table}")
    def add(park_id: int, row: new, user: SignedIn, request: Request) -> dict[str, Any]:  # type: ignore[valid-type]
        access = _access(request, park_id, user)
        state = platform(request)
        record = row.model_dump(exclude_none=True)  # type: ignore[attr-defined]
        version = service.add_row(state, state.stored(park_id), access, user.email, table, record)
        return {"version": version}

    @router.patch(
        f"/parks/{{park_id}}/{table}/{{row_id}}", tags=tags, summary=f"Change a row of {table}"
    )
    def edit(
        park_id: int,
        row_id: str,
        body: change,  # type: ignore[valid-type]
        user: SignedIn,
        request: Request,
    ) -> dict[str, Any]:
        access = _access(request, park_id, user)
        state = platform(request)
        edited: Any = body
        values = edited.values.model_dump(exclude_unset=True)
        version = service.change_row(
            state, state.stored(park_id), access, user.email, table, row_id, values, edited.version
        )
        return {"version": version}

    @router.delete(
        f"/parks/{{park_id}}/{table}/{{row_id}}", tags=tags, summary=f"Remove a row of {table}"
    )
    def remove(
        park_id: int, row_id: str, version: int, user: SignedIn, request: Request
    ) -> dict[str, Any]:
        access = _access(request, park_id, user)
        state = platform(request)
        new_version = service.remove_row(
            state, state.stored(park_id), access, user.email, table, row_id, version
        )
        return {"version": new_version}


for _name in ROW_TABLES:
    _table_routes(_name)


@router.post("/parks/{park_id}/upload", tags=["parks"], summary="Upload a park or a table")
async def upload(
    park_id: int, user: SignedIn, request: Request, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """A whole park (``.zip`` folder, ``.xlsx``, ``.json``, ``.yaml``) replaces the park
    for the secretariat; for a partner's editor, its own rows in it that changed replace
    or add to the park's (any other row must be as it sees it). One table as
    ``TABLE.csv`` adds or replaces its rows (a partner's rows only, for a partner's
    editor). Nothing changes when any row is invalid; every problem is listed."""
    data = await file.read()
    return upload_file(request, park_id, user, data, file.filename or "")


def upload_file(
    request: Request, park_id: int, user: User, data: bytes, filename: str
) -> dict[str, Any]:
    """Check and import an uploaded file (see :func:`upload`); the park's new version."""
    access = _access(request, park_id, user)
    state = platform(request)
    stored = state.stored(park_id)
    whole = not filename.lower().endswith(".csv")
    if access.role == "viewer":
        raise HTTPException(403, "a viewer may not change the park")
    if not whole:
        service.refuse_hidden_profiles(state, stored, access, service.uploaded(data, filename))
    try:
        if whole and access.actor is not None:
            park = service.partner_park_upload(state, stored, access, data, filename)
        elif whole:
            park = transfer.read_upload(data, filename)
            if park.name != stored.park.name:
                raise SymbionetError(
                    f"{filename}: holds park {park.name!r}, not {stored.park.name!r}; "
                    "rename it in park.yaml to replace this park"
                )
        else:
            park = transfer.merge_table_upload(stored.park, data, filename, access.actor)
        if park is not stored.park:  # a partner's workbook may change nothing
            repository.save_park(state.engine, park, user.email, replace=True)
    except SymbionetError as error:
        raise service.scrubbed(error, state, stored, access) from None
    return {"version": repository.park_version(state.engine, park_id)}


@router.get("/parks/{park_id}/download", tags=["parks"], summary="Download the park")
def download(
    park_id: int,
    user: SignedIn,
    request: Request,
    format: Annotated[str, Query(description="zip, xlsx, json or yaml")] = "xlsx",
    at: Annotated[
        datetime | None, Query(description="the park as it was then (the secretariat's)")
    ] = None,
) -> Response:
    """The park as the role sees it, or (for the secretariat) as it was at a past time."""
    access = _access(request, park_id, user)
    state = platform(request)
    if at is None:
        park = visible_park(state.stored(park_id), access, state)
    else:
        secretariat(access)
        park = repository.park_at(state.engine, park_id, _moment(at))
    content, name, media = transfer.park_download(park, format)
    return _file(content, name, media)


def _moment(at: datetime) -> datetime:
    """A time given with its zone, that exists in UTC; else 422."""
    if at.tzinfo is None:
        raise HTTPException(422, "give the time with its time zone (2026-05-01T12:00:00Z)")
    try:
        at.astimezone(UTC)
    except OverflowError:
        raise HTTPException(
            422, "the time in UTC is out of the calendar (years 1 to 9999)"
        ) from None
    return at


def _file(content: bytes, name: str, media: str) -> Response:
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/parks/{park_id}/template", tags=["parks"], summary="An Excel template to fill")
def template(park_id: int, user: SignedIn, request: Request) -> Response:
    access = _access(request, park_id, user)
    state = platform(request)
    park = visible_park(state.stored(park_id), access, state)
    return _file(
        transfer.excel_template(park),
        "template.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@router.get("/parks/{park_id}/history", tags=["parks"], summary="Every change, newest first")
def park_history(park_id: int, user: SignedIn, request: Request) -> list[dict[str, Any]]:
    secretariat(_access(request, park_id, user))
    return service.history(platform(request), park_id)


@router.get("/parks/{park_id}/figures", tags=["parks"], summary="Key figures at a past time")
def figures_at(park_id: int, at: datetime, user: SignedIn, request: Request) -> dict[str, Any]:
    secretariat(_access(request, park_id, user))
    return service.figures_at(platform(request), park_id, _moment(at))


@router.get("/parks/{park_id}/candidates", tags=["analyses"], summary="Candidate exchanges")
def candidates(park_id: int, user: SignedIn, request: Request) -> dict[str, Any]:
    access = _access(request, park_id, user)
    state = platform(request)
    return service.candidates(state, state.stored(park_id), access)


@router.put(
    "/parks/{park_id}/candidates/{number}/consent",
    tags=["analyses"],
    summary="Agree to be revealed on a candidate",
)
def consent(
    park_id: int, number: int, body: Consent, user: SignedIn, request: Request
) -> dict[str, Any]:
    access = _access(request, park_id, user)
    state = platform(request)
    return service.consent(state, state.stored(park_id), access, user.email, number, body.agree)


@router.post(
    "/parks/{park_id}/candidates/{number}/synergy",
    tags=["pipeline"],
    summary="Carry a candidate into the pipeline",
)
def carry_over(park_id: int, number: int, user: SignedIn, request: Request) -> dict[str, Any]:
    """Candidate ``number`` (1 first, as the secretariat's list shows them) enters the
    pipeline at the idea stage with its figures: quantity, CO2e, water, materials, value."""
    access = _access(request, park_id, user)
    state = platform(request)
    return {
        "version": synergies.carry_over(state, state.stored(park_id), access, user.email, number)
    }


@router.get("/parks/{park_id}/synergies", tags=["pipeline"], summary="The synergy pipeline")
def pipeline(
    park_id: int,
    user: SignedIn,
    request: Request,
    stage: Annotated[str | None, Query(description="projects of this stage")] = None,
    partner: Annotated[str | None, Query(description="projects of this actor")] = None,
) -> dict[str, Any]:
    """The projects you may see (a partner: those it takes part in), the board by stage,
    the funnel (projects and expected savings per stage), the days from idea to operation
    with their median, and the projects that stall."""
    access = _access(request, park_id, user)
    state = platform(request)
    return synergies.pipeline_view(state, state.stored(park_id), access, stage, partner)


@router.post("/parks/{park_id}/synergies", tags=["pipeline"], summary="Propose a synergy")
def propose(park_id: int, body: Proposal, user: SignedIn, request: Request) -> dict[str, Any]:
    """A new synergy at the idea stage: the secretariat's for anyone, a partner editor's
    for its own partner."""
    access = _access(request, park_id, user)
    state = platform(request)
    given: Any = body
    fields = given.model_dump(exclude_none=True)
    title = fields.pop("title")
    version = synergies.propose(state, state.stored(park_id), access, user.email, title, fields)
    return {"version": version}


@router.post(
    "/parks/{park_id}/synergies/{project}/move", tags=["pipeline"], summary="Move a synergy"
)
def move(
    park_id: int, project: str, body: Move, user: SignedIn, request: Request
) -> dict[str, Any]:
    """Move a project to another stage by the pipeline's rules (the secretariat's): a move
    that breaks one is refused with the rule."""
    access = _access(request, park_id, user)
    state = platform(request)
    details = body.model_dump(exclude_none=True)
    stage = details.pop("stage")
    version = synergies.move(
        state, state.stored(park_id), access, user.email, project, stage, details
    )
    return {"version": version}


@router.post("/parks/{park_id}/jobs", tags=["analyses"], summary="Start an analysis as a job")
def start_job(park_id: int, body: JobRequest, user: SignedIn, request: Request) -> dict[str, Any]:
    access = _access(request, park_id, user)
    if not access.may_run_jobs():
        raise HTTPException(403, "only the park's secretariat runs analyses")
    kind = analysis(body.kind)
    from symbionet.analyses import options_of

    options_of(kind.options_class(), {k: v for k, v in body.options.items() if k not in kind.extra})
    return jobs.submit_job(
        platform(request).engine, park_id, body.kind, body.options, user.email
    ).summary()


@router.get("/parks/{park_id}/jobs", tags=["analyses"], summary="The park's latest jobs")
def park_jobs(park_id: int, user: SignedIn, request: Request) -> list[dict[str, Any]]:
    secretariat(_access(request, park_id, user))
    return [job.summary() for job in jobs.park_jobs(platform(request).engine, park_id)]


def _job(request: Request, job_id: int, user: User) -> jobs.Job:
    """The job, for the secretariat of its park; 404 for anyone else."""
    job = service.find_job(platform(request), job_id)
    try:
        secretariat(_access(request, job.park_id, user))
    except HTTPException:
        raise HTTPException(404, f"no job {job_id}") from None
    return job


@router.get("/jobs/{job_id}", tags=["analyses"], summary="A job: progress, then its result")
def job(job_id: int, user: SignedIn, request: Request) -> dict[str, Any]:
    found = _job(request, job_id, user)
    return {**found.summary(), "result": found.result}


@router.post("/jobs/{job_id}/cancel", tags=["analyses"], summary="Cancel a job")
def cancel(job_id: int, user: SignedIn, request: Request) -> dict[str, Any]:
    _job(request, job_id, user)
    return jobs.cancel_job(platform(request).engine, job_id).summary()


@router.get("/parks/{park_id}/report", tags=["reports"], summary="A report to download")
def report(
    park_id: int,
    user: SignedIn,
    request: Request,
    partner: Annotated[str | None, Query(description="a partner's report (actor id)")] = None,
    language: Annotated[Literal["en", "da"], Query(description="en or da")] = "en",
    format: Annotated[
        Literal["html", "pdf", "xlsx"], Query(description="html, pdf or xlsx")
    ] = "html",
) -> Response:
    """The park report (the secretariat's) or a partner's report (the secretariat's or that
    partner's own) of the newest assessment, in English or Danish."""
    access = _access(request, park_id, user)
    state = platform(request)
    content, name, media = service.report_file(
        state, state.stored(park_id), access, partner, language, format
    )
    return _file(content, name, media)


@router.post("/parks/{park_id}/readings", tags=["metered data"], summary="Upload readings")
async def upload_readings(
    park_id: int, user: SignedIn, request: Request, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Readings as energy-management and SCADA systems export them (CSV or Excel:
    timestamp, meter, value, unit), of the park's meters (meters.csv): converted through
    the register's units, flagged (gaps, duplicates, negative, stuck, outlying, unit
    changes; never filled) and their valid amounts stored, replacing each meter's readings
    over the time the file covers. The secretariat's for every meter, a partner editor's
    for its own; nothing is stored when any row is unreadable."""
    access = _access(request, park_id, user)
    state = platform(request)
    data = await file.read()
    return metered.upload_readings(state, state.stored(park_id), access, data, file.filename or "")


@router.get("/parks/{park_id}/account", tags=["metered data"], summary="The yearly account")
def yearly_account(
    park_id: int,
    user: SignedIn,
    request: Request,
    year: Annotated[int | None, Query(description="the year (the park's)")] = None,
    compare: Annotated[int | None, Query(description="a year to explain the change from")] = None,
) -> dict[str, Any]:
    """The park's and each partner's symbiosis account of the year (CO2e, ground and fresh
    water, materials, energy, money): verified from the stored readings where there are
    any, estimated from the register elsewhere, with its method and sources; the verified
    quantities beside the expected ones; the change since ``compare`` explained."""
    access = _access(request, park_id, user)
    state = platform(request)
    return metered.yearly_account(state, state.stored(park_id), access, year, compare).to_dict()


@router.get(
    "/parks/{park_id}/case-sheets/{exchange}", tags=["reports"], summary="A synergy's case sheet"
)
def case_sheet(
    park_id: int,
    exchange: str,
    user: SignedIn,
    request: Request,
    language: Annotated[Literal["en", "da"], Query(description="en or da")] = "en",
    format: Annotated[Literal["html", "pdf"], Query(description="html or pdf")] = "html",
    year: Annotated[int | None, Query(description="the year of its figures")] = None,
) -> Response:
    """The case sheet of an operating exchange, to document and market it: partners, what
    flows since when, verified figures, investment and payback, a small Sankey. Made from
    public data only."""
    _access(request, park_id, user)
    state = platform(request)
    content, name, media = metered.case_sheet_file(
        state, state.stored(park_id), exchange, language, format, year
    )
    return _file(content, name, media)


@router.get("/parks/{park_id}/members", tags=["accounts"], summary="The park's members")
def members(park_id: int, user: SignedIn, request: Request) -> list[dict[str, Any]]:
    secretariat(_access(request, park_id, user))
    return accounts.members_of(platform(request).engine, park_id)


class Invited(BaseModel):
    user: int
    password: str | None = Field(None, description="set for a new account only: give it to them")


@router.post("/parks/{park_id}/members", tags=["accounts"], summary="Invite someone")
def invite(park_id: int, body: Invitation, user: SignedIn, request: Request) -> Invited:
    """Give a role in the park to the user with this email, made with a new password
    (given once, here) when there is none."""
    secretariat(_access(request, park_id, user))
    invited, password = service.invite(
        platform(request), park_id, body.email, body.name, body.role, body.actor
    )
    return Invited(user=invited, password=password)


@router.get("/public/parks", tags=["public"], summary="Every park's name")
def public_parks(request: Request) -> list[dict[str, Any]]:
    return [
        {"id": p["id"], "name": p["name"]} for p in repository.list_parks(platform(request).engine)
    ]


@router.get("/public/parks/{park_id}", tags=["public"], summary="A park's published figures")
def public_park(park_id: int, request: Request) -> dict[str, Any]:
    state = platform(request)
    return service.public_figures(state, state.stored(park_id))


__all__ = ["router", "set_session_cookie", "upload_file"]
