"""Logistics: how a candidate's resource travels, and what the route costs and emits, each
figure worked by hand from the factors in symbionet/data/transport.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
from searoute import searoute

from symbionet import SymbionetError, discover, load_park
from symbionet.discovery.candidates import haversine_km
from symbionet.discovery.transport import Transport, load_defaults
from symbionet.register.catalogue import default_catalogue
from tests.conftest import write_park

# Sites at the UN/LOCODE positions of the ports of Kalundborg, Esbjerg and Aalborg (as
# searoute lists them), a site 10 km south of Aalborg's port, and two inland sites with
# rail sidings 100 km apart.
KALUNDBORG, ESBJERG, AALBORG = (55.680624, 11.064107), (55.460026, 8.432693), (57.05, 9.916667)
SITES = (
    "id,actor,lat,lon,port,rail\n"
    f"kal,a,{KALUNDBORG[0]},{KALUNDBORG[1]},true,false\n"
    f"esb,b,{ESBJERG[0]},{ESBJERG[1]},true,false\n"
    f"inland,a,{AALBORG[0] - 0.09},{AALBORG[1]},false,false\n"
    "west,a,56.0,9.0,false,true\n"
    "east,b,56.0,10.6,false,true\n"
    "east_road,b,56.0,10.6,false,false\n"
)
GYPSUM, NATURAL = "fgd_gypsum,1000,t,landfill,", "natural_gypsum,1000,t,,market"


def candidate(
    tmp_path: Path,
    supply_site: str,
    demand_site: str,
    supply: str = GYPSUM,
    demand: str = NATURAL,
    park: str = "name: Logistics\n",
) -> dict:
    """The one candidate from ``supply`` to ``demand``: by default 1,000 t of landfilled FGD
    gypsum to natural gypsum bought."""
    streams = (
        "id,site,direction,resource,quantity,unit,fate,source\n"
        f"s,{supply_site},supply,{supply}\nd,{demand_site},demand,{demand}\n"
    )
    files = {
        "park.yaml": park,
        "actors.csv": "id,name\na,A\nb,B\n",
        "sites.csv": SITES,
        "streams.csv": streams,
        "exchanges.csv": "id,supply,demand,quantity,unit\n",
    }
    table = discover(load_park(write_park(tmp_path / "park", files)), co2_price=0.0).candidates
    assert len(table) == 1
    return dict(table.iloc[0])


def sea_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(searoute([a[1], a[0]], [b[1], b[0]], units="km")["properties"]["length"])


def test_a_ship_between_two_ports_costs_handling_and_the_sea_route(tmp_path: Path) -> None:
    row = candidate(tmp_path, "kal", "esb")
    sea = sea_km(KALUNDBORG, ESBJERG)  # about 633 km round Skagen
    assert row["mode"] == "ship"
    assert row["route_km"] == pytest.approx(sea)
    assert row["route"] == f"Kalundborg port, ship {round(sea)} km, Esbjerg port"
    assert row["transport_eur"] == pytest.approx(1000 * (8 + 0.02 * sea))  # handling, freight
    # avoided: natural gypsum 0.03 t/t, landfill 0.005 t/t; the ship emits 0.0054 kg/t·km
    assert row["co2e_t"] == pytest.approx(1000 * (0.03 + 0.005) - 1000 * 0.0054e-3 * sea)


def test_a_site_off_the_port_trucks_to_the_nearest_cargo_terminal(tmp_path: Path) -> None:
    row = candidate(tmp_path, "inland", "esb")
    road = haversine_km(AALBORG[0] - 0.09, AALBORG[1], *AALBORG) * 1.3  # road circuity
    sea = sea_km(AALBORG, ESBJERG)
    assert row["mode"] == "ship"
    assert (
        row["route"] == f"truck {round(road)} km, Aalborg port, ship {round(sea)} km, Esbjerg port"
    )
    assert row["route_km"] == pytest.approx(road + sea)
    truck, ship = 1000 * (3 + 0.10 * road), 1000 * (8 + 0.02 * sea)
    assert row["transport_eur"] == pytest.approx(truck + ship)
    straight = haversine_km(AALBORG[0] - 0.09, AALBORG[1], *ESBJERG)
    assert truck + ship < 1000 * (3 + 0.10 * 1.3 * straight)  # cheaper than by road
    emitted = 1000 * (0.08e-3 * road + 0.0054e-3 * sea)
    assert row["co2e_t"] == pytest.approx(1000 * 0.035 - emitted)


def test_a_truck_goes_the_straight_line_times_the_road_detour(tmp_path: Path) -> None:
    row = candidate(tmp_path, "west", "east_road")
    road = haversine_km(56.0, 9.0, 56.0, 10.6) * 1.3
    assert row["mode"] == "truck" and row["route"] == f"truck {round(road)} km"
    assert row["distance_km"] * 1.3 == pytest.approx(row["route_km"]) == pytest.approx(road)
    assert row["transport_eur"] == pytest.approx(1000 * (3 + 0.10 * road))


def test_the_road_detour_is_the_park_country_s(tmp_path: Path) -> None:
    factor = "{value: 1.5, unit: '1', ref: symbionet_estimates}"
    park = f"name: Jutland\ncountry: DK\ntransport:\n  road_circuity:\n    DK: {factor}\n"
    row = candidate(tmp_path, "west", "east_road", park=park)
    assert row["route_km"] == pytest.approx(haversine_km(56.0, 9.0, 56.0, 10.6) * 1.5)
    other = park.replace("country: DK", "country: SE")
    assert candidate(tmp_path / "se", "west", "east_road", park=other)["route_km"] == (
        pytest.approx(row["distance_km"] * 1.3)  # the default
    )


def test_a_ship_reached_by_a_mode_that_is_no_truck_is_refused(tmp_path: Path) -> None:
    park = "name: Ships\ntransport:\n  modes:\n    ship:\n      access: water_pipe\n"
    with pytest.raises(SymbionetError) as caught:
        candidate(tmp_path, "kal", "esb", park=park)
    assert str(caught.value) == (
        "park.yaml:transport.modes.ship.access: 'water_pipe' is not a truck mode"
    )


def test_rail_runs_between_two_sidings_at_its_own_factors(tmp_path: Path) -> None:
    row = candidate(tmp_path, "west", "east")
    line = haversine_km(56.0, 9.0, 56.0, 10.6) * 1.2  # rail circuity
    assert row["mode"] == "rail" and row["route"] == f"rail {round(line)} km"
    assert row["transport_eur"] == pytest.approx(1000 * (3 + 0.04 * line))
    assert row["co2e_t"] == pytest.approx(1000 * 0.035 - 1000 * 0.028e-3 * line)


def test_a_tanker_costs_liquids_per_m3_and_m3_km(tmp_path: Path) -> None:
    row = candidate(tmp_path, "west", "east_road", "gas_oil,1000,t,sold,", "gas_oil,1000,t,,market")
    road = haversine_km(56.0, 9.0, 56.0, 10.6) * 1.3
    m3 = 1000 / 0.845  # the catalogue's density of gas oil
    assert row["mode"] == "truck" and row["route"] == f"tanker {round(road)} km"
    assert row["transport_eur"] == pytest.approx(m3 * (2 + 0.09 * road))
    assert row["co2e_t"] == pytest.approx(-m3 * 0.068e-3 * road)  # gas oil replaces itself


def test_reach_stays_the_farthest_straight_line_of_any_mode() -> None:
    catalogue = default_catalogue()
    transport = Transport(load_defaults(catalogue), catalogue, 0.05, 0.0, 0.0)
    assert transport.reach_km("fgd_gypsum") == 2000  # the ship's max_km
    assert transport.reach_km("steam_mp") == 5
