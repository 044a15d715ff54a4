"""Flags on meter readings, computed for all meters at once over sorted arrays.

Readings are sorted by meter and time once; every rule is then a comparison of a reading
with its neighbours or with its meter's statistics, without a loop over readings. Flagged
readings are never changed or filled in: a flag that excludes a reading leaves it out of
the measured amounts, and a gap is time that no valid reading covers.

Rules (thresholds are the constants below):

- ``duplicate``: a second reading of a meter at the same instant (UTC); the first one read
  counts, later ones are excluded. The autumn hour that repeats in local time is two
  instants, not a duplicate.
- ``gap``: the next reading of an interval or rate meter starts more than
  ``GAP_FACTOR`` intervals after one starts; for a counter, more than ``GAP_FACTOR``
  typical intervals pass between readings (its difference still measures the gap).
- ``negative``: an interval or rate reading below zero; excluded.
- ``stuck``: the same non-zero value repeated by an interval or rate meter over at least
  ``STUCK_READINGS`` readings spanning at least ``STUCK_HOURS`` hours; excluded, one flag
  per run.
- ``outlier``: a reading whose rate (amount per hour) lies more than ``OUTLIER_DEVIATIONS``
  robust deviations from the median of its meter in its 30-day block; the robust deviation
  is 1.4826 × the median absolute deviation, and at least ``OUTLIER_FLOOR`` × the meter's
  median non-zero rate; excluded.
- ``counter_reset``: a counter that goes down; the difference across it is excluded.
- ``unit_change``: readings in a unit other than the meter's declared one (litres on a m3
  meter); they are converted and count, one flag per run. Also, without a change of unit
  in the file, a meter's daily median rate jumping ``SHIFT_FACTOR`` times or more (up or
  down) from one day with readings to the next: a change of unit the file does not say;
  flagged on the first day of the new level, the readings left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from symbionet.errors import Problem, SymbionetError
from symbionet.metering.meters import KINDS, meter_table, reading_factor
from symbionet.register.park import Park
from symbionet.results import Result
from symbionet.units import parse_unit

FLAGS = ("gap", "duplicate", "negative", "stuck", "outlier", "counter_reset", "unit_change")
"""Every flag, in the order tables show them."""
EXCLUDING = ("duplicate", "negative", "stuck", "outlier", "counter_reset")
"""Flags whose readings are left out of the measured amounts."""

GAP_FACTOR = 1.5
STUCK_READINGS = 4
STUCK_HOURS = 6.0
OUTLIER_DEVIATIONS = 10.0
OUTLIER_FLOOR = 0.3
SHIFT_FACTOR = 100.0
BLOCK_S = 30 * 86400
DEFAULT_INTERVAL_S = 3600.0
"""Interval of a meter with one reading and none declared."""


@dataclass
class FlaggedReadings(Result):
    """Readings converted and flagged: ``flags`` one row per flag (meter, start, end, flag,
    detail; start and end in UTC), ``amounts`` one row per valid amount (meter, start,
    end, amount in the canonical unit, covered seconds), ``meters`` the meters as
    resolved with their interval in seconds."""

    flags: pd.DataFrame
    amounts: pd.DataFrame = field(metadata={"json": False})
    meters: pd.DataFrame = field(metadata={"json": False})
    main_table = "flags"

    def summary(self) -> pd.DataFrame:
        """Flags counted per meter, one column per flag, with the valid readings."""
        counts = (
            self.flags.groupby(["meter", "flag"], observed=False).size().unstack("flag")
            if len(self.flags)
            else pd.DataFrame(columns=list(FLAGS))
        )
        counts = counts.reindex(index=self.meters.index, columns=list(FLAGS)).fillna(0)
        valid = self.amounts.groupby("meter", observed=False).size()
        table = counts.astype(int)
        table.insert(0, "readings", valid.reindex(self.meters.index).fillna(0).astype(int))
        table.index.name = "meter"
        return table


def _group_median(values: np.ndarray, groups: np.ndarray, size: int) -> np.ndarray:
    """Median of the values of each group 0..size-1 (NaN for a group without values)."""
    result = np.full(size, np.nan)
    if len(values):
        medians = pd.Series(values).groupby(groups, sort=False).median()
        result[medians.index.to_numpy()] = medians.to_numpy()
    return result


def flag_arrays(
    codes: np.ndarray,
    seconds: np.ndarray,
    values: np.ndarray,
    unit_codes: np.ndarray,
    unit_names: list[str],
    meters: pd.DataFrame,
    factors: np.ndarray,
) -> tuple[pd.DataFrame, dict[str, np.ndarray], np.ndarray]:
    """Flags and valid amounts of readings given as arrays (meter code, UTC seconds, value,
    unit code): ``factors[meter, unit]`` converts a reading into the canonical amount (per
    hour for a rate meter). Returns the flags (meter code, start, end in seconds, flag,
    detail), the valid amounts as arrays and each meter's interval in seconds."""
    n_meters = len(meters)
    if not len(codes):
        interval = meters["interval_s"].to_numpy(dtype=float).copy()
        interval[np.isnan(interval)] = DEFAULT_INTERVAL_S
        nothing = np.zeros(0, np.int64)
        amounts: dict[str, np.ndarray] = {"meter": nothing, "start": nothing, "end": nothing}
        amounts |= {"amount": np.zeros(0), "covered": np.zeros(0)}
        return _no_flags(), amounts, interval
    order = np.lexsort((seconds, codes))
    c, s = codes[order], seconds[order]
    v, u = values[order], unit_codes[order]
    del order
    events: list[pd.DataFrame] = []

    def event(
        flag: str, where: np.ndarray, start: np.ndarray, end: np.ndarray, detail: list[str]
    ) -> None:
        if len(start):
            events.append(
                pd.DataFrame(
                    {"meter": where, "start": start, "end": end, "flag": flag, "detail": detail}
                )
            )

    names = np.asarray(unit_names, dtype=object)
    same = np.r_[False, c[1:] == c[:-1]]
    dup = same & np.r_[False, s[1:] == s[:-1]]
    if dup.any():
        at = np.flatnonzero(dup)
        first = at - 1  # the reading that counts: the last one before that is no duplicate
        while (again := dup[first]).any():
            first[again] -= 1
        event(
            "duplicate",
            c[at],
            s[at],
            s[at],
            [
                "same value read again"
                if a == b
                else f"{a:g} {un} read again after {b:g} {uf}: the first reading counts"
                for a, b, un, uf in zip(v[at], v[first], names[u[at]], names[u[first]], strict=True)
            ],
        )
        keep = ~dup
        c, s, v, u = c[keep], s[keep], v[keep], u[keep]
    n = len(c)
    same = np.r_[False, c[1:] == c[:-1]]
    following = np.r_[same[1:], False]
    step = np.diff(s, append=s[-1] if n else 0)
    kinds = meters["kind"].map({k: i for i, k in enumerate(KINDS)}).to_numpy(dtype=np.int8)
    interval = meters["interval_s"].to_numpy(dtype=float).copy()
    typical = _group_median(step[following].astype(float), c[following], n_meters)
    unknown = np.isnan(interval)
    overlapping = ~unknown & (kinds != 2) & (typical * 1.5 < interval)
    if overlapping.any():
        raise SymbionetError(
            [
                Problem(
                    "",
                    None,
                    None,
                    f"meter {meter!r}: readings come every {_duration(spacing)} (the median), "
                    f"its interval is declared as {_duration(declared)}: correct the interval",
                )
                for meter, spacing, declared in zip(
                    meters.index[overlapping],
                    typical[overlapping],
                    interval[overlapping],
                    strict=True,
                )
            ]
        )
    interval[unknown] = typical[unknown]
    interval[np.isnan(interval)] = DEFAULT_INTERVAL_S
    typical[np.isnan(typical)] = interval[np.isnan(typical)]
    k, iv = kinds[c], interval[c]
    counter = k == 2
    converted = v * factors[c, u]
    # amounts and the time they cover: up to the next reading, at most an interval
    start = np.where(counter, np.r_[s[:1], s[:-1]], s).astype(np.int64)
    end = np.where(counter, s, s + iv).astype(np.int64)
    amount = np.where(k == 1, converted * iv / 3600.0, converted)
    amount = np.where(counter, converted - np.r_[0.0, converted[:-1]], amount)
    del converted
    base = counter & ~same  # a counter's first reading: the level the next ones start from
    # negative
    negative = ~counter & (v < 0)
    at = np.flatnonzero(negative)
    event(
        "negative",
        c[at],
        start[at],
        end[at],
        [f"{a:g} {un}" for a, un in zip(v[at], names[u[at]], strict=True)],
    )
    # counter reset
    reset = counter & same & (amount < 0)
    at = np.flatnonzero(reset)
    event(
        "counter_reset",
        c[at],
        start[at],
        end[at],
        [
            f"counter went down from {b:g} to {a:g} {un}: the difference is left out"
            for a, b, un in zip(v[at], v[at - 1], names[u[at]], strict=True)
        ],
    )
    # stuck
    repeated = same & ~counter & np.r_[False, (v[1:] == v[:-1]) & (u[1:] == u[:-1])]
    # runs of two or more: from the reading before a stretch of repeats to its last repeat
    edges = np.diff(np.r_[np.int8(0), repeated.view(np.int8), np.int8(0)])
    first = np.flatnonzero(edges == 1) - 1
    last = np.flatnonzero(edges == -1) - 1
    del edges, repeated
    length = last - first + 1
    span = (end[last] - start[first]) / 3600.0
    stuck_run = (
        (length >= STUCK_READINGS) & (span >= STUCK_HOURS) & (v[first] != 0) & ~counter[first]
    )
    marks = np.zeros(n + 1, np.int8)
    marks[first[stuck_run]] += 1  # a run may begin where the one before ends
    marks[last[stuck_run] + 1] -= 1
    stuck = np.cumsum(marks, dtype=np.int8)[:n] > 0
    del marks
    at = np.flatnonzero(stuck_run)
    event(
        "stuck",
        c[first[at]],
        start[first[at]],
        end[last[at]],
        [
            f"{a:g} {un} repeated {m} times over {h:g} h"
            for a, un, m, h in zip(
                v[first[at]], names[u[first[at]]], length[at], span[at], strict=True
            )
        ],
    )
    # outliers: against the meter's median in its 30-day block
    candidate = ~(negative | reset | stuck | base)
    rate = amount / (np.maximum(end - start, 1) / 3600.0)
    outlier = np.zeros(n, bool)
    if candidate.any():
        blocks = s // BLOCK_S  # sorted by meter and time: each block's readings adjoin
        group = np.cumsum(~(same & np.r_[False, blocks[1:] == blocks[:-1]])) - 1
        del blocks
        size = int(group[-1]) + 1
        centre = _group_median(rate[candidate], group[candidate], size)[group]
        deviation = np.abs(rate - centre)
        scale = _group_median(deviation[candidate], group[candidate], size)[group]
        del group
        scale *= 1.4826
        nonzero = candidate & (rate != 0)
        usual = np.nan_to_num(_group_median(np.abs(rate[nonzero]), c[nonzero], n_meters))
        del nonzero
        np.maximum(scale, OUTLIER_FLOOR * usual[c], out=scale)
        outlier = candidate & (deviation > OUTLIER_DEVIATIONS * scale) & (scale > 0)
        del deviation, scale
        at = np.flatnonzero(outlier)
        canonical = meters["canonical"].to_numpy(dtype=object)[c[at]]
        event(
            "outlier",
            c[at],
            start[at],
            end[at],
            [
                f"{r:.6g} {cu}/h where the median is {m:.6g} {cu}/h"
                for r, m, cu in zip(rate[at], centre[at], canonical, strict=True)
            ],
        )
        del centre
    # a jump of the level by a factor of 100 or more from one day to the next
    if candidate.any():
        days = s // 86400
        group = np.cumsum(~(same & np.r_[False, days[1:] == days[:-1]])) - 1
        del days
        level_of_day = _group_median(rate[candidate], group[candidate], int(group[-1]) + 1)
        first_of_day = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        meter_of_day = c[first_of_day]
        del group
        before, after = level_of_day[:-1], level_of_day[1:]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = after / before
        jump = (
            (meter_of_day[1:] == meter_of_day[:-1])
            & (before > 0)
            & (after > 0)
            & ((ratio >= SHIFT_FACTOR) | (ratio <= 1 / SHIFT_FACTOR))
        )
        at = first_of_day[1:][jump]
        canonical = meters["canonical"].to_numpy(dtype=object)[c[at]]
        event(
            "unit_change",
            c[at],
            start[at],
            end[at],
            [
                f"the daily median rate goes from {b:.6g} to {a:.6g} {cu}/h ({r:.3g} times): "
                "a change of unit the file does not declare?"
                for b, a, r, cu in zip(
                    before[jump], after[jump], ratio[jump], canonical, strict=True
                )
            ],
        )
    del rate
    # gaps
    gap = following & (step > GAP_FACTOR * np.where(counter, typical[c], iv))
    at = np.flatnonzero(gap)
    gap_start = np.where(counter[at], s[at], s[at] + iv[at].astype(np.int64))
    gap_end = s[at + 1] if len(at) else s[at]
    event(
        "gap",
        c[at],
        gap_start,
        gap_end,
        [
            f"no reading for {h:g} h" + (": the counter's difference covers it" if cnt else "")
            for h, cnt in zip((gap_end - gap_start) / 3600.0, counter[at], strict=True)
        ],
    )
    # unit changes: runs of readings in another unit than the meter's
    declared = [parse_unit(unit) for unit in meters["unit"]]
    read_as = [parse_unit(name) for name in unit_names]
    if read_as and n:
        # whether each unit differs from each meter's: a small table, looked up per reading
        differs = np.asarray([[unit != mine for unit in read_as] for mine in declared], bool)
        other = differs[c, u]
        if other.any():
            begins = other & ~(same & np.r_[False, other[:-1]] & np.r_[False, u[1:] == u[:-1]])
            first = np.flatnonzero(begins)
            run_last = _run_ends(other, same, u, first, n)
            declared_names = meters["unit"].to_numpy(dtype=object)
            event(
                "unit_change",
                c[first],
                start[first],
                end[run_last],
                [
                    f"{m} readings in {names[u[f]]} where the meter's unit is "
                    f"{declared_names[c[f]]}: converted"
                    for f, m in zip(first, run_last - first + 1, strict=True)
                ],
            )
    valid = ~(negative | reset | stuck | outlier | base)
    amounts = {
        "meter": c[valid],
        "start": start[valid],
        "end": end[valid],
        "amount": amount[valid],
        "covered": np.where(counter, s - start, np.where(following, np.minimum(iv, step), iv))[
            valid
        ],
    }
    flags = pd.concat(events, ignore_index=True) if events else _no_flags()
    return flags, amounts, interval


def _duration(seconds: float) -> str:
    """A length of time as people write it: 15 min, 1 h, 1 d."""
    if seconds % 86400 == 0:
        return f"{seconds / 86400:g} d"
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min"


def _no_flags() -> pd.DataFrame:
    nothing = np.zeros(0, np.int64)
    return pd.DataFrame(
        {"meter": nothing, "start": nothing, "end": nothing, "flag": [], "detail": []}
    )


def _run_ends(
    other: np.ndarray, same: np.ndarray, u: np.ndarray, first: np.ndarray, n: int
) -> np.ndarray:
    """Last position of each run of readings in one other unit, given its first positions."""
    breaks = ~other | ~same | np.r_[True, u[1:] != u[:-1]]
    break_at = np.r_[np.flatnonzero(breaks), n]
    return break_at[np.searchsorted(break_at, first, "right")] - 1


def conversion_factors(meters: pd.DataFrame, unit_names: list[str], park: Park) -> np.ndarray:
    """Factor of each meter and unit into the meter's canonical amount (per hour for rate
    meters); NaN where the unit does not fit the meter."""
    factors = np.full((len(meters), max(len(unit_names), 1)), np.nan)
    resources = park.catalogue.resources
    for row, (kind, resource) in enumerate(zip(meters["kind"], meters["resource"], strict=True)):
        for column, unit in enumerate(unit_names):
            try:
                factors[row, column] = reading_factor(unit, kind, resources[resource])
            except ValueError:
                continue
    return factors


def flag_readings(
    readings: pd.DataFrame, park: Park, meters: pd.DataFrame | None = None
) -> FlaggedReadings:
    """Convert and flag readings as ``read_readings`` gives them (meter, time, value, unit)
    for the park's meters, or ``meters``: see the module's rules."""
    resolved = meter_table(park, meters)
    meter = readings["meter"]
    if not isinstance(meter.dtype, pd.CategoricalDtype) or list(meter.cat.categories) != list(
        resolved.index
    ):
        codes = resolved.index.get_indexer(meter.astype("str")).astype(np.int32)
    else:
        codes = meter.cat.codes.to_numpy(dtype=np.int32)
    if (codes < 0).any():
        unknown = sorted({str(m) for m in readings["meter"][codes < 0]})
        raise SymbionetError(f"readings of unknown meters: {', '.join(unknown[:10])}")
    given = readings["unit"] if "unit" in readings else pd.Series(np.nan, index=readings.index)
    if isinstance(given.dtype, pd.CategoricalDtype) and not (given.cat.codes < 0).any():
        units = pd.Categorical(given)
    else:  # a table posted by a script: a reading without a unit is in its meter's unit
        declared = resolved["unit"].to_numpy(dtype=object)[codes]
        units = pd.Categorical(np.where(given.isna().to_numpy(), declared, given.astype(object)))
    unit_names = [str(x) for x in units.categories]
    unit_codes = np.asarray(units.codes, dtype=np.int32)
    seconds = np.asarray(
        readings["time"].dt.tz_convert("UTC").dt.tz_localize(None), "datetime64[s]"
    )
    factors = conversion_factors(resolved, unit_names, park)
    unfit = np.isnan(factors[codes, unit_codes])
    if unfit.any():
        pairs = sorted(
            {
                (resolved.index[c], unit_names[u])
                for c, u in zip(codes[unfit], unit_codes[unfit], strict=True)
            }
        )
        raise SymbionetError(
            [Problem("", None, None, f"meter {m!r}: unit {u!r} does not fit it") for m, u in pairs]
        )
    flags, amounts, interval = flag_arrays(
        codes,
        seconds.astype(np.int64),
        readings["value"].to_numpy(dtype=float),
        unit_codes,
        unit_names,
        resolved,
        factors,
    )
    table = pd.DataFrame(
        {
            "meter": pd.Categorical.from_codes(flags["meter"].to_numpy(np.int32), resolved.index)
            if len(flags)
            else pd.Categorical([], categories=resolved.index),
            "start": pd.to_datetime(flags["start"].to_numpy(np.int64), unit="s", utc=True),
            "end": pd.to_datetime(flags["end"].to_numpy(np.int64), unit="s", utc=True),
            "flag": pd.Categorical(flags["flag"], categories=list(FLAGS)),
            "detail": flags["detail"].astype("str"),
        }
    )
    table = table.sort_values(["meter", "start", "flag"], kind="stable", ignore_index=True)
    frame = pd.DataFrame(amounts)
    frame["meter"] = pd.Categorical.from_codes(frame["meter"].to_numpy(np.int32), resolved.index)
    described = resolved.assign(interval_s=interval)
    return FlaggedReadings(flags=table, amounts=frame, meters=described)


__all__ = [
    "EXCLUDING",
    "FLAGS",
    "FlaggedReadings",
    "conversion_factors",
    "flag_arrays",
    "flag_readings",
]
