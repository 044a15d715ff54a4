"""The test databases: an empty SQLite file and an empty PostgreSQL database per test."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select
from sqlalchemy.engine import make_url

from tests.conftest import ROOT
from tests.databases import PostgresMissing, PostgresServer, postgres_bin


def test_a_row_goes_in_and_comes_back(database_url: str, request: pytest.FixtureRequest) -> None:
    backend = request.node.callspec.params["database_url"]
    metadata = MetaData()
    partners = Table(
        "partners",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(100), nullable=False),
    )
    engine = create_engine(database_url)
    try:
        assert engine.dialect.name == backend
        metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(insert(partners), [{"id": 1, "name": "Novo Nordisk"}])
        with engine.connect() as connection:
            assert connection.execute(select(partners.c.id, partners.c.name)).all() == [
                (1, "Novo Nordisk")
            ]
    finally:
        engine.dispose()


def test_sqlite_is_a_file_of_the_test(database_url: str, tmp_path: Path) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        assert Path(url.database).parent == tmp_path
    else:
        assert url.drivername == "postgresql+psycopg"
        assert url.host == "127.0.0.1"


def test_each_postgresql_test_has_its_database_alone(
    database_url: str, postgres_server: PostgresServer
) -> None:
    with psycopg.connect(
        host="127.0.0.1", port=postgres_server.port, user="postgres", dbname="postgres"
    ) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'test%' ORDER BY datname"
            )
        ]
    if make_url(database_url).get_backend_name() == "postgresql":
        assert names == [make_url(database_url).database]
    else:
        assert names == []


def test_postgresql_listens_on_127_0_0_1_only(postgres_server: PostgresServer) -> None:
    port = postgres_server.port
    with psycopg.connect(
        host="127.0.0.1", port=port, user="postgres", dbname="postgres"
    ) as connection:
        row = connection.execute("SHOW listen_addresses").fetchone()
    assert row == ("127.0.0.1",)
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    # Another loopback address reaches this machine too, but nothing listens there.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", port), timeout=5).close()
    if socket.has_ipv6:
        with pytest.raises(OSError), socket.socket(socket.AF_INET6) as probe:
            probe.settimeout(5)
            probe.connect(("::1", port))


TWO_TESTS = """
from pathlib import Path

from sqlalchemy import create_engine, inspect, text


def test_first(database_url, postgres_server):
    Path("server").write_text(f"{postgres_server.base}\\n{postgres_server.port}")
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE kept (id INTEGER)"))
    assert "kept" in inspect(engine).get_table_names()
    engine.dispose()


def test_second(database_url):
    engine = create_engine(database_url)
    assert inspect(engine).get_table_names() == []
    engine.dispose()
"""


def test_two_tests_in_a_row_get_separate_databases_and_the_server_stops(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(test_two=TWO_TESTS)
    result = pytester.runpytest_subprocess("-p", "tests.databases", "-W", "error", "-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "*test_first?sqlite? PASSED*",
            "*test_first?postgresql? PASSED*",
            "*test_second?sqlite? PASSED*",
            "*test_second?postgresql? PASSED*",
        ]
    )
    base, port = (pytester.path / "server").read_text().split("\n")
    assert not Path(base).exists()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(port)), timeout=5).close()


def test_postgresql_missing_fails_the_test_and_says_how_to_install_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest(
        f"""
import tests.databases

tests.databases.INSTALLS = tests.databases.Path({str(pytester.path / "none")!r})
"""
    )
    pytester.makepyfile(
        test_url="def test_url(database_url):\n    assert database_url\n",
    )
    monkeypatch.setenv("PATH", str(pytester.path))
    result = pytester.runpytest_subprocess("-p", "tests.databases", "-W", "error", "-rA")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*initdb and pg_ctl were found neither on PATH nor in*"])
    result.stdout.fnmatch_lines(["*`make postgres` installs them*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_the_binaries_are_found_on_path_first(tmp_path: Path) -> None:
    on_path = tmp_path / "path"
    executable(on_path / "initdb")
    executable(on_path / "pg_ctl")
    executable(tmp_path / "installs" / "15" / "bin" / "initdb")
    executable(tmp_path / "installs" / "15" / "bin" / "pg_ctl")
    assert postgres_bin(str(on_path), tmp_path / "installs") == on_path


def test_a_link_on_path_leads_to_the_folder_of_the_binaries(tmp_path: Path) -> None:
    real = tmp_path / "lib" / "bin"
    executable(real / "initdb")
    executable(real / "pg_ctl")
    (tmp_path / "path").mkdir()
    (tmp_path / "path" / "initdb").symlink_to(real / "initdb")
    assert postgres_bin(str(tmp_path / "path"), tmp_path / "installs") == real


def test_the_newest_debian_version_is_taken(tmp_path: Path) -> None:
    installs = tmp_path / "installs"
    for version in ("9", "15", "13"):
        executable(installs / version / "bin" / "initdb")
        executable(installs / version / "bin" / "pg_ctl")
    executable(installs / "16" / "bin" / "initdb")  # without pg_ctl: not a server install
    assert postgres_bin("", installs) == installs / "15" / "bin"


def test_no_binaries_is_an_error_that_says_how_to_install_them(tmp_path: Path) -> None:
    executable(tmp_path / "path" / "initdb")  # pg_ctl missing beside it
    with pytest.raises(PostgresMissing, match=r"`make postgres` installs them"):
        postgres_bin(str(tmp_path / "path"), tmp_path / "installs")
