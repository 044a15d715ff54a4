"""``symbionet readings``: meter readings checked, flagged and verified against the register."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

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

    from symbionet.metering.flagging import FlaggedReadings
    from symbionet.register.park import Park

readings_app = typer.Typer(
    help="Meter readings: read, flag and verify them against the register's quantities.",
    no_args_is_help=True,
)

Files = Annotated[
    list[Path],
    typer.Argument(
        help="Readings: CSV, .xlsx or .parquet files (timestamp, meter, value[, unit]).",
        show_default=False,
    ),
]
MetersOption = Annotated[
    Path | None,
    typer.Option("--meters", help="A meters table (CSV like meters.csv) instead of the park's."),
]


def _meters(park: Park, path: Path | None) -> pd.DataFrame | None:
    """The meters of a CSV file, typed and checked like the park's meters.csv."""
    from symbionet.metering.meters import read_meters

    return None if path is None else read_meters(path)


def _prepare(
    park_path: Path, files: list[Path], meters_path: Path | None
) -> tuple[Park, FlaggedReadings]:
    from symbionet.metering import flag_readings, read_readings
    from symbionet.register.park import load_park

    park = load_park(park_path)
    meters = _meters(park, meters_path)
    readings = read_readings(files, park, meters)
    return park, flag_readings(readings, park, meters)


@readings_app.command("check")
def check(
    park: ParkPath,
    files: Files,
    meters: MetersOption = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Read, convert and flag readings: the flags counted per meter. Exits 1 only when a
    file cannot be read (unknown meter, timestamp, value or unit); flags do not fail it."""
    out = Output(as_json, csv, xlsx, force)
    loaded, flagged = _prepare(park, files, meters)
    summary = flagged.summary()

    def show() -> None:
        from symbionet.present.tables import rich_table

        console.print(rich_table(summary, f"Readings of {loaded.name}: flags per meter"))
        total = int(summary.drop(columns="readings").to_numpy().sum())
        say(
            f"{int(summary['readings'].sum())} valid readings, {total} flags"
            + ("; see --json or --xlsx for each flag" if total else "")
        )

    out.send(
        {"summary": summary, "flags": flagged.flags},
        lambda: {"summary": summary, "flags": flagged.flags},
        show,
    )


@readings_app.command("verify")
def verify(
    park: ParkPath,
    files: Files,
    year: Annotated[
        int | None,
        typer.Option("--year", help="Calendar year; every year of the readings if not given."),
    ] = None,
    meters: MetersOption = None,
    as_json: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Measured quantities beside the register's expected ones, per exchange and year, with
    the share of the year that valid readings cover."""
    from symbionet.metering.flagging import FLAGS
    from symbionet.metering.verification import verify_flagged

    out = Output(as_json, csv, xlsx, force)
    loaded, flagged = _prepare(park, files, meters)
    result = verify_flagged(flagged, loaded, year)

    def show() -> None:
        from symbionet.present.tables import rich_table

        for title, frame in (("exchange", result.table), ("stream", result.streams)):
            if not len(frame):
                continue
            shown = frame[["expected", "measured", "unit", "meters", "readings"]]
            shown = shown.assign(
                coverage_pct=(frame["coverage"] * 100).round(2),
                flags=frame[list(FLAGS)].sum(axis=1),
            )
            console.print(
                rich_table(shown, f"Verified quantities of {loaded.name} per {title} and year")
            )
        say("measured: valid readings only, nothing filled in; coverage: share of the year")

    out.send(result.tables(), result.to_dict, show)


@readings_app.command("synthesize")
def synthesize(
    park: ParkPath,
    out: Annotated[
        Path, typer.Option("--out", help="Readings file to write (.csv; .parquet with --count).")
    ],
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random numbers.")] = 0,
    year: Annotated[
        int | None, typer.Option("--year", help="Calendar year of the readings (the park's).")
    ] = None,
    interval: Annotated[
        str, typer.Option("--interval", help="Interval of the readings: 1h, 15min...")
    ] = "1h",
    count: Annotated[
        int | None,
        typer.Option(
            "--count", help="Benchmark set: this many meters, few faults, ISO timestamps in UTC."
        ),
    ] = None,
    force: ForceFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Write synthetic readings: one meter per operating exchange, a year summing to its
    registered quantity, with known faults, as a SCADA CSV; the meters table is written
    beside it (FILE-meters.csv)."""
    from symbionet.errors import SymbionetError
    from symbionet.metering.meters import parse_interval
    from symbionet.metering.synthetic import (
        benchmark_readings,
        synthetic_year,
        write_readings,
        write_scada_csv,
    )
    from symbionet.present.tables import check_export
    from symbionet.register.park import load_park

    suffixes = (".csv", ".parquet") if count is not None else (".csv",)
    target = check_export(out, force, suffixes)
    meters_file = check_export(target.with_name(f"{target.stem}-meters.csv"), force)
    if count is not None and count < 1:
        raise SymbionetError("--count: give at least 1 meter")
    try:
        parse_interval(interval)
    except ValueError as error:
        raise SymbionetError(f"--interval: {error}") from None
    loaded = load_park(park)
    year = year if year is not None else int(loaded.meta.get("year", 2024))
    if count is not None:
        meters, readings = benchmark_readings(loaded, count, year, interval, seed)
        write_readings(readings, target)
    else:
        made = synthetic_year(loaded, year, seed, interval)
        meters, readings = made.meters, made.readings
        write_scada_csv(readings, target)
    meters.to_csv(meters_file, index=False)
    if as_json:
        print_json({"readings": str(target), "meters": str(meters_file), "rows": len(readings)})
        return
    say(
        f"wrote {len(readings)} readings of {len(meters)} meters to {target}, "
        f"the meters to {meters_file}"
    )
