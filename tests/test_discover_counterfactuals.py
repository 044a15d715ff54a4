"""Discovery ranks candidates on what they change: a sold fuel still finds a buyer, and
wastewater sent to a treatment plant saves the discharger its tariff."""

from __future__ import annotations

from pathlib import Path

import pytest

from symbionet import discover, load_park
from tests.conftest import write_park

ACTORS = "id,name\nrefinery,Refinery\npower,Power\nboard,Board\npharma,Pharma\nwwtp,WWTP\n"
SITES = (
    "id,actor,lat,lon\nref,refinery,55.0,11.0\npow,power,55.0,11.01\nbo,board,55.0,11.02\n"
    "ph,pharma,55.01,11.0\nww,wwtp,55.01,11.01\n"
)


def ranked(tmp_path: Path, streams: str, co2_price: float) -> dict[tuple[str, str], dict]:
    park = load_park(
        write_park(
            tmp_path / "park",
            {
                "park.yaml": "name: Counterfactuals\ncurrency: EUR\n",
                "actors.csv": ACTORS,
                "sites.csv": SITES,
                "streams.csv": streams,
                "exchanges.csv": "id,supply,demand,quantity,unit\n",
            },
        )
    )
    table = discover(park, co2_price=co2_price).candidates
    return {(row["supply"], row["demand"]): {**row, "rank": rank} for rank, row in table.iterrows()}


def test_a_sold_fuel_does_not_outrank_a_residue(tmp_path: Path) -> None:
    # 1,343 t of fuel oil the refinery sells, offered to the power station's oil boiler, and
    # 100 t of landfilled FGD gypsum for the board plant's natural gypsum
    streams = (
        "id,site,direction,resource,quantity,unit,fate,source\n"
        "oil,ref,supply,fuel_oil,1343,t/yr,sold,\n"
        "boiler,pow,demand,fuel_oil,1343,t/yr,,market\n"
        "gypsum,pow,supply,fgd_gypsum,100,t/yr,landfill,\n"
        "board,bo,demand,natural_gypsum,100,t/yr,,market\n"
    )
    found = ranked(tmp_path, streams, co2_price=100.0)
    oil, gypsum = found[("oil", "boiler")], found[("gypsum", "board")]
    # the boiler burns the same 1,343 t of oil either way and the refinery's buyer buys it
    # elsewhere: nothing is avoided but the transport is spent (before: 1,343 x 3.173 t)
    assert -1.0 < oil["co2e_t"] <= 0.0
    assert oil["receiver_saving_eur"] + oil["supplier_saving_eur"] == pytest.approx(0, abs=1e-6)
    assert oil["value_eur"] < 0 < gypsum["value_eur"]
    assert gypsum["rank"] < oil["rank"]


def test_wastewater_to_a_treatment_plant_ranks_above_a_decoy(tmp_path: Path) -> None:
    # 10,000 m3 of process wastewater that states no fate, and a treatment plant that takes
    # 10,000 m3; the decoy: lake water for a well-water demand (saving 0.6 - 0.3 EUR/m3)
    streams = (
        "id,site,direction,resource,quantity,unit,fate,source\n"
        "sewage,ph,supply,industrial_wastewater,10000,m3/yr,,\n"
        "intake,ww,demand,industrial_wastewater,10000,m3/yr,,\n"
        "lake,ph,supply,surface_water,10000,m3/yr,,\n"
        "wells,bo,demand,groundwater,10000,m3/yr,,groundwater\n"
    )
    found = ranked(tmp_path, streams, co2_price=0.0)
    sewage, decoy = found[("sewage", "intake")], found[("lake", "wells")]
    # the discharger no longer pays 13.6 DKK/m3; the plant spends 2 DKK/m3 treating it
    assert sewage["supplier_saving_eur"] == pytest.approx(10_000 * 13.6 / 7.46038)
    assert sewage["receiver_saving_eur"] == pytest.approx(-10_000 * 2 / 7.46038)
    assert sewage["value_eur"] == pytest.approx(
        10_000 * (13.6 - 2) / 7.46038 - sewage["transport_eur"] - sewage["treatment_eur"]
    )
    assert sewage["value_eur"] > 0
    assert sewage["rank"] < decoy["rank"]
