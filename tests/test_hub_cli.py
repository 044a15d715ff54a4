"""``symbionet hub``: each command run through the command line, JSON read back, the park
written where a command changes it, bad input a clear error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import symbionet
from symbionet.errors import SymbionetError
from symbionet.present.cli import app
from symbionet.store import save_park
from symbionet.store.database import migrate, open_database
from tests.conftest import EXAMPLES, write_park
from tests.test_hub_byproducts import write as write_bio
from tests.test_hub_contacts import EMAIL, HUB, NAME

runner = CliRunner()
BIOTECH = EXAMPLES / "biotech-city"


def run(*args: object) -> Any:
    """The JSON a command prints; the command must succeed."""
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, (args, result.output, result.exception)
    return json.loads(result.stdout)


def fails(*args: object) -> str:
    """The error of a command that must fail with a clear message, not a traceback."""
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code != 0, (args, result.output)
    error = result.exception
    assert isinstance(error, SymbionetError | SystemExit), (args, result.output)
    return str(error) if isinstance(error, SymbionetError) else result.output


def texts(folder: Path) -> str:
    return "".join(f.read_text(encoding="utf-8") for f in sorted(folder.iterdir()))


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """A scratch copy of biotech-city beside the Kalundborg park it includes."""
    shutil.copytree(EXAMPLES / "kalundborg", tmp_path / "kalundborg")
    return Path(shutil.copytree(BIOTECH, tmp_path / "biotech-city"))


# --- by-products ---------------------------------------------------------------------------


def test_byproducts_lists_each_solution_and_supply(tmp_path: Path) -> None:
    park = write_bio(tmp_path / "bio")
    found = run("hub", "byproducts", park, "--organisation", "unibio", "--json")["byproducts"]
    rows = {r["solution"]: r for r in found}
    assert set(rows) == {"prot", "small"}
    # 5000 t/yr 10 km away, room for 8000: the whole 5000, 500 t of protein at a yield of 0.1
    assert rows["prot"]["quantity"] == pytest.approx(5000)
    assert rows["prot"]["distance_km"] == pytest.approx(10, abs=0.01)
    assert rows["prot"]["gives_quantity"] == pytest.approx(500)
    assert rows["small"]["quantity"] == pytest.approx(3000)
    assert "no organisation 'nobody'" in fails(
        "hub", "byproducts", park, "--organisation", "nobody"
    )


def test_a_proposal_is_written_into_the_park_folder(tmp_path: Path) -> None:
    park = write_bio(tmp_path / "bio")
    done = run(
        "hub", "byproducts", park, "--propose", "prot:yeast", "--date", "2026-03-01", "--json"
    )
    assert done["written"] == [str(park / "pipeline.csv"), str(park / "pipeline_log.csv")]
    project = symbionet.load_park(park).table("pipeline").loc[done["projects"][0]]
    assert project["stage"] == "idea" and project["supply"] == "yeast"
    assert project["quantity"] == pytest.approx(5000)
    assert "not SOLUTION:SUPPLY" in fails("hub", "byproducts", park, "--propose", "prot")
    assert "no solution 'nope'" in fails("hub", "byproducts", park, "--propose", "nope:yeast")


def test_a_proposal_in_a_park_that_includes_another_leaves_the_included_rows(
    tmp_path: Path,
) -> None:
    pipeline = "id,title,stage\nold,An older idea,idea\n"
    base = write_bio(tmp_path / "bio", **{"pipeline.csv": pipeline})
    eco = tmp_path / "eco"
    eco.mkdir()
    (eco / "park.yaml").write_text("name: Eco\ninclude: ../bio\n", encoding="utf-8")
    run("hub", "byproducts", eco, "--propose", "prot:yeast", "--json")
    assert (base / "pipeline.csv").read_text(encoding="utf-8") == pipeline
    assert "old" not in (eco / "pipeline.csv").read_text(encoding="utf-8")
    assert len(symbionet.load_park(eco).table("pipeline")) == 2


def test_the_examples_by_products_compete_with_todays_use() -> None:
    free = run("hub", "byproducts", BIOTECH, "--json")["byproducts"]
    assert {r["solution"] for r in free} == {"unibio_gas_fermentation"}
    whole = run("hub", "byproducts", BIOTECH, "--committed", "--json")["byproducts"]
    yeast = next(r for r in whole if r["solution"] == "dti_yeast_protein")
    # Novo Nordisk's 50,000 t/yr of yeast, all of it to the biogas plant today
    assert yeast["supply"] == "novo_yeast" and yeast["quantity"] == pytest.approx(50_000)
    assert "exchange yeast_biogas" in yeast["committed"]


# --- contacts ------------------------------------------------------------------------------


def test_a_contact_is_exported_and_erased_from_a_folder(tmp_path: Path) -> None:
    park = write_park(tmp_path / "hub", HUB)
    exported = run("hub", "contact", park, "--export", "c1")
    assert exported["contact"]["email"] == EMAIL
    assert [b["id"] for b in exported["bookings"]] == ["b1"]
    out = tmp_path / "c1.json"
    run("hub", "contact", park, "--export", "c1", "--out", out, "--json")
    assert json.loads(out.read_text(encoding="utf-8")) == exported
    assert NAME in texts(park)
    done = run("hub", "contact", park, "--erase", "c1", "--json")
    assert done["written"] == [str(park / "bookings.csv"), str(park / "contacts.csv")]
    assert NAME not in texts(park) and EMAIL not in texts(park)
    loaded = symbionet.load_park(park)
    assert list(loaded.table("contacts").index) == ["c2"]
    assert loaded.table("bookings").loc["b1", "organisation"] == "unibio"


def test_a_contact_is_erased_from_a_json_park(tmp_path: Path) -> None:
    document = tmp_path / "hub.json"
    symbionet.load_park(write_park(tmp_path / "hub", HUB)).save(document)
    done = run("hub", "contact", document, "--erase", "c1", "--json")
    assert done["written"] == [str(document)]
    text = document.read_text(encoding="utf-8")
    assert NAME not in text and EMAIL not in text
    assert list(symbionet.load_park(document).table("contacts").index) == ["c2"]


def test_a_bad_contact_request_names_no_person(tmp_path: Path) -> None:
    park = write_park(tmp_path / "hub", HUB)
    message = fails("hub", "contact", park, "--erase", "c9")
    assert "no contact 'c9'" in message and NAME not in message
    assert "--export ID or --erase ID" in fails("hub", "contact", park)
    assert "--export ID or --erase ID" in fails(
        "hub", "contact", park, "--export", "c1", "--erase", "c1"
    )


def test_a_contact_is_erased_from_a_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    migrate(url)
    engine = open_database(url)
    try:
        park_id = save_park(engine, symbionet.load_park(write_park(tmp_path / "hub", HUB)), "x")
    finally:
        engine.dispose()
    assert run("hub", "contact", url, "--export", "c1")["history"][0]["after"]["name"] == NAME
    done = run("hub", "contact", url, "--erase", "c1", "--json")
    assert done["done"].startswith(f"erased contact c1 from park {park_id}")
    data = (tmp_path / "hub.sqlite").read_bytes()
    for wal in tmp_path.glob("hub.sqlite-*"):
        data += wal.read_bytes()
    assert NAME.encode() not in data and EMAIL.encode() not in data
    assert "no park 7" in fails("hub", "contact", url, "--erase", "c2", "--park-id", 7)


# --- the example's hub -----------------------------------------------------------------------


def test_partners_talent_and_evaluation_of_the_example() -> None:
    found = run("hub", "partners", BIOTECH, "--organisation", "unibio", "--limit", 3, "--json")
    assert 0 < len(found["partners"]) <= 3
    assert {"organisation", "score", "matched", "reason"} <= set(found["partners"][0])
    assert fails("hub", "partners", BIOTECH, "--organisation", "nobody")
    talent = run("hub", "talent", BIOTECH, "--json")["talent"]
    assert talent and {"company", "programme", "skills", "score"} <= set(talent[0])
    evaluated = run("hub", "evaluate", BIOTECH, "--json")
    assert 0 <= evaluated["recall"] <= 1 and evaluated["projects"] > 0


def test_a_consortium_is_built_and_exported(tmp_path: Path) -> None:
    call = str(symbionet.load_park(BIOTECH).table("calls").index[0])
    built = run("hub", "consortium", BIOTECH, "--call", call, "--json")
    assert built["call"] == call and "partners" in built and "rules" in built
    for option, suffix in (("--xlsx", ".xlsx"), ("--csv", ".csv")):
        out = tmp_path / f"consortium{suffix}"
        result = runner.invoke(
            app, ["hub", "consortium", str(BIOTECH), "--call", call, option, str(out)]
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    partners = pd.read_csv(tmp_path / "consortium.csv")
    assert list(partners["organisation"]) == [p["organisation"] for p in built["partners"]]
    assert set(pd.read_excel(tmp_path / "consortium.xlsx", sheet_name=None)) == {
        "partners",
        "rules",
    }
    assert "--force" in fails("hub", "consortium", BIOTECH, "--call", call, "--csv", out)
    assert fails("hub", "consortium", BIOTECH, "--call", "no-such-call")
    assert ".csv or .xlsx" in fails(
        "hub", "consortium", BIOTECH, "--call", call, "--csv", tmp_path / "c.txt"
    )


def test_free_facilities_are_found_and_a_booking_is_written(examples: Path) -> None:
    park = symbionet.load_park(examples)
    facility = str(park.table("facilities").index[0])
    busy = park.table("bookings")
    free = run(
        "hub",
        "facilities",
        examples,
        "--days",
        3,
        "--from",
        "2027-01-01",
        "--to",
        "2027-12-31",
        "--json",
    )["facilities"]
    assert facility in {row["facility"] for row in free}
    organisation = str(park.table("facilities").loc[facility, "owner"])
    done = run(
        "hub",
        "book",
        examples,
        "--facility",
        facility,
        "--organisation",
        organisation,
        "--from",
        "2027-03-01",
        "--to",
        "2027-03-03",
        "--json",
    )
    assert done["written"] == [str(examples / "bookings.csv")]
    after = symbionet.load_park(examples).table("bookings")
    assert len(after) == len(busy) + 1
    again = fails(
        "hub",
        "book",
        examples,
        "--facility",
        facility,
        "--organisation",
        organisation,
        "--from",
        "2027-03-02",
        "--to",
        "2027-03-04",
    )
    assert "2027-03" in again
    assert len(symbionet.load_park(examples).table("bookings")) == len(busy) + 1
    assert "not a date" in fails(
        "hub", "facilities", examples, "--days", 3, "--from", "soon", "--to", "2027-12-31"
    )
