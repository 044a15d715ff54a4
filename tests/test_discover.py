"""Synergy discovery: each compatibility rule, transport, values and the command line,
on hand-made parks whose answers are known."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from symbionet import SymbionetError, discover, load_park
from symbionet.discovery.candidates import haversine_km
from symbionet.present.cli import app
from symbionet.register.park import Park
from symbionet.units import convert
from tests.conftest import write_park

runner = CliRunner()

ACTORS = "id,name,nace\nsupplier,Supplier,35.11\nreceiver,Receiver,21.20\nother,Other,20.14\n"
# s: the supplier's site; r: the receiver's, 1.1 km east; far: the receiver's, 100 km north.
SITES = (
    "id,actor,lat,lon,port\n"
    "s,supplier,55.0,11.0,true\n"
    "r,receiver,55.0,11.017,false\n"
    "r2,other,55.0,11.017,false\n"
    "far,receiver,55.9,11.0,true\n"
    "s2,supplier,55.0,11.0,false\n"
)


def park_of(tmp_path: Path, streams: str, **files: str) -> Park:
    """A park of the three actors above with the given streams (no exchanges)."""
    return load_park(
        write_park(
            tmp_path / "park",
            {
                "actors.csv": ACTORS,
                "sites.csv": SITES,
                "streams.csv": streams,
                "exchanges.csv": "id,supply,demand,quantity,unit\n",
                **{name.replace("_", ".", 1): text for name, text in files.items()},
            },
        )
    )


def pairs(table: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(table["supply"], table["demand"], strict=True))


def one(tmp_path: Path, supply: str, demand: str, header: str = "", **options: object) -> set:
    """Candidates between one supply and one demand row (cells after id,site,direction)."""
    columns = "id,site,direction,resource,quantity,unit" + header
    streams = f"{columns}\na,s,supply,{supply}\nb,r,demand,{demand}\n"
    return pairs(discover(park_of(tmp_path, streams), **options).candidates)  # type: ignore[arg-type]


# --- resource -----------------------------------------------------------------------


def test_same_resource_and_catalogue_substitutes_match_others_do_not(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit\n"
        "gyp,s,supply,fgd_gypsum,1000,t\n"
        "nat,r,demand,natural_gypsum,500,t\n"
        "steam,s,supply,steam_mp,1000,t\n"
        "need,r,demand,steam_mp,800,t\n"
        "water,r,demand,groundwater,100,m3\n"
    )
    table = discover(park_of(tmp_path, streams)).candidates
    assert pairs(table) == {("gyp", "nat"), ("steam", "need")}
    gypsum = table.set_index("supply").loc["gyp"]
    assert gypsum["resource"] == "fgd_gypsum" and gypsum["replaces"] == "natural_gypsum"


def test_matched_amount_is_the_smaller_through_the_substitution_ratio(tmp_path: Path) -> None:
    # 1 t of digestate replaces 0.004 t of mineral N (catalogue): 100 t N needs 25,000 t.
    streams = (
        "id,site,direction,resource,quantity,unit\n"
        "dig,s,supply,digestate,40000,t\n"
        "n,r,demand,mineral_n_fertiliser,100,t\n"
        "dig2,s2,supply,digestate,10000,t\n"
    )
    table = discover(park_of(tmp_path, streams)).candidates.set_index("supply")
    assert table.at["dig", "quantity"] == pytest.approx(25_000)
    assert table.at["dig", "share_of_demand"] == pytest.approx(1.0, abs=0.01)
    assert table.at["dig2", "quantity"] == pytest.approx(10_000)  # a partial match counts
    assert table.at["dig2", "replaced"] == pytest.approx(40, rel=0.02)


# --- quality ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("supply_t", "demand_t", "found"),
    [
        ("80", "70", True),
        ("80", "71", False),
        ("80", "", True),
        ("", "80", True),
        ("", "81", False),
    ],
)
def test_heat_serves_a_demand_at_most_its_temperature_minus_the_approach(
    tmp_path: Path, supply_t: str, demand_t: str, found: bool
) -> None:
    # approach 10 K; a supply without temperature has hot water's typical 90 °C
    got = one(
        tmp_path, f"hot_water,100,MWh,{supply_t}", f"hot_water,100,MWh,{demand_t}", ",temperature_c"
    )
    assert bool(got) is found


@pytest.mark.parametrize(
    ("supply_p", "demand_p", "found"),
    [
        ("10", "12", False),
        ("12", "12", True),
        ("16", "8", True),
        ("", "12", True),
        ("", "13", False),
    ],
)
def test_steam_serves_a_demand_at_or_below_its_pressure(
    tmp_path: Path, supply_p: str, demand_p: str, found: bool
) -> None:
    got = one(tmp_path, f"steam_mp,100,t,{supply_p}", f"steam_mp,100,t,{demand_p}", ",pressure_bar")
    assert bool(got) is found


def test_high_pressure_steam_can_serve_medium_pressure_demand(tmp_path: Path) -> None:
    assert one(tmp_path, "steam_hp,100,t", "steam_mp,100,t")
    assert not one(tmp_path, "steam_mp,100,t", "steam_hp,100,t")


@pytest.mark.parametrize(("limit", "found"), [("30", False), ("40", True), ("50", True)])
def test_a_demands_contaminant_limit_caps_what_the_supply_may_carry(
    tmp_path: Path, limit: str, found: bool
) -> None:
    # treated effluent carries a typical 40 ppm COD and may replace cooling water
    got = one(tmp_path, "treated_effluent,1000,m3,", f"cooling_water,1000,m3,{limit}", ",ppm_cod")
    assert bool(got) is found


def test_a_limit_the_supply_states_nothing_about_is_kept_and_flagged(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit,ppm_chloride\n"
        "eff,s,supply,treated_effluent,1000,m3,\n"
        "cool,r,demand,cooling_water,1000,m3,200\n"
    )
    table = discover(park_of(tmp_path, streams)).candidates
    assert list(table["unverified"]) == ["ppm_chloride"]
    assert "does not state ppm_chloride" in table["explanation"].iloc[0]


@pytest.mark.parametrize(("purity", "found"), [("0.97", False), ("0.96", True), ("0.9", True)])
def test_a_demands_purity_is_the_least_it_accepts(tmp_path: Path, purity: str, found: bool) -> None:
    # FGD gypsum has a typical purity of 0.96
    got = one(tmp_path, "fgd_gypsum,100,t,", f"natural_gypsum,100,t,{purity}", ",purity")
    assert bool(got) is found


@pytest.mark.parametrize(("demand_t", "found"), [("7", False), ("8", True)])
def test_cold_serves_a_demand_at_least_its_temperature_plus_the_approach(
    tmp_path: Path, demand_t: str, found: bool
) -> None:
    got = one(
        tmp_path, "chilled_water,100,MWh,6", f"chilled_water,100,MWh,{demand_t}", ",temperature_c"
    )
    assert bool(got) is found


# --- time ---------------------------------------------------------------------------

PROFILES = "period,summer,winter,spring\n" + "".join(
    f"{m},{int(m in (6, 7, 8))},{int(m in (12, 1, 2))},{int(m in (2, 3, 4))}\n"
    for m in range(1, 13)
)


def test_a_summer_surplus_does_not_meet_a_winter_demand(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit,profile\n"
        "heat,s,supply,district_heat,900,MWh,summer\n"
        "dh,r,demand,district_heat,900,MWh,winter\n"
        "dh2,r2,demand,district_heat,900,MWh,spring\n"
        "dh3,r2,demand,district_heat,1200,MWh,\n"
    )
    table = discover(park_of(tmp_path, streams, profiles_csv=PROFILES)).candidates.set_index(
        "demand"
    )
    assert "dh" not in table.index
    assert "dh2" not in table.index  # spring and summer do not overlap either
    # a flat demand takes 100 MWh a month: 3 summer months of it
    assert table.at["dh3", "quantity"] == pytest.approx(300)


def test_overlapping_profiles_match_the_sum_of_the_smaller_shares(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit,profile\n"
        "heat,s,supply,district_heat,300,MWh,winter\n"
        "dh,r,demand,district_heat,600,MWh,spring\n"
    )
    # winter: 100 in Dec, Jan, Feb; spring: 200 in Feb, Mar, Apr; they share February
    table = discover(park_of(tmp_path, streams, profiles_csv=PROFILES)).candidates
    assert table["quantity"].iloc[0] == pytest.approx(100)


def test_stored_materials_ignore_timing(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit,profile\n"
        "gyp,s,supply,fgd_gypsum,900,t,summer\n"
        "nat,r,demand,natural_gypsum,900,t,winter\n"
    )
    table = discover(park_of(tmp_path, streams, profiles_csv=PROFILES)).candidates
    assert table["quantity"].iloc[0] == pytest.approx(900)


# --- actors, distance and transport ---------------------------------------------------


def test_matches_within_one_actor_are_flagged_and_left_out_unless_asked(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit\n"
        "steam,s,supply,steam_mp,100,t\n"
        "own,s2,demand,steam_mp,100,t\n"
        "their,r,demand,steam_mp,100,t\n"
    )
    park = park_of(tmp_path, streams)
    assert pairs(discover(park).candidates) == {("steam", "their")}
    both = discover(park, internal=True).candidates.set_index("demand")
    assert set(both.index) == {"own", "their"}
    assert both.at["own", "internal"] and not both.at["their", "internal"]
    assert both.at["own", "mode"] == "pipeline"


def test_distance_is_the_great_circle_between_the_sites() -> None:
    assert haversine_km(0.0, 0.0, 1.0, 0.0) == pytest.approx(111.195, abs=1e-3)
    assert haversine_km(55.0, 11.0, 55.0, 11.017)[()] == pytest.approx(1.084, abs=1e-3)


@pytest.mark.parametrize(
    ("resource", "site", "mode"),
    [
        ("steam_mp", "r", "pipeline"),
        ("steam_mp", "far", None),  # steam travels a few km at most
        ("surface_water", "r", "pipeline"),
        ("surface_water", "far", None),  # water mains reach about 30 km
        ("fgd_gypsum", "r", "truck"),
        ("fgd_gypsum", "far", "ship"),  # both sites at a port, 100 km apart
    ],
)
def test_the_mode_follows_the_resource_and_the_distance(
    tmp_path: Path, resource: str, site: str, mode: str | None
) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit\n"
        f"a,s,supply,{resource},100000,t\n"
        f"b,{site},demand,{resource},100000,t\n"
    )
    table = discover(park_of(tmp_path, streams)).candidates
    assert list(table["mode"]) == ([mode] if mode else [])


def test_without_ports_bulk_goes_by_truck(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit\n"
        "a,s2,supply,fgd_gypsum,100000,t\n"
        "b,far,demand,natural_gypsum,100000,t\n"
    )
    table = discover(park_of(tmp_path, streams)).candidates
    assert list(table["mode"]) == ["truck"]
    assert table["distance_km"].iloc[0] == pytest.approx(100.08, abs=0.01)


def test_max_km_limits_the_distance(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit\n"
        "a,s,supply,fgd_gypsum,100,t\nb,far,demand,natural_gypsum,100,t\n"
        "c,r,demand,natural_gypsum,100,t\n"
    )
    park = park_of(tmp_path, streams)
    assert pairs(discover(park, max_km=50).candidates) == {("a", "c")}
    assert pairs(discover(park, max_km=0).candidates) == set()


def test_each_demand_keeps_its_nearest_compatible_supplies(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit\n"
        "near,s,supply,fgd_gypsum,100,t\nfar,far,supply,fgd_gypsum,100,t\n"
        "b,r2,demand,natural_gypsum,100,t\n"
    )
    park = park_of(tmp_path, streams)
    assert pairs(discover(park, per_demand=1).candidates) == {("near", "b")}
    assert pairs(discover(park, per_demand=2).candidates) == {("near", "b"), ("far", "b")}


def test_ties_at_the_cut_keep_the_first_supplies(tmp_path: Path) -> None:
    rows = "".join(f"g{i},s,supply,fgd_gypsum,100,t\n" for i in range(6))
    streams = (
        "id,site,direction,resource,quantity,unit\n" + rows + "b,r,demand,natural_gypsum,1,t\n"
    )
    park = park_of(tmp_path, streams)
    indexed = discover(park, per_demand=2).candidates
    assert pairs(indexed) == {("g0", "b"), ("g1", "b")}
    assert pairs(indexed) == pairs(discover(park, per_demand=2, method="all_pairs").candidates)


def test_resource_filter_takes_a_class_or_a_resource(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit\n"
        "gyp,s,supply,fgd_gypsum,100,t\nnat,r,demand,natural_gypsum,100,t\n"
        "steam,s,supply,steam_mp,100,t\nneed,r,demand,steam_mp,100,t\n"
    )
    park = park_of(tmp_path, streams)
    assert pairs(discover(park, resource="material").candidates) == {("gyp", "nat")}
    assert pairs(discover(park, resource="energy").candidates) == {("steam", "need")}
    assert pairs(discover(park, resource="natural gypsum").candidates) == {("gyp", "nat")}
    with pytest.raises(SymbionetError, match="did you mean water"):
        discover(park, resource="wter")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"max_km": -1.0}, "max_km: must be 0 or more"),
        ({"per_demand": 0}, "per_demand: must be 1 or more"),
        ({"top": -2}, "top: must be 0 or more"),
        ({"co2_price": -5.0}, "co2_price: must be 0 or more"),
    ],
)
def test_bad_options_are_clear_errors(tiny: Path, option: dict, message: str) -> None:
    with pytest.raises(SymbionetError, match=message):
        discover(load_park(tiny), **option)


# --- values -------------------------------------------------------------------------


def test_values_follow_the_documented_formula(tmp_path: Path) -> None:
    # 1,000 t of landfilled FGD gypsum for natural gypsum bought on the market, by truck
    streams = (
        "id,site,direction,resource,quantity,unit,fate,source\n"
        "gyp,s,supply,fgd_gypsum,1000,t,landfill,\n"
        "nat,r,demand,natural_gypsum,1000,t,,market\n"
    )
    row = discover(park_of(tmp_path, streams), co2_price=0.0).candidates.iloc[0]
    km = row["distance_km"] * 1.3  # road circuity
    truck_eur = 1000 * (3 + 0.10 * km)
    truck_t = 1000 * 0.08e-3 * km
    landfill_eur = convert(800, "DKK", "EUR")
    assert row["mode"] == "truck"
    assert row["transport_eur"] == pytest.approx(truck_eur)
    assert row["receiver_saving_eur"] == pytest.approx(1000 * 25)  # catalogue price
    assert row["supplier_saving_eur"] == pytest.approx(1000 * landfill_eur)
    assert row["value_eur"] == pytest.approx(1000 * (25 + landfill_eur) - truck_eur)
    assert row["co2e_t"] == pytest.approx(1000 * 0.03 + 1000 * 0.005 - truck_t)
    assert row["virgin_t"] == pytest.approx(1000)
    assert row["waste_diverted"] == pytest.approx(1000)
    assert row["freshwater_m3"] == 0
    assert row["benefit_eur"] == pytest.approx(row["value_eur"])  # no CO2 price asked


def test_lake_water_saves_groundwater_but_not_freshwater(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit,source\n"
        "lake,s,supply,surface_water,5000,m3,\n"
        "wells,r,demand,groundwater,4000,m3,groundwater\n"
        "effluent,s,supply,treated_effluent,3000,m3,\n"
        "cooling,r,demand,cooling_water,2000,m3,surface_water_intake\n"
    )
    found = discover(park_of(tmp_path, streams)).candidates.set_index(["supply", "demand"])
    lake = found.loc[("lake", "wells")]
    assert lake["groundwater_m3"] == pytest.approx(4000)
    assert lake["freshwater_m3"] == 0  # lake water is fresh water too
    assert lake["virgin_t"] == 0
    effluent = found.loc[("effluent", "cooling")]
    assert effluent["groundwater_m3"] == 0
    assert effluent["freshwater_m3"] == pytest.approx(effluent["replaced"])


def test_ranking_is_by_money_plus_co2_at_the_price_and_scores_are_normalised(
    tmp_path: Path,
) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit,fate,source\n"
        "steam,s,supply,steam_mp,10000,t,cooling,\n"
        "a,r,demand,steam_mp,10000,t,,natural_gas_boiler\n"
        "gyp,s,supply,fgd_gypsum,100,t,,\n"
        "b,r,demand,natural_gypsum,100,t,,market\n"
    )
    table = discover(park_of(tmp_path, streams), co2_price=100.0).candidates
    assert np.allclose(table["benefit_eur"], table["value_eur"] + 100.0 * table["co2e_t"])
    assert list(table["benefit_eur"]) == sorted(table["benefit_eur"], reverse=True)
    assert table["score"].iloc[0] == pytest.approx(1.0)
    assert table.index.name == "rank" and list(table.index) == [1, 2]


def test_existing_exchanges_are_marked(tiny: Path) -> None:
    table = discover(load_park(tiny)).candidates
    row = table.set_index("supply").loc["gyp"]
    assert row["existing"] and row["status"] == "operating"
    assert "exists (operating)" in row["explanation"]


def test_a_park_overrides_transport_defaults(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit\n"
        "a,s2,supply,fgd_gypsum,100,t\nb,far,demand,natural_gypsum,100,t\n"
    )
    park = park_of(tmp_path, streams)
    assert len(discover(park).candidates) == 1
    short = {"value": 50, "unit": "km", "ref": "symbionet_estimates"}
    shorter = replace(
        park, meta={**park.meta, "transport": {"modes": {"truck": {"max_km": short}}}}
    )
    assert discover(shorter).candidates.empty
    wrong = {**short, "ref": "nowhere"}
    broken = replace(park, meta={**park.meta, "transport": {"modes": {"truck": {"max_km": wrong}}}})
    with pytest.raises(SymbionetError) as caught:
        discover(broken)
    assert (
        str(caught.value) == "park.yaml:transport.modes.truck.max_km: unknown reference 'nowhere'"
    )


def test_transport_overrides_are_read_from_park_yaml(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit\n"
        "a,s2,supply,fgd_gypsum,100,t\nb,far,demand,natural_gypsum,100,t\n"
    )
    yaml_text = (
        "name: Override\ntransport:\n  modes:\n    truck:\n"
        "      max_km: {value: 50, unit: km, ref: symbionet_estimates}\n"
    )
    assert discover(park_of(tmp_path, streams, park_yaml=yaml_text)).candidates.empty


# --- Kalundborg ----------------------------------------------------------------------


def recall(park: Park) -> dict[int, float]:
    """Share of the park's exchanges found among the top 10, 20 and 50 once removed."""
    operating = park.exchanges[park.exchanges["status"] == "operating"]
    known = set(zip(operating["supply"], operating["demand"], strict=True))
    frames = {name: frame for name, frame in park.frames.items() if name != "exchanges"}
    table = discover(replace(park, frames=frames, _empty={}), internal=True).candidates
    ranked = list(zip(table["supply"], table["demand"], strict=True))
    return {k: len(known & set(ranked[:k])) / len(known) for k in (10, 20, 50)}


def documented_recall() -> dict[str, list[float]]:
    """The recall table of docs/discovery.md: example → recall at 10, 20, 50."""
    text = (Path(__file__).parents[1] / "docs" / "discovery.md").read_text(encoding="utf-8")
    rows = [line.split("|")[1:-1] for line in text.splitlines() if line.startswith("| `")]
    return {cells[0].strip(" `"): [float(c) for c in cells[2:5]] for cells in rows}


@pytest.mark.parametrize("example", ["kalundborg", "kalundborg-2010"])
def test_kalundborg_exchanges_come_back_near_the_top(example: str) -> None:
    found = recall(load_park(Path(__file__).parents[1] / "examples" / example))
    assert found[20] >= 0.8
    assert documented_recall()[example] == pytest.approx(
        [found[10], found[20], found[50]], abs=0.01
    )


# --- command line -------------------------------------------------------------------


def test_discover_prints_json_with_the_declared_fields(tiny: Path) -> None:
    result = runner.invoke(app, ["discover", str(tiny), "--json"])
    assert result.exit_code == 0, result.output
    candidates = json.loads(result.stdout)["candidates"]
    assert candidates
    required = {
        "supply",
        "demand",
        "supplier",
        "receiver",
        "resource",
        "quantity",
        "unit",
        "mode",
        "distance_km",
        "co2e_t",
        "freshwater_m3",
        "value_eur",
        "score",
        "explanation",
        "existing",
    }
    assert required <= set(candidates[0])


def test_discover_writes_csv_and_shows_tables(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "candidates.csv"
    assert runner.invoke(app, ["discover", str(tiny), "--csv", str(out)]).exit_code == 0
    assert list(pd.read_csv(out)["supply"]) == ["gyp"]
    shown = runner.invoke(app, ["discover", str(tiny)])
    assert shown.exit_code == 0 and "1. Power plant → Board plant" in shown.output


def test_discover_screen_prints_proposals(tiny: Path) -> None:
    result = runner.invoke(app, ["discover", str(tiny), "--screen", "--json"])
    assert result.exit_code == 0, result.output
    proposals = json.loads(result.output)["proposals"]
    assert proposals[0]["supplier"] == "power" and "fgd_gypsum" in proposals[0]["resources"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-km", "-3"], "max_km: must be 0 or more"),
        (["--resource", "unobtainium"], "neither a class"),
        (["--json", "--csv", "x.csv"], "choose one"),
    ],
)
def test_discover_bad_options_are_clear_errors(tiny: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["discover", str(tiny), *args])
    assert isinstance(result.exception, SymbionetError)
    assert message in str(result.exception)


def test_discover_errors_exit_1_without_traceback(tiny: Path, tmp_path: Path) -> None:
    from tests.test_cli_register import symbionet

    result = symbionet("discover", tiny, "--max-km", "-3")
    assert result.returncode == 1
    assert "max_km: must be 0 or more" in result.stderr and "Traceback" not in result.stderr
    broken = write_park(tmp_path / "broken", {"sites.csv": "id,actor,lat,lon\np1,power,95,11\n"})
    result = symbionet("discover", broken)
    assert result.returncode == 1
    assert "sites.csv:2:lat" in result.stderr and "Traceback" not in result.stderr


def test_a_rejected_exchange_is_not_an_existing_one(tiny: Path) -> None:
    exchanges = tiny / "exchanges.csv"
    exchanges.write_text(
        exchanges.read_text(encoding="utf-8").replace("operating", "rejected"), encoding="utf-8"
    )
    table = discover(load_park(tiny)).candidates
    row = table.set_index("supply").loc["gyp"]
    assert not row["existing"] and row["status"] == "rejected"
