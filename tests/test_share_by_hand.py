"""Benefit sharing and stress on small parks worked out by hand, partners saving alone
included. Every exchange is free (no distance, no opex) and every stream states its price,
so each coalition's saving is a sum of amounts times prices."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from symbionet import load_park
from symbionet.assessment import games
from symbionet.assessment.resilience import stress
from symbionet.assessment.sharing import coalition_game, coalition_value, players, share
from tests.conftest import write_park

# The power station (P) reuses 5,000 t of its own steam and sells the rest of its 30,000 t
# to a dairy (D) and a brewery (R); it sends gypsum to a board plant (B). The
# brewery (R) reuses 2,000 t of its own steam. Prices in EUR per t: steam to cooling 1,
# the power station's own boiler steam 30, the dairy's 25, the brewery's 20, gypsum to
# landfill 40, natural gypsum 15.
PARK = {
    "park.yaml": "name: Saving alone\ncurrency: EUR\n",
    "actors.csv": "id,name\npower,Power\nboard,Board\ndairy,Dairy\nbrewery,Brewery\n",
    "sites.csv": (
        "id,actor,lat,lon\np,power,55.00,11.00\nb,board,55.01,11.00\n"
        "d,dairy,55.00,11.01\nr,brewery,55.01,11.01\n"
    ),
    "streams.csv": (
        "id,site,direction,resource,quantity,unit,fate,source,price\n"
        "steam,p,supply,steam_lp,30000,t/yr,cooling,,1\n"
        "own_heat,p,demand,steam_lp,5000,t/yr,,natural_gas_boiler,30\n"
        "gyp,p,supply,fgd_gypsum,10000,t/yr,landfill,,40\n"
        "nat,b,demand,natural_gypsum,8000,t/yr,,market,15\n"
        "dairy_heat,d,demand,steam_lp,10000,t/yr,,natural_gas_boiler,25\n"
        "brew_steam,r,supply,steam_lp,2000,t/yr,cooling,,1\n"
        "brew_heat,r,demand,steam_lp,20000,t/yr,,natural_gas_boiler,20\n"
    ),
    "exchanges.csv": (
        "id,supply,demand,quantity,unit,mode,status,distance_km\n"
        "own,steam,own_heat,5000,t/yr,onsite,operating,\n"
        "gypsum,gyp,nat,8000,t/yr,truck,operating,0\n"
        "to_dairy,steam,dairy_heat,10000,t/yr,pipeline,operating,0\n"
        "to_brewery,steam,brew_heat,15000,t/yr,pipeline,operating,0\n"
        "brew_own,brew_steam,brew_heat,2000,t/yr,onsite,operating,\n"
    ),
}

# Each tonne of steam saves its cooling (1) plus what its receiver would pay: 31 at the power
# station, 26 at the dairy, 21 at the brewery; the optimiser fills the dearest first.
# Each tonne of gypsum saves 40 + 15 = 55: 8,000 t give 440,000 with P and B together.
#   v(P)    = 5,000 x 31                                        = 155,000
#   v(R)    = 2,000 x 21                                        =  42,000
#   v(PD)   = 155,000 + 10,000 x 26                             = 415,000
#   v(PR)   = 155,000 + (2,000 own + 18,000 from P) x 21        = 575,000
#   v(PDR)  = 155,000 + 260,000 + (2,000 + 15,000 left) x 21    = 772,000
#   v(S + B) = v(S) + 440,000 when P is in S; B adds nothing without P;
#   D and R are not linked: v(DR) = v(R).
V = {
    "": 0,
    "P": 155_000,
    "B": 0,
    "D": 0,
    "R": 42_000,
    "PB": 595_000,
    "PD": 415_000,
    "PR": 575_000,
    "BD": 0,
    "BR": 42_000,
    "DR": 42_000,
    "PBD": 855_000,
    "PBR": 1_015_000,
    "PDR": 772_000,
    "BDR": 42_000,
    "PBDR": 1_212_000,
}
LETTER = {"power": "P", "board": "B", "dairy": "D", "brewery": "R"}

# Shapley: gypsum alone is a two-player game, split 220,000 / 220,000 between P and B.
# Steam on P, D, R, marginal contributions (thousand EUR) in the six orders:
#   order   P    D    R
#   PDR   155  260  357
#   PRD   155  197  420
#   DPR   415    0  357
#   DRP   730    0   42
#   RPD   533  197   42
#   RDP   730    0   42
#   mean  453  109  210       (2,718 / 6, 654 / 6, 1,260 / 6; sum 772)
SHAPLEY = {"power": 673_000, "board": 220_000, "dairy": 109_000, "brewery": 210_000}

# Nucleolus: the smallest satisfactions x(S) - v(S) come in pairs S, N - S:
#   D: x_D and 1,212 - x_D - 1,015 = 197 - x_D   -> x_D = 98.5 (both 98.5): raised first;
#   R: x_R - 42 and 1,212 - x_R - 855 = 357 - x_R -> x_R = 199.5 (both 157.5);
#   B: x_B and 1,212 - x_B - 772 = 440 - x_B     -> x_B = 220 (both 220);
#   P gets the rest, 1,212 - 98.5 - 199.5 - 220 = 694; every other coalition stays above.
NUCLEOLUS = {"power": 694_000, "board": 220_000, "dairy": 98_500, "brewery": 199_500}
# Least core: the largest excess v(S) - x(S) is at best -98,500 (the dairy's pair above).
LEAST_CORE_EPSILON = -98_500


@pytest.fixture(scope="module")
def park_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_park(tmp_path_factory.mktemp("alone") / "park", PARK)


def hand_value(members: list[str]) -> float:
    return V["".join(sorted((LETTER[m] for m in members), key="PBDR".index))]


def test_every_coalition_is_worth_what_it_saves_alone(park_path: Path) -> None:
    park = load_park(park_path)
    names = players(park)
    game, _ = coalition_game(park, names)
    for mask in range(2 ** len(names)):
        members = [p for i, p in enumerate(names) if mask >> i & 1]
        assert game.values[mask] == pytest.approx(hand_value(members), abs=1e-3), members
    # a lone partner is what `design --actors ID --operate` finds
    assert coalition_value(park, ["power"]) == pytest.approx(155_000, abs=1e-3)


def test_shapley_credits_what_a_partner_saves_alone(park_path: Path) -> None:
    result = share(load_park(park_path))
    assert result.grand_value == pytest.approx(1_212_000, abs=1e-3)
    assert result.table["share_eur"].to_dict() == pytest.approx(SHAPLEY, abs=1e-3)
    standalone = result.table["standalone_eur"].to_dict()
    assert standalone == pytest.approx(
        {"power": 155_000, "board": 0, "dairy": 0, "brewery": 42_000}, abs=1e-3
    )
    assert result.in_core is True


def test_nucleolus_and_least_core_with_partners_saving_alone(park_path: Path) -> None:
    park = load_park(park_path)
    nucleolus = share(park, method="nucleolus")
    assert nucleolus.table["share_eur"].to_dict() == pytest.approx(NUCLEOLUS, abs=1e-3)
    least = share(park, method="least-core")
    assert least.table["share_eur"].sum() == pytest.approx(1_212_000, abs=1e-3)
    assert least.worst_shortfall == pytest.approx(LEAST_CORE_EPSILON, abs=1e-3)
    for result in (nucleolus, least):
        shares = result.table["share_eur"]
        assert all(shares[p] >= hand_value([p]) - 1e-3 for p in shares.index)
        assert result.in_core is True


def test_proportional_core_check_counts_lone_partners(park_path: Path) -> None:
    result = share(load_park(park_path), method="proportional")
    shares = result.table["share_eur"]
    assert shares.sum() == pytest.approx(1_212_000, abs=1e-3)
    names = list(shares.index)
    shortfalls = {
        group: hand_value(list(group)) - shares[list(group)].sum()
        for size in range(1, len(names))
        for group in combinations(names, size)
    }
    worst = max(shortfalls, key=shortfalls.__getitem__)
    assert result.worst_shortfall == pytest.approx(shortfalls[worst], abs=1e-3)
    assert result.in_core is bool(shortfalls[worst] <= 1e-3)


def test_sampled_shapley_reports_what_each_partner_saves_alone(
    park_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(games, "EXACT_LIMIT", 3)  # four partners: sampled
    result = share(load_park(park_path), samples=400)
    assert result.table["standalone_eur"].to_dict() == pytest.approx(
        {"power": 155_000, "board": 0, "dairy": 0, "brewery": 42_000}, abs=1e-3
    )
    exact = np.array(list(SHAPLEY.values()))
    assert np.all(
        np.abs(result.table["share_eur"].to_numpy() - exact)
        <= result.table["ci95_eur"].to_numpy() + 1e-3
    )


# A steam main of 2 km losing 10 % per km (park override, straight route) delivers 80 % of
# what it carries: to give the dairy its 16,000 t the power station sends 20,000 t.
LOSSY = {
    "park.yaml": (
        "name: Lossy main\ncurrency: EUR\ntransport:\n  modes:\n    steam_pipe:\n"
        "      loss_per_km: {value: 0.1, unit: 1/km, ref: symbionet_estimates}\n"
        "      circuity: {value: 1, unit: '1', ref: symbionet_estimates}\n"
    ),
    "actors.csv": "id,name\npower,Power\ndairy,Dairy\n",
    "sites.csv": "id,actor,lat,lon\np,power,55.00,11.00\nd,dairy,55.00,11.02\n",
    "streams.csv": (
        "id,site,direction,resource,quantity,unit,fate,source,price\n"
        "steam,p,supply,steam_lp,30000,t/yr,cooling,,1\n"
        "heat,d,demand,steam_lp,16000,t/yr,,natural_gas_boiler,25\n"
    ),
    "exchanges.csv": (
        "id,supply,demand,quantity,unit,mode,status,distance_km,opex\n"
        "main,steam,heat,16000,t/yr,pipeline,operating,2,0\n"
    ),
}


@pytest.fixture(scope="module")
def lossy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_park(tmp_path_factory.mktemp("lossy") / "park", LOSSY)


def test_fallback_is_what_the_receiver_received(lossy: Path) -> None:
    park = load_park(lossy)
    # 1 t sent saves 1 of cooling and delivers 0.8 t worth 0.8 x 25 = 20: worth sending
    assert coalition_value(park, ["power", "dairy"]) == pytest.approx(
        20_000 * 1 + 16_000 * 25, abs=1e-3
    )
    hit = stress(park, remove=["power"]).partners.loc[("power", "dairy")]
    # the dairy buys back the 16,000 t it received, not the 20,000 t sent
    assert hit["fallback_demand"] == pytest.approx(16_000, abs=1e-3)
    assert hit["extra_cost_eur"] == pytest.approx(16_000 * 25, abs=1e-3)
    broken = stress(park, remove=["main"]).partners
    # the power station sends its 20,000 t back to cooling at 1 EUR/t
    assert broken.loc[("main", "power"), "stranded_supply"] == pytest.approx(20_000, abs=1e-3)
    assert broken.loc[("main", "power"), "extra_cost_eur"] == pytest.approx(20_000, abs=1e-3)
    assert broken.loc[("main", "dairy"), "fallback_demand"] == pytest.approx(16_000, abs=1e-3)
