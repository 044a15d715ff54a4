"""Benefit sharing and resilience on small parks whose answers follow by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from symbionet import load_park
from symbionet.assess.share import coalition_value, players, share
from symbionet.assess.stress import stress
from symbionet.present.cli import app
from symbionet.register.baseline import stream_baseline
from tests.conftest import write_park

# A power plant sends FGD gypsum to a board plant and steam to a dairy; board plant and
# dairy have nothing to exchange with each other.
HUB = {
    "park.yaml": "name: Hub park\ncurrency: EUR\n",
    "actors.csv": "id,name\npower,Power\nboard,Board\ndairy,Dairy\noffice,Office\n",
    "sites.csv": (
        "id,actor,lat,lon\np,power,55.000,11.000\nb,board,55.005,11.000\n"
        "d,dairy,55.000,11.005\no,office,55.01,11.01\n"
    ),
    "streams.csv": (
        "id,site,direction,resource,quantity,unit,fate,source\n"
        "gyp,p,supply,fgd_gypsum,10000,t/yr,landfill,\n"
        "steam,p,supply,steam_lp,20000,t/yr,cooling,\n"
        "nat,b,demand,natural_gypsum,10000,t/yr,,market\n"
        "heat,d,demand,steam_lp,20000,t/yr,,natural_gas_boiler\n"
    ),
    "exchanges.csv": (
        "id,supply,demand,quantity,unit,mode,status\n"
        "g,gyp,nat,10000,t/yr,truck,operating\n"
        "s,steam,heat,20000,t/yr,pipeline,operating\n"
    ),
}


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_park(tmp_path_factory.mktemp("hub") / "park", HUB)


def test_players_are_partners_with_streams(hub: Path) -> None:
    assert players(load_park(hub)) == ["power", "board", "dairy"]  # the office has no stream


def test_shapley_and_nucleolus_split_each_exchange_in_half(hub: Path) -> None:
    park = load_park(hub)
    a = coalition_value(park, ["power", "board"])
    b = coalition_value(park, ["power", "dairy"])
    assert a > 0 and b > 0
    assert coalition_value(park, ["board", "dairy"]) == pytest.approx(0, abs=1e-6)
    for method in ("shapley", "nucleolus"):
        result = share(park, method, workers=1)
        assert result.grand_value == pytest.approx(a + b, rel=1e-6)  # the exchanges are independent
        shares = result.table["share_eur"]
        assert shares["power"] == pytest.approx((a + b) / 2, rel=1e-6)
        assert shares["board"] == pytest.approx(a / 2, rel=1e-6)
        assert shares["dairy"] == pytest.approx(b / 2, rel=1e-6)
        assert result.in_core is True
    least = share(park, "least-core", workers=1)
    assert least.table["share_eur"].sum() == pytest.approx(a + b, rel=1e-6)
    assert least.in_core is True


def test_proportional_split_follows_the_booked_savings(hub: Path) -> None:
    from symbionet.assess.impact import impact

    park = load_park(hub)
    result = share(park, "proportional", workers=1)
    booked = impact(park).partners["saving_eur"]
    shares = result.table["share_eur"]
    assert shares.sum() == pytest.approx(result.grand_value, rel=1e-6)
    assert shares["board"] / shares["dairy"] == pytest.approx(
        booked["board"] / booked["dairy"], rel=1e-6
    )
    # the core only asks that neither receiver gets more than its pair earns alone
    assert result.in_core is True


def test_removing_the_hub_strands_both_receivers(hub: Path) -> None:
    park = load_park(hub)
    base = stream_baseline(park)
    result = stress(park, remove=["power"])
    hit = result.partners.loc["power"]
    assert set(hit.index) == {"board", "dairy"}
    # each receiver buys back what the exchange supplied, at its source's cost and CO2e
    assert hit.loc["board", "extra_cost_eur"] == pytest.approx(
        10_000 * base.loc["nat", "cost_eur"], rel=1e-6
    )
    assert hit.loc["dairy", "extra_cost_eur"] == pytest.approx(
        20_000 * base.loc["heat", "cost_eur"], rel=1e-6
    )
    assert hit.loc["dairy", "co2e_rebound_t"] == pytest.approx(
        20_000 * base.loc["heat", "co2e_t"], rel=1e-6
    )
    assert result.scenarios.loc["power", "partners_hit"] == 2


def test_all_single_ranks_the_hub_first(hub: Path) -> None:
    result = stress(load_park(hub), all_single=True)
    assert result.ranking.index[0] == "power"
    assert result.graph.loc["power", "receivers"] == 2
    assert result.graph.loc["board", "dependence"] == pytest.approx(1.0)


def test_losing_one_exchange_hits_only_its_partners(hub: Path) -> None:
    result = stress(load_park(hub), remove=["g"])
    assert set(result.partners.index.get_level_values("actor")) == {"power", "board"}
    stranded = result.partners.loc[("g", "power"), "stranded_supply"]
    assert stranded == pytest.approx(10_000)


def test_commands_print_json(hub: Path) -> None:
    runner = CliRunner()
    shared = runner.invoke(app, ["share", str(hub), "--json"])
    assert shared.exit_code == 0, shared.output
    assert json.loads(shared.output)["in_core"] is True
    stressed = runner.invoke(app, ["stress", str(hub), "--all-single", "--json"])
    assert stressed.exit_code == 0, stressed.output
    assert json.loads(stressed.output)["ranking"][0]["removed"] == "power"
    bad = runner.invoke(app, ["stress", str(hub), "--remove", "nobody"])
    assert bad.exit_code != 0
