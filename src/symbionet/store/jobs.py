"""Analyses as jobs in the database: queued by a request, claimed by one worker of any
server process, reporting progress, cancelled on request, their result stored with who
ran them, when, with which options and on which version of the park."""

from __future__ import annotations

import os
import pickle
import re
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Row,
    Table,
    Text,
    insert,
    null,
    select,
    update,
)

from symbionet.errors import SymbionetError
from symbionet.store.model import park_column

Status = Literal["queued", "running", "done", "failed", "cancelled"]
FINISHED = ("done", "failed", "cancelled")

#: a running job whose worker has not been heard from for this long is marked failed
STALE_AFTER = timedelta(seconds=60)


def declare_tables(metadata: MetaData) -> None:
    """Add ``jobs`` to ``metadata``."""
    Table(
        "jobs",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        park_column(),
        Column("kind", Text, nullable=False),
        Column("options", JSON, nullable=False),
        Column("author", Text, nullable=False),
        Column("status", Text, nullable=False, index=True),
        Column("progress", Float, nullable=False),
        Column("message", Text, nullable=False),
        Column("park_version", Integer, nullable=True),
        Column("worker", Text, nullable=True),
        Column("cancel", Boolean, nullable=False),
        Column("created", DateTime, nullable=False),
        Column("started", DateTime, nullable=True),
        Column("heartbeat", DateTime, nullable=True),
        Column("finished", DateTime, nullable=True),
        Column("result", JSON, nullable=True),
        # the result itself, pickled, for what needs more than its plain data (reports)
        Column("artifact", LargeBinary, nullable=True),
        Column("error", Text, nullable=True),
    )


@dataclass(frozen=True)
class Job:
    """One analysis of a park, as stored; ``result`` is its plain data once done."""

    id: int
    park_id: int
    kind: str
    options: dict[str, Any]
    author: str
    status: Status
    progress: float
    message: str
    park_version: int | None
    created: datetime
    started: datetime | None
    finished: datetime | None
    result: dict[str, Any] | None
    error: str | None

    def summary(self) -> dict[str, Any]:
        """Everything but the result, for lists and progress."""
        fields = {k: v for k, v in self.__dict__.items() if k != "result"}
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}


def _table() -> Table:
    from symbionet.store.model import metadata

    return metadata().tables["jobs"]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _selected(result: bool = True) -> list[Any]:
    """The columns read of a job: never its artifact; its result unless ``result`` is false
    (read as null)."""
    jobs = _table()
    chosen = [c for c in jobs.c if c.name not in ("artifact", "result")]
    return [*chosen, jobs.c.result if result else null().label("result")]


def _job(row: Row[Any] | Any) -> Job:
    values = row._mapping

    def moment(name: str) -> datetime | None:
        value = values[name]
        return None if value is None else value.replace(tzinfo=UTC)

    return Job(
        id=values["id"],
        park_id=values["park_id"],
        kind=values["kind"],
        options=values["options"],
        author=values["author"],
        status=values["status"],
        progress=values["progress"],
        message=values["message"],
        park_version=values["park_version"],
        created=values["created"].replace(tzinfo=UTC),
        started=moment("started"),
        finished=moment("finished"),
        result=values["result"],
        error=values["error"],
    )


_STARTS: dict[int, str] = {}


def worker_name() -> str:
    """This process as a worker: ``host:pid:start``, ``start`` made at random once per
    process, telling it from an earlier process of the same id (a server restarted in a
    container has the id it had before)."""
    pid = os.getpid()
    start = _STARTS.setdefault(pid, secrets.token_hex(4))
    return f"{socket.gethostname()}:{pid}:{start}"


def submit_job(
    engine: Engine, park_id: int, kind: str, options: dict[str, Any], author: str
) -> Job:
    """Queue an analysis of a park."""
    jobs = _table()
    with engine.begin() as connection:
        row = connection.execute(
            insert(jobs)
            .values(
                park_id=park_id,
                kind=kind,
                options=options,
                author=author,
                status="queued",
                progress=0.0,
                message="waiting for a worker",
                cancel=False,
                created=_now(),
            )
            .returning(*_selected())
        ).one()
    return _job(row)


def claim_job(engine: Engine, worker: str) -> Job | None:
    """The oldest queued job, now running for ``worker``; ``None`` when none waits. Two
    workers never claim the same job."""
    jobs = _table()
    while True:
        with engine.begin() as connection:
            waiting = connection.execute(
                select(jobs.c.id).where(jobs.c.status == "queued").order_by(jobs.c.id).limit(1)
            ).scalar()
            if waiting is None:
                return None
            now = _now()
            row = connection.execute(
                update(jobs)
                .where(jobs.c.id == waiting, jobs.c.status == "queued")
                .values(
                    status="running",
                    worker=worker,
                    started=now,
                    heartbeat=now,
                    message="started",
                )
                .returning(*_selected())
            ).first()
        if row is not None:
            return _job(row)


def job_progress(engine: Engine, job_id: int, fraction: float, message: str) -> bool:
    """Note a running job's progress (and that its worker lives); whether it should stop
    because cancelling was asked."""
    jobs = _table()
    with engine.begin() as connection:
        cancel = connection.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status == "running")
            .values(progress=min(max(fraction, 0.0), 1.0), message=message, heartbeat=_now())
            .returning(jobs.c.cancel)
        ).scalar()
    return bool(cancel)


def heartbeat(engine: Engine, job_id: int) -> None:
    """Note that a running job's worker lives."""
    jobs = _table()
    with engine.begin() as connection:
        connection.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status == "running")
            .values(heartbeat=_now())
        )


def _finish(engine: Engine, job_id: int, status: Status, **values: Any) -> None:
    jobs = _table()
    with engine.begin() as connection:
        connection.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status == "running")
            .values(status=status, finished=_now(), **values)
        )


def finish_job(
    engine: Engine,
    job_id: int,
    result: dict[str, Any],
    park_version: int,
    artifact: object | None = None,
) -> None:
    """Store a job's result (plain data, and the ``artifact`` it came from, pickled), and
    the version of the park it was computed on."""
    _finish(
        engine,
        job_id,
        "done",
        result=result,
        artifact=None if artifact is None else pickle.dumps(artifact),
        park_version=park_version,
        progress=1.0,
        message="done",
    )


def fail_job(engine: Engine, job_id: int, error: str, status: Status = "failed") -> None:
    """Mark a running job failed (or ``cancelled``) with the reason."""
    _finish(engine, job_id, status, error=error, message=error)


def cancel_job(engine: Engine, job_id: int) -> Job:
    """Ask a job to stop: a queued job is cancelled at once, a running one at its next
    progress report; a finished one is left as it is."""
    jobs = _table()
    with engine.begin() as connection:
        connection.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status == "queued")
            .values(status="cancelled", finished=_now(), message="cancelled")
        )
        connection.execute(
            update(jobs).where(jobs.c.id == job_id, jobs.c.status == "running").values(cancel=True)
        )
    return get_job(engine, job_id)


def _alive(worker: str | None) -> bool:
    """Whether a worker could still be running: one of another host, or a live process
    of this one."""
    named = re.fullmatch(r"(.*?):(\d+)(:\w+)?", worker or "")
    if named is None or named[1] != socket.gethostname():
        return True
    pid = named[2]
    if int(pid) == os.getpid():  # this process, or an earlier one of the same id
        return worker == worker_name()
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_jobs(engine: Engine, stale_after: timedelta = STALE_AFTER) -> int:
    """Mark failed the running jobs whose worker died (its process is gone, or it has not
    reported for ``stale_after``); how many."""
    jobs = _table()
    with engine.connect() as connection:
        running = connection.execute(
            select(jobs.c.id, jobs.c.worker, jobs.c.heartbeat).where(jobs.c.status == "running")
        ).all()
    limit = _now() - stale_after
    dead = [
        job.id
        for job in running
        if job.worker != worker_name()
        and (not _alive(job.worker) or job.heartbeat is None or job.heartbeat < limit)
    ]
    for job_id in dead:
        fail_job(engine, job_id, "the server stopped while this job ran: run it again")
    return len(dead)


def get_job(engine: Engine, job_id: int) -> Job:
    """One job, with its result."""
    jobs = _table()
    with engine.connect() as connection:
        row = connection.execute(select(*_selected()).where(jobs.c.id == job_id)).first()
    if row is None:
        raise SymbionetError(f"no job {job_id}")
    return _job(row)


def park_jobs(engine: Engine, park_id: int, limit: int = 50) -> list[Job]:
    """A park's latest jobs, newest first, without their results."""
    jobs = _table()
    with engine.connect() as connection:
        rows = connection.execute(
            select(*_selected(result=False))
            .where(jobs.c.park_id == park_id)
            .order_by(jobs.c.id.desc())
            .limit(limit)
        ).all()
    return [_job(row) for row in rows]


def latest_result(engine: Engine, park_id: int, kind: str) -> Job | None:
    """The newest finished job of ``kind`` for a park, with its result."""
    jobs = _table()
    with engine.connect() as connection:
        row = connection.execute(
            select(*_selected())
            .where(jobs.c.park_id == park_id, jobs.c.kind == kind, jobs.c.status == "done")
            .order_by(jobs.c.id.desc())
            .limit(1)
        ).first()
    return None if row is None else _job(row)


def job_artifact(engine: Engine, job_id: int) -> Any:
    """The result object a finished job stored (``None`` when it stored none). It is read
    back with pickle: the database is trusted as the server's own store."""
    jobs = _table()
    with engine.connect() as connection:
        data = connection.execute(select(jobs.c.artifact).where(jobs.c.id == job_id)).scalar()
    return None if data is None else pickle.loads(data)


__all__ = [
    "FINISHED",
    "STALE_AFTER",
    "Job",
    "Status",
    "cancel_job",
    "claim_job",
    "declare_tables",
    "fail_job",
    "finish_job",
    "get_job",
    "heartbeat",
    "job_artifact",
    "job_progress",
    "latest_result",
    "park_jobs",
    "recover_jobs",
    "submit_job",
    "worker_name",
]
