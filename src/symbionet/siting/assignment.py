"""The siting programmes in linopy: each option alone (an LP), and the assignment (a MILP).

An option is an entrant on one plot or connected group of plots; a link is an exchange
that option could have with a park stream. Variables: ``take[option] ∈ {0,1}`` and
``share[link] ∈ [0,1]``, the part of the link's matched amount used. Every family of
constraints is written once over the ``link`` or ``option`` dimension and summed into
its key (entrant, plot, stream) with a groupby.
"""

from __future__ import annotations

from dataclasses import dataclass

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from symbionet.solver import Solved, solve

# a capacity is stated only where the links that share it could exceed it
_SLACK = 1e-9


@dataclass(frozen=True)
class Assigned:
    """What the solver proved, the options taken (1/0 by option) and each link's share."""

    solved: Solved
    taken: pd.Series
    share: pd.Series


def _da(values: object, index: pd.Index) -> xr.DataArray:
    return xr.DataArray(np.asarray(values), coords={index.name: index})


def _capacity(
    m: linopy.Model,
    share: linopy.Variable,
    use: pd.Series,
    keys: pd.Series,
    limit: pd.Series,
    name: str,
    take: linopy.Variable | None = None,
    option: pd.Series | None = None,
) -> None:
    """Σ use × share over the links of each key ≤ limit[key] (× take[option of the key]),
    stated only for keys whose links together could use more than the limit."""
    total = use.groupby(keys).sum()
    over = total.index[total > limit.reindex(total.index).to_numpy() * (1 + _SLACK)]
    rows = keys.isin(over).to_numpy()
    if not rows.any():
        return
    links = use.index[rows]
    key = _da(keys.to_numpy()[rows], links).rename(f"{name}_key")
    lhs = (_da(use.to_numpy()[rows], links) * share.sel(link=links)).groupby(key).sum()
    names = pd.Index(np.unique(keys.to_numpy()[rows]), name=f"{name}_key")
    bound = _da(limit.reindex(names).to_numpy(float), names)
    if take is None or option is None:
        m.add_constraints(lhs <= bound, name=name)
        return
    chosen = _da(option.reindex(names).to_numpy(), names)
    m.add_constraints(lhs - bound * take.sel(option=chosen) <= 0, name=name)


def alone(links: pd.DataFrame, own: pd.Series, free: pd.Series) -> pd.Series:
    """Each link's share when its option is the only entrant placed: an LP in which each
    option's links share only its own streams and the park's free amounts."""
    if links.empty:
        return pd.Series(dtype=float, index=links.index)
    m = linopy.Model()
    index = links.index.rename("link")
    share = m.add_variables(lower=0, upper=1, coords=[index], name="share")
    option = links["option"].astype(str) + "|"
    _capacity(m, share, links["own"], option + links["stream"], _per(links, own, "stream"), "own")
    _capacity(
        m, share, links["take"], option + links["partner"], _per(links, free, "partner"), "free"
    )
    m.add_objective((_da(links["benefit_eur"], index) * share).sum(), sense="max")
    solve(m)
    return share.solution.to_series().reindex(links.index).fillna(0.0)


def _per(links: pd.DataFrame, amounts: pd.Series, column: str) -> pd.Series:
    """``amounts`` by the key option|column of each link."""
    keys = links["option"].astype(str) + "|" + links[column]
    return (
        pd.Series(amounts.reindex(links[column]).to_numpy(float), index=keys)
        .groupby(level=0)
        .first()
    )


def assign(
    options: pd.DataFrame,
    members: pd.DataFrame,
    links: pd.DataFrame,
    own: pd.Series,
    free: pd.Series,
    *,
    mip_gap: float = 1e-6,
    time_limit: float | None = None,
) -> Assigned:
    """The options to take, at most one per entrant and one per plot, and the links' shares,
    that make the most: Σ benefit × share − Σ land × take.

    ``options``: by option, its ``entrant`` and ``land_eur``; ``members``: (option, plot)
    rows; ``links``: by link, its ``option``, entrant ``stream``, park ``partner``, ``own``
    and ``take`` (amounts of each side it uses at share 1) and ``benefit_eur``; ``own`` and
    ``free``: the amounts of the entrants' streams and of the park's streams.
    """
    if options.empty:
        nothing = pd.Series(dtype=float)
        return Assigned(Solved("ok", "optimal", 0.0, True, 0.0, 0.0), nothing, nothing)
    m = linopy.Model()
    index = options.index.rename("option")
    take = m.add_variables(coords=[index], name="take", binary=True)
    entrant = _da(options["entrant"], index).rename("entrant")
    m.add_constraints((1 * take).groupby(entrant).sum() <= 1, name="one_place")
    member = pd.Index(np.arange(len(members)), name="member")
    plot = _da(members["plot"], member).rename("plot")
    on_plot = take.sel(option=_da(members["option"], member))
    m.add_constraints((1 * on_plot).groupby(plot).sum() <= 1, name="one_entrant")
    objective = -(_da(options["land_eur"], index) * take).sum()
    link = links.index.rename("link")
    share = None
    if len(links):
        share = m.add_variables(lower=0, upper=1, coords=[link], name="share")
        m.add_constraints(share - take.sel(option=_da(links["option"], link)) <= 0, name="use")
        keys = links["option"].astype(str) + "|" + links["stream"]
        limit = _per(links, own, "stream")
        option = pd.Series(links["option"].to_numpy(), index=keys).groupby(level=0).first()
        _capacity(m, share, links["own"], keys, limit, "own", take, option)
        _capacity(m, share, links["take"], links["partner"], free, "free")
        objective = objective + (_da(links["benefit_eur"], link) * share).sum()
    m.add_objective(objective, sense="max")
    solved = solve(m, mip_rel_gap=mip_gap, time_limit=time_limit)
    taken = take.solution.to_series().reindex(options.index).fillna(0.0).round()
    shares = (
        share.solution.to_series().reindex(links.index).fillna(0.0)
        if share is not None
        else pd.Series(dtype=float, index=links.index)
    )
    return Assigned(solved, taken, shares)


__all__ = ["Assigned", "alone", "assign"]
