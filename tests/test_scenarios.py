"""What-if scenarios: each kind of change on a small park, its effect worked by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pytest
from typer.testing import CliRunner

from symbionet.errors import SymbionetError
from symbionet.register.park import Park, load_park
from symbionet.scenarios import (
    BASE,
    Change,
    Scenario,
    ScenarioResult,
    apply_scenario,
    declared,
    digest,
    run_scenarios,
)
from symbionet.units import convert
from tests.conftest import EXAMPLES

T = TypeVar("T")
GAS_PRICE = 61.0  # EUR/MWh, the catalogue's natural gas (2023)
GAS_CO2 = 0.204  # t/MWh, the catalogue's natural gas
BOILER = 0.9  # efficiency of the catalogue's natural_gas_boiler route
BOILER_CO2 = 0.227  # t/MWh of heat, the route's own factor
FLARE_COST, FLARE_CO2 = 0.5, 0.04  # per MWh flared, the catalogue's flare route
DKK = 7.46038  # DKK per EUR, the library's reference rate

PARK = {
    "park.yaml": "name: Scenario park\ncountry: DK\nyear: 2023\ncurrency: EUR\n",
    "actors.csv": (
        "id,name,kind,nace\n"
        "a,Gas maker,company,35.21\nb,Heat user,company,23.62\nc,Gas user,company,19.20\n"
    ),
    "sites.csv": (
        "id,actor,name,lat,lon\nsa,a,A,55.660,11.080\nsb,b,B,55.661,11.081\nsc,c,C,55.662,11.082\n"
    ),
    "streams.csv": (
        "id,site,direction,resource,quantity,unit,fate,source,temperature_c\n"
        "gas_a,sa,supply,natural_gas,500,MWh/yr,flare,,\n"
        "gas_c,sc,demand,natural_gas,500,MWh/yr,,market,\n"
        "heat_b,sb,demand,district_heat,1000,MWh/yr,,natural_gas_boiler,70\n"
    ),
    "exchanges.csv": (
        "id,supply,demand,quantity,unit,mode,status,distance_km\n"
        "x1,gas_a,gas_c,500,MWh/yr,pipeline,operating,1\n"
    ),
}
TECHNOLOGIES = {
    "technologies.csv": (
        "id,site,name,kind,input,output,efficiency,capacity,capacity_unit,status,capex\n"
        "boiler_b,sb,Gas boiler,boiler,natural_gas,district_heat,0.9,1,MW,candidate,1000000\n"
    )
}
MAIN = "from symbionet.present.cli import main; main()"
HEADER = "id,scenario,change,target,value,unit,description,reference\n"


def write(folder: Path, scenarios: str | None = None, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**PARK, **files}.items():
        (folder / name).write_text(text, encoding="utf-8")
    if scenarios is not None:
        (folder / "scenarios.csv").write_text(HEADER + scenarios, encoding="utf-8")
    return folder


class Serial(Executor):
    """An executor that runs each call at once, in this process."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


ROWS = (
    "1,gas,price,natural_gas,2,x,,\n"
    "2,eur,price,natural_gas,100,EUR/MWh,,\n"
    "3,dkk,price,gas,746.038,DKK/MWh,,\n"
    "4,kwh,price,natural_gas,0.1,EUR/kWh,,\n"
    "5,own,price,stream:gas_c,80,EUR/MWh,,\n"
    "6,co2,co2_price,,100,EUR/t,,\n"
    "7,ef,emission,natural_gas,250,kg/MWh,,\n"
    "8,gone,leave,a,,,,\n"
    "9,same,price,natural_gas,1,x,,\n"
    "10,half,capacity,gas_c,0.5,x,,\n"
)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Park, ScenarioResult]:
    """One park with a scenario of each kind that needs no file, run once, serially."""
    park = load_park(write(tmp_path_factory.mktemp("shared") / "p", ROWS))
    runs = [name for name in declared(park) if name not in ("dkk", "kwh")]
    return park, run_scenarios(park, runs, executor=Serial())


def test_gas_price_doubling_moves_the_saving_by_quantity_times_the_price_change(
    shared: tuple[Park, ScenarioResult],
) -> None:
    diff = shared[1].differences["gas"]
    # the exchange replaces 500 MWh of gas bought at 61 EUR/MWh: it saves 500 x 61 more
    assert diff["impact_net_saving_eur"] == pytest.approx(500 * GAS_PRICE, rel=1e-9)
    # without symbiosis: the gas user buys 500 MWh, the heat user's gas boiler burns
    # 1000 / 0.9 MWh; the flare's own cost does not change
    expected = 500 * GAS_PRICE + 1000 * GAS_PRICE / BOILER
    assert diff["baseline_cost_eur"] == pytest.approx(expected, rel=1e-9)
    assert diff["baseline_co2e_t"] == 0


def test_a_price_set_in_any_currency_and_unit(shared: tuple[Park, ScenarioResult]) -> None:
    park, result = shared
    assert result.differences.at["impact_net_saving_eur", "eur"] == pytest.approx(
        500 * (100 - GAS_PRICE), rel=1e-9
    )
    for name in ("dkk", "kwh"):  # 746.038 DKK/MWh and 0.1 EUR/kWh: 100 EUR/MWh
        changed = apply_scenario(park, declared(park)[name])
        assert changed.catalogue.price_eur("natural_gas") == pytest.approx(100, rel=1e-12)


def test_a_stream_price_changes_that_stream_only(shared: tuple[Park, ScenarioResult]) -> None:
    diff = shared[1].differences["own"]
    assert diff["impact_net_saving_eur"] == pytest.approx(500 * (80 - GAS_PRICE), rel=1e-9)
    assert diff["baseline_cost_eur"] == pytest.approx(500 * (80 - GAS_PRICE), rel=1e-9)


def test_co2_price_costs_every_tonne_of_the_baseline(shared: tuple[Park, ScenarioResult]) -> None:
    result = shared[1]
    # 500 MWh gas x 0.204 + 1000 MWh heat x 0.227 + 500 MWh flared x 0.04 (methane slip)
    co2 = 500 * GAS_CO2 + 1000 * BOILER_CO2 + 500 * FLARE_CO2
    assert result.figures.at["baseline_co2e_t", BASE] == pytest.approx(co2, rel=1e-9)
    diff = result.differences["co2"]
    assert diff["baseline_cost_eur"] == pytest.approx(100 * co2, rel=1e-9)
    design_cost = result.figures.at["design_cost_eur", "co2"]
    operating = design_cost - 100 * result.figures.at["design_co2e_t", "co2"]
    assert operating <= result.figures.at["design_cost_eur", BASE] + 100 * co2
    assert diff["impact_net_saving_eur"] == 0  # the impact counts money without CO2e


def test_emission_factor_of_a_fuel_moves_the_routes_that_burn_it(
    shared: tuple[Park, ScenarioResult],
) -> None:
    diff = shared[1].differences["ef"]
    change = 0.25 - GAS_CO2
    assert diff["baseline_co2e_t"] == pytest.approx(500 * change + 1000 * change / BOILER)


def test_weaker_currency_rate(tmp_path: Path) -> None:
    """A park in DKK: its own prices stay in DKK, the catalogue's EUR prices cost more."""
    files = {
        "park.yaml": "name: Scenario park\nyear: 2023\ncurrency: DKK\n",
        "streams.csv": (
            "id,site,direction,resource,quantity,unit,fate,source,temperature_c,price\n"
            "gas_a,sa,supply,natural_gas,500,MWh/yr,flare,,,\n"
            "gas_c,sc,demand,natural_gas,500,MWh/yr,,market,,500\n"
            "heat_b,sb,demand,district_heat,1000,MWh/yr,,natural_gas_boiler,70,\n"
        ),
    }
    result = run_scenarios(
        load_park(write(tmp_path / "p", "1,dkk,rate,DKK,5,DKK/EUR,,\n", **files))
    )
    figures = result.figures
    # the exchange: 500 MWh at the user's own 500 DKK/MWh, plus 500 MWh not flared at 0.5 EUR
    assert figures.at["impact_net_saving_eur", BASE] == pytest.approx(
        500 * 500 / DKK + 500 * FLARE_COST, rel=1e-9
    )
    assert figures.at["impact_net_saving_eur", "dkk"] == pytest.approx(
        500 * 500 / 5 + 500 * FLARE_COST, rel=1e-9
    )
    shown = result.in_currency()
    assert list(result.runs["rate"]) == [DKK, 5.0]
    # in DKK only the flare's EUR cost moves: 250 EUR x (5 - 7.46038) DKK/EUR
    assert shown["differences"].at["impact_net_saving_dkk", "dkk"] == pytest.approx(
        250 * (5 - DKK), rel=1e-9
    )


def test_amounts_in_a_scenario_are_read_at_its_rate(tmp_path: Path) -> None:
    files = {"park.yaml": "name: Scenario park\nyear: 2023\ncurrency: DKK\nco2_price: 500\n"}
    rows = "1,r,rate,,5,DKK/EUR,,\n2,r,price,natural_gas,500,DKK/MWh,,\n3,r,co2_price,,2,x,,\n"
    park = load_park(write(tmp_path / "p", rows, **files))
    changed = apply_scenario(park, declared(park)["r"])
    # 500 DKK/MWh at 5 DKK/EUR: 100 EUR/MWh, whichever order the rows come in
    assert changed.catalogue.price_eur("natural_gas") == pytest.approx(100, rel=1e-12)
    # the park's own 500 DKK/t, doubled, at 5 DKK/EUR: 200 EUR/t
    assert convert(changed.meta["co2_price"], "DKK", "EUR") == pytest.approx(200, rel=1e-12)
    # a catalogue tariff in DKK (landfill, 800 DKK/t) is 160 EUR/t at 5 DKK/EUR
    landfill = changed.catalogue.routes["landfill"].cost
    assert landfill is not None
    assert convert(landfill.value, landfill.unit, "EUR/t") == pytest.approx(800 / 5)


def test_park_numbers_with_three_decimals_are_numbers(tmp_path: Path) -> None:
    """A number of park.yaml or of a document's park (a restated CO2e price, 100 EUR/t in
    DKK: 746.038) is a number; text in the Danish-looking form is read with a warning."""
    document = load_park(write(tmp_path / "p")).to_document()
    document["park"]["co2_price"] = 746.038
    assert load_park(document).meta["co2_price"] == 746.038
    quoted = PARK["park.yaml"] + "co2_price: '12.500'\n"
    park = load_park(write(tmp_path / "q", **{"park.yaml": quoted}))
    assert park.meta["co2_price"] == 12.5
    assert [p.location for p in park.warnings] == ["park.yaml:co2_price"]


def test_a_leaving_partner_takes_its_sites_streams_and_exchanges(
    shared: tuple[Park, ScenarioResult],
) -> None:
    park, result = shared
    changed = apply_scenario(park, declared(park)["gone"])
    assert "a" not in changed.actors.index and "sa" not in changed.sites.index
    assert list(changed.streams.index) == ["gas_c", "heat_b"]
    assert changed.exchanges.empty
    assert result.figures.at["impact_net_saving_eur", "gone"] == 0
    assert pd.isna(result.partners.at["a", "gone"])
    assert result.partner_differences.at["a", "gone"] == -result.partners.at["a", BASE]
    # without the flare of a: 500 MWh x 0.5 EUR less in the baseline
    assert result.differences.at["baseline_cost_eur", "gone"] == pytest.approx(-500 * FLARE_COST)


ENTRANT = {
    "actors.csv": "id,name,kind,nace\nd,Digester,company,35.21\n",
    "sites.csv": "id,actor,name,lat,lon\nsd,d,D,55.663,11.083\n",
    "streams.csv": (
        "id,site,direction,resource,quantity,unit,fate\ngas_d,sd,supply,natural_gas,200,MWh/yr,flare\n"
    ),
}


def test_a_partner_joins_from_a_folder_or_from_json_rows(tmp_path: Path) -> None:
    folder = write(tmp_path / "p", None)
    (folder / "entrant").mkdir()
    for name, text in ENTRANT.items():
        (folder / "entrant" / name).write_text(text, encoding="utf-8")
    inline = {
        "actors": [{"id": "d", "name": "Digester", "kind": "company", "nace": "35.21"}],
        "sites": [{"id": "sd", "actor": "d", "lat": 55.663, "lon": 11.083}],
        "streams": [
            {"id": "gas_d", "site": "sd", "direction": "supply", "resource": "natural_gas"}
            | {"quantity": 200, "unit": "MWh/yr", "fate": "flare"}
        ],
    }
    cell = '"' + json.dumps(inline).replace('"', '""') + '"'
    (folder / "scenarios.csv").write_text(
        HEADER + "1,file,join,entrant,,,,\n" + f"2,rows,join,{cell},,,,\n", encoding="utf-8"
    )
    park = load_park(folder)
    assert "d" in apply_scenario(park, declared(park)["file"]).actors.index
    result = run_scenarios(park)
    for name in ("file", "rows"):  # 200 MWh more flared at 0.5 EUR and 0.04 t
        assert result.differences.at["baseline_cost_eur", name] == pytest.approx(200 * FLARE_COST)
        assert result.differences.at["baseline_co2e_t", name] == pytest.approx(200 * FLARE_CO2)
    assert result.figures["file"].equals(result.figures["rows"])
    assert result.runs.at["rows", "changes"] == "join rows of actors, sites, streams"


def test_rows_that_join_are_checked_where_they_are_written(tmp_path: Path) -> None:
    folder = write(tmp_path / "p", "1,file,join,entrant,,,,\n")
    (folder / "entrant").mkdir()
    for name, text in ENTRANT.items():
        (folder / "entrant" / name).write_text(text.replace(",sd,supply", ",nowhere,supply"))
    with pytest.raises(SymbionetError) as error:
        run_scenarios(load_park(folder))
    assert [p.location for p in error.value.problems] == ["entrant/streams.csv:2:site"]
    assert "unknown site 'nowhere'" in str(error.value)
    outside = write(tmp_path / "q", "1,out,join,../p/entrant,,,,\n")
    with pytest.raises(SymbionetError, match=r"scenarios.csv:2:target: .*outside the park"):
        run_scenarios(load_park(outside))


def test_capacity_scales_a_stream_and_the_exchanges_it_can_no_longer_fill(
    tmp_path: Path,
) -> None:
    park = load_park(
        write(
            tmp_path / "p",
            "1,half,capacity,gas_c,0.5,x,,\n"
            "2,set,capacity,gas_a,300,MWh/yr,,\n"
            "3,more,capacity,gas_c,50,%,,\n"
            "4,tech,capacity,boiler_b,2,x,,\n",
            **TECHNOLOGIES,
        )
    )
    scenarios = declared(park)
    half = apply_scenario(park, scenarios["half"])
    assert half.streams.at["gas_c", "annual_quantity"] == 250
    assert half.exchanges.at["x1", "annual_quantity"] == 250
    assert apply_scenario(park, scenarios["set"]).exchanges.at["x1", "quantity"] == 300
    more = apply_scenario(park, scenarios["more"])  # room to spare: the exchange stays
    assert more.streams.at["gas_c", "quantity"] == 750
    assert more.exchanges.at["x1", "quantity"] == 500
    assert apply_scenario(park, scenarios["tech"]).technologies.at["boiler_b", "capacity"] == 2


def test_a_smaller_demand_takes_less_through_its_exchange(
    shared: tuple[Park, ScenarioResult],
) -> None:
    diff = shared[1].differences["half"]
    # 250 MWh less exchanged: 250 x 61 EUR bought again, 250 x 0.5 EUR flared again
    assert diff["impact_net_saving_eur"] == pytest.approx(-250 * (GAS_PRICE + FLARE_COST))


def test_technology_added_from_json_rows_or_removed_by_id(tmp_path: Path) -> None:
    pump = {
        "technologies": [
            {"id": "pump", "site": "sb", "kind": "heat_pump", "input": "electricity"}
            | {"output": "district_heat", "efficiency": 3, "capacity": 1, "capacity_unit": "MW"}
        ]
    }
    cell = '"' + json.dumps(pump).replace('"', '""') + '"'
    park = load_park(
        write(
            tmp_path / "p",
            f"1,add,technology,{cell},,,,\n2,drop,technology,boiler_b,,,,\n",
            **TECHNOLOGIES,
        )
    )
    scenarios = declared(park)
    assert list(apply_scenario(park, scenarios["add"]).technologies.index) == ["boiler_b", "pump"]
    assert apply_scenario(park, scenarios["drop"]).technologies.empty
    with pytest.raises(SymbionetError, match="adds technologies only, not actors"):
        apply_scenario(park, Scenario("x", (Change("technology", rows={"actors": [{"id": "z"}]}),)))


def test_an_unchanged_scenario_equals_the_base_exactly(
    shared: tuple[Park, ScenarioResult],
) -> None:
    park, result = shared
    assert result.figures["same"].equals(result.figures[BASE])
    assert result.partners["same"].equals(result.partners[BASE])
    assert (result.differences["same"] == 0).all()
    assert result.runs.at[BASE, "digest"] == digest(park) == result.digest
    # the price is restated (in EUR, by the scenario): other data, the same figures
    assert result.runs.at["same", "digest"] != result.digest


def test_a_park_without_scenarios_runs_its_base_alone(
    tmp_path: Path, shared: tuple[Park, ScenarioResult]
) -> None:
    park = load_park(write(tmp_path / "p"))
    result = run_scenarios(park)
    assert list(result.figures.columns) == [BASE] and result.differences.empty
    assert result.figures[BASE].equals(shared[1].figures[BASE])
    assert result.figures.at["impact_net_saving_eur", BASE] == pytest.approx(
        500 * (GAS_PRICE + FLARE_COST)
    )


def test_bad_rows_are_all_located_by_row_and_field(tmp_path: Path) -> None:
    park = load_park(
        write(
            tmp_path / "p",
            "1,s,price,unobtainium,2,x,,\n"
            "2,s,price,natural_gas,2,MWh,,\n"
            "3,t,leave,a,1,,,\n"
            "4,t,co2_price,,,EUR/t,,\n"
            "5,u,rate,USD,7,USD/EUR,,\n"
            "6,v,capacity,gas_c,5,km,,\n"
            "7,w,leave,zz,,,,\n",
        )
    )
    with pytest.raises(SymbionetError) as error:
        run_scenarios(park)
    located = [p.location for p in error.value.problems]
    assert located == [
        "scenarios.csv:3:unit",
        "scenarios.csv:4:value",
        "scenarios.csv:5:value",
        "scenarios.csv:6:target",
        "scenarios.csv:6:unit",
    ]
    with pytest.raises(SymbionetError) as error:
        run_scenarios(park, ["s", "v", "w"])
    text = [str(p) for p in error.value.problems]
    assert text[0].startswith("scenarios.csv:3:unit: 'MWh' is not a price")
    with pytest.raises(SymbionetError) as error:
        run_scenarios(park, ["v", "w"])
    located = [p.location for p in error.value.problems]
    assert located == ["scenarios.csv:7:unit", "scenarios.csv:8:target"]
    assert "'zz' is no actor" in str(error.value)
    with pytest.raises(SymbionetError) as error:
        apply_scenario(park, declared_loosely(park, "s"))
    assert str(error.value.problems[0]).startswith("scenarios.csv:2:target: 'unobtainium'")
    with pytest.raises(SymbionetError) as error:  # a park in memory: located by path
        run_scenarios(load_park(park.to_document()), ["s"])
    assert str(error.value.problems[0]).startswith("scenarios[1].unit: 'MWh' is not a price")
    with pytest.raises(SymbionetError, match="no scenario 'nope'; the park declares s, t, u, v, w"):
        run_scenarios(park, ["nope"])


def declared_loosely(park: Park, name: str) -> Scenario:
    """The first change of a scenario, not checked alone first."""
    from symbionet.scenarios.changes import Locator, Where

    frame = park.table("scenarios")
    row = frame.iloc[0]
    where: Where = Locator(park)(0)
    change = Change(str(row["change"]), str(row["target"]), 2.0, "x", where=where)
    return Scenario(name, (change,))


def test_an_executor_gives_the_serial_results(shared: tuple[Park, ScenarioResult]) -> None:
    park, serial = shared
    runs = [BASE, "gone", "gas"]
    with ProcessPoolExecutor(max_workers=2) as pool:
        parallel = run_scenarios(park, runs[1:], executor=pool)
    pd.testing.assert_frame_equal(serial.figures[runs], parallel.figures)
    pd.testing.assert_frame_equal(serial.partners[runs], parallel.partners)
    assert list(serial.runs.loc[runs, "digest"]) == list(parallel.runs["digest"])


def test_the_platform_runs_scenarios_by_name(tmp_path: Path) -> None:
    from symbionet.analyses import run_analysis
    from symbionet.progress import silent

    park = load_park(write(tmp_path / "p", "1,gas,price,natural_gas,2,x,,\n"))
    result = run_analysis(
        "scenarios", park, {"names": ["gas"], "design": {"time": "annual"}}, silent
    )
    data = result.to_dict()
    assert set(data["figures"]) >= {"design_cost_eur", "impact_net_saving_eur"}
    assert data["differences"]["impact_net_saving_eur"]["gas"] == pytest.approx(500 * GAS_PRICE)
    json.dumps(data, allow_nan=False)
    with pytest.raises(SymbionetError, match="design: must be DesignOptions"):
        run_analysis("scenarios", park, {"design": "cost"}, silent)
    with pytest.raises(SymbionetError, match="colour: is not an option"):
        run_analysis("scenarios", park, {"colour": "red"}, silent)


def test_command_line_tables_json_and_errors(tmp_path: Path) -> None:
    from symbionet.present.cli import app

    runner = CliRunner()
    folder = write(tmp_path / "p", "1,gas,price,natural_gas,2,x,,\n2,bad,price,nothing,2,x,,\n")
    out = tmp_path / "out.json"
    shown = runner.invoke(app, ["scenario", str(folder), "gas", "--out", str(out)])
    assert shown.exit_code == 0, shown.output
    assert "Differences: scenario minus base" in shown.output
    assert "30,500" in shown.output  # 500 MWh x 61 EUR/MWh more saved
    data = json.loads(out.read_text())
    assert data["differences"]["impact_net_saving_eur"]["gas"] == pytest.approx(30500)
    assert data["currency"]["code"] == "EUR" and data["park"] == "Scenario park"
    workbook = tmp_path / "out.xlsx"
    assert (
        runner.invoke(app, ["scenario", str(folder), "gas", "--xlsx", str(workbook)]).exit_code == 0
    )
    assert set(pd.read_excel(workbook, sheet_name=None)) >= {"figures", "differences", "runs"}
    bad = subprocess.run(
        [sys.executable, "-c", MAIN, "scenario", str(folder), "bad"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert "scenarios.csv:3:target: 'nothing' is no resource or stream" in bad.stderr + bad.stdout
    assert "Traceback" not in bad.stderr + bad.stdout


def test_the_kalundborg_scenarios_are_valid() -> None:
    park = load_park(EXAMPLES / "kalundborg")
    scenarios = declared(park)
    assert {
        "gas_price_doubles",
        "co2_quota_price",
        "asnaes_closes",
        "asnaes_closes_data_centre_joins",
    } <= set(scenarios)
    changed = apply_scenario(park, scenarios["asnaes_closes"])
    assert "orsted" not in changed.actors.index
    assert not changed.exchanges["supply"].isin(["asnaes_steam", "asnaes_dh"]).any()
