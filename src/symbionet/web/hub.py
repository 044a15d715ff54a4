"""The knowledge hub on the platform: the ecosystem's organisations, projects, funding
calls and facilities in the park's own database, pages and roles.

Pages under ``/parks/{park_id}/hub`` and the JSON API under ``/api/parks/{park_id}/hub``
call the same functions here, which check the role on the server and call the library
(:mod:`symbionet.hub`). What each role gets:

- everyone with a role in the park: the organisations with their offers, needs and tags,
  the projects, the open calls and the facilities with the dates they are busy (another
  organisation's booking is a busy date, never whose);
- a member organisation (an editor, or a viewer reading as it): its own contacts and
  bookings, the partners that fit its needs; its editor changes its offers and needs and
  requests facility dates for it;
- the secretariat: everything, the consortia for a call and their export, and every
  contact. A contact is seen, exported and erased by the secretariat and by their own
  organisation (erasing is an editor's), by no one else.
"""

from __future__ import annotations

import csv
import io
import json
import re
from calendar import monthrange
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from symbionet.errors import Problem, SymbionetError
from symbionet.register.park import Park
from symbionet.results import plain, records
from symbionet.store import repository
from symbionet.store.accounts import Access
from symbionet.store.repository import ConflictError, StoredPark
from symbionet.web import service
from symbionet.web.context import Platform, User, platform, role_in, signed_in, visible_park
from symbionet.web.pages import _member, _page, _see_other

api = APIRouter(prefix="/api/parks/{park_id}/hub", tags=["hub"])
pages = APIRouter(prefix="/parks/{park_id}/hub", include_in_schema=False)

#: booking statuses that hold a facility's days
HOLDING = ("requested", "confirmed", "closed")
#: months of a facility's calendar shown at most
CALENDAR_MONTHS = 12
#: what a refused change that would tell of another organisation says instead
OTHERS = "the request conflicts with another organisation's data"

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- reading the park ------------------------------------------------------------------


def _frame(park: Park, name: str) -> pd.DataFrame:
    """A hub table of the park (empty when the park has none)."""
    found = park.frames.get(name)
    return found if found is not None else pd.DataFrame()


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _day(value: Any) -> date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _tags(value: Any) -> list[str]:
    return [t.strip() for t in _text(value).split(";") if t.strip()]


def _names(park: Park) -> dict[str, str]:
    return {str(i): _text(n) for i, n in park.actors["name"].items()}


def _organisation(
    state: Platform, stored: StoredPark, access: Access, given: str | None, what: str
) -> str:
    """The organisation a request is for: a member's own (another is refused); the one
    the secretariat names."""
    if access.actor is not None:
        if given not in (None, "", access.actor):
            raise HTTPException(403, f"a member organisation {what} for itself only")
        return access.actor
    if not given:
        raise SymbionetError(
            [Problem("", None, "organisation", f"name the organisation {what} is for")]
        )
    if given not in stored.park.actors.index:
        raise SymbionetError([Problem("", None, "organisation", f"no organisation {given!r}")])
    return given


# --- the overview ------------------------------------------------------------------------


def busy_periods(park: Park, facility: str, access: Access) -> list[dict[str, Any]]:
    """The days a facility is held (requested, confirmed or closed), from the whole park:
    the role's own bookings with their ids; everyone else's merged into busy periods that
    name no one (the secretariat sees who)."""
    bookings = _frame(park, "bookings")
    if bookings.empty:
        return []
    held = bookings[(bookings["facility"] == facility) & bookings["status"].isin(HOLDING)]
    mine: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for booking, row in held.sort_values("start").iterrows():
        start, end = _day(row["start"]), _day(row["end"])
        if start is None or end is None:
            continue
        organisation = _text(row["organisation"])
        if access.actor is None or organisation == access.actor:
            entry = {"start": start, "end": end, "mine": access.actor is not None}
            entry |= {"booking": str(booking), "status": _text(row["status"])}
            if access.actor is None:
                entry["organisation"] = organisation
            mine.append(entry)
        elif others and start <= others[-1]["end"] + timedelta(days=1):
            others[-1]["end"] = max(others[-1]["end"], end)
        else:
            others.append({"start": start, "end": end, "mine": False})
    return sorted(mine + others, key=lambda p: (p["start"], p["end"]))


def calendar(
    periods: list[dict[str, Any]], first: date | None, last: date | None, today: date
) -> list[dict[str, Any]]:
    """A facility's months, each a row of days marked ``busy``, ``mine``, ``closed``
    (outside the dates it can be booked) or free: from its first bookable month (this
    month when that is past) for up to a year, or the months its busy periods fall in."""
    start = max(first or today, today).replace(day=1)
    if last is not None and last < start:
        start = last.replace(day=1)
    months = []
    year, month = start.year, start.month
    for _ in range(CALENDAR_MONTHS):
        length = monthrange(year, month)[1]
        days = []
        for number in range(1, length + 1):
            day = date(year, month, number)
            state = "free"
            if (first is not None and day < first) or (last is not None and day > last):
                state = "closed"
            for period in periods:
                if period["start"] <= day <= period["end"]:
                    state = "mine" if period["mine"] else "busy"
            days.append({"day": number, "date": day.isoformat(), "state": state})
        months.append({"month": f"{year}-{month:02d}", "days": days})
        if last is not None and date(year, month, length) >= last:
            break
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def overview(state: Platform, stored: StoredPark, access: Access) -> dict[str, Any]:
    """The hub as the role sees it: organisations, projects with their partners, open
    calls, facilities with their busy periods, and the role's own bookings."""
    key = ("hub overview", access.role, access.actor, date.today())  # calendars start today
    return state.computed(stored, key, lambda: _overview(stored, access))


def _overview(stored: StoredPark, access: Access) -> dict[str, Any]:
    whole = stored.park
    park = whole if access.actor is None else whole.visible_to(access.actor)
    names = _names(park)
    actors = park.actors
    organisations = [
        {
            "id": str(actor),
            "name": names[str(actor)],
            **{
                c: plain(row.get(c))
                for c in ("kind", "size", "country", "town", "language", "offers", "needs", "trl")
            },
            "tags": _tags(row.get("tags")),
        }
        for actor, row in actors.iterrows()
    ]
    partners = _frame(park, "project_partners")
    projects = []
    for project, row in _frame(park, "projects").iterrows():
        taking = partners[partners["project"] == project] if len(partners) else partners
        projects.append(
            {
                "id": str(project),
                **{c: plain(row.get(c)) for c in ("name", "lead", "funder", "programme", "status")},
                **{c: plain(row.get(c)) for c in ("start", "end", "topic", "results", "budget")},
                "lead_name": names.get(_text(row.get("lead")), ""),
                "partners": [
                    {
                        "organisation": str(p["organisation"]),
                        "name": names.get(str(p["organisation"]), ""),
                        "role": plain(p.get("role")),
                    }
                    for _, p in taking.iterrows()
                ],
            }
        )
    calls = []
    for call, row in _frame(park, "calls").iterrows():
        calls.append(
            {
                "id": str(call),
                **{c: plain(row.get(c)) for c in ("title", "funder", "programme", "topic")},
                **{c: plain(row.get(c)) for c in ("deadline", "budget_min", "budget_max")},
                **{c: plain(row.get(c)) for c in ("cofinancing", "status")},
                "funder_name": names.get(_text(row.get("funder")), ""),
            }
        )
    calls.sort(key=lambda c: (c["status"] != "open", c["deadline"] or "9999"))
    today = date.today()
    facilities = []
    for facility, row in _frame(park, "facilities").iterrows():
        periods = busy_periods(whole, str(facility), access)
        first, last = _day(row.get("available_from")), _day(row.get("available_to"))
        facilities.append(
            {
                "id": str(facility),
                **{c: plain(row.get(c)) for c in ("name", "owner", "kind", "description")},
                **{c: plain(row.get(c)) for c in ("capacity", "capacity_unit", "price")},
                "available_from": plain(first),
                "available_to": plain(last),
                "owner_name": names.get(_text(row.get("owner")), ""),
                "tags": _tags(row.get("tags")),
                "busy": plain(periods),
                "calendar": calendar(periods, first, last, today),
            }
        )
    bookings = records(_frame(park, "bookings")) if access.actor is not None else []
    return {
        "park": park.name,
        "currency": park.currency,
        "organisation": access.actor,
        "organisations": organisations,
        "projects": projects,
        "calls": calls,
        "facilities": facilities,
        "my_bookings": bookings,
    }


def profile(park: Park, organisation: str) -> dict[str, Any]:
    row = park.actors.loc[organisation]
    return {c: plain(row.get(c)) for c in ("name", "offers", "needs", "tags", "language")}


def change_profile(
    state: Platform,
    stored: StoredPark,
    access: Access,
    author: str,
    organisation: str | None,
    values: Mapping[str, Any],
    version: int,
) -> int:
    """Change an organisation's offers, needs and tags (its editor's or the
    secretariat's), as the register's own row edit does: versioned and logged."""
    actor = _organisation(state, stored, access, organisation, "changes its profile")
    wrong = sorted(set(values) - {"offers", "needs", "tags", "language"})
    if wrong:
        raise SymbionetError(
            [Problem(f"actors[{actor}]", None, c, "not a field of a profile") for c in wrong]
        )
    return service.change_row(state, stored, access, author, "actors", actor, values, version)


# --- matching ------------------------------------------------------------------------------


def matches(
    state: Platform,
    stored: StoredPark,
    access: Access,
    organisation: str | None,
    need: str | None = None,
    limit: int = 10,
) -> list[dict[str, Any]]:
    """The organisations whose offers fit an organisation's needs (or the ``need``
    given), ranked and explained: a member's own; any the secretariat names."""
    actor = _organisation(state, stored, access, organisation, "finds partners")
    park = visible_park(stored, access, state)

    def found() -> list[dict[str, Any]]:
        from symbionet.hub.matching import partners_for

        return records(partners_for(park, actor, need=need or None, limit=limit))

    return state.computed(stored, ("hub matches", access.actor, actor, need, limit), found)


# --- facilities and bookings ------------------------------------------------------------


def _beyond_the_calendar() -> SymbionetError:
    return SymbionetError([Problem("", None, "end", "the days run past the calendar (year 9999)")])


def free(
    state: Platform,
    stored: StoredPark,
    access: Access,
    days: int,
    earliest: date,
    latest: date,
    capacity: float | None = None,
    kind: str | None = None,
    need: str | None = None,
) -> list[dict[str, Any]]:
    """Facilities free for ``days`` days in a row between ``earliest`` and ``latest``
    (with the capacity, kind and need asked), each with its first free dates and why it
    fits: read from every booking, but naming none."""

    def found() -> list[dict[str, Any]]:
        from symbionet.hub.facilities import free_facilities

        try:
            table = free_facilities(
                stored.park, days, earliest, latest, capacity=capacity, kind=kind or None,
                need=need or None,
            )  # fmt: skip
        except OverflowError:
            raise _beyond_the_calendar() from None
        return records(table)

    key = ("hub free", days, earliest, latest, capacity, kind, need)
    return state.computed(stored, key, found)


def _other_words(park: Park, access: Access) -> set[str]:
    """What would tell a member of other organisations' bookings and people: their
    organisations' ids and names, their bookings' ids, their contacts' names and
    addresses."""
    if access.actor is None:
        return set()
    words: set[str] = set()
    bookings = _frame(park, "bookings")
    if len(bookings):
        theirs = bookings[bookings["organisation"] != access.actor]
        words |= {str(b) for b in theirs.index}
        for actor in set(theirs["organisation"].astype(str)):
            words.add(actor)
            if actor in park.actors.index:
                words.add(_text(park.actors.at[actor, "name"]))
    contacts = _frame(park, "contacts")
    if len(contacts):
        theirs = contacts[contacts["organisation"] != access.actor]
        words |= {str(c) for c in theirs.index}
        for column in ("name", "email", "phone"):
            if column in theirs:
                words |= {_text(v) for v in theirs[column].dropna()}
    return {w for w in words if len(w) > 2}


def _scrubbed(error: SymbionetError, park: Park, access: Access) -> SymbionetError:
    """The error with each problem that names another organisation's booking, contact or
    the organisation itself replaced by one that names none."""
    words = _other_words(park, access)
    if not words:
        return error
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
    facilities = _frame(park, "facilities")
    public = [str(f) for f in facilities.index]  # facilities' ids and names are everyone's
    public += [_text(n) for n in facilities.get("name", pd.Series(dtype=object)).dropna()]
    public = sorted({p for p in public if p}, key=len, reverse=True)
    problems = []
    for problem in error.problems:
        text = f"{problem.file} {problem.column} {problem.message}"
        for label in public:
            text = text.replace(label, " ")
        if pattern.search(text):
            problem = Problem("", None, None, OTHERS)
        problems.append(problem)
    kind = type(error) if isinstance(error, ConflictError) else SymbionetError
    return kind(list(dict.fromkeys(problems)))


def request_dates(
    state: Platform,
    stored: StoredPark,
    access: Access,
    author: str,
    facility: str,
    start: date,
    end: date,
    purpose: str = "",
    organisation: str | None = None,
    contact: str | None = None,
) -> dict[str, Any]:
    """Request a facility's days for an organisation (its editor's, or the secretariat's
    for any): a new booking, saved as every change of the park is (versioned, logged);
    refused, naming the facility and the clashing dates but no other organisation, when
    the days are held."""
    if access.role == "viewer":
        raise HTTPException(403, "a viewer may not request facility dates: ask its editor")
    actor = _organisation(state, stored, access, organisation, "requests dates")
    if contact:
        seen = _frame(visible_park(stored, access, state), "contacts")
        if contact not in seen.index or str(seen.at[contact, "organisation"]) != actor:
            raise SymbionetError(
                [Problem("", None, "contact", f"no contact {contact!r} of {actor}")]
            )
    made: dict[str, str] = {}

    def book(park: Park) -> Park:
        from symbionet.hub.facilities import request_booking

        before = set(_frame(park, "bookings").index)
        after = request_booking(
            park, facility, actor, start, end, contact=contact or None, purpose=purpose
        )
        new = [str(b) for b in _frame(after, "bookings").index if b not in before]
        made["booking"] = new[0] if new else ""
        return after

    try:
        version = repository.edit_park(state.engine, stored.id, book, author)
    except SymbionetError as error:
        raise _scrubbed(error, stored.park, access) from None
    except OverflowError:
        raise _beyond_the_calendar() from None
    return {
        "version": version,
        "booking": made.get("booking"),
        "facility": facility,
        "organisation": actor,
        "start": start.isoformat(),
        "end": end.isoformat(),
    }


# --- calls and consortia ------------------------------------------------------------------


def call_of(park: Park, call: str) -> dict[str, Any]:
    calls = _frame(park, "calls")
    if call not in calls.index:
        raise HTTPException(404, f"no call {call!r}")
    rules = _frame(park, "call_rules")
    mine = rules[rules["call"] == call] if len(rules) else rules
    return {
        "id": call,
        **{str(k): plain(v) for k, v in calls.loc[call].items()},
        "funder_name": _names(park).get(_text(calls.at[call, "funder"]), ""),
        "rules": records(mine),
    }


def consortium(
    state: Platform,
    stored: StoredPark,
    access: Access,
    call: str,
    lead: str | None = None,
    size: int | None = None,
) -> Any:
    """The consortium for a call that meets every eligibility rule and fits the call's
    topic best (the secretariat's), or which rule cannot be met."""
    if access.role != "secretariat":
        raise HTTPException(403, "the hub's secretariat builds consortia for calls")
    call_of(stored.park, call)
    if lead and lead not in stored.park.actors.index:
        raise SymbionetError([Problem("", None, "lead", f"no organisation {lead!r}")])

    def built() -> Any:
        from symbionet.hub.consortium import build_consortium

        return build_consortium(stored.park, call, lead=lead or None, size=size)

    return state.computed(stored, ("hub consortium", call, lead or None, size), built)


def consortium_file(found: Any, call: str, format: str) -> tuple[bytes, str, str]:
    """A consortium as a file to download (content, name, media type): its partners as
    CSV, or a workbook of its partners, the rules and, when none exists, why not."""
    partners = found.partners.copy()
    if "rules" in partners:
        partners["rules"] = [
            "; ".join(map(str, r)) if isinstance(r, list | tuple) else _text(r)
            for r in partners["rules"]
        ]
    if format == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(list(partners.columns))
        for row in partners.itertuples(index=False):
            writer.writerow([_text(plain(v)) for v in row])
        if not found.feasible:
            writer.writerow([])
            writer.writerows([["no consortium meets every rule"], *[[u] for u in found.unmet]])
        return text.getvalue().encode("utf-8"), f"consortium-{call}.csv", "text/csv"
    rules = found.rules.copy()
    for column in rules.columns:
        rules[column] = [
            "; ".join(map(str, v)) if isinstance(v, list | tuple) else v for v in rules[column]
        ]
    book = io.BytesIO()
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        partners.to_excel(writer, sheet_name="partners", index=False)
        rules.to_excel(writer, sheet_name="rules", index=False)
        if not found.feasible:
            pd.DataFrame({"why no consortium": found.unmet}).to_excel(
                writer, sheet_name="unmet", index=False
            )
    return book.getvalue(), f"consortium-{call}.xlsx", XLSX


# --- contacts -----------------------------------------------------------------------------


def contacts(state: Platform, stored: StoredPark, access: Access) -> list[dict[str, Any]]:
    """The contacts the role may see: every one for the secretariat, its own
    organisation's for a member."""
    park = visible_park(stored, access, state)
    names = _names(park)
    return [
        {**r, "organisation_name": names.get(str(r.get("organisation")), "")}
        for r in records(_frame(park, "contacts"))
    ]


def _contact(state: Platform, stored: StoredPark, access: Access, contact: str) -> None:
    """404 for a contact the role may not see, as for one that does not exist."""
    seen = _frame(visible_park(stored, access, state), "contacts")
    if contact not in seen.index:
        raise HTTPException(404, f"no contact {contact!r}")


def export(state: Platform, stored: StoredPark, access: Access, contact: str) -> dict[str, Any]:
    """Everything the platform holds on a person (their row, what refers to them, the
    logged changes of their row), for the secretariat or their own organisation."""
    from symbionet.store.contacts import export_contact

    _contact(state, stored, access, contact)
    return dict(plain(export_contact(state.engine, stored.id, contact)))


def erase(
    state: Platform, stored: StoredPark, access: Access, author: str, contact: str
) -> dict[str, Any]:
    """Erase a person everywhere (the register, bookings and the history of changes): the
    secretariat's, or their own organisation's editor's."""
    from symbionet.store.contacts import erase_contact

    _contact(state, stored, access, contact)
    if access.role == "viewer":
        raise HTTPException(403, "a viewer may not erase a contact: ask its editor")
    erase_contact(state.engine, stored.id, contact, author)
    _forget(state, stored.id)
    return {"erased": contact, "version": repository.park_version(state.engine, stored.id)}


def _forget(state: Platform, park_id: int) -> None:
    """Drop every version of the park and what was made from it from this process's
    cache: no copy of an erased person is kept."""
    cache = state.cache
    with cache.lock:
        for key in list(cache.items):
            if key[:2] == ("park", park_id) or key[0] == park_id:
                del cache.items[key]


# --- the JSON API -------------------------------------------------------------------------

SignedIn = Annotated[User, Depends(signed_in)]


def _api(request: Request, park_id: int, user: User) -> tuple[Platform, StoredPark, Access]:
    access = role_in(request, user, park_id)
    state = platform(request)
    return state, state.stored(park_id), access


def _file(content: bytes, name: str, media: str) -> Response:
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@api.get("", summary="The hub: organisations, projects, calls, facilities")
def hub_overview(park_id: int, user: SignedIn, request: Request) -> dict[str, Any]:
    """The organisations with their offers, needs and tags; the projects and their
    partners; the calls; the facilities with the periods they are busy (another
    organisation's booking shows as busy dates only); your organisation's bookings."""
    found: dict[str, Any] = plain(overview(*_api(request, park_id, user)))
    return found


class Profile(BaseModel):
    version: int = Field(description="the organisation's row version when read (_version)")
    organisation: str | None = Field(None, description="the secretariat's: whose profile")
    offers: str | None = Field(None, description="what it offers others, in free text")
    needs: str | None = Field(None, description="what it looks for, in free text")
    tags: str | None = Field(None, description="keywords, separated by ;")
    language: Literal["en", "da", "sv"] | None = None


@api.patch("/profile", summary="Change your organisation's offers and needs")
def hub_profile(park_id: int, body: Profile, user: SignedIn, request: Request) -> dict[str, Any]:
    """Your organisation's offers, needs, tags and language (the secretariat names the
    organisation); a field sent as ``null`` is emptied, one left out is kept."""
    state, stored, access = _api(request, park_id, user)
    values = body.model_dump(exclude_unset=True, exclude={"version", "organisation"})
    version = change_profile(
        state, stored, access, user.email, body.organisation, values, body.version
    )
    return {"version": version}


@api.get("/matches", summary="Partners whose offers fit your needs")
def hub_matches(
    park_id: int,
    user: SignedIn,
    request: Request,
    organisation: Annotated[str | None, Query(description="the secretariat's: whose needs")] = None,
    need: Annotated[str | None, Query(description="a need in words (else its needs)")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[dict[str, Any]]:
    """The organisations ranked by how well their offers fit the needs, with the
    phrases and tags that matched and why."""
    state, stored, access = _api(request, park_id, user)
    return matches(state, stored, access, organisation, need, limit)


@api.get("/facilities/free", summary="Facilities free for the days you need")
def hub_free(
    park_id: int,
    user: SignedIn,
    request: Request,
    days: Annotated[int, Query(ge=1, le=366, description="days in a row")],
    earliest: Annotated[date, Query(description="first day it may start")],
    latest: Annotated[date, Query(description="last day it may end")],
    capacity: Annotated[float | None, Query(ge=0, description="capacity needed")] = None,
    kind: Annotated[str | None, Query(description="fermentation, downstream...")] = None,
    need: Annotated[str | None, Query(description="what it is for, in words")] = None,
) -> list[dict[str, Any]]:
    """Each facility with a free run of ``days`` days between ``earliest`` and
    ``latest``: its first free dates, price and why it fits."""
    state, stored, access = _api(request, park_id, user)
    return free(state, stored, access, days, earliest, latest, capacity, kind, need)


class BookingRequest(BaseModel):
    facility: str
    start: date = Field(description="first day of use")
    end: date = Field(description="last day of use")
    purpose: str = ""
    organisation: str | None = Field(None, description="the secretariat's: who books")
    contact: str | None = Field(None, description="the person asking (a contact's id)")


@api.post("/bookings", summary="Request a facility's dates")
def hub_book(
    park_id: int, body: BookingRequest, user: SignedIn, request: Request
) -> dict[str, Any]:
    """A booking request for your organisation; refused with the clashing dates when the
    facility is held then."""
    state, stored, access = _api(request, park_id, user)
    return request_dates(
        state, stored, access, user.email, body.facility, body.start, body.end,
        body.purpose, body.organisation, body.contact,
    )  # fmt: skip


@api.get("/calls/{call}", summary="A funding call and its eligibility rules")
def hub_call(park_id: int, call: str, user: SignedIn, request: Request) -> dict[str, Any]:
    _, stored, _ = _api(request, park_id, user)
    return call_of(stored.park, call)


@api.get("/calls/{call}/consortium", summary="A consortium for a call")
def hub_consortium(
    park_id: int,
    call: str,
    user: SignedIn,
    request: Request,
    lead: Annotated[str | None, Query(description="an organisation that must lead")] = None,
    size: Annotated[int | None, Query(ge=1, le=50, description="partners, exactly")] = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
) -> Any:
    """The partners that meet every rule of the call and fit its topic best, with the
    rules each meets (the secretariat's); when none exists, which rule cannot be met.
    As JSON, or to download as CSV or a workbook."""
    state, stored, access = _api(request, park_id, user)
    found = consortium(state, stored, access, call, lead, size)
    if format == "json":
        return plain(found.to_dict())
    return _file(*consortium_file(found, call, format))


@api.get("/contacts", summary="The contacts you may see")
def hub_contacts(park_id: int, user: SignedIn, request: Request) -> list[dict[str, Any]]:
    """Every contact for the secretariat; your organisation's for a member."""
    return contacts(*_api(request, park_id, user))


@api.get("/contacts/{contact}", summary="Export what is held on a person")
def hub_contact_export(park_id: int, contact: str, user: SignedIn, request: Request) -> Response:
    """A person's data (the register's row, their bookings, changes) as a JSON file: for
    the secretariat and their own organisation."""
    found = export(*_api(request, park_id, user), contact)
    content = json.dumps(found, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    return _file(content, f"contact-{contact}.json", "application/json")


@api.delete("/contacts/{contact}", summary="Erase a person everywhere")
def hub_contact_erase(park_id: int, contact: str, user: SignedIn, request: Request) -> Any:
    """The person's row, their name on bookings and every trace in the history of
    changes removed (the secretariat's, or their own organisation's editor's)."""
    state, stored, access = _api(request, park_id, user)
    return erase(state, stored, access, user.email, contact)


# --- the pages ----------------------------------------------------------------------------


def _hub_page(
    request: Request,
    park_id: int,
    template: str,
    title: str,
    make: Callable[[Platform, StoredPark, Access], dict[str, Any]],
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    user, access, stored = _member(request, park_id)
    state = platform(request)
    return _page(
        request, template, title, user, access, stored, status=status,
        tab=template.removesuffix(".html"), **make(state, stored, access), **context,
    )  # fmt: skip


def _overview_context(
    request: Request, state: Platform, stored: StoredPark, access: Access
) -> dict[str, Any]:
    found = overview(state, stored, access)
    kind = request.query_params.get("kind") or None
    shown = [o for o in found["organisations"] if kind is None or o["kind"] == kind]
    context = {
        **found,
        "organisations": shown,
        "kinds": sorted({o["kind"] for o in found["organisations"] if o["kind"]}),
        "kind": kind,
        "profile": None,
        "matches": None,
        "may_edit": access.role == "editor",
    }
    if access.actor is not None:
        context["profile"] = {
            **profile(stored.park, access.actor),
            "_version": stored.rows.get("actors", {}).get(access.actor),
        }
    # the secretariat asks for any organisation's matches
    asked = request.query_params.get("matches_for") or None
    context["matches_for"] = asked
    context["all_organisations"] = list(_names(stored.park).items())
    if access.actor is not None or asked:
        try:
            context["matches"] = matches(state, stored, access, asked)
        except SymbionetError as error:
            context["match_problems"] = [str(p) for p in error.problems]
    return context


@pages.get("", response_class=HTMLResponse)
def overview_page(request: Request, park_id: int) -> HTMLResponse:
    return _hub_page(
        request, park_id, "hub.html", "Knowledge hub",
        lambda s, p, a: _overview_context(request, s, p, a),
    )  # fmt: skip


@pages.post("/profile", response_class=HTMLResponse)
async def profile_form(request: Request, park_id: int) -> Response:
    user, access, stored = _member(request, park_id)
    form = await request.form()
    values = {k: (str(form[k]).strip() or None) for k in ("offers", "needs", "tags") if k in form}
    try:
        version = int(str(form.get("_version", "")))
    except ValueError:
        raise HTTPException(422, "the form has no row version: reload it") from None
    try:
        change_profile(platform(request), stored, access, user.email, None, values, version)
    except ConflictError as error:
        return _hub_page(
            request, park_id, "hub.html", "Knowledge hub",
            lambda s, p, a: _overview_context(request, s, p, a),
            status=409, problems=[str(error)],
        )  # fmt: skip
    except SymbionetError as error:
        return _hub_page(
            request, park_id, "hub.html", "Knowledge hub",
            lambda s, p, a: _overview_context(request, s, p, a),
            status=422, problems=[str(p) for p in error.problems],
        )  # fmt: skip
    return _see_other(f"/parks/{park_id}/hub#profile")


def _date(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise SymbionetError(
            [Problem("", None, name, f"a date such as 2027-03-01, not {text!r}")]
        ) from None


def _facilities_context(
    request: Request, state: Platform, stored: StoredPark, access: Access
) -> dict[str, Any]:
    found = overview(state, stored, access)
    asked = request.query_params
    today = date.today()
    search = {
        "days": asked.get("days") or "5",
        "earliest": asked.get("earliest") or today.isoformat(),
        "latest": asked.get("latest") or (today + timedelta(days=180)).isoformat(),
        "capacity": asked.get("capacity") or "",
        "kind": asked.get("kind") or "",
        "need": asked.get("need") or "",
    }
    results, problems = None, []
    if "days" in asked:
        try:
            if not search["days"].isdigit() or int(search["days"]) < 1:
                raise SymbionetError(
                    [Problem("", None, "days", "a whole number of days, 1 or more")]
                )
            capacity = None
            if search["capacity"]:
                try:
                    capacity = float(search["capacity"])
                except ValueError:
                    raise SymbionetError(
                        [Problem("", None, "capacity", f"a number, not {search['capacity']!r}")]
                    ) from None
            results = free(
                state, stored, access, int(search["days"]),
                _date(search["earliest"], "earliest"), _date(search["latest"], "latest"),
                capacity, search["kind"], search["need"],
            )  # fmt: skip
        except SymbionetError as error:
            problems = [str(p) for p in error.problems]
    booked = asked.get("booked")
    notice = None
    if booked:
        mine = [b for b in found["my_bookings"] if str(b.get("id")) == booked]
        if mine:
            b = mine[0]
            notice = (
                f"Requested {b['facility']} from {b['start']} to {b['end']} "
                f"(booking {booked}, {b.get('status') or 'requested'})."
            )
    kinds = sorted({f["kind"] for f in found["facilities"] if f["kind"]})
    return {
        "facilities": found["facilities"],
        "my_bookings": found["my_bookings"],
        "currency": found["currency"],
        "search": search,
        "results": results,
        "kinds": kinds,
        "may_book": access.role != "viewer",
        "organisations": list(_names(stored.park).items()) if access.actor is None else [],
        **({"problems": problems} if problems else {}),
        **({"notice": notice} if notice else {}),
    }


@pages.get("/facilities", response_class=HTMLResponse)
def facilities_page(request: Request, park_id: int) -> HTMLResponse:
    return _hub_page(
        request, park_id, "hub_facilities.html", "Facilities",
        lambda s, p, a: _facilities_context(request, s, p, a),
    )  # fmt: skip


@pages.post("/bookings", response_class=HTMLResponse)
async def booking_form(request: Request, park_id: int) -> Response:
    user, access, stored = _member(request, park_id)
    form = await request.form()

    def field(name: str) -> str:
        return str(form.get(name, "")).strip()

    try:
        done = request_dates(
            platform(request), stored, access, user.email, field("facility"),
            _date(field("start"), "start"), _date(field("end"), "end"), field("purpose"),
            field("organisation") or None, field("contact") or None,
        )  # fmt: skip
    except SymbionetError as error:
        status = 409 if isinstance(error, ConflictError) else 422
        return _hub_page(
            request, park_id, "hub_facilities.html", "Facilities",
            lambda s, p, a: _facilities_context(request, s, p, a),
            status=status, problems=[str(p) for p in error.problems],
        )  # fmt: skip
    return _see_other(f"/parks/{park_id}/hub/facilities?booked={done['booking']}#my-bookings")


@pages.get("/calls", response_class=HTMLResponse)
def calls_page(request: Request, park_id: int) -> HTMLResponse:
    return _hub_page(
        request, park_id, "hub_calls.html", "Calls",
        lambda s, p, a: {"calls": overview(s, p, a)["calls"]},
    )  # fmt: skip


def _call_context(
    request: Request, state: Platform, stored: StoredPark, access: Access, call: str
) -> dict[str, Any]:
    found = call_of(stored.park, call)
    asked = request.query_params
    context: dict[str, Any] = {
        "call": found,
        "built": None,
        "lead": asked.get("lead") or "",
        "size": asked.get("size") or "",
        "may_build": access.role == "secretariat",
        "organisations": list(_names(stored.park).items()),
        "export": None,
    }
    if "build" in asked and access.role == "secretariat":
        size = context["size"]
        try:
            if size and not size.isdigit():
                raise SymbionetError([Problem("", None, "size", "a whole number of partners")])
            built = consortium(
                state, stored, access, call, context["lead"] or None, int(size) if size else None
            )
            context["built"] = plain(built.to_dict())
            query = "&".join(f"{k}={context[k]}" for k in ("lead", "size") if context[k])
            context["export"] = f"/api/parks/{stored.id}/hub/calls/{call}/consortium?{query}"
        except SymbionetError as error:
            context["problems"] = [str(p) for p in error.problems]
    return context


@pages.get("/calls/{call}", response_class=HTMLResponse)
def call_page(request: Request, park_id: int, call: str) -> HTMLResponse:
    return _hub_page(
        request, park_id, "hub_call.html", "Call",
        lambda s, p, a: _call_context(request, s, p, a, call),
    )  # fmt: skip


@pages.get("/contacts", response_class=HTMLResponse)
def contacts_page(request: Request, park_id: int) -> HTMLResponse:
    erased = request.query_params.get("erased")
    return _hub_page(
        request, park_id, "hub_contacts.html", "Contacts",
        lambda s, p, a: {
            "contacts": contacts(s, p, a),
            "may_erase": a.role != "viewer",
            **({"notice": "The contact was erased everywhere."} if erased else {}),
        },
    )  # fmt: skip


@pages.post("/contacts/{contact}/erase")
def erase_form(request: Request, park_id: int, contact: str) -> Response:
    user, access, stored = _member(request, park_id)
    erase(platform(request), stored, access, user.email, contact)
    return _see_other(f"/parks/{park_id}/hub/contacts?erased=1")


router = APIRouter()
router.include_router(api)
router.include_router(pages)

__all__ = [
    "busy_periods",
    "calendar",
    "call_of",
    "change_profile",
    "consortium",
    "consortium_file",
    "contacts",
    "erase",
    "export",
    "free",
    "matches",
    "overview",
    "request_dates",
    "router",
]
