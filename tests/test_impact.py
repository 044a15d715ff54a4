"""ImpactResult accounting on a small park computed by hand, and on the shipped examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from symbionet import load_park
from symbionet.assessment.accounting import impact
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
    # no price declared: each exchange's net saving is split equally (119,500 / 2 for gypsum)
    partners = result.partners
    assert partners.loc["power", "saving_eur"] == pytest.approx(59_750 + w["net_saving_eur"] / 2)
    assert partners.loc["board", "saving_eur"] == pytest.approx(59_750 + w["net_saving_eur"] / 2)
    assert partners["co2e_t"].sum() == pytest.approx(result.exchanges["co2e_t"].sum())
    assert "split equally" in result.to_dict()["assumptions"]["transfers"]


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


# A park with its own resources and routes, so that every figure below is worked by hand:
# power at 100 EUR and 0.2 t per MWh; chips at 25 EUR/t with 2.5 MWh/t and no fossil CO2;
# heat at 50 EUR and 0.25 t per MWh; steam at 40 EUR and 0.2 t per t, 0.8 MWh/t.
MADE_CATALOGUE = """
references:
  hand: {title: Worked by hand}
resources:
  hand_power: {name: Hand power, class: energy, group: electricity, unit: MWh,
    energy_mwh_per_unit: 1.0, price: {value: 100, unit: EUR/MWh, ref: hand},
    emission_factor: {value: 0.2, unit: t/MWh, ref: hand}}
  hand_chips: {name: Hand chips, class: energy, group: solid biofuel, unit: t,
    energy_mwh_per_unit: 2.5, price: {value: 25, unit: EUR/t, ref: hand},
    emission_factor: {value: 0.0, unit: t/t, ref: hand}}
  hand_heat: {name: Hand heat, class: energy, group: heat, unit: MWh, energy_mwh_per_unit: 1.0,
    price: {value: 50, unit: EUR/MWh, ref: hand}, emission_factor: {value: 0.25, unit: t/MWh, ref: hand}}
  hand_steam: {name: Hand steam, class: energy, group: steam, unit: t, energy_mwh_per_unit: 0.8,
    price: {value: 40, unit: EUR/t, ref: hand}, emission_factor: {value: 0.2, unit: t/t, ref: hand}}
routes:
  hand_pump: {name: Hand pump, kind: fate, classes: [energy], resource: hand_power, efficiency: 4.0}
  hand_boiler: {name: Hand boiler, kind: fate, classes: [energy], resource: hand_chips,
    efficiency: 0.8}
"""
MADE = {
    "park.yaml": "name: Made park\ncurrency: EUR\ndiscount_rate: 0.0\n",
    "catalogue.yaml": MADE_CATALOGUE,
    "actors.csv": "id,name\nutility,Utility\nplant,Plant\ntown,Town\nmill,Mill\n",
    "sites.csv": (
        "id,actor,lat,lon\nu,utility,55.0,11.0\np,plant,55.01,11.0\n"
        "t,town,55.02,11.0\nm,mill,55.03,11.0\n"
    ),
    "streams.csv": (
        "id,site,direction,resource,quantity,unit,fate,source,confidence\n"
        "pumped,u,supply,hand_heat,1000,MWh/yr,hand_pump,,high\n"
        "raised,p,supply,hand_steam,500,t/yr,hand_boiler,,high\n"
        "spare,p,supply,hand_steam,200,t/yr,,,high\n"
        "homes,t,demand,hand_heat,1000,MWh/yr,,market,high\n"
        "dryer,m,demand,hand_steam,700,t/yr,,market,high\n"
    ),
    "exchanges.csv": (
        "id,supply,demand,quantity,unit,status\n"
        "heat,pumped,homes,1000,MWh/yr,operating\n"
        "steam,raised,dryer,500,t/yr,operating\n"
        "spare_steam,spare,dryer,200,t/yr,operating\n"
    ),
}


def test_made_supplies_cost_their_input_and_defaults_are_stated(tmp_path: Path) -> None:
    result = impact(load_park(write_park(tmp_path / "made", MADE)))
    rows = result.exchanges
    # heat pump: 1000 MWh / COP 4 = 250 MWh of power at 100 EUR and 0.2 t; the town saves
    # 1000 MWh of heat at 50 EUR and 0.25 t
    assert rows.loc["heat", "supplier_saving_eur"] == pytest.approx(-25_000)
    assert rows.loc["heat", "supplier_co2e_t"] == pytest.approx(-50)
    assert rows.loc["heat", "net_saving_eur"] == pytest.approx(25_000)
    assert rows.loc["heat", "co2e_t"] == pytest.approx(200)
    # steam from chips: 0.8 MWh/t / 0.8 = 1 MWh of chips = 0.4 t x 25 EUR = 10 EUR per t
    assert rows.loc["steam", "supplier_saving_eur"] == pytest.approx(-5_000)
    assert rows.loc["steam", "supplier_co2e_t"] == pytest.approx(0)
    assert rows.loc["steam", "net_saving_eur"] == pytest.approx(20_000 - 5_000)
    # no fate, a catalogue price: sold (made) at 40 EUR and 0.2 t per t, said in basis
    spare = rows.loc["spare_steam"]
    assert spare["fate"] == "sold" and "default fate sold" in spare["basis"]
    assert spare["supplier_saving_eur"] == pytest.approx(-8_000)
    assert spare["co2e_t"] == pytest.approx(-40 + 40)
    # equal split: utility and town 12,500 each; plant and mill 7,500 each
    partners = result.partners["saving_eur"]
    assert partners.to_dict() == pytest.approx(
        {"utility": 12_500, "town": 12_500, "plant": 7_500, "mill": 7_500}
    )
    assert partners.sum() == pytest.approx(result.park.loc["net_saving_eur", "central"])
    # the town pays the utility (50,000 - -25,000) / 2 for its heat; transfers cancel out
    transfers = result.partners["transfers_eur"]
    assert transfers["utility"] == pytest.approx(37_500)
    assert transfers["town"] == pytest.approx(-37_500)
    assert transfers.sum() == pytest.approx(0)
    co2e = result.partners["co2e_t"]
    assert co2e.to_dict() == pytest.approx(
        {"utility": -50, "town": 250, "plant": -40, "mill": 100 + 40}
    )


def test_kalundborg_heat_is_made_not_dumped() -> None:
    park = load_park(EXAMPLES / "kalundborg")
    rows = impact(park).exchanges
    assert set(rows.loc[["heat_pump_dh", "asnaes_dh", "steam_novo"], "fate"]) == {
        "heat_pump",
        "biomass_heat",
    }
    # the pump's electricity: 80,000 MWh / COP 3.3 at the grid's price and factor
    electricity = 80_000 / 3.3
    pump = rows.loc["heat_pump_dh"]
    assert pump["supplier_co2e_t"] == pytest.approx(
        -electricity * park.catalogue.emission_t("electricity")
    )
    assert pump["supplier_saving_eur"] == pytest.approx(
        -electricity * park.catalogue.price_eur("electricity")
    )
    # steam from wood chips is not free: 0.693 MWh/t / 0.85 of chips at 2.6 MWh/t
    chips = park.catalogue.price_eur("wood_chips")
    assert rows.loc["steam_novo", "supplier_saving_eur"] == pytest.approx(
        -215_000 * 0.693 / 0.85 / 2.6 * chips
    )
    # the chips cost Ørsted money, but it sells the heat: half of each exchange's saving
    result = impact(park)
    orsted = rows[(rows["supplier"] == "orsted") | (rows["receiver"] == "orsted")]
    assert result.partners.loc["orsted", "saving_eur"] == pytest.approx(
        orsted["net_saving_eur"].sum() / 2
    )
    assert result.partners.loc["orsted", "saving_eur"] > 0
    assert result.partners["saving_eur"].sum() == pytest.approx(
        result.park.loc["net_saving_eur", "central"]
    )


RESIDUES = {
    "park.yaml": "name: Residues\ncurrency: EUR\ndiscount_rate: 0.0\n",
    "actors.csv": "id,name\npharma,Pharma\nbiogas,Biogas\nfarm,Farm\nboard,Board\nwwtp,WWTP\n",
    "sites.csv": (
        "id,actor,lat,lon\nph,pharma,55.0,11.0\nbg,biogas,55.01,11.0\nfa,farm,55.02,11.0\n"
        "bo,board,55.03,11.0\nww,wwtp,55.04,11.0\n"
    ),
    "streams.csv": (
        "id,site,direction,resource,quantity,unit,fate,source,price\n"
        "yeast,ph,supply,yeast_slurry,100,t/yr,land_spreading,,5\n"
        "feed,bg,demand,yeast_slurry,100,t/yr,,,\n"
        "digestate,bg,supply,digestate,110,t/yr,land_spreading,,5\n"
        "fertiliser,fa,demand,mineral_n_fertiliser,1,t/yr,,mineral_fertiliser,\n"
        "gas,bg,supply,biomethane,10000,Nm3/yr,sold,,\n"
        "kiln,bo,demand,natural_gas,97,MWh/yr,,market,\n"
        "oil,ph,supply,fuel_oil,100,t/yr,sold,,\n"
        "boiler,bo,demand,fuel_oil,100,t/yr,,market,\n"
        "effluent,ph,supply,industrial_wastewater,1000,m3/yr,,,\n"
        "intake,ww,demand,industrial_wastewater,1000,m3/yr,,,\n"
    ),
    "exchanges.csv": (
        "id,supply,demand,quantity,unit,status\n"
        "to_biogas,yeast,feed,100,t/yr,operating\n"
        "to_fields,digestate,fertiliser,110,t/yr,operating\n"
        "gas,gas,kiln,10000,Nm3/yr,operating\n"
        "oil,oil,boiler,100,t/yr,operating\n"
        "sewage,effluent,intake,1000,m3/yr,operating\n"
    ),
}


def test_digestate_spread_on_land_and_its_mass_count_once(tmp_path: Path) -> None:
    result = impact(load_park(write_park(tmp_path / "residues", RESIDUES)))
    rows = result.exchanges
    # yeast no longer spread (5 EUR/t): 500 EUR; the digestate is still spread: nothing
    assert rows.loc["to_biogas", "supplier_saving_eur"] == pytest.approx(500)
    assert rows.loc["to_fields", "supplier_saving_eur"] == 0
    assert rows.loc["to_fields", "supplier_co2e_t"] == 0
    assert rows.loc["to_fields", "waste_diverted_t"] == 0
    # the biogas plant passes on 110 t having received 100 t: 100 + 10 t of material
    assert result.park.loc["materials_exchanged_t", "central"] == pytest.approx(110)
    assert result.park.loc["waste_diverted_t", "central"] == pytest.approx(100)


def test_sold_products_still_find_a_buyer(tmp_path: Path) -> None:
    rows = impact(load_park(write_park(tmp_path / "residues", RESIDUES))).exchanges
    # biomethane sold to the grid: its buyer takes 97 MWh of natural gas instead, the
    # board buys 97 MWh less: no gain. Fuel oil sold: the board burns the same oil.
    for sold in ("gas", "oil"):
        assert rows.loc[sold, "co2e_t"] == pytest.approx(0, abs=1e-9)
        assert rows.loc[sold, "net_saving_eur"] == pytest.approx(0, abs=1e-6)
        assert rows.loc[sold, "supplier_saving_eur"] < 0


def test_wastewater_saves_its_tariff_less_its_treatment(tmp_path: Path) -> None:
    rows = impact(load_park(write_park(tmp_path / "residues", RESIDUES))).exchanges
    # wastewater: the discharger saves the tariff of 13.6 DKK/m3, the plant spends its
    # marginal treatment of 2 DKK/m3; the treatment emissions move from one plant to another
    sewage = rows.loc["sewage"]
    assert sewage["supplier_saving_eur"] == pytest.approx(1000 * 13.6 / 7.46038)
    assert sewage["receiver_saving_eur"] == pytest.approx(-1000 * 2 / 7.46038)
    assert sewage["co2e_t"] == pytest.approx(0, abs=1e-9)
    assert "default fate discharge" in sewage["basis"]
    assert "treatment_plant" in sewage["basis"]


def test_negative_partner_figures_are_explained(tmp_path: Path) -> None:
    from symbionet.assessment.accounting import negative_figures
    from symbionet.present.report import render

    park = load_park(write_park(tmp_path / "made", MADE))
    result = impact(park)
    # the utility's pump spends 250 MWh x 0.2 t; the plant's spare steam is sold anyway
    assert negative_figures(result, park.catalogue) == [
        "Utility: -50 t CO2e from heat, made only for the exchange, spending hand_power "
        "(hand pump).",
        "Plant: -40 t CO2e from spare_steam, whose sale is lost: its buyer takes the same "
        "product elsewhere.",
    ]
    page = render(park, result)
    assert "Negative figures" in page and "split equally" in page


@pytest.mark.parametrize(
    ("resource", "fate"),
    [
        ("industrial_wastewater", "discharge"),
        ("steam_mp", "sold"),
        ("biomethane", "flare"),
        ("cooling_water_return", "sea_discharge"),
        ("flue_gas_condensate", "discharge"),
        ("fgd_gypsum", "landfill"),
        ("low_temp_heat", "cooling"),
        ("rdf", "incineration"),
        ("lignin", "sold"),
    ],
)
def test_a_supply_without_a_fate_takes_its_resources_default(resource: str, fate: str) -> None:
    from symbionet.register.baseline import default_fate
    from symbionet.register.catalogue import default_catalogue

    assert default_fate(default_catalogue(), resource) == fate


def test_a_lost_sale_against_the_same_product_nets_to_exactly_zero() -> None:
    """Biomethane sold to the grid anyway: the supplier's lost sale and the receiver's gas
    bought elsewhere cancel, and the table shows 0, not rounding noise."""
    rows = impact(load_park(EXAMPLES / "kalundborg")).exchanges
    assert rows.loc["biomethane_gyproc", "co2e_t"] == 0.0
    assert rows.loc["biomethane_gyproc", "supplier_co2e_t"] != 0.0


def test_outputs_name_the_factor_year_and_the_park_overrides() -> None:
    today = impact(load_park(EXAMPLES / "kalundborg")).assumptions
    assert (today["factor_year"], today["catalogue_overrides"]) == (2023, [])
    coal_era = load_park(EXAMPLES / "kalundborg-2010")
    assert "references.grann_1994" in impact(coal_era).assumptions["catalogue_overrides"]
    printed = CliRunner().invoke(app, ["impact", str(EXAMPLES / "kalundborg-2010")]).output
    assert "factors for 2010" in " ".join(printed.split())
    assert "park overrides: references.grann_1994" in " ".join(printed.split())
