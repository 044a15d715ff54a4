"""Solving linopy models with HiGHS: one thread-safe wrapper for every step that optimises.

The HiGHS model is built here, with its output switched off before anything is added
to it, so that HiGHS never writes to the process's standard output (which carries JSON
for ``--json`` commands) and no file descriptor is touched: models may be solved in
several threads at once, as in a web server's thread pool. With ``verbose`` the solver's
log goes to standard error through HiGHS's logging callback.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import highspy
import linopy
import numpy as np
from highspy.highs import HighsCallbackEvent
from linopy.constants import Result, Solution, Status

__all__ = ["Solved", "gap_and_bound", "solve"]

# HiGHS's primal and dual solution status of a feasible solution
FEASIBLE = 2
# linopy's termination conditions of a run stopped by a limit
LIMITS = ("time_limit", "iteration_limit", "terminated_by_limit")
# HiGHS's model status -> linopy's termination condition
TERMINATION = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible_or_unbounded",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kIterationLimit: "iteration_limit",
    highspy.HighsModelStatus.kObjectiveBound: "terminated_by_limit",
    highspy.HighsModelStatus.kObjectiveTarget: "terminated_by_limit",
    highspy.HighsModelStatus.kSolutionLimit: "terminated_by_limit",
    highspy.HighsModelStatus.kInterrupt: "user_interrupt",
    highspy.HighsModelStatus.kMemoryLimit: "resource_interrupt",
}
NO_SOLUTION = "no solution"


@dataclass(frozen=True)
class Solved:
    """What HiGHS proved about a model.

    ``status`` is ``ok`` only at a proven optimum (within the MIP gap); a run stopped by a
    limit is ``time limit`` (or ``iteration limit``) when HiGHS holds a feasible solution
    and ``no solution`` when it holds none; otherwise linopy's status (``warning`` for an
    infeasible model). ``termination`` is linopy's termination condition (``optimal``,
    ``infeasible``, ``time_limit``...). ``feasible``: HiGHS holds a feasible solution, and
    the model's variables hold it (``model.solver_model`` is then the HiGHS instance).
    ``gap`` and ``bound``: a MIP's relative gap and dual bound; an LP's 0 and optimum, or
    infinity and NaN where nothing is proven. The bound leaves out the objective's
    constant term.
    """

    status: str
    termination: str
    seconds: float
    feasible: bool
    gap: float
    bound: float

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def solve(
    model: linopy.Model,
    *,
    mip_rel_gap: float | None = None,
    time_limit: float | None = None,
    verbose: bool = False,
    **options: Any,
) -> Solved:
    """Solve a linear model with HiGHS and write its solution (and an LP's duals) to it.

    ``mip_rel_gap`` and ``time_limit`` (seconds) are HiGHS's options of those names (None:
    HiGHS's defaults); ``verbose`` sends the solver's log to standard error; other HiGHS
    options go by their names (``mip_max_improving_sols=1``).
    """
    started = time.perf_counter()
    highs = _highs(model, verbose)
    if mip_rel_gap is not None:
        highs.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    if time_limit is not None and math.isfinite(time_limit):
        highs.setOptionValue("time_limit", float(time_limit))
    for name, value in options.items():
        highs.setOptionValue(name, value)
    model.reset_solution()
    highs.run()
    termination = TERMINATION.get(highs.getModelStatus(), "unknown")
    feasible = highs.getInfo().primal_solution_status == FEASIBLE
    _hand_back(model, highs, termination, feasible)
    status = str(model.status)
    if termination in LIMITS and status == "ok":
        status = termination.replace("_", " ") if feasible else NO_SOLUTION
    gap, bound = gap_and_bound(model)
    return Solved(status, termination, time.perf_counter() - started, feasible, gap, bound)


def _highs(model: linopy.Model, verbose: bool) -> highspy.Highs:
    """A HiGHS instance holding the model, its output off or sent to standard error."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", verbose)
    highs.setOptionValue("log_to_console", False)
    if verbose:
        highs.cbLogging.subscribe(_to_stderr)
    model.constraints.sanitize_zeros()
    model.constraints.sanitize_infinities()
    matrices = model.matrices
    highs.addVars(len(matrices.vlabels), matrices.lb, matrices.ub)
    integer = np.flatnonzero(np.isin(matrices.vtypes, ("B", "I")))
    if len(integer):
        kinds = np.full(len(integer), highspy.HighsVarType.kInteger, dtype=np.uint8)
        highs.changeColsIntegrality(len(integer), integer, kinds)
    costs = matrices.c
    highs.changeColsCost(len(costs), np.arange(len(costs), dtype=np.int32), costs)
    if matrices.A is not None:
        rows = matrices.A.tocsr()
        lower = np.where(matrices.sense != "<", matrices.b, -np.inf)
        upper = np.where(matrices.sense != ">", matrices.b, np.inf)
        highs.addRows(rows.shape[0], lower, upper, rows.nnz, rows.indptr, rows.indices, rows.data)
    if model.objective.sense == "max":
        highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    return highs


def _to_stderr(event: HighsCallbackEvent) -> None:
    sys.stderr.write(event.message)


def _hand_back(model: linopy.Model, highs: highspy.Highs, termination: str, feasible: bool) -> None:
    """Give the run to linopy: the model's status, its HiGHS instance and the variables'
    values (NaN where HiGHS holds no feasible solution) and an LP's duals."""
    status = Status.from_termination_condition(termination)
    attached = linopy.solvers.Solver.from_name("highs", io_api="direct")
    attached.solver_model = highs
    if not status.is_ok:
        # linopy's assign_result would log this run's failure to stderr
        model.solver = attached
        model.status = status.status.value
        model.termination_condition = status.termination_condition.value
        return
    solution = highs.getSolution()
    matrices = model.matrices
    values = solution.col_value if feasible else np.full(len(matrices.vlabels), np.nan)
    primal = _by_label(values, matrices.vlabels, model.variables.data.values())
    dual = np.array([], dtype=float)
    if feasible and highs.getInfo().dual_solution_status == FEASIBLE and len(matrices.clabels):
        dual = _by_label(solution.row_dual, matrices.clabels, model.constraints.data.values())
    objective = float(highs.getInfo().objective_function_value) if feasible else math.nan
    result = Result(status=status, solution=Solution(primal, dual, objective), solver_name="highs")
    model.assign_result(result, attached)


def _by_label(
    values: Sequence[float] | np.ndarray, labels: np.ndarray, items: Iterable[Any]
) -> np.ndarray:
    """Values of the solver's columns (or rows) in linopy's dense order by label."""
    size = max((item.range[1] for item in items), default=0)
    dense = np.full(size, np.nan)
    dense[labels] = np.asarray(values, dtype=float)
    return dense


def gap_and_bound(model: linopy.Model) -> tuple[float, float]:
    """The relative gap and the bound HiGHS proved for a model it solved (see ``Solved``)."""
    highs = model.solver_model
    info = highs.getInfo()
    if len(model.binaries) or len(model.integers):
        return float(info.mip_gap), float(info.mip_dual_bound)
    if highs.getModelStatus() == highspy.HighsModelStatus.kOptimal:
        return 0.0, float(info.objective_function_value)
    return math.inf, math.nan
