"""symbionet: the open platform for industrial symbiosis.

Register partners and their resource streams, discover synergies, design the network
of exchanges, assess what it saves and present it, as a library, a command line and
a web platform. Each step is a plain function over a park's tables::

    import symbionet
    park = symbionet.load_park("examples/kalundborg")
    park.streams  # a pandas DataFrame

The names below are imported when first used, so that ``import symbionet`` is quick.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS = {
    "Catalogue": "symbionet.register.catalogue",
    "load_catalogue": "symbionet.register.catalogue",
    "Park": "symbionet.register.park",
    "check_park": "symbionet.register.park",
    "load_park": "symbionet.register.park",
    "park_from_document": "symbionet.register.park",
    "Problem": "symbionet.errors",
    "SymbionetError": "symbionet.errors",
    "executor_for": "symbionet.executors",
    "discover": "symbionet.discovery.engine",
    "DiscoverOptions": "symbionet.discovery.engine",
    "DiscoveryResult": "symbionet.discovery.engine",
    "generate_park": "symbionet.discovery.generate",
    "screen": "symbionet.discovery.screening",
    "load_national": "symbionet.national.dataset",
    "DesignResult": "symbionet.optimisation.result",
    "design": "symbionet.optimisation.solve",
    "DesignOptions": "symbionet.optimisation.options",
    "pareto": "symbionet.optimisation.tradeoff",
    "ParetoResult": "symbionet.optimisation.tradeoff",
    "impact": "symbionet.assessment.accounting",
    "ImpactOptions": "symbionet.assessment.accounting",
    "ImpactResult": "symbionet.assessment.accounting",
    "share": "symbionet.assessment.sharing",
    "ShareOptions": "symbionet.assessment.sharing",
    "ShareResult": "symbionet.assessment.sharing",
    "stress": "symbionet.assessment.resilience",
    "StressOptions": "symbionet.assessment.resilience",
    "assess_park": "symbionet.assessment.assess",
    "Assessment": "symbionet.assessment.assess",
    "AssessOptions": "symbionet.assessment.assess",
    "StressResult": "symbionet.assessment.resilience",
    "targets": "symbionet.targeting.site",
    "SiteTargets": "symbionet.targeting.site",
    "SiteOptions": "symbionet.targeting.options",
    "HeatOptions": "symbionet.targeting.options",
    "WaterOptions": "symbionet.targeting.options",
    "account": "symbionet.assessment.yearly",
    "AccountResult": "symbionet.assessment.yearly",
    "compare_years": "symbionet.assessment.yearly",
    "ComparisonResult": "symbionet.assessment.yearly",
    "case_sheet": "symbionet.present.case_sheet",
    "read_readings": "symbionet.metering.read",
    "flag_readings": "symbionet.metering.flagging",
    "verify": "symbionet.metering.verification",
    "VerifiedResult": "symbionet.metering.verification",
    "run_scenarios": "symbionet.scenarios.compare",
    "ScenarioOptions": "symbionet.scenarios.compare",
    "ScenarioResult": "symbionet.scenarios.compare",
    "apply_scenario": "symbionet.scenarios.edit",
    "site": "symbionet.siting.placement",
    "SitingOptions": "symbionet.siting.placement",
    "SitingResult": "symbionet.siting.placement",
}

if TYPE_CHECKING:
    from symbionet.assessment.accounting import ImpactOptions, ImpactResult, impact
    from symbionet.assessment.assess import Assessment, AssessOptions, assess_park
    from symbionet.assessment.resilience import StressOptions, StressResult, stress
    from symbionet.assessment.sharing import ShareOptions, ShareResult, share
    from symbionet.assessment.yearly import (
        AccountResult,
        ComparisonResult,
        account,
        compare_years,
    )
    from symbionet.discovery.engine import DiscoverOptions, DiscoveryResult, discover
    from symbionet.discovery.generate import generate_park
    from symbionet.discovery.screening import screen
    from symbionet.errors import Problem, SymbionetError
    from symbionet.executors import executor_for
    from symbionet.metering.flagging import flag_readings
    from symbionet.metering.read import read_readings
    from symbionet.metering.verification import VerifiedResult, verify
    from symbionet.national.dataset import load_national
    from symbionet.optimisation.options import DesignOptions
    from symbionet.optimisation.result import DesignResult
    from symbionet.optimisation.solve import design
    from symbionet.optimisation.tradeoff import ParetoResult, pareto
    from symbionet.present.case_sheet import case_sheet
    from symbionet.register.catalogue import Catalogue, load_catalogue
    from symbionet.register.park import Park, check_park, load_park, park_from_document
    from symbionet.scenarios.compare import ScenarioOptions, ScenarioResult, run_scenarios
    from symbionet.scenarios.edit import apply_scenario
    from symbionet.siting.placement import SitingOptions, SitingResult, site
    from symbionet.targeting.options import HeatOptions, SiteOptions, WaterOptions
    from symbionet.targeting.site import SiteTargets, targets


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'symbionet' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = [
    "AccountResult",
    "AssessOptions",
    "Assessment",
    "Catalogue",
    "ComparisonResult",
    "DesignOptions",
    "DesignResult",
    "DiscoverOptions",
    "DiscoveryResult",
    "HeatOptions",
    "ImpactOptions",
    "ImpactResult",
    "ParetoResult",
    "Park",
    "Problem",
    "ScenarioOptions",
    "ScenarioResult",
    "ShareOptions",
    "ShareResult",
    "SiteOptions",
    "SiteTargets",
    "SitingOptions",
    "SitingResult",
    "StressOptions",
    "StressResult",
    "SymbionetError",
    "VerifiedResult",
    "WaterOptions",
    "__version__",
    "account",
    "apply_scenario",
    "assess_park",
    "case_sheet",
    "check_park",
    "compare_years",
    "design",
    "discover",
    "executor_for",
    "flag_readings",
    "generate_park",
    "impact",
    "load_catalogue",
    "load_national",
    "load_park",
    "pareto",
    "park_from_document",
    "read_readings",
    "run_scenarios",
    "screen",
    "share",
    "site",
    "stress",
    "targets",
    "verify",
]
