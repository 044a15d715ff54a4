"""Scenarios run side by side: for the base park and each scenario, the best design and
the impact of the park's exchanges, their key figures in one table and the differences
from the base in another, with the digest of the data each run used.

The runs are independent: they go to an executor (None: a process pool for the call when
there are many, else one after the other in this process), and give the same figures in
any order or process.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from symbionet.assessment.accounting import ImpactOptions, ImpactResult, impact
from symbionet.errors import Problem, SymbionetError, invalid
from symbionet.executors import InProcess, run_tasks
from symbionet.optimisation.options import DesignOptions
from symbionet.optimisation.result import DesignResult
from symbionet.optimisation.solve import design
from symbionet.progress import Progress, silent
from symbionet.register.park import Park
from symbionet.results import Result, plain
from symbionet.scenarios.changes import Scenario, chosen
from symbionet.scenarios.edit import base_document, changed_park, normalised
from symbionet.units import CURRENCY_RATES

BASE = "base"
"""The name of the unchanged park among the runs."""

FIGURES = (
    "design_cost_eur",
    "baseline_cost_eur",
    "design_saving_eur",
    "design_co2e_t",
    "baseline_co2e_t",
    "design_co2e_saved_t",
    "design_freshwater_m3",
    "baseline_freshwater_m3",
    "design_freshwater_saved_m3",
    "design_waste_t",
    "exchanges_built",
    "impact_net_saving_eur",
    "impact_co2e_t",
    "impact_freshwater_m3",
    "impact_groundwater_m3",
    "impact_waste_diverted_t",
)
"""The key figures of each run, by row: the design's yearly cost (CO2e at the park's
price included), CO2e, freshwater and waste against the no-symbiosis baseline, and the
impact of the park's own exchanges (as ``impact`` counts them)."""


@dataclass(frozen=True)
class ScenarioOptions:
    """How each run is designed and assessed: the design's options (without marginal
    prices, which the figures do not use) and which exchanges the impact counts."""

    design: DesignOptions = field(default_factory=lambda: DesignOptions(prices=False))
    impact: ImpactOptions = field(default_factory=ImpactOptions)

    def __post_init__(self) -> None:
        for name, kind in (("design", DesignOptions), ("impact", ImpactOptions)):
            if not isinstance(getattr(self, name), kind):
                raise invalid(name, f"must be {kind.__name__}, not {getattr(self, name)!r}")


@dataclass
class ScenarioRun:
    """One run: the park it used, its design and impact."""

    name: str
    digest: str
    per_eur: float
    design: DesignResult
    impact: ImpactResult


@dataclass
class ScenarioResult(Result):
    """Runs side by side: ``figures`` (one column per run, the base first), ``differences``
    (each scenario minus the base), the net saving of each partner through the park's
    exchanges (``partners``, ``partner_differences``), and ``runs``: each run's changes,
    design status, the digest of the park it used and the park's currency rate.

    Amounts are in EUR (``*_eur``); a run's ``per_eur`` is the park currency's units per
    EUR in that run (``runs["rate"]``), the rate to show its amounts with (see
    ``in_currency``)."""

    park: str
    digest: str
    catalogue: str
    currency: str
    figures: pd.DataFrame
    differences: pd.DataFrame
    partners: pd.DataFrame
    partner_differences: pd.DataFrame
    runs: pd.DataFrame
    changes: pd.DataFrame
    designs: dict[str, DesignResult] = field(default_factory=dict, metadata={"json": False})
    impacts: dict[str, ImpactResult] = field(default_factory=dict, metadata={"json": False})
    options: ScenarioOptions = field(default_factory=ScenarioOptions, metadata={"json": False})
    main_table = "figures"

    def in_currency(self) -> dict[str, pd.DataFrame]:
        """The figures, differences and partners' savings with amounts in the park's
        currency, each run at its own rate, renamed (``*_dkk``); differences taken after."""
        code = self.currency
        rates = self.runs["rate"]
        money = [row for row in self.figures.index if str(row).endswith("_eur")]
        figures = self.figures.astype(float).copy()
        figures.loc[money] = figures.loc[money].mul(rates, axis=1)
        partners = self.partners.astype(float).mul(rates, axis=1)
        suffix = code.lower()
        figures = figures.rename(index={r: f"{r[: -len('eur')]}{suffix}" for r in money})
        partners = partners.rename_axis(f"net_saving_{suffix}", axis=1)
        return {
            "figures": figures,
            "differences": _differences(figures),
            "partners": partners,
            "partner_differences": _differences(partners),
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "figures": self.figures,
            "differences": self.differences,
            "partners": self.partners,
            "partner_differences": self.partner_differences,
            "runs": self.runs,
            "changes": self.changes,
        }

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        for name in ("figures", "differences", "partners", "partner_differences"):
            data[name] = plain(getattr(self, name).to_dict(orient="index"))
        return data


def digest(park: Park) -> str:
    """SHA-256 of the park's data (its document without scenarios), in hexadecimal: the
    data version a run used."""
    text = json.dumps(plain(base_document(park)), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_scenarios(
    park: Park,
    names: Iterable[str] | None = None,
    options: ScenarioOptions | None = None,
    executor: Executor | None = None,
    progress: Progress = silent,
) -> ScenarioResult:
    """Design and assess the base park and each scenario it declares (``names``: only
    those, in that order), side by side. Every scenario is applied (and every problem of
    every one raised, located at its row) before any is run; both the applying and the
    runs go to ``executor``."""
    options = options or ScenarioOptions()
    if isinstance(names, str):
        names = [names]
    scenarios = chosen(park, names)
    base = normalised(park)
    applied = run_tasks(
        _applied, [(park, s) for s in scenarios], executor, progress, "applying scenarios"
    )
    problems = [p for outcome in applied if isinstance(outcome, list) for p in outcome]
    if problems:
        raise SymbionetError(problems)
    parks = [(BASE, base, _per_eur(base, None))]
    parks += [(s.name, *outcome) for s, outcome in zip(scenarios, applied, strict=True)]
    items = [(name, changed, per_eur, options) for name, changed, per_eur in parks]
    runs = run_tasks(_run, items, executor, progress, "running scenarios")
    return _result(park, scenarios, runs, options)


def _per_eur(park: Park, rates: dict[str, float] | None) -> float:
    code = park.currency
    if code == "EUR":
        return 1.0
    return (rates or {}).get(code, CURRENCY_RATES[code][0])


def _applied(item: tuple[Park, Scenario]) -> tuple[Park, float] | list[Problem]:
    """The park a scenario makes and its currency's rate, or the scenario's problems (a
    top-level function, so that it pickles)."""
    park, scenario = item
    try:
        state = changed_park(park, scenario)
    except SymbionetError as error:
        return error.problems
    return state.park, state.rates.get(park.currency, 1.0)


def _run(item: tuple[str, Park, float, ScenarioOptions]) -> ScenarioRun:
    """Design and assess one park (a top-level function, so that it pickles); the runs are
    the tasks, so the design's parts are solved one after the other."""
    name, park, per_eur, options = item
    solved = design(park, options.design, executor=InProcess())
    return ScenarioRun(name, digest(park), per_eur, solved, impact(park, options.impact))


def _figures(run: ScenarioRun) -> dict[str, float]:
    kpis, baseline = run.design.kpis, run.design.baseline
    totals = run.impact.park["central"]
    built = run.design.built
    return {
        "design_cost_eur": kpis["cost_eur"],
        "baseline_cost_eur": baseline["cost_eur"],
        "design_saving_eur": baseline["cost_eur"] - kpis["cost_eur"],
        "design_co2e_t": kpis["co2e_t"],
        "baseline_co2e_t": baseline["co2e_t"],
        "design_co2e_saved_t": baseline["co2e_t"] - kpis["co2e_t"],
        "design_freshwater_m3": kpis["freshwater_m3"],
        "baseline_freshwater_m3": baseline["freshwater_m3"],
        "design_freshwater_saved_m3": baseline["freshwater_m3"] - kpis["freshwater_m3"],
        "design_waste_t": kpis["waste_t"],
        "exchanges_built": float(built["built"].sum()) if "built" in built else 0.0,
        "impact_net_saving_eur": float(totals.get("net_saving_eur", 0.0)),
        "impact_co2e_t": float(totals.get("co2e_t", 0.0)),
        "impact_freshwater_m3": float(totals.get("freshwater_m3", 0.0)),
        "impact_groundwater_m3": float(totals.get("groundwater_m3", 0.0)),
        "impact_waste_diverted_t": float(totals.get("waste_diverted_t", 0.0)),
    }


def _differences(frame: pd.DataFrame) -> pd.DataFrame:
    """Each column but the base minus the base (a partner missing on one side counts 0)."""
    filled = frame.fillna(0.0)
    return filled.drop(columns=[BASE]).sub(filled[BASE], axis=0)


def _result(
    park: Park, scenarios: list[Scenario], runs: list[ScenarioRun], options: ScenarioOptions
) -> ScenarioResult:
    names = [run.name for run in runs]
    figures = pd.DataFrame({run.name: _figures(run) for run in runs}, columns=names)
    figures = figures.loc[list(FIGURES)].rename_axis("figure")
    partners = pd.DataFrame(
        {run.name: run.impact.partners["saving_eur"] for run in runs}, columns=names
    ).rename_axis("actor")
    order = [a for a in park.actors.index if a in partners.index]
    partners = partners.loc[order + [a for a in partners.index if a not in order]]
    by_name = {s.name: s for s in scenarios}
    runs_table = pd.DataFrame(
        [
            {
                "run": run.name,
                "changes": "; ".join(c.label for c in by_name[run.name].changes)
                if run.name in by_name
                else "",
                "design_status": run.design.status,
                "unmet": run.design.kpis.get("unmet", 0.0),
                "rate": run.per_eur,
                "digest": run.digest,
            }
            for run in runs
        ]
    ).set_index("run")
    changes = pd.DataFrame(
        [
            {
                "scenario": s.name,
                "id": c.id,
                "change": c.kind,
                "target": c.target,
                "value": c.value,
                "unit": c.unit,
                "description": c.description,
                "reference": c.reference,
            }
            for s in scenarios
            for c in s.changes
        ],
        columns=["scenario", "id", "change", "target", "value", "unit", "description", "reference"],
    )
    return ScenarioResult(
        park=park.name,
        digest=digest(park),
        catalogue=park.catalogue.label,
        currency=park.currency,
        figures=figures,
        differences=_differences(figures),
        partners=partners,
        partner_differences=_differences(partners),
        runs=runs_table,
        changes=changes,
        designs={run.name: run.design for run in runs},
        impacts={run.name: run.impact for run in runs},
        options=options,
    )


__all__ = ["BASE", "FIGURES", "ScenarioOptions", "ScenarioResult", "digest", "run_scenarios"]
