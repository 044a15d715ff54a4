"""The job runner of one server process: a thread that claims queued jobs from the
database, runs each on the park as saved, reports its progress, stops it when cancelled
and stores its result. Every process runs one, so jobs survive any one process."""

from __future__ import annotations

import threading
import time
import traceback
from datetime import timedelta

from sqlalchemy import Engine

from symbionet.analyses import run_analysis
from symbionet.errors import SymbionetError
from symbionet.store import jobs
from symbionet.store.repository import read_stored_park

LOST = "the database could not be reached when this job ended: run it again"


class Cancelled(Exception):
    """Raised from a job's progress report once cancelling was asked."""


class JobRunner:
    """Runs the queued jobs one at a time in a thread, until stopped."""

    def __init__(
        self,
        engine: Engine,
        poll: float = 0.5,
        stale_after: timedelta = jobs.STALE_AFTER,
        report_every: float = 0.5,
    ) -> None:
        self.engine = engine
        self.poll = poll
        self.stale_after = stale_after
        self.report_every = report_every
        self.worker = jobs.worker_name()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="symbionet-jobs", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                jobs.recover_jobs(self.engine, self.stale_after)
                job = jobs.claim_job(self.engine, self.worker)
            except Exception:  # the database is away for a moment: try again later
                traceback.print_exc()
                job = None
            if job is None:
                self.stopping.wait(self.poll)
                continue
            try:
                self.run(job)
            except Exception:  # its end could not be stored: the database is away
                traceback.print_exc()
                self._lost(job.id)

    def _lost(self, job_id: int) -> None:
        """Mark failed, once the database is back, a job whose end could not be stored
        (nothing else would: its worker lives)."""
        while not self.stopping.is_set():
            try:
                jobs.fail_job(self.engine, job_id, LOST)
                return
            except Exception:
                traceback.print_exc()
                self.stopping.wait(self.poll)

    def run(self, job: jobs.Job) -> None:
        """Run one claimed job to its end: done, failed or cancelled."""
        beating = threading.Event()
        heart = threading.Thread(target=self._beat, args=(job.id, beating), daemon=True)
        heart.start()
        last = 0.0

        def progress(message: str, done: float, total: float | None = None) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last < self.report_every and not (total and done >= total):
                return
            last = now
            fraction = done / total if total else 0.0
            if jobs.job_progress(self.engine, job.id, fraction, message):
                raise Cancelled

        try:
            stored = read_stored_park(self.engine, job.park_id)
            result = run_analysis(job.kind, stored.park, job.options, progress)
            jobs.finish_job(self.engine, job.id, result.to_dict(), stored.version, result)
        except Cancelled:
            jobs.fail_job(self.engine, job.id, "cancelled", status="cancelled")
        except SymbionetError as error:
            jobs.fail_job(self.engine, job.id, str(error))
        except Exception as error:  # a job never takes its runner down
            traceback.print_exc()
            jobs.fail_job(self.engine, job.id, f"{type(error).__name__}: {error}")
        finally:
            beating.set()
            heart.join()

    def _beat(self, job_id: int, done: threading.Event) -> None:
        """Tell the database every few seconds that the job's worker lives (a solver can
        be silent for long)."""
        interval = max(1.0, self.stale_after.total_seconds() / 6)
        while not done.wait(interval):
            try:
                jobs.heartbeat(self.engine, job_id)
            except Exception:
                traceback.print_exc()


__all__ = ["LOST", "Cancelled", "JobRunner"]
