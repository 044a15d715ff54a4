"""Design step: which exchanges, pipes and shared plants to build, and how to run them.

``design(park)`` solves one optimisation over all resources (water with contaminant
limits, heat and steam by temperature, electricity, gases, materials), conversion
technologies and storage, over a year of periods, for the least cost, CO2e or
freshwater. ``pareto(park)`` traces the trade-off between two of them, and
``baseline_cost(park, actors)`` gives the cost with no exchange at all, so that a
coalition's value is one subtraction. The model is written in linopy and solved by
HiGHS; ``docs/design.md`` gives its equations.
"""

from symbionet.optimisation.result import DesignResult
from symbionet.optimisation.solve import baseline, baseline_cost, design
from symbionet.optimisation.tradeoff import ParetoResult, pareto

__all__ = ["DesignResult", "ParetoResult", "baseline", "baseline_cost", "design", "pareto"]
