"""The knowledge hub's journeys as its users make them: a real ``symbionet serve`` of the
hub park (tests/test_hub_web.py) on SQLite, driven in headless Chromium through its pages
and forms. One server for the module; each journey reads what it changes first, so they
hold in any order."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from openpyxl import load_workbook

from tests.servers import Served, served
from tests.test_hub_web import GYPROC_OFFER, MARCH, NOVONESIS_PERSON, UNIBIO_PERSON, hub_park
from tests.test_journeys import Visitor, download, table_rows

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The platform serving the hub park from a SQLite file, for the module."""
    folder = tmp_path_factory.mktemp("hub-journeys")
    with served(f"sqlite:///{folder / 'symbionet.sqlite'}", park=hub_park(folder / "park")) as up:
        yield up


@pytest.fixture
def visitor(browser: Browser, server: Served) -> Iterator[Callable[[], Visitor]]:
    """A browser of its own for each person of a journey; no page of the journey met a
    script error or asked anything of another address."""
    opened: list[Visitor] = []

    def open_one() -> Visitor:
        opened.append(Visitor(browser, server))
        return opened[-1]

    yield open_one
    for one in opened:
        one.context.close()
    assert [e for one in opened for e in one.errors] == []
    assert [u for one in opened for u in one.offsite()] == []


def search_march(page: Page) -> None:
    """Ask the facilities page for five days in March 2027 on a fermenter of 500 L."""
    page.get_by_label("Days in a row").fill(str(MARCH["days"]))
    page.get_by_label("Earliest start").fill(str(MARCH["earliest"]))
    page.get_by_label("Latest end").fill(str(MARCH["latest"]))
    page.get_by_label("Capacity at least").fill(str(MARCH["capacity"]))
    page.locator("#search").get_by_label("Kind").select_option("fermentation")
    page.get_by_role("button", name="Find", exact=True).click()
    page.wait_for_url("**/hub/facilities?days=*")


def test_a_startup_finds_a_facility_and_requests_dates_and_a_clash_is_refused(
    visitor: Callable[[], Visitor],
) -> None:
    from playwright.sync_api import expect

    page = visitor().sign_in("unibio", "/parks/1/hub/facilities")
    search_march(page)
    # the big fermenter is held 1-17 March by others: free from the 18th, no one named
    (found,) = table_rows(page.locator("table.free"))
    assert (found["Facility"], found["Free from"], found["to"]) == (
        "Pilot fermenter 1000 L",
        "2027-03-18",
        "2027-03-22",
    )
    calendar = page.locator("#calendars #facility-fermenter_1000")
    expect(calendar.locator(".busy-dates")).to_contain_text("2027-03-01 to 2027-03-17")
    assert "Novonesis" not in calendar.inner_text()
    page.locator('tr[data-facility="fermenter_1000"]').get_by_label("Purpose").fill("SCP trial")
    page.get_by_role("button", name="Request these dates").click()
    page.wait_for_url("**/hub/facilities?booked=*")
    expect(page.get_by_role("status")).to_contain_text(
        "Requested fermenter_1000 from 2027-03-18 to 2027-03-22"
    )
    mine = table_rows(page.locator("table.bookings"))
    assert [(b["Facility"], b["From"], b["To"], b["Status"]) for b in mine] == [
        ("fermenter_1000", "2027-03-18", "2027-03-22", "requested")
    ]
    # the March cells of the calendar: the 18th to the 22nd are Unibio's own now
    assert page.locator('#calendars td[title="2027-03-20: mine"]').count() == 1

    # Novonesis asks for days that overlap: refused with the facility and dates, not whose
    other = visitor().sign_in("novonesis", "/parks/1/hub/facilities")
    box = other.locator("#calendars #facility-fermenter_1000")
    box.get_by_text("Request dates").click()
    box.get_by_label("From", exact=True).fill("2027-03-20")
    box.get_by_label("To", exact=True).fill("2027-03-25")
    box.get_by_role("button", name="Request", exact=True).click()
    alert = other.get_by_role("alert")
    expect(alert).to_contain_text("fermenter")
    expect(alert).to_contain_text("2027-03")
    text = other.locator("main").inner_text()
    for word in ("Unibio", "unibio", "SCP trial", UNIBIO_PERSON[1]):
        assert word not in text, word
    # its own booking and the busy days around it
    expect(other.locator("#calendars #facility-fermenter_1000 .busy-dates")).to_contain_text(
        "2027-03-15 to 2027-03-22"
    )


def test_the_hub_builds_a_consortium_for_a_call_and_exports_it(
    visitor: Callable[[], Visitor],
) -> None:
    page = visitor().sign_in("secretariat", "/parks/1/hub/calls")
    page.get_by_role("link", name="Greater Copenhagen biosolutions").click()
    page.wait_for_url("**/hub/calls/gc_biosolutions")
    page.get_by_role("button", name="Build consortium").click()
    page.wait_for_url("**/hub/calls/gc_biosolutions?build=1*")
    partners = table_rows(page.locator("table.consortium"))
    countries = {p["Country"] for p in partners}
    kinds = [p["Kind"] for p in partners]
    # the call's rules, checked from the page: three to five partners, Denmark and
    # Sweden, a knowledge institution
    assert 3 <= len(partners) <= 5 and {"DK", "SE"} <= countries
    assert "knowledge_institution" in kinds
    exported = list(csv.DictReader(io.StringIO(download(page, "CSV").decode("utf-8"))))
    assert [r["name"] for r in exported] == [p["Organisation"] for p in partners]
    book = load_workbook(io.BytesIO(download(page, "Excel")), read_only=True)
    rows = list(book["partners"].iter_rows(values_only=True))
    header = list(rows[0])
    assert [r[header.index("name")] for r in rows[1:]] == [p["Organisation"] for p in partners]
    # a member organisation sees the call and its rules, but builds nothing
    member = visitor().sign_in("unibio", "/parks/1/hub/calls/gc_biosolutions")
    assert member.get_by_role("button", name="Build consortium").count() == 0
    assert member.locator("ul.rules li").count() == 3


def test_a_members_offer_shows_up_in_anothers_matches(visitor: Callable[[], Visitor]) -> None:
    from playwright.sync_api import expect

    startup = visitor().sign_in("unibio", "/parks/1/hub")
    matches = startup.locator("#matches")
    expect(matches).to_contain_text("Biopilot Sweden")
    assert matches.locator('tr[data-organisation="gyproc"]').count() == 0

    gyproc = visitor().sign_in("gyproc", "/parks/1/hub")
    gyproc.get_by_label("What we offer").fill(GYPROC_OFFER)
    gyproc.get_by_role("button", name="Save offers and needs").click()
    expect(gyproc.get_by_label("What we offer")).to_have_value(GYPROC_OFFER)
    expect(gyproc.locator("#org-gyproc")).to_contain_text(GYPROC_OFFER)

    startup.reload()
    row = startup.locator('#matches tr[data-organisation="gyproc"]')
    expect(row).to_contain_text("Saint-Gobain Gyproc")
    expect(row).to_contain_text("fermenter")


def test_a_contacts_erasure_removes_them_everywhere(
    visitor: Callable[[], Visitor], server: Served
) -> None:
    from playwright.sync_api import expect

    name, email, phone = UNIBIO_PERSON[1:]
    # the member organisation sees its person, exports their data, and no one else's
    member = visitor()
    page = member.sign_in("unibio", "/parks/1/hub/contacts")
    expect(page.locator("table.contacts")).to_contain_text(name)
    assert NOVONESIS_PERSON[1] not in page.locator("main").inner_text()
    with page.expect_download() as started:
        page.get_by_label("export c_unibio").click()
    exported = Path(started.value.path()).read_text(encoding="utf-8")
    assert name in exported and email in exported

    hub = visitor()
    page = hub.sign_in("secretariat", "/parks/1/hub/contacts")
    expect(page.locator("table.contacts")).to_contain_text(name)
    page.get_by_role("button", name="erase c_unibio").click()
    page.wait_for_url("**/hub/contacts?erased=1")
    expect(page.get_by_role("status")).to_contain_text("erased everywhere")
    expect(page.locator("table.contacts")).to_contain_text(NOVONESIS_PERSON[1])
    for path in (
        "/parks/1/hub/contacts",
        "/parks/1/hub",
        "/parks/1/hub/facilities",
        "/parks/1/tables/contacts",
        "/parks/1/tables/bookings",
        "/parks/1/history",
    ):
        page.goto(path)
        shown = page.content()
        for word in (name, email, phone):
            assert word not in shown, (path, word)
    for path in (
        "/api/parks/1/hub/contacts",
        "/api/parks/1/contacts",
        "/api/parks/1/history",
        "/api/parks/1/download?format=json",
    ):
        answer = hub.context.request.get(path).text()
        for word in (name, email, phone):
            assert word not in answer, (path, word)
    assert hub.context.request.get("/api/parks/1/hub/contacts/c_unibio").status == 404
    # and the organisation no longer finds them either
    page = member.page
    page.goto("/parks/1/hub/contacts")
    assert name not in page.locator("main").inner_text()
