"""The platform as an ASGI application: ``create_app(database_url)`` gives the FastAPI
app with its pages, its JSON API (``/api``, documented at ``/api/docs``), its static
files and a job runner; ``symbionet serve`` runs it with uvicorn."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from importlib.resources import files
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from symbionet.errors import SymbionetError
from symbionet.store import accounts, jobs
from symbionet.store.database import BUSY_WAIT_S, migrate, open_database
from symbionet.store.repository import ConflictError
from symbionet.web import api, hub, pages
from symbionet.web.context import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, Platform, platform
from symbionet.web.runner import JobRunner

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


async def csrf_guard(request: Request) -> None:
    """Refuse a change sent with a session cookie but without the session's CSRF token (in
    the ``X-CSRF-Token`` header or the form's ``csrf_token`` field); API tokens need none."""
    if request.method not in UNSAFE or request.headers.get("authorization"):
        return
    cookie = request.cookies.get(SESSION_COOKIE)
    session = accounts.session_of(platform(request).engine, cookie) if cookie else None
    if session is None:
        return  # not signed in by cookie: the endpoint refuses what needs a user
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and "form" in request.headers.get("content-type", ""):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if sent is None or not secrets.compare_digest(sent, session.csrf):
        raise HTTPException(403, "the form is out of date (CSRF token missing or wrong): reload it")


def _problems(error: SymbionetError) -> list[dict[str, Any]]:
    return [dict(problem.to_dict()) for problem in error.problems]


def create_app(
    database: str,
    *,
    run_jobs: bool = True,
    stale_after: timedelta = jobs.STALE_AFTER,
    secure_cookies: bool = False,
) -> FastAPI:
    """The platform on the database at ``database`` (migrated first), running queued jobs
    in this process unless ``run_jobs`` is false."""
    migrate(database)
    state = Platform(open_database(database), secure_cookies=secure_cookies)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner = JobRunner(state.engine, stale_after=stale_after) if run_jobs else None
        if runner is not None:
            runner.start()
        try:
            yield
        finally:
            if runner is not None:
                runner.stop()
            state.engine.dispose()

    app = FastAPI(
        title="symbionet",
        summary="The industrial symbiosis platform: a park's partners, streams, exchanges, "
        "candidates, designs and savings.",
        version="0.1.0",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
        dependencies=[Depends(csrf_guard)],
    )
    app.state.platform = state
    app.include_router(api.router)
    app.include_router(hub.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(files("symbionet.web") / "static")), "static")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        """Pages get an error page, the API its JSON."""
        if request.url.path.startswith("/api") or "text/html" not in request.headers.get(
            "accept", ""
        ):
            return await http_exception_handler(request, error)
        return pages.error_page(request, error)

    @app.exception_handler(ConflictError)
    async def conflict(request: Request, error: ConflictError) -> JSONResponse:
        return JSONResponse({"detail": str(error), "problems": _problems(error)}, 409)

    @app.exception_handler(OperationalError)
    async def busy(request: Request, error: OperationalError) -> Response:
        """A database that stays locked past the wait is busy, not broken: 503, try again."""
        if "database is locked" not in str(error.orig):
            raise error
        return JSONResponse(
            {"detail": f"the database stayed busy for {BUSY_WAIT_S} s; try again"},
            503,
            headers={"Retry-After": "10"},
        )

    @app.exception_handler(SymbionetError)
    async def invalid(request: Request, error: SymbionetError) -> JSONResponse:
        return JSONResponse({"detail": str(error), "problems": _problems(error)}, 422)

    return app


DATABASE_VARIABLE = "SYMBIONET_DATABASE"


def app_from_environment() -> FastAPI:
    """The app on the database named by ``SYMBIONET_DATABASE``: what each worker process
    of ``symbionet serve --workers N`` makes."""
    return create_app(
        os.environ[DATABASE_VARIABLE],
        secure_cookies=bool(os.environ.get("SYMBIONET_SECURE_COOKIES")),
    )


__all__ = ["DATABASE_VARIABLE", "app_from_environment", "create_app", "csrf_guard"]
