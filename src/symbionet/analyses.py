"""The park's analyses by name, each with its options, for whoever runs them by request:
the web platform's jobs, a cluster's tasks. Options arrive as plain data (JSON) and are
made into the step's options object, which checks them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from symbionet.errors import invalid
from symbionet.options import options_from
from symbionet.progress import Progress
from symbionet.register.park import Park
from symbionet.results import Result


@dataclass(frozen=True)
class Analysis:
    """A step of the library that runs on a whole park: ``module.function(park, options,
    progress=...)`` with options of class ``module.options``."""

    title: str
    function: str
    options: str
    extra: tuple[str, ...] = ()
    reports_progress: bool = True

    def _load(self, path: str) -> Any:
        module, _, name = path.rpartition(".")
        return getattr(import_module(module), name)

    def options_class(self) -> type:
        found: type = self._load(self.options)
        return found

    def run(self, park: Park, options: Mapping[str, Any], progress: Progress) -> Result:
        """Run on ``park`` with ``options`` given as plain data."""
        given = dict(options)
        extra = {name: given.pop(name) for name in self.extra if name in given}
        chosen = options_of(self.options_class(), given)
        function = self._load(self.function)
        if not self.reports_progress:
            progress(self.title, 0.0, None)
            done: Result = function(park, chosen, **extra)
            return done
        result: Result = function(park, options=chosen, progress=progress, **extra)
        return result


ANALYSES = {
    "discover": Analysis(
        "Discovery",
        "symbionet.discovery.engine.discover",
        "symbionet.discovery.engine.DiscoverOptions",
    ),
    "design": Analysis(
        "Design",
        "symbionet.optimisation.solve.design",
        "symbionet.optimisation.options.DesignOptions",
    ),
    "pareto": Analysis(
        "Trade-off curve",
        "symbionet.optimisation.tradeoff.pareto",
        "symbionet.optimisation.options.DesignOptions",
        extra=("objectives", "points"),
    ),
    "share": Analysis(
        "Benefit shares",
        "symbionet.assessment.sharing.share",
        "symbionet.assessment.sharing.ShareOptions",
    ),
    "stress": Analysis(
        "Resilience",
        "symbionet.assessment.resilience.stress",
        "symbionet.assessment.resilience.StressOptions",
    ),
    "targets": Analysis(
        "Targets",
        "symbionet.targeting.site.targets",
        "symbionet.targeting.options.SiteOptions",
        reports_progress=False,
    ),
    "assess": Analysis(
        "Assessment",
        "symbionet.assessment.assess.assess_park",
        "symbionet.assessment.assess.AssessOptions",
    ),
    "scenarios": Analysis(
        "Scenarios",
        "symbionet.scenarios.compare.run_scenarios",
        "symbionet.scenarios.compare.ScenarioOptions",
        extra=("names",),
    ),
}


def options_of(kind: type, given: Mapping[str, Any]) -> Any:
    """Options of class ``kind`` from plain data: nested options from mappings, lists as
    tuples where the option holds a tuple."""
    if not isinstance(given, Mapping):
        raise invalid("options", f"must be a mapping of option names to values, not {given!r}")
    defaults = kind()
    values: dict[str, Any] = {}
    for name, value in given.items():
        current = getattr(defaults, name, None)
        if dataclasses.is_dataclass(current) and isinstance(value, Mapping):
            value = options_from(type(current), current, dict(value))
        elif isinstance(current, tuple) and isinstance(value, list):
            value = tuple(value)
        values[name] = value
    return options_from(kind, None, values)


def analysis(kind: str) -> Analysis:
    """The analysis called ``kind``."""
    if kind not in ANALYSES:
        raise invalid("kind", f"is not an analysis; use one of {', '.join(ANALYSES)}")
    return ANALYSES[kind]


def run_analysis(
    kind: str, park: Park, options: Mapping[str, Any], progress: Callable[..., None]
) -> Result:
    """Run the analysis ``kind`` on ``park``."""
    return analysis(kind).run(park, options, progress)


__all__ = ["ANALYSES", "Analysis", "analysis", "options_of", "run_analysis"]
