"""The register commands as a user runs them: check, show, convert, catalogue, schema, run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from symbionet import load_park
from symbionet.present.cli import app
from tests.conftest import EXAMPLES, write_park

runner = CliRunner()
SYMBIONET = Path(sys.executable).with_name("symbionet")


def symbionet(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed console script, as a user would."""
    return subprocess.run(
        [str(SYMBIONET), *map(str, args)], capture_output=True, text=True, check=False
    )


def test_check_passes_on_both_examples() -> None:
    for name in ("kalundborg", "kalundborg-2010"):
        result = runner.invoke(app, ["check", str(EXAMPLES / name)])
        assert result.exit_code == 0, result.output
        assert "ok" in result.output


def test_check_finds_what_the_readings_and_scenario_commands_would_refuse(
    kalundborg: Path,
) -> None:
    _edit(kalundborg / "meters.csv", "m_tisso_novo", "unit", "kWh")
    _edit(kalundborg / "scenarios.csv", "gas_x2", "target", "natral_gas")
    result = symbionet("check", kalundborg)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    said = result.stdout + result.stderr
    assert "meters.csv:4:unit: meter 'm_tisso_novo': 'kWh' cannot measure surface_water" in said
    assert "scenarios.csv:2:target: 'natral_gas' is no resource or stream" in said


def _edit(path: Path, row: str, column: str, value: object) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[frame["id"] == row, column] = str(value)
    frame.to_csv(path, index=False)


def test_five_injected_errors_are_all_reported_with_file_and_row(kalundborg: Path) -> None:
    _edit(kalundborg / "streams.csv", "novo_steam", "resource", "unobtainium")
    _edit(kalundborg / "streams.csv", "condensate", "quantity", -65000)
    _edit(kalundborg / "streams.csv", "hp_heat", "unit", "MWh/fortnightly")
    _edit(kalundborg / "sites.csv", "wwtp", "lat", 123)
    sites = (kalundborg / "sites.csv").read_text(encoding="utf-8")
    duplicate = next(line for line in sites.splitlines() if line.startswith("asnaes,"))
    (kalundborg / "sites.csv").write_text(sites + duplicate + "\n", encoding="utf-8")

    result = symbionet("check", kalundborg)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    site_lines = (kalundborg / "sites.csv").read_text(encoding="utf-8").splitlines()
    stream_lines = (kalundborg / "streams.csv").read_text(encoding="utf-8").splitlines()

    def line_of(lines_: list[str], key: str) -> int:
        return next(i for i, line in enumerate(lines_, start=1) if line.startswith(key + ","))

    expected = [
        f"streams.csv:{line_of(stream_lines, 'novo_steam')}:resource: unknown resource 'unobtainium'",
        f"streams.csv:{line_of(stream_lines, 'condensate')}:quantity: -65000 is below 0",
        f"streams.csv:{line_of(stream_lines, 'hp_heat')}:unit: unknown unit 'MWh/fortnightly'",
        f"sites.csv:{line_of(site_lines, 'wwtp')}:lat: 123 is above 90",
        f"sites.csv:{len(site_lines)}:id: duplicate id 'asnaes'",
    ]
    for message in expected:
        assert any(line.startswith(message) for line in lines), (message, lines)


def test_show_prints_tables_and_json(tiny: Path) -> None:
    result = runner.invoke(app, ["show", str(tiny)])
    assert result.exit_code == 0, result.output
    for word in (
        "Actors",
        "Sites",
        "Streams",
        "Exchanges",
        "Totals per resource class",
        "fgd_gypsum",
    ):
        assert word in result.output
    data = json.loads(runner.invoke(app, ["show", str(tiny), "--json"]).output)
    totals = {row["resource"]: row for row in data["totals"]}
    assert totals["fgd_gypsum"]["supply"] == 73_000
    assert totals["fgd_gypsum"]["exchanged"] == 50_000
    hidden = json.loads(runner.invoke(app, ["show", str(tiny), "--as", "power", "--json"]).output)
    assert "nat" not in {row["id"] for row in hidden["streams"]}


def test_convert_round_trips_the_example_through_a_workbook(tmp_path: Path) -> None:
    source = EXAMPLES / "kalundborg"
    for target in (tmp_path / "k.xlsx", tmp_path / "k.json"):
        assert runner.invoke(app, ["convert", str(source), str(target)]).exit_code == 0
        back_again = ["convert", str(target), str(tmp_path / "back"), "--force"]
        assert runner.invoke(app, back_again).exit_code == 0
        original, back = load_park(source), load_park(tmp_path / "back")
        assert back.meta == original.meta
        for name, frame in original.frames.items():
            pd.testing.assert_frame_equal(back.frames[name], frame)


def test_catalogue_search_and_detail() -> None:
    listing = runner.invoke(app, ["catalogue", "gypsum", "--json"])
    ids = {row["id"] for row in json.loads(listing.output)["resources"]}
    assert {"fgd_gypsum", "natural_gypsum"} <= ids
    detail = runner.invoke(app, ["catalogue", "fgd_gypsum"])
    assert "10 01 05" in detail.output and "natural_gypsum" in detail.output


def test_schema_docs_are_generated_from_the_declarations() -> None:
    from symbionet.register.schema import json_schema, markdown, tables

    docs = Path(__file__).resolve().parents[1] / "docs"
    assert (docs / "park-format.md").read_text(encoding="utf-8") == markdown()
    assert json.loads((docs / "park.schema.json").read_text(encoding="utf-8")) == json_schema()
    text = markdown()
    for table in tables().values():
        assert f"`{table.file}`" in text
        for column in table.columns:
            assert f"`{column.name}`" in text


def test_json_form_of_the_example_validates_against_the_json_schema(tmp_path: Path) -> None:
    import jsonschema

    from symbionet.register.schema import json_schema

    target = tmp_path / "k.json"
    load_park(EXAMPLES / "kalundborg").save(target)
    jsonschema.validate(json.loads(target.read_text(encoding="utf-8")), json_schema())


def test_bad_path_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    result = symbionet("show", tmp_path / "missing")
    assert result.returncode == 1
    assert "no such park folder or file" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_lists_warnings_without_failing_and_speaks_json(tmp_path: Path) -> None:
    exchanges = (
        "id,supply,demand,quantity,unit,mode,status\npower,gyp,nat,50000,t/yr,truck,operating\n"
    )
    park = write_park(tmp_path / "p", {"exchanges.csv": exchanges})
    warning = {
        "file": "exchanges.csv",
        "row": 2,
        "column": "id",
        "location": "exchanges.csv:2:id",
        "message": "'power' is also the id of an actor: give one of them another id",
        "severity": "warning",
    }
    result = symbionet("check", park)
    assert result.returncode == 0, result.stderr
    assert "exchanges.csv:2:id: warning: 'power' is also the id" in result.stderr
    assert result.stderr.rstrip().endswith("1 warning")
    assert "ok Tiny park" in result.stdout
    listed = symbionet("check", park, "--json")
    assert listed.returncode == 0
    assert json.loads(listed.stdout) == [warning]

    (park / "exchanges.csv").write_text(exchanges.replace("50000", "lots"), encoding="utf-8")
    result = symbionet("check", park)
    assert result.returncode == 1
    assert result.stderr.rstrip().endswith("1 error, 1 warning")
    listed = symbionet("check", park, "--json")
    assert listed.returncode == 1 and "Traceback" not in listed.stderr
    error = {**warning, "column": "quantity", "message": "'lots' is not a number"}
    error["location"] = "exchanges.csv:2:quantity"
    assert json.loads(listed.stdout) == [warning, {**error, "severity": "error"}]
