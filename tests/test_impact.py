"""Impact accounting on a small park computed by hand, and on the shipped examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from symbionet import load_park
from symbionet.assess.impact import impact
from symbionet.present.cli import app
from tests.conftest import EXAMPLES, write_park

HAND = {
    "park.yaml": "name: Hand park\ncurrency: EUR\ndiscount_rate: 0.0\n",
    "actors.csv": "id,name\npower,Power\nboard,Board\nfarm,Farm\n",
    "sites.csv": "id,actor,lat,lon\np,power,55.0,11.0\nb,board,55.01,11.0\nf,farm,55.02,11.0\n",
    "streams.csv": (
        "id,site,direction,resource,quantity,unit,fate,source,price,confidence\n"
        "gyp,p,supply,fgd_gypsum,1000,t/yr,landfill,,100,high\n"
        "nat,b,demand,natural_gypsum,1000,t/yr,,market,20,high\n"
        "water_out,p,supply,cooling_water_return,500,m3/yr,,,,low\n"
        "water_in,b,demand,surface_water,800,m3/yr,,surface_water_intake,0.5,medium\n"
    ),
    "exchanges.csv": (
        "id,supply,demand,quantity,unit,status,capex,opex,lifetime\n"
        "g,gyp,nat,1000,t/yr,operating,2000,300,10\n"
        "w,water_out,water_in,500,m3/yr,operating,,,\n"
        "idea,gyp,nat,10,t/yr,idea,,,\n"
    ),
}


def test_small_park_by_hand(tmp_path: Path) -> None:
    park = load_park(write_park(tmp_path / "hand", HAND))
    result = impact(park)
    g, w = result.exchanges.loc["g"], result.exchanges.loc["w"]
    assert list(result.exchanges.index) == ["g", "w"]  # the idea is not counted
    # gypsum: supplier avoids 1000 t x 100 EUR landfill, receiver 1000 t x 20 EUR of natural gypsum;
    # the exchange costs 2000/10 (no discounting) + 300 a year
    assert g["supplier_saving_eur"] == pytest.approx(100_000)
    assert g["receiver_saving_eur"] == pytest.approx(20_000)
    assert g["exchange_cost_eur"] == pytest.approx(500)
    assert g["net_saving_eur"] == pytest.approx(119_500)
    landfill = park.catalogue.routes["landfill"].emission_factor
    natural = park.catalogue.emission_t("natural_gypsum")
    assert landfill is not None and natural is not None
    assert g["co2e_t"] == pytest.approx(1000 * landfill.value + 1000 * natural)
    assert g["virgin_material_t"] == pytest.approx(1000)
    assert g["waste_diverted_t"] == pytest.approx(1000)
    # cooling-water return replaces surface water 1:1; surface water is fresh water
    assert w["replaced_amount"] == pytest.approx(
        500 * park.catalogue.ratio("cooling_water_return", "surface_water")
    )
    assert w["freshwater_m3"] == pytest.approx(w["replaced_amount"])
    assert w["groundwater_m3"] == 0
    assert w["receiver_saving_eur"] == pytest.approx(0.5 * w["replaced_amount"])
    totals = result.park
    assert totals.loc["net_saving_eur", "central"] == pytest.approx(
        g["net_saving_eur"] + w["net_saving_eur"]
    )
    # high confidence on both gypsum rows: +/-10 %; low on the water supply: +/-50 %
    spread = 0.1 * g["net_saving_eur"] + 0.5 * w["net_saving_eur"]
    assert totals.loc["net_saving_eur", "high"] == pytest.approx(
        totals.loc["net_saving_eur", "central"] + spread
    )
    partners = result.partners
    assert partners.loc["power", "saving_eur"] == pytest.approx(100_000)
    assert partners.loc["board", "saving_eur"] == pytest.approx(20_000 + w["receiver_saving_eur"])
    assert partners["co2e_t"].sum() == pytest.approx(result.exchanges["co2e_t"].sum())


def test_year_filter_counts_only_running_exchanges(tmp_path: Path) -> None:
    files = dict(HAND)
    files["exchanges.csv"] = (
        "id,supply,demand,quantity,unit,status,start_year,end_year\n"
        "old,gyp,nat,500,t/yr,operating,1990,2000\n"
        "new,gyp,nat,500,t/yr,operating,2010,\n"
    )
    park = load_park(write_park(tmp_path / "years", files))
    assert list(impact(park, year=1995).exchanges.index) == ["old"]
    assert list(impact(park, year=2020).exchanges.index) == ["new"]


@pytest.mark.parametrize("name", ["kalundborg", "kalundborg-2010"])
def test_examples_regression(name: str) -> None:
    """The shipped examples against their stored results (update them deliberately)."""
    stored = json.loads(
        (Path(__file__).parent / "data" / f"impact-{name}.json").read_text(encoding="utf-8")
    )
    totals = impact(load_park(EXAMPLES / name)).park["central"]
    for kpi, value in stored.items():
        assert totals[kpi] == pytest.approx(value, rel=1e-9, abs=1e-6), kpi


def test_impact_command_prints_tables_and_json() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["impact", str(EXAMPLES / "kalundborg")])
    assert result.exit_code == 0, result.output
    assert "Park totals" in result.output and "Per partner" in result.output
    data = json.loads(runner.invoke(app, ["impact", str(EXAMPLES / "kalundborg"), "--json"]).output)
    assert data["park"]["co2e_t"]["central"] > 0
    assert {row["id"] for row in data["exchanges"]} >= {"steam_novo", "heat_pump_dh"}
    assert all(row["basis"] for row in data["exchanges"])


def test_park_prices_override_the_catalogue(tmp_path: Path) -> None:
    files = dict(HAND)
    files["park.yaml"] = (
        "name: Priced\ncurrency: EUR\nprices:\n"
        "  natural_gypsum: {value: 300, unit: DKK/t, ref: supplier quote 2024}\n"
    )
    files["streams.csv"] = HAND["streams.csv"].replace(",20,high", ",,high")
    park = load_park(write_park(tmp_path / "priced", files))
    price = park.catalogue.resources["natural_gypsum"].price
    assert price is not None and price.note == "supplier quote 2024"
    g = impact(park).exchanges.loc["g"]
    assert g["receiver_saving_eur"] == pytest.approx(1000 * 300 / 7.46038)
    assert "park" in g["basis"]
