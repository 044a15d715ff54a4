"""The platform for the tests: ``served`` starts ``symbionet serve`` as users start it, a
real server process on 127.0.0.1 and a free port (``platform_server``, on SQLite and on
PostgreSQL); ``platform_client`` runs the same app in the test process through
FastAPI's TestClient. Both hold the Kalundborg example and its first-start accounts."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from symbionet.store.database import migrate, open_database
from symbionet.web.app import create_app
from symbionet.web.bootstrap import first_start
from tests.databases import PostgresServer, free_port

ROOT = Path(__file__).resolve().parents[1]
KALUNDBORG = ROOT / "examples" / "kalundborg"
ACCOUNT = re.compile(r"account (\S+)  password (\S+)  \((\w+)(?: of (\S+))?\)")


@dataclass
class Served:
    """A running platform: its address, database and accounts (by partner id, or
    ``secretariat``) as (email, password)."""

    url: str
    database_url: str
    accounts: dict[str, tuple[str, str]]
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)

    def client(self, who: str | None = None) -> httpx.Client:
        """An HTTP client, signed in as ``who`` (a key of ``accounts``) when given, with
        the session's CSRF token sent on every request."""
        client = httpx.Client(base_url=self.url, timeout=60)
        if who is not None:
            sign_in(client, *self.accounts[who])
        return client


def sign_in(client: httpx.Client | TestClient, email: str, password: str) -> str:
    """Sign ``client`` in; the CSRF token, which it now sends with every request."""
    response = client.post("/api/session", json={"email": email, "password": password})
    response.raise_for_status()
    token: str = response.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return token


def _wait_for(url: str, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped (exit {process.returncode})")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/api/public/parks", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer at {url} within {seconds} s")


@contextmanager
def served(
    database_url: str, park: Path = KALUNDBORG, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[Served]:
    """``symbionet serve`` on ``database_url`` in a process of its own, stopped at the end
    (killed if it does not stop); its first start's accounts read from what it prints."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "symbionet"), "serve", str(park),
        "--db", database_url, "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    server = Served(url, database_url, {}, process)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            server.output.append(line)
            if found := ACCOUNT.search(line):
                email, password, role, actor = found.groups()
                server.accounts[actor or role] = (email, password)
            if "serves on" in line:
                break
        _wait_for(url, process)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
def platform_server(database_url: str) -> Iterator[Served]:
    """The platform serving the Kalundborg example, as ``make run`` serves it."""
    with served(database_url) as server:
        yield server


@dataclass
class Platform:
    """The platform in the test process, started once (its job runner with it): a
    TestClient per user, the first-start accounts."""

    app: object
    accounts: dict[str, tuple[str, str]]
    clients: list[TestClient] = field(default_factory=list)

    def client(self, who: str | None = None) -> TestClient:
        """A new client, signed in as ``who``. Only the first runs the app's start and
        shutdown: one job runner, and an engine disposed once, when nothing else uses it."""
        client = TestClient(self.app, base_url="http://127.0.0.1")  # type: ignore[arg-type]
        if not self.clients:
            client.__enter__()
        self.clients.append(client)
        if who is not None:
            sign_in(client, *self.accounts[who])
        return client


Accounts = dict[str, tuple[str, str]]


@pytest.fixture(scope="session")
def kalundborg_templates(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], tuple[str, Accounts]]:
    """A database per backend made once per test process as the first start makes it
    (the Kalundborg example and its accounts, whose passwords take long to hash): its
    URL (a SQLite file, or a PostgreSQL database to copy) and accounts."""
    made: dict[str, tuple[str, Accounts]] = {}

    def template(backend: str) -> tuple[str, Accounts]:
        if backend not in made:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'kalundborg.sqlite'}"
            else:
                server: PostgresServer = request.getfixturevalue("postgres_server")
                url = server.url(server.create_database())
            migrate(url)
            engine = open_database(url)
            accounts = {
                a.actor or a.role: (a.email, a.password) for a in first_start(engine, KALUNDBORG)
            }
            engine.dispose()
            made[backend] = (url, accounts)
        return made[backend]

    return template


@pytest.fixture(params=["sqlite", "postgresql"])
def kalundborg_database(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    kalundborg_templates: Callable[[str], tuple[str, Accounts]],
) -> Iterator[tuple[str, Accounts]]:
    """A database of its own holding the Kalundborg example after its first start, on
    SQLite and on PostgreSQL, copied from the template: its URL and accounts."""
    url, accounts = kalundborg_templates(request.param)
    if request.param == "sqlite":
        copy = tmp_path / "kalundborg.sqlite"
        shutil.copyfile(make_url(url).database or "", copy)
        yield f"sqlite:///{copy}", accounts
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.copy_database(make_url(url).database or "")
    try:
        yield server.url(name), accounts
    finally:
        server.drop_database(name)


@pytest.fixture
def platform_client(kalundborg_database: tuple[str, Accounts]) -> Iterator[Platform]:
    """The platform's app on a fresh database holding the Kalundborg example and its
    first-start accounts, with its job runner; ``.client(who)`` gives a client signed in
    as ``who``."""
    url, accounts = kalundborg_database
    platform = Platform(create_app(url), dict(accounts))
    try:
        yield platform
    finally:
        for client in reversed(platform.clients):
            if client is platform.clients[0]:
                client.__exit__(None, None, None)
            else:
                client.close()
