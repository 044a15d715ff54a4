"""Files a user owns are never destroyed, and files symbionet writes are never half-written,
never run as spreadsheet formulas and never hide escape codes for the terminal."""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from symbionet import load_park
from symbionet.errors import SymbionetError
from symbionet.present.cli import app
from tests.conftest import EXAMPLES, write_park

runner = CliRunner()
SYMBIONET = Path(sys.executable).with_name("symbionet")
HEAT_STREAMS = EXAMPLES / "targeting" / "kemp_four_stream.csv"
SCRATCH = ".symbionet-"  # what a write leaves beside its target while it runs


def recover(target: Path) -> None:
    """What the next write to ``target`` does first."""
    from symbionet.register.write import recover as recover_target

    recover_target(target)


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` (or ``path`` itself) by relative name, with its bytes."""
    if path.is_file():
        return {"": path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def leftovers(folder: Path) -> list[str]:
    """Hidden files and folders: what an interrupted write would leave behind."""
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def user_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "thesis.docx").write_text("years of work", encoding="utf-8")
    (path / "sub").mkdir()
    (path / "sub" / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["convert", "generate"])
def test_a_folder_that_is_not_a_park_is_never_overwritten(
    tiny: Path, tmp_path: Path, command: str
) -> None:
    mine = user_folder(tmp_path / "mine")
    before = snapshot(mine)
    for target in (mine, Path(".")):
        for force in ([], ["--force"]):
            args = ["convert", str(tiny), str(target)]
            if command == "generate":
                args = ["generate", "--sites", "3", "--out", str(target)]
            cwd = os.getcwd()
            os.chdir(mine)
            try:
                result = runner.invoke(app, [*args, *force])
            finally:
                os.chdir(cwd)
            assert result.exit_code == 1
            assert "not part of a park" in str(result.exception)
            assert snapshot(mine) == before


def test_a_park_is_overwritten_only_with_force(tiny: Path, tmp_path: Path) -> None:
    target = tmp_path / "park"
    assert runner.invoke(app, ["convert", str(tiny), str(target)]).exit_code == 0
    before = snapshot(target)
    refused = runner.invoke(app, ["generate", "--sites", "3", "--out", str(target)])
    assert refused.exit_code == 1
    assert "replaced only with force" in str(refused.exception)
    assert snapshot(target) == before
    forced = runner.invoke(app, ["generate", "--sites", "3", "--out", str(target), "--force"])
    assert forced.exit_code == 0, forced.output
    assert len(load_park(target).actors) == 3
    assert leftovers(tmp_path) == []


def test_a_park_folder_holding_other_files_is_not_overwritten(tiny: Path, tmp_path: Path) -> None:
    (tiny / "notes.txt").write_text("minutes of the partners' meeting", encoding="utf-8")
    before = snapshot(tiny)
    result = runner.invoke(app, ["convert", str(tiny), str(tiny), "--force"])
    assert result.exit_code == 1
    assert "notes.txt" in str(result.exception)
    assert snapshot(tiny) == before


def test_a_file_that_is_not_a_park_is_never_overwritten(tiny: Path, tmp_path: Path) -> None:
    for name, text in (("budget.xlsx", "not a workbook"), ("data.json", '{"rows": [1, 2]}')):
        target = tmp_path / name
        target.write_text(text, encoding="utf-8")
        result = runner.invoke(app, ["convert", str(tiny), str(target), "--force"])
        assert result.exit_code == 1
        assert "is not a park" in str(result.exception)
        assert target.read_text(encoding="utf-8") == text
    for name in ("park.xlsx", "park.json"):
        target = tmp_path / name
        assert runner.invoke(app, ["convert", str(tiny), str(target)]).exit_code == 0
        assert runner.invoke(app, ["convert", str(tiny), str(target)]).exit_code == 1
        assert runner.invoke(app, ["convert", str(tiny), str(target), "--force"]).exit_code == 0


def test_a_symbolic_link_is_never_followed(tiny: Path, tmp_path: Path) -> None:
    mine = user_folder(tmp_path / "mine")
    before = snapshot(mine)
    park = tmp_path / "park"
    assert runner.invoke(app, ["convert", str(tiny), str(park)]).exit_code == 0
    for target, to in ((tmp_path / "link", mine), (tmp_path / "park-link", park)):
        target.symlink_to(to, target_is_directory=True)
        result = runner.invoke(app, ["convert", str(tiny), str(target), "--force"])
        assert result.exit_code == 1
        assert "symbolic link" in str(result.exception)
        assert target.is_symlink()
    assert snapshot(mine) == before


def test_generate_refuses_a_negative_seed(tmp_path: Path) -> None:
    result = symbionet("generate", "--sites", "3", "--seed", "-1", "--out", tmp_path / "g")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "--seed" in result.stderr
    assert not (tmp_path / "g").exists()


def test_unwritable_outputs_are_refused_before_any_work(tiny: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    commands = [
        ["report", tiny, "--out", blocker / "out"],
        ["run", tiny, "--out", blocker],
        ["discover", tiny, "--csv", blocker / "x.csv"],
        ["convert", tiny, blocker / "park"],
        ["generate", "--sites", "2000", "--out", blocker / "park"],
        ["target", "heat", HEAT_STREAMS, "--dt-min", 10, "--plot", blocker / "curves.html"],
    ]
    for args in commands:
        started = time.monotonic()
        result = symbionet(*args)
        assert result.returncode == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert f"{blocker} is not a folder" in result.stderr, result.stderr
        assert time.monotonic() - started < 120  # refused, not waited on
    assert blocker.read_text(encoding="utf-8") == "x"


def symbionet(*args: object) -> subprocess.CompletedProcess[str]:
    """Run the installed command as a user would, its output not a terminal (no styling)."""
    forced = {"FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"}
    env = {key: value for key, value in os.environ.items() if key not in forced}
    return subprocess.run(
        [str(SYMBIONET), *map(str, args)], capture_output=True, text=True, check=False, env=env
    )


def test_recovery_after_a_kill_between_the_two_renames(tiny: Path, tmp_path: Path) -> None:
    """Killed after the old park went aside but before the new one came in: the next run
    brings the old park back and removes the half-finished new one."""
    target = tmp_path / "park"
    assert runner.invoke(app, ["convert", str(tiny), str(target)]).exit_code == 0
    before = snapshot(target)
    target.rename(tmp_path / f"{SCRATCH}old-park")
    (tmp_path / f"{SCRATCH}new-park").mkdir()
    (tmp_path / f"{SCRATCH}new-park" / "park.yaml").write_text("name: half", encoding="utf-8")
    recover(target)
    assert snapshot(target) == before
    assert leftovers(tmp_path) == []
    # and a plain command run does the same
    target.rename(tmp_path / f"{SCRATCH}old-park")
    result = runner.invoke(app, ["convert", str(tiny), str(target)])
    assert result.exit_code == 1 and "replaced only with force" in str(result.exception)
    assert snapshot(target) == before and leftovers(tmp_path) == []


def _kill_while_writing(args: list[object], folder: Path, seed: int) -> None:
    """Run a command that writes in ``folder`` and kill it at a random moment, most often
    once its write began (a hidden file appeared, or a file there changed)."""
    rng = random.Random(seed)

    def files() -> dict[str, tuple[int, int]]:
        return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.glob("*.*")}

    before = files()
    process = subprocess.Popen(
        [str(SYMBIONET), *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if rng.random() < 0.25:
        time.sleep(rng.uniform(0, 3))
    else:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if leftovers(folder) or files() != before:
                break
            time.sleep(0.0005)
        time.sleep(rng.uniform(0, 0.05))
    process.kill()
    process.wait()


@pytest.fixture(scope="module")
def big_park(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated park large enough that writing it takes a while."""
    path = tmp_path_factory.mktemp("big") / "big.json"
    assert runner.invoke(app, ["generate", "--sites", "1500", "--out", str(path)]).exit_code == 0
    return path


def state(target: Path) -> object:
    """What a park file or folder holds: its bytes; for a workbook (which records when it was
    written), its tables."""
    if target.suffix != ".xlsx":
        return snapshot(target)
    return {name: frame.to_csv() for name, frame in load_park(target).frames.items()}


@pytest.mark.slow
@pytest.mark.parametrize("target_name", ["park", "park.xlsx", "park.json"])
def test_a_killed_convert_leaves_the_old_park_or_the_new_one(
    tiny: Path, big_park: Path, tmp_path: Path, target_name: str
) -> None:
    folder = tmp_path / "out"
    target = folder / target_name
    expected_new = tmp_path / "expected" / target_name
    assert runner.invoke(app, ["convert", str(big_park), str(expected_new)]).exit_code == 0
    new = state(expected_new)
    next_run = ["convert", str(tiny), str(target), "--force"]
    assert runner.invoke(app, next_run).exit_code == 0
    for seed in range(3):
        old = state(target)
        _kill_while_writing(["convert", big_park, target, "--force"], folder, seed)
        # the target is whole, or (killed between the two renames) the old one lies aside
        aside = folder / f"{SCRATCH}old-{target_name}"
        assert state(target if target.exists() else aside) in (old, new)
        assert runner.invoke(app, next_run).exit_code == 0, "the next run recovers"
        assert leftovers(folder) == []


@pytest.mark.slow
def test_killed_discover_and_report_leave_no_partial_file(
    tiny: Path, big_park: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    table, report = folder / "candidates.csv", folder / "report.html"
    table.write_text("old table\n", encoding="utf-8")
    report.write_text("old report\n", encoding="utf-8")
    discover = ["discover", big_park, "--top", "0", "--force", "--csv"]
    whole = tmp_path / "whole.csv"
    assert runner.invoke(app, [str(a) for a in [*discover, whole]]).exit_code == 0
    for seed in range(2):
        _kill_while_writing([*discover, table], folder, seed)
        _kill_while_writing(["report", tiny, "--out", folder, "--force"], folder, seed)
        text = table.read_text(encoding="utf-8")
        assert text in ("old table\n", "small table\n", whole.read_text(encoding="utf-8"))
        html = report.read_text(encoding="utf-8")
        assert html == "old report\n" or html.rstrip().endswith("</html>")
        # the next runs tidy up
        tidy = (
            ["discover", tiny, "--force", "--csv", table],
            ["report", tiny, "--out", folder, "--force"],
        )
        for args in tidy:
            assert runner.invoke(app, [str(a) for a in args]).exit_code == 0
        assert leftovers(folder) == []
        table.write_text("small table\n", encoding="utf-8")


FORMULAS = ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "'=already quoted"]


def test_spreadsheet_outputs_never_run_formulas_and_keep_names(tiny: Path, tmp_path: Path) -> None:
    actors = 'id,name,kind,nace\npower,=HYPERLINK("http://x"),utility,35.11\n'
    actors += "board,@SUM(A1),company,23.62\n"
    sites = "id,actor,name,lat,lon\np1,power,+1+2,55.66,11.08\nb1,board,-2+3,55.67,11.07\n"
    streams = (tiny / "streams.csv").read_text(encoding="utf-8")
    park = write_park(
        tmp_path / "p",
        {
            "actors.csv": actors,
            "sites.csv": sites,
            "park.yaml": 'name: "\'=already quoted"\ncountry: DK\nyear: 2023\n',
            "streams.csv": streams,
        },
    )
    # a user's CSV names the formulas plainly: read as written
    names = set(load_park(park).actors["name"]) | set(load_park(park).sites["name"])
    assert set(FORMULAS[:4]) <= names

    folder = tmp_path / "back"
    assert runner.invoke(app, ["convert", str(park), str(folder)]).exit_code == 0
    with (folder / "actors.csv").open(encoding="utf-8", newline="") as handle:
        written = {row["id"]: row for row in csv.DictReader(handle)}
    assert written["power"]["name"] == '\'=HYPERLINK("http://x")'
    assert written["board"]["name"] == "'@SUM(A1)"
    with (folder / "sites.csv").open(encoding="utf-8", newline="") as handle:
        cells = {row["id"]: row for row in csv.DictReader(handle)}
    assert cells["p1"]["name"] == "'+1+2" and cells["b1"]["name"] == "'-2+3"
    assert cells["p1"]["lon"] == "11.08"  # numbers stay numbers
    with (folder / "streams.csv").open(encoding="utf-8", newline="") as handle:
        assert all(not row["quantity"].startswith("'") for row in csv.DictReader(handle))

    workbook = tmp_path / "p.xlsx"
    assert runner.invoke(app, ["convert", str(folder), str(workbook)]).exit_code == 0
    from openpyxl import load_workbook

    book = load_workbook(workbook)
    cells_of = {c.value: c.data_type for row in book["actors"].iter_rows() for c in row}
    assert cells_of['=HYPERLINK("http://x")'] == "s"  # a string, never a formula

    original = load_park(park)
    for route in (folder, workbook):
        back = tmp_path / f"again-{route.name}"
        assert runner.invoke(app, ["convert", str(route), str(back)]).exit_code == 0
        again = load_park(back)
        assert again.meta["name"] == "'=already quoted"
        for name in ("actors", "sites"):
            pd.testing.assert_frame_equal(again.frames[name], original.frames[name])

    candidates = tmp_path / "candidates.csv"
    result = runner.invoke(app, ["discover", str(park), "--csv", str(candidates)])
    assert result.exit_code == 0, result.output
    with candidates.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(
        not cell.startswith(("=", "+", "-", "@"))
        for r in rows
        for cell in r.values()
        if not _is_number(cell)
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_text_excel_cannot_hold_is_refused_on_workbook_export(tiny: Path, tmp_path: Path) -> None:
    long_name = "x" * 32_768
    for name, problem in ((long_name, "32,768 characters"), ("bell\x07", "control character")):
        park = load_park(tiny)
        park.frames["actors"].loc["power", "name"] = name
        target = tmp_path / "p.xlsx"
        with pytest.raises(SymbionetError) as error:
            park.save(target)
        assert problem in str(error.value)
        assert "p.xlsx[actors]:2:name" in str(error.value)
        assert not target.exists() and leftovers(tmp_path) == []
        park.save(tmp_path / "p.json", force=True)  # other formats keep the whole text
        assert load_park(tmp_path / "p.json").actors.loc["power", "name"] == name


def test_escape_codes_in_names_never_reach_the_terminal(tmp_path: Path) -> None:
    red = "\x1b[31m"
    actors = f"id,name,kind,nace\npower,Power{red} plant,utility,35.11\n"
    actors += "board,[bold]Board[/],company,23.62\n"
    park = write_park(
        tmp_path / "p",
        {"actors.csv": actors, "park.yaml": 'name: "Tiny\\e]0;pwned\\a park"\ncountry: DK\n'},
    )
    for command in (["show", park], ["check", park], ["impact", park], ["discover", park]):
        result = symbionet(*command)
        assert result.returncode == 0, result.stderr
        assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stdout
    shown = symbionet("show", park).stdout
    assert "[bold]Board[/]" in shown and "\\x1b[31m" in shown


def test_a_designed_park_saves_as_it_was_loaded(tmp_path: Path) -> None:
    from symbionet.optimisation.solve import design

    park = load_park(EXAMPLES / "kalundborg-2010")
    design(park, mode="operate")
    park.save(tmp_path / "after")
    original = load_park(EXAMPLES / "kalundborg-2010")
    for name, frame in load_park(tmp_path / "after").frames.items():
        pd.testing.assert_frame_equal(frame, original.frames[name])
