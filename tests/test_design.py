"""The design optimiser on small parks whose optimum is computed by hand, and on Kalundborg."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import symbionet
from symbionet.discovery.engine import discover
from symbionet.errors import SymbionetError
from symbionet.optimisation.solve import baseline_cost, design
from symbionet.optimisation.synthetic import write_synthetic_park
from symbionet.optimisation.tradeoff import pareto
from symbionet.present.cli import app
from tests.conftest import EXAMPLES, write_park

REL = 1e-6

PARK = "name: Design test\ncurrency: EUR\ndiscount_rate: 0\n"
ACTORS = "id,name\na,Alpha\nb,Beta\n"
SITES = "id,actor,lat,lon\nsa,a,55.66,11.08\nsb,b,55.67,11.09\n"
NO_EXCHANGES = "id,supply,demand,quantity,unit\n"


def park_of(tmp_path: Path, streams: str, **files: str) -> symbionet.Park:
    """A two-actor park with the given streams (and other files), loaded."""
    contents = {
        "park.yaml": PARK,
        "actors.csv": ACTORS,
        "sites.csv": SITES,
        "streams.csv": streams,
        "exchanges.csv": NO_EXCHANGES,
        **{name.replace("_csv", ".csv"): text for name, text in files.items()},
    }
    return symbionet.load_park(write_park(tmp_path / "park", contents))


HEAT = (
    "id,site,direction,resource,quantity,unit,price\n"
    "waste_heat,sa,supply,district_heat,1000,MWh/yr,1\n"
    "town_heat,sb,demand,district_heat,1000,MWh/yr,64\n"
)


@pytest.mark.parametrize(
    ("capex", "expected", "built"), [(1e6, 50_000.0, True), (2e6, 65_000.0, False)]
)
def test_pipe_is_built_only_when_its_savings_exceed_its_annualised_capex(
    tmp_path: Path, capex: float, expected: float, built: bool
) -> None:
    # without the pipe: 1000 MWh cooled at 1 EUR + 1000 MWh bought at 64 EUR = 65,000 EUR;
    # with it: capex / 20 years at a 0 % discount rate (the default lifetime)
    exchanges = f"{NO_EXCHANGES}pipe,waste_heat,town_heat,1000,MWh/yr\n"
    exchanges = exchanges.replace("unit\n", "unit,mode,capex\n").replace(
        "MWh/yr\n", f"MWh/yr,onsite,{capex}\n"
    )
    park = park_of(tmp_path, HEAT, exchanges_csv=exchanges)
    result = design(park, candidates=False)
    assert result.ok
    assert result.objective == pytest.approx(expected, rel=REL)
    assert bool(result.built.loc["pipe", "built"]) is built
    assert result.baseline["cost_eur"] == pytest.approx(65_000.0, rel=REL)
    assert baseline_cost(park) == pytest.approx(65_000.0, rel=REL)


def test_heat_pump_replaces_the_boiler_when_it_pays(tmp_path: Path) -> None:
    # 1000 MWh of heat: 64 EUR/MWh from the boiler, or 150 / 4 = 37.5 EUR/MWh from a heat
    # pump on grid electricity plus its capex of 100,000 EUR over 10 years
    streams = "id,site,direction,resource,quantity,unit,price\nheat,sa,demand,district_heat,1000,MWh/yr,64\n"
    technologies = (
        "id,site,kind,input,output,efficiency,capacity,capacity_unit,status,capex,lifetime\n"
        "hp,sa,heat_pump,electricity,district_heat,4,1,MW,candidate,100000,10\n"
    )
    result = design(park_of(tmp_path, streams, technologies_csv=technologies))
    assert result.objective == pytest.approx(10_000 + 1000 / 4 * 150, rel=REL)
    assert result.built.loc["hp", "built"]
    assert result.prices.loc["heat", "value_eur"] == pytest.approx(150 / 4, rel=REL)
    dear = technologies.replace("100000,10", "300000,10")
    result = design(park_of(tmp_path / "dear", streams, technologies_csv=dear))
    assert result.objective == pytest.approx(64_000, rel=REL)
    assert not result.built.loc["hp", "built"]


def test_plants_with_two_outputs_and_two_inputs(tmp_path: Path) -> None:
    # a CHP burns gas bought at 61 EUR/MWh into 0.4 MWh of power (else 150 EUR) and 0.5 MWh
    # of heat (else 64 EUR): 1000 MWh of gas meet both demands exactly
    streams = (
        "id,site,direction,resource,quantity,unit,price\n"
        "power,sa,demand,electricity,400,MWh/yr,150\n"
        "heat,sa,demand,district_heat,500,MWh/yr,64\n"
    )
    chp = (
        "id,site,kind,input,output,efficiency,output2,efficiency2,capacity,capacity_unit,status\n"
        "chp,sa,chp,natural_gas,electricity,0.4,district_heat,0.5,10,MW,existing\n"
    )
    result = design(park_of(tmp_path / "chp", streams, technologies_csv=chp), prices=False)
    assert result.objective == pytest.approx(1000 * 61, rel=REL)
    # a heat pump takes 2.3 MWh of low-temperature heat per MWh of power (150 EUR) and
    # gives 3.3 MWh of heat; with only 1150 MWh of low-temperature heat on offer it runs on
    # 500 MWh of power, and the gas boiler (64 EUR/MWh) makes the other 1650 MWh
    streams = (
        "id,site,direction,resource,quantity,unit,price\n"
        "warm,sa,supply,low_temp_heat,1150,MWh/yr,1\n"
        "heat,sa,demand,district_heat,3300,MWh/yr,64\n"
    )
    pump = (
        "id,site,kind,input,output,efficiency,input2,ratio2,capacity,capacity_unit,status\n"
        "hp,sa,heat_pump,electricity,district_heat,3.3,low_temp_heat,2.3,10,MW,existing\n"
    )
    result = design(park_of(tmp_path / "hp", streams, technologies_csv=pump), prices=False)
    assert result.objective == pytest.approx(500 * 150 + 1650 * 64, rel=REL)
    assert result.balance.loc[("sa", "low_temp_heat"), "disposed"] == pytest.approx(0, abs=1e-6)


WATER = (
    "id,site,direction,resource,quantity,unit,price,ppm_cod\n"
    "rinse,sa,supply,process_water,1000,m3/yr,4,100\n"
    "wash,sb,demand,process_water,1000,m3/yr,3,50\n"
)


def test_water_cascade_respects_the_contaminant_limit(tmp_path: Path) -> None:
    # rinse water at 100 ppm may make up at most half of a wash fed at 50 ppm at most:
    # 500 m3 reused; 500 m3 disposed (4 EUR) and 500 m3 of fresh water bought (3 EUR)
    exchanges = f"{NO_EXCHANGES.strip()},mode\nreuse,rinse,wash,1000,m3/yr,onsite\n"
    result = design(park_of(tmp_path, WATER, exchanges_csv=exchanges))
    assert result.objective == pytest.approx(500 * 4 + 500 * 3, rel=REL)
    assert result.annual["reuse"] == pytest.approx(500, rel=REL)
    assert result.kpis["freshwater_m3"] == pytest.approx(500, rel=REL)
    # one more m3 of wash water takes half a m3 more rinse water (saving its 4 EUR disposal)
    # and half a m3 of fresh water (3 EUR): the dual of the wash balance is -0.5 EUR/m3
    assert result.prices.loc["wash", "value_eur"] == pytest.approx(0.5 * 3 - 0.5 * 4, rel=REL)


def test_a_supply_above_the_limit_is_blended_with_fresh_water(tmp_path: Path) -> None:
    # no declared exchange; rinse water at 150 ppm, a wash that takes at most 100 ppm, fresh
    # water taken as clean (0 ppm); both sites at one spot, so the pipe costs nothing. At
    # most x m3 of rinse water: 150 x <= 100 * 1000, x = 666.67 m3 (2/3 of the wash); the
    # other 333.33 m3 of rinse water are disposed of (4 EUR) and 333.33 m3 of fresh water
    # bought (3 EUR): 333.33 * 7 = 2,333.33 EUR, against 1000 * (4 + 3) = 7,000 EUR
    streams = WATER.replace("m3/yr,4,100", "m3/yr,4,150").replace("m3/yr,3,50", "m3/yr,3,100")
    sites = "id,actor,lat,lon\nsa,a,55.66,11.08\nsb,b,55.66,11.08\n"
    park = park_of(tmp_path, streams, sites_csv=sites)
    reused = 100 * 1000 / 150
    result = design(park)
    assert result.ok
    assert result.objective == pytest.approx((1000 - reused) * (4 + 3), rel=REL)
    assert result.annual["rinse>wash"] == pytest.approx(reused, rel=REL)
    assert result.baseline["cost_eur"] == pytest.approx(7000, rel=REL)
    # discovery for design keeps the candidate and says how much of the wash it can be
    blends = discover(park, blend=True).candidates
    assert list(blends["quantity"]) == pytest.approx([reused], rel=REL)
    assert list(blends["conditions"]) == [
        "blend: at most 66.7 % of the demand, the rest clean water"
    ]
    assert discover(park).candidates.empty


def test_a_supply_above_the_limit_is_blended_with_a_cleaner_one(tmp_path: Path) -> None:
    # as above, and 400 m3 of cooling blowdown at 50 ppm (disposal 4 EUR) also on offer:
    # all of it goes to the wash, and its spare 50 ppm take more rinse water. With x m3 of
    # rinse water and 600 - x of fresh water: 150 x + 50 * 400 <= 100 * 1000, x = 533.33;
    # 466.67 m3 of rinse water disposed (4 EUR), 66.67 m3 of fresh water (3 EUR)
    streams = WATER.replace("m3/yr,4,100", "m3/yr,4,150").replace("m3/yr,3,50", "m3/yr,3,100")
    streams += "blowdown,sa,supply,process_water,400,m3/yr,4,50\n"
    sites = "id,actor,lat,lon\nsa,a,55.66,11.08\nsb,b,55.66,11.08\n"
    result = design(park_of(tmp_path, streams, sites_csv=sites))
    rinse = (100 * 1000 - 50 * 400) / 150
    assert result.objective == pytest.approx((1000 - rinse) * 4 + (600 - rinse) * 3, rel=REL)
    assert result.annual["rinse>wash"] == pytest.approx(rinse, rel=REL)
    assert result.annual["blowdown>wash"] == pytest.approx(400, rel=REL)


@pytest.mark.slow
def test_storage_shifts_a_summer_surplus_to_winter(tmp_path: Path) -> None:
    # 1000 MWh of summer heat, 1000 MWh of winter demand at 50 EUR/MWh; a store that keeps
    # 90 % of what it takes costs 10,000 EUR a year: 900 MWh shifted, 100 MWh bought
    streams = (
        "id,site,direction,resource,quantity,unit,price,profile\n"
        "surplus,sa,supply,district_heat,1000,MWh/yr,0,summer\n"
        "heating,sa,demand,district_heat,1000,MWh/yr,50,winter\n"
    )
    months = "\n".join(f"{m},{int(m in (6, 7, 8))},{int(m in (1, 2, 12))}" for m in range(1, 13))
    technologies = (
        "id,site,kind,input,output,efficiency,capacity,capacity_unit,status,capex,lifetime\n"
        "store,sa,storage,district_heat,district_heat,0.9,2000,MWh,candidate,10000,1\n"
    )
    park = park_of(
        tmp_path,
        streams,
        technologies_csv=technologies,
        profiles_csv=f"period,summer,winter\n{months}\n",
    )
    result = design(park, time="monthly")
    assert result.objective == pytest.approx(10_000 + 100 * 50, rel=REL)
    assert result.built.loc["store", "built"]
    # operated in two runs of six months, the store cannot see December from June: it starts
    # empty in January, and fills in July and August for December only
    rolling = design(park, time="monthly", fix={"store": 1}, horizon=6)
    assert rolling.objective == pytest.approx(10_000 + 2 / 3 * 1000 * 50, rel=REL)
    # a single yearly period hides the timing: the surplus seems to meet the demand directly
    annual = design(park, time="annual")
    assert annual.objective == pytest.approx(0, abs=1e-6)
    assert not annual.built.loc["store", "built"]


def test_a_demand_nothing_can_meet_is_reported_by_name_and_amount(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit\n"
        "feed,sb,demand,yeast_slurry,120,t/yr\n"
        "heat,sa,demand,district_heat,10,MWh/yr\n"
    )
    result = design(park_of(tmp_path, streams))
    assert result.ok
    assert list(result.unmet.index) == ["feed"]
    assert result.unmet.loc["feed", "unmet"] == pytest.approx(120, rel=REL)
    assert result.kpis["unmet"] == pytest.approx(120, rel=REL)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"objective": "profit"}, "objective: must be cost, co2, freshwater"),
        ({"time": "weekly"}, "time: must be annual, monthly, hourly or typical-days:N"),
        ({"time": "typical-days:0"}, "time: must be"),
        ({"actors": ["nobody"]}, "actors: unknown actor 'nobody'"),
        ({"exclude_exchanges": ["nothing"]}, "exclude_exchanges: unknown exchange 'nothing'"),
        ({"mode": "dream"}, "mode: must be invest or operate"),
        ({"caps": {"noise": 1.0}}, "caps: cannot bound 'noise'"),
        ({"horizon": 0}, "horizon: must be 1 or more"),
    ],
)
def test_bad_options_give_clear_errors(options: dict, message: str) -> None:
    park = symbionet.load_park(EXAMPLES / "kalundborg")
    with pytest.raises(SymbionetError, match=message):
        design(park, **options)


@pytest.mark.parametrize(
    ("technology", "message"),
    [
        ("hp,sa,heat_pump,electricity,district_heat,4,,,candidate,100000", "hp: a candidate needs"),
        ("st,sa,storage,district_heat,steam_mp,1,10,MWh,candidate,100", "st: a store keeps one"),
    ],
)
def test_bad_technologies_are_named(tmp_path: Path, technology: str, message: str) -> None:
    header = "id,site,kind,input,output,efficiency,capacity,capacity_unit,status,capex\n"
    park = park_of(tmp_path, HEAT, technologies_csv=header + technology + "\n")
    with pytest.raises(SymbionetError, match=f"technologies.csv:.*{message}"):
        design(park)


@pytest.fixture(scope="module")
def kalundborg() -> symbionet.Park:
    return symbionet.load_park(EXAMPLES / "kalundborg")


# Operating exchanges that pay for themselves at the documented transport prices, and
# those that do not (see docs/design.md for the reasons).
PAYING = {
    "wastewater_novo",
    "wastewater_novonesis",
    "heat_pump_dh",
    "asnaes_dh",
    "steam_novo",
    "steam_novonesis",
    "condensate_refinery",
    "yeast_biogas",
    "biomass_biogas",
    "digestate_farms",
}
# the biomethane is sold to the gas grid anyway: its buyers take the gas Gyproc and the
# refinery stop buying, so the lines save nothing
NOT_PAYING = {
    "tisso_refinery",
    "tisso_asnaes",
    "tisso_novo",
    "tisso_novonesis",
    "biomethane_gyproc",
    "biomethane_refinery",
}


def test_kalundborg_builds_the_operating_exchanges_that_pay(kalundborg: symbionet.Park) -> None:
    result = design(kalundborg, greenfield=True)
    assert result.ok
    built = set(result.built.index[result.built["built"]])
    assert built >= PAYING
    assert not built & NOT_PAYING
    assert result.kpis["cost_eur"] < result.baseline["cost_eur"]
    assert result.unmet.empty


def test_kalundborg_operation_matches_the_design_with_the_network_in_place(
    kalundborg: symbionet.Park,
) -> None:
    designed = design(kalundborg)
    operated = design(kalundborg, mode="operate")
    assert operated.objective == pytest.approx(designed.objective, rel=REL)
    assert design(kalundborg, fix=designed).objective == pytest.approx(designed.objective, rel=REL)


def test_a_coalition_is_worth_its_baseline_less_its_optimum(kalundborg: symbionet.Park) -> None:
    coalition = ["orsted", "novo_nordisk", "novonesis"]
    result = design(kalundborg, actors=coalition)
    assert result.baseline["cost_eur"] == pytest.approx(baseline_cost(kalundborg, coalition))
    value = baseline_cost(kalundborg, coalition) - result.kpis["cost_eur"]
    assert value > 0
    # steam alone: 315,000 t at 64 EUR/MWh x 0.693 MWh/t, less pipe losses
    assert set(result.built.index[result.built["built"]]) == {"steam_novo", "steam_novonesis"}
    # alone, a partner can only do what it does today; a partner with no streams has nothing
    alone = design(kalundborg, actors=["gyproc"], prices=False)
    assert alone.objective == pytest.approx(baseline_cost(kalundborg, ["gyproc"]), rel=REL)
    assert design(kalundborg, actors=["kommune"]).objective == 0
    # losing the steam to Novo Nordisk costs the coalition
    broken = design(kalundborg, actors=coalition, exclude_exchanges=["steam_novo"])
    assert broken.kpis["cost_eur"] > result.kpis["cost_eur"]


def test_pareto_cost_rises_as_co2_falls(kalundborg: symbionet.Park) -> None:
    # as if nothing were built yet: the Tissø water pipes cut a little CO2e at a cost
    curve = pareto(kalundborg, ("cost", "co2"), points=3, greenfield=True)
    table = curve.to_frame()
    assert list(table["status"]) == ["ok"] * 3
    assert table["co2e_t"].is_monotonic_decreasing
    assert table["cost_eur"].is_monotonic_increasing
    assert table["cost_eur"].iloc[-1] > table["cost_eur"].iloc[0]
    assert table["co2e_t"].iloc[-1] < table["co2e_t"].iloc[0]


def test_a_park_flat_in_time_solves_hourly_as_one_period(
    kalundborg: symbionet.Park,
) -> None:
    yearly = design(kalundborg, mode="operate")
    hourly = design(kalundborg, mode="operate", time="hourly", prices=False)
    assert hourly.flows.shape[1] == 8760
    assert hourly.objective == pytest.approx(yearly.objective, rel=1e-6)


def test_parts_solved_apart_match_the_whole_model(tmp_path: Path) -> None:
    # streams flat in time are solved over one period, the others over every month; a
    # bound on a KPI, even a loose one, keeps the whole network in one model
    park = symbionet.load_park(write_synthetic_park(tmp_path / "p", 5, seed=2, candidates=20))
    options = {"time": "monthly", "candidates": False, "linear": True}
    apart = design(park, **options)
    whole = design(park, caps={"unmet": 1e12}, **options)
    assert apart.flows.shape == whole.flows.shape == (len(whole.flows), 12)
    assert apart.objective == pytest.approx(whole.objective, rel=REL)


def test_a_design_fixed_and_run_again_costs_the_same(tmp_path: Path) -> None:
    # pipes, a heat pump and a heat store sized below their largest size keep their sizes
    park = symbionet.load_park(write_synthetic_park(tmp_path / "p", 5, seed=2, candidates=20))
    options = {"time": "typical-days:2", "candidates": False, "prices": False}
    chosen = design(park, **options)
    assert chosen.built.loc[["hp0", "store0"], "built"].all()
    again = design(park, fix=chosen, **options)
    assert again.objective == pytest.approx(chosen.objective, rel=REL)


@pytest.mark.slow
@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    supply=st.floats(100, 5000),
    demand=st.floats(100, 5000),
    price=st.floats(0, 100),
    capex=st.floats(0, 4e6),
)
def test_the_optimum_never_exceeds_the_baseline_and_a_candidate_never_raises_it(
    tmp_path_factory: pytest.TempPathFactory,
    supply: float,
    demand: float,
    price: float,
    capex: float,
) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit,price\n"
        f"waste_heat,sa,supply,district_heat,{supply},MWh/yr,1\n"
        f"town_heat,sb,demand,district_heat,{demand},MWh/yr,{price}\n"
    )
    exchanges = (
        f"{NO_EXCHANGES.strip()},mode,capex\npipe,waste_heat,town_heat,1,MWh/yr,onsite,{capex}\n"
    )
    park = park_of(tmp_path_factory.mktemp("p"), streams, exchanges_csv=exchanges)
    with_pipe = design(park, candidates=False, prices=False)
    without = design(park, candidates=False, prices=False, exclude_exchanges=["pipe"])
    assert with_pipe.objective <= with_pipe.baseline["cost_eur"] * (1 + REL) + 1e-6
    assert with_pipe.objective <= without.objective * (1 + REL) + 1e-6
    assert without.objective == pytest.approx(without.baseline["cost_eur"], rel=REL)


@pytest.mark.slow
def test_cli_design_prints_json_and_tables() -> None:
    runner = CliRunner()
    park = str(EXAMPLES / "kalundborg")
    result = runner.invoke(app, ["design", park, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "ok"
    assert {"objective", "built", "flows", "kpis"} <= set(data)
    result = runner.invoke(
        app, ["design", park, "--pareto", "cost,co2", "--points", "2", "--greenfield", "--json"]
    )
    assert result.exit_code == 0, result.output
    points = json.loads(result.stdout)["points"]
    assert len(points) == 2
    assert all({"cost_eur", "co2e_t"} <= set(p["kpis"]) for p in points)
    result = runner.invoke(app, ["design", park, "--time", "monthly"])
    assert result.exit_code == 0, result.output
    assert "Key figures" in result.output


def test_cli_design_rejects_bad_options() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["design", str(EXAMPLES / "kalundborg"), "--time", "weekly"])
    assert result.exit_code != 0
    assert isinstance(result.exception, SymbionetError)
    result = runner.invoke(
        app, ["design", str(EXAMPLES / "kalundborg"), "--pareto", "cost", "--json"]
    )
    assert isinstance(result.exception, SymbionetError)


def test_a_rejected_exchange_is_not_in_the_network(tiny: Path) -> None:
    in_place = design(symbionet.load_park(tiny))
    exchanges = tiny / "exchanges.csv"
    (exchange,) = in_place.flows.index.intersection(symbionet.load_park(tiny).exchanges.index)
    exchanges.write_text(
        exchanges.read_text(encoding="utf-8").replace("operating", "rejected"), encoding="utf-8"
    )
    rejected = design(symbionet.load_park(tiny))
    assert exchange not in rejected.flows.index
