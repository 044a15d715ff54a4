"""Metered readings, the verified yearly account and case sheets on the platform: who may
upload readings for which meters, and what each role may read of the account."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import HTTPException

from symbionet.assessment.yearly import (
    AccountResult,
    ComparisonResult,
    account,
    account_year,
    compare_years,
)
from symbionet.errors import Problem, SymbionetError
from symbionet.metering.flagging import flag_readings
from symbionet.metering.meters import meter_table
from symbionet.metering.read import read_readings
from symbionet.metering.verification import VerifiedResult
from symbionet.register.park import Park
from symbionet.results import records
from symbionet.store import readings as stored_readings
from symbionet.store.accounts import Access
from symbionet.store.repository import StoredPark
from symbionet.web.context import Platform, visible_park
from symbionet.web.service import scrubbed

#: the files readings may come in
READING_FILES = (".csv", ".xlsx")


def _own_meters(park: Park, actor: str) -> set[str]:
    """The meters of ``actor``'s streams and of the exchanges it supplies or receives."""
    meters = meter_table(park)
    actor_of = park.streams["site"].map(park.sites["actor"])
    sides = park.exchanges[["supply", "demand"]].apply(lambda s: s.map(actor_of))
    exchanges = sides.index[(sides == actor).any(axis=1)]
    streams = actor_of.index[actor_of == actor]
    on_exchange = meters["target_type"] == "exchange"
    mine = meters["target"].isin(exchanges).where(on_exchange, meters["target"].isin(streams))
    return {str(meter) for meter in meters.index[mine.astype(bool)]}


def upload_readings(
    platform: Platform, stored: StoredPark, access: Access, data: bytes, filename: str
) -> dict[str, Any]:
    """Read, convert and flag uploaded readings (a CSV or Excel export: timestamp, meter,
    value, unit), then store their valid amounts, replacing each meter's stored readings
    over the time the file covers: the secretariat's for every meter, a partner editor's
    for its own. Nothing is stored when any row is unreadable. Gives the rows stored and
    the flags per meter."""
    if access.role == "viewer":
        raise HTTPException(403, "a viewer may not upload readings")
    name = Path(filename.replace("\\", "/")).name or "readings.csv"
    if Path(name).suffix.lower() not in READING_FILES:
        raise SymbionetError(
            [Problem(name, None, None, f"readings come as {' or '.join(READING_FILES)} files")]
        )
    park = visible_park(stored, access, platform)  # a hidden meter is an unknown one
    try:
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / name
            path.write_bytes(data)
            try:
                read = read_readings(path, park)
            except SymbionetError as error:  # named as the user named the file
                raise SymbionetError([replace(p, file=name) for p in error.problems]) from None
        if access.actor is not None:
            mine = _own_meters(park, access.actor)
            others = sorted(set(read["meter"].astype(str)) - mine)
            if others:
                raise HTTPException(403, f"meters of other partners: {', '.join(others[:10])}")
        flagged = flag_readings(read, park)
    except SymbionetError as error:
        raise scrubbed(error, platform, stored, access) from None
    rows = stored_readings.store_readings(
        platform.engine, stored.id, stored_readings.readings_of(flagged)
    )
    return {"stored": rows, "meters": records(flagged.summary()), "flags": records(flagged.flags)}


def verified(platform: Platform, stored: StoredPark, year: int) -> VerifiedResult:
    """The verified quantities of ``year`` from the stored readings (the whole park's),
    summed in the database each time: readings change without the park changing."""
    return stored_readings.verified_account(platform.engine, stored.id, stored.park, year)


@dataclass(frozen=True)
class YearlyAccount:
    """The account of ``year``, its verified quantities and the change since another year."""

    year: int
    account: AccountResult
    verified: VerifiedResult
    comparison: ComparisonResult | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "account": self.account.to_dict(),
            "verified": records(self.verified.table),
            "comparison": None if self.comparison is None else self.comparison.to_dict(),
        }


def yearly_account(
    platform: Platform,
    stored: StoredPark,
    access: Access,
    year: int | None = None,
    compare: int | None = None,
) -> YearlyAccount:
    """The park's symbiosis account of ``year`` (the secretariat's): verified from the
    stored readings where there are any, estimated from the register elsewhere; the
    verified quantities beside the expected ones; and the change since ``compare``."""
    if access.role != "secretariat":
        raise HTTPException(403, "the park's secretariat keeps the yearly account")
    park = stored.park
    year = account_year(park, year)
    try:
        checked = verified(platform, stored, year)
        result = account(park, year, checked.table)
        change = None
        if compare is not None:
            both = pd.concat([verified(platform, stored, compare).table, checked.table])
            change = compare_years(park, compare, year, both)
    except SymbionetError as error:
        raise scrubbed(error, platform, stored, access) from None
    return YearlyAccount(year, result, checked, change)


def case_sheet_file(
    platform: Platform,
    stored: StoredPark,
    exchange: str,
    language: str,
    format: str,
    year: int | None = None,
) -> tuple[bytes, str, str]:
    """The case sheet of an operating exchange, made from public data only (so anyone in
    the park may have it), with the figures verified from the stored readings."""
    from symbionet.present.case_sheet import case_sheet

    park = stored.park
    if exchange not in park.visible_to(None).exchanges.index:
        raise HTTPException(404, f"no public exchange {exchange!r}")
    year = account_year(park, year)
    content = case_sheet(
        park, exchange, verified(platform, stored, year).table, language, format, year=year
    )
    media = "application/pdf" if format == "pdf" else "text/html; charset=utf-8"
    return content, f"{exchange}-{language}.{format}", media


__all__ = [
    "READING_FILES",
    "YearlyAccount",
    "case_sheet_file",
    "upload_readings",
    "verified",
    "yearly_account",
]
