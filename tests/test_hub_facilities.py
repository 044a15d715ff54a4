"""Facilities: free dates, booking requests and the register's check of bookings, by hand.

Three facilities (prices per day in DKK):

    id     kind          capacity  price  available
    f300   fermentation  300 L     1000   2027-01-01 to 2027-12-31
    f1000  fermentation  1000 L    2500   2027-03-01 to (open)
    dsp    downstream    50 kg/h    -     (open)

Bookings of f300: 2027-03-01..03-10 confirmed (novo), 03-15..03-20 requested (board),
03-11..03-14 declined (board, holds nothing); of f1000: 03-01..03-31 closed (maintenance).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from symbionet.errors import SymbionetError
from symbionet.hub.facilities import (
    bookings_visible_to,
    busy_periods,
    free_facilities,
    request_booking,
)
from symbionet.register.park import Park, load_park, park_from_document
from tests.conftest import write_park

ACTORS = (
    "id,name,kind,nace\n"
    "power,Power plant,utility,35.11\n"
    "board,Board plant,company,23.62\n"
    "novo,Pharma company,company,21.20\n"
    "algae,Algae startup,startup,\n"
    "pilot,Pilot plant operator,facility,\n"
)
FACILITIES = (
    "id,name,owner,kind,description,capacity,capacity_unit,price,available_from,available_to,tags\n"
    "f300,Small fermenter,pilot,fermentation,Stirred tank for yeast and bacteria,300,L,1000,"
    "2027-01-01,2027-12-31,fermentation;yeast\n"
    "f1000,Large fermenter,pilot,fermentation,Gas fermentation of methane to protein,1000,L,"
    "2500,2027-03-01,,gas fermentation;protein\n"
    "dsp,Downstream line,pilot,downstream,Centrifuge and spray dryer,50,kg/h,,,,drying\n"
)
BOOKINGS = (
    "id,facility,organisation,start,end,status,purpose\n"
    "b1,f300,novo,2027-03-01,2027-03-10,confirmed,insulin trial\n"
    "b2,f300,board,2027-03-15,2027-03-20,requested,\n"
    "b3,f300,board,2027-03-11,2027-03-14,declined,\n"
    "b4,f1000,pilot,2027-03-01,2027-03-31,closed,maintenance\n"
)


def park_with(tmp_path: Path, bookings: str = BOOKINGS, facilities: str = FACILITIES) -> Park:
    files = {"actors.csv": ACTORS, "facilities.csv": facilities, "bookings.csv": bookings}
    return load_park(write_park(tmp_path / "park", files))


def test_first_free_dates_and_price_by_hand(tmp_path: Path) -> None:
    # 5 days from 2027-03-01 to 2027-03-31, 200 L or more: f300 is held 03-01..03-10 and
    # 03-15..03-20 (03-11..03-14 is 4 days, too short; the declined booking holds nothing),
    # so free from 03-21; f1000 is closed all March. The downstream line has no capacity in L
    # and is left out by the capacity (50 < 200).
    found = free_facilities(park_with(tmp_path), 5, date(2027, 3, 1), date(2027, 3, 31), 200)
    assert list(found["facility"]) == ["f300"]
    row = found.iloc[0]
    assert (row["start"], row["end"]) == ("2027-03-21", "2027-03-25")
    assert row["price"] == 5 * 1000
    assert row["fits"] == (
        "capacity 300 L ≥ 200 L; free 2027-03-21 to 2027-03-25 (5 days); "
        "5 days × 1,000 DKK = 5,000 DKK"
    )


def test_capacity_in_another_unit(tmp_path: Path) -> None:
    # 0.5 m3 = 500 L: only f1000 (1000 L) holds it; the downstream line's kg/h is no volume
    found = free_facilities(
        park_with(tmp_path), 2, "2027-04-01", "2027-04-30", capacity=0.5, unit="m3"
    )
    assert list(found["facility"]) == ["f1000"]
    assert found.at[0, "fits"].startswith("capacity 1000 L = 1 m3 ≥ 0.5 m3; ")
    with pytest.raises(SymbionetError, match="unknown unit 'tanks'"):
        free_facilities(park_with(tmp_path), 2, "2027-04-01", "2027-04-30", 1, unit="tanks")


def test_a_gap_that_fits_is_taken_first(tmp_path: Path) -> None:
    # 4 days fit exactly between b1 (to 03-10) and b2 (from 03-15): 03-11..03-14
    found = free_facilities(park_with(tmp_path), 4, "2027-03-01", "2027-03-31", kind="fermentation")
    assert list(found["facility"]) == ["f300"]
    assert (found.at[0, "start"], found.at[0, "end"]) == ("2027-03-11", "2027-03-14")


def test_ranked_by_start_then_price(tmp_path: Path) -> None:
    # from 2027-02-20 for 3 days: f300 free at once (02-20), dsp too (open, no price),
    # f1000 only from 04-01 (available from 03-01, closed in March). dsp and f300 start
    # together; f300's 3,000 DKK comes before dsp's unknown price.
    found = free_facilities(park_with(tmp_path), 3, "2027-02-20", "2027-04-30")
    assert list(found["facility"]) == ["f300", "dsp", "f1000"]
    assert list(found["start"]) == ["2027-02-20", "2027-02-20", "2027-04-01"]
    assert list(found["price"].fillna(-1)) == [3000, -1, 7500]
    assert found.at[1, "fits"].endswith("no price given")


def test_a_need_ranks_by_fit_and_names_the_words(tmp_path: Path) -> None:
    found = free_facilities(
        park_with(tmp_path), 3, "2027-02-20", "2027-04-30", need="gas fermentation to protein"
    )
    assert found.at[0, "facility"] == "f1000"
    assert found.at[0, "score"] == 1.0
    assert "protein" in found.at[0, "fits"] and "matches" in found.at[0, "fits"]
    others = found.set_index("facility")
    assert others.at["dsp", "score"] < 0.1  # shares only letter groups
    assert "matches" not in others.at["dsp", "fits"]


def test_nothing_free_is_an_empty_table(tmp_path: Path) -> None:
    found = free_facilities(park_with(tmp_path), 40, "2027-03-01", "2027-04-15", kind="laboratory")
    assert found.empty
    assert "fits" in found.columns


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((0, "2027-03-01", "2027-03-31"), "days must be a whole number ≥ 1"),
        ((5, "2027-03-01", "2027-03-03"), "2027-03-01 to 2027-03-03 holds fewer than 5 days"),
        ((5, "1 March", "2027-03-31"), "'1 March' is not a date"),
    ],
)
def test_bad_search_is_refused(tmp_path: Path, arguments: tuple, message: str) -> None:
    with pytest.raises(SymbionetError, match=message):
        free_facilities(park_with(tmp_path), *arguments)
    with pytest.raises(SymbionetError, match="'tank' is not one of fermentation, downstream"):
        free_facilities(park_with(tmp_path), 2, "2027-03-01", "2027-03-31", kind="tank")


def test_a_request_adds_a_requested_booking(tmp_path: Path) -> None:
    park = park_with(tmp_path)
    after = request_booking(park, "f300", "algae", "2027-03-11", date(2027, 3, 14), purpose="test")
    new = after.table("bookings").loc["booking5"]
    assert (new["facility"], new["organisation"], new["status"]) == ("f300", "algae", "requested")
    assert (new["start"], new["end"], new["purpose"]) == ("2027-03-11", "2027-03-14", "test")
    assert len(park.table("bookings")) == 4  # the park asked is unchanged
    # the new park round-trips through the register, whose checks accept it
    again = park_from_document(after.to_document())
    assert again.table("bookings").loc["booking5", "start"] == "2027-03-11"
    # and the days are now held
    found = free_facilities(after, 4, "2027-03-01", "2027-03-31", kind="fermentation")
    assert list(found["start"]) == ["2027-03-21"]


def test_a_request_in_a_park_without_bookings(tmp_path: Path) -> None:
    folder = write_park(tmp_path / "park", {"actors.csv": ACTORS, "facilities.csv": FACILITIES})
    after = request_booking(load_park(folder), "dsp", "algae", "2030-01-01", "2030-01-02")
    assert list(after.table("bookings").index) == ["booking1"]
    park_from_document(after.to_document())


@pytest.mark.parametrize(
    ("facility", "start", "end", "messages"),
    [
        # clashes with novo's confirmed b1 and board's requested b2: dates only
        (
            "f300",
            "2027-03-09",
            "2027-03-16",
            [
                "start: facility f300 (Small fermenter) is already booked from 2027-03-01 to "
                "2027-03-10",
                "start: facility f300 (Small fermenter) is already booked from 2027-03-15 to "
                "2027-03-20",
            ],
        ),
        # the closed month of f1000
        (
            "f1000",
            "2027-03-31",
            "2027-04-02",
            [
                "start: facility f1000 (Large fermenter) is already booked from 2027-03-01 to "
                "2027-03-31"
            ],
        ),
        (
            "f1000",
            "2027-02-27",
            "2027-02-28",
            [
                "start: facility f1000 (Large fermenter) can be "
                "booked from 2027-03-01, not 2027-02-27"
            ],
        ),
        (
            "f300",
            "2027-12-30",
            "2028-01-02",
            ["end: facility f300 (Small fermenter) can be booked until 2027-12-31, not 2028-01-02"],
        ),
        (
            "f300",
            "2027-05-02",
            "2027-05-01",
            ["end: the last day 2027-05-01 comes before the first 2027-05-02"],
        ),
    ],
)
def test_a_clashing_request_is_refused_naming_no_one(
    tmp_path: Path, facility: str, start: str, end: str, messages: list[str]
) -> None:
    with pytest.raises(SymbionetError) as error:
        request_booking(park_with(tmp_path), facility, "algae", start, end)
    text = [f"{p.column}: {p.message}" for p in error.value.problems]
    assert text == messages
    for secret in ("novo", "Pharma", "board", "Board", "b1", "b2", "b4", "insulin", "maintenance"):
        assert secret not in str(error.value)


def test_a_declined_booking_holds_nothing(tmp_path: Path) -> None:
    after = request_booking(park_with(tmp_path), "f300", "algae", "2027-03-11", "2027-03-14")
    assert "booking5" in after.table("bookings").index


def test_unknown_facility_organisation_or_contact(tmp_path: Path) -> None:
    park = park_with(tmp_path)
    with pytest.raises(SymbionetError, match="unknown facility 'tank'"):
        request_booking(park, "tank", "algae", "2027-05-01", "2027-05-02")
    with pytest.raises(SymbionetError, match="unknown organisation 'nobody'"):
        request_booking(park, "f300", "nobody", "2027-05-01", "2027-05-02")
    with pytest.raises(SymbionetError, match="no contact 'c1' of algae"):
        request_booking(park, "f300", "algae", "2027-05-01", "2027-05-02", contact="c1")


def test_others_bookings_are_busy_dates_only(tmp_path: Path) -> None:
    park = park_with(
        tmp_path,
        BOOKINGS + "b5,f300,algae,2027-03-21,2027-03-22,requested,own trial\n",
    )
    seen = bookings_visible_to(park, "board")
    own = seen[seen["booking"].notna()]
    assert list(own["booking"]) == ["b3", "b2"]  # by date
    busy = seen[seen["status"] == "busy"]
    # novo's b1, and algae's b5 (not adjoining b1); pilot's closed month of f1000
    assert busy[["facility", "start", "end"]].values.tolist() == [
        ["f1000", "2027-03-01", "2027-03-31"],
        ["f300", "2027-03-01", "2027-03-10"],
        ["f300", "2027-03-21", "2027-03-22"],
    ]
    assert busy["booking"].isna().all() and busy["purpose"].isna().all()
    assert "organisation" not in seen.columns
    # the public sees only busy dates; adjoining periods merged (b1 to 03-10, b2 from 03-15
    # do not adjoin; b2 to 03-20 and b5 from 03-21 do)
    public = bookings_visible_to(park, None)
    assert public["booking"].isna().all()
    assert public[["facility", "start", "end"]].values.tolist() == [
        ["f1000", "2027-03-01", "2027-03-31"],
        ["f300", "2027-03-01", "2027-03-10"],
        ["f300", "2027-03-15", "2027-03-22"],
    ]
    assert busy_periods(park, "f1000").values.tolist() == [["f1000", "2027-03-01", "2027-03-31"]]


# --- the register's check of bookings ---------------------------------------------------


def problems_of(tmp_path: Path, bookings: str) -> list[str]:
    with pytest.raises(SymbionetError) as error:
        park_with(tmp_path, bookings)
    return [str(p) for p in error.value.problems]


def test_the_register_accepts_the_example_bookings(tmp_path: Path) -> None:
    assert len(park_with(tmp_path).table("bookings")) == 4


def test_the_register_refuses_overlapping_bookings(tmp_path: Path) -> None:
    bookings = BOOKINGS + (
        "b5,f300,algae,2027-03-10,2027-03-12,requested,\n"  # overlaps b1 (line 2)
        "b6,f300,algae,2027-03-12,2027-03-13,declined,\n"  # declined: holds nothing
        "b7,f1000,algae,2027-03-31,2027-04-01,confirmed,\n"  # overlaps the closed b4
        "b8,dsp,algae,2027-03-31,2027-04-01,confirmed,\n"  # another facility
    )
    assert problems_of(tmp_path, bookings) == [
        "bookings.csv:6:start: facility f300 is already booked from 2027-03-01 to 2027-03-10 "
        "(booking b1)",
        "bookings.csv:8:start: facility f1000 is already booked from 2027-03-01 to 2027-03-31 "
        "(booking b4)",
    ]


def test_the_register_refuses_backwards_and_unavailable_dates(tmp_path: Path) -> None:
    bookings = BOOKINGS + (
        "b5,f300,algae,2027-06-02,2027-06-01,requested,\n"
        "b6,f1000,algae,2027-02-01,2027-02-03,requested,\n"
        "b7,f300,algae,2027-12-30,2028-01-03,confirmed,\n"
        "b8,f300,algae,2028-02-01,2028-02-03,declined,\n"  # declined: not checked
    )
    assert problems_of(tmp_path, bookings) == [
        "bookings.csv:6:end: ends on 2027-06-01 before it starts on 2027-06-02",
        "bookings.csv:7:start: facility f1000 can be booked from 2027-03-01, not 2027-02-01",
        "bookings.csv:8:end: facility f300 can be booked until 2027-12-31, not 2028-01-03",
    ]


def test_dates_as_timestamps_are_days(tmp_path: Path) -> None:
    park = park_with(tmp_path)
    after = request_booking(
        park, "dsp", "algae", pd.Timestamp("2027-05-01").to_pydatetime(), "2027-05-03"
    )
    assert after.table("bookings").loc["booking5", "start"] == "2027-05-01"
