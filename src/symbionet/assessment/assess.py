"""A whole park assessed in one call: what its exchanges save, what discovery and design
find beyond them, how the saving is shared and what happens when a partner leaves.

The command line's ``run`` and ``report``, the web platform and a job queue all call
``assess_park`` and only present what it returns.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from symbionet.assessment.accounting import ImpactOptions, ImpactResult, impact
from symbionet.assessment.resilience import (
    StressOptions,
    StressResult,
    failures_tested,
    scenarios_for,
)
from symbionet.assessment.sharing import ShareOptions, ShareResult, players, share
from symbionet.discovery.engine import DiscoverOptions, DiscoveryResult, discover
from symbionet.optimisation.options import DesignOptions
from symbionet.optimisation.result import DesignResult
from symbionet.optimisation.solve import design
from symbionet.progress import Progress, silent
from symbionet.register.park import Park
from symbionet.results import Result, plain

#: The park totals that sum up an assessment, in the order people read them.
HEADLINE = (
    "co2e_t",
    "groundwater_m3",
    "freshwater_m3",
    "materials_exchanged_t",
    "waste_diverted_t",
    "energy_mwh",
    "net_saving_eur",
)
#: The steps of an assessment, for progress.
STEPS = ("impact", "discovery", "design", "benefit shares", "resilience")


@dataclass(frozen=True)
class AssessOptions:
    """Options of each step of an assessment."""

    impact: ImpactOptions = field(default_factory=ImpactOptions)
    discover: DiscoverOptions = field(default_factory=lambda: DiscoverOptions(top=20))
    design: DesignOptions = field(default_factory=DesignOptions)
    share: ShareOptions = field(default_factory=ShareOptions)
    stress: StressOptions = field(default_factory=lambda: StressOptions(all_single=True))


@dataclass
class Assessment(Result):
    """Everything known about one park: each step's result and the headline figures."""

    park: str
    impact: ImpactResult
    discovery: DiscoveryResult
    design: DesignResult
    shares: ShareResult
    resilience: StressResult
    options: AssessOptions = field(default_factory=AssessOptions, metadata={"json": False})
    main_table = "headline"

    @property
    def headline(self) -> pd.DataFrame:
        """The park's yearly totals (central, low, high) that sum it up."""
        totals = self.impact.park
        return totals.loc[[k for k in HEADLINE if k in totals.index]].rename_axis("kpi")

    @property
    def most_critical(self) -> pd.Series | None:
        """The partner whose leaving costs the others most (its row of the ranking); None
        when no partner's leaving costs or hits the others."""
        ranking = self.resilience.ranking
        hurt = ranking[(ranking["extra_cost_eur"] > 0) | (ranking["partners_hit"] > 0)]
        return None if hurt.empty else hurt.iloc[0]

    def to_dict(self) -> dict[str, Any]:
        critical = self.most_critical
        return {
            "park": self.park,
            "headline": plain(self.headline.to_dict(orient="index")),
            "most_critical": None
            if critical is None
            else {"actor": critical.name, **plain(critical.to_dict())},
            **{
                name: getattr(self, name).to_dict()
                for name in ("impact", "discovery", "design", "shares", "resilience")
            },
        }

    def to_frame(self) -> pd.DataFrame:
        return self.headline

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables a person exports: headline, impact, candidates, design, shares,
        resilience."""
        built = self.design.built
        return {
            "headline": self.headline,
            "impact per exchange": self.impact.exchanges,
            "impact per partner": self.impact.partners,
            "candidates": self.discovery.candidates,
            "design": built[built["built"]],
            "benefit shares": self.shares.table,
            "resilience": self.resilience.ranking,
        }


def assess_park(
    park: Park,
    options: AssessOptions | None = None,
    *,
    executor: Executor | None = None,
    progress: Progress = silent,
) -> Assessment:
    """Impact of the park's exchanges, candidate exchanges, the best design, each
    partner's share of the saving and the park's resilience to a partner leaving.
    ``executor`` runs the many solves of sharing and resilience (default: a process pool
    for the call); ``progress`` receives (step, steps done, steps)."""
    options = options or AssessOptions()

    def step(number: int) -> None:
        progress(STEPS[number], number, len(STEPS))

    step(0)
    impacts = impact(park, options.impact)
    step(1)
    found = discover(park, options.discover)
    step(2)
    designed = design(park, options.design)
    step(3)
    shares = share(park, options.share, executor=executor)
    step(4)
    # a park where no partner has a stream has no partner to remove
    failing = options.stress
    failures = (
        scenarios_for(park, failing.remove, failing.all_single, failing.k) if players(park) else []
    )
    resilience = failures_tested(park, failures, failing.mode, executor=executor)
    progress("done", len(STEPS), len(STEPS))
    return Assessment(park.name, impacts, found, designed, shares, resilience, options)


__all__ = ["AssessOptions", "Assessment", "assess_park"]
