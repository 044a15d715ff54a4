"""Where many independent solves run: :func:`run_tasks` sends them to any
``concurrent.futures`` executor, and :func:`executor_for` opens the one a user chooses:
this process, a local Dask cluster of worker processes, or a Dask cluster's scheduler.

Dask reruns a task whose worker is lost (up to the scheduler's
``distributed.scheduler.allowed-failures`` times, 3 by default), so a killed worker
loses no result.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, TypeVar

from symbionet.errors import invalid
from symbionet.progress import Progress, silent

#: Worker processes take a while to start: with no executor given, fewer tasks than this
#: run in this process.
PARALLEL_FROM = 8

#: The environment variable naming a Dask scheduler, as ``--scheduler`` does.
SCHEDULER_VARIABLE = "SYMBIONET_SCHEDULER"

#: Seconds to wait for a Dask scheduler to answer.
CONNECT_TIMEOUT = 5

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


class InProcess(Executor):
    """Each call run at once in this process, when it is submitted: one after the other."""

    def submit(self, fn: Callable[..., Outcome], /, *args: Any, **kwargs: Any) -> Future[Outcome]:
        future: Future[Outcome] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:
            future.set_exception(error)
        return future


def run_tasks(
    function: Callable[[Item], Outcome],
    items: Sequence[Item],
    executor: Executor | None = None,
    progress: Progress = silent,
    message: str = "solving",
) -> list[Outcome]:
    """``function`` of each item, in the items' order, on ``executor`` (None: a process pool
    sized to the machine, shut down before returning; in this process for fewer than
    ``PARALLEL_FROM`` items, or in a process that cannot start others, such as a Dask
    worker running a task that has tasks of its own). ``function`` and the items must
    pickle for a process or Dask executor. ``progress(message, done, total)`` follows each
    finished item."""
    total = len(items)
    progress(message, 0, total)
    if isinstance(executor, InProcess) or (
        executor is None and (total < PARALLEL_FROM or multiprocessing.current_process().daemon)
    ):
        outcomes = []
        for done, item in enumerate(items, start=1):
            outcomes.append(function(item))
            progress(message, done, total)
        return outcomes
    pool = executor or ProcessPoolExecutor(max_workers=os.cpu_count() or 1)
    futures: list[Future[Outcome]] = [pool.submit(function, item) for item in items]
    try:
        for done, future in enumerate(as_completed(futures), start=1):
            future.result()
            progress(message, done, total)
        return [future.result() for future in futures]
    finally:
        for future in futures:
            future.cancel()
        if executor is None:
            pool.shutdown()


@contextmanager
def executor_for(
    workers: int | None = None, scheduler: str | None = None
) -> Iterator[Executor | None]:
    """The executor a user chooses, closed on leaving what was opened for it.

    ``scheduler`` (or the ``SYMBIONET_SCHEDULER`` environment variable when neither is
    given), such as ``tcp://HOST:8786``: a client of that Dask cluster, whose workers run
    the tasks (the cluster itself is left running). ``workers=1``: one task after the
    other in this process; ``workers=N``: a local Dask cluster of N worker processes on
    127.0.0.1, started and stopped here. Neither: None, the default of every function
    that takes an executor (a process pool for a call with many tasks).
    """
    if workers is not None and scheduler is not None:
        raise invalid("workers", "give a scheduler or a number of workers, not both")
    if workers is not None and workers < 1:
        raise invalid("workers", f"must be 1 or more, not {workers}")
    if workers is None:
        scheduler = scheduler or os.environ.get(SCHEDULER_VARIABLE) or None
    if workers == 1:
        yield InProcess()
    elif workers is not None:
        with local_cluster(workers) as address, _client(address) as client:
            yield client.get_executor(pure=False)
    elif scheduler is not None:
        with _client(scheduler) as client:
            yield client.get_executor(pure=False)
    else:
        yield None


@contextmanager
def local_cluster(workers: int) -> Iterator[str]:
    """The address of a Dask cluster of ``workers`` processes of one thread each, started
    here and stopped on leaving: on the loopback, without a dashboard (its web server, for
    health checks, on a free port)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    ) as cluster:
        yield cluster.scheduler_address


@contextmanager
def _client(address: str) -> Iterator[Any]:
    """A client of the Dask scheduler at ``address``; a scheduler that does not answer is
    an error that says what to check."""
    import dask
    from distributed import Client

    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, ValueError, TypeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise invalid(
            "scheduler",
            f"no Dask scheduler answers at {address!r} ({reason}): check that "
            "`dask scheduler` runs there, that its port is open to this machine, and the "
            "address (tcp://HOST:PORT, port 8786 by default)",
        ) from None
    # a task carries its part of a park (a region, a scenario's park) by design
    with client, dask.config.set({"distributed.admin.large-graph-warning-threshold": "2GB"}):
        yield client


__all__ = [
    "CONNECT_TIMEOUT",
    "PARALLEL_FROM",
    "SCHEDULER_VARIABLE",
    "InProcess",
    "executor_for",
    "local_cluster",
    "run_tasks",
]
