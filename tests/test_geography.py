"""The park map's land and water, read offline from the installed GSHHG shorelines."""

from __future__ import annotations

import math
import socket

import numpy as np
import pandas as pd
import pytest
import shapely

from symbionet import SymbionetError, discover, load_park
from symbionet.present import geography as geo
from symbionet.present.geography import Box, box_around, geography
from symbionet.present.maps import Projection, _label_positions, park_map
from symbionet.present.report import CLASS_COLOURS, site_map
from tests.conftest import EXAMPLES, write_park

KALUNDBORG = Box(south=55.60, north=55.75, west=10.85, east=11.25)
TOWN = (55.681, 11.089)  # Kalundborg town centre, by the church
FJORD = (55.69, 11.00)  # Kalundborg Fjord, between Røsnæs and Asnæs
KATTEGAT = (55.78, 10.95)  # north of Røsnæs


@pytest.fixture(scope="module")
def park():  # type: ignore[no-untyped-def]
    return load_park(EXAMPLES / "kalundborg")


def test_the_kalundborg_box_holds_land_and_water_that_fill_it() -> None:
    found = geography(KALUNDBORG)
    assert found.resolution == "f"  # 0.4 degree wide: the full resolution
    box_area = (55.75 - 55.60) * (11.25 - 10.85)  # 0.06 square degrees
    assert found.land.area > 0.1 * box_area
    assert found.water.area > 0.1 * box_area
    assert found.land.area + found.water.area == pytest.approx(box_area, rel=1e-9)
    assert found.coastline.length > 0


def test_town_is_land_and_the_fjord_and_kattegat_are_water() -> None:
    assert geography(KALUNDBORG).is_land(*TOWN)
    assert not geography(KALUNDBORG).is_land(*FJORD)
    wider = Box(south=55.60, north=55.80, west=10.85, east=11.25)
    assert not geography(wider).is_land(*KATTEGAT)
    assert geography(wider).is_land(*TOWN)


def test_polygons_and_coastline_are_clipped_to_the_box() -> None:
    found = geography(KALUNDBORG)
    inside = shapely.box(10.85, 55.60, 11.25, 55.75).buffer(1e-9)
    polygons = [p for _, layer in found.layers for p in layer]
    assert polygons
    assert all(inside.covers(p) for p in polygons)
    assert inside.covers(found.coastline)
    # Zealand reaches far beyond the box: clipped, its land is no more than the box
    west, south, east, north = found.land.bounds
    assert (west, south, east, north) >= (10.85 - 1e-9, 55.60 - 1e-9, 10.85, 55.60)
    assert east <= 11.25 + 1e-9 and north <= 55.75 + 1e-9


def test_a_box_is_read_once_and_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    geo.geography.cache_clear()
    geo._index.cache_clear()

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the map reached for the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    box = Box(south=55.62, north=55.72, west=11.0, east=11.2)
    first = geography(box)
    assert geography(box) is first
    assert first.is_land(*TOWN)


def test_large_boxes_read_the_high_resolution() -> None:
    assert geo.resolution_for(Box(54.0, 58.0, 8.0, 12.0)) == "f"  # 4 degrees
    assert geo.resolution_for(Box(54.0, 58.5, 8.0, 12.0)) == "h"  # 4.5 degrees


@pytest.mark.parametrize(
    "box",
    [Box(55.7, 55.6, 11.0, 11.1), Box(55.6, 55.7, 11.1, 11.0), Box(89.0, 91.0, 11.0, 11.1)],
)
def test_a_box_the_wrong_way_round_or_off_the_globe_is_refused(box: Box) -> None:
    with pytest.raises(SymbionetError, match="map box"):
        geography(box)


def test_a_box_around_one_point_is_3_km_tall_and_1_5_times_as_wide() -> None:
    box = box_around(np.array([55.67]), np.array([11.08]))
    height = (box.north - box.south) * 111.32
    width = (box.east - box.west) * 111.32 * math.cos(math.radians(55.67))
    # 3 km by 4.5 km, each side rounded out by less than 0.001 degree at each end
    assert 3.0 <= height <= 3.0 + 2 * 0.11132
    assert 4.5 <= width <= 4.5 + 2 * 0.11132 * math.cos(math.radians(55.67))


def test_a_box_pads_8_percent_of_its_points_extent() -> None:
    # 0.9 degree of latitude apart: 100.188 km, padded 8.015 km each side
    box = box_around(np.array([55.0, 55.9]), np.array([11.0, 11.0]))
    height = (box.north - box.south) * 111.32
    assert height == pytest.approx(100.188 + 2 * 8.015, abs=0.25)


def test_the_kalundborg_map_draws_land_sites_and_each_kind_of_link(park) -> None:  # type: ignore[no-untyped-def]
    candidates = discover(park).candidates  # three new: treated lake water as cooling water
    design = pd.DataFrame(
        {
            "kind": ["exchange", "candidate", "hub", "technology:heat_pump"],
            "from": ["tisso_raw", "asnaes_steam", "novo_yeast", "wwtp/electricity"],
            "to": ["refinery_cooling", "gyproc_gas", "biogas_plant/yeast_slurry", "wwtp/heat"],
            "resource": ["surface_water", "steam_mp", "yeast_slurry", "electricity"],
            "status": ["operating", "idea", "idea", "existing"],
            "built": [True, True, True, True],
        },
        index=pd.Index(["tisso_refinery", "steam_gyproc", "yeast_hub", "hp"], name="id"),
    )
    fig = park_map(park, candidates, design)
    names = [t.name for t in fig.data]
    assert names[:2] == ["sea and lakes", "land"]  # sea first, land over it
    assert "coastline" in names
    links = [t for t in fig.data if t.meta is not None]
    kinds = {(t.meta, t.name.split(":")[0]) for t in links}
    # operating: water, energy, material; candidates: water; designed: energy and material
    assert kinds == {
        ("operating", "water"),
        ("operating", "energy"),
        ("operating", "material"),
        ("candidate", "water"),
        ("designed", "energy"),
        ("designed", "material"),
    }
    assert len(links) == len(kinds)  # one trace per style and class
    dashes = {t.meta: t.line.dash for t in links}
    assert dashes == {"operating": "solid", "candidate": "dash", "designed": "dot"}
    colours = {t.name.split(":")[0]: t.line.color for t in links}
    assert colours == {cls: CLASS_COLOURS[cls] for cls in ("water", "energy", "material")}
    candidate = next(t for t in links if t.meta == "candidate")
    assert sum(x is None for x in candidate.x) == 3  # tisso_treated to three cooling demands
    sites = next(t for t in fig.data if t.name == "sites")
    assert "Novo Nordisk" in sites.text
    assert "Kalundborg Forsyning" in sites.text
    assert len(sites.text) == len(park.sites)
    assert "GSHHG 2.3.6" in fig.layout.annotations[0].text


def test_a_candidate_the_park_already_runs_is_drawn_once_as_operating(park) -> None:  # type: ignore[no-untyped-def]
    candidates = pd.DataFrame({"supply": ["asnaes_steam"], "demand": ["novo_steam"]})
    fig = park_map(park, candidates)
    assert {t.meta for t in fig.data if t.meta is not None} == {"operating"}


def test_sites_sit_where_the_projection_puts_them(park) -> None:  # type: ignore[no-untyped-def]
    fig = park_map(park)
    # the sites that exchange reach from 55.58 N (Tissø) to 55.70 N (the fields) and from
    # 11.07 E (the wastewater plant) to 11.29 E: the map is centred on 55.64 N 11.18 E
    assert fig.layout.xaxis.title.text == "km east of 11.180 E"
    assert fig.layout.yaxis.title.text == "km north of 55.640 N"
    sites = next(t for t in fig.data if t.name == "sites")
    town_hall = list(park.sites.index).index("town_hall")
    # 55.6795 N 11.0886 E: (11.0886 - 11.18) x 111.32 x cos(55.64) = -5.743 km east,
    # (55.6795 - 55.64) x 111.32 = 4.397 km north (the box rounds out by < 0.001 degree)
    assert sites.x[town_hall] == pytest.approx(-5.743, abs=0.07)
    assert sites.y[town_hall] == pytest.approx(4.397, abs=0.12)
    x0, x1 = fig.layout.xaxis.range
    y0, y1 = fig.layout.yaxis.range
    assert x0 == pytest.approx(-x1) and y0 == pytest.approx(-y1)  # centred on the box
    assert x0 < sites.x[town_hall] < x1 and y0 < sites.y[town_hall] < y1
    assert fig.layout.yaxis.scaleanchor == "x"
    project = Projection(Box(55.6, 55.68, 11.1, 11.26))
    x, y = project(np.array([11.26]), np.array([55.68]))
    assert x[0] == pytest.approx(0.08 * 111.32 * math.cos(math.radians(55.64)))
    assert y[0] == pytest.approx(0.04 * 111.32)


def test_the_report_map_is_the_park_map(park) -> None:  # type: ignore[no-untyped-def]
    names = [t.name for t in site_map(park).data]
    assert "land" in names and "sites" in names


def test_a_park_with_no_exchange_shows_all_its_sites(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = write_park(tmp_path / "tiny", {"exchanges.csv": "id,supply,demand,quantity,unit\n"})
    fig = park_map(load_park(folder))
    assert not [t for t in fig.data if t.meta is not None]
    # sites 55.66 and 55.67 N: 1.113 km apart, padded 1.5 km (the least) each side, 4.113 km;
    # 1.5 times as wide, 6.170 km (each rounded out by less than 0.001 degree at each end)
    x0, x1 = fig.layout.xaxis.range
    y0, y1 = fig.layout.yaxis.range
    assert 4.113 <= y1 - y0 <= 4.113 + 2 * 0.11132
    assert 6.170 <= x1 - x0 <= 6.170 + 2 * 0.11132 * math.cos(math.radians(55.665))
    sites = next(t for t in fig.data if t.name == "sites")
    assert list(sites.text) == ["Power plant", "Board plant"]


def test_labels_of_neighbouring_sites_go_different_ways() -> None:
    # two sites 0.1 km apart on a map 0.05 km a pixel: labels 2 px apart would overlap
    x, y = np.array([0.0, 0.0]), np.array([0.1, 0.0])
    places = _label_positions(x, y, ["Novo Nordisk", "Novonesis"], 0.05)
    assert places == ["top center", "bottom center"]
    # far apart, both above
    places = _label_positions(np.array([0.0, 50.0]), y, ["Novo Nordisk", "Novonesis"], 0.05)
    assert places == ["top center", "top center"]
