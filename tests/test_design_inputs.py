"""The design optimiser on any input: bad options refused, limits reported as such, huge
and tiny numbers refused or solved, and the park left as it was."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import symbionet
from symbionet.errors import SymbionetError
from symbionet.optimisation.network import Network, build_network
from symbionet.optimisation.solve import _merge, _solve_once, design
from symbionet.optimisation.synthetic import write_synthetic_park
from symbionet.present.cli import app
from tests.conftest import EXAMPLES, write_park

runner = CliRunner()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> symbionet.Park:
    """A park whose design has build decisions (binaries) to branch on."""
    folder = tmp_path_factory.mktemp("synthetic") / "park"
    kinds = ("heat", "water")
    return symbionet.load_park(write_synthetic_park(folder, 10, seed=1, kinds=kinds, candidates=30))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"mip_gap": -1}, "mip_gap: must be a number 0 or more"),
        ({"mip_gap": math.nan}, "mip_gap: must be a number 0 or more"),
        ({"mip_gap": math.inf}, "mip_gap: must be a number 0 or more"),
        ({"time_limit": -5}, "time_limit: must be 0 or more seconds"),
        ({"time_limit": math.nan}, "time_limit: must be 0 or more seconds"),
        ({"caps": {"co2": math.nan}}, "caps: the bound on 'co2' must be a number"),
    ],
)
def test_gaps_limits_and_bounds_that_mean_nothing_are_refused(options: dict, message: str) -> None:
    park = symbionet.load_park(EXAMPLES / "kalundborg")
    with pytest.raises(SymbionetError, match=message):
        design(park, **options)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [("--gap", "-1", "mip_gap: must be"), ("--time-limit", "-5", "time_limit: must be")],
)
def test_the_command_refuses_them_too(option: str, value: str, message: str) -> None:
    result = runner.invoke(app, ["design", str(EXAMPLES / "kalundborg"), option, value])
    assert result.exit_code != 0
    assert isinstance(result.exception, SymbionetError)
    assert message in str(result.exception)


def test_an_infinite_time_limit_or_bound_is_no_limit(synthetic: symbionet.Park) -> None:
    free = design(synthetic, prices=False)
    unbounded = design(synthetic, time_limit=math.inf, caps={"co2": math.inf}, prices=False)
    assert free.ok and unbounded.ok
    assert unbounded.objective == pytest.approx(free.objective, rel=1e-3)


def test_a_design_stopped_before_any_solution_is_not_ok(synthetic: symbionet.Park) -> None:
    result = design(synthetic, time_limit=0)
    assert not result.ok
    assert (result.status, result.termination) == ("no solution", "time_limit")
    assert math.isnan(result.objective)
    assert all(math.isnan(v) for v in result.kpis.values())
    assert not result.built["built"].any()
    data = result.to_dict()
    assert (data["status"], data["objective"], data["flows"]) == ("no solution", None, [])
    cli = runner.invoke(
        app,
        ["design", str(synthetic.source), "--time-limit", "0", "--json"],
        catch_exceptions=False,
    )
    assert json.loads(cli.stdout)["status"] == "no solution"
    cli = runner.invoke(app, ["design", str(synthetic.source), "--time-limit", "0"])
    assert cli.stdout.startswith("no solution (time_limit), least cost: none, gap none, bound none")


@pytest.mark.parametrize("linear", [False, True])
def test_a_bound_no_design_meets_is_reported_infeasible(
    synthetic: symbionet.Park, linear: bool
) -> None:
    result = design(synthetic, caps={"co2": -1.0}, linear=linear)
    assert (result.ok, result.termination) == (False, "infeasible")
    assert math.isnan(result.objective) and not result.built["built"].any()


def test_a_design_not_proven_optimal_says_how_far_it_may_be(synthetic: symbionet.Park) -> None:
    # HiGHS stopped at its first feasible solution: the status is not ok, and the bound
    # it proved lies below the optimum, which lies below the design found
    net = build_network(synthetic, "annual")
    quiet = {"output_flag": False, "mip_rel_gap": 0.0}
    best = _solve_once(net, "cost", {}, False, None, quiet, False)
    first = _solve_once(net, "cost", {}, False, None, {**quiet, "mip_max_improving_sols": 1}, False)
    assert best.status == "ok" and best.termination == "optimal"
    assert (first.status, first.termination) == ("terminated by limit", "terminated_by_limit")
    optimum, found = best.solution.attrs["kpi_cost"], first.solution.attrs["kpi_cost"]
    assert first.bound <= optimum * (1 + 1e-6) and optimum < found
    assert first.gap == pytest.approx((found - first.bound) / found, rel=1e-6)
    assert best.bound == pytest.approx(optimum, rel=1e-6)


def test_parts_solved_apart_report_the_worst_status(synthetic: symbionet.Park) -> None:
    # one part stopped at its first feasible solution, another before any: the whole has
    # no solution, and its gap is infinite
    net = build_network(synthetic, "annual")
    heat, water = sorted((net.part(nodes) for nodes in net.components()), key=Network.decisions)[
        -2:
    ]
    quiet = {"output_flag": False}
    first = _solve_once(
        heat, "cost", {}, False, None, {**quiet, "mip_max_improving_sols": 1}, False
    )
    none = _solve_once(water, "cost", {}, False, None, {**quiet, "time_limit": 0}, False)
    assert (first.status, none.status) == ("terminated by limit", "no solution")
    for pieces in ([first, none], [none, first]):
        merged = _merge(pieces)
        assert (merged.status, merged.gap) == ("no solution", math.inf)
        assert math.isnan(merged.solution.attrs["kpi_cost"])
    proven = _solve_once(water, "cost", {}, False, None, quiet, False)
    assert _merge([proven, first]).status == "terminated by limit"


def test_a_proven_design_reports_its_bound(synthetic: symbionet.Park) -> None:
    result = design(synthetic, mip_gap=0.01, prices=False)
    assert result.ok
    assert result.bound <= result.objective
    assert (result.objective - result.bound) / result.objective <= 0.01 + 1e-9
    assert result.to_dict()["bound"] == pytest.approx(result.bound)


PARK = {
    "park.yaml": "name: Numbers\ncurrency: EUR\ndiscount_rate: 0.05\n",
    "actors.csv": "id,name\na,Alpha\nb,Beta\n",
    "sites.csv": "id,actor,lat,lon\nsa,a,55.66,11.08\nsb,b,55.67,11.09\n",
    "streams.csv": (
        "id,site,direction,resource,quantity,unit,price,ppm_cod\n"
        "waste_heat,sa,supply,district_heat,1000,MWh/yr,1,\n"
        "town_heat,sb,demand,district_heat,1000,MWh/yr,64,\n"
        "rinse,sa,supply,process_water,1000,m3/yr,4,150\n"
        "wash,sb,demand,process_water,1000,m3/yr,3,100\n"
    ),
    "exchanges.csv": (
        "id,supply,demand,quantity,unit,mode,capex,opex,lifetime\n"
        "pipe,waste_heat,town_heat,1000,MWh/yr,pipeline,100000,1000,20\n"
    ),
    "technologies.csv": (
        "id,site,kind,input,output,efficiency,capacity,capacity_unit,status,capex,opex_variable,"
        "capex_per_capacity\n"
        "hp,sb,heat_pump,electricity,district_heat,4,1,MW,candidate,100000,1,1000\n"
    ),
}


@pytest.mark.parametrize(
    ("file", "old", "new", "located"),
    [
        ("streams.csv", "heat,1000,MWh/yr,1,", "heat,1e308,MWh/yr,1,", "quantity: waste_heat"),
        ("streams.csv", "MWh/yr,64,", "MWh/yr,1e308,", "price: town_heat"),
        ("streams.csv", "m3/yr,4,150", "m3/yr,4,1e300", "ppm_cod: rinse"),
        ("exchanges.csv", ",100000,1000,20", ",1e308,1000,20", "capex: pipe"),
        ("technologies.csv", "heat,4,1,MW", "heat,4,1e308,MW", "capacity: hp"),
        (
            "technologies.csv",
            "MW,candidate,100000,1",
            "MW,candidate,100000,1e308",
            "opex_variable: hp",
        ),
    ],
)
def test_numbers_too_large_to_compute_with_are_named(
    tmp_path: Path, file: str, old: str, new: str, located: str
) -> None:
    park = symbionet.load_park(write_park(tmp_path, {**PARK, file: PARK[file].replace(old, new)}))
    for step in (design, symbionet.discover):
        with pytest.raises(SymbionetError, match=f"{file}:{located}: .* is too large to compute"):
            step(park)


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("streams.csv", "heat,1000,MWh/yr,1,", "heat,1e-308,MWh/yr,1,"),
        ("streams.csv", "m3/yr,4,150", "m3/yr,4,1e-308"),
        ("technologies.csv", "heat,4,1,MW", "heat,1e-308,1,MW"),
        ("technologies.csv", "heat,4,1,MW", "heat,4,1e-308,MW"),
        ("technologies.csv", "heat,4,1,MW", "heat,4,0,MW"),
        ("park.yaml", "discount_rate: 0.05", "discount_rate: 1e-308"),
        # a site at the equator: the heat pipe loses all it would carry on the way
        ("sites.csv", "sa,a,55.66,11.08", "sa,a,1e-308,11.08"),
    ],
)
def test_tiny_numbers_give_a_design(tmp_path: Path, file: str, old: str, new: str) -> None:
    park = symbionet.load_park(write_park(tmp_path, {**PARK, file: PARK[file].replace(old, new)}))
    result = design(park)
    assert result.ok
    assert all(math.isfinite(v) for v in result.kpis.values())


def test_design_leaves_the_park_as_it_was(tmp_path: Path) -> None:
    park = symbionet.load_park(EXAMPLES / "kalundborg")
    before = {name: frame.copy() for name, frame in park.frames.items()}
    design(park)
    for name, frame in park.frames.items():
        pd.testing.assert_frame_equal(frame, before[name])
        assert frame.index.name == before[name].index.name
    saved = symbionet.load_park(park.save(tmp_path / "saved"))
    pd.testing.assert_frame_equal(saved.streams, park.streams)
