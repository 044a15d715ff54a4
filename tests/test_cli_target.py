"""The target commands as a user runs them: heat, water and site, tables, JSON, plots and
bad input."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from symbionet.errors import SymbionetError
from symbionet.present.cli import app
from tests.conftest import EXAMPLES, write_park

runner = CliRunner()
TARGETING = EXAMPLES / "targeting"
SYMBIONET = Path(sys.executable).with_name("symbionet")


def run_json(*args: object) -> dict[str, object]:
    result = runner.invoke(app, ["target", *map(str, args), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def cells(stdout: str, label: str) -> list[str]:
    """The cells of the table row that starts with ``label``."""
    for line in stdout.splitlines():
        parts = [part.strip() for part in line.strip()[1:-1].split("│")]
        if parts[0] == label:
            return parts
    raise AssertionError(f"no row {label!r} in:\n{stdout}")


def test_heat_table_shows_the_kemp_targets() -> None:
    result = runner.invoke(app, ["target", "heat", str(TARGETING / "kemp_four_stream.csv")])
    assert result.exit_code == 0, result.output
    assert cells(result.stdout, "minimum approach") == ["minimum approach", "10", "K"]
    for label, value, unit in (
        ("minimum hot utility", "20", "kW"),
        ("minimum cold utility", "60", "kW"),
        ("maximum heat recovery", "450", "kW"),
        ("pinch, shifted", "85", "°C"),
        ("pinch, hot side", "90", "°C"),
        ("pinch, cold side", "80", "°C"),
        ("method", "problem table", ""),
    ):
        assert cells(result.stdout, label) == [label, value, unit]


def test_heat_help_states_the_default_minimum_approach() -> None:
    result = runner.invoke(app, ["target", "heat", "--help"], env={"COLUMNS": "200"})
    assert "default 10 K" in result.stdout


def test_a_column_that_cannot_be_used_is_named_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "streams.csv"
    path.write_text("name,supply_temp_c,target_temp_c,cp_kw_per_k,duty_kw\nH,150,50,1,100\n")
    done = subprocess.run(
        [str(SYMBIONET), "target", "heat", str(path), "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "250"},
    )
    assert json.loads(done.stdout)["cold_utility_kw"] == pytest.approx(100)
    assert f"{path}:1:duty_kw: warning: not used: not one of the columns name," in done.stderr


def test_no_number_in_scientific_notation(tmp_path: Path) -> None:
    path = tmp_path / "streams.csv"
    path.write_text("name,supply_temp_c,target_temp_c,cp_kw_per_k\nH,150,50,123456789\n")
    result = runner.invoke(app, ["target", "heat", str(path)])
    assert result.exit_code == 0, result.output
    # 123,456,789 kW/K over 100 K, all to cold utility
    assert cells(result.stdout, "minimum cold utility") == [
        "minimum cold utility",
        "12,345,678,900",
        "kW",
    ]
    assert re.search(r"\d[eE][+-]?\d", result.stdout) is None


@pytest.mark.parametrize("command", ["heat", "water", "site"])
def test_every_target_command_exports_csv_and_xlsx(tmp_path: Path, command: str) -> None:
    source = {
        "heat": TARGETING / "kemp_four_stream.csv",
        "water": TARGETING / "wang_smith_1994_fixed_flowrate.csv",
        "site": TARGETING / "food-park",
    }[command]
    csv, xlsx = tmp_path / "targets.csv", tmp_path / "targets.xlsx"
    for path in (csv, xlsx):
        result = runner.invoke(
            app, ["target", command, str(source), f"--{path.suffix[1:]}", str(path)]
        )
        assert result.exit_code == 0, result.output
        assert "wrote" in result.stdout
    first = pd.read_csv(csv)
    sheets = pd.read_excel(xlsx, sheet_name=None)
    expected = {
        "heat": (["targets", "cascade"], "hot_utility_kw", 20),
        "water": (["targets", "network"], "freshwater_t_per_h", 90),
        "site": (
            ["heat", "heat_sites", "water", "water_sites", "water_network"],
            "interplant_recovery_mwh_per_year",
            8916,
        ),
    }[command]
    sheet_names, column, value = expected
    assert list(sheets) == sheet_names
    assert first[column].item() == pytest.approx(value, abs=1)
    assert sheets[sheet_names[0]][column].item() == pytest.approx(value, abs=1)


def test_an_export_never_replaces_a_file_without_force(tmp_path: Path) -> None:
    path = tmp_path / "targets.csv"
    path.write_text("keep me\n")
    args = ["target", "heat", str(TARGETING / "kemp_four_stream.csv"), "--csv", str(path)]
    result = runner.invoke(app, args)
    assert isinstance(result.exception, SymbionetError)
    assert "exists: overwrite it with --force" in str(result.exception)
    assert path.read_text() == "keep me\n"
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert pd.read_csv(path).hot_utility_kw.item() == pytest.approx(20)
    both = runner.invoke(app, [*args, "--json", "--force"])
    assert isinstance(both.exception, SymbionetError)


@pytest.mark.parametrize("method", ["cascade", "lp"])
def test_heat_json(method: str) -> None:
    data = run_json("heat", TARGETING / "kemp_four_stream.csv", "--dt-min", 10, "--method", method)
    assert data == {
        "hot_utility_kw": pytest.approx(20, rel=1e-6),
        "cold_utility_kw": pytest.approx(60, rel=1e-6),
        "heat_recovery_kw": pytest.approx(450, rel=1e-6),
        "pinch_shifted_c": pytest.approx(85, rel=1e-6),
        "pinch_hot_c": pytest.approx(90, rel=1e-6),
        "pinch_cold_c": pytest.approx(80, rel=1e-6),
        "threshold": False,
        "method": "problem table" if method == "cascade" else "transshipment LP",
        "dt_min_k": 10.0,
    }


def test_threshold_problem_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "streams.csv"
    path.write_text("name,supply_temp_c,target_temp_c,cp_kw_per_k\nH,150,50,1\nC,30,100,2\n")
    result = runner.invoke(app, ["target", "heat", str(path), "--dt-min", "10"])
    assert "none: threshold problem, hot utility only" in result.stdout
    data = run_json("heat", path, "--dt-min", 10)
    assert data["threshold"] is True and data["pinch_shifted_c"] is None


def test_heat_plot_is_one_offline_html_file(tmp_path: Path) -> None:
    plot = tmp_path / "kemp.html"
    args = ["target", "heat", str(TARGETING / "kemp_four_stream.csv"), "--dt-min", "10"]
    result = runner.invoke(app, [*args, "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    html = plot.read_text(encoding="utf-8")
    assert re.search(r"<(script|link)[^>]*\b(src|href)=", html) is None  # nothing remote
    assert "plotly.js" in html  # the library itself is inlined
    assert html.count("Plotly.newPlot") == 2  # composite and grand composite curves
    assert "Grand composite curve" in html
    # a file already there is replaced only with --force
    plot.write_text("mine", encoding="utf-8")
    refused = runner.invoke(app, [*args, "--plot", str(plot)])
    assert refused.exit_code == 1 and "exists" in str(refused.exception)
    assert plot.read_text(encoding="utf-8") == "mine"
    forced = runner.invoke(app, [*args, "--plot", str(plot), "--force"])
    assert forced.exit_code == 0 and "Grand composite curve" in plot.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name", ["wang_smith_1994_fixed_load.csv", "wang_smith_1994_fixed_flowrate.csv"]
)
def test_water_json_on_both_wang_smith_forms(name: str) -> None:
    data = run_json("water", TARGETING / name)
    assert data["freshwater_t_per_h"] == pytest.approx(90, rel=1e-6)
    assert data["wastewater_t_per_h"] == pytest.approx(90, rel=1e-6)
    assert data["pinch_ppm"] == pytest.approx(100, rel=1e-6)
    assert data["optimal"] is True
    network = data["network"]
    assert isinstance(network, list)
    assert {"from", "to", "flow_t_per_h"} == set(network[0])
    fresh = sum(e["flow_t_per_h"] for e in network if e["from"] == "freshwater")
    waste = sum(e["flow_t_per_h"] for e in network if e["to"] == "wastewater")
    assert (fresh, waste) == (pytest.approx(90), pytest.approx(90))


def test_water_table_and_plot(tmp_path: Path) -> None:
    plot = tmp_path / "water.html"
    data = TARGETING / "wang_smith_1994_fixed_load.csv"
    result = runner.invoke(app, ["target", "water", str(data), "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    assert cells(result.stdout, "minimum freshwater") == ["minimum freshwater", "90", "t/h"]
    assert cells(result.stdout, "pinch") == ["pinch", "100", "ppm"]
    for text in ("proven optimal", "Reuse network", "wastewater", "(t/h)"):
        assert text in result.stdout
    assert "Limiting composite curve" in plot.read_text(encoding="utf-8")


def test_water_with_two_contaminants(tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    path.write_text(
        "operation,contaminant,mass_load_kg_per_h,c_in_max_ppm,c_out_max_ppm\n"
        "A,X,1,0,100\nA,Y,0.5,0,100\nB,X,2,100,200\nB,Y,1,50,150\n"
    )
    result = runner.invoke(app, ["target", "water", str(path)])
    assert result.exit_code == 0, result.output
    assert cells(result.stdout, "minimum freshwater") == ["minimum freshwater", "15", "t/h"]
    assert "proven optimal" in result.stdout
    assert "X, Y" in result.stdout


def test_site_json(tmp_path: Path) -> None:
    park = write_park(
        tmp_path / "park",
        {
            "streams.csv": "id,site,direction,resource,quantity,unit,temperature_c\n"
            "waste_heat,p1,supply,low_temp_heat,876,MWh/yr,90\n"
            "board_heat,b1,demand,low_temp_heat,394.2,MWh/yr,85\n",
            "exchanges.csv": "id,supply,demand,quantity,unit,mode,status\n",
        },
    )
    data = run_json("site", park)
    assert data["water"] is None
    heat = data["heat"]
    assert isinstance(heat, dict)
    assert heat["interplant_recovery_kw"] == pytest.approx(30)
    assert heat["plants_hot_utility_kw"] == pytest.approx(45)
    assert len(heat["sites"]) == 2
    table = runner.invoke(app, ["target", "site", str(park)])
    assert cells(table.stdout, "recoverable between plants")[1:] == ["30", "kW"]


def test_bad_input_through_the_app_raises_located_problems(tmp_path: Path) -> None:
    path = tmp_path / "streams.csv"
    path.write_text("name,supply_temp_c,target_temp_c,cp_kw_per_k\nH,150,50,x\n")
    result = runner.invoke(app, ["target", "heat", str(path), "--dt-min", "10"])
    assert isinstance(result.exception, SymbionetError)
    ((file, row, column),) = [(p.file, p.row, p.column) for p in result.exception.problems]
    assert (file, row, column) == (str(path), 2, "cp_kw_per_k")


def test_console_script_reports_bad_input_without_traceback(tmp_path: Path) -> None:
    heat = tmp_path / "streams.csv"
    heat.write_text("name,supply_temp_c,target_temp_c,cp_kw_per_k\nH,150,50,2\nC,20,90,-1\n")
    water = tmp_path / "water.csv"
    water.write_text("stream_id,kind,flow_t_per_h\nk,sink,5\n")
    runs = [
        (
            ["target", "heat", str(heat), "--dt-min", "10"],
            f"{heat}:3:cp_kw_per_k: -1 is below 0",
        ),
        (
            ["target", "water", str(water)],
            f"{water}:1:concentration_ppm: required column is missing",
        ),
    ]
    for args, message in runs:
        done = subprocess.run(
            [str(SYMBIONET), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            env={**os.environ, "COLUMNS": "250"},  # one problem per line
        )
        assert done.returncode == 1
        assert message in done.stderr
        assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("command", "example", "row", "column", "value", "problem"),
    [
        ("heat", "kemp_four_stream.csv", 1, "cp_kw_per_k", "1e308", "too large"),
        ("heat", "kemp_four_stream.csv", 2, "supply_temp_c", "1e308", "too large"),
        ("heat", "kemp_four_stream.csv", 3, "target_temp_c", "-1e308", "too large"),
        ("water", "wang_smith_1994_fixed_load.csv", 1, "mass_load_kg_per_h", "1e308", "too large"),
        ("water", "wang_smith_1994_fixed_load.csv", 1, "c_out_max_ppm", "1e-308", "too small"),
        ("water", "wang_smith_1994_fixed_flowrate.csv", 5, "flow_t_per_h", "1e308", "too large"),
        ("water", "two_contaminants.csv", 4, "c_out_max_ppm", "1e300", "too large"),
    ],
)
@pytest.mark.parametrize("method", ["cascade", "lp"])
def test_numbers_too_large_or_small_to_compute_with_are_located(
    tmp_path: Path,
    command: str,
    example: str,
    row: int,
    column: str,
    value: str,
    problem: str,
    method: str,
) -> None:
    table = pd.read_csv(TARGETING / example, dtype=str)
    table.loc[row - 1, column] = value
    path = tmp_path / example
    table.to_csv(path, index=False)
    extra = ["--dt-min", "10"] if command == "heat" else []
    result = runner.invoke(app, ["target", command, str(path), "--method", method, *extra])
    assert isinstance(result.exception, SymbionetError)
    assert f"{path}:{row + 1}:{column}: {float(value):g} is {problem} to compute with" in str(
        result.exception
    )


@pytest.mark.parametrize(
    ("stream", "column", "value", "problem"),
    [
        ("dairy_cow_water", "quantity", "1e308", "too large"),
        ("dairy_cow_water", "ppm_cod", "1e308", "too large"),
        ("dairy_effluent", "quantity", "1e-308", "too small"),
    ],
)
def test_site_refuses_numbers_it_cannot_compute_with(
    tmp_path: Path, stream: str, column: str, value: str, problem: str
) -> None:
    park = tmp_path / "park"
    shutil.copytree(TARGETING / "food-park", park)
    streams = pd.read_csv(park / "streams.csv", dtype=str)
    streams.loc[streams["id"] == stream, column] = value
    streams.to_csv(park / "streams.csv", index=False)
    result = runner.invoke(app, ["target", "site", str(park), "--json"])
    assert isinstance(result.exception, SymbionetError)
    message = f"{column}: stream '{stream}': {float(value):g} is {problem} to compute with"
    assert message in str(result.exception)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["heat", str(TARGETING / "kemp_four_stream.csv"), "--dt-min", "inf"], "dt_min"),
        (
            ["water", str(TARGETING / "two_contaminants.csv"), "--freshwater-ppm", "1e308"],
            "freshwater_ppm",
        ),
        (["site", str(TARGETING / "food-park"), "--dt-min", "inf"], "dt_min"),
        (["site", str(TARGETING / "food-park"), "--freshwater-ppm", "1e308"], "freshwater_ppm"),
    ],
)
def test_options_that_are_not_usable_numbers_are_refused(args: list[str], option: str) -> None:
    result = runner.invoke(app, ["target", *args, "--json"])
    assert isinstance(result.exception, SymbionetError)
    assert f"{option}: must be a number from 0 to 1e+09" in str(result.exception)
