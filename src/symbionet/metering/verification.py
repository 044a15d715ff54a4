"""Verified quantities: what the meters measured beside what the register expects, per
exchange (and metered stream) and year.

A year is the calendar year in the meter's time zone. ``measured`` is the sum of the valid
amounts of the exchange's meters in that year (a reading that spans the new year is split
in proportion to time), in the canonical unit of the supply's resource; ``coverage`` is
the share of the year's hours that valid readings cover (the mean over the exchange's
meters). Flagged readings are left out and nothing is filled in: a measured total with a
coverage below 1 is what was measured, not an estimate of the year.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from symbionet.metering.flagging import FLAGS, FlaggedReadings, flag_readings
from symbionet.metering.read import read_readings
from symbionet.results import Result

if TYPE_CHECKING:
    from symbionet.register.park import Park

COLUMNS = ["expected", "measured", "coverage", "unit", "meters", "readings", *FLAGS]


@dataclass
class VerifiedResult(Result):
    """Verified yearly quantities. ``table``: per exchange and year (index ``exchange``,
    ``year``) the ``expected`` amount (the register's ``annual_quantity``), the
    ``measured`` one (NaN for an exchange without meters), ``coverage`` (0..1), ``unit``,
    the number of ``meters`` and valid ``readings``, and the count of each flag (a stuck
    run or a gap counts once). ``streams``: the same for metered streams (index
    ``stream``, ``year``). ``meters``: per meter and year. ``flags``: every flag (meter,
    start, end, flag, detail)."""

    table: pd.DataFrame
    streams: pd.DataFrame
    meters: pd.DataFrame
    flags: pd.DataFrame
    main_table = "table"


def _year_bounds(zone: str, first: int, last: int) -> np.ndarray:
    """UTC seconds at which the years first..last+1 begin in a time zone."""
    starts = pd.DatetimeIndex(
        [pd.Timestamp(year=y, month=1, day=1, tz=zone) for y in range(first, last + 2)]
    )
    return np.asarray(starts.tz_convert("UTC").tz_localize(None), "datetime64[s]").astype(np.int64)


def _years_of(
    codes: np.ndarray, seconds: np.ndarray, zones: np.ndarray, first: int, last: int
) -> np.ndarray:
    """Index (0 = ``first``) of the local year of each instant, -1 outside the range."""
    result = np.full(len(codes), -1, dtype=np.int64)
    for zone in np.unique(zones):
        rows = np.flatnonzero(zones[codes] == zone)
        bounds = _year_bounds(str(zone), first, last)
        index = np.searchsorted(bounds, seconds[rows], "right") - 1
        index[(index < 0) | (index > last - first)] = -1
        result[rows] = index
    return result


def _split(
    flagged: FlaggedReadings, first: int, last: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Meter code, year index, amount and covered seconds of each valid amount, an amount
    that spans a new year split in two in proportion to time."""
    amounts = flagged.amounts
    codes = amounts["meter"].cat.codes.to_numpy(np.int64)
    start = amounts["start"].to_numpy(np.int64)
    end = amounts["end"].to_numpy(np.int64)
    amount = amounts["amount"].to_numpy(float)
    covered = amounts["covered"].to_numpy(float)
    zones = flagged.meters["timezone"].to_numpy(dtype=object)
    year = np.full(len(codes), -1, dtype=np.int64)
    boundary = np.zeros(len(codes), dtype=np.int64)
    for zone in np.unique(zones):
        rows = np.flatnonzero(zones[codes] == zone)
        bounds = _year_bounds(str(zone), first - 1, last + 1)
        index = np.searchsorted(bounds, start[rows], "right") - 1
        year[rows] = index - 1  # bounds begin a year before ``first``
        boundary[rows] = bounds[np.minimum(index + 1, len(bounds) - 1)]
    span = np.maximum(end - start, 1)
    crosses = end > boundary
    share = np.where(crosses, (boundary - start) / span, 1.0)
    parts_code = np.r_[codes, codes[crosses]]
    parts_year = np.r_[year, year[crosses] + 1]
    parts_amount = np.r_[amount * share, amount[crosses] * (1 - share[crosses])]
    parts_covered = np.r_[covered * share, covered[crosses] * (1 - share[crosses])]
    inside = (parts_year >= 0) & (parts_year <= last - first)
    return parts_code[inside], parts_year[inside], parts_amount[inside], parts_covered[inside]


def _epoch(times: pd.Series) -> np.ndarray:
    """Seconds since 1970 of tz-aware times."""
    naive = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return np.asarray(naive, dtype="datetime64[s]").astype(np.int64)


def _years(flagged: FlaggedReadings, year: int | None, park: Park) -> list[int]:
    """The year asked for, or every year from the first to the last the readings and flags
    touch, in any meter's time zone."""
    if year is not None:
        return [year]
    amounts, flags = flagged.amounts, flagged.flags
    instants = [_epoch(flags["start"])]
    if len(amounts):
        instants.append(np.asarray([amounts["start"].min(), amounts["end"].max() - 1], np.int64))
    times = np.concatenate(instants)
    if not len(times):
        return [int(park.meta["year"])] if park.meta.get("year") else []
    span = pd.to_datetime([times.min(), times.max()], unit="s", utc=True)
    zones = set(flagged.meters["timezone"]) or {"UTC"}
    first = min(t.year for zone in zones for t in span.tz_convert(zone))
    last = max(t.year for zone in zones for t in span.tz_convert(zone))
    return list(range(first, last + 1))


def verify_flagged(flagged: FlaggedReadings, park: Park, year: int | None = None) -> VerifiedResult:
    """Verified quantities from readings already flagged (see ``verify``)."""
    meters = flagged.meters
    years = _years(flagged, year, park)
    n_meters, n_years = len(meters), len(years)
    per_meter = pd.DataFrame(
        index=pd.MultiIndex.from_product([meters.index, years], names=["meter", "year"])
    )
    if n_years:
        first, last = years[0], years[-1]
        codes, year_index, amount, covered = _split(flagged, first, last)
        wanted = np.isin(year_index + first, years)
        size = n_meters * n_years
        # rows of per_meter follow meters x years; map year index to its position
        position = np.searchsorted(years, year_index + first)
        key = codes * n_years + position
        key, amount, covered = key[wanted], amount[wanted], covered[wanted]
        measured = np.bincount(key, amount, size)
        seconds = np.bincount(key, covered, size)
        count = np.bincount(key, minlength=size)
        hours = np.asarray(
            [
                (pd.Timestamp(year=y + 1, month=1, day=1) - pd.Timestamp(year=y, month=1, day=1))
                / pd.Timedelta(hours=1)
                for y in years
            ]
        )
        per_meter["target"] = np.repeat(meters["target"].to_numpy(dtype=object), n_years)
        per_meter["target_type"] = np.repeat(meters["target_type"].to_numpy(dtype=object), n_years)
        per_meter["measured"] = measured
        per_meter["coverage"] = np.minimum(seconds / 3600.0 / np.tile(hours, n_meters), 1.0)
        per_meter["unit"] = np.repeat(meters["canonical"].to_numpy(dtype=object), n_years)
        per_meter["readings"] = count
        flags = flagged.flags
        flag_codes = flags["meter"].cat.codes.to_numpy(np.int64)
        flag_seconds = _epoch(flags["start"])
        flag_year = _years_of(
            flag_codes, flag_seconds, meters["timezone"].to_numpy(dtype=object), first, last
        )
        inside = (flag_year >= 0) & np.isin(flag_year + first, years)
        flag_key = flag_codes * n_years + np.searchsorted(years, flag_year + first)
        kinds = flags["flag"].cat.codes.to_numpy(np.int64)
        for number, name in enumerate(FLAGS):
            chosen = inside & (kinds == number)
            per_meter[name] = np.bincount(flag_key[chosen], minlength=size)
    else:
        for column in ["target", "target_type", "measured", "coverage", "unit", "readings"]:
            per_meter[column] = pd.Series(dtype=float)
        for name in FLAGS:
            per_meter[name] = pd.Series(dtype=int)
    return verified_from_meters(park, per_meter, years, flagged.flags)


def verified_from_meters(
    park: Park, per_meter: pd.DataFrame, years: list[int], flags: pd.DataFrame
) -> VerifiedResult:
    """The verified quantities of the park's exchanges and metered streams from each
    meter's figures per year (``per_meter``, indexed by meter and year: ``target``,
    ``target_type``, ``measured``, ``coverage``, ``unit``, ``readings`` and a count per
    flag), however they were summed: in memory or in a database."""
    return VerifiedResult(
        table=_targets(park, per_meter, years, "exchange"),
        streams=_targets(park, per_meter, years, "stream"),
        meters=per_meter,
        flags=flags,
    )


def _targets(park: Park, per_meter: pd.DataFrame, years: list[int], kind: str) -> pd.DataFrame:
    """Per exchange (operating ones, and any metered one) or per metered stream, and year."""
    mine = per_meter[per_meter["target_type"] == kind]
    if kind == "exchange":
        table = park.exchanges
        status = table["status"] if "status" in table else pd.Series(dtype=object)
        ids = [i for i in table.index if status.get(i) == "operating" or i in set(mine["target"])]
        supply = table["supply"].reindex(ids)
        unit = supply.map(park.streams["annual_unit"])
        expected = table["annual_quantity"].reindex(ids)
    else:
        ids = [i for i in park.streams.index if i in set(mine["target"])]
        unit = park.streams["annual_unit"].reindex(ids)
        expected = park.streams["annual_quantity"].reindex(ids)
    index = pd.MultiIndex.from_product([ids, years], names=[kind, "year"])
    result = pd.DataFrame(index=index)
    result["expected"] = expected.reindex(index.get_level_values(0)).to_numpy(dtype=float)
    grouped = mine.groupby(["target", "year"])
    sums = grouped[["measured", "readings", *FLAGS]].sum()
    sums.index.names = [kind, "year"]
    coverage = grouped["coverage"].mean()
    coverage.index.names = [kind, "year"]
    counted = grouped.size()
    counted.index.names = [kind, "year"]
    result["measured"] = sums["measured"].reindex(index).astype(float)
    result["coverage"] = coverage.reindex(index).fillna(0.0).astype(float)
    result["unit"] = unit.reindex(index.get_level_values(0)).to_numpy(dtype=object)
    result["meters"] = counted.reindex(index).fillna(0).astype(int)
    for column in ["readings", *FLAGS]:
        result[column] = sums[column].reindex(index).fillna(0).astype(int)
    return result[COLUMNS]


def verify(
    park: Park,
    readings: pd.DataFrame | str | Path | list[str | Path] | FlaggedReadings,
    year: int | None = None,
    meters: pd.DataFrame | None = None,
) -> VerifiedResult:
    """Verified quantities of a park's operating exchanges (and metered streams) per year:
    ``readings`` as ``read_readings`` gives them, files to read, or readings already
    flagged; ``year`` (a calendar year in the meters' time zone) or every year from the
    first to the last the readings touch; ``meters`` replaces the park's meters.csv. See
    ``VerifiedResult``."""
    if isinstance(readings, FlaggedReadings):
        flagged = readings
    else:
        if not isinstance(readings, pd.DataFrame):
            readings = read_readings(readings, park, meters)
        flagged = flag_readings(readings, park, meters)
    return verify_flagged(flagged, park, year)


__all__ = ["COLUMNS", "VerifiedResult", "verified_from_meters", "verify", "verify_flagged"]
