"""``symbionet pipeline``: synergy projects from idea to operating exchange."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from symbionet.errors import Problem, SymbionetError
from symbionet.present.output import (
    CsvOption,
    ForceFlag,
    JsonFlag,
    Output,
    ParkPath,
    XlsxOption,
    console,
    print_json,
    say,
)
from symbionet.register.stages import STAGES

if TYPE_CHECKING:
    import pandas as pd

    from symbionet.register.park import Park

pipeline_app = typer.Typer(
    help="The synergy pipeline: projects from idea to operating exchange, the funnel, stalls.",
    no_args_is_help=True,
)


Stage = StrEnum("Stage", {stage: stage for stage in STAGES})  # type: ignore[misc]
"""A stage of the pipeline (``symbionet.pipeline.STAGES``)."""
FIRST = Stage(STAGES[0])


LISTED = ["title", "stage", "owner", "partners", "readiness", "next_step", "due", "saving"]
"""The columns ``pipeline list`` shows."""

DateOption = Annotated[
    str | None, typer.Option("--date", help="Date of the move or proposal (YYYY-MM-DD; today).")
]
AuthorOption = Annotated[
    str | None, typer.Option("--author", help="Who decides or records it (logged).")
]
PartnerOption = Annotated[
    str | None, typer.Option("--partner", help="Only the projects of this actor.")
]


def _load(path: Path) -> Park:
    from symbionet.register.park import load_park

    return load_park(path)


def _show(frame: pd.DataFrame, title: str, park: Park) -> None:
    from symbionet.present.tables import rich_table

    shown = frame.rename(columns={"saving": f"saving_{park.currency.lower()}"})
    console.print(rich_table(shown, title, True, period=None))


def _write(
    park: Park, path: Path, names: tuple[str, ...], done: str, as_json: bool = False
) -> None:
    """Write the changed tables of the park's files, and say what was done (as JSON)."""
    from symbionet.pipeline.files import write_pipeline

    written = [str(file) for file in write_pipeline(park, path, names)]
    if as_json:
        print_json({"done": done, "written": written})
        return
    for file in written:
        say(f"wrote {file}")
    say(done)


@pipeline_app.command("list")
def list_projects(
    park: ParkPath,
    stage: Annotated[Stage | None, typer.Option(help="Only the projects in this stage.")] = None,
    partner: PartnerOption = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """The projects of the pipeline, by stage."""
    from symbionet.pipeline.figures import projects
    from symbionet.results import records

    out = Output(as_json, csv, xlsx, force)
    loaded = _load(park)
    table = projects(loaded, None if stage is None else str(stage.value), partner)
    order = {s: i for i, s in enumerate(STAGES)}
    table = table.iloc[table["stage"].map(order).argsort(kind="stable")]
    out.send(
        {"projects": table},
        lambda: {"projects": records(table), "currency": loaded.currency},
        lambda: _show(table[LISTED], f"Pipeline of {loaded.name}: {len(table)} projects", loaded),
    )


def _candidate(park: Park, pair: str) -> pd.Series:
    from symbionet.discovery.engine import discover

    supply, sep, demand = pair.partition(":")
    if not sep or not supply or not demand:
        raise SymbionetError(
            [Problem("--from-candidate", None, None, f"{pair!r} is not SUPPLY:DEMAND")]
        )
    for stream, side in ((supply, "supply"), (demand, "demand")):
        if stream not in park.streams.index:
            raise SymbionetError(
                [Problem("--from-candidate", None, None, f"no {side} stream {stream!r}")]
            )
    found = discover(park, internal=True).candidates
    match = found[(found["supply"] == supply) & (found["demand"] == demand)]
    if match.empty:
        raise SymbionetError(
            [
                Problem(
                    "--from-candidate",
                    None,
                    None,
                    f"discovery finds no candidate from {supply} to {demand}",
                )
            ]
        )
    return match.iloc[0]


@pipeline_app.command()
def add(
    park: ParkPath,
    title: Annotated[
        str | None, typer.Option(help="Short name of the synergy (needed unless from a candidate).")
    ] = None,
    from_candidate: Annotated[
        str | None,
        typer.Option(
            "--from-candidate",
            help="SUPPLY:DEMAND stream ids of a discovered candidate; its figures are carried "
            "over.",
        ),
    ] = None,
    id: Annotated[str | None, typer.Option("--id", help="Project id (default from the title).")] = (
        None
    ),
    stage: Annotated[Stage, typer.Option(help="idea, screening or feasibility.")] = FIRST,
    owner: Annotated[str | None, typer.Option(help="Actor that leads it.")] = None,
    partners: Annotated[
        str | None, typer.Option(help="Actors involved, ids separated by ;.")
    ] = None,
    supply: Annotated[str | None, typer.Option(help="Supply stream.")] = None,
    demand: Annotated[str | None, typer.Option(help="Demand stream.")] = None,
    quantity: Annotated[float | None, typer.Option(help="Amount, in --unit.")] = None,
    unit: Annotated[str | None, typer.Option(help="Unit of the quantity.")] = None,
    co2e: Annotated[
        float | None, typer.Option("--co2e", help="Expected t CO2e saved a year.")
    ] = None,
    water: Annotated[
        float | None, typer.Option("--water", help="Expected m3 of freshwater saved a year.")
    ] = None,
    materials: Annotated[
        float | None, typer.Option("--materials", help="Expected t of virgin material saved.")
    ] = None,
    saving: Annotated[
        float | None, typer.Option(help="Expected money saved a year, park currency.")
    ] = None,
    readiness: Annotated[int | None, typer.Option(min=1, max=9, help="Readiness, 1-9.")] = None,
    barriers: Annotated[
        str | None, typer.Option(help="regulatory, technical, economic, organisational; by ;.")
    ] = None,
    next_step: Annotated[str | None, typer.Option("--next-step", help="Next thing to do.")] = None,
    due: Annotated[str | None, typer.Option(help="Date the next step is due.")] = None,
    reference: Annotated[str | None, typer.Option(help="Source of the figures.")] = None,
    notes: Annotated[str | None, typer.Option(help="Free notes.")] = None,
    date: DateOption = None,
    author: AuthorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a synergy to the pipeline, typed in or carried over from a candidate."""
    from symbionet.pipeline.edits import from_candidate as carried
    from symbionet.pipeline.edits import propose

    loaded = _load(park)
    given: dict[str, Any] = {
        "owner": owner,
        "partners": partners,
        "supply": supply,
        "demand": demand,
        "quantity": quantity,
        "unit": unit,
        "co2e_t": co2e,
        "water_m3": water,
        "materials_t": materials,
        "saving": saving,
        "readiness": readiness,
        "barriers": barriers,
        "next_step": next_step,
        "due": due,
        "reference": reference,
        "notes": notes,
    }
    given = {k: v for k, v in given.items() if v is not None}
    if from_candidate is not None:
        candidate = _candidate(loaded, from_candidate)
        changed = carried(
            loaded,
            candidate,
            title=title,
            id=id,
            on=date,
            author=author,
            stage=str(stage.value),
            **given,
        )
    elif title is None:
        raise SymbionetError([Problem("--title", None, None, "give a title or --from-candidate")])
    else:
        changed = propose(
            loaded, title, id=id, stage=str(stage.value), on=date, author=author, **given
        )
    added = changed.table("pipeline").index[-1]
    stage = changed.table("pipeline").at[added, "stage"]
    _write(changed, park, ("pipeline", "pipeline_log"), f"added {added} at {stage}", as_json)


@pipeline_app.command()
def move(
    park: ParkPath,
    project: Annotated[str, typer.Argument(help="Project id.")],
    stage: Annotated[Stage, typer.Argument(help="Stage to move it to.")],
    date: DateOption = None,
    reason: Annotated[
        str | None, typer.Option(help="Why: logged; needed to reject or to go back.")
    ] = None,
    agreement_date: Annotated[
        str | None, typer.Option("--agreement-date", help="Date the partners agreed.")
    ] = None,
    start_date: Annotated[
        str | None, typer.Option("--start-date", help="Date the exchange started operating.")
    ] = None,
    end_date: Annotated[
        str | None, typer.Option("--end-date", help="Date the exchange ended.")
    ] = None,
    exchange: Annotated[
        str | None, typer.Option(help="Exchange of the register the project is.")
    ] = None,
    next_step: Annotated[str | None, typer.Option("--next-step", help="Next thing to do.")] = None,
    due: Annotated[str | None, typer.Option(help="Date the next step is due.")] = None,
    author: AuthorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Move a project to another stage if the rules allow; an operating one is an exchange."""
    from symbionet.pipeline.edits import move as move_project

    loaded = _load(park)
    fields = {k: v for k, v in {"next_step": next_step, "due": due}.items() if v is not None}
    changed = move_project(
        loaded,
        project,
        str(stage.value),
        on=date,
        author=author,
        reason=reason,
        agreement_date=agreement_date,
        start_date=start_date,
        end_date=end_date,
        exchange=exchange,
        **fields,
    )
    names = ("exchanges", "pipeline", "pipeline_log")
    unchanged = changed.table("exchanges").equals(loaded.table("exchanges"))
    done = f"moved {project} to {stage.value}"
    _write(changed, park, names[1:] if unchanged else names, done, as_json)


@pipeline_app.command()
def decide(
    park: ParkPath,
    project: Annotated[str, typer.Argument(help="Project id.")],
    decision: Annotated[str, typer.Option(help="What was decided (logged).")],
    date: DateOption = None,
    next_step: Annotated[str | None, typer.Option("--next-step", help="Next thing to do.")] = None,
    due: Annotated[str | None, typer.Option(help="Date the next step is due.")] = None,
    readiness: Annotated[int | None, typer.Option(min=1, max=9, help="Readiness, 1-9.")] = None,
    barriers: Annotated[
        str | None, typer.Option(help="regulatory, technical, economic, organisational; by ;.")
    ] = None,
    author: AuthorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Log a decision about a project without moving it; update its next step and more."""
    from symbionet.pipeline.edits import decide as decided

    loaded = _load(park)
    fields = {
        k: v
        for k, v in {
            "next_step": next_step,
            "due": due,
            "readiness": readiness,
            "barriers": barriers,
        }.items()
        if v is not None
    }
    changed = decided(loaded, project, decision, on=date, author=author, **fields)
    done = f"logged the decision on {project}"
    _write(changed, park, ("pipeline", "pipeline_log"), done, as_json)


class Category(StrEnum):
    """A kind of risk."""

    regulatory = "regulatory"
    technical = "technical"
    economic = "economic"
    organisational = "organisational"
    supply = "supply"
    other = "other"


@pipeline_app.command()
def risk(
    park: ParkPath,
    project: Annotated[str, typer.Argument(help="Project id.")],
    text: Annotated[str, typer.Option("--risk", help="What could go wrong.")],
    likelihood: Annotated[int, typer.Option(min=1, max=5, help="1 (rare) to 5 (certain).")],
    impact: Annotated[int, typer.Option(min=1, max=5, help="1 (minor) to 5 (severe).")],
    category: Annotated[Category, typer.Option(help="Kind of risk.")] = Category.other,
    mitigation: Annotated[str | None, typer.Option(help="What is done to lower it.")] = None,
    owner: Annotated[str | None, typer.Option(help="Actor that watches it.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a risk to a project (risks.csv written in place)."""
    from symbionet.pipeline.edits import add_risk

    loaded = _load(park)
    changed = add_risk(
        loaded,
        project,
        text,
        likelihood,
        impact,
        category=str(category.value),
        mitigation=mitigation,
        owner=owner,
    )
    done = f"added a risk to {project}: score {likelihood * impact}"
    _write(changed, park, ("risks",), done, as_json)


@pipeline_app.command()
def funnel(
    park: ParkPath,
    partner: PartnerOption = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Projects per stage and the yearly savings expected of them."""
    from symbionet.pipeline.figures import funnel as stage_funnel
    from symbionet.results import records

    out = Output(as_json, csv, xlsx, force)
    loaded = _load(park)
    table = stage_funnel(loaded, partner)
    out.send(
        {"funnel": table},
        lambda: {"funnel": records(table), "currency": loaded.currency},
        lambda: _show(table, f"Pipeline funnel of {loaded.name} (expected savings a year)", loaded),
    )


@pipeline_app.command()
def stalls(
    park: ParkPath,
    today: Annotated[str | None, typer.Option(help="Date to judge on (YYYY-MM-DD; today).")] = None,
    days: Annotated[
        int, typer.Option(min=1, help="Days in one stage after which a project stalls.")
    ] = 180,
    partner: PartnerOption = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Projects past their due date or long in one stage, and the days spent per stage."""
    import datetime as dt

    from symbionet.pipeline.figures import stage_times
    from symbionet.pipeline.figures import stalls as stalled
    from symbionet.results import records

    out = Output(as_json, csv, xlsx, force)
    loaded = _load(park)
    day = today or dt.date.today().isoformat()
    table = stalled(loaded, day, days, partner)
    times = stage_times(loaded, day, partner)

    def show() -> None:
        _show(table, f"Stalled projects on {day}", loaded)
        _show(times, "Days spent per stage", loaded)

    out.send(
        {"stalls": table, "stages": times},
        lambda: {"stalls": records(table), "stages": records(times)},
        show,
    )


@pipeline_app.command()
def export(
    park: ParkPath,
    out: Annotated[Path, typer.Option("--out", help="A .csv (the projects) or .xlsx file.")],
    force: ForceFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Write the projects to a .csv, or them, the log, risks, funnel and times to an .xlsx."""
    from symbionet.pipeline.figures import funnel as stage_funnel
    from symbionet.pipeline.figures import risk_register, time_to_operation
    from symbionet.present.tables import check_export, export_tables

    check_export(out, force)
    loaded = _load(park)
    sheets = {
        "pipeline": loaded.table("pipeline"),
        "pipeline_log": loaded.table("pipeline_log"),
        "risks": risk_register(loaded),
        "funnel": stage_funnel(loaded),
        "time_to_operation": time_to_operation(loaded).projects,
    }
    written = export_tables(sheets, out, force)
    if as_json:
        print_json({"written": str(written)})
        return
    say(f"wrote {written}")
