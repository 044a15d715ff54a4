"""The ``symbionet`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from symbionet.discovery.engine import discover as find_candidates
from symbionet.discovery.generate import generate_park
from symbionet.discovery.screening import screen as screen_sectors
from symbionet.errors import Problem, SymbionetError
from symbionet.present import summary
from symbionet.present.summary import printable
from symbionet.register.catalogue import load_catalogue
from symbionet.register.park import Park, load_park
from symbionet.register.write import check_target, csv_text, save_format, writable, write_text

if TYPE_CHECKING:
    from symbionet.optimisation.result import DesignResult

app = typer.Typer(
    name="symbionet",
    help="Industrial symbiosis: register, discover, design, assess and present resource exchanges.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
from symbionet.present.cli_target import target_app  # noqa: E402

app.add_typer(target_app, name="target", help="Heat and water integration targets (pinch).")
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, soft_wrap=True)

ParkPath = Annotated[Path, typer.Argument(help="Park folder, .xlsx workbook or .json file.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
ForceFlag = Annotated[
    bool, typer.Option("--force", help="Overwrite the target if it is a park already.")
]


def main() -> None:
    """Entry point: bad input ends with its problems listed and exit code 1, never a traceback."""
    try:
        app()
    except SymbionetError as error:
        _print_problems(error.problems)
        sys.exit(1)


def _print_problems(problems: list[Problem]) -> None:
    """Each problem on its own line, then how many errors and warnings there are."""
    for problem in problems:
        err_console.print(printable(str(problem)), markup=False, highlight=False)
    warnings = sum(p.severity == "warning" for p in problems)
    errors = len(problems) - warnings
    counts = [_plural(errors, "error"), _plural(warnings, "warning")]
    shown = ", ".join(c for c in counts if not c.startswith("0 "))
    err_console.print(shown, style="red" if errors else "yellow", markup=False)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _user(text: object) -> str:
    """User text inside a markup string: shown as written, never as markup or escape codes."""
    return escape(printable(str(text)))


def rich_table(frame: pd.DataFrame, title: str | None = None, index: bool = True) -> Table:
    """A pandas table as a rich table, numbers right-aligned and thousands separated."""
    table = Table(title=title, title_justify="left", header_style="bold")
    shown = frame.reset_index() if index and any(frame.index.names) else frame
    for name in shown.columns:
        numeric = pd.api.types.is_numeric_dtype(shown[name]) and not pd.api.types.is_bool_dtype(
            shown[name]
        )
        table.add_column(Text(printable(str(name))), justify="right" if numeric else "left")
    for row in shown.itertuples(index=False):
        table.add_row(*(Text(_cell(v)) for v in row))
    return table


def _cell(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return printable(str(value))


def _json(data: object) -> None:
    print(json.dumps(data, indent=2, default=str, allow_nan=False))


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    shown = frame.reset_index() if any(frame.index.names) else frame
    return json.loads(shown.to_json(orient="records"))


@app.command()
def check(park: ParkPath, as_json: JsonFlag = False) -> None:
    """Validate a park: exit 0 if valid, else list every problem as file:row:column, exit 1.
    Warnings are listed too but do not fail the check."""
    loaded: Park | None = None
    try:
        loaded = load_park(park)
        problems = loaded.warnings
    except SymbionetError as error:
        problems = error.problems
    if as_json:
        _json([problem.to_dict() for problem in problems])
        if loaded is None:
            raise typer.Exit(1)
        return
    if loaded is None:
        raise SymbionetError(problems)
    if problems:
        _print_problems(problems)
    counts = ", ".join(f"{n} {name}" for name, n in summary.counts(loaded).items() if n)
    console.print(f"[green]ok[/green] {_user(loaded.name)}: {counts}")


def print_park(park: Park, as_json: bool = False) -> None:
    """Actors, sites, streams, exchanges and totals per resource class."""
    streams, exchanges = summary.stream_table(park), summary.exchange_table(park)
    totals = summary.resource_totals(park)
    if as_json:
        _json(
            {
                "park": park.meta,
                "counts": summary.counts(park),
                "actors": _records(park.actors),
                "sites": _records(park.sites),
                "streams": _records(streams),
                "exchanges": _records(exchanges),
                "totals": _records(totals),
            }
        )
        return
    meta = park.meta
    console.print(
        f"[bold]{_user(park.name)}[/bold] "
        f"({_user(meta.get('country', ''))} {_user(meta.get('year', ''))})"
    )
    if meta.get("description"):
        console.print(Text(printable(str(meta["description"]))))
    actors = park.actors[["name", "kind", "nace"]].copy()
    actor_of_stream = streams["actor"]
    actors["sites"] = park.sites.groupby("actor").size().reindex(actors.index, fill_value=0)
    actors["streams"] = actor_of_stream.value_counts().reindex(actors.index, fill_value=0)
    console.print(rich_table(actors, "Actors"))
    console.print(rich_table(park.sites[["actor", "name", "lat", "lon"]], "Sites"))
    console.print(
        rich_table(streams.drop(columns=["class", "site"]), "Streams (per_year in canonical units)")
    )
    if len(exchanges):
        console.print(rich_table(exchanges, "Exchanges"))
    console.print(rich_table(totals, "Totals per resource class (per year)", index=False))


@app.command()
def show(
    park: ParkPath,
    as_actor: Annotated[
        str | None, typer.Option("--as", help="Show only what this actor may see.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show a park: actors, sites, streams, exchanges and totals per resource class."""
    loaded = load_park(park)
    print_park(loaded.visible_to(as_actor) if as_actor else loaded, as_json)


@app.command()
def convert(
    park: ParkPath,
    out: Annotated[Path, typer.Argument(help="Target: a folder, an .xlsx or a .json file.")],
    force: ForceFlag = False,
) -> None:
    """Convert a park between folder, Excel workbook and JSON (lossless both ways).
    An existing park at the target is replaced only with --force; nothing else is."""
    check_target(out, save_format(out) == "folder", force)
    written = load_park(park).save(out, force=force)
    console.print(f"wrote {_user(written)}")


@app.command()
def catalogue(
    query: Annotated[
        str, typer.Argument(help="Words to search for (id, name, synonym, EWC).")
    ] = "",
    park: Annotated[
        Path | None, typer.Option(help="Park whose catalogue.yaml extends the shipped one.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Browse and search the resource catalogue."""
    cat = load_park(park).catalogue if park else load_catalogue()
    found = cat.search(query)
    if as_json:
        _json({"version": cat.version, "resources": _records(found)})
        return
    if len(found) == 1:
        resource = cat.resources[str(found.index[0])]
        console.print_json(resource.model_dump_json(by_alias=True, exclude_none=True))
        refs = {
            f.ref for f in (resource.price, resource.emission_factor, *resource.substitutes) if f
        }
        for ref in sorted(refs):
            source = cat.references[ref]
            line = f"[{ref}] {source.title} ({source.year or 'n.d.'}) {source.url or ''}"
            console.print(Text(printable(line)))
        return
    columns = [
        "name",
        "class",
        "unit",
        "ewc",
        "price",
        "price_unit",
        "emission_factor",
        "emission_unit",
        "substitutes",
    ]
    console.print(rich_table(found[columns], f"Catalogue {cat.version}: {len(found)} resources"))


@app.command()
def run(
    park: ParkPath = Path("examples/kalundborg"),
    out: Annotated[Path, typer.Option(help="Folder for the report.")] = Path("out"),
) -> None:
    """The main job on a park: check it, summarise it, assess it and write its report."""
    loaded = load_park(park)
    writable(out / _slug(loaded.name) / "report.html")
    console.print(f"[green]ok[/green] {_user(park)} is a valid park")
    print_park(loaded)
    target = _write_full_report(loaded, out / _slug(loaded.name), pdf=False)
    console.print(f"[bold]Report:[/bold] {_user(target.resolve())}")


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "park"


def _write_full_report(park: Park, out: Path, pdf: bool) -> Path:
    """Impact, benefit shares and resilience of a park, written as one report."""
    from rich.progress import Progress

    from symbionet.assessment.resilience import stress as stress_park
    from symbionet.assessment.sharing import share as share_benefit
    from symbionet.present.report import share_section, stress_section, write_report

    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task("benefit shares: solving coalitions", total=None)
        shares = share_benefit(
            park, progress=lambda done, total: progress.update(task, completed=done, total=total)
        )
        progress.update(task, description="resilience: removing each partner", total=None)
        resilience = stress_park(park, all_single=True)
    return write_report(
        park, out, pdf=pdf, extra=[share_section(shares), stress_section(resilience)]
    )


@app.command()
def report(
    park: ParkPath,
    out: Annotated[Path, typer.Option(help="Folder to write report.html into.")] = Path("out"),
    pdf: Annotated[bool, typer.Option(help="Also print report.pdf with a local Chromium.")] = False,
) -> None:
    """Write a self-contained HTML report: map, Sankey, KPIs per partner, benefit shares,
    resilience ranking and method notes."""
    writable(out / "report.html")
    target = _write_full_report(load_park(park), out, pdf)
    written = f"{target}" + (f" and {target.with_suffix('.pdf')}" if pdf else "")
    console.print(f"wrote {_user(written)}")


@app.command()
def schema(
    fmt: Annotated[str, typer.Option("--format", help="json (JSON Schema) or markdown.")] = "json",
) -> None:
    """Print the park format, generated from the column declarations."""
    from symbionet.register.schema import json_schema, markdown

    if fmt not in {"json", "markdown"}:
        raise SymbionetError(f"--format must be json or markdown, not {fmt!r}")
    print(markdown() if fmt == "markdown" else json.dumps(json_schema(), indent=2))


@app.command()
def impact(
    park: ParkPath,
    year: Annotated[
        int | None, typer.Option(help="Count only exchanges active in this year.")
    ] = None,
    status: Annotated[
        list[str] | None, typer.Option(help="Exchange statuses to count (default: operating).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Yearly CO2e, water, materials, waste and money saved against the no-symbiosis baseline."""
    from symbionet.assessment.accounting import METHOD, negative_figures
    from symbionet.assessment.accounting import impact as assess_impact

    loaded = load_park(park)
    result = assess_impact(loaded, statuses=tuple(status or ["operating"]), year=year)
    if as_json:
        _json(result.to_dict())
        return
    console.print(f"[bold]{_user(loaded.name)}[/bold]: impact of {len(result.exchanges)} exchanges")
    columns = ["supplier", "receiver", "resource", "replaces", "amount", "unit", "co2e_t"]
    columns += ["groundwater_m3", "net_saving_eur"]
    console.print(rich_table(result.exchanges[columns], "Per exchange (per year)"))
    console.print(rich_table(result.partners, "Per partner (per year)"))
    console.print(rich_table(result.park.rename_axis("total"), "Park totals (per year)"))
    for note in negative_figures(result, loaded.catalogue):
        console.print(_user(note))
    console.print(f"[dim]Method: {METHOD} Data: {_user(loaded.catalogue.label)}.[/dim]")


@app.command("design")
def design_command(
    park: ParkPath,
    objective: Annotated[
        str, typer.Option(help="What to minimise: cost, co2 or freshwater.")
    ] = "cost",
    time: Annotated[
        str, typer.Option(help="annual, monthly, hourly or typical-days:N.")
    ] = "annual",
    pareto: Annotated[
        str | None, typer.Option(help="Trade-off curve between two objectives, e.g. cost,co2.")
    ] = None,
    points: Annotated[int, typer.Option(help="Points on the trade-off curve.")] = 7,
    actors: Annotated[
        str | None, typer.Option(help="Only these actors (comma-separated ids).")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Leave out this exchange (repeatable).")
    ] = None,
    operate: Annotated[
        bool, typer.Option(help="Run the operating network only, with no new investment.")
    ] = False,
    greenfield: Annotated[
        bool, typer.Option(help="Price operating exchanges as if still to be built.")
    ] = False,
    gap: Annotated[float, typer.Option(help="Relative optimality gap for the MILP.")] = 0.01,
    time_limit: Annotated[float | None, typer.Option(help="Solver time limit in seconds.")] = None,
    verbose: Annotated[bool, typer.Option(help="Show the solver log.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Design the network: what to build and how to run it, at least cost, CO2e or freshwater."""
    from symbionet.optimisation.solve import design
    from symbionet.optimisation.tradeoff import pareto as trade_off
    from symbionet.optimisation.tradeoff import parse_objectives

    loaded = load_park(park)
    options: dict[str, Any] = {
        "time": time,
        "actors": [a.strip() for a in actors.split(",")] if actors else None,
        "exclude_exchanges": exclude or [],
        "mode": "operate" if operate else "invest",
        "greenfield": greenfield,
        "mip_gap": gap,
        "time_limit": time_limit,
        "verbose": verbose,
    }
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    quiet = not err_console.is_terminal
    with Progress(*columns, console=err_console, transient=True, disable=quiet) as progress:
        task = progress.add_task("designing", total=1.0)

        def report(message: str, done: float) -> None:
            progress.update(task, description=message, completed=done)

        if pareto:
            curve = trade_off(loaded, parse_objectives(pareto), points, report=report, **options)
        else:
            result = design(
                loaded,
                objective=objective,
                progress=lambda message, done, total: report(message, done),
                **options,
            )
    if as_json:
        _json(curve.to_dict() if pareto else result.to_dict())
    elif pareto:
        console.print(rich_table(curve.table(), f"Trade-off {pareto} ({points} points)"))
    else:
        _print_design(result)


def _print_design(result: DesignResult) -> None:
    """Status, KPIs against the baseline, what is built, flows, balances and prices."""
    colour = "green" if result.ok else "red"
    console.print(
        f"[{colour}]{result.status}[/{colour}] ({result.termination}), least "
        f"{result.objective_name}: {result.objective:,.6g}, gap {result.gap:.2g}, "
        f"bound {result.bound:,.6g}, "
        f"solved in {result.timings.get('total_s', 0):.1f} s"
    )
    kpis = pd.DataFrame(
        {"design": result.kpis, "baseline": result.baseline, "saving": result.savings}
    )
    kpis.index.name = "per year"
    console.print(rich_table(kpis, "Key figures (EUR, t CO2e, m3, t)"))
    built = result.built[result.built["built"]]
    columns = ["kind", "from", "to", "resource", "status", "km", "capex_eur", "annual"]
    console.print(rich_table(built[columns], "Built and used (annual in canonical units)"))
    not_built = result.built[~result.built["built"] & (result.built["kind"] != "hub")]
    if len(not_built):
        console.print(rich_table(not_built[columns[:-1]], "Not built"))
    balance = result.balance[(result.balance.abs() > 1e-6).any(axis=1)]
    console.print(
        rich_table(balance.reset_index(), "Balance per site and resource (per year)", index=False)
    )
    if len(result.prices):
        console.print(rich_table(result.prices, "Marginal value (EUR per unit)"))
    if len(result.unmet):
        console.print(rich_table(result.unmet, "[red]Unmet demand (per year)[/red]"))


@app.command()
def share(
    park: ParkPath,
    method: Annotated[
        str, typer.Option(help="shapley, nucleolus, least-core or proportional.")
    ] = "shapley",
    mode: Annotated[
        str, typer.Option(help="operate: the existing exchanges; invest: with candidates.")
    ] = "operate",
    samples: Annotated[int, typer.Option(help="Random orders for sampled Shapley (>15).")] = 200,
    as_json: JsonFlag = False,
) -> None:
    """Split the park's saving fairly between partners and check no group does better alone."""
    from rich.progress import Progress

    from symbionet.assessment.sharing import share as share_benefit

    loaded = load_park(park)
    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task("solving coalitions", total=None)
        result = share_benefit(
            loaded,
            method,
            mode,
            samples,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    if as_json:
        _json(result.to_dict())
        return
    console.print(rich_table(result.table, f"Benefit shares ({method}, EUR per year)"))
    console.print(f"Saving of the whole park: {result.grand_value:,.0f} EUR/yr")
    if result.in_core:
        console.print("[green]In the core:[/green] no group of partners gets more on its own.")
    elif result.in_core is False:
        console.print(
            f"[red]Not in the core:[/red] {_user(', '.join(result.worst_coalition))} could gain "
            f"{result.worst_shortfall:,.0f} EUR/yr more on their own."
        )
    if result.note:
        console.print(f"[dim]{_user(result.note)}[/dim]")


@app.command()
def stress(
    park: ParkPath,
    remove: Annotated[
        list[str] | None, typer.Option(help="Partner or exchange to remove (repeatable).")
    ] = None,
    all_single: Annotated[bool, typer.Option(help="Remove each partner in turn.")] = False,
    k: Annotated[int, typer.Option(help="Remove every combination of up to k partners.")] = 1,
    as_json: JsonFlag = False,
) -> None:
    """Re-optimise without partners or exchanges: who is hit, extra cost, CO2e rebound."""
    from symbionet.assessment.resilience import stress as stress_park

    if k < 1:
        raise SymbionetError("--k must be at least 1")
    result = stress_park(load_park(park), remove or [], all_single, k)
    if as_json:
        _json(result.to_dict())
        return
    console.print(rich_table(result.scenarios.drop(columns=["removed"]), "Scenarios (per year)"))
    console.print(rich_table(result.partners, "Remaining partners hit (per year)"))
    if len(result.ranking):
        console.print(rich_table(result.ranking, "Partners ranked by how critical they are"))
    console.print(rich_table(result.graph, "Exchange network metrics"))


CANDIDATE_COLUMNS = [
    "supplier",
    "receiver",
    "resource",
    "replaces",
    "quantity",
    "unit",
    "mode",
    "distance_km",
    "co2e_t",
    "freshwater_m3",
    "value_eur",
    "score",
    "existing",
]
PROPOSAL_COLUMNS = [
    "supplier",
    "receiver",
    "what",
    "sectors",
    "match",
    "cases",
    "score",
    "existing",
]


@app.command("discover")
def discover_command(
    park: ParkPath,
    top: Annotated[int, typer.Option(min=0, help="Show the best N (0: all).")] = 20,
    max_km: Annotated[
        float | None, typer.Option("--max-km", help="Farthest straight-line distance, km.")
    ] = None,
    resource: Annotated[
        str | None,
        typer.Option(help="Only exchanges of this class (water, energy, material) or resource."),
    ] = None,
    internal: Annotated[
        bool, typer.Option("--internal", help="Include matches within one actor.")
    ] = False,
    per_demand: Annotated[
        int, typer.Option("--per-demand", help="Nearest compatible supplies kept per demand.")
    ] = 10,
    screen: Annotated[
        bool, typer.Option("--screen", help="Propose synergies from the actors' sectors alone.")
    ] = False,
    as_json: JsonFlag = False,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Write the table to a CSV file.")
    ] = None,
) -> None:
    """Candidate exchanges: which supply could meet which demand, how, and what it saves."""
    if as_json and csv:
        raise SymbionetError("--json and --csv: choose one")
    if csv is not None:
        writable(csv)
    loaded = load_park(park)
    if screen:
        table = screen_sectors(loaded, top=top or None)
        key, columns, title = "proposals", PROPOSAL_COLUMNS, "Likely synergies from sectors"
    else:
        found_candidates = find_candidates(
            loaded,
            top=top or None,
            max_km=max_km,
            resource=resource,
            internal=internal,
            per_demand=per_demand,
        )
        table, found = found_candidates.candidates, found_candidates.found
        key, columns = "candidates", CANDIDATE_COLUMNS
        title = f"Candidate exchanges: best {len(table)} of {found} (per year)"
    if csv is not None:
        write_text(csv, csv_text(table, index=True))
        console.print(f"wrote {len(table)} {key} to {_user(csv)}")
    elif as_json:
        _json({key: _records(table)})
    else:
        console.print(rich_table(table[columns], title))
        for rank, line in table["explanation"].items():
            console.print(f"{rank}. {printable(line)}", markup=False, highlight=False)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Park folder (or .xlsx or .json file) to write.")],
    sites: Annotated[
        int, typer.Option(min=1, max=1_000_000, help="Number of sites, one actor each.")
    ] = 1000,
    seed: Annotated[
        int, typer.Option(min=0, help="Random seed (0 or more): the same seed, the same park.")
    ] = 0,
    force: ForceFlag = False,
) -> None:
    """Write a synthetic national park: sites clustered around Danish towns, typical streams.
    An existing park at the target is replaced only with --force; nothing else is."""
    check_target(out, save_format(out) == "folder", force)
    generated = generate_park(sites, seed)
    generated.save(out, force=force)
    counts = ", ".join(f"{n} {name}" for name, n in summary.counts(generated).items() if n)
    console.print(f"wrote {_user(out)}: {counts}")
