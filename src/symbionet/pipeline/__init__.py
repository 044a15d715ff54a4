"""The synergy pipeline: every synergy as a project moving from idea to operating exchange.

Plain functions over a park's ``pipeline``, ``pipeline_log`` and ``risks`` tables: make
and move projects (each returns a new park), and read the funnel, the board, the time to
operation and where projects stall. The names are imported when first used.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "STAGES": "symbionet.register.stages",
    "RULES": "symbionet.register.stages",
    "propose": "symbionet.pipeline.edits",
    "from_candidate": "symbionet.pipeline.edits",
    "move": "symbionet.pipeline.edits",
    "decide": "symbionet.pipeline.edits",
    "add_risk": "symbionet.pipeline.edits",
    "projects": "symbionet.pipeline.figures",
    "funnel": "symbionet.pipeline.figures",
    "board": "symbionet.pipeline.figures",
    "time_to_operation": "symbionet.pipeline.figures",
    "OperationTimes": "symbionet.pipeline.figures",
    "stalls": "symbionet.pipeline.figures",
    "stage_times": "symbionet.pipeline.figures",
    "risk_register": "symbionet.pipeline.figures",
    "write_pipeline": "symbionet.pipeline.files",
}

if TYPE_CHECKING:
    from symbionet.pipeline.edits import add_risk, decide, from_candidate, move, propose
    from symbionet.pipeline.figures import (
        OperationTimes,
        board,
        funnel,
        projects,
        risk_register,
        stage_times,
        stalls,
        time_to_operation,
    )
    from symbionet.pipeline.files import write_pipeline
    from symbionet.register.stages import RULES, STAGES


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)


__all__ = [
    "RULES",
    "STAGES",
    "OperationTimes",
    "add_risk",
    "board",
    "decide",
    "from_candidate",
    "funnel",
    "move",
    "projects",
    "propose",
    "risk_register",
    "stage_times",
    "stalls",
    "time_to_operation",
    "write_pipeline",
]
