"""National datasets: many parks, one national view, candidates between parks, the
synthetic national dataset, the command line and clear errors on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from searoute import searoute
from typer.testing import CliRunner

from symbionet import SymbionetError, load_national, load_park
from symbionet.discovery.generate import write_national
from symbionet.national import national_candidates
from symbionet.present.cli import app

runner = CliRunner()

NATIONAL = "name: Two parks\ncurrency: EUR\n"
A = {
    "park.yaml": "name: Park A\ncurrency: EUR\n",
    "actors.csv": "id,name\nmill,Mill\n",
    "sites.csv": "id,actor,lat,lon,port\nx,mill,55.680624,11.064107,true\n",
    "streams.csv": "id,site,direction,resource,quantity,unit,fate\n"
    "gyp,x,supply,fgd_gypsum,1000,t,landfill\n",
}
B = {
    "park.yaml": "name: Park B\ncurrency: DKK\n",
    "actors.csv": "id,name\nmill,Cement works\n",
    "sites.csv": "id,actor,lat,lon,port\nx,mill,57.05,9.916667,true\n",
    "streams.csv": "id,site,direction,resource,quantity,unit,source,price\n"
    "nat,x,demand,natural_gypsum,800,t,market,746.038\n",
    "plots.csv": "id,lat,lon,area_m2,price,adjacent\np1,57.0,9.9,10000,373.019,p2\n"
    "p2,57.0,9.91,5000,,p1\n",
}


def write(folder: Path, parks: dict[str, dict[str, str]], national: str | None = NATIONAL) -> Path:
    for name, files in parks.items():
        (folder / name).mkdir(parents=True)
        for file, text in files.items():
            (folder / name / file).write_text(text, encoding="utf-8")
    if national is not None:
        (folder / "national.yaml").write_text(national, encoding="utf-8")
    return folder


def test_the_national_view_holds_every_park_with_ids_prefixed_in_one_currency(
    tmp_path: Path,
) -> None:
    national = load_national(write(tmp_path, {"a": A, "b": B}))
    view = national.view
    assert list(national.parks) == ["a", "b"]
    assert list(view.actors.index) == ["a/mill", "b/mill"]
    assert list(view.sites["actor"]) == ["a/mill", "b/mill"]
    assert list(view.streams["site"]) == ["a/x", "b/x"]
    assert list(view.streams["park"]) == ["a", "b"]
    # DKK to EUR at the ERM II central rate of 7.46038 DKK per EUR
    assert view.streams.at["b/nat", "price"] == pytest.approx(746.038 / 7.46038)  # 100 EUR/t
    assert view.plots.at["b/p1", "price"] == pytest.approx(373.019 / 7.46038)  # 50 EUR/m2
    assert list(view.plots["adjacent"]) == ["b/p2", "b/p1"]
    assert view.currency == "EUR" and view.name == "Two parks"


def test_a_candidate_between_parks_is_found_once_with_its_route(tmp_path: Path) -> None:
    result = national_candidates(load_national(write(tmp_path, {"a": A, "b": B})), co2_price=0.0)
    assert len(result.candidates) == 1 and len(result.between) == 1
    row = result.between.iloc[0]
    assert (row["supplier_park"], row["receiver_park"]) == ("a", "b")
    sea = searoute([11.064107, 55.680624], [9.916667, 57.05], units="km")["properties"]["length"]
    assert row["mode"] == "ship" and row["route_km"] == pytest.approx(sea)
    assert row["transport_eur"] == pytest.approx(800 * (8 + 0.02 * sea))  # 800 t needed
    assert result.links.at["between parks", "candidates"] == 1
    assert result.links.at["within a park", "candidates"] == 0
    # the receiver pays 100 EUR/t today: 800 t, plus 800 t of landfill avoided, less transport
    landfill = 800 / 7.46038  # the catalogue's 800 DKK/t
    expected = 800 * 100 + 800 * landfill - row["transport_eur"]
    assert result.links.at["between parks", "value_eur"] == pytest.approx(expected)


def test_the_example_ships_gypsum_from_esbjerg_to_aalborg() -> None:
    result = national_candidates(load_national("examples/denmark"))
    assert list(result.parks.index) == ["kalundborg", "aalborg", "esbjerg"]
    between = result.between
    assert len(between) == 1
    row = between.iloc[0]
    assert (row["supply"], row["demand"]) == ("esbjerg/esbjerg_gypsum", "aalborg/cement_gypsum")
    sea = searoute([8.432693, 55.460026], [9.916667, 57.05], units="km")["properties"]["length"]
    assert row["route"] == f"Esbjerg port, ship {round(sea)} km, Aalborg port"
    assert row["transport_eur"] == pytest.approx(20_000 * (8 + 0.02 * sea))


def test_the_national_view_saves_as_one_park_that_validates(tmp_path: Path) -> None:
    view = load_national("examples/denmark").view
    saved = load_park(view.save(tmp_path / "denmark"))
    assert saved.warnings == [] and saved.currency == "EUR"
    assert list(saved.streams.index) == list(view.streams.index)
    assert saved.streams["price"].equals(view.streams["price"])
    assert "park" not in saved.streams  # the view's own column


def test_the_generated_national_dataset_loads_and_its_plots_are_an_estate(tmp_path: Path) -> None:
    written = write_national(tmp_path / "dk", parks=3, sites=90, seed=1, plots=4)
    national = load_national(tmp_path / "dk")
    assert list(national.parks) == list(written)
    view = national.view
    operators = view.actors["nace"] == "52.22"
    assert len(view.sites) - operators.sum() == 90  # the sites asked for, shared by the parks
    ports = view.sites.loc[operators[operators].index]
    assert ports["port"].all() and ports["rail"].all()
    plots = view.plots
    towns = sum(len(park.plots) for park in written.values()) // 4
    assert len(plots) == 4 * towns
    # an estate of 4 plots in rows of 3: the first touches the second and the fourth
    first = plots.iloc[0]
    assert first["adjacent"] == f"{first['park']}/plot0002;{first['park']}/plot0004"
    named = plots["adjacent"].str.split(";").explode()
    assert named.isin(plots.index).all()
    assert plots.loc[plots["port"], "zoning"].eq("port").all()


def test_a_national_dataset_is_written_over_only_with_force(tmp_path: Path) -> None:
    write_national(tmp_path / "dk", parks=2, sites=20)
    with pytest.raises(SymbionetError) as caught:
        write_national(tmp_path / "dk", parks=2, sites=20)
    message = "is a national dataset already: it is replaced only with force"
    assert str(caught.value) == f"{tmp_path / 'dk'}: {message}"
    assert len(write_national(tmp_path / "dk", parks=2, sites=30, force=True)) == 2
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(SymbionetError, match="not a national dataset: not overwritten"):
        write_national(tmp_path / "other", parks=2, sites=20, force=True)


def test_parks_whose_profiles_differ_in_periods_are_refused(tmp_path: Path) -> None:
    monthly = "period,flat\n" + "".join(f"{m},1\n" for m in range(1, 13))
    hourly = "period,flat\n" + "".join(f"{h},1\n" for h in range(1, 8761))
    a, b = {**A, "profiles.csv": monthly}, {**B, "profiles.csv": hourly}
    with pytest.raises(SymbionetError) as caught:
        load_national(write(tmp_path / "dk", {"a": a, "b": b}))
    assert str(caught.value) == (
        "profiles.csv: parks' profiles differ in periods (Park A: 12, Park B: 8760)"
    )


def test_the_command_line_writes_and_reads_a_national_dataset(tmp_path: Path) -> None:
    out = tmp_path / "dk"
    made = runner.invoke(app, ["generate", "--out", str(out), "--national", "3", "--sites", "60"])
    assert made.exit_code == 0, made.output
    assert (out / "national.yaml").is_file()
    shown = runner.invoke(app, ["national", str(out), "--json", "--top", "3", "--per-demand", "20"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    written = [p.name for p in out.iterdir() if p.is_dir()]
    assert sorted(row["park"] for row in data["parks"]) == sorted(written)
    assert [row["where"] for row in data["links"]] == ["within a park", "between parks"]
    assert 0 < len(data["between"]) <= 3
    assert all(row["supplier_park"] != row["receiver_park"] for row in data["between"])
    by_region = ["national", str(out), "--json", "--top", "3", "--per-demand", "20"]
    split = runner.invoke(app, [*by_region, "--regions", "5", "--workers", "1"])
    assert split.exit_code == 0, split.output
    assert json.loads(split.stdout) == data


def test_parks_in_a_database_make_a_national_dataset(tmp_path: Path) -> None:
    from symbionet.store.database import migrate, open_database
    from symbionet.store.repository import save_park

    folder = write(tmp_path / "files", {"a": A, "b": B})
    url = f"sqlite:///{tmp_path / 'parks.db'}"
    migrate(url)
    engine = open_database(url)
    for name in ("a", "b"):
        save_park(engine, load_park(folder / name), "tester")
    engine.dispose()
    national = load_national(url)
    assert list(national.parks) == ["park-a", "park-b"]
    assert list(national.view.streams.index) == ["park-a/gyp", "park-b/nat"]


SAME_NAME = {**B, "park.yaml": "name: Park A\n"}


@pytest.mark.parametrize(
    ("parks", "national", "message"),
    [
        ({"a": A}, None, "national.yaml: missing: a national dataset needs a national.yaml"),
        (
            {"a": A, "b": SAME_NAME},
            NATIONAL,
            "b/park.yaml:name: 'Park A' is also the name of {folder}/a/park.yaml",
        ),
        ({"a": A, "notes": {"a.txt": "x"}}, NATIONAL, "notes/park.yaml: required file is missing"),
        ({"a": A}, "currency: EUR\n", "national.yaml:name: required key is missing"),
        ({"a": A}, NATIONAL + "parks: [a, nowhere]\n", "nowhere: no such park folder or file"),
        ({"a": A}, NATIONAL + "parks: a\n", "national.yaml:parks: must be a list of park folders"),
    ],
)
def test_bad_national_datasets_are_clear_errors(
    tmp_path: Path, parks: dict, national: str | None, message: str
) -> None:
    folder = write(tmp_path / "dk", parks, national)
    with pytest.raises(SymbionetError) as caught:
        load_national(folder)
    assert str(caught.value).splitlines()[0] == f"{folder}/" + message.format(folder=folder)


def test_the_command_line_ends_a_bad_dataset_with_its_problem_and_no_traceback(
    tmp_path: Path,
) -> None:
    folder = write(tmp_path / "dk", {"a": A}, national=None)
    script = Path(sys.executable).with_name("symbionet")
    shown = subprocess.run([script, "national", folder], capture_output=True, text=True)
    assert shown.returncode == 1
    assert shown.stderr.splitlines() == [
        f"{folder / 'national.yaml'}: missing: a national dataset needs a national.yaml",
        "1 error",
    ]


def test_an_unreachable_database_is_refused_without_its_password(tmp_path: Path) -> None:
    with pytest.raises(SymbionetError) as caught:
        load_national(f"sqlite:///{tmp_path / 'none.db'}")
    assert str(caught.value) == f"sqlite:///{tmp_path / 'none.db'}: no such database file"
    with pytest.raises(SymbionetError) as caught:
        load_national("postgresql+psycopg://planner:secret@127.0.0.1:1/parks")
    shown = str(caught.value)
    assert shown.startswith("postgresql+psycopg://planner:***@127.0.0.1:1/parks: cannot read")
    assert "secret" not in shown


def test_parks_whose_catalogues_differ_are_refused_naming_park_and_resource(
    tmp_path: Path,
) -> None:
    entry = (
        "resources:\n  spent_grain:\n"
        "    {{name: Spent grain, class: material, group: {}, unit: t}}\n"
    )
    a = {**A, "catalogue.yaml": entry.format("organic residue")}
    b = {**B, "catalogue.yaml": entry.format("feed")}
    with pytest.raises(SymbionetError) as caught:
        load_national(write(tmp_path / "dk", {"a": a, "b": b}))
    assert str(caught.value) == (
        "b/catalogue.yaml:resources.spent_grain: resources entry 'spent_grain' differs from a's: "
        "give both parks the same entry, or another name"
    )


def test_parks_priced_apart_are_refused(tmp_path: Path) -> None:
    price = "prices:\n  natural_gypsum: {value: 30, unit: EUR/t, ref: quote}\n"
    priced = {**B, "park.yaml": B["park.yaml"] + price}
    with pytest.raises(SymbionetError) as caught:
        load_national(write(tmp_path / "dk", {"a": A, "b": priced}))
    assert str(caught.value) == (
        "park.yaml:prices.natural_gypsum: the parks price 'natural_gypsum' differently (a: none; "
        "b: 30 EUR/t): the national view has one catalogue, so give the price on the streams "
        "instead"
    )
