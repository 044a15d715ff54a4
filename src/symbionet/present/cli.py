"""The ``symbionet`` command line: it reads options, calls the library and presents what
the library returns, as tables, JSON, or CSV and Excel files.

Heavy libraries are imported inside the commands, so that ``symbionet --help`` answers
at once.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from symbionet.errors import Problem, SymbionetError
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
    ParkPath,
    XlsxOption,
    console,
    err_console,
    print_json,
    print_problems,
    say,
)

if TYPE_CHECKING:
    import pandas as pd

    from symbionet.assessment.assess import Assessment
    from symbionet.optimisation.result import DesignResult
    from symbionet.present.tables import Money
    from symbionet.register.park import Park

app = typer.Typer(
    name="symbionet",
    help="Industrial symbiosis: register, discover, design, assess and present resource exchanges.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
from symbionet.present.cli_target import target_app  # noqa: E402

app.add_typer(target_app, name="target", help="Heat and water integration targets (pinch).")
from symbionet.present.cli_scenario import scenario  # noqa: E402

app.command()(scenario)
from symbionet.present.cli_readings import readings_app  # noqa: E402

app.add_typer(readings_app, name="readings", help="Meter readings: flags and verified quantities.")
from symbionet.present.cli_account import register as register_account  # noqa: E402

register_account(app)
from symbionet.present.cli_pipeline import pipeline_app  # noqa: E402

app.add_typer(pipeline_app, name="pipeline", help="The synergy pipeline, idea to operation.")
from symbionet.present.cli_national import register as register_national  # noqa: E402

register_national(app)
from symbionet.present.cli_hub import hub_app  # noqa: E402
from symbionet.present.cli_site import site  # noqa: E402

app.command()(site)
app.add_typer(hub_app, name="hub", help="The knowledge hub: partners, consortia, facilities...")
from symbionet.present.cli_estimate import register as register_estimate  # noqa: E402

register_estimate(app)


def main() -> None:
    """Entry point: bad input ends with its problems listed and exit code 1, never a traceback."""
    try:
        app()
    except SymbionetError as error:
        print_problems(error.problems)
        sys.exit(1)


def _table(
    frame: pd.DataFrame,
    title: str,
    money: Money | None = None,
    *,
    index: bool = True,
    period: str | None = "yr",
    row_units: bool = False,
) -> None:
    """Print a table, amounts in the park's currency, headers with their units."""
    from symbionet.present.tables import rich_table

    shown = money.frame(frame, rows=row_units) if money is not None else frame
    console.print(rich_table(shown, title, index, period=period, row_units=row_units))


def _money(park: Park) -> Money:
    from symbionet.present.tables import Money

    return Money.of(park)


def _load(path: Path) -> Park:
    from symbionet.register.park import load_park

    return load_park(path)


@app.command()
def check(
    park: ParkPath,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Validate a park: exit 0 if valid, else list every problem as file:row:column, exit 1.
    Warnings are listed too but do not fail the check."""
    import pandas as pd

    from symbionet.present import summary

    out = Output(as_json, csv, xlsx, force)
    loaded: Park | None = None
    try:
        loaded = _load(park)
        problems = [*loaded.warnings, *_plan_problems(loaded)]
    except SymbionetError as error:
        problems = error.problems
    if any(p.severity == "error" for p in problems):
        loaded = None
    if out.terminal:
        if loaded is None:
            raise SymbionetError(problems)
        if problems:
            print_problems(problems)
        counts = ", ".join(f"{n} {name}" for name, n in summary.counts(loaded).items() if n)
        console.print("[green]ok[/green] ", end="")
        say(f"{loaded.name}: {counts}")
        return
    table = pd.DataFrame([p.to_dict() for p in problems], columns=list(Problem.__annotations__))
    out.send({"problems": table}, lambda: [p.to_dict() for p in problems], lambda: None)
    if loaded is None:
        raise typer.Exit(1)


def _plan_problems(park: Park) -> list[Problem]:
    """What the readings and scenario commands would refuse in the park's meters and
    scenarios (their units, time zones, targets): found by ``check`` already."""
    from symbionet.metering.meters import meter_table
    from symbionet.scenarios.changes import declared
    from symbionet.scenarios.edit import apply_scenario

    problems: list[Problem] = []
    try:
        meter_table(park)
    except SymbionetError as error:
        problems += error.problems
    try:
        for scenario in declared(park).values():
            apply_scenario(park, scenario)
    except SymbionetError as error:
        problems += error.problems
    return problems


def park_tables(park: Park) -> dict[str, pd.DataFrame]:
    """Actors, sites, streams, exchanges and totals per resource class."""
    from symbionet.present import summary

    actors = park.actors[["name", "kind", "nace"]].copy()
    streams = summary.stream_table(park)
    actors["sites"] = park.sites.groupby("actor").size().reindex(actors.index, fill_value=0)
    actors["streams"] = streams["actor"].value_counts().reindex(actors.index, fill_value=0)
    return {
        "actors": actors,
        "sites": park.sites[["actor", "name", "lat", "lon"]],
        "streams": streams.drop(columns=["class", "site"]),
        "exchanges": summary.exchange_table(park),
        "totals": summary.resource_totals(park),
    }


def print_park(park: Park) -> None:
    """The park's name and description, then its tables."""
    meta = park.meta
    say(f"{park.name} ({meta.get('country', '')} {meta.get('year', '')})", style="bold")
    if meta.get("description"):
        say(meta["description"])
    tables = park_tables(park)
    titles = {
        "actors": "Actors",
        "sites": "Sites",
        "streams": "Streams (per year in canonical units)",
        "exchanges": "Exchanges",
        "totals": "Totals per resource class",
    }
    for name, frame in tables.items():
        if len(frame) or name != "exchanges":
            _table(frame, titles[name], index=name != "totals", period="yr")


@app.command()
def show(
    park: ParkPath,
    as_actor: Annotated[
        str | None, typer.Option("--as", help="Show only what this actor may see.")
    ] = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Show a park: actors, sites, streams, exchanges and totals per resource class."""
    from symbionet.present import summary

    out = Output(as_json, csv, xlsx, force)
    loaded = _load(park)
    visible = loaded.visible_to(as_actor) if as_actor else loaded
    tables = park_tables(visible)
    out.send(
        {"streams": tables["streams"], **tables},  # streams first: the table a CSV holds
        lambda: {"park": visible.meta, "counts": summary.counts(visible), **tables},
        lambda: print_park(visible),
    )


@app.command()
def convert(
    park: ParkPath,
    out: Annotated[Path, typer.Argument(help="Target: a folder, an .xlsx or a .json file.")],
    force: ForceFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Convert a park between folder, Excel workbook and JSON (lossless both ways).
    An existing park at the target is replaced only with --force; nothing else is."""
    from symbionet.register.write import check_target, save_format

    check_target(out, save_format(out) == "folder", force)
    written = _load(park).save(out, force=force)
    if as_json:
        print_json({"written": str(written)})
    else:
        say(f"wrote {written}")


@app.command()
def template(
    out: Annotated[Path, typer.Argument(help="The workbook to write: an .xlsx file.")],
    park: Annotated[
        Path | None, typer.Option(help="Park whose catalogue and ids fill the drop-down lists.")
    ] = None,
    force: ForceFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Write an empty park workbook to fill in, with drop-down lists for resources, units,
    fates and the schema's choices (and the park's ids with --park)."""
    from symbionet.present.tables import check_export
    from symbionet.register.transfer import excel_template
    from symbionet.register.write import replacing

    target = check_export(out, force, (".xlsx",))
    content = excel_template(_load(park) if park else None)
    with replacing(target) as staged:
        staged.write_bytes(content)
    if as_json:
        print_json({"written": str(target)})
    else:
        say(f"wrote {target}")


@app.command()
def catalogue(
    query: Annotated[
        str, typer.Argument(help="Words to search for (id, name, synonym, EWC).")
    ] = "",
    park: Annotated[
        Path | None, typer.Option(help="Park whose catalogue.yaml extends the shipped one.")
    ] = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Browse and search the resource catalogue."""
    from symbionet.register.catalogue import load_catalogue

    out = Output(as_json, csv, xlsx, force)
    cat = _load(park).catalogue if park else load_catalogue()
    found = cat.search(query)
    columns = ["name", "class", "unit", "ewc", "price", "price_unit"]
    columns += ["emission_factor", "emission_unit", "substitutes"]

    def show() -> None:
        if len(found) != 1:
            title = f"Catalogue {cat.version}: {len(found)} resources"
            _table(found[columns], title, period=None)
            return
        resource = cat.resources[str(found.index[0])]
        console.print_json(resource.model_dump_json(by_alias=True, exclude_none=True))
        refs = {
            f.ref for f in (resource.price, resource.emission_factor, *resource.substitutes) if f
        }
        for ref in sorted(refs):
            source = cat.references[ref]
            say(f"[{ref}] {source.title} ({source.year or 'n.d.'}) {source.url or ''}")

    out.send({"resources": found}, lambda: {"version": cat.version, "resources": found}, show)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "park"


def _assess(park: Park) -> Assessment:
    """The whole assessment of a park, with progress on stderr."""
    from symbionet.assessment.assess import assess_park
    from symbionet.present.progress import progress_display

    with progress_display(err_console, "assessing") as progress:
        return assess_park(park, progress=progress)


def _write_report(park: Park, assessment: Assessment, out: Path, pdf: bool) -> Path:
    from symbionet.present.report import write_report

    return write_report(park, out, pdf=pdf, assessment=assessment)


def print_headline(park: Park, assessment: Assessment) -> None:
    """The park's headline figures, each partner's share and the most critical partner."""
    money = _money(park)
    exchanges = len(assessment.impact.exchanges)
    title = f"{park.name}: what its {exchanges} exchanges save (central, low, high)"
    _table(assessment.headline, title, money, row_units=True)
    shares = assessment.shares
    _table(shares.table, f"Benefit shares ({shares.method})", money)
    critical = assessment.most_critical
    if critical is None:
        say("No partner's leaving would cost or hit the others.")
    else:
        cost = money.amount(float(critical["extra_cost_eur"]), "yr")
        say(
            f"Most critical partner: {park.actors.at[critical.name, 'name']} "
            f"({critical.name}): if it left, the others would pay "
            f"{cost} more and {int(critical['partners_hit'])} of them would be hit."
        )


@app.command()
def run(
    park: ParkPath = Path("examples/kalundborg"),
    out: Annotated[Path, typer.Option(help="Folder for the report.")] = Path("out"),
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """The main job on a park: check it, assess it, write its report and say what it found."""
    from symbionet.register.write import writable

    output = Output(as_json, csv, xlsx, force)
    loaded = _load(park)
    folder = out / _slug(loaded.name)
    writable(folder / "report.html")
    if output.terminal:
        console.print("[green]ok[/green] ", end="")
        say(f"{park} is a valid park")
        print_park(loaded)
    assessment = _assess(loaded)
    target = _write_report(loaded, assessment, folder, pdf=False)
    output.send(
        assessment.tables(),
        lambda: {"report": str(target.resolve()), **assessment.to_dict()},
        lambda: print_headline(loaded, assessment),
        _money(loaded),
    )
    if output.terminal:
        console.print("[bold]Report:[/bold] ", end="")
        say(target.resolve())


@app.command()
def report(
    park: ParkPath,
    out: Annotated[Path, typer.Option(help="Folder to write the report into.")] = Path("out"),
    partner: Annotated[
        str | None,
        typer.Option(help="The report of this partner (an actor id) instead of the park's."),
    ] = None,
    language: Annotated[str, typer.Option(help="en (English) or da (Danish).")] = "en",
    formats: Annotated[
        list[str] | None,
        typer.Option("--format", help="html, pdf or xlsx (repeatable; default html)."),
    ] = None,
    pdf: Annotated[bool, typer.Option(help="Also print the PDF with a local Chromium.")] = False,
    force: ForceFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Write a self-contained report: the park's (report.html: map, Sankey, KPIs per
    partner, candidate exchanges, the best design, benefit shares, resilience ranking and
    method notes) or one partner's (partner-ACTOR.html: what it gives, gets, saves and
    risks, its candidate exchanges, the design beside today's network), as HTML, PDF or
    Excel, in English or Danish. Files there are replaced only with --force."""
    from symbionet.present.language import language_of
    from symbionet.present.partner_report import (
        partner_stem,
        report_files,
        write_park_report,
        write_partner_report,
    )
    from symbionet.present.report import report_name

    language_of(language)
    chosen = list(dict.fromkeys([*(formats or ["html"]), *(["html", "pdf"] if pdf else [])]))
    loaded = _load(park)
    if partner is not None:
        loaded.visible_to(partner)  # an unknown partner is refused before the work
    stem = report_name(language) if partner is None else partner_stem(partner, language)
    report_files(out / stem, chosen, force)
    assessment = _assess(loaded)
    if partner is None:
        written = write_park_report(loaded, assessment, out, chosen, language=language, force=force)
    else:
        written = write_partner_report(
            loaded, partner, assessment, out, chosen, language=language, force=force
        )
    if as_json:
        print_json({"written": [str(path.resolve()) for path in written]})
    else:
        say("wrote " + " and ".join(map(str, written)))


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
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Yearly CO2e, water, materials, waste and money saved against the no-symbiosis baseline."""
    from symbionet.assessment.accounting import METHOD, ImpactOptions, negative_figures
    from symbionet.assessment.accounting import impact as assess_impact

    out = Output(as_json, csv, xlsx, force)
    options = ImpactOptions(year=year, **({"statuses": tuple(status)} if status else {}))
    loaded = _load(park)
    result = assess_impact(loaded, options)
    money = _money(loaded)

    def show() -> None:
        say(f"{loaded.name}: impact of {len(result.exchanges)} exchanges", style="bold")
        columns = ["supplier", "receiver", "resource", "replaces", "amount", "unit", "co2e_t"]
        columns += ["groundwater_m3", "net_saving_eur"]
        _table(result.exchanges[columns], "Per exchange", money)
        _table(result.partners, "Per partner", money)
        _table(result.park.rename_axis("total"), "Park totals", money, row_units=True)
        for note in negative_figures(result, loaded.catalogue, money.amount):
            say(note)
        _say_estimated(result.estimated_share.to_dict(), "of the park's total")
        say(f"Method: {METHOD} Data: {loaded.catalogue.label}.", style="dim")

    out.send(result.tables(), result.to_dict, show, money)


@app.command("design")
def design_command(
    park: ParkPath,
    objective: Annotated[
        str, typer.Option(help="What to minimise: cost, co2 or freshwater.")
    ] = "cost",
    time: Annotated[str, typer.Option(help="annual, monthly, hourly or typical-days:N.")] = (
        "annual"
    ),
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
    gap: Annotated[
        float, typer.Option(help="Relative optimality gap for the MILP (0.0001 is 0.01 %).")
    ] = 1e-4,
    time_limit: Annotated[float | None, typer.Option(help="Solver time limit in seconds.")] = None,
    verbose: Annotated[bool, typer.Option(help="Show the solver log on stderr.")] = False,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Design the network: what to build and how to run it, at least cost, CO2e or freshwater."""
    from symbionet.executors import executor_for
    from symbionet.optimisation.options import DesignOptions
    from symbionet.optimisation.solve import design
    from symbionet.optimisation.tradeoff import pareto as trade_off
    from symbionet.optimisation.tradeoff import parse_objectives
    from symbionet.present.progress import progress_display

    out = Output(as_json, csv, xlsx, force)
    options = DesignOptions(
        objective=objective,
        time=time,
        actors=tuple(a.strip() for a in actors.split(",")) if actors else None,
        exclude_exchanges=tuple(exclude or ()),
        mode="operate" if operate else "invest",
        greenfield=greenfield,
        time_limit=time_limit,
        verbose=verbose,
        mip_gap=gap,
    )
    loaded = _load(park)
    money = _money(loaded)
    with (
        executor_for(workers, scheduler) as pool,
        progress_display(err_console, "designing") as progress,
    ):
        if pareto:
            curve = trade_off(
                loaded,
                parse_objectives(pareto),
                points,
                options=options,
                executor=pool,
                progress=progress,
            )
        else:
            result = design(loaded, options, executor=pool, progress=progress)
    if pareto:
        table = curve.to_frame()
        out.send(
            curve.tables(),
            curve.to_dict,
            lambda: _table(table, f"Trade-off {pareto} ({points} points)", money),
            money,
        )
    else:
        out.send(result.tables(), result.to_dict, lambda: _print_design(result, money), money)


def _print_design(result: DesignResult, money: Money) -> None:
    """Status, KPIs against the baseline, what is built, flows, balances and prices."""
    import math

    import pandas as pd

    from symbionet.present.tables import number

    def figure(value: float, amount: bool = False) -> str:
        if not math.isfinite(value):
            return "none"
        return money.amount(value) if amount else number(value)

    cost = result.objective_name == "cost"
    colour = "green" if result.ok else "red"
    console.print(f"[{colour}]{result.status}[/{colour}] ", end="")
    say(
        f"({result.termination}), least {result.objective_name}: "
        f"{figure(result.objective, cost)}, gap {figure(result.gap)}, "
        f"bound {figure(result.bound, cost)}, "
        f"solved in {result.timings.get('total_s', 0):.1f} s"
    )
    kpis = pd.DataFrame(
        {"design": result.kpis, "baseline": result.baseline, "saving": result.savings}
    )
    _table(kpis.rename_axis("key figure"), "Key figures", money, row_units=True)
    built = result.built[result.built["built"]]
    columns = ["kind", "from", "to", "resource", "status", "km", "capex_eur", "annual"]
    _table(built[columns], "Built and used (annual in canonical units)", money)
    not_built = result.built[~result.built["built"] & (result.built["kind"] != "hub")]
    if len(not_built):
        _table(not_built[columns[:-1]], "Not built", money)
    balance = result.balance[(result.balance.abs() > 1e-6).any(axis=1)]
    _table(balance, "Balance per site and resource", money)
    if len(result.prices):
        _table(result.prices, "Marginal value (per unit)", money, period="unit")
    if len(result.unmet):
        _table(result.unmet, "Unmet demand", money)
    _say_estimated(result.estimated_share, "of what the network moves")


def _say_estimated(shares: dict[str, float], of_what: str) -> None:
    """One line per figure that rests partly on estimated streams, with its share."""
    for figure, share in shares.items():
        if share > 0:
            say(f"{share:.0%} of {figure} {of_what} rests on estimated streams.", style="yellow")


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
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Split the park's saving fairly between partners and check no group does better alone."""
    from symbionet.assessment.sharing import ShareOptions
    from symbionet.assessment.sharing import share as share_benefit
    from symbionet.executors import executor_for
    from symbionet.present.progress import progress_display

    out = Output(as_json, csv, xlsx, force)
    options = ShareOptions(method=method, mode=mode, samples=samples)
    loaded = _load(park)
    money = _money(loaded)
    with (
        executor_for(workers, scheduler) as pool,
        progress_display(err_console, "benefit shares") as progress,
    ):
        result = share_benefit(loaded, options, executor=pool, progress=progress)

    def show() -> None:
        _table(result.table, f"Benefit shares ({method})", money)
        say(f"Saving of the whole park: {money.amount(result.grand_value, 'yr')}")
        if result.in_core:
            say("In the core: no group of partners gets more on its own.", style="green")
        elif result.in_core is False:
            shortfall = money.amount(result.worst_shortfall or 0.0, "yr")
            say(
                f"Not in the core: {', '.join(result.worst_coalition)} could gain "
                f"{shortfall} more on their own.",
                style="red",
            )
        if result.note:
            say(result.note, style="dim")

    out.send(result.tables(), result.to_dict, show, money)


@app.command()
def stress(
    park: ParkPath,
    remove: Annotated[
        list[str] | None, typer.Option(help="Partner or exchange to remove (repeatable).")
    ] = None,
    all_single: Annotated[bool, typer.Option(help="Remove each partner in turn.")] = False,
    k: Annotated[int, typer.Option(help="Remove every combination of up to k partners.")] = 1,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Re-optimise without partners or exchanges: who is hit, extra cost, CO2e rebound."""
    from symbionet.assessment.resilience import StressOptions
    from symbionet.assessment.resilience import stress as stress_park
    from symbionet.executors import executor_for
    from symbionet.present.progress import progress_display

    out = Output(as_json, csv, xlsx, force)
    options = StressOptions(remove=tuple(remove or ()), all_single=all_single, k=k)
    loaded = _load(park)
    money = _money(loaded)
    with (
        executor_for(workers, scheduler) as pool,
        progress_display(err_console, "resilience") as progress,
    ):
        result = stress_park(loaded, options, executor=pool, progress=progress)

    def show() -> None:
        _table(result.scenarios.drop(columns=["removed"]), "Scenarios", money)
        _table(result.partners, "Remaining partners hit", money)
        if len(result.ranking):
            _table(result.ranking, "Partners ranked by how critical they are", money)
        _table(result.graph, "Exchange network metrics", period=None)

    out.send(result.tables(), result.to_dict, show, money)


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
PROPOSAL_COLUMNS = ["supplier", "receiver", "what", "sectors", "match", "cases", "score"]
PROPOSAL_COLUMNS += ["existing"]


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
    exclude_place: Annotated[
        str | None,
        typer.Option(
            "--exclude-place",
            help="With --screen: leave out the documented exchanges of this place.",
        ),
    ] = None,
    regions: RegionsOption = None,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Candidate exchanges: which supply could meet which demand, how, and what it saves."""
    from symbionet.discovery.engine import DiscoverOptions, discover
    from symbionet.discovery.screening import screen as screen_sectors
    from symbionet.executors import executor_for
    from symbionet.present.progress import progress_display

    out = Output(as_json, csv, xlsx, force)
    options = DiscoverOptions(
        top=top or None,
        max_km=max_km,
        resource=resource,
        internal=internal,
        per_demand=per_demand,
    )
    loaded = _load(park)
    money = _money(loaded)
    if screen:
        table = screen_sectors(loaded, top=top or None, exclude_place=exclude_place)
        key, columns, title = "proposals", PROPOSAL_COLUMNS, "Likely synergies from sectors"
    else:
        split = regions_for(regions, workers, scheduler)
        with (
            executor_for(workers, scheduler) as pool,
            progress_display(err_console, "discovery") as progress,
        ):
            found = discover(loaded, options, progress=progress, executor=pool, regions=split)
        table = found.candidates
        key, columns = "candidates", CANDIDATE_COLUMNS
        title = f"Candidate exchanges: best {len(table)} of {found.found}"

    def show() -> None:
        estimated = "estimated" in table.columns and (table["estimated"].fillna("") != "").any()
        shown = columns + (["estimated"] if estimated else [])
        _table(table[shown], title, money)
        for rank, line in table["explanation"].items():
            say(f"{rank}. {line}")

    out.send({key: table}, lambda: {key: table}, show, money)


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
    as_json: JsonFlag = False,
    national: Annotated[
        int | None,
        typer.Option(min=1, max=30, help="Write a national dataset of N parks to the folder."),
    ] = None,
) -> None:
    """Write a synthetic national park: sites clustered around Danish towns, typical streams.
    An existing park at the target is replaced only with --force; nothing else is."""
    from symbionet.discovery.generate import generate_park
    from symbionet.present import summary
    from symbionet.register.write import check_target, save_format

    if national is not None:
        from symbionet.present.cli_national import generate_national

        return generate_national(out, national, sites, seed, force, as_json)
    check_target(out, save_format(out) == "folder", force)
    generated = generate_park(sites, seed)
    generated.save(out, force=force)
    counts = summary.counts(generated)
    if as_json:
        print_json({"written": str(out), "counts": counts})
    else:
        say(f"wrote {out}: " + ", ".join(f"{n} {name}" for name, n in counts.items() if n))


@app.command()
def serve(
    park: ParkPath = Path("examples/kalundborg"),
    db: Annotated[
        str,
        typer.Option(
            help="Database URL: a SQLite file (sqlite:///symbionet.db) or PostgreSQL "
            "(postgresql+psycopg://user:password@host/database)."
        ),
    ] = "sqlite:///symbionet.db",
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
    secure_cookies: Annotated[
        bool, typer.Option(help="Send the session cookie over HTTPS only (behind a TLS proxy).")
    ] = False,
) -> None:
    """Serve the platform: migrate the database, on its first start load PARK and make its
    accounts (printed once, with their passwords), then serve pages and API."""
    import os

    import uvicorn

    from symbionet.store.database import migrate, open_database
    from symbionet.web.app import DATABASE_VARIABLE, create_app
    from symbionet.web.bootstrap import first_start

    migrate(db)
    engine = open_database(db)
    made = first_start(engine, park)
    engine.dispose()
    for account in made:
        role = account.role + (f" of {account.actor}" if account.actor else "")
        say(f"account {account.email}  password {account.password}  ({role})")
    say(f"symbionet serves on http://{host}:{port} (API docs: http://{host}:{port}/api/docs)")
    if workers == 1 and not secure_cookies:
        uvicorn.run(create_app(db), host=host, port=port, log_level="warning")
    else:
        os.environ[DATABASE_VARIABLE] = db
        os.environ["SYMBIONET_SECURE_COOKIES"] = "1" if secure_cookies else ""
        uvicorn.run(
            "symbionet.web.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
