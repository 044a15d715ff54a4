"""Seeded synthetic parks for benchmarks: sites with heat, steam, electricity, water, gas
and material streams, hourly profiles, candidate exchanges and plants, written as files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from symbionet.optimisation.periods import HOURS

# (supply resource, fate, demand resource, source, quantity range per year)
PAIRS = {
    "heat": ("district_heat", "cooling", "district_heat", "natural_gas_boiler", (5e3, 5e4)),
    "steam": ("steam_mp", "cooling", "steam_mp", "natural_gas_boiler", (1e4, 8e4)),
    "power": ("electricity", "sold", "electricity", "grid", (2e3, 2e4)),
    "water": ("process_water", "discharge", "process_water", "market", (1e5, 8e5)),
    "gas": ("biomethane", "sold", "natural_gas", "market", (1e6, 5e6)),
    "gypsum": ("fgd_gypsum", "landfill", "natural_gypsum", "market", (5e3, 5e4)),
    "ash": ("fly_ash", "landfill", "cement_clinker", "market", (5e3, 3e4)),
    "digestate": (
        "digestate",
        "land_spreading",
        "mineral_n_fertiliser",
        "mineral_fertiliser",
        (1e4, 1e5),
    ),
}
ENERGY = ("heat", "steam", "power")
# demands of these resources are smaller: the substitution ratio is far below one
DEMAND_SCALE = {"gas": 0.0097 * 0.5, "digestate": 0.004 * 0.5}


def _profiles(rng: np.random.Generator) -> pd.DataFrame:
    """Hourly shapes: heat that peaks in winter and by day, process loads, flat."""
    hour = np.arange(HOURS)
    season = 1 + 0.6 * np.cos(2 * np.pi * hour / HOURS)
    day = 1 + 0.3 * np.sin(2 * np.pi * (hour % 24 - 6) / 24)
    week = np.where((hour // 24) % 7 < 5, 1.0, 0.6)
    noise = lambda: 1 + 0.1 * rng.standard_normal(HOURS)  # noqa: E731
    frame = pd.DataFrame(
        {
            "space_heat": season * day * noise(),
            "process": week * day * noise(),
            "summer_surplus": (2 - season) * noise(),
        },
        index=pd.RangeIndex(1, HOURS + 1, name="period"),
    )
    return frame.clip(lower=0.01)


def write_synthetic_park(
    folder: Path | str,
    sites: int = 30,
    *,
    seed: int = 0,
    kinds: tuple[str, ...] = tuple(PAIRS),
    candidates: int = 200,
    hourly: bool = True,
    heat_pumps: int = 5,
    stores: int = 2,
) -> Path:
    """Write a park of ``sites`` sites (one actor each) with supplies and demands of the
    chosen ``kinds``, ``candidates`` candidate exchanges with capex, candidate heat pumps
    and heat stores; profiles are hourly when ``hourly``."""
    rng = np.random.default_rng(seed)
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    site_ids = [f"s{i:02d}" for i in range(sites)]
    lat = 55.65 + 0.04 * rng.random(sites)
    lon = 11.05 + 0.07 * rng.random(sites)
    profiles = _profiles(rng) if hourly else None
    streams = []
    for kind in kinds:
        supply_resource, fate, demand_resource, source, (low, high) = PAIRS[kind]
        chosen = rng.permutation(sites)[: max(2, sites // 2)]
        half = len(chosen) // 2
        for role, where in (("supply", chosen[:half]), ("demand", chosen[half:])):
            for i in where:
                quantity = rng.uniform(low, high) * (
                    DEMAND_SCALE.get(kind, 1.0) if role == "demand" else 1
                )
                profile = ""
                if hourly and kind in ENERGY:
                    profile = (
                        "space_heat"
                        if role == "demand"
                        else rng.choice(["process", "summer_surplus"])
                    )
                row = {
                    "id": f"{kind}_{role}_{site_ids[i]}",
                    "site": site_ids[i],
                    "direction": role,
                    "resource": supply_resource if role == "supply" else demand_resource,
                    "quantity": round(quantity, 1),
                    "unit": _unit(supply_resource if role == "supply" else demand_resource),
                    "fate": fate if role == "supply" else "",
                    "source": source if role == "demand" else "",
                    "profile": profile,
                    "ppm_cod": round(rng.uniform(20, 200), 1) if kind == "water" else "",
                }
                streams.append(row)
    frame = pd.DataFrame(streams)
    exchanges = _candidate_exchanges(frame, kinds, candidates, rng)
    heated = sorted(set(frame.loc[frame["id"].str.startswith("heat_demand"), "site"]))
    technologies = _technologies(heated, rng, heat_pumps, stores)
    meta = {
        "name": f"Synthetic park ({sites} sites, seed {seed})",
        "currency": "EUR",
        "co2_price": 0,
        "discount_rate": 0.05,
    }
    (target / "park.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    pd.DataFrame({"id": [f"a{s}" for s in site_ids], "name": site_ids}).to_csv(
        target / "actors.csv", index=False
    )
    pd.DataFrame(
        {
            "id": site_ids,
            "actor": [f"a{s}" for s in site_ids],
            "lat": lat.round(5),
            "lon": lon.round(5),
        }
    ).to_csv(target / "sites.csv", index=False)
    frame.to_csv(target / "streams.csv", index=False)
    exchanges.to_csv(target / "exchanges.csv", index=False)
    if len(technologies):
        technologies.to_csv(target / "technologies.csv", index=False)
    if profiles is not None:
        profiles.round(5).to_csv(target / "profiles.csv")
    return target


def _unit(resource: str) -> str:
    return {
        "district_heat": "MWh/yr",
        "steam_mp": "t/yr",
        "electricity": "MWh/yr",
        "process_water": "m3/yr",
        "biomethane": "Nm3/yr",
        "natural_gas": "MWh/yr",
    }.get(resource, "t/yr")


def _candidate_exchanges(
    streams: pd.DataFrame, kinds: tuple[str, ...], count: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Up to ``count`` candidate exchanges between supplies and demands of the same kind,
    each an investment priced by the transport defaults (distance and volume)."""
    pairs = []
    # electricity moves through the public grid: nothing to build between two sites
    for kind in (k for k in kinds if k != "power"):
        supplies = streams[streams["id"].str.startswith(f"{kind}_supply")]["id"]
        demands = streams[streams["id"].str.startswith(f"{kind}_demand")]["id"]
        pairs += [(kind, s, d) for s in supplies for d in demands]
    chosen = rng.permutation(len(pairs))[:count]
    rows = []
    for number in sorted(chosen):
        kind, supply, demand = pairs[number]
        rows.append(
            {
                "id": f"x{number:04d}",
                "supply": supply,
                "demand": demand,
                "quantity": 1,
                "unit": _unit(PAIRS[kind][0]),
                "mode": "truck" if kind in ("gypsum", "ash", "digestate") else "pipeline",
                "status": "idea",
                "capex": round(float(rng.uniform(2e5, 3e6)), 0) if kind not in ("power",) else "",
            }
        )
    return pd.DataFrame(
        rows, columns=["id", "supply", "demand", "quantity", "unit", "mode", "status", "capex"]
    )


def _technologies(
    sites: list[str], rng: np.random.Generator, heat_pumps: int, stores: int
) -> pd.DataFrame:
    """Candidate heat pumps (grid electricity to heat) and heat stores at sites that need heat."""
    if not sites:
        return pd.DataFrame()
    heat_pumps, stores = min(heat_pumps, len(sites)), min(stores, len(sites))
    rows = []
    for i, site in enumerate(rng.choice(sites, heat_pumps, replace=False)):
        rows.append(
            {
                "id": f"hp{i}",
                "site": site,
                "kind": "heat_pump",
                "input": "electricity",
                "output": "district_heat",
                "efficiency": round(float(rng.uniform(2.8, 4.0)), 2),
                "capacity": round(float(rng.uniform(1, 4)), 2),
                "capacity_unit": "MW",
                "status": "candidate",
                "capex_per_capacity": 700_000,
                "lifetime": 20,
            }
        )
    for i, site in enumerate(rng.choice(sites, stores, replace=False)):
        rows.append(
            {
                "id": f"store{i}",
                "site": site,
                "kind": "storage",
                "input": "district_heat",
                "output": "district_heat",
                "efficiency": 0.95,
                "capacity": 200,
                "capacity_unit": "MWh",
                "status": "candidate",
                "capex_per_capacity": 3_000,
                "lifetime": 30,
            }
        )
    return pd.DataFrame(rows)
