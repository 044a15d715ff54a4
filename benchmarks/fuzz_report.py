"""Reliability figures: the end-to-end fuzz at a chosen size, and the hand-found cases.

    .venv/bin/python benchmarks/fuzz_report.py [--examples 1020] [--hand] [--json FILE]

The fuzz is the one ``tests/test_fuzz_commands.py`` runs (``tests/fuzzing.py``): the same
cases for the same size, split evenly over folder, .xlsx and .json parks. It prints, as
Markdown, the outcomes per command and per mutation kind and each distinct failure.
``--hand`` also runs each hand-found case in its own process (6 GiB of memory, 120 s) and
prints whether it still fails. Point ``PYTHONPATH`` at another ``src`` to measure that code.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import TINY  # noqa: E402
from tests.fuzzing import BASES, FORMATS, Case, Outcome, fuzz  # noqa: E402

KINDS = ("ok", "error", "traceback", "partial", "destructive", "silent")
MEMORY = 6 * 1024**3
TIMEOUT = 120


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        model = next(
            (line.split(":", 1)[1].strip() for line in info if "model name" in line), model
        )
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}"


def source() -> str:
    """The symbionet under test: its folder and, if it is a git checkout, its commit."""
    import symbionet

    folder = Path(symbionet.__file__).resolve().parents[2]
    commit = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(folder), "status", "--porcelain", "--", "src"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{folder} at {commit or 'unknown commit'}{' with uncommitted changes' if dirty else ''}"


def run_fuzz(examples: int) -> list[dict[str, Any]]:
    """The fuzz's cases and outcomes as plain records."""
    cases: list[dict[str, Any]] = []

    def record(case: Case, outcomes: list[Outcome]) -> None:
        cases.append(
            {
                "fmt": case.fmt,
                "mutations": case.mutations,
                "case": case.describe(),
                "outcomes": [vars(outcome) for outcome in outcomes],
            }
        )

    for fmt in FORMATS:
        fuzz(fmt, examples // len(FORMATS), record)
    return cases


@dataclass
class Tally:
    """Outcome counts of one run of the fuzz."""

    total: Counter[str] = field(default_factory=Counter)
    commands: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    mutations: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    cases: Counter[str] = field(default_factory=Counter)
    formats: Counter[str] = field(default_factory=Counter)
    failures: dict[tuple[str, str, str], list[str]] = field(
        default_factory=lambda: defaultdict(list)
    )
    causes: dict[str, list[tuple[str, list[str]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    seconds: float = 0.0


def tally(cases: list[dict[str, Any]]) -> Tally:
    counts = Tally()
    for case in cases:
        counts.formats[case["fmt"]] += 1
        kinds = sorted(set(case["mutations"]))
        counts.cases.update(kinds)
        for outcome in case["outcomes"]:
            kind = outcome["kind"]
            counts.seconds += outcome["seconds"]
            counts.total[kind] += 1
            counts.commands[outcome["command"]][kind] += 1
            for mutation in kinds:
                counts.mutations[mutation][kind] += 1
            if kind not in {"ok", "error"}:
                lines = outcome["detail"].strip().splitlines() or [""]
                line = re.sub(r"/\S*symbionet-fuzz-[^/\s]+", "…", lines[-1])[:160]
                counts.failures[(outcome["command"], kind, line)].append(case["case"])
                counts.causes[_cause(outcome)].append((outcome["command"], kinds))
    return counts


def _cause(outcome: dict[str, Any]) -> str:
    """A failure's cause: the exception for a traceback, what was missed or lost otherwise."""
    if outcome["kind"] == "traceback":
        return f"traceback: `{outcome['exit']}`"
    if outcome["kind"] == "silent":
        reason, _, what = outcome["detail"].partition(": ")
        missed = ", ".join(sorted(set(what.split(", ")))) if "without a word" in reason else ""
        return f"silent: {reason}" + (f" ({missed})" if missed else "")
    return f"{outcome['kind']}: {outcome['detail']}"


def _causes(counts: Tally) -> list[str]:
    """A table of failures by cause, with the commands and mutations they came with."""
    lines = ["| cause | runs | commands | mutations (most frequent) |", "|---|---|---|---|"]
    for cause, runs in sorted(counts.causes.items(), key=lambda c: (-len(c[1]), c[0])):
        commands = Counter(command for command, _ in runs)
        mutations = Counter(m for _, kinds in runs for m in kinds)
        lines.append(
            f"| {cause} | {len(runs)} | {', '.join(sorted(commands))} | "
            f"{', '.join(m for m, _ in mutations.most_common(3))} |"
        )
    return lines


def _cell(values: list[int]) -> str:
    """One count, or before → after."""
    return "" if not any(values) else " → ".join(str(v) for v in values)


def _table(
    rows: dict[str, list[Counter[str]]], first: str, cases: dict[str, str] | None = None
) -> str:
    head = [first, *(["cases"] if cases else []), "runs", *KINDS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, counts in rows.items():
        cells = [name, *([cases[name]] if cases else [])]
        cells.append(_cell([sum(c.values()) for c in counts]))
        cells += [_cell([c[k] for c in counts]) for k in KINDS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summarise(runs: list[dict[str, Any]]) -> str:
    """Markdown: outcomes in all, per command, per mutation kind and each distinct failure;
    with two runs, each figure as before → after."""
    tallies = [tally(run["cases"]) for run in runs]
    out = []
    for run, counts in zip(runs, tallies, strict=True):
        formats = ", ".join(f"{n} {fmt}" for fmt, n in counts.formats.items())
        out.append(
            f"- {run['source']}, {run['when']} on {run['machine']}: {sum(counts.formats.values())}"
            f" corrupted parks and workbooks ({formats}), {sum(counts.total.values())} command"
            f" runs, {counts.seconds:.0f} s in commands."
        )
    if len(runs) == 2:
        same = [a["case"] for a in runs[0]["cases"]] == [b["case"] for b in runs[1]["cases"]]
        out.append(f"- The two runs drew {'the same' if same else 'different'} cases.")
    commands = sorted({c for t in tallies for c in t.commands})
    mutations = sorted({m for t in tallies for m in t.mutations})
    out += [
        "",
        _table({"all commands": [t.total for t in tallies]}, ""),
        "",
        "Per command:",
        "",
        _table({c: [t.commands.get(c, Counter()) for t in tallies] for c in commands}, "command"),
        "",
        "Per mutation kind (a run counts for every kind its park carries):",
        "",
        _table(
            {m: [t.mutations.get(m, Counter()) for t in tallies] for m in mutations},
            "mutation",
            {m: _cell([t.cases[m] for t in tallies]) for m in mutations},
        ),
    ]
    for run, counts in zip(runs, tallies, strict=True):
        out += ["", f"Failures of {run['source']} by cause:", ""]
        out += _causes(counts) if counts.causes else ["none."]
    for run, counts in zip(runs, tallies, strict=True):
        out += ["", f"Distinct failures of {run['source']}:", ""]
        if not counts.failures:
            out.append("none.")
            continue
        out += ["| command | outcome | last line | runs | first case |", "|---|---|---|---|---|"]
        for (command, kind, line), described in sorted(
            counts.failures.items(), key=lambda f: (-len(f[1]), f[0])
        ):
            shown = line.replace("|", "\\|")
            out.append(f"| {command} | {kind} | `{shown}` | {len(described)} | {described[0]} |")
    if any(run.get("hand") for run in runs):
        head = ["before", "after"] if len(runs) == 2 else ["status"]
        out += [
            "",
            "Hand-found cases:",
            "",
            f"| case | {' | '.join(head)} |",
            "|---|" + "---|" * len(runs),
        ]
        statuses = [dict(run.get("hand", [])) for run in runs]
        for name in dict.fromkeys(n for run in runs for n, _ in run.get("hand", [])):
            cells = [(s.get(name, "not run") or "passes").replace("|", "/") for s in statuses]
            out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


# --- hand-found cases ----------------------------------------------------------------------

MAIN = "import sys; from symbionet.present.cli import main; sys.argv[0] = 'symbionet'; main()"
DESIGN_SAVE = (
    "import sys; from symbionet import load_park; from symbionet.optimisation.solve import design; "
    "park = load_park(sys.argv[1]); design(park); park.save(sys.argv[2])"
)
BOMB = "\n".join(
    ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
)
NO_EXCHANGES = {"exchanges.csv": None}
NO_SUPPLY = {
    **NO_EXCHANGES,
    "streams.csv": "id,site,direction,resource,quantity,unit\n"
    "nat,b1,demand,natural_gypsum,60,kt/yr\n",
}
FORMULA_ID = {
    "actors.csv": TINY["actors.csv"].replace("power,", "=1+2,"),
    "sites.csv": TINY["sites.csv"].replace(",power,", ",=1+2,"),
}


def _tiny(scratch: Path, files: dict[str, str | None] | None = None, base: str = "tiny") -> str:
    """A park written from a base, some files replaced (None: left out)."""
    park = scratch / "park"
    park.mkdir()
    for name, text in {**BASES[base], **(files or {})}.items():
        if text is not None:
            (park / name).write_text(text, encoding="utf-8")
    return str(park)


def _with(scratch: Path, file: str, old: str, new: str, base: str = "tiny") -> str:
    text = BASES[base][file]
    assert old in text, old
    return _tiny(scratch, {file: text.replace(old, new)}, base)


def _user_folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "notes.txt").write_text("the user's own notes\n", encoding="utf-8")
    return path


Setup = Callable[[Path], list[str]]
Verdict = Callable[[int, str, Path], str]


def _answered(code: int, output: str, scratch: Path) -> str:
    """'' when the command ended with a result or a clear error."""
    if code == -9 or "MemoryError" in output:
        return "killed: out of memory"
    if code == 124:
        return "did not finish in 120 s"
    if "Traceback" in output or code not in (0, 1, 2):
        lines = [line for line in output.strip().splitlines() if line.strip()]
        return f"traceback: {lines[-1][:120] if lines else code}"
    return ""


def _refused(code: int, output: str, scratch: Path) -> str:
    return _answered(code, output, scratch) or ("" if code != 0 else "accepted")


def _keeps(relative: str) -> Verdict:
    def verdict(code: int, output: str, scratch: Path) -> str:
        if not (scratch / relative).exists():
            return f"deleted {relative}"
        return _answered(code, output, scratch)

    return verdict


def _flags(code: int, output: str, scratch: Path) -> str:
    """Refused, or accepted with a warning."""
    return _answered(code, output, scratch) or (
        "" if code != 0 or "warning" in output.lower() else "accepted without a word"
    )


def _no_text(text: str) -> Verdict:
    def verdict(code: int, output: str, scratch: Path) -> str:
        problem = _answered(code, output, scratch)
        written = "".join(
            p.read_text(encoding="utf-8", errors="replace")
            for p in scratch.rglob("*.csv")
            if "park" not in p.parts
        )
        return problem or (f"{text!r} passed through" if text in output + written else "")

    return verdict


def _not_ok(code: int, output: str, scratch: Path) -> str:
    return _answered(code, output, scratch) or (
        "reported ok" if code == 0 and "ok (time_limit" in output else ""
    )


def _kalundborg(scratch: Path) -> str:
    """The Kalundborg example as it stood at 25e9475 (a park that version can read)."""
    park = scratch / "kalundborg"
    park.mkdir()
    names = subprocess.run(
        ["git", "-C", str(ROOT), "ls-tree", "--name-only", "25e9475", "examples/kalundborg/"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in names:
        text = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"25e9475:{name}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (park / Path(name).name).write_text(text, encoding="utf-8")
    return str(park)


def _full_counts(code: int, output: str, scratch: Path) -> str:
    return _answered(code, output, scratch) or (
        "" if code != 0 or "4 exchanges" in output else f"rows dropped: {output.strip()[:80]}"
    )


def _stale_workbook(scratch: Path) -> list[str]:
    import re
    import zipfile

    exchanges = TINY["exchanges.csv"] + "".join(
        f"g{i},gyp,nat,1000,t/yr,truck,operating\n" for i in range(2, 5)
    )
    from symbionet import load_park

    book = scratch / "park.xlsx"
    load_park(_tiny(scratch, {"exchanges.csv": exchanges})).save(book)
    with zipfile.ZipFile(book) as archive:
        entries = [(i, archive.read(i)) for i in archive.infolist()]
    with zipfile.ZipFile(book, "w") as archive:
        for info, data in entries:
            archive.writestr(
                info, re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:G3"', data)
            )
    return ["check", str(book)]


def _deep_yaml(scratch: Path) -> list[str]:
    return [
        "check",
        _tiny(
            scratch,
            {"park.yaml": TINY["park.yaml"] + "prices: " + "[" * 100_000 + "]" * 100_000 + "\n"},
        ),
    ]


def _deep_json(scratch: Path) -> list[str]:
    (scratch / "park.json").write_text(
        '{"park": {"prices": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    )
    return ["check", str(scratch / "park.json")]


def _bomb(scratch: Path) -> list[str]:
    park = _tiny(
        scratch,
        {
            "park.yaml": TINY["park.yaml"]
            + "transport:\n"
            + "".join(f"  {line}\n" for line in BOMB.splitlines())
        },
    )
    return ["show", park, "--json"]


def _latin1(scratch: Path) -> list[str]:
    park = Path(_tiny(scratch))
    (park / "park.yaml").write_bytes("name: Nørre Ærø\ncountry: DK\nyear: 2023\n".encode("latin-1"))
    return ["check", str(park)]


def _dot(scratch: Path) -> list[str]:
    _user_folder(scratch / "cwd")
    return ["convert", _tiny(scratch), "."]


def _symlink(scratch: Path) -> list[str]:
    _user_folder(scratch / "mine")
    (scratch / "link").symlink_to(scratch / "mine")
    return ["convert", _tiny(scratch), str(scratch / "link")]


def _afile(scratch: Path) -> Path:
    (scratch / "afile").write_text("a file\n", encoding="utf-8")
    return scratch / "afile"


HAND: list[tuple[str, Setup, Verdict]] = [
    (
        "impact --year selecting no exchange",
        lambda s: [
            "impact",
            _with(
                s,
                "exchanges.csv",
                "status\ng1,gyp,nat,50000,t/yr,truck,operating",
                "status,start_year\ng1,gyp,nat,50000,t/yr,truck,operating,2020",
            ),
            "--year",
            "2000",
        ],
        _answered,
    ),
    (
        "impact --status selecting no exchange",
        lambda s: ["impact", _tiny(s), "--status", "ended"],
        _answered,
    ),
    ("impact on a park without exchanges", lambda s: ["impact", _tiny(s, NO_EXCHANGES)], _answered),
    ("share on a park without exchanges", lambda s: ["share", _tiny(s, NO_EXCHANGES)], _answered),
    (
        "stress on a park without exchanges",
        lambda s: ["stress", _tiny(s, NO_EXCHANGES), "--all-single"],
        _answered,
    ),
    (
        "report on a park without exchanges",
        lambda s: ["report", _tiny(s, NO_EXCHANGES), "--out", str(s / "r")],
        _answered,
    ),
    ("impact on a park without supply", lambda s: ["impact", _tiny(s, NO_SUPPLY)], _answered),
    ("share on a park without supply", lambda s: ["share", _tiny(s, NO_SUPPLY)], _answered),
    (
        "stress on a park without supply",
        lambda s: ["stress", _tiny(s, NO_SUPPLY), "--all-single"],
        _answered,
    ),
    (
        "report on a park without supply",
        lambda s: ["report", _tiny(s, NO_SUPPLY), "--out", str(s / "r")],
        _answered,
    ),
    ("show on a park without exchanges", lambda s: ["show", _tiny(s, NO_EXCHANGES)], _answered),
    ("design(park) then park.save()", lambda s: ["python", _tiny(s), str(s / "saved")], _answered),
    ("latin-1 park.yaml", _latin1, _answered),
    ("deeply nested YAML", _deep_yaml, _answered),
    ("deeply nested JSON", _deep_json, _answered),
    ("YAML alias bomb, then show --json", _bomb, _refused),
    (
        "control characters on the way to xlsx",
        lambda s: [
            "convert",
            _with(s, "actors.csv", "Power plant", "Power\x07plant"),
            str(s / "out.xlsx"),
        ],
        _answered,
    ),
    (
        "1e308 in design",
        lambda s: ["design", _with(s, "streams.csv", "200,t/day", "1e308,t/day")],
        _answered,
    ),
    (
        "1e308 in targets",
        lambda s: ["target", "site", _with(s, "streams.csv", "20,GWh/yr", "1e308,GWh/yr", "small")],
        _answered,
    ),
    (
        "report to an unwritable path",
        lambda s: ["report", _tiny(s), "--out", str(_afile(s) / "r")],
        _refused,
    ),
    (
        "discover --csv to an unwritable path",
        lambda s: ["discover", _tiny(s), "--csv", str(_afile(s) / "c.csv")],
        _refused,
    ),
    (
        "convert to an unwritable path",
        lambda s: ["convert", _tiny(s), str(_afile(s) / "out")],
        _refused,
    ),
    (
        "generate --seed -1",
        lambda s: ["generate", "--out", str(s / "g"), "--sites", "5", "--seed", "-1"],
        _answered,
    ),
    ("design --gap -1", lambda s: ["design", _tiny(s), "--gap", "-1"], _refused),
    ("design --time-limit -5", lambda s: ["design", _tiny(s), "--time-limit", "-5"], _refused),
    (
        "design --time-limit 0 on Kalundborg reports ok",
        lambda s: ["design", _kalundborg(s), "--time-limit", "0"],
        _not_ok,
    ),
    (
        "convert into a folder of the user's files",
        lambda s: ["convert", _tiny(s), str(_user_folder(s / "mine"))],
        _keeps("mine/notes.txt"),
    ),
    ("convert into .", _dot, _keeps("cwd/notes.txt")),
    ("convert through a symlink to the user's folder", _symlink, _keeps("mine/notes.txt")),
    (
        "generate into a folder of the user's files",
        lambda s: ["generate", "--out", str(_user_folder(s / "mine")), "--sites", "5"],
        _keeps("mine/notes.txt"),
    ),
    ("stale dimension record in a workbook", _stale_workbook, _full_counts),
    (
        "Danish thousands 65.000 in a quantity",
        lambda s: ["check", _with(s, "streams.csv", "10,m3/h", '"10.000",m3/h')],
        _flags,
    ),
    (
        "Danish decimal 1.500,5 in a quantity",
        lambda s: ["check", _with(s, "streams.csv", "10,m3/h", '"1.500,5",m3/h')],
        _flags,
    ),
    (
        "end year before start year",
        lambda s: [
            "check",
            _with(
                s,
                "exchanges.csv",
                "status\ng1,gyp,nat,50000,t/yr,truck,operating",
                "status,start_year,end_year\ng1,gyp,nat,50000,t/yr,truck,operating,2020,2010",
            ),
        ],
        _flags,
    ),
    (
        "formula-like actor id in discover --csv",
        lambda s: [
            "discover",
            _tiny(s, FORMULA_ID),
            "--csv",
            str(s / "c.csv"),
        ],
        _no_text(",=1+2"),
    ),
    (
        "terminal escape code in a name",
        lambda s: ["show", _with(s, "actors.csv", "Power plant", "\x1b]0;x\x07Power")],
        _no_text("\x1b]0;"),
    ),
]


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_hand() -> list[tuple[str, str]]:
    """Each hand-found case in its own process: '' when it no longer fails, else how it fails."""
    results = []
    for name, setup, verdict in HAND:
        with tempfile.TemporaryDirectory(prefix="symbionet-hand-") as folder:
            scratch = Path(folder)
            args = setup(scratch)
            program = DESIGN_SAVE if args[0] == "python" else MAIN
            command = [sys.executable, "-c", program, *(args[1:] if args[0] == "python" else args)]
            cwd = scratch / "cwd" if (scratch / "cwd").exists() else scratch
            try:
                done = subprocess.run(
                    command,
                    capture_output=True,
                    text=True,
                    errors="replace",
                    cwd=cwd,
                    timeout=TIMEOUT,
                    preexec_fn=_limit,
                    check=False,
                )
                code, output = done.returncode, done.stdout + done.stderr
            except subprocess.TimeoutExpired:
                code, output = 124, ""
            results.append((name, verdict(code, output, scratch)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1020, help="corrupted parks in all")
    parser.add_argument("--hand", action="store_true", help="also run the hand-found cases")
    parser.add_argument("--json", type=Path, help="write the run's outcomes to this file")
    parser.add_argument(
        "--compare", type=Path, nargs=2, metavar="JSON", help="print two runs, before → after"
    )
    options = parser.parse_args()
    if options.compare:
        runs = [json.loads(path.read_text(encoding="utf-8")) for path in options.compare]
        print(summarise(runs))
        return
    run = {
        "source": source(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(),
        "cases": run_fuzz(options.examples) if options.examples else [],
        "hand": run_hand() if options.hand else [],
    }
    if options.json:
        options.json.write_text(json.dumps(run, indent=1, default=str), encoding="utf-8")
    print(summarise([run]))


if __name__ == "__main__":
    main()
