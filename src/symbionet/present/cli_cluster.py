"""Where the commands that run many solves run them: ``--scheduler`` for a Dask cluster,
``--workers`` for worker processes on this machine (see
:func:`symbionet.executors.executor_for`)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Run on the Dask cluster of this scheduler, e.g. tcp://HOST:8786 "
        "(default: the SYMBIONET_SCHEDULER environment variable).",
        show_default=False,
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Run on a Dask cluster of N worker processes started on this machine "
        "(1: one after the other in this process).",
        show_default=False,
    ),
]

RegionsOption = Annotated[
    int | None,
    typer.Option(
        "--regions",
        min=1,
        help="Search the park in N regions, each a task on the workers (the same answer); "
        "with --scheduler or --workers and no --regions: 8.",
        show_default=False,
    ),
]

#: Regions of a discovery sent to a cluster when the command names none.
CLUSTER_REGIONS = 8


def regions_for(regions: int | None, workers: int | None, scheduler: str | None) -> int | None:
    """The regions a discovery is split into: as given, else ``CLUSTER_REGIONS`` when it
    runs on workers (``--workers`` above 1, ``--scheduler`` or ``SYMBIONET_SCHEDULER``),
    else none (one search in this process)."""
    from symbionet.executors import SCHEDULER_VARIABLE

    on_cluster = (workers or 1) > 1 or bool(scheduler or os.environ.get(SCHEDULER_VARIABLE))
    return regions if regions is not None else CLUSTER_REGIONS if on_cluster else None


__all__ = ["CLUSTER_REGIONS", "RegionsOption", "SchedulerOption", "WorkersOption", "regions_for"]
