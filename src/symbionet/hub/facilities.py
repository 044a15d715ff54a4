"""Facilities of the test and scale-up environment: free dates, booking requests and the
bookings each organisation may see.

A booking holds its facility from ``start`` to ``end``, both days included, while it is
requested, confirmed or closed (the facility's own maintenance or use); a declined one
holds nothing. A facility can be booked from ``available_from`` to ``available_to``
(either open when not given). Another organisation's booking is only ever shown or named
as busy dates: never its organisation, contact, purpose or id.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import numpy as np
import pandas as pd

from symbionet.errors import Problem, SymbionetError
from symbionet.hub.text import TextIndex, shared_terms
from symbionet.register.park import Park
from symbionet.register.schema import tables
from symbionet.units import UnitProblem, convert, parse_unit

__all__ = [
    "FREE_COLUMNS",
    "HOLDING",
    "bookings_visible_to",
    "busy_periods",
    "free_facilities",
    "request_booking",
]

HOLDING = ("requested", "confirmed", "closed")
"""Booking statuses that hold a facility's days."""

FREE_COLUMNS = [
    "facility",
    "name",
    "owner",
    "kind",
    "capacity",
    "capacity_unit",
    "start",
    "end",
    "price",
    "score",
    "fits",
]


def _day(value: object, name: str) -> date:
    """A date from a date, a datetime or YYYY-MM-DD text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise SymbionetError([Problem("", None, name, f"{value!r} is not a date (YYYY-MM-DD)")])


def _days(series: pd.Series) -> pd.Series:
    """Park date cells (YYYY-MM-DD text) as timestamps; NaT where empty."""
    return pd.to_datetime(series, format="%Y-%m-%d", errors="coerce")


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _holding(bookings: pd.DataFrame) -> pd.DataFrame:
    """The bookings that hold their days, with start and end as timestamps."""
    status = bookings["status"].fillna("requested")
    held = bookings[status.isin(HOLDING)]
    return held.assign(first=_days(held["start"]), last=_days(held["end"])).dropna(
        subset=["first", "last"]
    )


def _first_window(
    busy: list[tuple[pd.Timestamp, pd.Timestamp]], low: pd.Timestamp, high: pd.Timestamp, days: int
) -> pd.Timestamp | None:
    """The first day from which ``days`` days in a row lie within [low, high] and clear of
    the busy periods (each inclusive), or None."""
    length = pd.Timedelta(days=days - 1)
    start = low
    for first, last in sorted(busy):
        if start + length < first:
            break
        start = max(start, last + pd.Timedelta(days=1))
    return start if start + length <= high else None


def _money(value: float) -> str:
    return f"{value:,.0f}" if value == round(value) else f"{value:,.2f}"


def free_facilities(
    park: Park,
    days: int,
    earliest: date | str,
    latest: date | str,
    capacity: float | None = None,
    kind: str | None = None,
    need: str | None = None,
    *,
    unit: str | None = None,
) -> pd.DataFrame:
    """The facilities free for ``days`` days in a row between ``earliest`` and ``latest``
    (both included), with at least ``capacity`` and of the given ``kind``, each with its
    first free dates, the price of those days and why it fits.

    The capacity is in ``unit`` (``L``, ``m3``, ``kg/h``...), each facility's converted to
    it and a facility whose unit cannot be converted left out; without a unit, in each
    facility's own unit. With a ``need`` in words, each facility's name, kind, description
    and tags are scored against it (TF-IDF over character n-grams, as organisations'
    offers are) and the matching words named; the best fits come first, then the earliest,
    then the cheapest. Columns: facility, name, owner, kind, capacity, capacity_unit,
    start, end (YYYY-MM-DD), price (days × the day price; empty where no price is given),
    score (0 to 1 for the need, 0 without one), fits.
    """
    if not isinstance(days, int | np.integer) or isinstance(days, bool) or days < 1:
        raise SymbionetError(
            [Problem("", None, "days", f"days must be a whole number ≥ 1, not {days!r}")]
        )
    first, last = _day(earliest, "earliest"), _day(latest, "latest")
    if (last - first).days + 1 < days:
        raise SymbionetError(
            [Problem("", None, "latest", f"{first} to {last} holds fewer than {days} days")]
        )
    if capacity is not None and not capacity >= 0:
        raise SymbionetError([Problem("", None, "capacity", f"capacity {capacity!r} is not ≥ 0")])
    kinds = tables()["facilities"].column("kind")
    choices = kinds.choices if kinds is not None else []
    if kind is not None and kind not in choices:
        raise SymbionetError(
            [Problem("", None, "kind", f"{kind!r} is not one of {', '.join(choices)}")]
        )
    facilities = park.table("facilities")
    shown = pd.Series(True, index=facilities.index)
    if capacity is not None:
        shown &= _in_unit(facilities, unit) >= capacity
    if kind is not None:
        shown &= facilities["kind"] == kind
    facilities = facilities[shown.fillna(False).astype(bool)]
    held = _holding(park.table("bookings"))
    asked_from, asked_to = pd.Timestamp(first), pd.Timestamp(last)
    opens = _days(facilities["available_from"]).fillna(asked_from)
    closes = _days(facilities["available_to"]).fillna(asked_to)
    scores = _need_scores(facilities, need)
    rows = []
    for facility, row in facilities.iterrows():
        low, high = max(asked_from, opens[facility]), min(asked_to, closes[facility])
        mine = held[held["facility"] == facility]
        start = _first_window(list(zip(mine["first"], mine["last"], strict=True)), low, high, days)
        if start is None:
            continue
        end = start + pd.Timedelta(days=days - 1)
        total = days * row["price"] if not pd.isna(row["price"]) else np.nan
        rows.append(
            {
                "facility": facility,
                "name": row["name"],
                "owner": row["owner"],
                "kind": row["kind"],
                "capacity": row["capacity"],
                "capacity_unit": row["capacity_unit"],
                "start": start.strftime("%Y-%m-%d"),
                "end": end.strftime("%Y-%m-%d"),
                "price": total,
                "score": scores[0].get(facility, 0.0),
                "fits": _fits(
                    row,
                    park.currency,
                    days,
                    (start, end),
                    (capacity, unit),
                    kind,
                    scores[1].get(facility, []),
                ),
            }
        )
    found = pd.DataFrame(rows, columns=FREE_COLUMNS)
    if found.empty:
        return found
    found["price_order"] = found["price"].fillna(np.inf)
    found = found.sort_values(
        ["score", "start", "price_order", "facility"], ascending=[False, True, True, True]
    )
    return found[FREE_COLUMNS].reset_index(drop=True)


def _in_unit(facilities: pd.DataFrame, unit: str | None) -> pd.Series:
    """Each facility's capacity in ``unit`` (NaN where it cannot be converted)."""
    if unit is None:
        return facilities["capacity"]
    try:
        parse_unit(unit)
    except UnitProblem as problem:
        raise SymbionetError([Problem("", None, "unit", str(problem))]) from None
    values = []
    for value, own in zip(facilities["capacity"], facilities["capacity_unit"], strict=True):
        try:
            values.append(convert(value, own, unit) if isinstance(own, str) else np.nan)
        except UnitProblem:
            values.append(np.nan)
    return pd.Series(values, index=facilities.index, dtype=float)


def _need_scores(
    facilities: pd.DataFrame, need: str | None
) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Each facility's fit to the need (relative to the best, 0 to 1) and its matching words."""
    if not need or facilities.empty:
        return {}, {}
    texts = [
        " ".join(
            _text(row.get(c)).replace(";", " ") for c in ("name", "kind", "description", "tags")
        )
        for _, row in facilities.iterrows()
    ]
    raw = TextIndex(texts).scores(need)
    best = raw.max() if len(raw) else 0.0
    relative = raw / best if best > 0 else np.zeros(len(raw))
    scores = {str(f): float(round(s, 6)) for f, s in zip(facilities.index, relative, strict=True)}
    words = {
        str(f): shared_terms(need, text) for f, text in zip(facilities.index, texts, strict=True)
    }
    return scores, words


def _fits(
    row: pd.Series,
    currency: str,
    days: int,
    period: tuple[pd.Timestamp, pd.Timestamp],
    asked: tuple[float | None, str | None],
    kind: str | None,
    matched: list[str],
) -> str:
    """Why a facility fits, in words."""
    start, end = period
    capacity, unit = asked
    own = _text(row["capacity_unit"])
    parts = []
    if capacity is not None:
        held = f"capacity {row['capacity']:g} {own}".strip()
        if unit is not None and unit != own:
            held += f" = {convert(row['capacity'], own, unit):,.6g} {unit}"
        parts.append(f"{held} ≥ {capacity:g} {unit or own}".strip())
    if kind is not None:
        parts.append(f"a {kind} facility")
    parts.append(f"free {start:%Y-%m-%d} to {end:%Y-%m-%d} ({days} days)")
    if not pd.isna(row["price"]):
        price = row["price"]
        parts.append(
            f"{days} days × {_money(price)} {currency} = {_money(days * price)} {currency}"
        )
    else:
        parts.append("no price given")
    if matched:
        parts.append("matches " + ", ".join(matched))
    return "; ".join(parts)


def _next_id(existing: pd.Index) -> str:
    taken = set(map(str, existing))
    n = len(taken) + 1
    while f"booking{n}" in taken:
        n += 1
    return f"booking{n}"


def request_booking(
    park: Park,
    facility: str,
    organisation: str,
    start: date | str,
    end: date | str,
    contact: str | None = None,
    purpose: str = "",
) -> Park:
    """A new park with a booking request of ``facility`` by ``organisation`` from ``start``
    to ``end`` (both days included), status requested.

    Refused with a SymbionetError when the facility, the organisation or the contact (of
    that organisation) is unknown, when the end comes before the start, when the days lie
    outside the facility's availability, or when they clash with a requested, confirmed or
    closed booking: the message names the facility and the dates held, never whose.
    """
    facilities = park.table("facilities")
    if facility not in facilities.index:
        raise SymbionetError(
            [Problem("facilities.csv", None, "id", f"unknown facility {facility!r}")]
        )
    if organisation not in park.actors.index:
        raise SymbionetError(
            [Problem("actors.csv", None, "id", f"unknown organisation {organisation!r}")]
        )
    if contact is not None:
        contacts = park.table("contacts")
        if contact not in contacts.index or contacts.at[contact, "organisation"] != organisation:
            raise SymbionetError(
                [Problem("contacts.csv", None, "id", f"no contact {contact!r} of {organisation}")]
            )
    first, last = _day(start, "start"), _day(end, "end")
    label = f"facility {facility} ({facilities.at[facility, 'name']})"
    if last < first:
        raise SymbionetError(
            [Problem("", None, "end", f"the last day {last} comes before the first {first}")]
        )
    problems = []
    opens = _text(facilities.at[facility, "available_from"])
    closes = _text(facilities.at[facility, "available_to"])
    if opens and first.isoformat() < opens:
        problems.append(
            Problem("", None, "start", f"{label} can be booked from {opens}, not {first}")
        )
    if closes and last.isoformat() > closes:
        problems.append(
            Problem("", None, "end", f"{label} can be booked until {closes}, not {last}")
        )
    bookings = park.table("bookings")
    held = _holding(bookings)
    held = held[held["facility"] == facility]
    clash = held[(held["first"] <= pd.Timestamp(last)) & (held["last"] >= pd.Timestamp(first))]
    for period_start, period_end in sorted(set(zip(clash["start"], clash["end"], strict=True))):
        problems.append(
            Problem(
                "", None, "start", f"{label} is already booked from {period_start} to {period_end}"
            )
        )
    if problems:
        raise SymbionetError(problems)
    new = _next_id(bookings.index)
    row = pd.DataFrame(
        {
            "facility": [facility],
            "organisation": [organisation],
            "contact": [contact],
            "start": [first.isoformat()],
            "end": [last.isoformat()],
            "status": ["requested"],
            "purpose": [purpose or None],
        },
        index=pd.Index([new], name=bookings.index.name or "id"),
    )
    added = row.reindex(columns=bookings.columns).astype(bookings.dtypes.to_dict())
    frames = dict(park.frames)
    frames["bookings"] = pd.concat([bookings, added]) if len(bookings) else added
    return _with_frames(park, frames)


def _with_frames(park: Park, frames: dict[str, pd.DataFrame]) -> Park:
    return replace(park, frames=frames, _empty={})


def busy_periods(park: Park, facility: str | None = None) -> pd.DataFrame:
    """The periods each facility is held (requested, confirmed or closed), overlapping and
    adjoining bookings merged, naming no booking or organisation. Columns: facility, start,
    end."""
    held = _holding(park.table("bookings"))
    if facility is not None:
        held = held[held["facility"] == facility]
    rows = []
    for name, group in held.sort_values(["facility", "first"]).groupby("facility", sort=True):
        current: list[pd.Timestamp] = []
        for first, last in zip(group["first"], group["last"], strict=True):
            if current and first <= current[1] + pd.Timedelta(days=1):
                current[1] = max(current[1], last)
            else:
                if current:
                    rows.append((name, *current))
                current = [first, last]
        rows.append((name, *current))
    frame = pd.DataFrame(rows, columns=["facility", "start", "end"])
    for column in ("start", "end"):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    return frame


def bookings_visible_to(park: Park, organisation: str | None) -> pd.DataFrame:
    """The bookings as ``organisation`` may see them (``None``: the public): its own in
    full (booking, facility, start, end, status, purpose), everyone else's as busy periods
    (status ``busy``, no booking, organisation or purpose), merged per facility."""
    own = park.table("bookings")
    own = own[own["organisation"] == organisation] if organisation is not None else own.iloc[0:0]
    others = park.table("bookings")
    others = others[others["organisation"] != organisation] if organisation is not None else others
    mine = pd.DataFrame(
        {
            "booking": own.index.astype(str),
            "facility": own["facility"].to_numpy(),
            "start": own["start"].to_numpy(),
            "end": own["end"].to_numpy(),
            "status": own["status"].fillna("requested").to_numpy(),
            "purpose": own["purpose"].to_numpy(),
        }
    )
    busy = busy_periods(_with_frames(park, {**park.frames, "bookings": others}))
    busy = busy.assign(booking=None, status="busy", purpose=None)[mine.columns]
    parts = [p for p in (mine, busy) if len(p)]
    if not parts:
        return mine
    return pd.concat(parts, ignore_index=True).sort_values(["facility", "start"], ignore_index=True)
