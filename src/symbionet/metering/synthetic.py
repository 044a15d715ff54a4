"""Synthetic meter readings, seeded: a year for a park's operating exchanges with known
faults, as a SCADA system would export it, and many meters at 15 minutes for benchmarks.

``synthetic_year`` gives one meter per operating exchange, its readings summing to the
exchange's registered yearly quantity over the calendar year (local time), shaped by
season, weekday and hour with noise, then spoiled by faults at known places: two gaps,
repeated rows, a stuck run, a negative reading, an outlier, a counter reset and a switch
of one meter from m3 to litres in mid-year. It returns the truth: each meter's true
amounts, the faults, and per exchange the true total, the total of the readings no fault
spoils and the share of the year they cover, which a verification must reproduce.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from symbionet.errors import Problem, SymbionetError
from symbionet.metering.meters import DEFAULT_TIMEZONE, parse_interval

if TYPE_CHECKING:
    from symbionet.register.park import Park

# How each canonical unit is metered: the meter's unit and kind.
_METERING = {
    "m3": ("m3", "interval"),
    "MWh": ("MW", "rate"),
    "t": ("t", "interval"),
    "Nm3": ("Nm3/h", "rate"),
}
COVERAGE_FAULTS = ("gap", "stuck", "negative", "outlier", "counter_reset")
"""Faults whose readings verification leaves out (a gap has none)."""


@dataclass
class SyntheticReadings:
    """Synthetic readings and their truth. ``meters``: a table like meters.csv;
    ``readings``: the SCADA-style rows (Tidspunkt in local time, Målepunkt, Værdi, Enhed);
    ``amounts``: each meter's true amount per interval (meter, start in UTC, amount in the
    canonical unit); ``faults``: meter, fault, start and end (UTC) of each fault;
    ``truth``: per exchange the ``expected`` yearly quantity, the true ``total``, the
    ``valid`` total of the intervals no fault spoils, and their ``coverage``."""

    meters: pd.DataFrame
    readings: pd.DataFrame
    amounts: pd.DataFrame
    faults: pd.DataFrame
    truth: pd.DataFrame

    def write(self, path: str | Path) -> Path:
        """Write the readings as a SCADA-style CSV (semicolons, decimal comma)."""
        return write_scada_csv(self.readings, path)


def _profile(local: pd.DatetimeIndex, canonical: str, rng: np.random.Generator) -> np.ndarray:
    """Relative amount in each interval: season, weekday and hour, with noise."""
    day = local.dayofyear.to_numpy()
    hour = local.hour.to_numpy() + local.minute.to_numpy() / 60
    weekday = local.weekday.to_numpy() < 5
    if canonical == "MWh":  # heat: high in winter
        shape = (1 + 0.6 * np.cos(2 * np.pi * (day - 15) / 365)) * (
            1 + 0.1 * np.sin(2 * np.pi * (hour - 6) / 24)
        )
    else:  # process flows: a little more on weekdays and by day
        shape = (
            (1 + 0.1 * np.cos(2 * np.pi * (day - 200) / 365))
            * np.where(weekday, 1.1, 0.9)
            * (1 + 0.08 * np.sin(2 * np.pi * (hour - 8) / 24))
        )
    return np.asarray(shape * np.exp(rng.normal(0, 0.05, len(shape))))


def _grid(year: int, interval_s: float, zone: str, extra: int = 0) -> pd.DatetimeIndex:
    """Starts (UTC) of the intervals of a local calendar year, plus ``extra`` after it."""
    start = pd.Timestamp(year=year, month=1, day=1, tz=zone).tz_convert("UTC")
    end = pd.Timestamp(year=year + 1, month=1, day=1, tz=zone).tz_convert("UTC")
    step = pd.Timedelta(seconds=interval_s)
    count = int((end - start) / step) + extra
    return pd.date_range(start, periods=count, freq=step)


def _metered(park: Park) -> pd.DataFrame:
    """The park's operating exchanges that carry something: those meters are made for."""
    exchanges = park.exchanges
    operating = exchanges[(exchanges["status"] == "operating") & (exchanges["annual_quantity"] > 0)]
    if operating.empty:
        nothing = "no operating exchange carries anything to meter"
        raise SymbionetError([Problem("exchanges", None, "status", nothing)])
    return operating


def synthetic_year(
    park: Park, year: int = 2024, seed: int = 0, interval: str = "1h"
) -> SyntheticReadings:
    """A year of readings for the park's operating exchanges, with faults; see the module."""
    rng = np.random.default_rng(seed)
    interval_s = parse_interval(interval)
    zone = DEFAULT_TIMEZONE
    operating = _metered(park)
    canonical = operating["supply"].map(park.streams["annual_unit"])
    counters = [i for i in operating.index if canonical[i] in {"t", "m3"}][-1:]
    rows = []
    for exchange in operating.index:
        unit, kind = _METERING.get(canonical[exchange], (canonical[exchange], "interval"))
        if exchange in counters:
            kind = "counter"
        rows.append(
            {
                "id": f"m_{exchange}",
                "exchange": exchange,
                "unit": unit,
                "kind": kind,
                "interval": interval,
                "timezone": zone,
                "description": f"synthetic {kind} meter of {exchange}",
            }
        )
    meters = pd.DataFrame(rows)
    grid = _grid(year, interval_s, zone)
    local = grid.tz_convert(zone)
    hours = interval_s / 3600
    amounts, readings = [], []
    interval_meters = [
        m for m, k in zip(meters["id"], meters["kind"], strict=True) if k != "counter"
    ]
    water = [
        m
        for m, u, k in zip(meters["id"], meters["unit"], meters["kind"], strict=True)
        if u == "m3" and k == "interval"
    ]
    picks = rng.permutation(interval_meters)
    unit_changed = water[len(water) // 2] if water else None
    chosen = [m for m in picks if m != unit_changed]
    roles = dict(
        zip(
            ["gap_long", "gap_short", "duplicate", "stuck", "negative", "outlier"],
            chosen,
            strict=False,
        )
    )
    faults: list[dict[str, object]] = []
    n = len(grid)
    for meter in meters.itertuples(index=False):
        exchange = meter.exchange
        shape = _profile(local, canonical[exchange], rng)
        true = shape / shape.sum() * float(operating.at[exchange, "annual_quantity"])
        amounts.append(pd.DataFrame({"meter": meter.id, "start": grid, "amount": true}))
        if meter.kind == "counter":
            level = float(rng.uniform(1e5, 1e6)).__round__()
            values = level + np.r_[0.0, np.cumsum(true)]
            times = _grid(year, interval_s, zone, extra=1)
            reset = int(rng.integers(n // 4, 3 * n // 4))
            values[reset + 1 :] -= values[reset]  # the register restarts from 0
            faults.append(_fault(meter.id, "counter_reset", grid[reset], grid[reset], interval_s))
            frame = pd.DataFrame(
                {"time": times, "meter": meter.id, "value": values, "unit": meter.unit}
            )
        else:
            values = true / hours if meter.kind == "rate" else true.copy()
            frame = pd.DataFrame(
                {"time": grid, "meter": meter.id, "value": values, "unit": meter.unit}
            )
            frame = _spoil(frame, meter.id, roles, unit_changed, rng, interval_s, faults)
        readings.append(frame)
    table = pd.concat(readings, ignore_index=True)
    true_amounts = pd.concat(amounts, ignore_index=True)
    fault_table = pd.DataFrame(faults, columns=["meter", "fault", "start", "end"])
    truth = _truth(meters, true_amounts, fault_table, operating, grid, interval_s)
    return SyntheticReadings(
        meters=meters,
        readings=_scada(table, zone),
        amounts=true_amounts,
        faults=fault_table,
        truth=truth,
    )


def _fault(
    meter: str, fault: str, first: pd.Timestamp, last: pd.Timestamp, interval_s: float
) -> dict[str, object]:
    return {
        "meter": meter,
        "fault": fault,
        "start": first,
        "end": last + pd.Timedelta(seconds=interval_s),
    }


def _spoil(
    frame: pd.DataFrame,
    meter: str,
    roles: dict[str, str],
    unit_changed: str | None,
    rng: np.random.Generator,
    interval_s: float,
    faults: list[dict[str, object]],
) -> pd.DataFrame:
    """The readings of one interval or rate meter with the faults it is given."""
    n = len(frame)
    per_hour = max(round(3600 / interval_s), 1)
    time = frame["time"]
    if roles.get("stuck") == meter:
        at = int(rng.integers(n // 8, n // 2))
        run = 24 * per_hour
        frame.loc[at : at + run - 1, "value"] = frame.at[at, "value"]
        faults.append(_fault(meter, "stuck", time[at], time[at + run - 1], interval_s))
    if roles.get("negative") == meter:
        at = int(rng.integers(n // 2, n - 10))
        frame.at[at, "value"] = -frame.at[at, "value"]
        faults.append(_fault(meter, "negative", time[at], time[at], interval_s))
    if roles.get("outlier") == meter:
        at = int(rng.integers(n // 2, n - 10))
        frame.at[at, "value"] = frame.at[at, "value"] * 100
        faults.append(_fault(meter, "outlier", time[at], time[at], interval_s))
    if unit_changed == meter:
        at = n // 2
        frame.loc[at:, "value"] = frame.loc[at:, "value"] * 1000
        frame.loc[at:, "unit"] = "L"
        faults.append(_fault(meter, "unit_change", time[at], time[n - 1], interval_s))
    drop = np.zeros(n, bool)
    for role, length in (("gap_long", 48 * per_hour), ("gap_short", 6 * per_hour)):
        if roles.get(role) == meter:
            at = int(rng.integers(n // 8, n - length - 1))
            drop[at : at + length] = True
            faults.append(_fault(meter, "gap", time[at], time[at + length - 1], interval_s))
    if roles.get("duplicate") == meter:
        at = int(rng.integers(n // 8, n - 10))
        copies = frame.iloc[at : at + 5]
        faults.append(_fault(meter, "duplicate", time[at], time[at + 4], interval_s))
        kept = frame[~drop]
        return pd.concat([kept.loc[: at + 4], copies, kept.loc[at + 5 :]], ignore_index=True)
    return frame[~drop].reset_index(drop=True)


def _truth(
    meters: pd.DataFrame,
    amounts: pd.DataFrame,
    faults: pd.DataFrame,
    operating: pd.DataFrame,
    grid: pd.DatetimeIndex,
    interval_s: float,
) -> pd.DataFrame:
    """Per exchange: expected, true total, total of unspoilt intervals and their coverage."""
    spoilt = np.zeros(len(amounts), bool)
    for fault in faults[faults["fault"].isin(COVERAGE_FAULTS)].itertuples(index=False):
        spoilt |= (
            (amounts["meter"] == fault.meter)
            & (amounts["start"] >= fault.start)
            & (amounts["start"] < fault.end)
        ).to_numpy()
    counters = set(meters.loc[meters["kind"] == "counter", "id"])
    exchange_of = dict(zip(meters["id"], meters["exchange"], strict=True))
    frame = amounts.assign(
        exchange=amounts["meter"].map(exchange_of),
        good=np.where(spoilt, 0.0, amounts["amount"]),
        covered=np.where(spoilt, 0.0, interval_s / 3600),
    )
    grouped = frame.groupby("exchange", sort=False)
    hours = len(grid) * interval_s / 3600
    truth = pd.DataFrame(
        {
            "expected": operating["annual_quantity"],
            "total": grouped["amount"].sum(),
            "valid": grouped["good"].sum(),
            "coverage": grouped["covered"].sum() / hours,
        }
    )
    truth.index.name = "exchange"
    truth["counter"] = [f"m_{e}" in counters for e in truth.index]
    return truth


def _scada(table: pd.DataFrame, zone: str) -> pd.DataFrame:
    """Rows as a SCADA system exports them: local time without offset, Danish headers."""
    local = table["time"].dt.tz_convert(zone).dt.strftime("%d-%m-%Y %H:%M")
    return pd.DataFrame(
        {
            "Tidspunkt": local,
            "Målepunkt": table["meter"].astype("str"),
            "Værdi": table["value"].to_numpy(float),
            "Enhed": table["unit"].astype("str"),
        }
    )


def write_scada_csv(readings: pd.DataFrame, path: str | Path) -> Path:
    """Readings written as a Danish SCADA export: semicolons, decimal comma, UTF-8."""
    target = Path(path)
    text = readings.copy()
    for column in text.columns:
        if pd.api.types.is_float_dtype(text[column]):
            text[column] = [f"{x:.6f}".replace(".", ",") for x in text[column]]
    text.to_csv(target, sep=";", index=False, encoding="utf-8")
    return target


def benchmark_readings(
    park: Park,
    n_meters: int = 1000,
    year: int = 2024,
    interval: str = "15min",
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n_meters`` interval meters spread over the park's operating exchanges, and a year
    of their readings (meter, time in UTC, value, unit), ordered by time then meter as a
    system exports them, with a few gaps, duplicates and negative readings. Made with
    numpy: a million readings in well under a second."""
    rng = np.random.default_rng(seed)
    operating = _metered(park)
    targets = operating.index.to_numpy()[np.arange(n_meters) % len(operating)]
    canonical = operating["supply"].map(park.streams["annual_unit"])
    ids = np.asarray([f"b{i:05d}" for i in range(n_meters)], dtype=object)
    meters = pd.DataFrame(
        {
            "id": ids,
            "exchange": targets,
            "unit": canonical.reindex(targets).to_numpy(),
            "kind": "interval",
            "interval": interval,
            "timezone": DEFAULT_TIMEZONE,
        }
    )
    interval_s = parse_interval(interval)
    grid = _grid(year, interval_s, DEFAULT_TIMEZONE)
    steps = len(grid)
    local = grid.tz_convert(DEFAULT_TIMEZONE)
    hour = local.hour.to_numpy() + local.minute.to_numpy() / 60
    day = local.dayofyear.to_numpy()
    shape = (1 + 0.3 * np.cos(2 * np.pi * (day - 15) / 365)) * (
        1 + 0.1 * np.sin(2 * np.pi * (hour - 6) / 24)
    )
    shape = shape / shape.mean()
    shared = pd.Series(targets).value_counts().reindex(targets).to_numpy(float)
    level = operating["annual_quantity"].reindex(targets).to_numpy(float) / steps / shared
    values = (shape[:, None] * level[None, :]).astype(np.float64)
    values *= np.exp(rng.normal(-(0.05**2) / 2, 0.05, values.shape))  # noise of mean 1
    seconds = np.asarray(grid.tz_localize(None), "datetime64[s]").astype(np.int64)
    time = np.repeat(seconds, n_meters)
    codes = np.tile(np.arange(n_meters, dtype=np.int32), steps)
    flat = values.ravel()
    count = len(flat)
    keep = np.ones(count, bool)
    keep[rng.choice(count, max(count // 2000, 1), replace=False)] = False  # gaps
    negative = rng.choice(count, max(count // 100000, 1), replace=False)
    flat[negative] = -flat[negative]
    twice = np.sort(rng.choice(count, max(count // 20000, 1), replace=False))
    order = np.r_[np.flatnonzero(keep), twice]
    order.sort(kind="stable")
    readings = pd.DataFrame(
        {
            "meter": pd.Categorical.from_codes(codes[order], categories=ids),
            "time": pd.to_datetime(time[order], unit="s", utc=True),
            "value": flat[order],
            "unit": pd.Categorical(meters["unit"].to_numpy()[codes[order]]),
        }
    )
    return meters, readings


def write_readings(readings: pd.DataFrame, path: str | Path) -> Path:
    """Readings (meter, time in UTC, value, unit) as CSV with ISO timestamps in UTC, or as
    Parquet for a path ending in .parquet; written fast by pyarrow."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    target = Path(path)
    table = pa.Table.from_pandas(
        readings[["time", "meter", "value", "unit"]].rename(columns={"time": "timestamp"}),
        preserve_index=False,
    )
    if target.suffix.lower() == ".parquet":
        pq.write_table(table, target)
    else:
        columns = [
            table.column(name).cast(pa.string())
            if pa.types.is_dictionary(table.column(name).type)
            else table.column(name)
            for name in table.column_names
        ]
        plain = pa.table(columns, names=table.column_names)
        pacsv.write_csv(plain, target)
    return target


__all__ = [
    "COVERAGE_FAULTS",
    "SyntheticReadings",
    "benchmark_readings",
    "synthetic_year",
    "write_readings",
    "write_scada_csv",
]
