"""``symbionet site`` on the command line, Kalundborg's new land, and a national dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from symbionet import load_national, load_park, site
from symbionet.errors import SymbionetError
from symbionet.present.cli import app
from tests.conftest import EXAMPLES
from tests.test_siting import ANNUITY, HAND_ENTRANTS, HAND_PLOTS, LAT, write_case

runner = CliRunner()
KALUNDBORG_ENTRANTS = EXAMPLES / "kalundborg-entrants.yaml"
DKK_PER_EUR = 7.46038  # ERM II central rate, as the library converts


def entrants_file(folder: Path) -> Path:
    path = folder / "entrants.json"
    path.write_text(json.dumps(HAND_ENTRANTS), encoding="utf-8")  # JSON is YAML
    return path


def test_json_and_workbook(tmp_path: Path) -> None:
    park = write_case(tmp_path / "park", HAND_PLOTS, 1000)
    path = entrants_file(tmp_path)
    done = runner.invoke(app, ["site", str(park), "--entrants", str(path), "--json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    placed = {row["entrant"]: row for row in data["placements"]}
    assert placed["big"]["plots"] == "P1+P2"
    assert placed["small"]["net_eur"] == pytest.approx(200 * 74.4 - 50_000 * ANNUITY, rel=1e-6)
    assert data["status"] == "ok"
    book = tmp_path / "site.xlsx"
    done = runner.invoke(app, ["site", str(park), "--entrants", str(path), "--xlsx", str(book)])
    assert done.exit_code == 0, done.output
    sheets = pd.read_excel(book, sheet_name=None)
    assert list(sheets)[:4] == ["placements", "exchanges", "alternatives", "parks"]


def test_terminal_names_plots_exchanges_and_alternatives(tmp_path: Path) -> None:
    park = write_case(tmp_path / "park", HAND_PLOTS, 1000)
    done = runner.invoke(app, ["site", str(park), "--entrants", str(entrants_file(tmp_path))])
    assert done.exit_code == 0, done.output
    assert "big (big): plots P1+P2 in Hand park, net 51,475 EUR/yr" in done.output
    assert "200 t/yr of fly_ash from Ash Co (ash) by truck" in done.output
    assert "Alternatives, each alone" in done.output


def test_park_without_plots(tmp_path: Path) -> None:
    folder = write_case(tmp_path / "park", HAND_PLOTS, 1000)
    (folder / "plots.csv").unlink()
    with pytest.raises(SymbionetError, match="the park has no plots to site on"):
        site(load_park(folder), HAND_ENTRANTS)


def test_plot_without_area_is_refused_on_the_command_line(tmp_path: Path) -> None:
    folder = write_case(tmp_path / "park", HAND_PLOTS, 1000)
    plots = folder / "plots.csv"
    plots.write_text(
        plots.read_text().replace(",10000,industry,", ",,industry,", 1), encoding="utf-8"
    )
    done = runner.invoke(app, ["site", str(folder), "--entrants", str(entrants_file(tmp_path))])
    assert done.exit_code == 1
    assert isinstance(done.exception, SymbionetError)
    assert "plots.csv:2:area_m2: value required" in str(done.exception)


def test_kalundborg_new_land() -> None:
    """docs/national.md: the biorefinery on asnaes_4 takes 30,000 t of Asnæs' free steam, the
    protein factory the 5,000 t left on asnaes_3, the data centre finds no heat buyer.

    Steam left free: 350,000 t less 215,000 + 100,000 t to Novo Nordisk and Novonesis.
    A delivered tonne replaces 0.693 MWh from a gas boiler at 71 EUR/MWh (49.203 EUR/t);
    each tonne sent costs Asnæs 0.693 MWh of heat from wood chips at 550 DKK/t, 2.6 MWh/t,
    85 %: 0.693 × 550 / 7.46038 / 2.6 / 0.85 = 23.118 EUR/t. Land of asnaes_4: 70,000 m2 ×
    180 DKK/m2 × 0.0650514 = 819,648 DKK/yr.
    """
    result = site(load_park(EXAMPLES / "kalundborg"), KALUNDBORG_ENTRANTS)
    assert result.ok
    placed, exchanges = result.placements, result.exchanges.set_index("entrant")
    assert placed.loc["biorefinery", "plots"] == "asnaes_4"
    assert placed.loc["protein", "plots"] == "asnaes_3"
    assert pd.isna(placed.loc["datacentre", "plots"])
    assert exchanges.loc["biorefinery", "quantity"] == pytest.approx(30_000)
    assert exchanges.loc["protein", "quantity"] == pytest.approx(350_000 - 315_000 - 30_000)
    steam, chips = 0.693 * 71, 0.693 * 550 / DKK_PER_EUR / 2.6 / 0.85
    delivered = exchanges.loc["biorefinery", "replaced"]
    assert 0.98 * 30_000 < delivered < 30_000  # steam losses of 2 %/km over under a km
    value = delivered * steam - 30_000 * chips
    assert placed.loc["biorefinery", "value_eur"] == pytest.approx(value, rel=1e-4)
    land = 70_000 * 180 * ANNUITY
    assert land == pytest.approx(819_648, abs=1)
    assert placed.loc["biorefinery", "land_eur"] * DKK_PER_EUR == pytest.approx(land, rel=1e-9)
    net = placed.loc["biorefinery", ["value_eur", "connection_eur", "land_eur"]] @ [1, -1, -1]
    assert placed.loc["biorefinery", "net_eur"] == pytest.approx(net, rel=1e-12)
    assert "finds a partner" in placed.loc["datacentre", "explanation"]


def test_national_dataset_names_the_park(tmp_path: Path) -> None:
    """Two parks 222 km apart, one with the hand case's plots and ash, one with the same
    plots but bottom ash: the entrants go to the first, and each entrant's parks are
    ranked (the far park's plots are worth the truck's 222 km more)."""
    write_case(tmp_path / "nation" / "north", HAND_PLOTS, 1000)
    south = write_case(tmp_path / "nation" / "south", HAND_PLOTS, 1000, origin=LAT - 2.0)
    (south / "park.yaml").write_text(
        "name: South park\ncurrency: EUR\nco2_price: 0\ndiscount_rate: 0.05\n", encoding="utf-8"
    )
    streams = south / "streams.csv"
    streams.write_text(streams.read_text().replace("fly_ash", "bottom_ash"), encoding="utf-8")
    (tmp_path / "nation" / "national.yaml").write_text(
        "name: Nation\ncurrency: EUR\nparks: [north, south]\n", encoding="utf-8"
    )
    path = entrants_file(tmp_path)
    done = runner.invoke(app, ["site", str(tmp_path / "nation"), "--entrants", str(path), "--json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    placed = {row["entrant"]: row for row in data["placements"]}
    assert placed["big"]["park"] == "north"
    assert placed["big"]["plots"] == "north/P1+north/P2"
    ranked = [(r["entrant"], r["rank"], r["park"]) for r in data["parks"]]
    assert ("small", 1, "north") in ranked
    assert ("small", 2, "south") in ranked


def test_the_danish_example_sends_the_data_centre_to_aalborg() -> None:
    """docs/national.md: in Kalundborg the data centre's heat has no buyer, in Aalborg the
    district heating buys it; one Aalborg plot is too small, so it takes both."""
    result = site(load_national(EXAMPLES / "denmark").view, KALUNDBORG_ENTRANTS)
    centre = result.placements.loc["datacentre"]
    assert (centre["park"], centre["plots"]) == ("aalborg", "aalborg/rordal_1+aalborg/rordal_2")
    land = (40_000 + 30_000) * 40 * 0.05 / (1 - 1.05**-30)  # EUR/m2, annuity at 5 % over 30 yr
    assert centre["land_eur"] == pytest.approx(land, rel=1e-9)
    net = centre["value_eur"] - centre["connection_eur"] - land
    assert centre["net_eur"] == pytest.approx(net, rel=1e-9)
    best = result.parks[result.parks["entrant"] == "datacentre"].sort_values("rank")
    assert list(best["park"]) == ["aalborg", "kalundborg"]
    assert result.placements.loc["biorefinery", "plots"] == "kalundborg/asnaes_4"
