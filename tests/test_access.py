"""What a partner and the public see of a park's results."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from symbionet import discover, impact, load_park
from symbionet.access.views import about, about_km, candidates_for, public_view
from symbionet.errors import SymbionetError
from symbionet.register.park import Park
from tests.conftest import write_park

ACTORS = "id,name,nace\nsteamco,Steam Co,35.11\nmill,Paper Mill,17.12\ndairy,Dairy Farm,10.51\n"
# m: 0.0207° (2.30 km) north of s; d: 0.02° of longitude (1.28 km) east of s.
SITES = "id,actor,lat,lon\ns,steamco,55.0,11.0\nm,mill,55.0207,11.0\nd,dairy,55.0,11.02\n"
STREAMS = (
    "id,site,direction,resource,quantity,unit,confidential\n"
    "steam_out,s,supply,steam_lp,38700,t/yr,true\n"
    "mill_steam,m,demand,steam_lp,50000,t/yr,false\n"
    "dairy_steam,d,demand,steam_lp,20000,t/yr,false\n"
)
BOTH = {"steamco": {("steam_out", "mill_steam")}, "mill": {("steam_out", "mill_steam")}}


@pytest.fixture
def park(tmp_path: Path) -> Park:
    files = {"actors.csv": ACTORS, "sites.csv": SITES, "streams.csv": STREAMS}
    files["exchanges.csv"] = "id,supply,demand,quantity,unit\n"
    return load_park(write_park(tmp_path / "park", files))


def cells(view: pd.DataFrame) -> str:
    """Every cell and index label of a table as one text."""
    return " ".join(map(str, [*view.index, *view.to_numpy().ravel()]))


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (38_700, 40_000),
        (14_300, 14_000),
        (19_700, 20_000),
        (250, 300),
        (0.034, 0.03),
        (-3_600, -4_000),
    ],
)
def test_amounts_keep_one_figure_two_when_the_first_is_1(value: float, rounded: float) -> None:
    assert about(value) == pytest.approx(rounded)


@pytest.mark.parametrize(("km", "rounded"), [(0.3, 1), (2.3, 2), (9.6, 10), (23, 25), (123, 120)])
def test_distances_go_by_coarse_steps(km: float, rounded: float) -> None:
    assert about_km(km) == rounded


def test_before_both_agree_the_other_side_is_anonymous(park: Park) -> None:
    result = discover(park)
    exact = result.candidates.set_index("supply", append=True).xs("steam_out", level=1)
    mill_row = exact[exact["demand"] == "mill_steam"].iloc[0]
    assert mill_row["quantity"] == pytest.approx(38_700)
    assert mill_row["distance_km"] == pytest.approx(2.30, abs=0.01)  # 0.0207° × 111.2 km
    secrets = [
        "steamco", "Steam Co", "steam_out", "38700", "38,700",
        f"{mill_row['distance_km']:.2f}", repr(mill_row["co2e_t"]), repr(mill_row["value_eur"]),
    ]  # fmt: skip
    for opted_in in ({}, {"mill": BOTH["mill"]}, {"steamco": BOTH["steamco"]}):
        view = candidates_for(result, park, "mill", opted_in)
        assert len(view) == 1
        row = view.iloc[0]
        assert not row["revealed"] and row["demand"] == "mill_steam"
        assert row["quantity"] == 40_000 and row["distance_km"] == 2
        assert row["explanation"].startswith(
            "a partner about 2 km away could supply about 40,000 t/yr of steam_lp;"
        )
        text = cells(view)
        assert not [s for s in secrets if s in text]
        # the value is rounded in the park's currency (DKK at 7.46038 per EUR), and said so
        dkk = about(mill_row["value_eur"] * 7.46038)
        assert row["value_eur"] * 7.46038 == pytest.approx(dkk)
        assert row["explanation"].endswith(f"{dkk:,.0f} DKK a year")


def test_the_supplier_sees_each_taker_anonymously(park: Park) -> None:
    view = candidates_for(discover(park), park, "steamco", {})
    assert sorted(view["explanation"].str.split(";").str[0]) == [
        "a partner about 1 km away could take about 20,000 t/yr of steam_lp",
        "a partner about 2 km away could take about 40,000 t/yr of steam_lp",
    ]
    text = cells(view)
    assert not [s for s in ["mill", "Mill", "dairy", "Dairy"] if s in text]


def test_once_both_agree_both_are_named(park: Park) -> None:
    view = candidates_for(discover(park), park, "mill", BOTH)
    row = view.iloc[0]
    assert row["revealed"]
    assert (row["partner"], row["partner_name"]) == ("steamco", "Steam Co")
    assert (row["supply"], row["quantity"]) == ("steam_out", pytest.approx(38_700))
    assert "Steam Co" in row["explanation"] and "Paper Mill" in row["explanation"]
    supplier = candidates_for(discover(park), park, "steamco", BOTH)
    assert supplier.set_index("demand").loc["mill_steam", "partner_name"] == "Paper Mill"


def test_candidates_between_others_never_show_nor_count(park: Park) -> None:
    result = discover(park)
    ranks = result.candidates.reset_index().set_index("demand")["rank"]
    assert ranks["mill_steam"] == 2  # behind the nearer dairy's candidate
    view = candidates_for(result, park, "mill", BOTH)
    assert list(view.index) == [1] and view.attrs == {}
    text = cells(view)
    assert not [s for s in ["dairy", "Dairy", "20000", "20,000"] if s in text]
    assert "score" not in view.columns


def test_an_unknown_actor_is_refused(park: Park) -> None:
    with pytest.raises(SymbionetError, match="unknown actor"):
        candidates_for(discover(park), park, "nobody", {})


def test_the_public_sees_no_confidential_figure_of_a_partner(tiny: Path) -> None:
    # the tiny park's one exchange: 50,000 t/yr of FGD gypsum to a confidential demand
    park = load_park(tiny)
    impacts = impact(park)
    view = public_view(park, impacts)
    assert view.exchanges.loc["fgd_gypsum", "exchanges"] == 1
    assert np.isnan(view.exchanges.loc["fgd_gypsum", "amount"])
    assert view.figures.loc["co2e_t"].isna().all()
    assert view.figures.loc["groundwater_m3", "central"] == 0  # nothing behind it
    text = cells(view.figures) + cells(view.exchanges)
    partners = impacts.partners.select_dtypes("number").to_numpy().ravel()
    leaked = [v for v in partners if v != 0 and (repr(v) in text or f"{v:,.0f}" in text)]
    assert not leaked and "50000" not in text and "board" not in text and "power" not in text
    published = json.loads(json.dumps(view.to_dict()))
    assert published["exchanges"]["fgd_gypsum"] == {
        "exchanges": 1, "amount": None, "unit": "t", "co2e_t": None
    }  # fmt: skip
    assert published["figures"]["groundwater_m3"] == {"central": 0, "low": 0, "high": 0}


def test_the_public_sees_open_totals(tmp_path: Path) -> None:
    # the tiny park with its natural gypsum demand open
    files = {
        "streams.csv": (
            "id,site,direction,resource,quantity,unit,fate,source,temperature_c,confidential\n"
            "gyp,p1,supply,fgd_gypsum,200,t/day,landfill,,,false\n"
            "nat,b1,demand,natural_gypsum,60,kt/yr,,market,,false\n"
        )
    }
    park = load_park(write_park(tmp_path / "open", files))
    view = public_view(park, impact(park))
    assert view.exchanges.loc["fgd_gypsum", "amount"] == pytest.approx(50_000)
    # 50,000 t × (0.005 t CO2e/t landfilled + 0.03 t CO2e/t natural gypsum)
    assert view.exchanges.loc["fgd_gypsum", "co2e_t"] == pytest.approx(1_750)
    assert view.figures.loc["co2e_t", "central"] == pytest.approx(1_750)


def test_a_total_of_three_confidential_exchanges_is_published(tmp_path: Path) -> None:
    # three confidential demands of 10,000 t/yr each: no partner can tell another's apart
    streams = "id,site,direction,resource,quantity,unit,fate,source,confidential\n"
    streams += "gyp,p1,supply,fgd_gypsum,200,t/day,landfill,,false\n"
    streams += "".join(
        f"nat{i},b1,demand,natural_gypsum,10,kt/yr,,market,true\n" for i in (1, 2, 3)
    )
    exchanges = "id,supply,demand,quantity,unit,mode,status\n"
    exchanges += "".join(f"g{i},gyp,nat{i},10000,t/yr,truck,operating\n" for i in (1, 2, 3))
    files = {"streams.csv": streams, "exchanges.csv": exchanges}
    park = load_park(write_park(tmp_path / "three", files))
    view = public_view(park, impact(park))
    assert view.exchanges.loc["fgd_gypsum", "amount"] == pytest.approx(30_000)
    assert view.figures.loc["co2e_t", "central"] == pytest.approx(30_000 * 0.035)
