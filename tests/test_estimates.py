"""Stream estimates from a site's sector and size, worked out by hand: the coefficients,
the command line (writes, --dry-run does not, reruns replace, measured rows stay), bad
input, the share of a figure resting on estimates, and the database migration."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pandas as pd
import pytest
import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from typer.testing import CliRunner

from symbionet.errors import SymbionetError
from symbionet.present.cli import app
from symbionet.register.catalogue import default_catalogue
from symbionet.register.estimates import (
    coefficient_sources,
    coefficients,
    estimate_streams,
    estimated_share,
    estimated_streams,
    fill_estimates,
    sector_resources,
)
from symbionet.register.park import load_park
from symbionet.store import load_stored_park, migrate, open_database, save_park
from symbionet.store.model import metadata
from tests.conftest import write_park

runner = CliRunner()

#: A sector with 2 t of a residue per employee (1-4 t), for the cases worked by hand.
TWO_PER_EMPLOYEE = pd.DataFrame(
    [
        {
            "nace": "10.51",
            "direction": "supply",
            "resource": "whey",
            "basis": "employees",
            "basis_unit": "",
            "low": 1.0,
            "typical": 2.0,
            "high": 4.0,
            "unit": "t",
            "source": "fdm_bref_2019",
            "note": "t per employee, for a test",
        },
        {  # a division-level row: the class row above is finer for whey
            "nace": "10",
            "direction": "supply",
            "resource": "whey",
            "basis": "employees",
            "basis_unit": "",
            "low": 10.0,
            "typical": 20.0,
            "high": 40.0,
            "unit": "t",
            "source": "fdm_bref_2019",
            "note": "division level, never used for a dairy",
        },
        {
            "nace": "10",
            "direction": "supply",
            "resource": "industrial_wastewater",
            "basis": "employees",
            "basis_unit": "",
            "low": 50.0,
            "typical": 100.0,
            "high": 200.0,
            "unit": "m3",
            "source": "fdm_bat_2019",
            "note": "division level, for a test",
        },
    ]
)

PARK = {
    "park.yaml": "name: Harbour park\ncountry: DK\nyear: 2023\ncurrency: EUR\n",
    "actors.csv": (
        "id,name,kind,nace,employees\n"
        "dairy,Dairy,company,10.51,100\n"
        "brewery,Brewery,company,11.05,\n"
        "group,Food group,company,10.51,5000\n"
        "office,Town hall,municipality,84.11,\n"
        "sections,Somebody,company,C,300\n"
    ),
    "sites.csv": (
        "id,actor,name,lat,lon,employees,production,production_unit,floor_area_m2\n"
        "d1,dairy,Dairy site,55.66,11.08,,,,\n"
        "b1,brewery,Brewery site,55.67,11.07,,100000,hl,\n"
        "g1,group,Group site one,55.68,11.07,,,,\n"
        "g2,group,Group site two,55.69,11.07,,,,\n"
        "t1,office,Town hall,55.67,11.09,,,,2000\n"
        "s1,sections,Section site,55.67,11.09,,,,\n"
    ),
    "streams.csv": (
        "id,site,direction,resource,quantity,unit,provenance\n"
        "grain,b1,supply,spent_grain,1500,t/yr,measured\n"
    ),
}


EMPTY_EXCHANGES = "id,supply,demand,quantity,unit,mode,status\n"


def harbour(tmp_path: Path, **files_: str) -> Path:
    return write_park(tmp_path / "harbour", {**PARK, **files_, "exchanges.csv": EMPTY_EXCHANGES})


def invoke(*args: object) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def test_hundred_employees_at_two_tonnes_each_make_two_hundred_tonnes(tmp_path: Path) -> None:
    park = load_park(harbour(tmp_path))
    estimates = estimate_streams(park, TWO_PER_EMPLOYEE)
    whey = estimates.loc["est_d1_whey_supply"]
    # by hand: 100 employees x 2 t = 200 t, range 100 x 1 = 100 t to 100 x 4 = 400 t
    assert (whey["quantity"], whey["quantity_low"], whey["quantity_high"]) == (200, 100, 400)
    assert whey["unit"] == "t/yr"
    assert (whey["provenance"], whey["confidence"]) == ("estimated", "low")
    assert "2 (1-4) t per employee x 100 employees" in whey["reference"]
    assert "NACE 10.51 (class level)" in whey["reference"]
    # the division's waste water joins (no class row names it): 100 x 100 m3
    water = estimates.loc["est_d1_industrial_wastewater_supply"]
    assert (water["quantity"], water["quantity_low"], water["quantity_high"]) == (
        10_000,
        5_000,
        20_000,
    )
    assert "NACE 10 (division level)" in water["reference"]
    # the group's 5,000 employees are not those of either of its two sites
    assert not estimates["site"].isin(["g1", "g2"]).any()
    # a section letter has no sector coefficients; the brewery's beer is no head count
    assert set(estimates["site"]) == {"d1"}


def test_bundled_coefficients_by_production_and_floor_area(tmp_path: Path) -> None:
    park = load_park(harbour(tmp_path))
    estimates = estimate_streams(park).set_index(["site", "resource"])
    # brewery, 100,000 hl: 0.2 t... no: 20 kg of spent grain per hl, but the park measures
    # the spent grain: not estimated again
    assert ("b1", "spent_grain") not in estimates.index
    # waste water 0.27 m3/hl x 100,000 hl = 27,000 m3 (0.15 -> 15,000; 0.5 -> 50,000)
    water = estimates.loc[("b1", "industrial_wastewater")]
    assert (water["quantity"], water["quantity_low"], water["quantity_high"]) == pytest.approx(
        (27_000, 15_000, 50_000)
    )
    # yeast 2 kg/hl x 100,000 hl = 200 t
    assert estimates.loc[("b1", "brewers_yeast"), "quantity"] == pytest.approx(200)
    # town hall, 2,000 m2: 95 kWh/m2 of electricity = 190 MWh; 120 kWh/m2 of heat = 240 MWh
    assert estimates.loc[("t1", "electricity"), "quantity"] == pytest.approx(190)
    assert estimates.loc[("t1", "district_heat"), "quantity"] == pytest.approx(240)
    assert estimates.loc[("t1", "district_heat"), "unit"] == "MWh/yr"


def test_sector_resources_at_the_finest_level() -> None:
    codes = pd.Series(["10.51", "10.5", "10", "C"], index=["a", "b", "c", "d"])
    found = sector_resources(codes, TWO_PER_EMPLOYEE)
    rows = {(r.key, r.resource): r.level for r in found.itertuples()}
    assert rows == {
        ("a", "whey"): "class",
        ("a", "industrial_wastewater"): "division",
        ("b", "whey"): "division",  # a group code cannot tell which class it is
        ("b", "industrial_wastewater"): "division",
        ("c", "whey"): "division",
        ("c", "industrial_wastewater"): "division",
    }
    assert list(found.columns) == ["key", "resource", "direction", "level", "source"]
    bundled = sector_resources(pd.Series(["11.05"]))
    assert {"spent_grain", "brewers_yeast"} <= set(bundled["resource"])


def test_unknown_nace_code_is_refused() -> None:
    with pytest.raises(SymbionetError) as error:
        sector_resources(pd.Series(["10.51", "dairy"], index=["ok", "bad"]))
    assert "'dairy' is not a NACE Rev. 2 code" in str(error.value)
    assert error.value.problems[0].column == "bad"


def test_negative_size_is_refused(tmp_path: Path) -> None:
    sites = PARK["sites.csv"].replace(
        "d1,dairy,Dairy site,55.66,11.08,,", "d1,dairy,Dairy site,55.66,11.08,-5,"
    )
    with pytest.raises(SymbionetError) as error:
        load_park(harbour(tmp_path, **{"sites.csv": sites}))
    problem = error.value.problems[0]
    assert (problem.file.endswith("sites.csv"), problem.column) == (True, "employees")


def test_bad_coefficients_are_refused() -> None:
    wrong = TWO_PER_EMPLOYEE.assign(
        low=[3.0, 10.0, 50.0], source=["nowhere", "fdm_bref_2019", "fdm_bat_2019"]
    )
    with pytest.raises(SymbionetError) as error:
        sector_resources(pd.Series(["10.51"]), wrong)
    messages = {(p.row, p.column, p.message) for p in error.value.problems}
    assert (2, "low", "needs 0 <= low <= typical") in messages
    assert (2, "source", "not a reference of sector_coefficients_sources.yaml") in messages


def test_every_bundled_coefficient_has_a_source_and_fits_the_catalogue() -> None:
    table = coefficients()
    sources = coefficient_sources()
    assert set(table["source"]) <= set(sources)
    for reference in sources.values():
        assert {"title", "publisher", "licence"} <= set(reference)
    assert (table["low"] <= table["typical"]).all() and (table["typical"] <= table["high"]).all()
    catalogue = default_catalogue()
    from symbionet.units import annual_factor

    for row in table[table["resource"].isin(list(catalogue.resources))].itertuples():
        entry = catalogue.resources[row.resource]
        annual_factor(
            row.unit,
            entry.unit,
            entry.density_t_per_m3,
            entry.energy_mwh_per_unit,
            entry.energy_mwh_per_m3,
        )


def test_cli_writes_dry_run_does_not_and_rerun_replaces(tmp_path: Path) -> None:
    folder = harbour(tmp_path)
    before = (folder / "streams.csv").read_text(encoding="utf-8")
    shown = json.loads(invoke("estimate", folder, "--dry-run", "--json"))
    assert shown["dry_run"] is True and shown["written"] == []
    assert (folder / "streams.csv").read_text(encoding="utf-8") == before
    ids = {row["id"] for row in shown["estimates"]}
    assert "est_b1_industrial_wastewater_supply" in ids

    invoke("estimate", folder)
    park = load_park(folder)
    assert set(park.streams.index[estimated_streams(park)]) == ids
    assert park.streams.at["grain", "provenance"] == "measured"
    assert park.streams.at["grain", "quantity"] == 1500

    # the brewery turns out twice as large: the rerun replaces its estimates
    sites = (folder / "sites.csv").read_text(encoding="utf-8").replace("100000,hl", "200000,hl")
    (folder / "sites.csv").write_text(sites, encoding="utf-8")
    invoke("estimate", folder)
    park = load_park(folder)
    assert park.streams.at["est_b1_industrial_wastewater_supply", "quantity"] == pytest.approx(
        54_000
    )
    assert len(park.streams) == len(ids) + 1
    assert park.streams.at["grain", "quantity"] == 1500  # measured: never touched


def test_cli_exports_estimates_to_csv(tmp_path: Path) -> None:
    folder = harbour(tmp_path)
    out = tmp_path / "estimates.csv"
    invoke("estimate", folder, "--dry-run", "--csv", out)
    table = pd.read_csv(out)
    assert "est_t1_electricity_demand" in set(table["id"])
    assert not estimated_streams(load_park(folder)).any()


def test_rerun_keeps_an_estimate_an_exchange_names(tmp_path: Path) -> None:
    folder = harbour(tmp_path)
    invoke("estimate", folder)
    streams = pd.read_csv(folder / "streams.csv", dtype=str)
    row = {"id": "yeast_in", "site": "d1", "direction": "demand", "resource": "brewers_yeast"}
    row |= {"quantity": "100", "unit": "t/yr", "provenance": "reported"}
    pd.concat([streams, pd.DataFrame([row])]).to_csv(folder / "streams.csv", index=False)
    (folder / "exchanges.csv").write_text(
        EMPTY_EXCHANGES + "x1,est_b1_brewers_yeast_supply,yeast_in,100,t/yr,truck,idea\n",
        encoding="utf-8",
    )
    load_park(folder)
    # the brewery's size is taken away: its estimates go, but the one the exchange names
    sites = (folder / "sites.csv").read_text(encoding="utf-8").replace("100000,hl", ",")
    (folder / "sites.csv").write_text(sites, encoding="utf-8")
    refilled = fill_estimates(load_park(folder))
    at_brewery = refilled.streams.index[refilled.streams["site"] == "b1"]
    assert set(at_brewery) == {"grain", "est_b1_brewers_yeast_supply"}
    assert "yeast_in" in refilled.streams.index


def test_share_of_a_figure_resting_on_estimates(tmp_path: Path) -> None:
    folder = harbour(tmp_path)
    invoke("estimate", folder)
    park = load_park(folder)
    # two exchanges of 30 and 10 (EUR, t...): the first uses an estimated supply -> 30/40
    amounts = pd.Series([30.0, -10.0])
    supply = pd.Series(["est_b1_brewers_yeast_supply", "grain"])
    demand = pd.Series(["somewhere", "else"])
    assert estimated_share(amounts, supply, demand, park) == pytest.approx(0.75)
    assert estimated_share(pd.Series([0.0]), supply[:1], demand[:1], park) == 0.0


def test_migration_0008_upgrades_a_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'parks.sqlite'}"
    migrate(url, "0007")
    engine = open_database(url)
    columns = {c["name"] for c in inspect(engine).get_columns("streams")}
    assert "provenance" not in columns
    engine.dispose()
    migrate(url)
    engine = open_database(url)
    inspector = inspect(engine)
    assert {"provenance", "quantity_low", "quantity_high"} <= {
        c["name"] for c in inspector.get_columns("streams")
    }
    assert {"nace", "employees", "production", "production_unit", "floor_area_m2"} <= {
        c["name"] for c in inspector.get_columns("sites")
    }
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata()) == []
    # a park with estimates is stored and read back whole
    folder = harbour(tmp_path)
    invoke("estimate", folder)
    park = load_park(folder)
    stored = load_stored_park(engine, save_park(engine, park, "test"))
    assert stored.streams["provenance"].to_dict() == park.streams["provenance"].to_dict()
    assert stored.sites["production"].dropna().to_dict() == {"b1": 100_000}
    engine.dispose()


def test_sources_file_is_plain_yaml() -> None:
    text = (files("symbionet") / "data" / "sector_coefficients_sources.yaml").read_text("utf-8")
    assert set(yaml.safe_load(text)) == {"references"}


def _with_feed_exchanges(tmp_path: Path) -> Path:
    """The harbour park estimated, with the dairy taking 1,000 t of the measured spent
    grain and 200 t of the estimated yeast, both operating."""
    folder = harbour(tmp_path)
    invoke("estimate", folder)
    streams = pd.read_csv(folder / "streams.csv", dtype=str)
    rows = [
        {"id": "grain_in", "site": "d1", "direction": "demand", "resource": "spent_grain"},
        {"id": "yeast_in", "site": "d1", "direction": "demand", "resource": "brewers_yeast"},
    ]
    rows = [row | {"quantity": "5000", "unit": "t/yr", "provenance": "reported"} for row in rows]
    pd.concat([streams, pd.DataFrame(rows)]).to_csv(folder / "streams.csv", index=False)
    (folder / "exchanges.csv").write_text(
        EMPTY_EXCHANGES
        + "g1,grain,grain_in,1000,t/yr,truck,operating\n"
        + "y1,est_b1_brewers_yeast_supply,yeast_in,200,t/yr,truck,operating\n",
        encoding="utf-8",
    )
    return folder


def test_impact_says_how_much_rests_on_estimates(tmp_path: Path) -> None:
    from symbionet.assessment.accounting import impact

    result = impact(load_park(_with_feed_exchanges(tmp_path)))
    assert result.exchanges["estimated"].to_dict() == {"g1": "", "y1": "supply"}
    # by hand: 200 t of the 1,000 + 200 t exchanged rest on the estimated yeast
    assert result.exchanges["materials_exchanged_t"].to_dict() == {"g1": 1000, "y1": 200}
    assert result.estimated_share["materials_exchanged_t"] == pytest.approx(200 / 1200)
    assert result.to_dict()["estimated_share"]["materials_exchanged_t"] == pytest.approx(1 / 6)


def test_discovery_marks_candidates_on_estimated_streams(tmp_path: Path) -> None:
    from symbionet.discovery.engine import discover

    table = discover(load_park(_with_feed_exchanges(tmp_path))).candidates
    pairs = dict(
        zip(zip(table["supply"], table["demand"], strict=True), table["estimated"], strict=True)
    )
    assert pairs[("est_b1_brewers_yeast_supply", "yeast_in")] == "supply"
    assert pairs[("grain", "grain_in")] == ""


def test_design_says_how_much_of_the_flow_rests_on_estimates(tmp_path: Path) -> None:
    from symbionet.optimisation.solve import design

    park = load_park(_with_feed_exchanges(tmp_path))
    built = pd.DataFrame(
        {
            "kind": ["exchange", "exchange", "candidate", "technology:boiler", "candidate"],
            "from": ["grain", "est_b1_brewers_yeast_supply", "grain", "x", "grain"],
            "to": ["grain_in", "yeast_in", "yeast_in", "y", "grain_in"],
            "resource": ["spent_grain", "brewers_yeast", "spent_grain", "spent_grain", "whey"],
            "annual": [1000.0, 200.0, 800.0, 5000.0, 99.0],
            "built": [True, True, True, True, False],
        }
    )
    # by hand: of the 2,000 t on built arcs, 200 t leave the estimated yeast; the
    # technology and the arc not built do not count
    from symbionet.register.estimates import estimated_flow_shares

    assert estimated_flow_shares(park, built) == {"t": pytest.approx(0.1)}
    result = design(park)
    shares = result.to_dict()["estimated_share"]
    assert set(shares) <= {"t", "m3", "MWh", "Nm3"}
    assert all(0 <= share <= 1 for share in shares.values())


def test_cli_takes_coefficients_of_ones_own(tmp_path: Path) -> None:
    folder = harbour(tmp_path)
    own = tmp_path / "own.csv"
    TWO_PER_EMPLOYEE.assign(source="our own survey, 2024").to_csv(own, index=False)
    shown = json.loads(invoke("estimate", folder, "--coefficients", own, "--json"))
    whey = next(row for row in shown["estimates"] if row["id"] == "est_d1_whey_supply")
    assert (whey["quantity"], whey["quantity_low"], whey["quantity_high"]) == (200, 100, 400)
    assert whey["reference"].endswith("source: our own survey, 2024")
    assert load_park(folder).streams.at["est_d1_whey_supply", "quantity"] == 200

    TWO_PER_EMPLOYEE.assign(source="", high=[1.0, 40.0, 200.0]).to_csv(own, index=False)
    result = runner.invoke(app, ["estimate", str(folder), "--coefficients", str(own)])
    assert isinstance(result.exception, SymbionetError)
    messages = {(p.row, p.column, p.message) for p in result.exception.problems}
    assert (2, "high", "needs typical <= high") in messages
    assert (3, "source", "needs a source") in messages
