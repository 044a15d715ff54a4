"""The yearly symbiosis account: what the park and each partner saved in one year.

The account is the impact accounting (:func:`symbionet.assessment.accounting.impact`) of
the exchanges that ran that year, with metered quantities where readings exist. For an
exchange with readings, the year's quantity is what was measured plus the register's
yearly quantity for the part of the year the readings do not cover:

    quantity = measured + expected x (1 - coverage)

and every figure of the exchange (CO2e, water, materials, energy, money) is split between
a *verified* part, in the share ``measured / quantity``, and an *estimated* part, the
rest. An exchange without readings is estimated whole, from the register. With no
readings at all the account is the impact of the year's exchanges, figure for figure.

Two accounts compare year on year: :func:`compare_years` splits the change of each key
figure into the exchanges that started, those that ended and the change of those that ran
in both years; the three add up to the change.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from symbionet.assessment.accounting import (
    KPIS,
    METHOD,
    ImpactOptions,
    ImpactResult,
    _partners,
    impact,
)
from symbionet.discovery.candidates import haversine_km
from symbionet.errors import invalid
from symbionet.register.park import Park
from symbionet.results import Result, plain

COUNTED = ("operating", "ended")
"""Statuses of the exchanges an account counts: operating in the year, or ended after it."""
PARTNER_FIGURES = ["saving_eur", "transfers_eur", "co2e_t", "waste_diverted_t"]
PARTNER_FIGURES += ["groundwater_m3", "freshwater_m3", "virgin_material_t", "energy_mwh"]
"""A partner's yearly figures, as the impact accounting gives them."""
SCALED = [*KPIS, "supplier_co2e_t", "receiver_co2e_t", "transfer_eur"]
"""Figures of an exchange that follow its quantity, split into verified and estimated."""
ACCOUNT_METHOD = (
    "The yearly account counts the exchanges that ran in the year: operating or ended "
    "ones whose start_year, if any, is not after it and whose end_year, if any, is not "
    "before it (an ended exchange that does not say when it ended is not counted). An "
    "exchange with metered readings that year counts measured + expected x (1 - "
    "coverage): what the valid readings measured, and the register's yearly quantity for "
    "the share of the year they do not cover. Each of its figures is split into a "
    "verified part, in the share measured / quantity, and an estimated part, the rest; an"
    " exchange without readings is estimated from the register. Its figures follow the "
    "impact method below. "
)
"""How the account is made, before the impact method."""


@dataclass
class AccountResult(Result):
    """The account of one year: per exchange, per partner and for the park, each figure
    split into what readings verify and what the register estimates.

    ``park`` holds each key figure's ``central`` value (with the ``low``-``high`` range of
    the impact accounting) and its ``verified`` and ``estimated`` parts, which add up to
    it; ``verified_pct`` the verified part in percent of each (NaN where the figure is 0).
    ``partners_verified`` is the verified part of each partner's figures in ``partners``.
    Amounts are in EUR.
    """

    year: int
    park: pd.DataFrame
    exchanges: pd.DataFrame
    partners: pd.DataFrame
    partners_verified: pd.DataFrame
    sources: pd.DataFrame
    verified_pct: pd.Series
    notes: list[str] = field(default_factory=list)
    assumptions: dict[str, Any] = field(default_factory=dict)
    impact: ImpactResult | None = field(default=None, metadata={"json": False})
    main_table = "park"

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": ACCOUNT_METHOD + METHOD,
            **super().to_dict(),
            "park": plain(self.park.to_dict(orient="index")),
        }


@dataclass
class ComparisonResult(Result):
    """The change of each key figure from ``year_a`` to ``year_b`` (``table``): ``before``,
    ``after``, ``change`` and its parts, ``started`` (exchanges counted in ``year_b`` only),
    ``ended`` (counted in ``year_a`` only, with their figures negated) and ``volume`` (the
    change of those counted in both). ``exchanges`` gives each exchange's part."""

    year_a: int
    year_b: int
    table: pd.DataFrame
    exchanges: pd.DataFrame
    first: AccountResult = field(metadata={"json": False})
    second: AccountResult = field(metadata={"json": False})

    @property
    def notes(self) -> list[str]:
        """The notes of both accounts, each with its year."""
        return [f"{a.year}: {note}" for a in (self.first, self.second) for note in a.notes]

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "table": plain(self.table.to_dict(orient="index")),
            "notes": self.notes,
        }


SHOWN = ["supplier", "receiver", "resource", "amount", "unit", "quantity_from", "verified_pct"]
SHOWN += ["co2e_t", "groundwater_m3", "net_saving_eur"]
"""The columns an account's exchanges are shown with."""


def account(
    park: Park, year: int | None = None, verified: pd.DataFrame | None = None
) -> AccountResult:
    """The symbiosis account of ``year`` (the park's ``year`` when None): the impact of the
    exchanges that ran that year, with the quantities of ``verified`` where it has rows
    for the year.

    ``verified`` is the table of metered amounts: index (exchange, year), or columns of
    those names, and columns ``measured`` (the valid readings' sum, in the supply's
    canonical unit), ``coverage`` (the share of the year they cover, 0 to 1) and
    optionally ``expected`` (the yearly quantity the readings are checked against; the
    register's ``annual_quantity`` when absent) and ``unit``.
    """
    year = account_year(park, year)
    counted = _counted(park)
    readings = _readings(park, verified, year)
    running = _running(counted.exchanges, year)
    used = readings[readings.index.isin(running)]
    notes = []
    if verified is not None and not len(readings):
        notes.append(f"the readings given hold no amount of {year}: every figure is estimated")
    ignored = [str(e) for e in readings.index if e not in used.index]
    if ignored:
        notes.append(f"readings of exchanges not counted in {year} left out: {', '.join(ignored)}")
    quantity = None
    if len(used):
        register = counted.exchanges["annual_quantity"].reindex(used.index).astype(float)
        used = used.assign(expected=used["expected"].fillna(register))
        quantity = used["measured"] + used["expected"] * (1 - used["coverage"])
    result = impact(counted, ImpactOptions(statuses=COUNTED, year=year), quantities=quantity)
    return _account(park, year, result, used, notes)


def _account(
    park: Park, year: int, result: ImpactResult, used: pd.DataFrame, notes: list[str]
) -> AccountResult:
    table = result.exchanges
    links = park.exchanges.reindex(table.index)
    register = links["annual_quantity"].astype(float)
    expected = used["expected"].reindex(table.index).fillna(register)
    measured = used["measured"].reindex(table.index)
    coverage = used["coverage"].reindex(table.index)
    has = measured.notna()
    amount = table["amount"].astype(float)
    verified_amount = measured.fillna(0.0)
    share = (verified_amount / amount.where(amount > 0)).where(amount > 0, coverage.fillna(0.0))
    share = share.fillna(0.0).clip(0.0, 1.0)
    quantity_from = pd.Series("register", index=table.index, dtype=object)
    quantity_from[has & (coverage >= 1)] = "readings"
    quantity_from[has & (coverage < 1) & (coverage > 0)] = "readings and register"
    exchanges = pd.DataFrame(
        {
            "supplier": table["supplier"],
            "receiver": table["receiver"],
            "resource": table["resource"],
            "replaces": table["replaces"],
            "start_year": links["start_year"],
            "distance_km": _distance_km(park, links),
            "expected": expected,
            "measured": measured,
            "coverage": coverage,
            "amount": amount,
            "unit": table["unit"],
            "verified_amount": verified_amount,
            "estimated_amount": amount - verified_amount,
            "verified_pct": 100 * share + 0.0,
            "quantity_from": quantity_from,
            **{kpi: table[kpi] for kpi in KPIS},
            "basis": table["basis"],
            "reference": table["reference"],
        },
        index=table.index,
    ).rename_axis("exchange")

    verified_part = table.copy()
    verified_part[SCALED] = table[SCALED].astype(float).mul(share, axis=0)
    partners = result.partners
    partners_verified = _partners(verified_part, park).reindex(partners.index)
    partners_verified[PARTNER_FIGURES] = (
        partners_verified.reindex(columns=PARTNER_FIGURES).astype(float).fillna(0.0)
    )
    partners_verified = partners_verified[["name", *PARTNER_FIGURES]].assign(name=partners["name"])

    totals = result.park.copy()
    verified_total = verified_part[KPIS].astype(float).sum()
    totals["verified"] = verified_total
    totals["estimated"] = totals["central"] - verified_total
    central = totals["central"].where(totals["central"] != 0)
    verified_pct = (100 * verified_total / central).astype(float) + 0.0  # never -0
    totals = totals.rename_axis("key figure")

    without = exchanges.index[~has]
    if len(without) and len(used):
        notes.append(
            f"{len(without)} of {len(exchanges)} exchanges have no readings in {year}: "
            "estimated from the register"
        )
    assumptions = {
        **result.assumptions,
        "year": year,
        "statuses": list(COUNTED),
        "verified": "share measured / quantity of each exchange's figures",
    }
    return AccountResult(
        year=year,
        park=totals,
        exchanges=exchanges,
        partners=partners,
        partners_verified=partners_verified,
        sources=_sources(park, table),
        verified_pct=verified_pct.rename("verified_pct").rename_axis("key figure"),
        notes=notes,
        assumptions=assumptions,
        impact=result,
    )


def compare_years(
    park: Park, year_a: int, year_b: int, verified: pd.DataFrame | None = None
) -> ComparisonResult:
    """How each key figure changed from the account of ``year_a`` to that of ``year_b``:
    the exchanges that started (counted in ``year_b`` only), those that ended (counted in
    ``year_a`` only) and the volume change of those counted in both; the parts add up to
    the change. ``verified`` as :func:`account` takes it, with rows for either year."""
    first = account(park, year_a, verified)
    second = account(park, year_b, verified)
    a, b = first.exchanges, second.exchanges
    ids = list(dict.fromkeys([*a.index, *b.index]))
    kind = pd.Series(
        [
            "continuing"
            if i in a.index and i in b.index
            else "started"
            if i in b.index
            else "ended"
            for i in ids
        ],
        index=pd.Index(ids, name="exchange"),
        dtype=object,
    )
    before = a[KPIS].astype(float).reindex(kind.index).fillna(0.0)
    after = b[KPIS].astype(float).reindex(kind.index).fillna(0.0)
    change = after - before
    described = b.reindex(kind.index).combine_first(a.reindex(kind.index))
    exchanges = pd.concat(
        [
            described[["supplier", "receiver", "resource", "unit"]],
            pd.DataFrame(
                {
                    "change": kind,
                    "amount_before": a["amount"].reindex(kind.index).fillna(0.0),
                    "amount_after": b["amount"].reindex(kind.index).fillna(0.0),
                }
            ),
            change,
        ],
        axis=1,
    )
    parts = {part: change[kind == part].sum() for part in ("started", "ended", "continuing")}
    table = pd.DataFrame(
        {
            "before": first.park["central"],
            "after": second.park["central"],
        }
    )
    table["change"] = table["after"] - table["before"]
    table["started"] = parts["started"]
    table["ended"] = parts["ended"]
    # the rest of the change, so that the parts add up to it; rounding noise of the sums
    # (a millionth of a millionth) shown as 0
    volume = table["change"] - table["started"] - table["ended"]
    scale = table["before"].abs() + table["after"].abs()
    table["volume"] = volume.where(volume.abs() > 1e-12 * scale, 0.0)
    return ComparisonResult(
        year_a=first.year,
        year_b=second.year,
        table=table.rename_axis("key figure"),
        exchanges=exchanges,
        first=first,
        second=second,
    )


def account_year(park: Park, year: object) -> int:
    """The year asked for, or the park's; a whole year from 1900 to 2100."""
    if year is None:
        year = park.meta.get("year")
        if year is None:
            raise invalid("year", "the park states no year (park.yaml: year): give the year")
    if isinstance(year, bool) or not isinstance(year, int | np.integer):
        raise invalid("year", f"must be a whole year such as 2023, not {year!r}")
    if not 1900 <= int(year) <= 2100:
        raise invalid("year", f"must be from 1900 to 2100, not {year}")
    return int(year)


def _running(links: pd.DataFrame, year: int) -> pd.Index:
    """Ids of the exchanges of the counted statuses that ran in ``year`` (as ``impact``
    chooses them)."""
    chosen = links["status"].isin(COUNTED)
    chosen &= (links["start_year"].isna() | (links["start_year"] <= year)).fillna(True)
    chosen &= (links["end_year"].isna() | (links["end_year"] >= year)).fillna(True)
    return links.index[chosen.astype(bool)]


def _counted(park: Park) -> Park:
    """The park whose exchanges of the counted statuses are those that ran in ``year``:
    ``park`` itself unless an ended exchange does not say when it ended (then it is left
    out: it cannot be placed in any year)."""
    links = park.exchanges
    undated = (links["status"] == "ended") & links["end_year"].isna()
    if not undated.any():
        return park
    return dataclasses.replace(park, frames={**park.frames, "exchanges": links[~undated]})


REQUIRED = ("measured", "coverage")
"""Columns the table of metered amounts must have."""


def _readings(park: Park, verified: pd.DataFrame | None, year: int) -> pd.DataFrame:
    """The metered amounts of ``year`` by exchange: expected, measured, coverage; checked."""
    empty = pd.DataFrame(
        {c: pd.Series(dtype=float) for c in ("expected", "measured", "coverage")},
        index=pd.Index([], name="exchange", dtype=object),
    )
    if verified is None:
        return empty
    if isinstance(getattr(verified, "table", None), pd.DataFrame):
        verified = verified.table  # the result of metering's verify
    if not isinstance(verified, pd.DataFrame):
        raise invalid(
            "verified", f"must be a table (a pandas DataFrame), not {type(verified).__name__}"
        )
    frame = verified
    if {"exchange", "year"} <= set(frame.columns):
        frame = frame.set_index(["exchange", "year"])
    if frame.index.nlevels != 2:
        raise invalid("verified", "must be indexed by exchange and year")
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise invalid("verified", f"has no column {', '.join(missing)}")
    years = pd.to_numeric(pd.Series(frame.index.get_level_values(1)), errors="coerce")
    rows = frame[(years == year).to_numpy()]
    exchanges = pd.Index([str(e) for e in rows.index.get_level_values(0)], name="exchange")
    rows = rows.set_axis(exchanges, axis=0)
    twice = sorted(set(exchanges[exchanges.duplicated()]))
    if twice:
        raise invalid("verified", f"exchanges given twice for {year}: {', '.join(twice)}")
    unknown = [e for e in exchanges if e not in park.exchanges.index]
    if unknown:
        raise invalid("verified", f"unknown exchanges {', '.join(unknown)}")
    measured = pd.to_numeric(rows["measured"], errors="coerce").astype(float)
    coverage = pd.to_numeric(rows["coverage"], errors="coerce").astype(float)
    expected = (
        pd.to_numeric(rows["expected"], errors="coerce").astype(float)
        if "expected" in rows.columns
        else pd.Series(np.nan, index=exchanges)
    )
    bad = [e for e, c in coverage.items() if not (math.isfinite(c) and 0 <= c <= 1)]
    if bad:
        raise invalid("verified", f"coverage must be a share from 0 to 1: {', '.join(bad)}")
    # no valid reading in the year (an exchange without meters): estimated, as without a row
    valid = (coverage > 0) | (measured.fillna(0.0) != 0)
    bad = [e for e, m in measured[valid].items() if not (math.isfinite(m) and m >= 0)]
    if bad:
        raise invalid("verified", f"measured must be an amount of 0 or more: {', '.join(bad)}")
    bad = list(exchanges[valid.to_numpy() & (coverage == 0).to_numpy()])
    if bad:
        raise invalid("verified", f"an amount measured with a coverage of 0: {', '.join(bad)}")
    bad = [e for e, x in expected.items() if math.isfinite(x) and x < 0]
    if bad:
        raise invalid("verified", f"expected must be an amount of 0 or more: {', '.join(bad)}")
    if "unit" in rows.columns:
        canonical = park.exchanges.loc[exchanges, "supply"].map(park.streams["annual_unit"])
        wrong = [
            f"{e} in {u}, not {c}"
            for e, u, c in zip(exchanges, rows["unit"], canonical, strict=True)
            if isinstance(u, str) and u and u not in (c, f"{c}/yr")
        ]
        if wrong:
            raise invalid(
                "verified", "amounts must be in the supply's canonical unit: " + "; ".join(wrong)
            )
    found = pd.DataFrame({"expected": expected, "measured": measured, "coverage": coverage})
    return found[valid.to_numpy()].rename_axis("exchange")


def _distance_km(park: Park, links: pd.DataFrame) -> pd.Series:
    """Each exchange's distance: as given, else the straight line between its sites."""
    site = park.streams["site"]
    sites = park.sites
    supply, demand = links["supply"].map(site), links["demand"].map(site)
    straight = haversine_km(
        supply.map(sites["lat"]).to_numpy(dtype=float),
        supply.map(sites["lon"]).to_numpy(dtype=float),
        demand.map(sites["lat"]).to_numpy(dtype=float),
        demand.map(sites["lon"]).to_numpy(dtype=float),
    )
    given = links["distance_km"].astype(float)
    return given.fillna(pd.Series(straight, index=links.index))


def _sources(park: Park, table: pd.DataFrame) -> pd.DataFrame:
    """The catalogue references the figures use (named in each exchange's ``basis``)."""
    used: set[str] = set()
    for text in table["basis"]:
        used.update(
            part.split("(")[-1].rstrip(")").strip()
            for part in str(text).replace("|", ";").split(";")
            if "(" in part
        )
    rows = {
        key: {"title": ref.title, "year": ref.year, "url": ref.url}
        for key, ref in sorted(park.catalogue.references.items())
        if key in used
    }
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["title", "year", "url"])
    return frame.rename_axis("reference")


__all__ = [
    "ACCOUNT_METHOD",
    "COUNTED",
    "SHOWN",
    "AccountResult",
    "ComparisonResult",
    "account",
    "account_year",
    "compare_years",
]
