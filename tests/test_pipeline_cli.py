"""``symbionet pipeline`` as a user runs it, on a copy of the Kalundborg example."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from typer.testing import CliRunner

from symbionet import discover, load_park
from symbionet.present.cli import app

runner = CliRunner()
SYMBIONET = Path(sys.executable).with_name("symbionet")
PROJECT = "more-biomethane-to-the-refinery"


def symbionet(*args: object) -> subprocess.CompletedProcess[str]:
    """Run the installed console script, as a user would."""
    return subprocess.run(
        [str(SYMBIONET), *map(str, args)], capture_output=True, text=True, check=False
    )


def invoke(*args: object) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def test_add_move_to_operation_and_export_round_trip(kalundborg: Path, tmp_path: Path) -> None:
    exchanges_before = (kalundborg / "exchanges.csv").read_text(encoding="utf-8")
    pipeline_before = (kalundborg / "pipeline.csv").read_text(encoding="utf-8")
    output = invoke(
        "pipeline", "add", kalundborg,
        "--title", "More biomethane to the refinery",
        "--owner", "refinery", "--partners", "bioenergi;refinery",
        "--supply", "biomethane", "--demand", "refinery_gas",
        "--quantity", 500000, "--unit", "Nm3/yr", "--co2e", 1000,
        "--date", "2024-01-15", "--due", "2024-03-01", "--author", "secretariat",
    )  # fmt: skip
    assert f"added {PROJECT} at idea" in output
    # the rows there were are written back as they were
    assert (kalundborg / "pipeline.csv").read_text(encoding="utf-8").startswith(pipeline_before)
    invoke("pipeline", "move", kalundborg, PROJECT, "screening", "--date", "2024-02-01")
    invoke("pipeline", "move", kalundborg, PROJECT, "agreement", "--date", "2024-04-01")
    invoke(
        "pipeline", "move", kalundborg, PROJECT, "operating",
        "--date", "2024-09-02", "--start-date", "2024-09-01",
    )  # fmt: skip
    exchanges_after = (kalundborg / "exchanges.csv").read_text(encoding="utf-8")
    assert exchanges_after.startswith(exchanges_before)
    assert exchanges_after[len(exchanges_before) :] == (
        f"{PROJECT},biomethane,refinery_gas,500000,Nm3/yr,pipeline,operating,2024,"
        f"synergy project {PROJECT}\n"
    )
    assert "ok" in invoke("check", kalundborg)
    park = load_park(kalundborg)
    log = park.table("pipeline_log")
    log = log[log["project"] == PROJECT]
    assert log[["date", "from_stage", "to_stage"]].fillna("").values.tolist() == [
        ["2024-01-15", "", "idea"],
        ["2024-02-01", "idea", "screening"],
        ["2024-04-01", "screening", "agreement"],
        ["2024-09-02", "agreement", "operating"],
    ]
    assert log["author"].iloc[0] == "secretariat"
    row = park.table("pipeline").loc[PROJECT]
    assert (row["agreement_date"], row["start_date"], row["exchange"]) == (
        "2024-04-01",
        "2024-09-01",
        PROJECT,
    )

    listed = json.loads(invoke("pipeline", "list", kalundborg, "--stage", "operating", "--json"))
    assert [p["id"] for p in listed["projects"]] == [
        "condensate_to_boiler_water",
        "residues_to_biogas",
        PROJECT,
    ]
    mine = json.loads(invoke("pipeline", "list", kalundborg, "--partner", "bioenergi", "--json"))
    assert {p["id"] for p in mine["projects"]} == {"residues_to_biogas", PROJECT}
    funnel = json.loads(invoke("pipeline", "funnel", kalundborg, "--json"))
    operating = next(row for row in funnel["funnel"] if row["stage"] == "operating")
    # the example's 17,000 t (biogas) and 65,000 m3 (condensate), and 1,000 t added here
    assert operating == {
        "stage": "operating",
        "projects": 3,
        "co2e_t": 18000.0,
        "water_m3": 65000.0,
        "materials_t": 0.0,
        "saving": 0.0,
    }
    assert funnel["currency"] == "DKK"

    workbook = tmp_path / "pipeline.xlsx"
    assert "wrote" in invoke("pipeline", "export", kalundborg, "--out", workbook)
    book = load_workbook(workbook, read_only=True)
    assert book.sheetnames == ["pipeline", "pipeline_log", "risks", "funnel", "time_to_operation"]
    book.close()
    times = pd.read_excel(workbook, sheet_name="time_to_operation", index_col=0)
    # condensate 2020-11-26 to 2021-05-01: 156 days; biogas 2017-03-23 to 2018-04-01: 374
    # days; this one 2024-01-15 to 2024-09-01: 230 days
    assert times["days"].to_dict() == {
        "condensate_to_boiler_water": 156,
        "residues_to_biogas": 374,
        PROJECT: 230,
    }
    table = tmp_path / "pipeline.csv"
    invoke("pipeline", "export", kalundborg, "--out", table)
    assert len(pd.read_csv(table)) == 7


def test_a_candidate_is_added_with_its_figures(kalundborg: Path) -> None:
    output = invoke(
        "pipeline", "add", kalundborg, "--from-candidate", "tisso_treated:novo_cooling",
        "--date", "2024-01-10",
    )  # fmt: skip
    assert "added tisso-treated-novo-cooling at idea" in output
    park = load_park(kalundborg)
    row = park.table("pipeline").loc["tisso-treated-novo-cooling"]
    found = discover(park, internal=True).candidates
    candidate = found[(found["supply"] == "tisso_treated") & (found["demand"] == "novo_cooling")]
    assert row["co2e_t"] == candidate["co2e_t"].iloc[0]
    assert row["origin"] == "discovery"


def test_refused_moves_and_bad_input_exit_1_with_the_reason(kalundborg: Path) -> None:
    files = {p.name: p.read_bytes() for p in kalundborg.iterdir()}
    result = symbionet("pipeline", "move", kalundborg, "sugar_to_comet", "operating")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "project 'sugar_to_comet': no agreement date and no start date" in result.stderr
    assert "rule 'agreement before operating'" in result.stderr
    result = symbionet(
        "pipeline", "move", kalundborg, "sugar_to_comet", "operating",
        "--agreement-date", "2023-03-01", "--start-date", "2023-06-01", "--date", "2023-07-01",
    )  # fmt: skip
    assert result.returncode == 1
    assert "no exchange named, and no supply, demand, quantity, unit to make one" in result.stderr
    assert "rule 'exchange when operating'" in result.stderr
    result = symbionet("pipeline", "move", kalundborg, "refinery_heat_to_town", "idea")
    assert "rule 'reopen with a reason'" in result.stderr
    result = symbionet("pipeline", "move", kalundborg, "nothing", "idea")
    assert "pipeline.csv:id: no project 'nothing'" in result.stderr  # shown as written
    result = symbionet("pipeline", "move", kalundborg, "unibio_streams", "screening", "--date", "x")
    assert result.returncode == 1
    assert "date: 'x' is not a date (YYYY-MM-DD)" in result.stderr
    result = symbionet("pipeline", "add", kalundborg, "--title", "X", "--partners", "ghost")
    assert result.returncode == 1
    assert "pipeline.csv:partners: 'x': unknown actor 'ghost'" in result.stderr
    result = symbionet("pipeline", "add", kalundborg, "--from-candidate", "tisso_treated")
    assert "'tisso_treated' is not SUPPLY:DEMAND" in result.stderr
    result = symbionet("pipeline", "move", kalundborg, "unibio_streams", "done")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert {p.name: p.read_bytes() for p in kalundborg.iterdir()} == files


def test_stalls_on_a_date(kalundborg: Path) -> None:
    data = json.loads(invoke("pipeline", "stalls", kalundborg, "--today", "2023-12-31", "--json"))
    # Unibio's streams: an idea since 2020-03-09, 1,392 days on 2023-12-31
    assert [(s["id"], s["days_in_stage"]) for s in data["stalls"]] == [("unibio_streams", 1392)]
    idea = next(s for s in data["stages"] if s["stage"] == "idea")
    assert idea == {"stage": "idea", "projects": 2, "median_days": 696.0, "longest_days": 1392}


def test_a_decision_and_a_risk_are_written_in_place(kalundborg: Path) -> None:
    invoke(
        "pipeline", "decide", kalundborg, "unibio_streams",
        "--decision", "Unibio to list its streams", "--date", "2024-01-10",
        "--next-step", "List the streams", "--due", "2024-03-01", "--readiness", 2,
    )  # fmt: skip
    invoke(
        "pipeline", "risk", kalundborg, "unibio_streams", "--risk", "No stream fits",
        "--likelihood", 2, "--impact", 3, "--category", "technical",
    )  # fmt: skip
    park = load_park(kalundborg)
    row = park.table("pipeline").loc["unibio_streams"]
    assert (row["stage"], row["next_step"], row["due"], row["readiness"]) == (
        "idea",
        "List the streams",
        "2024-03-01",
        2,
    )
    assert park.table("pipeline_log")["decision"].iloc[-1] == "Unibio to list its streams"
    risks = park.table("risks")
    assert risks.loc["unibio-streams-no-stream-fits", ["likelihood", "impact"]].tolist() == [2, 3]
    data = json.loads(invoke("pipeline", "stalls", kalundborg, "--today", "2024-06-01", "--json"))
    assert data["stalls"][0]["why"] == "92 days past due; 1545 days in idea"
