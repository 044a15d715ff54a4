"""``symbionet site``: where candidate entrants go on a park's free plots, and why."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from symbionet.present.output import (
    CsvOption,
    ForceFlag,
    JsonFlag,
    Output,
    XlsxOption,
    console,
    say,
)

if TYPE_CHECKING:
    from symbionet.present.tables import Money
    from symbionet.siting.placement import SitingResult

EntrantsFile = Annotated[
    Path,
    typer.Option(
        "--entrants", help="YAML file of candidate entrants: area, zoning and streams each."
    ),
]


Source = Annotated[
    str,
    typer.Argument(
        help="Park folder, .xlsx workbook or .json file; or a national dataset (a folder "
        "with national.yaml, or a database URL) to site across all its parks."
    ),
]


def site(
    park: Source,
    entrants: EntrantsFile,
    top: Annotated[int, typer.Option("--top", help="Alternatives shown per entrant.")] = 3,
    max_plots: Annotated[
        int, typer.Option("--max-plots", help="Most adjacent plots one entrant may take.")
    ] = 3,
    land_years: Annotated[
        float,
        typer.Option("--land-years", help="Years over which a plot's price is annualised."),
    ] = 30.0,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Site candidate entrants on the park's free plots (plots.csv): the placements worth
    most together, the exchanges that make each worth it, and each entrant's best
    alternatives, amounts in the park's currency. Given a national dataset, the plots of
    every park compete, and each entrant's best park is listed."""
    from symbionet.national import load_national
    from symbionet.national.dataset import NATIONAL_FILE
    from symbionet.present.tables import Money
    from symbionet.register.park import load_park
    from symbionet.siting.placement import SitingOptions
    from symbionet.siting.placement import site as site_entrants

    output = Output(as_json, csv, xlsx, force)
    options = SitingOptions(max_plots=max_plots, land_years=land_years, top=top)
    national = "://" in park or (Path(park) / NATIONAL_FILE).is_file()
    loaded = load_national(park).view if national else load_park(Path(park))
    money = Money.of(loaded)
    result = site_entrants(loaded, entrants, options)
    output.send(result.tables(), result.to_dict, lambda: _show(result, money), money)


def _show(result: SitingResult, money: Money) -> None:
    from symbionet.present.tables import rich_table

    shown = money.frame(result.alternatives)
    for entrant, row in result.placements.iterrows():
        if isinstance(row["plots"], str):
            park = f" in {row['park']}" if row["park"] else ""
            say(
                f"{row['name']} ({entrant}): plots {row['plots']}{park}, "
                f"net {money.amount(row['net_eur'], 'yr')}",
                style="bold",
            )
        else:
            say(f"{row['name']} ({entrant})", style="bold")
        say(f"  {row['explanation']}")
        mine = shown[shown["entrant"] == entrant].drop(columns=["entrant", "explanation"])
        if not mine.empty:
            console.print(rich_table(mine.set_index("rank"), "Alternatives, each alone", True))
    if result.parks["park"].nunique() > 1:
        best = money.frame(result.parks).set_index(["entrant", "rank"])
        console.print(rich_table(best, "Best option in each park, each alone", True, period="yr"))
    placed = result.placements.drop(columns=["explanation"])
    console.print(rich_table(money.frame(placed), "Placements", True, period="yr"))
    if result.status != "ok":
        say(f"The assignment is not proven optimal: {result.status}.", style="yellow")


__all__ = ["site"]
