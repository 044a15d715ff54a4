"""``symbionet national``: a national dataset's parks, and the candidate exchanges within
and between its parks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from symbionet.present.cli_cluster import (
    RegionsOption,
    SchedulerOption,
    WorkersOption,
    regions_for,
)
from symbionet.present.output import (
    CsvOption,
    ForceFlag,
    JsonFlag,
    Output,
    XlsxOption,
    console,
    err_console,
    print_json,
    say,
)

BETWEEN_COLUMNS = ["supplier_park", "receiver_park", "supply", "demand", "resource", "quantity"]
BETWEEN_COLUMNS += ["unit", "mode", "route", "distance_km", "route_km", "transport_eur", "co2e_t"]
BETWEEN_COLUMNS += ["value_eur"]
"""Columns of the candidates between parks shown on the terminal."""


def register(app: typer.Typer) -> None:
    """Add ``national`` to the command line ``app``."""
    app.command("national")(national_command)


def national_command(
    source: Annotated[
        str,
        typer.Argument(
            help="National dataset: a folder with national.yaml and one park folder per park, "
            "or a database URL (sqlite:///parks.db) whose parks it reads."
        ),
    ],
    top: Annotated[int, typer.Option(min=0, help="Show the best N between parks (0: all).")] = 10,
    max_km: Annotated[
        float | None, typer.Option("--max-km", help="Farthest straight-line distance, km.")
    ] = None,
    resource: Annotated[
        str | None,
        typer.Option(help="Only exchanges of this class (water, energy, material) or resource."),
    ] = None,
    per_demand: Annotated[
        int,
        typer.Option(
            "--per-demand",
            min=1,
            help="Nearest compatible supplies kept per demand: more finds more between parks.",
        ),
    ] = 10,
    regions: RegionsOption = None,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """The national view: each park, and the candidate exchanges within and between parks,
    with how each between parks would travel and what that costs and emits."""
    from symbionet.executors import executor_for
    from symbionet.national import load_national, national_candidates
    from symbionet.present.progress import progress_display
    from symbionet.present.tables import Money, rich_table

    out = Output(as_json, csv, xlsx, force)
    national = load_national(source)
    with (
        executor_for(workers, scheduler) as pool,
        progress_display(err_console, "national discovery") as progress,
    ):
        result = national_candidates(
            national,
            top=top or None,
            max_km=max_km,
            resource=resource,
            per_demand=per_demand,
            executor=pool,
            regions=regions_for(regions, workers, scheduler),
            progress=progress,
        )
    money = Money.of(national.view)

    def show() -> None:
        say(f"{national.view.name}: {len(national.parks)} parks")
        console.print(rich_table(result.parks, "Parks", True))
        console.print(rich_table(money.frame(result.links), "Candidate exchanges", True))
        between = result.between[BETWEEN_COLUMNS]
        title = f"Best {len(between)} candidates between parks"
        console.print(rich_table(money.frame(between), title, True))

    out.send(result.tables(), result.to_dict, show, money)


def generate_national(
    out: Path, parks: int, sites: int, seed: int, force: bool, as_json: bool
) -> None:
    """``symbionet generate --national N``: write a synthetic national dataset to ``out``."""
    from symbionet.discovery.generate import write_national
    from symbionet.present import summary

    written = write_national(out, parks, sites, seed, force=force)
    counts = {key: summary.counts(park) for key, park in written.items()}
    if as_json:
        print_json({"written": str(out), "parks": counts})
    else:
        for key, numbers in counts.items():
            say(
                f"wrote {out / key}: "
                + ", ".join(f"{n} {name}" for name, n in numbers.items() if n)
            )
        say(f"wrote {out / 'national.yaml'}: {len(written)} parks")


__all__ = ["BETWEEN_COLUMNS", "generate_national", "national_command", "register"]
