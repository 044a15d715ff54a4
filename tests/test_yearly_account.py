"""The yearly symbiosis account: by hand on a small park, with readings that cover part of
the year; equal to the impact accounting without readings; year on year by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from symbionet import Park, load_park
from symbionet.assessment.accounting import KPIS, impact
from symbionet.assessment.yearly import account, compare_years
from symbionet.errors import SymbionetError
from symbionet.present.cli import app
from tests.conftest import EXAMPLES, write_park

# Gypsum at explicit prices: the power plant would landfill it at 100 per t, the board
# plant would buy natural gypsum at 20 per t; CO2e 0.005 t/t (landfill) + 0.03 t/t
# (natural gypsum) = 0.035 t per t exchanged. The exchange g costs 500,000 over 10 years
# (no discounting: 50,000 a year) and 300 a year to run.
HAND = {
    "park.yaml": "name: Hand park\nyear: 2023\ncurrency: EUR\ndiscount_rate: 0.0\n",
    "actors.csv": "id,name\npower,Power plant\nboard,Board plant\n",
    "sites.csv": "id,actor,name,lat,lon\np,power,Power site,55.0,11.0\nb,board,Board site,55.01,11.0\n",
    "streams.csv": (
        "id,site,direction,resource,quantity,unit,fate,source,price,confidence,name\n"
        "gyp,p,supply,fgd_gypsum,1000,t/yr,landfill,,100,high,Desulphurisation gypsum\n"
        "nat,b,demand,natural_gypsum,2000,t/yr,,market,20,high,Gypsum for boards\n"
        "water_out,p,supply,cooling_water_return,500,m3/yr,,,,low,Cooling water\n"
        "water_in,b,demand,surface_water,800,m3/yr,,surface_water_intake,0.5,medium,Water\n"
    ),
    "exchanges.csv": (
        "id,supply,demand,quantity,unit,status,start_year,end_year,capex,opex,lifetime,mode\n"
        "g,gyp,nat,1000,t/yr,operating,2015,,500000,300,10,truck\n"
        "w,water_out,water_in,500,m3/yr,operating,2020,,,,,pipeline\n"
        "old,gyp,nat,400,t/yr,ended,2010,2018,,,,truck\n"
        "gone,gyp,nat,50,t/yr,ended,2010,,,,,truck\n"
        "idea,gyp,nat,10,t/yr,idea,,,,,,truck\n"
    ),
}
CO2E_PER_T = 0.005 + 0.03
# Readings of g in 2023: 600 t measured over half the year; the other half is estimated
# at the register's 1,000 t/yr: 600 + 1,000 x 0.5 = 1,100 t, of which 600/1,100 verified.
READINGS = pd.DataFrame(
    {"expected": [1000.0], "measured": [600.0], "coverage": [0.5], "unit": ["t"]},
    index=pd.MultiIndex.from_tuples([("g", 2023)], names=["exchange", "year"]),
)


def hand_park(folder: Path, **files: str) -> Park:
    return load_park(write_park(folder, {**HAND, **files}))


@pytest.fixture(scope="module")
def park(tmp_path_factory: pytest.TempPathFactory) -> Park:
    return hand_park(tmp_path_factory.mktemp("hand") / "park")


def test_the_account_by_hand_with_readings_over_half_the_year(park: Park) -> None:
    result = account(park, 2023, READINGS)
    assert result.year == 2023
    # counted: g and w (operating since 2015 and 2020); not the exchange that ended in
    # 2018, the ended one that does not say when, or the idea
    assert list(result.exchanges.index) == ["g", "w"]
    g = result.exchanges.loc["g"]
    assert g["amount"] == pytest.approx(1_100)
    assert (g["measured"], g["coverage"], g["expected"]) == (600, 0.5, 1000)
    assert g["verified_amount"] == pytest.approx(600)
    assert g["estimated_amount"] == pytest.approx(500)
    assert g["verified_pct"] == pytest.approx(100 * 600 / 1100)
    assert g["quantity_from"] == "readings and register"
    # 1,100 t x 100 + 1,100 t x 20 - 50,000 - 300
    assert g["net_saving_eur"] == pytest.approx(81_700)
    assert g["co2e_t"] == pytest.approx(1_100 * CO2E_PER_T)
    assert g["virgin_material_t"] == pytest.approx(1_100)
    w = result.exchanges.loc["w"]
    assert (w["quantity_from"], w["verified_pct"], w["verified_amount"]) == ("register", 0, 0)
    assert w["amount"] == 500
    # the park: verified is g's share 6/11 of each figure, the rest estimated
    totals = result.park
    w_net = w["net_saving_eur"]
    assert totals.at["net_saving_eur", "central"] == pytest.approx(81_700 + w_net)
    assert totals.at["net_saving_eur", "verified"] == pytest.approx(81_700 * 6 / 11)
    assert totals.at["net_saving_eur", "estimated"] == pytest.approx(81_700 * 5 / 11 + w_net)
    assert totals.at["co2e_t", "verified"] == pytest.approx(600 * CO2E_PER_T)
    assert totals.at["virgin_material_t", "verified"] == pytest.approx(600)
    assert totals.at["virgin_material_t", "estimated"] == pytest.approx(500)
    assert result.verified_pct["virgin_material_t"] == pytest.approx(100 * 600 / 1100)
    assert result.verified_pct["groundwater_m3"] != result.verified_pct["groundwater_m3"]  # 0: NaN
    assert (totals["verified"] + totals["estimated"]).to_numpy() == pytest.approx(
        totals["central"].to_numpy()
    )
    # per partner: each side gets half of g's net saving, so half of its verified part
    verified = result.partners_verified
    assert verified.at["power", "saving_eur"] == pytest.approx(81_700 * 6 / 11 / 2)
    assert verified.at["board", "saving_eur"] == pytest.approx(81_700 * 6 / 11 / 2)
    assert verified.at["board", "virgin_material_t"] == pytest.approx(600)
    assert verified.at["power", "waste_diverted_t"] == pytest.approx(600)
    assert result.partners.at["board", "virgin_material_t"] == pytest.approx(1_100)
    # method, sources and the plain data
    data = result.to_dict()
    assert "measured + expected x (1 - coverage)" in data["method"]
    assert data["park"]["net_saving_eur"]["verified"] == pytest.approx(81_700 * 6 / 11)
    assert "symbionet_estimates" in result.sources.index
    json.dumps(data, allow_nan=False)


def test_full_coverage_is_verified_whole_and_the_register_fills_a_missing_expected(
    park: Park,
) -> None:
    whole = pd.DataFrame(
        {"exchange": ["g", "w"], "year": [2023, 2023], "measured": [900.0, 0.0]}
    ).assign(coverage=[1.0, 0.0])
    result = account(park, 2023, whole)
    g, w = result.exchanges.loc["g"], result.exchanges.loc["w"]
    assert (g["amount"], g["verified_pct"], g["quantity_from"]) == (900, 100, "readings")
    assert g["expected"] == 1000  # from the register
    # no valid reading in the year: the register's amount, estimated
    assert (w["amount"], w["verified_pct"], w["quantity_from"]) == (500, 0, "register")
    assert result.park.at["virgin_material_t", "verified"] == pytest.approx(900)


@pytest.mark.parametrize("year", [2023, 2019])
def test_without_readings_the_account_is_the_impact_of_the_year(year: int) -> None:
    kalundborg = load_park(EXAMPLES / "kalundborg")
    result = account(kalundborg, year)
    expected = impact(kalundborg, year=year)
    assert list(result.exchanges.index) == list(expected.exchanges.index)
    pd.testing.assert_frame_equal(
        result.park[["central", "low", "high"]].rename_axis(None), expected.park, check_exact=True
    )
    pd.testing.assert_frame_equal(
        result.exchanges[KPIS].rename_axis("id"), expected.exchanges[KPIS], check_exact=True
    )
    pd.testing.assert_frame_equal(result.partners, expected.partners, check_exact=True)
    assert (result.park["verified"] == 0).all() and (result.exchanges["verified_pct"] == 0).all()
    # the park's own year when none is given
    assert account(kalundborg).year == 2023


def test_impact_takes_yearly_quantities_in_place_of_the_register(park: Park) -> None:
    before = impact(park)
    replaced = impact(park, quantities=pd.Series({"g": 1_100.0}))
    assert replaced.exchanges.at["g", "amount"] == 1_100
    assert replaced.exchanges.at["g", "net_saving_eur"] == pytest.approx(81_700)
    assert (
        replaced.exchanges.at["w", "net_saving_eur"] == before.exchanges.at["w", "net_saving_eur"]
    )
    pd.testing.assert_frame_equal(impact(park, quantities=pd.Series(dtype=float)).park, before.park)
    for wrong, message in (
        (pd.Series({"nope": 1.0}), "unknown exchanges nope"),
        (pd.Series({"g": -1.0}), "finite amounts of 0 or more: g"),
        (pd.Series({"g": float("nan")}), "finite amounts of 0 or more: g"),
        (pd.Series([1.0, 2.0], index=["g", "g"]), "more than once: g"),
    ):
        with pytest.raises(SymbionetError, match=message):
            impact(park, quantities=wrong)


def test_year_on_year_by_hand(park: Park) -> None:
    result = compare_years(park, 2016, 2023, READINGS)
    table = result.table
    w_net = account(park, 2023).exchanges.at["w", "net_saving_eur"]
    # 2016: g (1,000 t: 120,000 - 50,300 = 69,700) and old (400 t x 120 = 48,000)
    assert table.at["net_saving_eur", "before"] == pytest.approx(69_700 + 48_000)
    # 2023: g with readings (81,700) and w, which started in 2020
    assert table.at["net_saving_eur", "after"] == pytest.approx(81_700 + w_net)
    assert table.at["net_saving_eur", "started"] == pytest.approx(w_net)
    assert table.at["net_saving_eur", "ended"] == pytest.approx(-48_000)
    assert table.at["net_saving_eur", "volume"] == pytest.approx(100 * 120)  # g: +100 t
    assert table.at["co2e_t", "ended"] == pytest.approx(-400 * CO2E_PER_T)
    assert table.at["co2e_t", "volume"] == pytest.approx(100 * CO2E_PER_T)
    assert table.at["virgin_material_t", "change"] == pytest.approx(1_100 - 1_400)
    # the parts add up to the change for every figure
    parts = table["started"] + table["ended"] + table["volume"]
    assert parts.to_numpy() == pytest.approx(table["change"].to_numpy(), abs=1e-9)
    assert (table["change"] == table["after"] - table["before"]).all()
    changes = result.exchanges
    assert changes.at["w", "change"] == "started" and changes.at["old", "change"] == "ended"
    assert changes.at["g", "change"] == "continuing"
    assert (changes.at["g", "amount_before"], changes.at["g", "amount_after"]) == (1_000, 1_100)
    assert changes.at["old", "net_saving_eur"] == pytest.approx(-48_000)
    # per exchange, the changes add up to the park's
    assert changes["net_saving_eur"].sum() == pytest.approx(table.at["net_saving_eur", "change"])
    # a year against itself changes nothing
    same = compare_years(park, 2023, 2023)
    assert (same.table[["change", "started", "ended", "volume"]] == 0).all().all()


def test_kalundborg_from_2018_to_its_year() -> None:
    kalundborg = load_park(EXAMPLES / "kalundborg")
    result = compare_years(kalundborg, 2018, 2023)
    started = set(result.exchanges.index[result.exchanges["change"] == "started"])
    assert started == {"wastewater_novo", "wastewater_novonesis", "heat_pump_dh"} | {
        "condensate_refinery"
    }
    # no volume changes without readings: the change is what started
    assert (result.table["volume"] == 0).all()
    assert (result.table["ended"] == 0).all()
    pd.testing.assert_series_equal(
        result.table["change"], result.table["started"], check_names=False
    )


def test_readings_of_exchanges_not_counted_are_left_out_and_said(park: Park) -> None:
    readings = pd.DataFrame(
        {"exchange": ["old", "g"], "year": [2023, 2016], "measured": [5.0, 7.0]}
    ).assign(coverage=1.0)
    result = account(park, 2023, readings)
    assert result.park.at["net_saving_eur", "verified"] == 0  # g's reading is of 2016
    assert any("old" in note for note in result.notes)


def test_readings_of_another_year_only_are_said_and_kept_in_a_comparison(park: Park) -> None:
    readings = pd.DataFrame({"exchange": ["g"], "year": [2016], "measured": [7.0]}).assign(
        coverage=1.0
    )
    result = account(park, 2023, readings)
    assert result.notes == ["the readings given hold no amount of 2023: every figure is estimated"]
    assert not account(park, 2023).notes  # no readings given: nothing to say
    comparison = compare_years(park, 2016, 2023, readings)
    assert f"2023: {result.notes[0]}" in comparison.notes
    assert comparison.to_dict()["notes"] == comparison.notes


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"exchange": ["nope"], "measured": [1.0], "coverage": [1.0]}, "unknown exchanges nope"),
        ({"exchange": ["g"], "measured": [1.0], "coverage": [1.5]}, "coverage must be a share"),
        ({"exchange": ["g"], "measured": [-1.0], "coverage": [1.0]}, "measured must be an amount"),
        ({"exchange": ["g"], "measured": [None], "coverage": [0.5]}, "measured must be an amount"),
        ({"exchange": ["g"], "coverage": [1.0]}, "has no column measured"),
        (
            {"exchange": ["g"], "measured": [1.0], "coverage": [1.0], "unit": ["kg"]},
            "g in kg, not t",
        ),
        (
            {"exchange": ["g", "g"], "measured": [1.0, 2.0], "coverage": [1.0, 1.0]},
            "exchanges given twice for 2023: g",
        ),
    ],
)
def test_a_bad_table_of_readings_is_refused(park: Park, table: dict, message: str) -> None:
    frame = pd.DataFrame(table).assign(year=2023)
    with pytest.raises(SymbionetError, match=message):
        account(park, 2023, frame)


def test_a_bad_year_is_refused(park: Park, tmp_path: Path) -> None:
    with pytest.raises(SymbionetError, match="from 1900 to 2100"):
        account(park, 1800)
    text: Any = "2023"
    with pytest.raises(SymbionetError, match="whole year"):
        account(park, text)
    no_year = hand_park(tmp_path / "no-year", **{"park.yaml": "name: No year\n"})
    with pytest.raises(SymbionetError, match="the park states no year"):
        account(no_year)


def test_the_account_command(park: Park, tmp_path: Path) -> None:
    runner = CliRunner()
    source = park.source
    shown = runner.invoke(app, ["account", source])
    assert shown.exit_code == 0, shown.output
    assert "symbiosis account 2023, 2 exchanges, 0 with metered readings" in shown.output
    assert "net saving (EUR/yr)" in shown.output
    assert "[symbionet_estimates] symbionet engineering estimates" in shown.output
    readings = tmp_path / "verified.csv"
    readings.write_text(
        "exchange,year,expected,measured,coverage,unit\ng,2023,1000,600,0.5,t\n",
        encoding="utf-8",
    )
    data = json.loads(
        runner.invoke(app, ["account", source, "--verified", str(readings), "--json"]).output
    )
    assert data["year"] == 2023
    assert data["park"]["net_saving_eur"]["verified"] == pytest.approx(81_700 * 6 / 11)
    assert data["currency"]["code"] == "EUR"
    compared = runner.invoke(
        app, ["account", source, "--compare", "2016", "--verified", str(readings), "--json"]
    )
    table = json.loads(compared.output)["table"]
    assert table["net_saving_eur"]["ended"] == pytest.approx(-48_000)
    printed = runner.invoke(app, ["account", source, "--compare", "2016"])
    assert printed.exit_code == 0 and "from 2016 to 2023" in printed.output
    assert "started" in printed.output and "ended" in printed.output
    workbook = tmp_path / "account.xlsx"
    written = runner.invoke(app, ["account", source, "--xlsx", str(workbook)])
    assert written.exit_code == 0 and workbook.exists()


def test_the_account_command_in_the_park_currency_and_bad_input() -> None:
    runner = CliRunner()
    kalundborg = str(EXAMPLES / "kalundborg")
    shown = runner.invoke(app, ["account", kalundborg])
    assert "net saving (DKK/yr)" in shown.output and "Amounts in DKK at 7.46038" in shown.output
    data = json.loads(runner.invoke(app, ["account", kalundborg, "--json"]).output)
    expected = impact(load_park(EXAMPLES / "kalundborg"), year=2023).park
    assert data["park"]["net_saving_eur"]["central"] == expected.at["net_saving_eur", "central"]
    for args, message in (
        (["--year", "1800"], "from 1900 to 2100"),
        (["--verified", "missing.csv"], "no such file"),
    ):
        result = runner.invoke(app, ["account", kalundborg, *args])
        assert result.exit_code == 1 and message in str(result.exception)


def test_bad_input_ends_with_a_message_and_no_traceback(tmp_path: Path) -> None:
    readings = tmp_path / "verified.csv"
    command = Path(sys.executable).parent / "symbionet"

    def account_of(rows: str) -> str:
        readings.write_text(f"exchange,year,measured,coverage\n{rows}", encoding="utf-8")
        done = subprocess.run(
            [str(command), "account", str(EXAMPLES / "kalundborg"), "--verified", str(readings)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 1 and "Traceback" not in done.stderr
        return done.stderr

    assert "unknown exchanges nope" in account_of("nope,2023,1,1\n")
    # a coverage in percent, as `readings verify` shows it, located at its row
    said = account_of("tisso_novo,2023,1,99.5\ntisso_asnaes,2023,-3,1\n")
    assert f"{readings}:2:coverage: 99.5: a share from 0 to 1" in said
    assert f"{readings}:3:measured: -3: an amount of 0 or more" in said


def test_the_table_metering_verifies_is_taken_as_it_comes(park: Park) -> None:
    """Rows for every operating exchange: one without meters has no measured amount and a
    coverage of 0, and is estimated as if it had no row; the result object is taken too."""
    index = pd.MultiIndex.from_tuples([("g", 2023), ("w", 2023)], names=["exchange", "year"])
    table = pd.DataFrame(
        {
            "expected": [1000.0, 500.0],
            "measured": [600.0, float("nan")],
            "coverage": [0.5, 0.0],
            "unit": ["t", "m3"],
            "meters": [1, 0],
            "readings": [4380, 0],
        },
        index=index,
    )

    class Verified:
        def __init__(self, table: pd.DataFrame) -> None:
            self.table = table

    for given in (table, Verified(table)):
        result = account(park, 2023, given)
        assert result.exchanges.at["g", "amount"] == pytest.approx(1_100)
        assert result.exchanges.at["w", "quantity_from"] == "register"
        assert result.notes == [
            "1 of 2 exchanges have no readings in 2023: estimated from the register"
        ]
    wrong = table.assign(measured=[600.0, 3.0])
    with pytest.raises(SymbionetError, match="measured with a coverage of 0: w"):
        account(park, 2023, wrong)


def test_the_account_of_a_metered_year(tmp_path: Path) -> None:
    """Metering's verified quantities of a synthetic year with faults: each exchange
    counts its readings and the register for the hours they miss, close to the register's
    year that the synthetic readings add up to; almost all of it verified."""
    from symbionet.metering import flag_readings, read_readings, verify
    from symbionet.metering.synthetic import synthetic_year

    kalundborg = load_park(EXAMPLES / "kalundborg")
    made = synthetic_year(kalundborg, 2024, seed=7)
    readings = read_readings(made.write(tmp_path / "scada.csv"), kalundborg, made.meters)
    verified = verify(kalundborg, flag_readings(readings, kalundborg, made.meters), 2024)
    result = account(kalundborg, 2024, verified)
    rows = result.exchanges
    table = verified.table.xs(2024, level="year").reindex(rows.index)
    hand = table["measured"] + table["expected"] * (1 - table["coverage"])
    assert rows["amount"].to_numpy() == pytest.approx(hand.to_numpy(), rel=1e-12)
    assert rows["amount"].to_numpy() == pytest.approx(table["expected"].to_numpy(), rel=1e-3)
    spoilt = table["coverage"] < 1
    assert (rows.loc[spoilt, "quantity_from"] == "readings and register").all()
    assert (rows.loc[~spoilt, "quantity_from"] == "readings").all()
    assert (result.verified_pct.dropna() > 99).all()
    totals = impact(kalundborg, year=2024).park["central"]
    assert result.park["central"].to_numpy() == pytest.approx(totals.to_numpy(), rel=1e-3)
