"""``symbionet account`` and ``symbionet case-sheet``: the yearly symbiosis account of a
park, year on year, and the case sheet of one exchange."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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

    from symbionet.assessment.yearly import AccountResult, ComparisonResult
    from symbionet.present.tables import Money
    from symbionet.register.park import Park

VerifiedOption = Annotated[
    Path | None,
    typer.Option(
        "--verified",
        help="CSV of metered amounts: exchange, year, measured, coverage [, expected, unit].",
    ),
]
YearOption = Annotated[
    int | None, typer.Option(help="The year of the account (default: the park's year).")
]
CHANGE_COLUMNS = ["supplier", "receiver", "resource", "change", "amount_before", "amount_after"]
CHANGE_COLUMNS += ["unit", "co2e_t", "groundwater_m3", "net_saving_eur"]
"""Columns of the change per exchange shown on the terminal."""


def register(app: typer.Typer) -> None:
    """Add ``account`` and ``case-sheet`` to the command line ``app``."""
    app.command("account")(account_command)
    app.command("case-sheet")(case_sheet_command)


def read_verified(path: Path | None) -> pd.DataFrame | None:
    """The table of metered amounts in a CSV file (as ``account`` takes it), or None."""
    if path is None:
        return None
    import pandas as pd

    def refused(message: str) -> SymbionetError:
        return SymbionetError([Problem(str(path), None, None, message)])

    try:
        frame = pd.read_csv(path, dtype={"exchange": str})
    except FileNotFoundError:
        raise refused("no such file") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise refused(f"cannot read the table of metered amounts: {error}") from None
    missing = [c for c in ("exchange", "year", "measured", "coverage") if c not in frame.columns]
    if missing:
        raise refused(f"has no column {', '.join(missing)}")
    problems = []
    columns = ("year", "measured", "coverage")
    numbers = {c: pd.to_numeric(frame[c], errors="coerce") for c in columns}
    for line, (year, measured, coverage) in enumerate(zip(*numbers.values(), strict=True), 2):
        given = {c: frame[c].iloc[line - 2] for c in columns}
        if not (year == year and float(year).is_integer()):
            problems.append(Problem(str(path), line, "year", "a whole year such as 2024"))
        if not (measured >= 0 or pd.isna(given["measured"])):
            message = f"{given['measured']}: an amount of 0 or more"
            problems.append(Problem(str(path), line, "measured", message))
        if not 0 <= coverage <= 1:
            message = f"{given['coverage']}: a share from 0 to 1 (0.5 for half the year)"
            problems.append(Problem(str(path), line, "coverage", message))
    if problems:
        raise SymbionetError(problems)
    return frame.assign(year=numbers["year"].astype(int))


def _table(
    frame: pd.DataFrame,
    title: str,
    money: Money,
    *,
    row_units: bool = False,
    extra: pd.Series | None = None,
) -> None:
    """Print a yearly table, amounts in the park's currency; ``extra``, a column added
    after the conversion (a share in percent)."""
    from symbionet.present.tables import rich_table

    shown = money.frame(frame, rows=row_units)
    if extra is not None:
        shown = shown.assign(**{str(extra.name): extra.to_numpy()})
    console.print(rich_table(shown, title, period="yr", row_units=row_units))


def print_account(park: Park, result: AccountResult, money: Money) -> None:
    """The account on the terminal: the park, the partners, the exchanges, notes, method
    and sources."""
    from symbionet.assessment.accounting import METHOD
    from symbionet.assessment.yearly import ACCOUNT_METHOD, SHOWN

    count = len(result.exchanges)
    verified = int((result.exchanges["quantity_from"] != "register").sum())
    say(
        f"{park.name}: symbiosis account {result.year}, {count} exchanges, "
        f"{verified} with metered readings",
        style="bold",
    )
    _table(
        result.park,
        "Park (central, low, high; verified by readings, estimated from the register)",
        money,
        row_units=True,
        extra=result.verified_pct,
    )
    _table(result.partners, "Per partner", money)
    if verified:
        _table(result.partners_verified, "Per partner: verified by readings", money)
    _table(result.exchanges[SHOWN], "Per exchange", money)
    for note in result.notes:
        say(note)
    say(f"Method: {ACCOUNT_METHOD}{METHOD} Data: {park.catalogue.label}.", style="dim")
    for key, source in result.sources.iterrows():
        year = "" if source["year"] != source["year"] else f", {int(source['year'])}"
        say(f"[{key}] {source['title']}{year}", style="dim")


def print_comparison(name: str, result: ComparisonResult, money: Money) -> None:
    """The change between two accounts: per key figure and per exchange, and their notes."""
    say(f"{name}: from {result.year_a} to {result.year_b}", style="bold")
    for note in result.notes:
        say(f"note: {note}")
    _table(
        result.table,
        "Change per key figure: exchanges started, ended, and volume of the others",
        money,
        row_units=True,
    )
    changed = result.exchanges[result.exchanges["change"] != "continuing"]
    moved = result.exchanges["amount_before"] != result.exchanges["amount_after"]
    shown = result.exchanges[result.exchanges.index.isin(changed.index) | moved]
    if len(shown):
        _table(shown[CHANGE_COLUMNS], "Exchanges that started, ended or changed", money)
    else:
        say("No exchange started, ended or changed its volume.")


def account_command(
    park: ParkPath,
    year: YearOption = None,
    compare: Annotated[
        int | None,
        typer.Option(help="Explain the change from this year's account to the year's."),
    ] = None,
    verified: VerifiedOption = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """The yearly symbiosis account: CO2e, groundwater and fresh water, materials, energy
    and money saved by the park and each partner, verified by metered readings or estimated
    from the register; with --compare, the change from another year explained."""
    from symbionet.assessment.yearly import account, compare_years
    from symbionet.present.tables import Money
    from symbionet.register.park import load_park

    out = Output(as_json, csv, xlsx, force)
    loaded = load_park(park)
    money = Money.of(loaded)
    readings = read_verified(verified)
    if compare is None:
        result = account(loaded, year, readings)
        out.send(
            result.tables(),
            result.to_dict,
            lambda: print_account(loaded, result, money),
            money,
        )
        return
    chosen = year if year is not None else account(loaded, None).year
    comparison = compare_years(loaded, compare, chosen, readings)
    out.send(
        comparison.tables(),
        comparison.to_dict,
        lambda: print_comparison(loaded.name, comparison, money),
        money,
    )


def case_sheet_command(
    park: ParkPath,
    exchange: Annotated[str, typer.Argument(help="The exchange (its id).")],
    out: Annotated[Path, typer.Option(help="The file to write: .html or .pdf.")],
    language: Annotated[str, typer.Option(help="en (English) or da (Danish).")] = "en",
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="html or pdf (default: from the file's suffix)."),
    ] = None,
    year: YearOption = None,
    verified: VerifiedOption = None,
    include_confidential: Annotated[
        bool,
        typer.Option(
            "--include-confidential",
            help="Use confidential streams too: for the secretariat's own use, not to publish.",
        ),
    ] = False,
    force: ForceFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """The case sheet of one exchange, to document and market it: the partners, what flows
    and since when, its verified or estimated yearly figures, investment and payback, and
    a Sankey, in English or Danish, as HTML or PDF. Public data only unless asked."""
    from symbionet.present.case_sheet import FORMATS, case_sheet_file
    from symbionet.present.language import language_of
    from symbionet.present.tables import check_export
    from symbionet.register.park import load_park

    language_of(language)
    chosen = fmt or out.suffix.lower().lstrip(".") or "html"
    if chosen not in FORMATS:
        raise SymbionetError(f"--format: must be {' or '.join(FORMATS)}, not {chosen!r}")
    check_export(out, force, (f".{chosen}",))
    loaded = load_park(park)
    written = case_sheet_file(
        loaded,
        exchange,
        out,
        read_verified(verified),
        language,
        chosen,
        year=year,
        public=not include_confidential,
        force=force,
    )
    if as_json:
        print_json({"written": str(written)})
    else:
        say(f"wrote {written}")


__all__ = ["account_command", "case_sheet_command", "read_verified", "register"]
