"""Park-wide targets: heat and water the plants could share, against each plant on its own.

Each site is a plant. Heat: streams that carry a temperature and whose quantity is heat,
either measured in MWh per year or carried by a catalogue heat carrier (a resource with a
typical temperature and an energy content, such as steam in t: t × ``energy_mwh_per_unit``
MWh). A stream without a ``temperature_c`` of its own takes its resource's typical
temperature, and the result lists it. A supply is a hot stream that cools from its
temperature down to ``HEAT_SINK_C`` (heat below it is not worth recovering), a demand a
cold stream heated from ``HEAT_SINK_C`` up to its temperature; ``target_temp_c`` gives the
other end instead (the stream then runs from its temperature to ``target_temp_c``). Each
stream has a constant heat capacity flow: steam's latent heat is spread over its range.
The yearly quantity becomes an average duty over 8760 h. Each plant is first targeted on
its own; what it still needs or rejects (its grand composite curve, pockets removed) is
then pooled through a shared hot-water or steam loop. The loop costs a second approach
temperature, so plant-to-plant heat moves only across twice ``dt_min``: this is the total
site target.

Water: streams of the water class with at least one ``ppm_<contaminant>`` value, a supply
a source at its concentrations, a demand a sink accepting at most its concentrations
(1 m3 = 1 t). The source-sink allocation LP is solved for each plant alone and for the
whole park; the difference is the water that reuse between plants could save.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from symbionet.errors import Problem, SymbionetError
from symbionet.options import options_from
from symbionet.results import Result
from symbionet.targeting.heat import HeatTargets, heat_targets
from symbionet.targeting.options import SiteOptions
from symbionet.targeting.shared import magnitude_problems, summary, table_file, tolerance
from symbionet.targeting.water import Network, allocation_network

if TYPE_CHECKING:
    from symbionet.register.catalogue import Catalogue
    from symbionet.register.park import Park

HEAT_SINK_C = 40.0
HOURS_PER_YEAR = 8760.0
HEAT_UNIT = "MWh"
WATER_UNITS = ("m3", "t")  # 1 m3 of water is 1 t


@dataclass(frozen=True)
class HeatSharing(Result):
    """Hot and cold utility (kW, yearly average) of the plants on their own and of the park.

    ``typical_temperature`` maps the streams that had no temperature of their own to the
    typical temperature of their resource (degC), which they were given; ``sites`` holds
    each plant's own utilities.
    """

    main_table: ClassVar[str] = "sites"

    streams: int
    plants_hot_utility_kw: float
    plants_cold_utility_kw: float
    park_hot_utility_kw: float
    park_cold_utility_kw: float
    interplant_recovery_kw: float
    interplant_recovery_mwh_per_year: float
    typical_temperature: dict[str, float]
    sites: pd.DataFrame = field(repr=False, compare=False)


@dataclass(frozen=True)
class WaterSharing(Result):
    """Freshwater and wastewater (t/h) of the plants on their own and of the park; the
    park's reuse ``network`` (``from``, ``to``, ``flow_t_per_h``) and each plant's own
    figures (``sites``)."""

    main_table: ClassVar[str] = "sites"

    streams: int
    contaminants: list[str]
    plants_freshwater_t_per_h: float
    park_freshwater_t_per_h: float
    interplant_reuse_t_per_h: float
    plants_wastewater_t_per_h: float
    park_wastewater_t_per_h: float
    network: pd.DataFrame = field(repr=False, compare=False)
    sites: pd.DataFrame = field(repr=False, compare=False)


@dataclass(frozen=True)
class SiteTargets(Result):
    """What an exchange programme can aim at; None where the park has no data for it."""

    dt_min_k: float
    freshwater_ppm: float
    heat: HeatSharing | None
    water: WaterSharing | None

    def tables(self) -> dict[str, pd.DataFrame]:
        """Heat and water, each as one row of figures, per plant and (water) the network."""
        found: dict[str, pd.DataFrame] = {}
        if self.heat is not None:
            found |= {"heat": summary(self.heat), "heat_sites": self.heat.sites}
        if self.water is not None:
            found |= {"water": summary(self.water), "water_sites": self.water.sites}
            found["water_network"] = self.water.network
        return found

    def to_frame(self) -> pd.DataFrame:
        """The first of the tables (an empty one when the park has neither heat nor water)."""
        return next(iter(self.tables().values()), pd.DataFrame())


def targets(park: Park, options: SiteOptions | None = None, **overrides: Any) -> SiteTargets:
    """Site targets of a park: the heat and water its plants could share, against each
    plant on its own, as ``options`` say (keywords override single options:
    ``targets(park, dt_min=20)``). Heat carriers come from the park's catalogue."""
    streams = park.streams.copy()
    streams.attrs["file"] = str(park.source)
    return stream_targets(streams, options, carriers=heat_carriers(park.catalogue), **overrides)


def stream_targets(
    streams: pd.DataFrame,
    options: SiteOptions | None = None,
    *,
    carriers: pd.DataFrame | None = None,
    **overrides: Any,
) -> SiteTargets:
    """Heat and water targets of a park's streams table, plant by plant and park-wide.

    ``carriers`` is the table of ``heat_carriers``; without it only streams in MWh with a
    temperature of their own count as heat.
    """
    settings = options_from(SiteOptions, options, overrides)
    streams = _with_id_column(streams)
    _check_numbers(streams)
    return SiteTargets(
        dt_min_k=float(settings.dt_min),
        freshwater_ppm=float(settings.freshwater_ppm),
        heat=_heat_sharing(heat_streams_of(streams, carriers), settings.dt_min),
        water=_water_sharing(streams, settings.freshwater_ppm),
    )


def heat_carriers(catalogue: Catalogue) -> pd.DataFrame:
    """Resources that carry heat: those with a typical temperature and an energy content.

    One row per resource id, with ``energy_mwh_per_unit`` (MWh per unit of the resource)
    and ``temperature_c`` (its typical temperature).
    """
    rows = {
        key: (r.energy_mwh_per_unit, r.typical["temperature_c"])
        for key, r in catalogue.resources.items()
        if r.energy_mwh_per_unit is not None and "temperature_c" in r.typical
    }
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=["energy_mwh_per_unit", "temperature_c"], dtype=float
    )


def _check_numbers(streams: pd.DataFrame) -> None:
    """Raise for quantities, temperatures and concentrations too large or too small to
    compute with, naming each stream and field."""
    named = {"annual_quantity": "quantity", "temperature_c": None, "target_temp_c": None}
    columns = [c for c in streams.columns if c in named or str(c).startswith("ppm_")]
    problems = [
        Problem(
            table_file(streams),
            None,
            named.get(column) or column,
            f"stream {streams.at[row, 'id']!r}: {message}",
        )
        for column in columns
        for row, message in magnitude_problems(streams[column].astype(float)).items()
    ]
    if problems:
        raise SymbionetError(problems)


def _with_id_column(streams: pd.DataFrame) -> pd.DataFrame:
    """The park keeps stream ids as the index; make them a column."""
    return streams if "id" in streams else streams.reset_index()


def heat_streams_of(streams: pd.DataFrame, carriers: pd.DataFrame | None = None) -> pd.DataFrame:
    """The park's heat streams in the heat CSV form (name, site, temperatures, CP).

    ``temperature_from`` says where each stream's temperature came from: ``stream`` or
    ``catalogue`` (the typical temperature of its resource, in ``carriers``).
    """
    streams = _with_id_column(streams)
    if carriers is None:
        carriers = pd.DataFrame(columns=["energy_mwh_per_unit", "temperature_c"], dtype=float)
    carrier = carriers.reindex(streams.resource.astype(str)).set_axis(streams.index)
    own = streams.temperature_c.astype(float)
    temperature = own.fillna(carrier.temperature_c)
    in_mwh = streams.annual_unit == HEAT_UNIT
    per_unit = carrier.energy_mwh_per_unit.fillna(in_mwh.astype(float))
    mwh = streams.annual_quantity.astype(float) * per_unit.where(per_unit > 0)
    keep = mwh.notna() & temperature.notna()
    heat, temperature, mwh = streams[keep], temperature[keep], mwh[keep]
    supply = heat.direction == "supply"
    given = heat.get("target_temp_c", pd.Series(np.nan, index=heat.index)).astype(float)
    other_end = given.fillna(HEAT_SINK_C)
    start = temperature.where(supply, other_end)
    end = other_end.where(supply, temperature)
    wrong_way = given >= temperature
    if wrong_way.any():
        raise SymbionetError(
            Problem(table_file(streams), None, "target_temp_c", _wrong_way(row, t))
            for (_, row), t in zip(heat[wrong_way].iterrows(), temperature[wrong_way], strict=True)
        )
    moving = other_end < temperature
    kw = mwh * 1000 / HOURS_PER_YEAR
    table = pd.DataFrame(
        {
            "name": heat.id.astype(str),
            "site": heat.site.astype(str),
            "supply_temp_c": start,
            "target_temp_c": end,
            "cp_kw_per_k": kw / (end - start).abs(),
            "temperature_from": np.where(own[keep].isna(), "catalogue", "stream"),
        }
    )
    return table[moving & (kw > 0)].reset_index(drop=True)


def _wrong_way(row: pd.Series, temperature: float) -> str:
    way = "cool down to" if row.direction == "supply" else "heat up from"
    return (
        f"stream {row.id!r}: a {row.direction} must {way} a target_temp_c below its "
        f"temperature ({row.target_temp_c:g} is not below {temperature:g} degC)"
    )


def _heat_sharing(table: pd.DataFrame, dt_min: float) -> HeatSharing | None:
    if table.empty:
        return None
    per_site = {site: heat_targets(rows, dt_min=dt_min) for site, rows in table.groupby("site")}
    profiles = pd.concat([_profile_streams(site, t) for site, t in per_site.items()])
    plants_hot = sum(t.hot_utility_kw for t in per_site.values())
    plants_cold = sum(t.cold_utility_kw for t in per_site.values())
    recovered = 0.0
    if not profiles.empty:
        loop = heat_targets(profiles.assign(dt_min_contribution_k=dt_min / 2), dt_min=dt_min)
        recovered = plants_hot - loop.hot_utility_kw
    return HeatSharing(
        streams=len(table),
        plants_hot_utility_kw=plants_hot,
        plants_cold_utility_kw=plants_cold,
        park_hot_utility_kw=plants_hot - recovered,
        park_cold_utility_kw=plants_cold - recovered,
        interplant_recovery_kw=recovered,
        interplant_recovery_mwh_per_year=recovered * HOURS_PER_YEAR / 1000,
        typical_temperature=_typical_temperatures(table),
        sites=pd.DataFrame(
            {
                "site": list(per_site),
                "hot_utility_kw": [t.hot_utility_kw for t in per_site.values()],
                "cold_utility_kw": [t.cold_utility_kw for t in per_site.values()],
            }
        ),
    )


def _typical_temperatures(table: pd.DataFrame) -> dict[str, float]:
    typical = table[table.temperature_from == "catalogue"]
    temperature = typical[["supply_temp_c", "target_temp_c"]].max(axis=1).astype(float)
    return dict(zip(typical.name, temperature, strict=True))


def _profile_streams(site: str, targets: HeatTargets) -> pd.DataFrame:
    """What a plant still needs (cold) and rejects (hot), as streams on its shifted scale.

    Heat needed at or above a shifted temperature is the hot utility less the least heat
    flow above it; heat rejected at or below one is the cold utility less the least flow
    below it. Pockets of the grand composite curve stay inside the plant.
    """
    temps = targets.cascade.shifted_temp_c.to_numpy()
    flow = targets.cascade.heat_flow_kw.to_numpy()
    needed = targets.hot_utility_kw - np.minimum.accumulate(flow)
    rejected = targets.cold_utility_kw - np.minimum.accumulate(flow[::-1])[::-1]
    top, bottom = temps[:-1], temps[1:]
    cold = pd.DataFrame({"supply_temp_c": bottom, "target_temp_c": top, "kw": np.diff(needed)})
    hot = pd.DataFrame({"supply_temp_c": top, "target_temp_c": bottom, "kw": -np.diff(rejected)})
    profile = pd.concat([cold, hot])
    profile = profile[profile.kw > tolerance(targets.hot_utility_kw + targets.cold_utility_kw)]
    return pd.DataFrame(
        {
            "name": [f"{site} profile {i}" for i in range(len(profile))],
            "supply_temp_c": profile.supply_temp_c,
            "target_temp_c": profile.target_temp_c,
            "cp_kw_per_k": profile.kw / (profile.supply_temp_c - profile.target_temp_c).abs(),
        }
    )


def _water_sharing(streams: pd.DataFrame, freshwater_ppm: float) -> WaterSharing | None:
    contaminants = [c for c in streams.columns if str(c).startswith("ppm_")]
    if not contaminants or "resource_class" not in streams:
        return None
    water = streams[
        (streams.resource_class == "water")
        & streams.annual_unit.isin(WATER_UNITS)
        & streams[contaminants].notna().any(axis=1)
    ]
    if water.empty:
        return None
    table = water.set_index(water.id.astype(str))[contaminants].astype(float)
    table.insert(0, "flow_t_per_h", water.annual_quantity.to_numpy(float) / HOURS_PER_YEAR)
    demand = (water.direction == "demand").to_numpy()
    sites = water.site.astype(str).to_numpy()
    file = table_file(streams)
    plants = {
        site: _allocate(
            table[(sites == site) & demand],
            table[(sites == site) & ~demand],
            freshwater_ppm,
            f"site {site!r}",
            file,
        )
        for site in pd.unique(sites)
    }
    park = _allocate(table[demand], table[~demand], freshwater_ppm, "the park", file)
    plants_freshwater = sum(network.total for network in plants.values())
    return WaterSharing(
        streams=len(water),
        contaminants=[c.removeprefix("ppm_") for c in contaminants],
        plants_freshwater_t_per_h=plants_freshwater,
        park_freshwater_t_per_h=park.total,
        interplant_reuse_t_per_h=plants_freshwater - park.total,
        plants_wastewater_t_per_h=sum(_wastewater(n) for n in plants.values()),
        park_wastewater_t_per_h=_wastewater(park),
        network=park.edges(),
        sites=pd.DataFrame(
            {
                "site": list(plants),
                "freshwater_t_per_h": [network.total for network in plants.values()],
                "wastewater_t_per_h": [_wastewater(network) for network in plants.values()],
            }
        ),
    )


def _wastewater(network: Network) -> float:
    return float(network.wastewater.sum())


def _allocate(
    sinks: pd.DataFrame, sources: pd.DataFrame, freshwater_ppm: float, where: str, file: str
) -> Network:
    network = allocation_network(sinks, sources, freshwater_ppm)
    if network is None:
        message = f"no water network meets every demand of {where}: some need cleaner water"
        raise SymbionetError([Problem(file, None, None, message)])
    return network


__all__ = [
    "HEAT_SINK_C",
    "HeatSharing",
    "SiteTargets",
    "WaterSharing",
    "heat_carriers",
    "heat_streams_of",
    "stream_targets",
    "targets",
]
