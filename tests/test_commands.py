"""Every command with every documented option, on the example parks and on degenerate ones:
a result or a clear error (exit 0 or 1), never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from symbionet import load_park
from symbionet.errors import SymbionetError
from symbionet.present.cli import app
from tests.conftest import EXAMPLES, TINY, write_park

runner = CliRunner()
STREAMS = TINY["streams.csv"].splitlines(keepends=True)
EXCHANGES = TINY["exchanges.csv"].splitlines(keepends=True)[0]
DEGENERATE = {
    "no-exchanges-file": {},
    "no-exchanges": {"exchanges.csv": EXCHANGES},
    "no-supply": {"streams.csv": "".join([STREAMS[0], *STREAMS[2:]]), "exchanges.csv": EXCHANGES},
    "only-demands": {"streams.csv": STREAMS[0] + STREAMS[2], "exchanges.csv": EXCHANGES},
    "no-streams": {"streams.csv": STREAMS[0], "exchanges.csv": EXCHANGES},
    "one-actor": {
        "actors.csv": "id,name,kind,nace\npower,Power plant,utility,35.11\n",
        "sites.csv": "id,actor,name,lat,lon\np1,power,Power site,55.66,11.08\n",
        "streams.csv": STREAMS[0] + STREAMS[1],
        "exchanges.csv": EXCHANGES,
    },
    "tiny": {},
}


def degenerate_park(folder: Path, name: str) -> Path:
    park = write_park(folder / name, DEGENERATE[name])
    if name == "no-exchanges-file":
        (park / "exchanges.csv").unlink()
    return park


def invoke(*args: object) -> str:
    """Run one command line; it must end with a result (0) or a clear error (1)."""
    result = runner.invoke(app, [str(a) for a in args])
    error = result.exception
    if error is not None and not isinstance(error, SystemExit | SymbionetError):
        raise AssertionError(f"{args}: traceback") from error
    assert result.exit_code in (0, 1), (args, result.output)
    assert "Traceback" not in result.output, (args, result.output)
    return result.output


def light_commands(park: Path, out: Path) -> list[list[object]]:
    """What runs quickly on any park: reading, converting, impact, discovery, targets."""
    actor = str(load_park(park).actors.index[0])
    return [
        ["check", park],
        ["check", park, "--json"],
        ["show", park],
        ["show", park, "--json"],
        ["show", park, "--as", actor, "--json"],
        ["catalogue", "water", "--park", park],
        ["catalogue", "--park", park, "--json"],
        ["convert", park, out / "p.xlsx"],
        ["convert", park, out / "p.json"],
        ["convert", out / "p.xlsx", out / "folder"],
        ["convert", out / "p.json", out / "folder", "--force"],
        ["impact", park],
        ["impact", park, "--json"],
        ["impact", park, "--year", 1900],
        ["impact", park, "--year", 2020, "--status", "operating", "--status", "planned"],
        ["impact", park, "--status", "no-such-status", "--json"],
        ["discover", park],
        ["discover", park, "--json"],
        ["discover", park, "--top", 0, "--max-km", 5, "--resource", "water", "--internal"],
        ["discover", park, "--per-demand", 1, "--csv", out / "candidates.csv"],
        ["discover", park, "--regions", 3, "--workers", 1, "--json"],
        ["discover", park, "--screen"],
        ["discover", park, "--screen", "--json"],
        ["target", "site", park],
        ["target", "site", park, "--dt-min", 5, "--freshwater-ppm", 1, "--json"],
        ["stress", park, "--remove", actor],
        ["stress", park, "--remove", actor, "--json"],
    ]


def solving_commands(park: Path, out: Path) -> list[list[object]]:
    """What solves many networks: fine on small parks."""
    return [
        *(["share", park, "--method", method] for method in ("shapley", "nucleolus")),
        ["share", park, "--method", "least-core", "--json"],
        ["share", park, "--method", "proportional", "--mode", "invest", "--samples", 20],
        ["stress", park, "--all-single"],
        ["stress", park, "--k", 2, "--json"],
        ["design", park],
        ["design", park, "--objective", "co2", "--time", "monthly", "--json"],
        ["design", park, "--objective", "freshwater", "--time", "typical-days:2"],
        ["design", park, "--operate", "--greenfield", "--gap", 0.05, "--time-limit", 30],
        ["design", park, "--pareto", "cost,co2", "--points", 2, "--json"],
        ["design", park, "--time", "hourly", "--verbose"],
        ["report", park, "--out", out / "report"],
        ["run", park, "--out", out / "run"],
    ]


@pytest.mark.parametrize("name", list(DEGENERATE))
def test_light_commands_on_a_degenerate_park(tmp_path: Path, name: str) -> None:
    park = degenerate_park(tmp_path, name)
    for args in light_commands(park, tmp_path):
        invoke(*args)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DEGENERATE))
def test_solving_commands_on_a_degenerate_park(tmp_path: Path, name: str) -> None:
    park = degenerate_park(tmp_path, name)
    for args in solving_commands(park, tmp_path):
        invoke(*args)


def test_nothing_selected_is_said_plainly(tmp_path: Path) -> None:
    exchanges = EXCHANGES.strip() + ",start_year\ng1,gyp,nat,50000,t/yr,truck,operating,2010\n"
    park = write_park(tmp_path / "p", {"exchanges.csv": exchanges})
    for selection in (["--year", "1900"], ["--status", "agreement"]):
        assert "impact of 0 exchanges" in invoke("impact", park, *selection)
    refused = runner.invoke(app, ["impact", str(park), "--status", "planned"])
    assert refused.exit_code == 1
    assert "statuses: must be some of idea, screening" in str(refused.exception)
    assert "impact of 0 exchanges" in invoke("impact", degenerate_park(tmp_path, "no-supply"))
    totals = invoke("impact", park).split("Park totals")[1]
    assert re.search(r"│ CO2e \(t/yr\) +│ .*│\n│ groundwater \(m³/yr\) +│", totals), totals


@pytest.mark.parametrize("example", ["kalundborg", "kalundborg-2010"])
def test_light_commands_on_the_examples(tmp_path: Path, example: str) -> None:
    for args in light_commands(EXAMPLES / example, tmp_path):
        invoke(*args)


@pytest.mark.slow
def test_solving_commands_on_the_example_with_few_partners(tmp_path: Path) -> None:
    park = EXAMPLES / "kalundborg"
    few = "--actors", "orsted,novo_nordisk,forsyning"
    invoke("design", park, *few, "--time", "typical-days:2", "--json")
    invoke("design", park, *few, "--operate", "--objective", "co2", "--exclude", "steam_novo")
    invoke("design", park, *few, "--pareto", "cost,co2", "--points", 2)
    invoke("design", EXAMPLES / "kalundborg-2010", "--operate")
    invoke("stress", EXAMPLES / "kalundborg-2010", "--all-single", "--json")
    invoke("report", degenerate_park(tmp_path, "tiny"), "--out", tmp_path / "report", "--pdf")


def test_commands_that_need_no_park(tmp_path: Path) -> None:
    targeting = EXAMPLES / "targeting"
    for args in (
        ["schema"],
        ["schema", "--format", "markdown"],
        ["schema", "--format", "yaml"],
        ["catalogue"],
        ["catalogue", "gypsum", "--json"],
        ["catalogue", "fgd_gypsum"],
        ["generate", "--sites", 5, "--seed", 1, "--out", tmp_path / "g"],
        ["generate", "--sites", 5, "--out", tmp_path / "g", "--force"],
        ["generate", "--sites", 5, "--out", tmp_path / "g.xlsx"],
        ["target", "heat", targeting / "kemp_four_stream.csv", "--dt-min", 10],
        ["target", "heat", targeting / "kemp_four_stream.csv", "--dt-min", 20, "--method", "lp"],
        [
            "target",
            "heat",
            targeting / "kemp_four_stream.csv",
            "--dt-min",
            0,
            "--json",
            "--plot",
            tmp_path / "h.html",
        ],
        ["target", "water", targeting / "two_contaminants.csv"],
        [
            "target",
            "water",
            targeting / "wang_smith_1994_fixed_load.csv",
            "--freshwater-ppm",
            1,
            "--method",
            "lp",
            "--json",
        ],
        ["target", "water", targeting / "three_contaminants.csv", "--plot", tmp_path / "w.html"],
        ["target", "site", targeting / "food-park"],
    ):
        invoke(*args)
