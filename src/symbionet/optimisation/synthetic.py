"""Seeded synthetic parks for benchmarks: sites with heat, steam, electricity, water, gas
and material streams, hourly profiles, candidate exchanges and plants, written as files;
one park, or a national park of several parks around port towns joined by material
links."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from symbionet.discovery.candidates import haversine_km
from symbionet.discovery.transport import load_defaults, value
from symbionet.optimisation.periods import HOURS
from symbionet.register.catalogue import default_catalogue

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
    lat = 55.65 + 0.04 * rng.random(sites)
    lon = 11.05 + 0.07 * rng.random(sites)
    profiles = _profiles(rng) if hourly else None
    tables = _site_tables(rng, "", lat, lon, kinds, candidates, hourly, heat_pumps, stores)
    return _write(folder, f"Synthetic park ({sites} sites, seed {seed})", tables, profiles)


# Port towns of the national park: name, latitude, longitude
TOWNS = (
    ("København", 55.676, 12.568),
    ("Aarhus", 56.157, 10.211),
    ("Odense", 55.404, 10.402),
    ("Aalborg", 57.048, 9.919),
    ("Esbjerg", 55.476, 8.459),
    ("Fredericia", 55.566, 9.752),
    ("Kalundborg", 55.680, 11.090),
    ("Frederikshavn", 57.441, 10.537),
    ("Sønderborg", 54.909, 9.792),
    ("Næstved", 55.230, 11.761),
)
# materials that go by truck or ship between parks
CARRIED = ("gypsum", "ash", "digestate")


def write_national_park(
    folder: Path | str,
    parks: int = 10,
    sites: int = 30,
    *,
    seed: int = 0,
    candidates: int = 170,
    links: int = 300,
    port_share: float = 0.5,
    hourly: bool = True,
) -> Path:
    """Write one park folder of ``parks`` parks of ``sites`` sites each around Danish port
    towns, each like :func:`write_synthetic_park` with ``candidates`` candidate exchanges,
    and ``links`` candidate material links between parks: by ship between two sites at a
    port (a ``port_share`` of the sites) far enough apart for a ship, else by truck. A
    site's id starts with its park's (``aarhus_s07``) and its name is the town's."""
    rng = np.random.default_rng(seed)
    profiles = _profiles(rng) if hourly else None
    parts = []
    for town, lat, lon in TOWNS[:parks]:
        tables = _site_tables(
            rng,
            f"{_slug(town)}_",
            lat - 0.02 + 0.04 * rng.random(sites),
            lon - 0.035 + 0.07 * rng.random(sites),
            tuple(PAIRS),
            candidates,
            hourly,
            heat_pumps=5,
            stores=2,
        )
        tables["sites"]["name"] = [f"{town} {i:02d}" for i in range(sites)]
        tables["actors"]["name"] = tables["sites"]["name"].to_numpy()
        parts.append(tables)
    tables = {name: pd.concat([t[name] for t in parts], ignore_index=True) for name in parts[0]}
    tables["sites"]["port"] = rng.random(len(tables["sites"])) < port_share
    tables["exchanges"] = pd.concat(
        [tables["exchanges"], _park_links(tables["streams"], tables["sites"], links, rng)],
        ignore_index=True,
    )
    name = f"Synthetic national park ({parks} parks of {sites} sites, seed {seed})"
    return _write(folder, name, tables, profiles)


def _slug(town: str) -> str:
    return town.lower().replace("ø", "o").replace("æ", "ae")


def _park_links(
    streams: pd.DataFrame, sites: pd.DataFrame, count: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Up to ``count`` candidate material links between sites of different parks, by ship
    between port sites within the ship's reach, else by truck within the truck's; their
    freight is priced by the transport defaults and their capex (loading and storage at
    both ends) drawn here."""
    modes = load_defaults(default_catalogue()).modes
    ship, truck = modes["ship"], modes["truck"]
    located = streams.join(sites.set_index("id"), on="site")
    located["park"] = located["site"].str.split("_").str[0]
    pairs = []
    for kind in CARRIED:
        supplies = located[located["id"].str.startswith(f"{kind}_supply")]
        demands = located[located["id"].str.startswith(f"{kind}_demand")]
        s, d = (a.ravel() for a in np.meshgrid(np.arange(len(supplies)), np.arange(len(demands))))
        supply, demand = supplies.iloc[s], demands.iloc[d]
        km = haversine_km(
            supply["lat"].to_numpy(),
            supply["lon"].to_numpy(),
            demand["lat"].to_numpy(),
            demand["lon"].to_numpy(),
        )
        by_ship = (
            supply["port"].to_numpy()
            & demand["port"].to_numpy()
            & (km >= value(ship.min_km, "km"))
            & (km <= value(ship.max_km, "km"))
        )
        apart = supply["park"].to_numpy() != demand["park"].to_numpy()
        reach = by_ship | (km <= value(truck.max_km, "km"))
        keep = apart & reach
        pairs.append(
            pd.DataFrame(
                {
                    "supply": supply["id"].to_numpy()[keep],
                    "demand": demand["id"].to_numpy()[keep],
                    "unit": _unit(PAIRS[kind][0]),
                    "mode": np.where(by_ship[keep], "ship", "truck"),
                }
            )
        )
    every = pd.concat(pairs, ignore_index=True)
    chosen = every.iloc[np.sort(rng.permutation(len(every))[:count])].reset_index(drop=True)
    return chosen.assign(
        id=[f"link{i:04d}" for i in range(len(chosen))],
        quantity=1,
        status="idea",
        capex=rng.uniform(1e5, 1e6, len(chosen)).round(0),
    )[["id", "supply", "demand", "quantity", "unit", "mode", "status", "capex"]]


def _site_tables(
    rng: np.random.Generator,
    prefix: str,
    lat: np.ndarray,
    lon: np.ndarray,
    kinds: tuple[str, ...],
    candidates: int,
    hourly: bool,
    heat_pumps: int,
    stores: int,
) -> dict[str, pd.DataFrame]:
    """Actors, sites, streams, candidate exchanges and plants of one park; every id but a
    stream's starts with ``prefix`` (a stream's id names its site)."""
    sites = len(lat)
    site_ids = [f"{prefix}s{i:02d}" for i in range(sites)]
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
    exchanges = _candidate_exchanges(frame, kinds, candidates, rng, prefix)
    heated = sorted(set(frame.loc[frame["id"].str.startswith("heat_demand"), "site"]))
    return {
        "actors": pd.DataFrame({"id": [f"a{s}" for s in site_ids], "name": site_ids}),
        "sites": pd.DataFrame(
            {
                "id": site_ids,
                "actor": [f"a{s}" for s in site_ids],
                "lat": lat.round(5),
                "lon": lon.round(5),
            }
        ),
        "streams": frame,
        "exchanges": exchanges,
        "technologies": _technologies(heated, rng, heat_pumps, stores, prefix),
    }


def _write(
    folder: Path | str,
    name: str,
    tables: dict[str, pd.DataFrame],
    profiles: pd.DataFrame | None,
) -> Path:
    """Write a park folder: park.yaml, its tables and its hourly profiles."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    meta = {"name": name, "currency": "EUR", "co2_price": 0, "discount_rate": 0.05}
    (target / "park.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    for table, frame in tables.items():
        if len(frame.columns):
            frame.to_csv(target / f"{table}.csv", index=False)
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
    streams: pd.DataFrame,
    kinds: tuple[str, ...],
    count: int,
    rng: np.random.Generator,
    prefix: str = "",
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
                "id": f"{prefix}x{number:04d}",
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
    sites: list[str], rng: np.random.Generator, heat_pumps: int, stores: int, prefix: str = ""
) -> pd.DataFrame:
    """Candidate heat pumps (grid electricity to heat) and heat stores at sites that need heat."""
    if not sites:
        return pd.DataFrame()
    heat_pumps, stores = min(heat_pumps, len(sites)), min(stores, len(sites))
    rows = []
    for i, site in enumerate(rng.choice(sites, heat_pumps, replace=False)):
        rows.append(
            {
                "id": f"{prefix}hp{i}",
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
                "id": f"{prefix}store{i}",
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
