"""The job queue in the database: each queued job claimed by exactly one worker, progress
and cancelling, jobs of dead or silent workers marked failed, the newest result, and the
job runner of a server process running real analyses; on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.exc import OperationalError

from symbionet.register.park import load_park
from symbionet.store import jobs
from symbionet.store.database import open_database
from symbionet.store.model import metadata
from symbionet.store.repository import read_stored_park, save_park, update_row
from symbionet.web.runner import JobRunner
from tests.servers import KALUNDBORG

HOST = socket.gethostname()
STOPPED = "the server stopped while this job ran"


@pytest.fixture
def park_id(engine: Engine) -> int:
    """The Kalundborg example, saved."""
    return save_park(engine, load_park(KALUNDBORG), "tests")


def submit(engine: Engine, park_id: int, kind: str = "discover", **options: Any) -> jobs.Job:
    return jobs.submit_job(engine, park_id, kind, options, "secretariat@park.example")


def set_heartbeat(engine: Engine, job_id: int, ago: timedelta) -> None:
    table = metadata().tables["jobs"]
    with engine.begin() as connection:
        connection.execute(
            update(table).where(table.c.id == job_id).values(heartbeat=jobs._now() - ago)
        )


def wait_until_finished(engine: Engine, job_id: int, seconds: float = 120) -> jobs.Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = jobs.get_job(engine, job_id)
        if job.status in jobs.FINISHED:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not end within {seconds} s")


def test_workers_claiming_at_once_claim_each_job_exactly_once(
    database_url: str, engine: Engine, park_id: int
) -> None:
    submitted = [submit(engine, park_id, top=i + 1).id for i in range(20)]
    workers = [f"{HOST}:{900000 + n}" for n in range(4)]
    claimed: dict[str, list[int]] = {worker: [] for worker in workers}
    errors: list[BaseException] = []
    start = threading.Barrier(len(workers))

    def claim_all(worker: str) -> None:
        own = open_database(database_url)  # an engine of its own, as a process has
        try:
            start.wait()
            while (job := jobs.claim_job(own, worker)) is not None:
                assert job.status == "running"
                claimed[worker].append(job.id)
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            own.dispose()

    threads = [threading.Thread(target=claim_all, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    everything = [job_id for ids in claimed.values() for job_id in ids]
    assert sorted(everything) == submitted  # each job once: none lost, none twice
    for ids in claimed.values():
        assert ids == sorted(ids)  # each worker takes the oldest waiting job
        for job_id in ids:
            stored = jobs.get_job(engine, job_id)
            assert stored.status == "running" and stored.started is not None
    table = metadata().tables["jobs"]
    with engine.connect() as connection:
        owner = dict(
            connection.execute(table.select().with_only_columns(table.c.id, table.c.worker)).all()
        )
    assert all(owner[job_id] == worker for worker, ids in claimed.items() for job_id in ids)
    assert jobs.claim_job(engine, workers[0]) is None


def test_progress_is_stored_and_a_running_job_learns_it_is_cancelled(
    engine: Engine, park_id: int
) -> None:
    job = submit(engine, park_id)
    assert jobs.claim_job(engine, "here:1") == jobs.get_job(engine, job.id)
    assert jobs.job_progress(engine, job.id, 0.25, "a quarter") is False
    stored = jobs.get_job(engine, job.id)
    assert (stored.progress, stored.message) == (0.25, "a quarter")
    assert jobs.job_progress(engine, job.id, 1.7, "beyond") is False
    assert jobs.get_job(engine, job.id).progress == 1.0  # a fraction stays within 0..1
    asked = jobs.cancel_job(engine, job.id)
    assert asked.status == "running"  # it stops at its next progress report
    assert jobs.job_progress(engine, job.id, 0.5, "half") is True
    jobs.fail_job(engine, job.id, "cancelled", status="cancelled")
    stopped = jobs.get_job(engine, job.id)
    assert stopped.status == "cancelled" and stopped.finished is not None
    # a finished job reports no more progress
    assert jobs.job_progress(engine, job.id, 0.9, "late") is False
    assert jobs.get_job(engine, job.id).progress == 0.5


def test_a_queued_job_is_cancelled_at_once_and_never_claimed(engine: Engine, park_id: int) -> None:
    job = submit(engine, park_id)
    cancelled = jobs.cancel_job(engine, job.id)
    assert cancelled.status == "cancelled" and cancelled.finished is not None
    assert jobs.claim_job(engine, "here:1") is None


def test_a_finished_job_stays_as_it_was_when_cancelled(engine: Engine, park_id: int) -> None:
    done, failed = submit(engine, park_id), submit(engine, park_id)
    for _ in (done, failed):
        jobs.claim_job(engine, "here:1")
    jobs.finish_job(engine, done.id, {"found": 3}, 1)
    jobs.fail_job(engine, failed.id, "no solver")
    before = [jobs.get_job(engine, done.id), jobs.get_job(engine, failed.id)]
    assert [jobs.cancel_job(engine, job.id) for job in before] == before
    assert before[0].result == {"found": 3} and before[0].park_version == 1
    assert before[1].status == "failed" and before[1].error == "no solver"
    # nor does a late result or failure change a finished job
    jobs.finish_job(engine, failed.id, {"found": 1}, 1)
    jobs.fail_job(engine, done.id, "late")
    assert [jobs.get_job(engine, job.id) for job in before] == before


@pytest.fixture
def live_pid() -> Iterator[int]:
    """A process of this host that lives for the test."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait()


def dead_pid() -> int:
    """The id of a process of this host that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_jobs_of_dead_or_silent_workers_are_marked_failed(
    engine: Engine, park_id: int, live_pid: int
) -> None:
    workers = {
        "dead process": f"{HOST}:{dead_pid()}",
        "silent process": f"{HOST}:{live_pid}",
        "silent elsewhere": "elsewhere:1",
        "live process": f"{HOST}:{live_pid}",
        "live elsewhere": "elsewhere:2",
    }
    ids = {}
    for name, worker in workers.items():
        ids[name] = submit(engine, park_id).id
        assert jobs.claim_job(engine, worker) is not None
    for name in ("silent process", "silent elsewhere"):
        set_heartbeat(engine, ids[name], timedelta(minutes=2))
    set_heartbeat(engine, ids["dead process"], timedelta(0))  # just reported, yet gone
    waiting = submit(engine, park_id).id

    assert jobs.recover_jobs(engine, stale_after=timedelta(minutes=1)) == 3
    status = {name: jobs.get_job(engine, job_id) for name, job_id in ids.items()}
    for name in ("dead process", "silent process", "silent elsewhere"):
        assert status[name].status == "failed", name
        assert STOPPED in (status[name].error or "") and status[name].finished is not None
    for name in ("live process", "live elsewhere"):
        assert status[name].status == "running", name
    assert jobs.get_job(engine, waiting).status == "queued"
    assert jobs.recover_jobs(engine, stale_after=timedelta(minutes=1)) == 0
    # the worker of a failed job is told to stop at its next report, which stores nothing
    assert jobs.job_progress(engine, ids["silent process"], 0.5, "still here") is False
    assert jobs.get_job(engine, ids["silent process"]).status == "failed"


def test_a_process_never_recovers_its_own_running_job(engine: Engine, park_id: int) -> None:
    job = submit(engine, park_id)
    jobs.claim_job(engine, jobs.worker_name())
    set_heartbeat(engine, job.id, timedelta(minutes=5))
    assert jobs.recover_jobs(engine, stale_after=timedelta(minutes=1)) == 0
    assert jobs.get_job(engine, job.id).status == "running"


def test_a_job_of_an_earlier_process_of_this_id_is_recovered(engine: Engine, park_id: int) -> None:
    """A server restarted in a container has the process id it had before (1, say): the
    jobs its earlier self left running are not its own, and are marked failed at once."""
    earlier = [f"{HOST}:{os.getpid()}", f"{HOST}:{os.getpid()}:0bad0bad"]
    ids = []
    for worker in earlier:
        ids.append(submit(engine, park_id).id)
        assert jobs.claim_job(engine, worker) is not None
    mine = submit(engine, park_id).id
    jobs.claim_job(engine, jobs.worker_name())
    assert jobs.worker_name() not in earlier
    assert jobs.recover_jobs(engine, stale_after=timedelta(minutes=1)) == 2
    for job_id in ids:
        assert STOPPED in (jobs.get_job(engine, job_id).error or "")
    assert jobs.get_job(engine, mine).status == "running"


def test_the_latest_result_is_the_newest_done_job_of_its_kind(engine: Engine, park_id: int) -> None:
    assert jobs.latest_result(engine, park_id, "discover") is None
    made = [
        submit(engine, park_id, "discover"),
        submit(engine, park_id, "discover"),
        submit(engine, park_id, "share"),
        submit(engine, park_id, "discover"),
        submit(engine, park_id, "discover"),
    ]
    for _ in made:
        jobs.claim_job(engine, "here:1")
    # finished out of order: the newest job, not the last to finish, is the latest
    jobs.finish_job(engine, made[1].id, {"run": 1}, 1)
    jobs.finish_job(engine, made[0].id, {"run": 0}, 1)
    jobs.finish_job(engine, made[2].id, {"run": 2}, 1)
    jobs.fail_job(engine, made[3].id, "infeasible")
    latest = jobs.latest_result(engine, park_id, "discover")
    assert latest is not None and latest.id == made[1].id and latest.result == {"run": 1}
    jobs.cancel_job(engine, made[4].id)
    jobs.fail_job(engine, made[4].id, "cancelled", status="cancelled")
    assert jobs.latest_result(engine, park_id, "discover") == latest
    share = jobs.latest_result(engine, park_id, "share")
    assert share is not None and share.result == {"run": 2}
    assert [job.id for job in jobs.park_jobs(engine, park_id)] == [j.id for j in reversed(made)]
    assert all(job.result is None for job in jobs.park_jobs(engine, park_id))


@pytest.fixture
def runner(engine: Engine) -> Iterator[JobRunner]:
    running = JobRunner(engine, poll=0.05, report_every=0.05)
    running.start()
    try:
        yield running
    finally:
        running.stop()
        assert not running.thread.is_alive()


def test_the_runner_runs_a_job_and_stores_its_result_with_the_park_version(
    engine: Engine, park_id: int, runner: JobRunner
) -> None:
    version = read_stored_park(engine, park_id).rows["streams"]["novo_yeast"]
    update_row(engine, park_id, "streams", "novo_yeast", {"quantity": 160000}, version, "tests")
    job = submit(engine, park_id, "discover", top=3)
    done = wait_until_finished(engine, job.id)
    assert done.status == "done", done.error
    assert done.park_version == 2  # the version saved after the change
    assert done.progress == 1.0 and done.finished is not None and done.error is None
    assert done.result is not None and len(done.result["candidates"]) == 3
    assert done.result["options"]["top"] == 3
    table = metadata().tables["jobs"]
    with engine.connect() as connection:
        worker = connection.execute(
            table.select().with_only_columns(table.c.worker).where(table.c.id == job.id)
        ).scalar()
    assert worker == runner.worker == jobs.worker_name()
    assert jobs.latest_result(engine, park_id, "discover") == done


def test_a_job_failing_in_its_analysis_ends_failed_and_the_runner_runs_the_next(
    engine: Engine, park_id: int, runner: JobRunner
) -> None:
    bad = submit(engine, park_id, "discover", top=-2)
    unknown = submit(engine, park_id, "discover", tops=3)
    good = submit(engine, park_id, "discover", top=2)
    failed = wait_until_finished(engine, bad.id)
    assert failed.status == "failed" and failed.result is None
    assert "top" in (failed.error or "") and failed.message == failed.error
    assert wait_until_finished(engine, unknown.id).status == "failed"
    assert "tops" in (jobs.get_job(engine, unknown.id).error or "")
    done = wait_until_finished(engine, good.id)
    assert done.status == "done" and len((done.result or {})["candidates"]) == 2


def test_the_runner_outlives_a_database_away_when_a_job_ends(
    engine: Engine, park_id: int, runner: JobRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job's end cannot be stored (the database is away): once it is back, the job is
    marked failed and the runner goes on with the next job."""
    away = threading.Event()
    away.set()
    tried = threading.Event()
    store = {"finish": jobs.finish_job, "fail": jobs.fail_job}

    def unreachable(name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> None:
            tried.set()
            if away.is_set():
                raise OperationalError("UPDATE jobs", {}, ConnectionError("server closed"))
            store[name](*args, **kwargs)

        return call

    monkeypatch.setattr(jobs, "finish_job", unreachable("finish"))
    monkeypatch.setattr(jobs, "fail_job", unreachable("fail"))
    first = submit(engine, park_id, "discover", top=1)
    assert tried.wait(60)
    time.sleep(0.3)
    assert jobs.get_job(engine, first.id).status == "running"
    away.clear()
    second = submit(engine, park_id, "discover", top=2)
    lost = wait_until_finished(engine, first.id, seconds=30)
    assert lost.status == "failed" and "database" in (lost.error or "")
    assert wait_until_finished(engine, second.id, seconds=60).status == "done"
    assert runner.thread.is_alive()


def test_the_runner_stops_a_running_job_cancelled_at_its_next_report(
    engine: Engine, park_id: int, runner: JobRunner
) -> None:
    job = submit(engine, park_id, "assess")
    deadline = time.monotonic() + 60
    while jobs.get_job(engine, job.id).status == "queued" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert jobs.cancel_job(engine, job.id).status == "running"
    stopped = wait_until_finished(engine, job.id)
    assert stopped.status == "cancelled" and stopped.result is None
    assert stopped.progress < 1.0
    after = submit(engine, park_id, "discover", top=1)
    assert wait_until_finished(engine, after.id).status == "done"
