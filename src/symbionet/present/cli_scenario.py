"""``symbionet scenario``: a park's what-if scenarios run side by side with the base."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from symbionet.present.cli_cluster import SchedulerOption, WorkersOption
from symbionet.present.output import (
    CsvOption,
    ForceFlag,
    JsonFlag,
    Output,
    ParkPath,
    XlsxOption,
    console,
    err_console,
    say,
)

if TYPE_CHECKING:
    import pandas as pd

    from symbionet.present.tables import Money
    from symbionet.scenarios.compare import ScenarioResult

OUT_SUFFIXES = (".json", ".csv", ".xlsx")

Names = Annotated[
    list[str] | None,
    typer.Argument(help="Scenarios to run, by name (default: every scenario of the park)."),
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Write the results to this file: .json (everything), .csv (the key figures) "
        "or .xlsx (every table, a sheet each).",
    ),
]


def scenario(
    park: ParkPath,
    names: Names = None,
    objective: Annotated[
        str, typer.Option(help="The design's objective: cost, co2 or freshwater.")
    ] = "cost",
    time: Annotated[
        str, typer.Option(help="Time resolution: annual, monthly, hourly or typical-days:N.")
    ] = "annual",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    out: OutOption = None,
    force: ForceFlag = False,
) -> None:
    """Run the park's scenarios (scenarios.csv) beside the base: key figures side by side
    and their differences from the base, amounts in the park's currency."""
    from symbionet.executors import executor_for
    from symbionet.optimisation.options import DesignOptions
    from symbionet.present.progress import progress_display
    from symbionet.present.tables import Money, check_export
    from symbionet.register.park import load_park
    from symbionet.scenarios import ScenarioOptions, run_scenarios

    output = Output(as_json, csv, xlsx, force)
    target = check_export(out, force, OUT_SUFFIXES) if out is not None else None
    options = ScenarioOptions(design=DesignOptions(objective=objective, time=time, prices=False))
    loaded = load_park(park)
    money = Money.of(loaded)
    with (
        executor_for(workers, scheduler) as pool,
        progress_display(err_console, "scenarios") as progress,
    ):
        result = run_scenarios(loaded, names or None, options, pool, progress)
    if target is not None:
        _write(result, target, money, force)
    shown = result.in_currency()
    tables = {**shown, "runs": result.runs, "changes": result.changes}
    # the terminal states the rates itself: each run at its own
    output.send(tables, result.to_dict, lambda: _show(result), None if output.terminal else money)


def _show(result: ScenarioResult) -> None:
    from symbionet.present.tables import rich_table

    shown = result.in_currency()
    console.print(
        rich_table(shown["figures"], "Key figures, base and scenarios", period="yr", row_units=True)
    )
    if not shown["differences"].empty:
        console.print(
            rich_table(
                shown["differences"],
                "Differences: scenario minus base",
                period="yr",
                row_units=True,
            )
        )
        console.print(
            rich_table(_partner_view(shown["partners"]), "Net saving per partner", period="yr")
        )
        console.print(
            rich_table(
                _partner_view(shown["partner_differences"]),
                "Net saving per partner: scenario minus base",
                period="yr",
            )
        )
    runs = result.runs.copy()
    runs["digest"] = runs["digest"].str[:12]
    console.print(rich_table(runs.drop(columns=["changes"]), "Runs", period=None))
    rates = result.runs["rate"]
    if result.currency != "EUR":
        base = float(rates.iloc[0])
        say(
            f"Amounts in {result.currency}, each run at its own rate ({result.currency} per EUR);"
            f" the base at {base:g}.",
            style="dim",
        )
    say(f"Park data {result.digest[:12]}; {result.catalogue}.", style="dim")


def _partner_view(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename_axis(None, axis=1)


def _write(result: ScenarioResult, target: Path, money: Money, force: bool) -> None:
    from symbionet.present.tables import export_tables
    from symbionet.register.write import write_text
    from symbionet.results import plain

    if target.suffix.lower() == ".json":
        payload = {**result.to_dict(), "currency": money.to_dict()}
        write_text(target, json.dumps(plain(payload), indent=2, allow_nan=False) + "\n")
        written = target
    else:
        shown = result.in_currency()
        tables = {**shown, "runs": result.runs, "changes": result.changes}
        if target.suffix.lower() == ".csv":
            tables = {"figures": shown["figures"]}
        written = export_tables(tables, target, force)
    say(f"wrote {written}")


__all__ = ["scenario"]
