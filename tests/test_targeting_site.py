"""Park-wide targets: heat through a shared loop and water reuse between plants, against
each plant on its own, on small parks loaded through ``load_park``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import symbionet
from symbionet import check_park, load_park
from symbionet.errors import SymbionetError
from symbionet.targeting.heat import heat_targets
from symbionet.targeting.site import heat_carriers, heat_streams_of, stream_targets
from tests.conftest import EXAMPLES, write_park

HEADER = "id,site,direction,resource,quantity,unit,temperature_c,ppm_cod,ppm_tss\n"
NO_EXCHANGES = {"exchanges.csv": "id,supply,demand,quantity,unit,mode,status\n"}


def park_streams(tmp_path: Path, rows: str) -> pd.DataFrame:
    """The streams table of the tiny park's two sites (p1, b1) with these streams."""
    return load_park(
        write_park(tmp_path / "park", {"streams.csv": HEADER + rows, **NO_EXCHANGES})
    ).streams


# 876 MWh/yr is 100 kW on average: from 90 C down to 40 C, a CP of 2 kW/K.
WASTE_HEAT = "waste_heat,p1,supply,low_temp_heat,876,MWh/yr,90,,\n"


@pytest.mark.parametrize(
    ("needed_c", "recovered_kw"),
    [
        (70, 45),  # the loop runs between 80 and 50 C: all 45 kW come from p1
        (85, 30),  # above 70 C (90 C less two approaches) the loop cannot deliver
    ],
)
def test_heat_crosses_the_loop_with_two_approach_temperatures(
    tmp_path: Path, needed_c: int, recovered_kw: float
) -> None:
    demand = f"board_heat,b1,demand,low_temp_heat,394.2,MWh/yr,{needed_c},,\n"  # 45 kW
    heat = stream_targets(park_streams(tmp_path, WASTE_HEAT + demand), dt_min=10).heat
    assert heat is not None and heat.streams == 2
    assert heat.plants_hot_utility_kw == pytest.approx(45)
    assert heat.plants_cold_utility_kw == pytest.approx(100)
    assert heat.interplant_recovery_kw == pytest.approx(recovered_kw)
    assert heat.park_hot_utility_kw == pytest.approx(45 - recovered_kw)
    assert heat.park_cold_utility_kw == pytest.approx(100 - recovered_kw)
    assert heat.interplant_recovery_mwh_per_year == pytest.approx(recovered_kw * 8.76)
    per_site = heat.sites.set_index("site")
    assert per_site.loc["b1"].tolist() == pytest.approx([45, 0])
    assert per_site.loc["p1"].tolist() == pytest.approx([0, 100])


def test_each_plant_integrates_its_own_streams_first(tmp_path: Path) -> None:
    rows = (
        WASTE_HEAT
        + "p1_heat,p1,demand,low_temp_heat,262.8,MWh/yr,60,,\n"  # 30 kW, recovered inside p1
        + "board_heat,b1,demand,low_temp_heat,394.2,MWh/yr,70,,\n"
        + "board_dryer,b1,supply,flue_gas_heat,876,MWh/yr,120,,\n"  # 100 kW from 120 C
    )
    streams = park_streams(tmp_path, rows)
    heat = stream_targets(streams, dt_min=10).heat
    assert heat is not None
    table = heat_streams_of(streams)
    for site, row in heat.sites.set_index("site").iterrows():
        alone = heat_targets(table[table.site == site], dt_min=10)
        assert row.hot_utility_kw == pytest.approx(alone.hot_utility_kw)
        assert row.cold_utility_kw == pytest.approx(alone.cold_utility_kw)
    assert heat.plants_hot_utility_kw == pytest.approx(0)  # b1's dryer covers its own demand
    assert heat.interplant_recovery_kw == 0  # so nothing is left to share
    whole = heat_targets(table, dt_min=10)  # one plant with direct exchange does no better
    assert whole.cold_utility_kw == pytest.approx(heat.park_cold_utility_kw)


def test_heat_streams_take_an_optional_target_temperature(tmp_path: Path) -> None:
    streams = park_streams(tmp_path, WASTE_HEAT).assign(target_temp_c=[60.0])
    table = heat_streams_of(streams)
    assert table[["supply_temp_c", "target_temp_c", "cp_kw_per_k"]].iloc[0].tolist() == [
        90,
        60,
        pytest.approx(100 / 30),
    ]
    backwards = streams.assign(target_temp_c=[95.0])
    with pytest.raises(SymbionetError, match="'waste_heat': a supply must cool down"):
        heat_streams_of(backwards)


STEAM_HEADER = "id,site,direction,resource,quantity,unit,temperature_c,target_temp_c\n"
# b1 heats 1000 kW (8760 MWh/yr) of water from 60 C up to 90 C: a CP of 33.3 kW/K.
HOT_WATER = "b1_water,b1,demand,hot_water,8760,MWh/yr,90,60\n"


def steam_park(tmp_path: Path, rows: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    park = load_park(
        write_park(tmp_path / "park", {"streams.csv": STEAM_HEADER + rows, **NO_EXCHANGES})
    )
    return park.streams, heat_carriers(park.catalogue)


@pytest.mark.parametrize(
    ("target_c", "recovered_mwh"),
    [
        # 10,000 t/yr of LP steam at 0.648 MWh/t is 6480 MWh/yr, 739.7 kW on average. Cooled
        # to 100 C it all lies above 80 C, the least the loop can use for water at 60 C.
        ("100", 6480),
        # Cooled to 40 C (the default) its CP is 739.7/120 kW/K: only the 2/3 above 80 C.
        ("", 4320),
    ],
)
def test_steam_in_tonnes_counts_through_its_enthalpy(
    tmp_path: Path, target_c: str, recovered_mwh: float
) -> None:
    steam = f"p1_steam,p1,supply,steam_lp,10000,t/yr,,{target_c}\n"  # 160 C, typical
    streams, carriers = steam_park(tmp_path, steam + HOT_WATER)
    table = heat_streams_of(streams, carriers).set_index("name")
    assert table.loc["p1_steam", "supply_temp_c"] == 160
    assert table.loc["p1_steam", "temperature_from"] == "catalogue"
    assert table.loc["b1_water", ["supply_temp_c", "target_temp_c"]].tolist() == [60, 90]
    heat = stream_targets(streams, dt_min=10, carriers=carriers).heat
    assert heat is not None and heat.streams == 2
    assert heat.typical_temperature == {"p1_steam": 160}
    assert heat.plants_hot_utility_kw == pytest.approx(1000)
    assert heat.plants_cold_utility_kw == pytest.approx(6480 / 8.76)
    assert heat.interplant_recovery_mwh_per_year == pytest.approx(recovered_mwh)
    assert heat.park_hot_utility_kw == pytest.approx(1000 - recovered_mwh / 8.76)


def test_steam_is_left_out_without_the_heat_carriers(tmp_path: Path) -> None:
    streams, _ = steam_park(tmp_path, "p1_steam,p1,supply,steam_lp,10000,t/yr,,100\n")
    assert heat_streams_of(streams).empty
    assert stream_targets(streams).heat is None


def test_a_demand_must_be_heated_from_below_its_temperature(tmp_path: Path) -> None:
    streams, carriers = steam_park(tmp_path, "b1_water,b1,demand,hot_water,8760,MWh/yr,90,95\n")
    with pytest.raises(SymbionetError, match=r"'b1_water': a demand must heat up from .*\(95 is"):
        stream_targets(streams, carriers=carriers)


def test_a_target_temperature_below_absolute_zero_is_refused(tmp_path: Path) -> None:
    rows = STEAM_HEADER + "p1_steam,p1,supply,steam_lp,10000,t/yr,,-300\n"
    problems = check_park(write_park(tmp_path / "park", {"streams.csv": rows, **NO_EXCHANGES}))
    assert [p.column for p in problems] == ["target_temp_c"]


def test_heat_below_the_sink_temperature_is_left_out(tmp_path: Path) -> None:
    rows = "warm,p1,supply,low_temp_heat,876,MWh/yr,35,,\n"
    assert stream_targets(park_streams(tmp_path, rows)).heat is None


EFFLUENT = "p1_effluent,p1,supply,industrial_wastewater,87600,m3/yr,,20,\n"  # 10 t/h


def test_water_reuse_between_plants(tmp_path: Path) -> None:
    rows = (
        EFFLUENT
        + "p1_process,p1,demand,process_water,87600,m3/yr,,10,\n"  # takes 5 t/h of effluent
        + "b1_process,b1,demand,process_water,43800,m3/yr,,50,\n"  # could take the other 5
    )
    water = stream_targets(park_streams(tmp_path, rows)).water
    assert water is not None and water.contaminants == ["cod", "tss"]
    assert water.plants_freshwater_t_per_h == pytest.approx(10)
    assert water.park_freshwater_t_per_h == pytest.approx(5)
    assert water.interplant_reuse_t_per_h == pytest.approx(5)
    assert water.plants_wastewater_t_per_h == pytest.approx(5)
    assert water.park_wastewater_t_per_h == pytest.approx(0)
    between = water.network.set_index(["from", "to"]).flow_t_per_h
    assert between[("p1_effluent", "b1_process")] == pytest.approx(5)


def test_an_unknown_concentration_blocks_reuse_where_it_is_limited(tmp_path: Path) -> None:
    rows = EFFLUENT + "b1_process,b1,demand,process_water,43800,m3/yr,,50,30\n"
    water = stream_targets(park_streams(tmp_path, rows)).water
    assert water is not None
    assert water.interplant_reuse_t_per_h == 0  # the effluent's solids are not known
    assert water.park_freshwater_t_per_h == pytest.approx(5)


def test_a_demand_cleaner_than_freshwater_cannot_be_met(tmp_path: Path) -> None:
    rows = "b1_process,b1,demand,process_water,43800,m3/yr,,1,\n"
    with pytest.raises(SymbionetError, match="no water network meets every demand of site 'b1'"):
        stream_targets(park_streams(tmp_path, rows), freshwater_ppm=5)


def test_sharing_never_costs_more_than_the_plants_alone(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    rows = "".join(
        f"h{i},{site},{direction},low_temp_heat,{rng.integers(100, 1000)},MWh/yr,"
        f"{rng.integers(45, 100)},,\n"
        for i, (site, direction) in enumerate(
            [("p1", "supply"), ("p1", "demand"), ("b1", "supply"), ("b1", "demand")] * 2
        )
    )
    heat = stream_targets(park_streams(tmp_path, rows), dt_min=10).heat
    assert heat is not None
    assert 0 <= heat.interplant_recovery_kw <= heat.plants_hot_utility_kw + 1e-9
    assert heat.park_hot_utility_kw - heat.park_cold_utility_kw == pytest.approx(
        heat.plants_hot_utility_kw - heat.plants_cold_utility_kw
    )


def test_kalundborg_shares_steam_and_district_heat_but_has_no_water_quality() -> None:
    park = load_park(EXAMPLES / "kalundborg")
    targets = stream_targets(park.streams, carriers=heat_carriers(park.catalogue))
    assert targets.water is None
    heat = targets.heat
    assert heat is not None and heat.streams == 6  # three district heat, three steam streams
    assert set(heat.typical_temperature.values()) == {250}  # steam_mp has no temperature_c
    assert heat.interplant_recovery_kw > 0
    assert set(targets.to_dict()) == {"dt_min_k", "freshwater_ppm", "heat", "water"}


def test_the_food_park_shares_heat_and_water() -> None:
    path = EXAMPLES / "targeting" / "food-park"
    assert check_park(path) == []
    park = load_park(path)
    targets = stream_targets(park.streams, carriers=heat_carriers(park.catalogue))
    assert targets.heat is not None and targets.heat.interplant_recovery_kw > 0
    assert targets.heat.park_hot_utility_kw < targets.heat.plants_hot_utility_kw
    assert targets.water is not None and targets.water.interplant_reuse_t_per_h > 0
    assert targets.water.contaminants == ["cod", "tss"]
    # the figures printed in docs/targeting.md and examples/targeting/README.md
    assert targets.heat.interplant_recovery_mwh_per_year == pytest.approx(8916, abs=1)
    assert targets.water.interplant_reuse_t_per_h == pytest.approx(3.771, abs=1e-3)


def test_targets_of_a_park_is_a_verb_of_symbionet_with_options() -> None:
    park = load_park(EXAMPLES / "targeting" / "food-park")
    found = symbionet.targets(park)
    assert isinstance(found, symbionet.SiteTargets)
    assert found.heat is not None and found.water is not None
    assert found.heat.interplant_recovery_mwh_per_year == pytest.approx(8916, abs=1)
    assert list(found.tables()) == ["heat", "heat_sites", "water", "water_sites", "water_network"]
    assert found.to_frame().interplant_recovery_kw.item() == pytest.approx(1017.8, abs=0.1)
    wider = symbionet.targets(park, symbionet.SiteOptions(dt_min=20))
    assert wider.dt_min_k == 20 and wider.heat is not None
    assert wider.heat.interplant_recovery_kw < found.heat.interplant_recovery_kw
    assert symbionet.targets(park, dt_min=20).to_dict() == wider.to_dict()
    with pytest.raises(SymbionetError, match="freshwater_ppm: must be a number from 0"):
        symbionet.targets(park, freshwater_ppm=-1)
