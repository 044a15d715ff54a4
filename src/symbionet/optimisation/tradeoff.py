"""Trade-off curves between two objectives by the epsilon-constraint method."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from symbionet.errors import invalid
from symbionet.optimisation.model import OBJECTIVES
from symbionet.optimisation.result import KPI_NAMES, DesignResult
from symbionet.optimisation.solve import Report, design
from symbionet.register.park import Park

# slack on each bound so that the end points stay feasible after rounding in the solver
RELATIVE_SLACK = 1e-7


@dataclass
class ParetoResult:
    """Designs along the trade-off curve, from the best first objective to the best second."""

    objectives: tuple[str, str]
    points: list[DesignResult]
    bounds: list[float]

    def table(self) -> pd.DataFrame:
        """One row per point: the bound and the KPIs reached."""
        rows = []
        for number, (bound, point) in enumerate(zip(self.bounds, self.points, strict=True)):
            rows.append({"point": number, "bound": bound, "status": point.status, **point.kpis})
        return pd.DataFrame(rows).set_index("point")

    def to_dict(self) -> dict[str, Any]:
        first, second = self.objectives
        return {
            "objectives": list(self.objectives),
            "points": [
                {
                    "bound": bound,
                    first: point.kpis[KPI_NAMES[first]],
                    second: point.kpis[KPI_NAMES[second]],
                    **point.to_dict(periods=False),
                }
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
    report: Report | None = None,
    **options: Any,
) -> ParetoResult:
    """Minimise the first objective with the second bounded at ``points`` levels between
    its value at the first's optimum and its own optimum (both included)."""
    first, second = parse_objectives(
        objectives if isinstance(objectives, str) else ",".join(objectives)
    )
    if points < 2:
        raise invalid("points", f"a trade-off curve needs at least 2, not {points}")
    say = report or (lambda message, done: None)
    options.setdefault("prices", False)
    say(f"least {first}", 0.0)
    start = design(park, objective=first, **options)
    say(f"least {second}", 1 / (points + 1))
    end = design(park, objective=second, **options)
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
    results = [start]
    for number, bound in enumerate(bounds[1:], start=1):
        say(f"point {number + 1} of {points}", (number + 1) / (points + 1))
        cap = bound + RELATIVE_SLACK * max(1.0, abs(bound))
        results.append(design(park, objective=first, caps={second: cap}, **options))
    return ParetoResult((first, second), results, bounds)


__all__ = ["ParetoResult", "pareto", "parse_objectives"]
