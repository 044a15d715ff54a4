"""Technologies to by-products: solutions matched to the park's supplies through discovery,
and a pairing proposed into the synergy pipeline."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import symbionet
from symbionet.discovery.engine import discover
from symbionet.errors import SymbionetError
from symbionet.hub.byproducts import COLUMNS, byproducts_for, propose

EARTH_KM = 6371.0
TEN_KM = 10 / EARTH_KM * 180 / math.pi  # degrees of latitude in 10 km

FILES = {
    "park.yaml": "name: Bio park\ncountry: DK\nyear: 2023\ncurrency: EUR\n",
    "actors.csv": (
        "id,name,kind\nnovo,Pharma plant,company\nunibio,Gas startup,startup\n"
        "yeasty,Yeast startup,startup\n"
    ),
    "sites.csv": (
        "id,actor,name,lat,lon\nn1,novo,Pharma site,55.66,11.08\n"
        f"u1,unibio,Startup site,{55.66 + TEN_KM:.9f},11.08\n"
    ),
    "streams.csv": (
        "id,site,direction,resource,quantity,unit,fate\n"
        "yeast,n1,supply,yeast_slurry,5000,t/yr,landfill\n"
        "ash,n1,supply,fly_ash,800,t/yr,landfill\n"
    ),
    "solutions.csv": (
        "id,organisation,name,takes,gives,yield,capacity,trl\n"
        "prot,unibio,Yeast to protein,yeast_slurry,feed_protein,0.1,8000,6\n"
        "small,unibio,Small line,yeast_slurry,,,3000,4\n"
        "roam,yeasty,Roaming line,yeast_slurry,,,,5\n"
    ),
}


def write(folder: Path, **changed: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**FILES, **changed}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def park(tmp_path: Path) -> symbionet.Park:
    return symbionet.load_park(write(tmp_path / "bio"))


def test_a_supply_10_km_away_gives_the_solution_its_whole_amount(park: symbionet.Park) -> None:
    found = byproducts_for(park, "unibio").set_index("solution")
    assert set(found.index) == {"prot", "small"}  # the ash is no feedstock of theirs
    prot = found.loc["prot"]
    assert prot["supply"] == "yeast" and prot["supplier"] == "novo"
    assert prot["resource"] == "yeast_slurry" and prot["unit"] == "t/yr"
    # 5000 t/yr on offer, room for 8000: the whole 5000
    assert prot["quantity"] == pytest.approx(5000)
    assert prot["distance_km"] == pytest.approx(10, abs=0.01)
    # yield 0.1 t of protein per t taken: 500 t/yr
    assert prot["gives"] == "feed_protein"
    assert prot["gives_quantity"] == pytest.approx(500)
    assert prot["gives_unit"] == "t/yr"
    assert not prot["at_centre"]
    assert prot["committed"] is None
    assert "5,000 t/yr of yeast_slurry" in prot["explanation"]
    assert "10 km away" in prot["explanation"]
    # a line that takes 3000 t/yr takes 3000 of the 5000
    assert found.loc["small", "quantity"] == pytest.approx(3000)
    assert math.isnan(found.loc["small", "gives_quantity"])


def test_the_figures_are_discoverys_for_the_same_demand(
    park: symbionet.Park, tmp_path: Path
) -> None:
    """The solution is valued as a demand stream of the park would be."""
    streams = FILES["streams.csv"] + "want,u1,demand,yeast_slurry,8000,t/yr,\n"
    real = symbionet.load_park(write(tmp_path / "real", **{"streams.csv": streams}))
    candidate = discover(real).candidates.set_index(["supply", "demand"]).loc[("yeast", "want")]
    prot = byproducts_for(park, "unibio").set_index("solution").loc["prot"]
    assert prot["value_eur"] == pytest.approx(candidate["value_eur"])
    assert prot["co2e_t"] == pytest.approx(candidate["co2e_t"])
    assert prot["mode"] == candidate["mode"]
    assert prot["value_eur"] > 0


def test_an_organisation_without_a_site_is_placed_at_the_parks_centre(
    park: symbionet.Park,
) -> None:
    roam = byproducts_for(park, "yeasty").set_index("solution").loc["roam"]
    # the centre is midway between the two sites, 10 km apart: 5 km from the supply
    assert roam["at_centre"]
    assert roam["distance_km"] == pytest.approx(5, abs=0.01)
    # no capacity stated: room for the whole supply
    assert roam["quantity"] == pytest.approx(5000)
    assert "placed at the park's centre" in roam["explanation"]


def test_committed_exchanges_leave_only_the_free_amount(tmp_path: Path) -> None:
    streams = FILES["streams.csv"] + "feed,n1,demand,yeast_slurry,2000,t/yr,\n"
    exchanges = (
        "id,supply,demand,quantity,unit,mode,status\nx1,yeast,feed,2000,t/yr,onsite,operating\n"
    )
    park = symbionet.load_park(
        write(tmp_path / "bio", **{"streams.csv": streams, "exchanges.csv": exchanges})
    )
    found = byproducts_for(park).set_index("solution")
    # 5000 - 2000 operating = 3000 free; the 8000 line takes them all
    assert found.loc["prot", "quantity"] == pytest.approx(3000)
    assert found.loc["roam", "quantity"] == pytest.approx(3000)
    assert found.loc["prot", "committed"] == "Pharma plant (exchange x1, operating)"
    assert "Committed today to Pharma plant (exchange x1" in found.loc["prot", "explanation"]
    # competing with today's use: the whole 5000
    whole = byproducts_for(park, committed=True).set_index("solution")
    assert whole.loc["prot", "quantity"] == pytest.approx(5000)
    assert whole.loc["small", "quantity"] == pytest.approx(3000)
    proposed = propose(park, "prot", "yeast", "me", committed=True).table("pipeline")
    assert proposed.iloc[0]["quantity"] == pytest.approx(5000)


def test_no_solutions_no_rows_and_an_unknown_organisation_is_an_error(tmp_path: Path) -> None:
    park = symbionet.load_park(write(tmp_path / "bio"))
    assert byproducts_for(park, "novo").empty
    assert list(byproducts_for(park, "novo").columns) == COLUMNS
    with pytest.raises(SymbionetError, match="no organisation 'nobody'"):
        byproducts_for(park, "nobody")


def test_a_proposal_enters_the_pipeline_as_an_idea(park: symbionet.Park, tmp_path: Path) -> None:
    changed = propose(park, "prot", "yeast", "hub secretariat", on="2026-03-01")
    assert len(park.table("pipeline")) == 0  # the park given is left as it was
    project = changed.table("pipeline").iloc[0]
    assert project["stage"] == "idea"
    assert project["origin"] == "secretariat"
    assert project["supply"] == "yeast" and project["owner"] == "unibio"
    assert project["partners"] == "novo; unibio"
    assert project["quantity"] == pytest.approx(5000)
    assert project["proposed"] == "2026-03-01"
    log = changed.table("pipeline_log").iloc[0]
    assert log["to_stage"] == "idea" and log["author"] == "hub secretariat"
    assert "solution prot" in log["decision"]
    changed.save(tmp_path / "saved")
    assert len(symbionet.load_park(tmp_path / "saved").table("pipeline")) == 1


def test_a_proposal_of_an_unknown_or_unpaired_pair_is_refused(park: symbionet.Park) -> None:
    with pytest.raises(SymbionetError, match="no solution 'nope'"):
        propose(park, "nope", "yeast", "me")
    with pytest.raises(SymbionetError, match="no supply stream 'nope'"):
        propose(park, "prot", "nope", "me")
    with pytest.raises(SymbionetError, match="does not pair"):
        propose(park, "prot", "ash", "me")
