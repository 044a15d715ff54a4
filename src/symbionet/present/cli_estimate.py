"""``symbionet estimate``: the typical streams of a park's sites, from their sector and size."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from symbionet.present.output import (
    CsvOption,
    ForceFlag,
    JsonFlag,
    Output,
    ParkPath,
    XlsxOption,
    console,
    say,
)

SHOWN = ["site", "direction", "resource", "quantity", "quantity_low", "quantity_high", "unit"]
"""The columns the terminal shows; --json, --csv and --xlsx give every column."""

CoefficientsOption = Annotated[
    Path | None,
    typer.Option(
        "--coefficients",
        help="CSV of one's own sector coefficients (the columns of the bundled table); "
        "they take the place of the bundled ones.",
    ),
]
DryRunFlag = Annotated[
    bool,
    typer.Option("--dry-run", help="Only show the estimates; the park is left as it is."),
]


def estimate(
    park: ParkPath,
    dry_run: DryRunFlag = False,
    coefficients: CoefficientsOption = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Estimate the streams a park does not register yet from each site's sector (NACE code)
    and size (the site's employees, production or floor area; the actor's employees for
    an actor's only site), and write them into the park's streams in place: provenance
    estimated, confidence low, a low-high range and the source with its working. Rerun
    after a change: earlier estimates are replaced, measured and reported streams never."""
    from symbionet.register.estimates import estimate_streams, fill_estimates, read_coefficients
    from symbionet.register.park import load_park
    from symbionet.register.rewrite import write_tables
    from symbionet.register.write import writable

    output = Output(as_json, csv, xlsx, force)
    table = None if coefficients is None else read_coefficients(coefficients)
    loaded = load_park(park)
    estimates = estimate_streams(loaded, table)
    written: list[str] = []
    if not dry_run:
        writable(park if not Path(park).is_dir() else Path(park) / "streams.csv")
        filled = fill_estimates(loaded, table)
        written = [str(file) for file in write_tables(filled, park, ["streams"])]
    shown = estimates.reset_index()

    def data() -> dict[str, object]:
        from symbionet.results import plain

        return {
            "park": loaded.name,
            "dry_run": dry_run,
            "estimates": plain(shown.to_dict(orient="records")),
            "written": written,
        }

    def show() -> None:
        from symbionet.present.tables import rich_table

        if shown.empty:
            say("no stream to estimate: no site with a NACE code and a size lacks one")
        else:
            title = f"{len(shown)} estimated streams of {loaded.name}"
            console.print(rich_table(shown.set_index("id")[SHOWN], title, True, period=None))
        for file in written:
            say(f"wrote {file}")
        if dry_run and not shown.empty:
            say("dry run: nothing written")

    output.send({"estimates": shown}, data, show)
    if not output.terminal and not output.as_json:
        for file in written:
            say(f"wrote {file}")


def register(app: typer.Typer) -> None:
    """Add ``estimate`` to the command line."""
    app.command()(estimate)


__all__ = ["estimate", "register"]
