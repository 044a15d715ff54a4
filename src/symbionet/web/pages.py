"""The platform's pages: server-rendered HTML over the same service functions as the
API, forms that work without scripts, roles checked on the server for every page."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Annotated, Any

import pandas as pd
import plotly.graph_objects as go
from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from symbionet.analyses import ANALYSES
from symbionet.assessment.accounting import METHOD
from symbionet.assessment.accounting import impact as impact_of
from symbionet.assessment.yearly import ACCOUNT_METHOD, SHOWN
from symbionet.errors import SymbionetError
from symbionet.present.maps import park_map
from symbionet.present.report import flow_sankey
from symbionet.present.tables import Money, heading, html_table, number
from symbionet.register import schema
from symbionet.store import accounts, jobs, repository
from symbionet.store.accounts import Access
from symbionet.store.model import ROW_TABLES, key_column
from symbionet.store.repository import ConflictError, StoredPark
from symbionet.web import metered, service, synergies
from symbionet.web.api import set_session_cookie, upload_file
from symbionet.web.context import (
    SESSION_COOKIE,
    User,
    current_user,
    platform,
    role_in,
    secretariat,
    visible_park,
)

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(files("symbionet.web") / "templates"))
FIGURE = {"displaylogo": False, "responsive": True}
#: rows of the register shown on one page
PAGE_ROWS = 200


@cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


@router.get("/static/plotly.min.js")
def plotly_js() -> Response:
    return Response(
        _plotly_js(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def _page(
    request: Request,
    template: str,
    title: str,
    user: User | None,
    access: Access | None = None,
    stored: StoredPark | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    park = stored.park if stored is not None else None
    actor_name = None
    if park is not None and access is not None and access.actor in park.actors.index:
        actor_name = park.actors.at[access.actor, "name"]
    return templates.TemplateResponse(
        request,
        template,
        {
            "title": title,
            "user": user,
            "csrf": user.session.csrf if user and user.session else "",
            "park_id": stored.id if stored is not None and access is not None else None,
            "park_name": park.name if park is not None else None,
            "role": access.role if access else None,
            "actor_name": actor_name,
            "problems": [],
            **context,
        },
        status_code=status,
    )


def _signed_in(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise HTTPException(303, headers={"Location": f"/login?next={request.url.path}"})
    return user


def _member(request: Request, park_id: int) -> tuple[User, Access, StoredPark]:
    user = _signed_in(request)
    access = role_in(request, user, park_id)
    return user, access, platform(request).stored(park_id)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def error_page(request: Request, error: StarletteHTTPException) -> Response:
    """An HTTP error of a page as a page (a redirect as a redirect)."""
    if error.status_code in (301, 302, 303, 307) and error.headers:
        return Response(status_code=error.status_code, headers=error.headers)
    return _page(
        request,
        "error.html",
        str(error.status_code),
        current_user(request),
        status=error.status_code,
        status_code=error.status_code,
        message=error.detail,
    )


# --- signing in ------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    user = current_user(request)
    engine = platform(request).engine
    parks = repository.list_parks(engine)
    mine = []
    if user is not None:
        roles = accounts.memberships_of(engine, user.id)
        for park in parks:
            held = [
                a.role + (f" ({a.actor})" if a.actor else "") for a in roles if a.park == park["id"]
            ]
            if held:
                mine.append({**park, "roles": ", ".join(held)})
    return _page(request, "home.html", "Parks", user, parks=parks, mine=mine)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return _page(request, "login.html", "Sign in", None, next=next)


@router.post("/login")
def login(
    request: Request,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    state = platform(request)
    user = accounts.authenticate(state.engine, email, password)
    if user is None:
        return _page(
            request,
            "login.html",
            "Sign in",
            None,
            status=401,
            error="Wrong email or password.",
            email=email,
            next=next,
        )
    token, _ = accounts.open_session(state.engine, user)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = _see_other(target)
    set_session_cookie(response, token, state.secure_cookies)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        accounts.close_session(platform(request).engine, cookie)
    response = _see_other("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- dashboards ------------------------------------------------------------------------


def _figure(fig: go.Figure, name: str) -> str:
    fig.update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 10}, template="plotly_white")
    return str(fig.to_html(full_html=False, include_plotlyjs=False, div_id=name, config=FIGURE))


def _figure_rows(figures: dict[str, Any], money: Money) -> list[dict[str, str]]:
    frame = money.frame(pd.DataFrame.from_dict(figures, orient="index").astype(float), rows=True)
    return [
        {"label": heading(name, "yr"), **{c: number(v) for c, v in row.items()}}
        for name, row in frame.iterrows()
    ]


@router.get("/parks/{park_id}", response_class=HTMLResponse)
def dashboard(request: Request, park_id: int) -> HTMLResponse:
    user, access, stored = _member(request, park_id)
    state = platform(request)
    park = visible_park(stored, access, state)
    money = Money.of(park)
    figures = service.key_figures(state, stored, access)
    partner = None
    if figures["partner"] is not None:
        own = pd.DataFrame([figures["partner"]]).drop(columns=["name"], errors="ignore")
        own = money.frame(own.astype(float))
        partner = [(heading(c, "yr"), number(v)) for c, v in own.iloc[0].items()]
    candidates, design = None, None
    jobs_drawn: tuple[int | None, int | None] = (None, None)
    if access.role == "secretariat":
        latest = service.latest_discovery(state, park_id)
        candidates = latest[1].candidates if latest else None
        built = jobs.latest_result(state.engine, park_id, "design")
        if built is not None and built.result and built.result.get("built"):
            design = pd.DataFrame.from_records(built.result["built"])
        jobs_drawn = (latest[0].id if latest else None, built.id if built else None)
    impact = service.park_impact(state, stored, access)
    # drawn once per version of the park, role and the jobs drawn on the map
    drawn = state.computed(
        stored,
        ("dashboard figures", access.role, access.actor, *jobs_drawn),
        lambda: (
            _figure(park_map(park, candidates, design), "map"),
            _figure(flow_sankey(park, impact), "sankey"),
        ),
    )
    return _page(
        request,
        "dashboard.html",
        park.name,
        user,
        access,
        stored,
        plots=True,
        description=park.meta.get("description", ""),
        version=stored.version,
        money_note=money.note(),
        secretariat=access.role == "secretariat",
        figures=_figure_rows(figures["park"], money),
        partner=partner,
        counts=[(name, len(frame)) for name, frame in park.frames.items()],
        map=drawn[0],
        sankey=drawn[1],
    )


@router.get("/public/parks/{park_id}", response_class=HTMLResponse)
def public_page(request: Request, park_id: int) -> HTMLResponse:
    state = platform(request)
    stored = state.stored(park_id)
    published = state.computed(stored, ("published",), lambda: stored.park.visible_to(None))
    money = Money.of(published)
    view = service.public_figures(state, stored)
    impact = state.computed(stored, ("published-impact",), lambda: impact_of(published))
    exchanges = [
        {
            "resource": resource,
            "exchanges": row["exchanges"],
            "amount": "withheld" if row["amount"] is None else number(row["amount"]),
            "unit": row["unit"],
            "co2e_t": "withheld" if row["co2e_t"] is None else number(row["co2e_t"]),
        }
        for resource, row in view["exchanges"].items()
    ]
    return _page(
        request,
        "public.html",
        published.name,
        current_user(request),
        plots=True,
        park_name=published.name,
        money_note=money.note(),
        figures=_figure_rows(view["figures"], money),
        exchanges=exchanges,
        map=_figure(park_map(published), "map"),
        sankey=_figure(flow_sankey(published, impact), "sankey"),
    )


# --- the register ----------------------------------------------------------------------


def _table_page(
    request: Request,
    park_id: int,
    table: str,
    errors: dict[tuple[str, str | None], str] | None = None,
    problems: list[str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    user, access, stored = _member(request, park_id)
    state = platform(request)
    service.check_table(table)
    key = key_column(table)
    every = service.table_rows(state, stored, access, table)
    ids = [str(r.get(key)) for r in every]
    wanted = next((ids.index(row) for row, _ in (errors or {}) if row in ids), None)
    pages = max(1, -(-len(every) // PAGE_ROWS))
    if wanted is not None:  # the page with the row whose problems are shown
        page = wanted // PAGE_ROWS + 1
    else:
        asked = request.query_params.get("page", "1")
        page = min(max(int(asked) if asked.isdigit() else 1, 1), pages)
    start = (page - 1) * PAGE_ROWS
    rows = [{**r, "_id": r.get(key)} for r in every[start : start + PAGE_ROWS]]
    declared = [
        c.name for c in schema.tables()[table].columns if c.type != "derived" and not c.is_pattern
    ]
    present = [c for c in dict.fromkeys(k for r in rows for k in r) if not c.startswith("_")]
    columns = list(dict.fromkeys([*(c for c in declared if c in present or not rows), *present]))
    partner_table = table in accounts.PARTNER_TABLES and table != "actors"
    return _page(
        request,
        "table.html",
        f"{stored.park.name}: {table}",
        user,
        access,
        stored,
        status=status,
        tables=[t for t in ROW_TABLES if t != "profiles"] + ["profiles"],
        table=table,
        description=schema.tables()[table].description,
        key=key,
        columns=columns,
        rows=rows,
        shown=(start + 1, start + len(rows), len(every)),
        pages=pages,
        page=page,
        errors=errors or {},
        problems=problems or [],
        notice=notice,
        may_add=access.role == "secretariat" or (access.role == "editor" and partner_table),
        may_upload=access.role != "viewer",
        downloads=["xlsx", "zip", "json", "yaml"],
    )


@router.get("/parks/{park_id}/tables/{table}", response_class=HTMLResponse)
def table_page(request: Request, park_id: int, table: str) -> HTMLResponse:
    return _table_page(request, park_id, table)


def _form_values(form: Any, columns: list[str]) -> dict[str, Any]:
    """A form's fields of a row as the register reads cells: empty is no value."""
    return {c: (str(form[c]).strip() or None) for c in columns if c in form}


def _field_errors(
    error: SymbionetError, table: str, row: str
) -> tuple[dict[tuple[str, str | None], str], list[str]]:
    """Problems of one row by field (to show beside it), and the rest."""
    near: dict[tuple[str, str | None], str] = {}
    rest = []
    for problem in error.problems:
        if problem.file == f"{table}[{row}]":
            field = (row, problem.column)
            near[field] = f"{near[field]}; {problem.message}" if field in near else problem.message
        else:
            rest.append(str(problem))
    return near, rest


@router.post("/parks/{park_id}/tables/{table}/{row_id}", response_class=HTMLResponse)
async def save_row(request: Request, park_id: int, table: str, row_id: str) -> Response:
    user, access, stored = _member(request, park_id)
    state = platform(request)
    service.check_table(table)
    form = await request.form()
    current = next(
        (
            r
            for r in service.table_rows(state, stored, access, table)
            if str(r.get(key_column(table))) == row_id
        ),
        None,
    )
    if current is None:
        raise HTTPException(404, f"{table}: no such row")
    fields = [
        k for k in form if not k.startswith("_") and k != "csrf_token" and k != key_column(table)
    ]
    given = _form_values(form, fields)
    changed = {k: v for k, v in given.items() if _text(current.get(k)) != (v or "")}
    try:
        version = int(str(form.get("_version", "")))
    except ValueError:
        raise HTTPException(422, "the form has no row version: reload it") from None
    if changed:
        try:
            service.change_row(state, stored, access, user.email, table, row_id, changed, version)
        except ConflictError as error:
            return _table_page(request, park_id, table, problems=[str(error)], status=409)
        except SymbionetError as error:
            near, rest = _field_errors(error, table, row_id)
            return _table_page(request, park_id, table, errors=near, problems=rest, status=422)
    return _see_other(f"/parks/{park_id}/tables/{table}#row-{row_id}")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@router.post("/parks/{park_id}/tables/{table}", response_class=HTMLResponse)
async def add_row(request: Request, park_id: int, table: str) -> Response:
    user, access, stored = _member(request, park_id)
    service.check_table(table)
    form = await request.form()
    record = {
        k: v
        for k, v in _form_values(form, [k for k in form if k != "csrf_token"]).items()
        if v is not None
    }
    try:
        service.add_row(platform(request), stored, access, user.email, table, record)
    except SymbionetError as error:
        return _table_page(
            request, park_id, table, problems=[str(p) for p in error.problems], status=422
        )
    return _see_other(f"/parks/{park_id}/tables/{table}")


@router.post("/parks/{park_id}/upload", response_class=HTMLResponse)
async def upload(request: Request, park_id: int, file: Annotated[UploadFile, File()]) -> Response:
    user, _, _ = _member(request, park_id)
    name = file.filename or ""
    table = name[:-4] if name.lower().endswith(".csv") and name[:-4] in ROW_TABLES else "streams"
    try:
        upload_file(request, park_id, user, await file.read(), name)
    except SymbionetError as error:
        return _table_page(
            request, park_id, table, problems=[str(p) for p in error.problems], status=422
        )
    return _table_page(request, park_id, table, notice=f"Imported {name}.")


# --- analyses --------------------------------------------------------------------------


@router.get("/parks/{park_id}/analyses", response_class=HTMLResponse)
def analyses(request: Request, park_id: int) -> HTMLResponse:
    user, access, stored = _member(request, park_id)
    secretariat(access)
    found = [job.summary() for job in jobs.park_jobs(platform(request).engine, park_id)]
    kinds = [(kind, a.title) for kind, a in ANALYSES.items()]
    return _page(
        request, "analyses.html", "Analyses", user, access, stored, jobs=found, kinds=kinds
    )


@router.post("/parks/{park_id}/jobs")
def start_job(request: Request, park_id: int, kind: Annotated[str, Form()]) -> Response:
    user, access, _ = _member(request, park_id)
    secretariat(access)
    if kind not in ANALYSES:
        raise HTTPException(422, f"no analysis {kind!r}")
    jobs.submit_job(platform(request).engine, park_id, kind, {}, user.email)
    return _see_other(f"/parks/{park_id}/analyses")


@router.post("/parks/{park_id}/jobs/{job_id}/cancel")
def cancel_job(request: Request, park_id: int, job_id: int) -> Response:
    _, access, _ = _member(request, park_id)
    secretariat(access)
    service.find_job(platform(request), job_id, park_id)
    jobs.cancel_job(platform(request).engine, job_id)
    return _see_other(f"/parks/{park_id}/analyses")


def _result_parts(
    result: Any, money: Money, prefix: str = ""
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A stored result's tables (lists of records) and single values, for a page."""
    tables, values = [], []
    for name, value in (result or {}).items():
        title = f"{prefix}{name}".replace("_", " ")
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            frame = pd.DataFrame.from_records(value).head(200)
            first = frame.columns[0]
            if any(money.name(str(key)) != str(key) for key in frame[first]):  # amounts by row
                shown = money.frame(frame.set_index(first), rows=True)
                tables.append((title, html_table(shown, row_units=True)))
            else:
                tables.append((title, html_table(money.frame(frame), index=False)))
        elif isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            inner_tables, inner_values = _result_parts(value, money, f"{title}: ")
            if inner_tables or inner_values:
                tables += inner_tables
                values += inner_values
            else:
                frame = money.frame(pd.DataFrame.from_dict(value, orient="index"), rows=True)
                tables.append((title, html_table(frame)))
        elif not isinstance(value, list | dict):
            values.append((title, number(value) if isinstance(value, float) else str(value)))
    return tables, values


@router.get("/parks/{park_id}/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, park_id: int, job_id: int) -> HTMLResponse:
    user, access, stored = _member(request, park_id)
    secretariat(access)
    job = service.find_job(platform(request), job_id, park_id)
    money = Money.of(stored.park)
    tables, values = _result_parts(job.result, money)
    if job.kind == "scenarios" and job.status == "done":  # each run at its own rate
        result = service.artifact(platform(request), job)
        shown = {**result.in_currency(), "runs": result.runs, "changes": result.changes}
        tables = [(name.replace("_", " "), html_table(t)) for name, t in shown.items()]
    figures = []
    if job.kind == "pareto" and job.result:
        curve = pd.DataFrame.from_records(
            [point["kpis"] for point in job.result.get("points", []) if point.get("kpis")]
        )
        if len(curve) and {"cost_eur", "co2e_t"} <= set(curve.columns):
            fig = go.Figure(
                go.Scatter(
                    x=curve["cost_eur"] * money.per_eur, y=curve["co2e_t"], mode="lines+markers"
                )
            )
            fig.update_layout(xaxis_title=f"cost ({money.currency}/yr)", yaxis_title="CO2e (t/yr)")
            figures.append(("Trade-off curve", _figure(fig, "pareto")))
    return _page(
        request,
        "job.html",
        f"Job {job_id}",
        user,
        access,
        stored,
        plots=bool(figures),
        job=job.summary() | {"options": json.dumps(job.options)},
        tables=tables,
        values=values,
        figures=figures,
    )


# --- candidates, history, members, reports ---------------------------------------------


@router.get("/parks/{park_id}/candidates", response_class=HTMLResponse)
def candidates(request: Request, park_id: int) -> HTMLResponse:
    user, access, stored = _member(request, park_id)
    state = platform(request)
    found = service.candidates(state, stored, access)
    money = Money.of(stored.park)
    rows = found["candidates"]
    both = ["supply", "demand", "resource", "quantity", "unit", "distance_km", "co2e_t"]
    if access.actor is None:
        columns = ["supplier", "receiver", *both, "value_eur"]
        columns += ["supplier_agrees", "receiver_agrees", "explanation"]
    else:
        columns = ["role", "partner_name", *both, "value_eur", "revealed", "agreed", "explanation"]
    shown = []
    for number_, row in enumerate(rows, start=1):
        cells = {money.name(c): _cell(row.get(c), c, money) for c in columns}
        new = not row.get("existing")  # an exchange already: nothing to carry over
        shown.append({**cells, "number": row.get("number", number_), "new": new})
    return _page(
        request,
        "candidates.html",
        "Candidates",
        user,
        access,
        stored,
        job=found["job"],
        rows=shown,
        columns=[money.name(c) for c in columns],
        consent=access.role == "editor",
    )


def _cell(value: Any, column: str, money: Money) -> Any:
    if isinstance(value, bool) or value is None:
        return "yes" if value is True else "no" if value is False else None
    if isinstance(value, int | float):
        return number(float(value) * (money.per_eur if column.endswith("_eur") else 1.0))
    return value


@router.post("/parks/{park_id}/candidates/{number}/consent")
def consent(
    request: Request, park_id: int, number: int, agree: Annotated[str, Form()] = "yes"
) -> Response:
    user, access, stored = _member(request, park_id)
    service.consent(platform(request), stored, access, user.email, number, agree == "yes")
    return _see_other(f"/parks/{park_id}/candidates")


@router.post("/parks/{park_id}/candidates/{number}/synergy")
def carry_over(request: Request, park_id: int, number: int) -> Response:
    user, access, stored = _member(request, park_id)
    synergies.carry_over(platform(request), stored, access, user.email, number)
    return _see_other(f"/parks/{park_id}/synergies")


# --- the synergy pipeline ----------------------------------------------------------------


def _synergies_page(
    request: Request, park_id: int, status: int = 200, **context: Any
) -> HTMLResponse:
    user, access, stored = _member(request, park_id)
    state = platform(request)
    stage = request.query_params.get("stage") or None
    partner = request.query_params.get("partner") or None
    view = synergies.pipeline_view(state, stored, access, stage, partner)
    park = visible_park(stored, access, state)
    money = Money.of(park)
    figures = synergies.project_figures(view)
    return _page(
        request, "synergies.html", "Synergies", user, access, stored, status=status,
        stages=view["stages"], board=view["board"], projects=view["projects"],
        stalls=view["stalls"], times=view["time_to_operation"]["projects"],
        funnel=[
            {**r, **{c: number(r[c]) for c in ("co2e_t", "water_m3", "materials_t", "saving")}}
            for r in view["funnel"]
        ],
        figures={
            "open_projects": figures["open_projects"],
            "open_co2e": number(figures["open_co2e_t"]),
            "median_days": None if (days := figures["median_days_to_operation"]) is None
            else number(days),
        },
        currency=money.currency, stage=stage, partner=partner,
        actors=list(park.actors["name"].items()), streams=list(park.streams.index),
        **context,
    )  # fmt: skip


@router.get("/parks/{park_id}/synergies", response_class=HTMLResponse)
def synergies_page(request: Request, park_id: int) -> HTMLResponse:
    return _synergies_page(request, park_id)


@router.post("/parks/{park_id}/synergies", response_class=HTMLResponse)
async def propose(request: Request, park_id: int) -> Response:
    user, access, stored = _member(request, park_id)
    form = await request.form()
    fields = _form_values(form, [k for k in form if k not in ("csrf_token", "title")])
    try:
        synergies.propose(
            platform(request), stored, access, user.email, str(form.get("title", "")), fields
        )
    except SymbionetError as error:
        return _synergies_page(request, park_id, 422, problems=[str(p) for p in error.problems])
    return _see_other(f"/parks/{park_id}/synergies")


@router.post("/parks/{park_id}/synergies/{project}/move", response_class=HTMLResponse)
async def move(request: Request, park_id: int, project: str) -> Response:
    user, access, stored = _member(request, park_id)
    form = await request.form()
    details = _form_values(form, [k for k in form if k not in ("csrf_token", "stage")])
    stage = str(form.get("stage", ""))
    try:
        synergies.move(platform(request), stored, access, user.email, project, stage, details)
    except SymbionetError as error:
        return _synergies_page(request, park_id, 422, problems=[str(p) for p in error.problems])
    return _see_other(f"/parks/{park_id}/synergies#project-{project}")


@router.get("/parks/{park_id}/history", response_class=HTMLResponse)
def history(request: Request, park_id: int, at: str | None = None) -> HTMLResponse:
    user, access, stored = _member(request, park_id)
    secretariat(access)
    state = platform(request)
    past, problems = None, []
    if at:
        try:
            when = datetime.fromisoformat(at).replace(tzinfo=UTC)
            past = _figure_rows(
                service.figures_at(state, park_id, when)["park"], Money.of(stored.park)
            )
        except (ValueError, SymbionetError) as error:
            problems = [str(error)]
    changes = []
    for change in service.history(state, park_id)[:500]:
        changes.append(
            {
                **change,
                "before_text": _brief(change["before"]),
                "after_text": _brief(change["after"]),
            }
        )
    return _page(
        request,
        "history.html",
        "History",
        user,
        access,
        stored,
        changes=changes,
        at=at,
        at_utc=f"{at}+00:00" if at else None,
        past=past,
        problems=problems,
    )


def _brief(record: Any) -> str:
    if record is None:
        return ""
    text = json.dumps(record, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "..."


def _members_page(
    request: Request, park_id: int, status: int = 200, **context: Any
) -> HTMLResponse:
    user, access, stored = _member(request, park_id)
    secretariat(access)
    return _page(
        request,
        "members.html",
        "Members",
        user,
        access,
        stored,
        status=status,
        members=accounts.members_of(platform(request).engine, park_id),
        actors=list(stored.park.actors["name"].items()),
        **context,
    )


@router.get("/parks/{park_id}/members", response_class=HTMLResponse)
def members(request: Request, park_id: int) -> HTMLResponse:
    return _members_page(request, park_id)


@router.post("/parks/{park_id}/members", response_class=HTMLResponse)
def invite(
    request: Request,
    park_id: int,
    email: Annotated[str, Form()],
    name: Annotated[str, Form()],
    role: Annotated[str, Form()],
    actor: Annotated[str, Form()] = "",
) -> HTMLResponse:
    _, access, _ = _member(request, park_id)
    secretariat(access)
    try:
        _, password = service.invite(platform(request), park_id, email, name, role, actor or None)
    except SymbionetError as error:
        return _members_page(request, park_id, 422, problems=[str(error)])
    note = f"{email} is now {role}" + (f"; their password: {password}" if password else "")
    return _members_page(request, park_id, notice=note)


# --- metered data and the yearly account ------------------------------------------------


def _account_page(
    request: Request, park_id: int, status: int = 200, **context: Any
) -> HTMLResponse:
    user, access, stored = _member(request, park_id)
    state = platform(request)
    year = _query_year(request, "year")
    compare = _query_year(request, "compare")
    found = metered.yearly_account(state, stored, access, year, compare)
    money = Money.of(stored.park)
    result = found.account
    shown = ["expected", "measured", "coverage", "unit", "meters", "readings"]
    verified = found.verified.table.droplevel("year")
    verified = (
        verified[[c for c in shown if c in verified]]
        .assign(coverage=lambda t: (t["coverage"] * 100).round(1))
        .rename(columns={"coverage": "coverage_pct"})
    )
    comparison = None
    if found.comparison is not None:
        change = money.frame(found.comparison.table.astype(float), rows=True)
        comparison = html_table(change, period="yr", row_units=True)
    public = stored.park.visible_to(None).exchanges
    sheets = [
        (exchange, f"{row['supply']} to {row['demand']}")
        for exchange, row in public[public["status"] == "operating"].iterrows()
    ]
    share = result.verified_pct.get("net_saving_eur")
    return _page(
        request, "account.html", "Account", user, access, stored, status=status,
        year=found.year, compare=compare,
        park_table=html_table(
            money.frame(result.park.astype(float), rows=True).rename_axis("key figure"),
            period="yr",
            row_units=True,
        ),
        partners_table=html_table(money.frame(result.partners)),
        exchanges_table=html_table(money.frame(result.exchanges[SHOWN]), period="yr"),
        verified_table=html_table(verified),
        comparison_table=comparison, sheets=sheets,
        verified_note=(
            "No readings yet: every figure is estimated from the register."
            if not share or pd.isna(share)
            else f"{number(share)} % of the net saving is verified by readings; "
            "the rest is estimated from the register."
        ),
        method=ACCOUNT_METHOD + METHOD,
        sources=[
            " · ".join(str(v) for v in (key, source.get("title"), source.get("url")) if pd.notna(v))
            for key, source in result.sources.iterrows()
        ],
        **context,
    )  # fmt: skip


def _query_year(request: Request, name: str) -> int | None:
    text = request.query_params.get(name) or ""
    if not text.strip():
        return None
    if not text.strip().isdigit():
        raise HTTPException(422, f"{name}: a year such as 2024, not {text!r}")
    return int(text)


@router.get("/parks/{park_id}/account", response_class=HTMLResponse)
def account_page(request: Request, park_id: int) -> HTMLResponse:
    return _account_page(request, park_id)


@router.post("/parks/{park_id}/readings", response_class=HTMLResponse)
async def upload_readings(
    request: Request, park_id: int, file: Annotated[UploadFile, File()]
) -> Response:
    _, access, stored = _member(request, park_id)
    secretariat(access)
    try:
        done = metered.upload_readings(
            platform(request), stored, access, await file.read(), file.filename or ""
        )
    except SymbionetError as error:
        return _account_page(request, park_id, 422, problems=[str(p) for p in error.problems])
    summary = pd.DataFrame.from_records(done["meters"]).set_index("meter")
    return _account_page(
        request, park_id,
        notice=f"Stored {done['stored']:,} readings of {file.filename}.",
        uploaded=html_table(summary),
    )  # fmt: skip


@router.get("/parks/{park_id}/reports", response_class=HTMLResponse)
def reports(request: Request, park_id: int) -> HTMLResponse:
    user, access, stored = _member(request, park_id)
    latest = service.latest_assessment(platform(request), park_id)
    base = f"/api/parks/{park_id}/report?"
    listed: list[dict[str, Any]] = []
    if latest is not None:
        languages = (("en", "English"), ("da", "Dansk"))
        if access.role == "secretariat":
            listed += [
                {"title": "Park report", "language": name, "url": f"{base}language={code}"}
                for code, name in languages
            ]
        partners = stored.park.actors["name"].items()
        for actor, name in partners:
            if access.actor in (None, actor):
                listed += [
                    {
                        "title": f"Partner report: {name}",
                        "language": language,
                        "url": f"{base}partner={actor}&language={code}",
                    }
                    for code, language in languages
                ]
    for entry in listed:
        entry["formats"] = ["html", "pdf", "xlsx"]
    return _page(
        request, "reports.html", "Reports", user, access, stored,
        reports=listed, assessment=None if latest is None else latest[0].summary(),
    )  # fmt: skip


__all__ = ["error_page", "router"]
