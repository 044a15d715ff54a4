"""Periods of the design model: shares of each profile, weights and typical days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from symbionet.errors import SymbionetError
from symbionet.optimisation.periods import FLAT, HOURS, build_periods


def hourly(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hour = np.arange(HOURS)
    shape = 1 + 0.5 * np.cos(2 * np.pi * hour / HOURS) + 0.2 * np.sin(2 * np.pi * hour / 24)
    return pd.DataFrame(
        {"heat": shape * (1 + 0.05 * rng.standard_normal(HOURS)), "flat_ish": 1.0},
        index=pd.RangeIndex(1, HOURS + 1, name="period"),
    )


@pytest.mark.parametrize("spec", ["annual", "monthly", "hourly", "typical-days:5"])
def test_every_profile_sums_to_its_year(spec: str) -> None:
    periods = build_periods(hourly(), ["heat", "flat_ish"], spec)
    totals = periods.shares.mul(periods.weight, axis=0).sum()
    assert totals.to_numpy() == pytest.approx(np.ones(3))
    assert (periods.weight * periods.hours).sum() == pytest.approx(HOURS)


def test_typical_days_are_blocks_of_24_hours_weighted_by_the_days_they_stand_for() -> None:
    periods = build_periods(hourly(), ["heat"], "typical-days:6")
    assert len(periods.index) == 6 * 24
    assert periods.block.nunique() == 6
    days = periods.weight.groupby(periods.block).first()
    assert days.sum() == pytest.approx(365)
    # a flat stream takes 1/8760 of its year in every hour of every typical day
    assert periods.shares[FLAT].to_numpy() == pytest.approx(np.full(144, 1 / HOURS))


def test_monthly_profiles_spread_evenly_over_their_hours() -> None:
    months = pd.DataFrame(
        {"winter": [3, 2, 1, 0, 0, 0, 0, 0, 0, 1, 2, 3]},
        index=pd.RangeIndex(1, 13, name="period"),
    )
    monthly = build_periods(months, ["winter"], "monthly")
    assert monthly.shares["winter"].to_numpy() == pytest.approx(np.array(months["winter"]) / 12)
    hours = build_periods(months, ["winter"], "hourly")
    assert hours.shares["winter"].iloc[0] == pytest.approx(3 / 12 / (31 * 24))


def test_profiles_must_cover_months_or_hours() -> None:
    weeks = pd.DataFrame({"x": np.ones(52)}, index=pd.RangeIndex(1, 53, name="period"))
    with pytest.raises(SymbionetError, match=r"12 .* or 8760"):
        build_periods(weeks, ["x"], "monthly")
    with pytest.raises(SymbionetError, match="no column 'missing'"):
        build_periods(weeks, ["missing"], "monthly")
