"""Time in the design model: the periods of a year, their weights, and each profile's share.

A time resolution is ``annual`` (one period), ``monthly`` (12), ``hourly`` (8760) or
``typical-days:N`` (N representative days of 24 hours, found with tsam). Each period
occurs ``weight`` times a year and lasts ``hours``; ``shares[profile]`` is the share of a
stream's yearly quantity that falls in one occurrence, so that
``sum(weight * share) == 1`` for every profile. Storage cycles within each ``block``
(the whole year, or one typical day).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from symbionet.errors import SymbionetError, invalid

HOURS = 8760
DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
MONTH_OF_HOUR = np.repeat(np.arange(12), DAYS_IN_MONTH * 24)
FLAT = ""
_TYPICAL = re.compile(r"^typical-days:(\d+)$")
TIME_HELP = "annual, monthly, hourly or typical-days:N (N between 1 and 365)"


@dataclass(frozen=True)
class Periods:
    """The periods of one design run."""

    spec: str
    weight: pd.Series
    hours: pd.Series
    block: pd.Series
    shares: pd.DataFrame

    @property
    def index(self) -> pd.Index:
        return self.weight.index

    def subset(self, periods: pd.Index) -> Periods:
        """The same periods restricted to ``periods`` (for solving a year in parts)."""
        return Periods(
            self.spec,
            self.weight.loc[periods],
            self.hours.loc[periods],
            self.block.loc[periods],
            self.shares.loc[periods],
        )


def parse_time(spec: str) -> tuple[str, int]:
    """("annual"|"monthly"|"hourly"|"typical-days", number of days) from a time spec."""
    text = str(spec).strip().lower()
    if text in {"annual", "monthly", "hourly"}:
        return text, 0
    match = _TYPICAL.match(text)
    if match and 1 <= int(match.group(1)) <= 365:
        return "typical-days", int(match.group(1))
    raise invalid("time", f"must be {TIME_HELP}, not {spec!r}")


def hourly_shares(profiles: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """The share of each named profile in each hour of the year (flat for ``FLAT``)."""
    columns = {}
    for name in names:
        if name == FLAT:
            columns[name] = np.full(HOURS, 1.0 / HOURS)
            continue
        values = profiles[name].to_numpy(dtype=float)
        if len(values) == 12:
            values = (values / DAYS_IN_MONTH / 24)[MONTH_OF_HOUR]
        total = values.sum()
        columns[name] = values / total if total > 0 else np.full(HOURS, 1.0 / HOURS)
    return pd.DataFrame(columns, index=pd.RangeIndex(1, HOURS + 1, name="period"))


def _check_profiles(profiles: pd.DataFrame, names: list[str]) -> None:
    missing = [n for n in names if n != FLAT and n not in profiles.columns]
    if missing:
        raise SymbionetError(f"profiles.csv has no column {', '.join(map(repr, missing))}")
    if any(n != FLAT for n in names) and len(profiles) not in (12, HOURS):
        raise SymbionetError(
            f"profiles.csv must have 12 (months) or {HOURS} (hours) rows, not {len(profiles)}"
        )


def build_periods(profiles: pd.DataFrame, names: list[str], spec: str) -> Periods:
    """The periods for a time spec and the shares of the named profiles in them."""
    kind, days = parse_time(spec)
    names = list(dict.fromkeys([FLAT, *names]))
    _check_profiles(profiles, names)
    hourly = hourly_shares(profiles, names)
    if kind == "hourly":
        return _sequential(spec, hourly, np.ones(HOURS))
    if kind == "monthly":
        monthly = hourly.groupby(MONTH_OF_HOUR).sum()
        monthly.index = pd.RangeIndex(1, 13, name="period")
        return _sequential(spec, monthly, DAYS_IN_MONTH * 24.0)
    if kind == "annual":
        annual = pd.DataFrame(1.0, index=pd.RangeIndex(1, 2, name="period"), columns=names)
        return _sequential(spec, annual, np.array([float(HOURS)]))
    return _typical_days(spec, hourly, days)


def _sequential(spec: str, shares: pd.DataFrame, hours: np.ndarray) -> Periods:
    index = shares.index
    return Periods(
        spec,
        pd.Series(1.0, index=index, name="weight"),
        pd.Series(hours, index=index, name="hours"),
        pd.Series(0, index=index, name="block"),
        shares,
    )


def _typical_days(spec: str, hourly: pd.DataFrame, days: int) -> Periods:
    """N typical days by hierarchical clustering of the daily profiles (tsam)."""
    import tsam

    data = hourly.set_axis(pd.date_range("2023-01-01", periods=HOURS, freq="h"))
    varying = data.loc[:, data.std() > 0]
    if varying.empty:
        counts = {0: 365.0}
        representatives = data.iloc[:24].set_axis(
            pd.MultiIndex.from_product([[0], range(24)]), axis=0
        )
    else:
        result = tsam.aggregate(varying, n_clusters=days, period_duration=24)
        counts = dict(result.cluster_counts)
        representatives = result.cluster_representatives.reindex(columns=data.columns)
        for flat in data.columns.difference(varying.columns):
            representatives[flat] = data[flat].iloc[0]
    clusters = sorted(counts)
    shares = representatives.loc[clusters].to_numpy(dtype=float)
    weight = np.repeat([float(counts[c]) for c in clusters], 24)
    shares = shares / (weight[:, None] * shares).sum(axis=0)
    index = pd.RangeIndex(1, len(weight) + 1, name="period")
    return Periods(
        spec,
        pd.Series(weight, index=index, name="weight"),
        pd.Series(1.0, index=index, name="hours"),
        pd.Series(np.repeat(np.arange(len(clusters)), 24), index=index, name="block"),
        pd.DataFrame(shares, index=index, columns=data.columns),
    )
