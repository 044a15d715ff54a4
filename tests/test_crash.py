"""The platform killed at the worst moment, as a real ``symbionet serve`` process: an import
killed half way leaves the park exactly as it was or exactly as imported; a job killed
while it runs is marked failed by the next server, which runs new jobs; and several server
processes share jobs and edits without losing or doubling any; on SQLite and on
PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from symbionet.discovery.generate import generate_park
from symbionet.register import transfer
from symbionet.register.park import load_park
from symbionet.store import jobs
from symbionet.store.database import open_database
from symbionet.store.model import ROW_TABLES, metadata
from symbionet.store.repository import list_parks, load_stored_park, park_at
from tests.databases import free_port
from tests.servers import KALUNDBORG, Served, served, sign_in

pytestmark = pytest.mark.slow

STOPPED = "the server stopped while this job ran"
SITES = 4000  # a park whose import takes seconds


def kill(server: Served) -> None:
    """Kill the server's processes at once, as a power cut would."""
    assert server.process is not None
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=30)


def wait(condition: Callable[[], Any], seconds: float, what: str, every: float = 0.02) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(every)
    raise AssertionError(f"{what}: not within {seconds} s")


def big_upload(name: str) -> bytes:
    """A synthetic park of many sites, named ``name``, as a JSON document to upload."""
    content, _, _ = transfer.park_download(generate_park(SITES, seed=7), "json")
    document = json.loads(content)
    document["park"]["name"] = name
    return json.dumps(document).encode("utf-8")


@contextmanager
def saving(database_url: str) -> Iterator[Callable[[], bool]]:
    """Whether a big write is under way but not committed: on SQLite the write-ahead log
    grows by megabytes, on PostgreSQL a transaction that wrote is writing a park's rows."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        log = Path(f"{url.database}-wal")
        start = log.stat().st_size if log.exists() else 0
        yield lambda: log.exists() and log.stat().st_size > start + 4_000_000
        return
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True
    ) as connection:

        def open_write() -> bool:
            found = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL "
                "AND query ~* '^(INSERT INTO|DELETE FROM) \"?(actors|sites|streams|changes)\\M'"
            ).fetchone()
            return bool(found and found[0])

        yield open_write


def check_consistent(engine: Engine, document: dict[str, Any], version: int) -> None:
    """The park stored is ``document`` at ``version``: its rows counted, each row's version
    at most the park's, its log of changes ending at that version and giving it back."""
    parks, changes = metadata().tables["parks"], metadata().tables["changes"]
    with engine.connect() as connection:
        assert connection.execute(select(parks.c.version)).scalars().all() == [version]
        logged = connection.execute(
            select(changes.c.version, func.count()).group_by(changes.c.version)
        ).all()
        assert sorted(v for v, _ in logged) == list(range(1, version + 1))
        for name in ROW_TABLES:
            table = metadata().tables[name]
            count, newest = connection.execute(
                select(func.count(), func.max(table.c.version))
            ).one()
            assert count == len(document.get(name, [])), name
            assert count == 0 or newest <= version, name
    assert park_at(engine, 1, datetime.now(UTC)).to_document() == document


def upload(server: Served, who: tuple[str, str], data: bytes, outcome: list[Any]) -> None:
    try:
        with httpx.Client(base_url=server.url, timeout=600) as client:
            sign_in(client, *who)
            files = {"file": ("park.json", data)}
            outcome.append(client.post("/api/parks/1/upload", files=files))
    except httpx.HTTPError as error:
        outcome.append(error)


def test_an_import_killed_half_way_leaves_the_old_park_or_the_new_one(database_url: str) -> None:
    old = load_park(KALUNDBORG).to_document()
    data = big_upload(old["park"]["name"])
    new = transfer.read_upload(data, "park.json").to_document()
    outcome: list[Any] = []
    with served(database_url) as server:
        secretariat = server.accounts["secretariat"]
        sending = threading.Thread(target=upload, args=(server, secretariat, data, outcome))
        with saving(database_url) as under_way:
            sending.start()
            wait(under_way, 300, "the import did not start writing", every=0.01)
            kill(server)
        sending.join(timeout=60)
    assert outcome and not isinstance(outcome[0], httpx.Response), outcome  # it was cut short
    engine = open_database(database_url)
    try:
        stored = load_stored_park(engine, 1).to_document()
        assert stored in (old, new)
        check_consistent(engine, stored, 1 if stored == old else 2)
    finally:
        engine.dispose()

    # the next server serves the park as it was left, and imports it whole this time
    with served(database_url) as again:
        assert again.accounts == {}  # a park is saved: no first start again
        done: list[Any] = []
        upload(again, secretariat, data, done)
        assert isinstance(done[0], httpx.Response) and done[0].status_code == 200, done
    engine = open_database(database_url)
    try:
        assert load_stored_park(engine, 1).to_document() == new
        check_consistent(engine, new, 3 if stored == new else 2)
    finally:
        engine.dispose()


def test_a_job_killed_with_its_server_is_marked_failed_by_the_next(database_url: str) -> None:
    engine = open_database(database_url)
    try:
        with served(database_url) as server:
            secretariat = server.accounts["secretariat"]
            client = server.client("secretariat")
            job = client.post("/api/parks/1/jobs", json={"kind": "assess"}).json()["id"]
            client.close()
            running = wait(
                lambda: jobs.get_job(engine, job).status != "queued", 60, "the job did not start"
            )
            kill(server)
        assert server.process is not None
        left = jobs.get_job(engine, job)
        assert left.status == "running", left  # killed while it ran
        assert running and jobs.park_jobs(engine, 1)[0].id == job
        table = metadata().tables["jobs"]
        with engine.connect() as connection:
            worker = connection.execute(select(table.c.worker).where(table.c.id == job)).scalar()
        assert pid_of(worker) == server.process.pid

        with served(database_url) as again:
            assert again.accounts == {}
            started = time.monotonic()
            failed = wait(
                lambda: (found := jobs.get_job(engine, job)).status != "running" and found,
                30,
                "the job was not recovered",
                every=0.1,
            )
            assert time.monotonic() - started < jobs.STALE_AFTER.total_seconds() / 2
            assert failed.status == "failed" and STOPPED in (failed.error or "")
            with httpx.Client(base_url=again.url, timeout=60) as client:
                sign_in(client, *secretariat)
                seen = client.get(f"/api/jobs/{job}").json()
                assert seen["status"] == "failed" and STOPPED in seen["error"]
                next_job = client.post(
                    "/api/parks/1/jobs", json={"kind": "discover", "options": {"top": 3}}
                ).json()["id"]
                done = wait(
                    lambda: (
                        (found := client.get(f"/api/jobs/{next_job}").json())["status"]
                        in jobs.FINISHED
                        and found
                    ),
                    120,
                    "the next job did not end",
                    every=0.2,
                )
            assert done["status"] == "done" and len(done["result"]["candidates"]) == 3
    finally:
        engine.dispose()


def test_a_job_of_a_killed_server_process_is_marked_failed_by_the_other(
    database_url: str,
) -> None:
    engine = open_database(database_url)
    table = metadata().tables["jobs"]
    try:
        with (
            served(database_url, workers=2) as server,
            closing(server.client("secretariat")) as client,
        ):
            job = client.post("/api/parks/1/jobs", json={"kind": "assess"}).json()["id"]
            wait(lambda: jobs.get_job(engine, job).status != "queued", 60, "the job did not start")
            with engine.connect() as connection:
                worker = connection.execute(
                    select(table.c.worker).where(table.c.id == job)
                ).scalar_one()
            assert server.process is not None and pid_of(worker) in children(server.process.pid)
            os.kill(pid_of(worker), signal.SIGKILL)
            started = time.monotonic()
            failed = wait(
                lambda: (found := jobs.get_job(engine, job)).status != "running" and found,
                30,
                "the job was not recovered",
                every=0.1,
            )
            assert time.monotonic() - started < jobs.STALE_AFTER.total_seconds() / 2
            assert failed.status == "failed" and STOPPED in (failed.error or "")
            # the server goes on: the other process, or the one started in its place, runs
            # the next job
            next_job = client.post(
                "/api/parks/1/jobs", json={"kind": "discover", "options": {"top": 2}}
            ).json()["id"]
            done = wait(
                lambda: (found := jobs.get_job(engine, next_job)).status in jobs.FINISHED and found,
                120,
                "the next job did not end",
                every=0.2,
            )
            assert done.status == "done" and len((done.result or {})["candidates"]) == 2
            with engine.connect() as connection:
                runner = connection.execute(
                    select(table.c.worker).where(table.c.id == next_job)
                ).scalar_one()
            assert runner != worker
    finally:
        engine.dispose()


def test_two_server_processes_share_jobs_and_edits_losing_none(database_url: str) -> None:
    with served(database_url, workers=2) as server, closing(server.client("secretariat")) as client:
        submitted = [
            client.post(
                "/api/parks/1/jobs", json={"kind": "discover", "options": {"top": n}}
            ).json()["id"]
            for n in range(1, 7)
        ]
        streams = client.get("/api/parks/1/streams").json()
        contested = next(s for s in streams if s["id"] == "novo_yeast")
        # each of 25 streams changed once; one stream changed 25 times from the same version
        edits = [(s["id"], s["_version"], s["quantity"] * 2) for s in streams[:25]]
        edits += [("novo_yeast", contested["_version"], 200000.0 + n) for n in range(25)]
        cookies, headers = dict(client.cookies), dict(client.headers)

        def edit(change: tuple[str, int, float]) -> tuple[str, float, int, str]:
            row, version, quantity = change
            with httpx.Client(
                base_url=server.url, timeout=600, cookies=cookies, headers=headers
            ) as one:
                sent = one.patch(
                    f"/api/parks/1/streams/{row}",
                    json={"version": version, "values": {"quantity": quantity}},
                )
            return row, quantity, sent.status_code, sent.text

        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(edit, edits))

        def all_ended() -> list[dict[str, Any]] | None:
            found = [client.get(f"/api/jobs/{job}").json() for job in submitted]
            return found if all(j["status"] in jobs.FINISHED for j in found) else None

        ended = wait(all_ended, 300, "the jobs did not end", every=0.5)
        history = client.get("/api/parks/1/history").json()
        final = {s["id"]: s["quantity"] for s in client.get("/api/parks/1/streams").json()}
        assert server.process is not None
        processes = children(server.process.pid)

    assert [j["status"] for j in ended] == ["done"] * 6, ended
    assert [len(j["result"]["candidates"]) for j in ended] == list(range(1, 7))
    engine = open_database(database_url)
    try:
        table = metadata().tables["jobs"]
        with engine.connect() as connection:
            rows = connection.execute(
                select(table.c.id, table.c.worker, table.c.status).order_by(table.c.id)
            ).all()
    finally:
        engine.dispose()
    assert [r.id for r in rows] == submitted and all(r.status == "done" for r in rows)
    assert len(processes) >= 2 and {pid_of(r.worker) for r in rows} <= processes

    distinct = [a for a in answers[:25] if a[0] != "novo_yeast"]
    assert all(status == 200 for _, _, status, _ in distinct), distinct
    contested_answers = [a for a in answers if a[0] == "novo_yeast"]
    won = [a for a in contested_answers if a[2] == 200]
    assert len(won) == 1, contested_answers
    assert sorted(status for _, _, status, _ in contested_answers) == [200] + [409] * (
        len(contested_answers) - 1
    )
    assert all("changed since version" in text for *_, s, text in contested_answers if s == 409)
    assert final["novo_yeast"] == won[0][1]
    logged = [
        (c["row"], c["after"]["quantity"])
        for c in history
        if c["table"] == "streams" and c["version"] > 1  # not the first start's rows
    ]
    for row, quantity, status, _ in answers:
        assert (status == 200) == ((row, quantity) in logged), (row, quantity)
        if status == 200 and row != "novo_yeast":
            assert final[row] == quantity
    assert len(logged) == len(distinct) + 1


def test_a_first_start_killed_half_way_is_made_again_by_the_next(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'symbionet.sqlite'}"
    command = [
        str(Path(sys.executable).parent / "symbionet"), "serve", str(KALUNDBORG),
        "--db", database_url, "--port", str(free_port()),
    ]  # fmt: skip
    first = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    engine = open_database(database_url)
    try:

        def park_saved() -> bool:
            try:
                return bool(list_parks(engine))
            except DatabaseError:  # no tables yet
                return False

        wait(park_saved, 120, "the first start saved no park", every=0.01)
        os.killpg(first.pid, signal.SIGKILL)
        printed, _ = first.communicate(timeout=30)
        assert "password" not in printed  # killed before the accounts were shown
    finally:
        engine.dispose()
    with served(database_url) as again:
        assert "secretariat" in again.accounts, again.output
        with closing(again.client("secretariat")) as client:
            assert client.get("/api/parks").json()[0]["name"] == "Kalundborg Symbiosis"


def pid_of(worker: str) -> int:
    """The process id of a worker of this host (``host:pid:start``)."""
    host, pid, _ = worker.split(":")
    assert host == socket.gethostname()
    return int(pid)


def children(pid: int) -> set[int]:
    """The processes started by process ``pid`` (uvicorn's workers)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found
