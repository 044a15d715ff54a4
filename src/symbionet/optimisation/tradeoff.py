"""Trade-off curves between two objectives by the epsilon-constraint method."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from symbionet.errors import invalid
from symbionet.executors import InProcess, run_tasks
from symbionet.optimisation.model import OBJECTIVES
from symbionet.optimisation.options import DesignOptions
from symbionet.optimisation.result import KPI_NAMES, DesignResult
from symbionet.optimisation.solve import design
from symbionet.options import options_from
from symbionet.progress import Progress, silent
from symbionet.register.park import Park
from symbionet.results import Result

# slack on each bound so that the end points stay feasible after rounding in the solver
RELATIVE_SLACK = 1e-7


@dataclass
class ParetoResult(Result):
    """Designs along the trade-off curve, from the best first objective to the best second."""

    objectives: tuple[str, str]
    points: list[DesignResult]
    bounds: list[float]

    def to_frame(self) -> pd.DataFrame:
        """The curve: one row per point, its bound and the key figures reached."""
        rows = []
        for number, (bound, point) in enumerate(zip(self.bounds, self.points, strict=True)):
            rows.append({"point": number, "bound": bound, "status": point.status, **point.kpis})
        return pd.DataFrame(rows).set_index("point")

    def tables(self) -> dict[str, pd.DataFrame]:
        """The curve, the only table."""
        return {"curve": self.to_frame()}

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: each point with its bound and its design (key figures under
        their names, ``cost_eur``, ``co2e_t``...)."""
        return {
            "objectives": list(self.objectives),
            "points": [
                {"bound": bound, **point.to_dict(periods=False)}
                for bound, point in zip(self.bounds, self.points, strict=True)
            ],
        }


def parse_objectives(text: str) -> tuple[str, str]:
    """Two different objectives from ``"cost,co2"``."""
    names = tuple(n.strip() for n in str(text).split(","))
    if len(names) != 2 or names[0] == names[1] or any(n not in OBJECTIVES for n in names):
        raise invalid(
            "pareto",
            f"takes two different objectives of {', '.join(OBJECTIVES)} "
            f"separated by a comma, not {text!r}",
        )
    return names[0], names[1]


def pareto(
    park: Park,
    objectives: tuple[str, str] | str = ("cost", "co2"),
    points: int = 7,
    options: DesignOptions | None = None,
    *,
    executor: Executor | None = None,
    progress: Progress = silent,
    **overrides: Any,
) -> ParetoResult:
    """Minimise the first objective with the second bounded at ``points`` levels between
    its value at the first's optimum and its own optimum (both included). ``options`` (and
    keyword overrides) are the design's; marginal values are not computed unless
    ``prices=True`` is given. The designs run on ``executor`` (None: a process pool for
    the call when there are many); ``progress(message, done, total)`` follows them."""
    first, second = parse_objectives(
        objectives if isinstance(objectives, str) else ",".join(objectives)
    )
    if points < 2:
        raise invalid("points", f"a trade-off curve needs at least 2, not {points}")
    chosen = options_from(DesignOptions, options, {"prices": False, **overrides})
    solve = partial(design, park, executor=InProcess())  # the points are the tasks
    ends = [replace(chosen, objective=name) for name in (first, second)]
    start, end = run_tasks(solve, ends, executor, progress, "trade-off: the two ends")
    for point, name in ((start, first), (end, second)):
        if not np.isfinite(point.kpis[KPI_NAMES[second]]):
            raise invalid(
                "pareto",
                f"the least-{name} design has no solution ({point.status}, "
                f"{point.termination}): no trade-off curve",
            )
    high = start.kpis[KPI_NAMES[second]]
    low = end.kpis[KPI_NAMES[second]]
    bounds = list(np.linspace(high, low, points))
    capped = [
        replace(
            chosen,
            objective=first,
            caps={**chosen.caps, second: bound + RELATIVE_SLACK * max(1.0, abs(bound))},
        )
        for bound in bounds[1:]
    ]
    results = [start, *run_tasks(solve, capped, executor, progress, "trade-off: points")]
    return ParetoResult((first, second), results, bounds)


__all__ = ["ParetoResult", "pareto", "parse_objectives"]
