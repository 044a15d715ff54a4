"""``symbionet hub``: the knowledge hub around a park: partners, talent, consortia for a
call, facilities and their bookings, technologies for by-products, contacts' data on
request, and how well partner matching finds documented partners."""

from __future__ import annotations

import datetime as dt
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

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Engine

    from symbionet.register.park import Park

hub_app = typer.Typer(
    help="The knowledge hub: partners, talent, consortia, facilities, by-products, contacts.",
    no_args_is_help=True,
)

OrganisationOption = Annotated[
    str | None, typer.Option("--organisation", help="Organisation (actor id) it is for.")
]
LimitOption = Annotated[int, typer.Option("--limit", min=1, help="Most rows listed.")]
AuthorOption = Annotated[
    str, typer.Option("--author", help="Who makes the change (logged in the park's history).")
]
DateOption = Annotated[
    str | None, typer.Option("--date", help="Date of the proposal (YYYY-MM-DD; today).")
]


def _load(path: Path) -> Park:
    from symbionet.register.park import load_park

    return load_park(path)


def _show(frame: pd.DataFrame, title: str, *, index: bool = False) -> None:
    from symbionet.present.tables import rich_table

    console.print(rich_table(frame, title, index, period=None))


def _day(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise SymbionetError(
            [Problem(option, None, None, f"{text!r} is not a date (YYYY-MM-DD)")]
        ) from None


# --- writing a changed park back where it was read --------------------------------------


def _report(written: list[Path], done: str, as_json: bool, **data: Any) -> None:
    if as_json:
        print_json({"done": done, "written": [str(f) for f in written], **data})
        return
    for file in written:
        say(f"wrote {file}")
    say(done)


# --- matching ----------------------------------------------------------------------------


@hub_app.command()
def partners(
    park: ParkPath,
    organisation: Annotated[
        str, typer.Option("--organisation", help="Organisation (actor id) looking for partners.")
    ],
    need: Annotated[
        str | None,
        typer.Option("--need", help="What it needs, in words (its needs when left out)."),
    ] = None,
    limit: LimitOption = 10,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """The organisations whose offers fit an organisation's need, best first, with the
    phrases and tags that matched and why."""
    from symbionet.hub.matching import partners_for
    from symbionet.results import records

    out = Output(as_json, csv, xlsx, force)
    loaded = _load(park)
    found = partners_for(loaded, organisation, need=need, limit=limit)
    out.send(
        {"partners": found},
        lambda: {"organisation": organisation, "partners": records(found)},
        lambda: _show(found, f"Partners for {organisation}: {len(found)}"),
    )


@hub_app.command()
def talent(
    park: ParkPath,
    organisation: OrganisationOption = None,
    limit: LimitOption = 10,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Education programmes that teach the skills companies say they need."""
    from symbionet.hub.matching import talent_for
    from symbionet.results import records

    out = Output(as_json, csv, xlsx, force)
    found = talent_for(_load(park), organisation, limit=limit)
    out.send(
        {"talent": found},
        lambda: {"talent": records(found)},
        lambda: _show(found, f"Programmes for the skills needed: {len(found)}"),
    )


@hub_app.command()
def evaluate(
    park: ParkPath,
    k: Annotated[int, typer.Option("--k", min=1, help="Partners looked at per project.")] = 10,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Leave each documented project out in turn, ask for partners for its lead and topic,
    and measure how many of its real partners the top k holds (recall@k), against a
    ranking by sector alone."""
    from symbionet.hub.evaluation import evaluate_partners

    out = Output(as_json, csv, xlsx, force)
    result = evaluate_partners(_load(park), k)

    def show() -> None:
        if result.projects.empty:
            say("No documented project with a lead and another partner: nothing to evaluate.")
            return
        _show(result.projects, f"Leave-one-project-out, top {k}")
        ratio = "" if result.baseline == 0 else f", {result.ratio:.2g} times the baseline"
        say(
            f"recall@{k} {result.recall:.2f} over {len(result.projects)} projects; "
            f"by sector alone {result.baseline:.2f}{ratio}",
            style="bold",
        )

    out.send({"projects": result.projects}, result.to_dict, show)


# --- consortia and facilities ------------------------------------------------------------


@hub_app.command()
def consortium(
    park: ParkPath,
    call: Annotated[str, typer.Option("--call", help="Funding call (id in calls.csv).")],
    lead: Annotated[str | None, typer.Option("--lead", help="Organisation that leads.")] = None,
    size: Annotated[
        int | None, typer.Option("--size", min=1, help="Number of partners, lead included.")
    ] = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """The partners for a call that meet every one of its eligibility rules and fit its
    topic best (an exact optimisation), with the rules each meets; when none can, the rules
    that cannot be met. ``--xlsx`` exports the partners and the rules, ``--csv`` the
    partners."""
    from symbionet.hub.consortium import build_consortium

    output = Output(as_json, csv, xlsx, force)
    built = build_consortium(_load(park), call, lead=lead, size=size)

    def show() -> None:
        if built.feasible:
            _show(built.partners, f"Consortium for {call}: {len(built.partners)} partners")
        else:
            say(f"No consortium for {call} meets every rule:", style="bold red")
            for line in built.unmet:
                say(f"  {line}")
        _show(built.rules, f"Rules of {call}")

    output.send({"partners": built.partners, "rules": built.rules}, built.to_dict, show)


@hub_app.command()
def facilities(
    park: ParkPath,
    days: Annotated[int, typer.Option("--days", min=1, help="Days of use needed in a row.")],
    earliest: Annotated[str, typer.Option("--from", help="First possible day (YYYY-MM-DD).")],
    latest: Annotated[str, typer.Option("--to", help="Last possible day (YYYY-MM-DD).")],
    capacity: Annotated[
        float | None, typer.Option("--capacity", help="Least capacity, in the facility's unit.")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="fermentation, downstream, laboratory, pilot_plant..."),
    ] = None,
    need: Annotated[str | None, typer.Option("--need", help="What it is for, in words.")] = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Facilities of the test and scale-up environment free for the days asked between
    two dates, with the first free dates and why each fits."""
    from symbionet.hub.facilities import free_facilities
    from symbionet.results import records

    out = Output(as_json, csv, xlsx, force)
    start, end = _day(earliest, "--from"), _day(latest, "--to")
    found = free_facilities(_load(park), days, start, end, capacity=capacity, kind=kind, need=need)
    out.send(
        {"facilities": found},
        lambda: {"facilities": records(found)},
        lambda: _show(found, f"Free for {days} days between {start} and {end}: {len(found)}"),
    )


@hub_app.command()
def book(
    park: ParkPath,
    facility: Annotated[str, typer.Option("--facility", help="Facility (id).")],
    organisation: Annotated[str, typer.Option("--organisation", help="Organisation that books.")],
    start: Annotated[str, typer.Option("--from", help="First day of use (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last day of use (YYYY-MM-DD).")],
    contact: Annotated[str | None, typer.Option("--contact", help="Contact (id) who asks.")] = None,
    purpose: Annotated[str, typer.Option("--purpose", help="What it is for.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Request a facility for dates: the booking is written into the park (bookings.csv of
    a folder, or the workbook or JSON file whole); dates that clash with another booking
    are refused, naming the dates, never who holds them."""
    from symbionet.hub.facilities import request_booking
    from symbionet.register.rewrite import write_tables

    loaded = _load(park)
    first, last = _day(start, "--from"), _day(end, "--to")
    changed = request_booking(
        loaded, facility, organisation, first, last, contact=contact, purpose=purpose
    )
    old = set(loaded.table("bookings").index)
    new = [str(b) for b in changed.table("bookings").index if b not in old]
    written = write_tables(changed, park, ["bookings"])
    _report(
        written,
        f"requested {facility} for {organisation} from {first} to {last}"
        + (f" (booking {', '.join(new)})" if new else ""),
        as_json,
        bookings=new,
    )


# --- by-products ---------------------------------------------------------------------------


def _pair(text: str) -> tuple[str, str]:
    solution, sep, supply = text.partition(":")
    if not sep or not solution or not supply:
        raise SymbionetError([Problem("--propose", None, None, f"{text!r} is not SOLUTION:SUPPLY")])
    return solution, supply


BYPRODUCT_SHOWN = ["solution", "organisation", "supply", "supplier", "resource", "quantity"]
BYPRODUCT_SHOWN += ["unit", "distance_km", "mode", "gives", "gives_quantity", "co2e_t", "value_eur"]


@hub_app.command()
def byproducts(
    park: ParkPath,
    organisation: OrganisationOption = None,
    propose: Annotated[
        str | None,
        typer.Option(
            "--propose",
            help="SOLUTION:SUPPLY: put this pairing into the synergy pipeline as an idea.",
        ),
    ] = None,
    committed: Annotated[
        bool,
        typer.Option(
            "--committed",
            help="Count the supplies' whole amounts, also what committed exchanges take today.",
        ),
    ] = False,
    author: AuthorOption = "hub",
    date: DateOption = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """The organisations' processes that take a by-product (solutions.csv) matched to the
    park's supply streams through discovery, best value first, each explained; with
    --propose, the pairing enters the synergy pipeline."""
    from symbionet.hub.byproducts import byproducts_for
    from symbionet.hub.byproducts import propose as propose_pairing
    from symbionet.register.rewrite import write_tables
    from symbionet.results import records

    loaded = _load(park)
    if propose is not None:
        solution, supply = _pair(propose)
        changed = propose_pairing(loaded, solution, supply, author, on=date, committed=committed)
        old = set(loaded.table("pipeline").index)
        new = [str(p) for p in changed.table("pipeline").index if p not in old]
        written = write_tables(changed, park, ["pipeline", "pipeline_log"])
        _report(
            written,
            f"proposed {solution} on {supply} as project {', '.join(new)} (stage idea)",
            as_json,
            projects=new,
        )
        return
    out = Output(as_json, csv, xlsx, force)
    found = byproducts_for(loaded, organisation, committed=committed)

    def show() -> None:
        _show(found[BYPRODUCT_SHOWN], f"Solutions for the park's by-products: {len(found)}")
        for row in found.itertuples():
            say(f"{row.solution} / {row.supply}: {row.explanation}")

    out.send(
        {"byproducts": found},
        lambda: {"byproducts": records(found), "currency": "EUR"},
        show,
    )


# --- contacts ------------------------------------------------------------------------------


def _stored(url: str, park_id: int | None) -> tuple[Engine, int]:
    from sqlalchemy.exc import SQLAlchemyError

    from symbionet.store.database import open_database
    from symbionet.store.repository import list_parks

    try:
        engine = open_database(url)
    except (SQLAlchemyError, ValueError):
        raise SymbionetError([Problem("PARK", None, None, "not a database URL")]) from None
    try:
        parks = list_parks(engine)
    except SQLAlchemyError:
        engine.dispose()
        raise SymbionetError(
            [Problem("PARK", None, None, "no symbionet database at that address")]
        ) from None
    ids = [int(p["id"]) for p in parks]
    if park_id is None and len(ids) == 1:
        return engine, ids[0]
    if park_id is None or park_id not in ids:
        engine.dispose()
        known = ", ".join(f"{p['id']} ({p['name']})" for p in parks) or "none"
        asked = "choose one with --park-id" if park_id is None else f"no park {park_id}"
        raise SymbionetError([Problem("--park-id", None, None, f"{asked}: parks {known}")])
    return engine, park_id


@hub_app.command()
def contact(
    park: Annotated[
        str,
        typer.Argument(help="Park folder, .xlsx workbook or .json file, or a database URL."),
    ],
    export: Annotated[
        str | None, typer.Option("--export", help="Contact (id) whose data to export.")
    ] = None,
    erase: Annotated[
        str | None, typer.Option("--erase", help="Contact (id) to erase everywhere.")
    ] = None,
    park_id: Annotated[
        int | None,
        typer.Option("--park-id", help="The park in the database (when it holds several)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the export to this .json file.")
    ] = None,
    author: AuthorOption = "secretariat",
    as_json: JsonFlag = False,
    force: ForceFlag = False,
) -> None:
    """A contact's personal data on request: --export prints (or writes) the contact's row
    and every row that refers to it; --erase removes the person from the park, and from a
    database its history of changes too."""
    import json

    from symbionet.results import plain

    if (export is None) == (erase is None):
        raise SymbionetError([Problem("--export", None, None, "give --export ID or --erase ID")])
    if out is not None and erase is not None:
        raise SymbionetError([Problem("--out", None, None, "--out is for --export")])
    if out is not None and out.exists() and not force:
        raise SymbionetError(
            [Problem(str(out), None, None, "a file is there: --force replaces it")]
        )
    database = "://" in park
    if export is not None:
        if database:
            from symbionet.store.contacts import export_contact as export_stored

            engine, chosen = _stored(park, park_id)
            try:
                data = export_stored(engine, chosen, export)
            finally:
                engine.dispose()
        else:
            from symbionet.hub.contacts import export_contact

            data = export_contact(_load(Path(park)), export)
        if out is not None:
            from symbionet.register.write import write_text

            write_text(out, json.dumps(plain(data), indent=2, ensure_ascii=False) + "\n")
            _report([out], f"exported contact {export}", as_json)
        else:
            print_json(data)
        return
    assert erase is not None
    if database:
        from symbionet.store.contacts import erase_contact as erase_stored

        engine, chosen = _stored(park, park_id)
        try:
            version = erase_stored(engine, chosen, erase, author)
        finally:
            engine.dispose()
        _report([], f"erased contact {erase} from park {chosen} (version {version})", as_json)
        return
    from symbionet.hub.contacts import changed_tables, erase_contact
    from symbionet.register.rewrite import write_tables

    loaded = _load(Path(park))
    changed = erase_contact(loaded, erase)
    written = write_tables(changed, Path(park), changed_tables(loaded, changed))
    _report(written, f"erased contact {erase}", as_json)


__all__ = ["hub_app"]
