"""Heat recovery targets: the problem table cascade and the transshipment LP.

Streams are a table with columns ``name, supply_temp_c, target_temp_c, cp_kw_per_k`` and
optionally ``site`` and ``dt_min_contribution_k``. A stream is hot when it cools down
(supply above target) and cold when it heats up. Hot streams are shifted down and cold
streams up by their contribution to the minimum approach temperature (``dt_min / 2``
unless ``dt_min_contribution_k`` gives one), so that any heat flowing down the shifted
temperature scale is feasible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from symbionet.errors import SymbionetError
from symbionet.options import options_from
from symbionet.results import Result
from symbionet.targeting.options import HeatOptions
from symbionet.targeting.shared import (
    check_table,
    locate,
    no_solution,
    optimal,
    positive,
    read_table,
    summary,
    tolerance,
)

HEAT_STREAMS = "heat_streams"
HEAT_METHODS: dict[str, str] = {
    "cascade": "problem table",
    "lp": "transshipment LP",
}


@dataclass(frozen=True)
class HeatTargets(Result):
    """Minimum utilities, maximum recovery and the pinch (None for a threshold problem).

    ``cascade`` is the grand composite curve: the heat flowing down past each shifted
    temperature boundary once the minimum hot utility enters at the top.
    """

    main_table: ClassVar[str] = "cascade"

    hot_utility_kw: float
    cold_utility_kw: float
    heat_recovery_kw: float
    pinch_shifted_c: float | None
    pinch_hot_c: float | None
    pinch_cold_c: float | None
    threshold: bool
    method: str
    dt_min_k: float
    cascade: pd.DataFrame = field(repr=False, compare=False, metadata={"json": False})

    def tables(self) -> dict[str, pd.DataFrame]:
        """The targets as one row, then the cascade."""
        return {"targets": summary(self), **super().tables()}


def read_heat_streams(path: str | Path) -> pd.DataFrame:
    """Read and check a heat stream CSV file (``attrs["warnings"]``: its unused columns)."""
    table = read_table(path, [HEAT_STREAMS])
    warnings = table.attrs["warnings"]
    streams = heat_streams(table)
    streams.attrs["warnings"] = warnings
    return streams


def heat_streams(table: pd.DataFrame) -> pd.DataFrame:
    """Check a stream table; add ``hot`` (bool) and ``duty_kw``."""
    streams = check_table(table, HEAT_STREAMS)
    problems = positive(streams, "cp_kw_per_k")
    problems += [
        locate(streams, i, "target_temp_c", "equals the supply temperature: no heat to move")
        for i in streams.index[streams.supply_temp_c == streams.target_temp_c]
    ]
    if problems:
        raise SymbionetError(problems)
    hot = streams.supply_temp_c > streams.target_temp_c
    duty = streams.cp_kw_per_k * (streams.supply_temp_c - streams.target_temp_c).abs()
    return streams.assign(hot=hot, duty_kw=duty)


def heat_targets(
    streams: pd.DataFrame, options: HeatOptions | None = None, **overrides: Any
) -> HeatTargets:
    """Minimum hot and cold utility for the streams, as ``options`` say (keywords override
    single options: ``heat_targets(streams, dt_min=20)``)."""
    settings = options_from(HeatOptions, options, overrides)
    streams = heat_streams(streams)
    boundaries, surplus = _interval_surplus(streams, settings.dt_min)
    lp = settings.method == "lp"
    flows = _transshipment_lp(surplus) if lp else _cascade(surplus)
    return _targets(streams, settings.dt_min, boundaries, flows, HEAT_METHODS[settings.method])


def _interval_surplus(streams: pd.DataFrame, dt_min: float) -> tuple[np.ndarray, xr.DataArray]:
    """Shifted temperature boundaries (descending) and each interval's heat surplus (kW)."""
    shift = streams.dt_min_contribution_k.fillna(dt_min / 2).to_numpy()
    sign = np.where(streams.hot, -1.0, 1.0)
    supply = streams.supply_temp_c.to_numpy() + sign * shift
    target = streams.target_temp_c.to_numpy() + sign * shift
    boundaries = np.unique(np.concatenate([supply, target]))[::-1]
    upper = xr.DataArray(boundaries[:-1], dims="interval")
    lower = xr.DataArray(boundaries[1:], dims="interval")
    top = xr.DataArray(np.maximum(supply, target), dims="stream")
    bottom = xr.DataArray(np.minimum(supply, target), dims="stream")
    overlap = (np.minimum(top, upper) - np.maximum(bottom, lower)).clip(min=0)
    signed_cp = xr.DataArray(streams.cp_kw_per_k.to_numpy() * -sign, dims="stream")
    return boundaries, (signed_cp * overlap).sum("stream")


def _cascade(surplus: xr.DataArray) -> np.ndarray:
    """Problem table: cascade the surpluses down, then add the hot utility that keeps it >= 0."""
    flows = np.concatenate([[0.0], np.cumsum(surplus.to_numpy())])
    return flows - min(flows.min(), 0.0)


def _transshipment_lp(surplus: xr.DataArray) -> np.ndarray:
    """Transshipment LP: minimum hot utility such that every interval balances its heat.

    ``residual[k]`` is the heat interval k passes down to the next one (the last one
    goes to cold utility); hot utility enters the top interval.
    """
    model = linopy.Model()
    intervals = pd.RangeIndex(surplus.sizes["interval"], name="interval")
    surplus = surplus.assign_coords(interval=intervals)
    hot_utility = model.add_variables(lower=0, name="hot_utility")
    residual = model.add_variables(lower=0, coords=[intervals], name="residual")
    enters_top = xr.DataArray(intervals == 0, coords=[intervals]).astype(float)
    inflow = residual.shift(interval=1).fillna(0) + enters_top * hot_utility
    model.add_constraints(residual - inflow == surplus, name="interval_balance")
    model.add_objective(1.0 * hot_utility)
    if optimal(model) is None:
        raise no_solution("", "the transshipment LP")
    return np.concatenate([[hot_utility.solution.item()], residual.solution.to_numpy()])


def _targets(
    streams: pd.DataFrame, dt_min: float, boundaries: np.ndarray, flows: np.ndarray, method: str
) -> HeatTargets:
    """Targets and pinch from the heat flowing down past each shifted boundary."""
    hot_duty = streams.duty_kw[streams.hot].sum()
    tol = tolerance(streams.duty_kw.sum())
    flows = np.where(np.abs(flows) <= tol, 0.0, flows)
    hot_utility, cold_utility = float(flows[0]), float(flows[-1])
    threshold = hot_utility == 0 or cold_utility == 0
    pinch = None if threshold else float(boundaries[np.flatnonzero(flows == 0)[0]])
    return HeatTargets(
        hot_utility_kw=hot_utility,
        cold_utility_kw=cold_utility,
        heat_recovery_kw=float(hot_duty - cold_utility),
        pinch_shifted_c=pinch,
        pinch_hot_c=None if pinch is None else pinch + dt_min / 2,
        pinch_cold_c=None if pinch is None else pinch - dt_min / 2,
        threshold=threshold,
        method=method,
        dt_min_k=float(dt_min),
        cascade=pd.DataFrame({"shifted_temp_c": boundaries, "heat_flow_kw": flows}),
    )


def composite_curves(streams: pd.DataFrame, targets: HeatTargets) -> pd.DataFrame:
    """Hot and cold composite curves: ``curve`` (hot or cold), ``heat_kw`` (cumulative)
    and ``temperature_c``; the cold curve starts at the minimum cold utility, so that the
    two curves touch at the pinch."""
    streams = heat_streams(streams)
    curves = []
    for hot, curve, start in ((True, "hot", 0.0), (False, "cold", targets.cold_utility_kw)):
        subset = streams[streams.hot == hot]
        if len(subset):
            ends = subset[["supply_temp_c", "target_temp_c"]].to_numpy()
            low, high = ends.min(axis=1), ends.max(axis=1)
            temps = np.unique(np.concatenate([low, high]))
            heat = (
                start + (np.clip(temps[:, None], low, high) - low) @ subset.cp_kw_per_k.to_numpy()
            )
            curves.append(pd.DataFrame({"curve": curve, "heat_kw": heat, "temperature_c": temps}))
    return pd.concat(curves, ignore_index=True)


__all__ = [
    "HEAT_METHODS",
    "HEAT_STREAMS",
    "HeatTargets",
    "composite_curves",
    "heat_streams",
    "heat_targets",
    "read_heat_streams",
]
