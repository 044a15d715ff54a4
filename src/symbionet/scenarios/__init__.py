"""What-if scenarios over a park: changed prices, CO2e price, currency rate and emission
factors, partners leaving or joining, capacities and technologies, each declared as rows
of the park's ``scenarios`` table, applied as a changed park and run side by side with
the base (see ``docs/scenarios.md``)."""

from symbionet.scenarios.changes import KINDS, Change, Scenario, chosen, declared
from symbionet.scenarios.compare import (
    BASE,
    FIGURES,
    ScenarioOptions,
    ScenarioResult,
    digest,
    run_scenarios,
)
from symbionet.scenarios.edit import apply_scenario, normalised

__all__ = [
    "BASE",
    "FIGURES",
    "KINDS",
    "Change",
    "Scenario",
    "ScenarioOptions",
    "ScenarioResult",
    "apply_scenario",
    "chosen",
    "declared",
    "digest",
    "normalised",
    "run_scenarios",
]
