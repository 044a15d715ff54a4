"""Databases for the tests: ``database_url`` gives each test an empty SQLite file and an
empty PostgreSQL database.

PostgreSQL runs as a throw-away server, one per test process (each xdist worker has its
own), started on first use from Debian's binaries (``make postgres`` installs them) in a
temporary folder, listening on 127.0.0.1 only, on a free port, and stopped at the end of
the session. Each test gets a database made for it with ``CREATE DATABASE`` and dropped
after it. PostgreSQL refuses to run as root, so as root the server runs as ``nobody``.
"""

from __future__ import annotations

import gc
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine

from symbionet.store.database import migrate, open_database

INSTALLS = Path("/usr/lib/postgresql")
SERVER_USER = "nobody"
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "max_connections": "50",
    "shared_buffers": "16MB",
}


class PostgresMissing(RuntimeError):
    """``initdb`` and ``pg_ctl`` are not installed."""


def postgres_bin(path: str | None = None, installs: Path | None = None) -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``: found on ``path`` (``$PATH`` by
    default), else the newest version under ``installs`` (Debian's layout)."""
    search = os.environ.get("PATH", "") if path is None else path
    installs = INSTALLS if installs is None else installs
    initdb = shutil.which("initdb", path=search)
    if initdb is not None:
        folder = Path(initdb).resolve().parent
        if os.access(folder / "pg_ctl", os.X_OK):
            return folder
    versions = [
        folder
        for folder in installs.glob("*/bin")
        if folder.parent.name.isdigit()
        and os.access(folder / "initdb", os.X_OK)
        and os.access(folder / "pg_ctl", os.X_OK)
    ]
    if not versions:
        raise PostgresMissing(
            f"PostgreSQL's initdb and pg_ctl were found neither on PATH nor in {installs}/*/bin: "
            "`make postgres` installs them (apt-get install postgresql)"
        )
    return max(versions, key=lambda folder: int(folder.parent.name))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PostgresServer:
    """A PostgreSQL server in a temporary folder, for as long as the test session."""

    def __init__(self, bin_folder: Path) -> None:
        self.bin = bin_folder
        # As root, the folder must be one the server's user can reach: /tmp, not $TMPDIR.
        root = os.geteuid() == 0
        self.base = Path(
            tempfile.mkdtemp(prefix="symbionet-postgres-", dir="/tmp" if root else None)
        )
        self.data = self.base / "data"
        self.sockets = self.base / "sockets"
        self.port = 0
        self.prefix: list[str] = []
        if root:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(self.base, user.pw_uid, user.pw_gid)
            self.prefix = [
                "setpriv",
                f"--reuid={user.pw_uid}",
                f"--regid={user.pw_gid}",
                "--clear-groups",
                "--",
            ]

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            [*self.prefix, *command],
            cwd=self.base,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
            )

    def start(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "--pgdata",
            str(self.data),
            "--username=postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        self._run("mkdir", str(self.sockets))
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            for name, value in SETTINGS.items():
                conf.write(f"{name} = {value}\n")
            conf.write(f"unix_socket_directories = '{self.sockets}'\n")
        # Another process may take the free port before the server does: try again.
        for attempt in range(3):
            self.port = free_port()
            try:
                self._run(
                    str(self.bin / "pg_ctl"),
                    "start",
                    "--pgdata",
                    str(self.data),
                    "--wait",
                    "--log",
                    str(self.base / "server.log"),
                    "--options",
                    f"-p {self.port}",
                )
                return
            except RuntimeError as error:
                log = self.base / "server.log"
                if attempt == 2 or "could not bind" not in log.read_text(errors="replace"):
                    raise RuntimeError(f"{error}\n{log.read_text(errors='replace')}") from None

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(
                    str(self.bin / "pg_ctl"), "stop", "--pgdata", str(self.data), "--mode=immediate"
                )
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        )

    def create_database(self) -> str:
        name = f"test_{uuid.uuid4().hex}"
        with self._admin() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def copy_database(self, template: str) -> str:
        """A new database made as a copy of ``template`` (which nobody may be using)."""
        name = f"test_{uuid.uuid4().hex}"
        with self._admin() as connection:
            connection.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        return name

    def drop_database(self, name: str) -> None:
        # An engine a test left open must fail that test, not whichever test the garbage
        # collector next interrupts: collect now, while the test is still tearing down.
        gc.collect()
        with self._admin() as connection:
            connection.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server; the test fails when PostgreSQL is not installed."""
    try:
        folder = postgres_bin()
    except PostgresMissing as error:
        pytest.fail(str(error), pytrace=False)
    server = PostgresServer(folder)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@contextmanager
def empty_database(request: pytest.FixtureRequest, backend: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database of ``backend``: a SQLite file in ``folder``, or a
    PostgreSQL database dropped at the end."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'symbionet.sqlite'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLAlchemy URL of an empty database of its own, on SQLite and on PostgreSQL."""
    with empty_database(request, request.param, tmp_path) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty database brought to the current tables."""
    migrate(database_url)
    engine = open_database(database_url)
    yield engine
    engine.dispose()
