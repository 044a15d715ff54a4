"""A seeded national park for design: parks of sites around port towns, candidate exchanges
within each park, and material links between parks by ship between ports or by truck."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

import symbionet
from symbionet.discovery.candidates import haversine_km
from symbionet.discovery.transport import load_defaults, value
from symbionet.optimisation import solve as solve_module
from symbionet.optimisation.model import build_model
from symbionet.optimisation.network import build_network
from symbionet.optimisation.solve import design
from symbionet.optimisation.synthetic import write_national_park, write_synthetic_park
from symbionet.solver import solve

# the files of write_synthetic_park(folder, 4, seed=3, candidates=5), as benchmarks and
# tests have used them
SINGLE_PARK_SHA256 = "fbbf8db8565d7475c000eb0c62f78787a7e779fb3352f01bfe8015c33641bb6e"


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> symbionet.Park:
    folder = tmp_path_factory.mktemp("national") / "park"
    written = write_national_park(folder, parks=3, sites=8, candidates=12, links=40, seed=2)
    return symbionet.load_park(written)


def _ends(park: symbionet.Park, links: object) -> tuple:
    streams, sites = park.streams, park.sites
    supply = sites.loc[streams.loc[links["supply"], "site"]]  # type: ignore[index]
    demand = sites.loc[streams.loc[links["demand"], "site"]]  # type: ignore[index]
    km = haversine_km(
        supply["lat"].to_numpy(),
        supply["lon"].to_numpy(),
        demand["lat"].to_numpy(),
        demand["lon"].to_numpy(),
    )
    return supply, demand, km


def test_sites_say_their_park_and_links_join_different_parks(national: symbionet.Park) -> None:
    sites = national.sites
    assert len(sites) == 24
    parks = sites.index.str.split("_").str[0]
    assert sorted(set(parks)) == ["aarhus", "kobenhavn", "odense"]
    assert sites.loc["kobenhavn_s00", "name"] == "København 00"
    assert sites.loc["odense_s07", "name"] == "Odense 07"
    exchanges = national.exchanges
    links = exchanges[exchanges.index.str.startswith("link")]
    inner = exchanges[~exchanges.index.str.startswith("link")]
    assert len(links) == 40 and len(inner) == 3 * 12
    supply, demand, km = _ends(national, links)
    assert (supply.index.str.split("_").str[0] != demand.index.str.split("_").str[0]).all()
    inner_supply, inner_demand, _ = _ends(national, inner)
    assert (
        inner_supply.index.str.split("_").str[0] == inner_demand.index.str.split("_").str[0]
    ).all()
    ship = (links["mode"] == "ship").to_numpy()
    assert ship.any() and (~ship).any()
    # a ship sails between two quays at least 50 km apart; a truck drives at most 300 km
    assert supply["port"].to_numpy()[ship].all() and demand["port"].to_numpy()[ship].all()
    assert (km[ship] >= 50).all() and (km[~ship] <= 300).all()


def test_every_candidate_is_a_binary_and_a_truck_link_costs_its_freight(
    national: symbionet.Park,
) -> None:
    net = build_network(national, "annual", candidates=False)
    assert net.decisions() == len(national.exchanges) == 76
    exchanges = national.exchanges
    links = exchanges[(exchanges["mode"] == "truck") & exchanges["supply"].str.startswith("gypsum")]
    assert len(links)
    _, _, km = _ends(national, links)
    # gypsum by truck (no treatment before use): handling + freight per t.km over the road, the
    # straight line times the mode's circuity
    truck = load_defaults(national.catalogue).modes["truck"]
    per_km = value(truck.cost_per_tkm, "EUR/t/km") * value(truck.circuity, "1", 1.0)
    expected = value(truck.handling_per_t, "EUR/t") + per_km * km
    assert np.allclose(net.arcs.loc[links.index, "unit_cost"], expected, rtol=1e-9)


def test_a_national_design_is_proven_within_its_gap(national: symbionet.Park) -> None:
    result = design(national, candidates=False, prices=False, mip_gap=0.01)
    assert result.ok
    assert result.bound <= result.objective
    assert result.objective - result.bound <= 0.01 * abs(result.objective) + 1e-6
    links = national.exchanges.index[national.exchanges.index.str.startswith("link")]
    assert result.built.loc[links, "built"].any()
    assert result.objective < result.baseline["cost_eur"]


def test_the_single_park_generator_writes_what_it_wrote_before(tmp_path: Path) -> None:
    folder = write_synthetic_park(tmp_path / "p", 4, seed=3, candidates=5)
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    assert digest.hexdigest() == SINGLE_PARK_SHA256


def test_an_lp_over_many_periods_solved_apart_by_interior_point_is_one_models_optimum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    park = symbionet.load_park(write_synthetic_park(tmp_path / "p", 8, seed=4, candidates=30))
    net = build_network(park, "typical-days:3", candidates=False)
    whole = build_model(net, linear=True)
    assert solve(whole.model).ok
    expected = whole.value("cost")
    # every time-varying part on its own, each by the interior point method
    monkeypatch.setattr(solve_module, "INTERIOR_PERIODS", 0)
    monkeypatch.setattr(solve_module, "BINARIES_TOGETHER", 0)
    result = design(park, time="typical-days:3", linear=True, candidates=False)
    assert result.ok and len(solve_module._groups(net, {}, integer=False)) > 2
    assert result.objective == pytest.approx(expected, rel=1e-6)
    assert result.prices["value_eur"].notna().all()
