"""Benefit sharing and resilience on small parks whose answers follow by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from symbionet import assess_park, load_park
from symbionet.assessment.resilience import stress
from symbionet.assessment.sharing import coalition_value, players, share
from symbionet.errors import SymbionetError
from symbionet.present.cli import app
from symbionet.register.baseline import stream_baseline
from tests.conftest import write_park

# A power plant sends FGD gypsum to a board plant and steam to a dairy; board plant and
# dairy have nothing to exchange with each other. The steam main is 0.5 km long and loses
# 2 % per km of route, 1.1 times the distance (transport defaults): 20,000 t sent deliver
# 20,000 x (1 - 0.02 x 1.1 x 0.5) = 19,780 t.
HUB = {
    "park.yaml": "name: Hub park\ncurrency: EUR\n",
    "actors.csv": "id,name\npower,Power\nboard,Board\ndairy,Dairy\noffice,Office\n",
    "sites.csv": (
        "id,actor,lat,lon\np,power,55.0,11.0\nb,board,55.005,11.0\n"
        "d,dairy,55.0,11.005\no,office,55.01,11.01\n"
    ),
    "streams.csv": (
        "id,site,direction,resource,quantity,unit,fate,source\n"
        "gyp,p,supply,fgd_gypsum,10000,t/yr,landfill,\n"
        "steam,p,supply,steam_lp,20000,t/yr,cooling,\n"
        "nat,b,demand,natural_gypsum,10000,t/yr,,market\n"
        "heat,d,demand,steam_lp,20000,t/yr,,natural_gas_boiler\n"
    ),
    "exchanges.csv": (
        "id,supply,demand,quantity,unit,mode,status,distance_km\n"
        "g,gyp,nat,10000,t/yr,truck,operating,\n"
        "s,steam,heat,19780,t/yr,pipeline,operating,0.5\n"
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
        result = share(park, method=method)
        assert result.grand_value == pytest.approx(a + b, rel=1e-6)  # the exchanges are independent
        shares = result.table["share_eur"]
        assert shares["power"] == pytest.approx((a + b) / 2, rel=1e-6)
        assert shares["board"] == pytest.approx(a / 2, rel=1e-6)
        assert shares["dairy"] == pytest.approx(b / 2, rel=1e-6)
        assert result.in_core is True
    least = share(park, method="least-core")
    assert least.table["share_eur"].sum() == pytest.approx(a + b, rel=1e-6)
    assert least.in_core is True


def test_proportional_split_follows_the_booked_savings(hub: Path) -> None:
    from symbionet.assessment.accounting import impact

    park = load_park(hub)
    result = share(park, method="proportional")
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
    # each receiver buys back what the exchange delivered, at its source's cost and CO2e
    assert hit.loc["board", "extra_cost_eur"] == pytest.approx(
        10_000 * base.loc["nat", "cost_eur"], rel=1e-6
    )
    assert hit.loc["dairy", "fallback_demand"] == pytest.approx(19_780, rel=1e-6)
    assert hit.loc["dairy", "extra_cost_eur"] == pytest.approx(
        19_780 * base.loc["heat", "cost_eur"], rel=1e-6
    )
    assert hit.loc["dairy", "co2e_rebound_t"] == pytest.approx(
        19_780 * base.loc["heat", "co2e_t"], rel=1e-6
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
    assert json.loads(shared.stdout)["in_core"] is True
    stressed = runner.invoke(app, ["stress", str(hub), "--all-single", "--json"])
    assert stressed.exit_code == 0, stressed.output
    assert json.loads(stressed.stdout)["ranking"][0]["removed"] == "power"
    bad = runner.invoke(app, ["stress", str(hub), "--remove", "nobody"])
    assert bad.exit_code != 0


NO_EXCHANGE = "id,supply,demand,quantity,unit,mode,status\n"
DEGENERATE = {
    "no exchange": {"exchanges.csv": NO_EXCHANGE},
    "no supply": {
        "streams.csv": (
            "id,site,direction,resource,quantity,unit,source\n"
            "nat,b1,demand,natural_gypsum,60,kt/yr,market\n"
        ),
        "exchanges.csv": NO_EXCHANGE,
    },
    "no stream": {
        "streams.csv": "id,site,direction,resource,quantity,unit\n",
        "exchanges.csv": NO_EXCHANGE,
    },
    # one partner reusing 1,000 t of its own steam: 1,000 x (1 EUR/t of cooling + 30 EUR/t
    # from its boiler) = 31,000 EUR/yr, all of it its own
    "one partner": {
        "park.yaml": "name: One partner\ncurrency: EUR\n",
        "actors.csv": "id,name\npower,Power\n",
        "sites.csv": "id,actor,lat,lon\np1,power,55.66,11.08\n",
        "streams.csv": (
            "id,site,direction,resource,quantity,unit,fate,source,price\n"
            "steam,p1,supply,steam_lp,1000,t/yr,cooling,,1\n"
            "heat,p1,demand,steam_lp,1000,t/yr,,natural_gas_boiler,30\n"
        ),
        "exchanges.csv": NO_EXCHANGE + "own,steam,heat,1000,t/yr,onsite,operating\n",
    },
}
SAVED = {"no exchange": 0.0, "no supply": 0.0, "no stream": 0.0, "one partner": 31_000.0}


@pytest.mark.parametrize("case", DEGENERATE)
def test_share_on_degenerate_parks(tmp_path: Path, case: str) -> None:
    folder = write_park(tmp_path / "park", DEGENERATE[case])
    runner = CliRunner()
    for method in ("shapley", "nucleolus", "least-core", "proportional"):
        result = runner.invoke(app, ["share", str(folder), "--method", method, "--json"])
        assert result.exit_code == 0, result.output
        shared = json.loads(result.stdout)
        assert shared["grand_value_eur"] == pytest.approx(SAVED[case], abs=1e-3)
        assert shared["in_core"] is True
        shares = {row["actor"]: row["share_eur"] for row in shared["shares"]}
        assert sum(shares.values()) == pytest.approx(SAVED[case], abs=1e-3)
        if case == "one partner":
            assert shares == pytest.approx({"power": 31_000}, abs=1e-3)


@pytest.mark.parametrize("case", DEGENERATE)
def test_stress_on_degenerate_parks(tmp_path: Path, case: str) -> None:
    folder = write_park(tmp_path / "park", DEGENERATE[case])
    runner = CliRunner()
    for options in (["--all-single"], ["--k", "2"], ["--remove", "power"]):
        result = runner.invoke(app, ["stress", str(folder), *options, "--json"])
        if case == "no stream" and "--remove" not in options:
            assert isinstance(result.exception, SymbionetError)
            assert "no partner has a stream" in str(result.exception)
            continue
        assert result.exit_code == 0, result.output
        scenarios = json.loads(result.stdout)["scenarios"]
        # nobody is left depending on an exchange, so removing partners costs nothing
        assert all(row["extra_cost_eur"] == pytest.approx(0, abs=1e-6) for row in scenarios)


def test_a_park_where_no_partner_has_a_stream_is_assessed_without_scenarios(
    tmp_path: Path,
) -> None:
    folder = write_park(tmp_path / "park", DEGENERATE["no stream"])
    assessment = assess_park(load_park(folder))
    assert assessment.resilience.scenarios.empty and assessment.most_critical is None
    assert list(assessment.resilience.graph.index) == list(load_park(folder).actors.index)
    result = CliRunner().invoke(app, ["run", str(folder), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Most critical partner" not in result.stdout


def test_with_no_exchange_no_partner_is_called_critical(tmp_path: Path) -> None:
    folder = write_park(tmp_path / "park", DEGENERATE["no exchange"])
    assessment = assess_park(load_park(folder))
    assert len(assessment.resilience.ranking) > 0  # each partner removed in turn
    assert (assessment.resilience.ranking["extra_cost_eur"] == 0).all()
    assert assessment.most_critical is None
    result = CliRunner().invoke(app, ["run", str(folder), "--out", str(tmp_path / "out")])
    assert "No partner's leaving would cost or hit the others." in result.stdout


def test_unknown_names_to_remove_are_a_clear_error(tmp_path: Path) -> None:
    folder = write_park(tmp_path / "park", DEGENERATE["no exchange"])
    with pytest.raises(SymbionetError, match="unknown partner or exchange: nobody, g9"):
        stress(load_park(folder), remove=["power", "nobody", "g9"])
    script = Path(sys.executable).with_name("symbionet")
    run = subprocess.run(
        [str(script), "stress", str(folder), "--remove", "nobody"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert "unknown partner or exchange: nobody" in run.stderr
    assert "Traceback" not in run.stderr
