"""The knowledge hub on the platform: its API and pages over the park's own database, with
every role checked on the server. A small hub park (Kalundborg with a few organisations
of the ecosystem, facilities, bookings, contacts, a project and a call) is served; each
figure the tests expect is worked out by hand from the rows below."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.engine import make_url

from symbionet.register.park import load_park
from symbionet.store import accounts
from symbionet.store.accounts import Access
from symbionet.store.database import migrate, open_database
from symbionet.web.app import create_app
from symbionet.web.bootstrap import first_start
from symbionet.web.hub import busy_periods, calendar
from symbionet.web.service import owner
from tests.databases import PostgresServer
from tests.servers import KALUNDBORG, sign_in

# --- the hub park --------------------------------------------------------------------------

PROFILE_COLUMNS = ("country", "size", "language", "offers", "needs", "tags", "trl")
#: profiles given to Kalundborg's own organisations
PROFILES: dict[str, dict[str, str]] = {
    "unibio": {
        "country": "DK",
        "size": "small",
        "language": "en",
        "offers": "single-cell protein from methane by gas fermentation; U-Loop fermenter design",
        "needs": "pilot fermenter of 1000 L for scale-up trials; downstream drying of protein biomass",
        "tags": "gas fermentation;protein;scale-up",
        "trl": "6",
    },
    "novonesis": {
        "country": "DK",
        "size": "large",
        "language": "en",
        "offers": "enzymes and industrial biosolutions; strain development",
        "needs": "residual heat users",
        "tags": "enzymes;biosolutions",
    },
}
#: organisations of the ecosystem added to Kalundborg's
NEW_ACTORS: list[dict[str, str]] = [
    {
        "id": "dtu_biosustain",
        "name": "DTU Biosustain",
        "kind": "knowledge_institution",
        "nace": "72.11",
        "country": "DK",
        "size": "large",
        "language": "en",
        "offers": "microbial cell factories; fermentation process development; bioprocess modelling",
        "needs": "industrial partners for pilots",
        "tags": "fermentation;cell factories",
    },
    {
        "id": "lund_university",
        "name": "Lund University",
        "kind": "knowledge_institution",
        "nace": "85.42",
        "country": "SE",
        "size": "large",
        "language": "en",
        "offers": "biotechnology research; downstream processing and protein purification",
        "needs": "Danish industrial partners",
        "tags": "biotechnology;downstream",
    },
    {
        "id": "biopilot_se",
        "name": "Biopilot Sweden",
        "kind": "company",
        "nace": "72.19",
        "country": "SE",
        "size": "small",
        "language": "en",
        "offers": "spray drying of protein biomass; downstream drying trials",
        "needs": "fermentation partners",
        "tags": "drying;downstream",
        "trl": "7",
    },
    {
        "id": "knowledge_hub",
        "name": "Knowledge Hub Zealand",
        "kind": "cluster",
        "nace": "94.99",
        "country": "DK",
        "size": "small",
        "language": "da",
        "offers": "test and scale-up environment for biosolutions",
        "tags": "hub",
    },
    {
        "id": "innovationsfonden",
        "name": "Innovation Fund Denmark",
        "kind": "funder",
        "nace": "84.13",
        "country": "DK",
        "size": "medium",
        "language": "da",
        "offers": "grants for research and innovation",
        "tags": "funding",
    },
]
#: the people: names and addresses found nowhere else, to search for
UNIBIO_PERSON = ("c_unibio", "Xanthippe Quillfeather", "xq@unibio.example", "+45 1111 2222")
NOVONESIS_PERSON = ("c_novonesis", "Bartholomew Zindergaard", "bz@novonesis.example")
TABLES = {
    "contacts": (
        "id,organisation,name,email,phone,role,consent,purpose\n"
        "c_unibio,unibio,Xanthippe Quillfeather,xq@unibio.example,+45 1111 2222,project manager,2026-01-10,collaboration matching\n"
        "c_novonesis,novonesis,Bartholomew Zindergaard,bz@novonesis.example,,innovation lead,2025-11-02,project coordination\n"
    ),
    "facilities": (
        "id,name,owner,kind,description,capacity,capacity_unit,price,available_from,available_to,tags\n"
        "fermenter_1000,Pilot fermenter 1000 L,knowledge_hub,fermentation,Stirred-tank pilot fermenter for scale-up,1000,L,6000,2027-01-01,2027-12-31,fermentation;scale-up\n"
        "fermenter_50,Bench fermenter 50 L,knowledge_hub,fermentation,Bench-scale fermenter,50,L,800,2027-01-01,2027-12-31,fermentation\n"
        "dsp_line,Downstream line,knowledge_hub,downstream,Centrifuge and spray dryer,200,kg/h,4000,2027-01-01,2027-12-31,downstream;drying\n"
    ),
    # Novonesis holds the big fermenter 1-14 March 2027, the hub's maintenance 15-17 March
    "bookings": (
        "id,facility,organisation,contact,start,end,status,purpose\n"
        "b_novonesis,fermenter_1000,novonesis,c_novonesis,2027-03-01,2027-03-14,confirmed,enzyme trial\n"
        "b_service,fermenter_1000,knowledge_hub,,2027-03-15,2027-03-17,closed,maintenance\n"
    ),
    "projects": (
        "id,name,lead,funder,programme,budget,start,end,status,topic,results,pilots,patents,jobs,publications,facilities\n"
        "protein_pilot,ProteinPilot,unibio,innovationsfonden,Grand Solutions,12000000,2024-01-01,2026-06-30,completed,gas fermentation to protein scale-up,a 1000 L pilot run,1,1,4,2,fermenter_1000\n"
    ),
    "project_partners": (
        "id,project,organisation,role\npp1,protein_pilot,unibio,lead\npp2,protein_pilot,dtu_biosustain,partner\n"
    ),
    "calls": (
        "id,title,funder,programme,topic,deadline,budget_min,budget_max,cofinancing,status,tags\n"
        "gc_biosolutions,Greater Copenhagen biosolutions,innovationsfonden,Interreg,fermentation and downstream processing of protein across the border,2027-06-01,1000000,5000000,0.6,open,fermentation;protein\n"
    ),
    # three to five partners, from Denmark and from Sweden, a knowledge institution
    "call_rules": (
        "id,call,rule,countries,kinds,min,max,description\n"
        "r_partners,gc_biosolutions,partners,,,3,5,three to five partners\n"
        "r_countries,gc_biosolutions,countries,DK;SE,,1,,partners from Denmark and Sweden\n"
        "r_knowledge,gc_biosolutions,kinds,,knowledge_institution,1,,at least one knowledge institution\n"
    ),
}


def hub_park(folder: Path) -> Path:
    """Kalundborg with the hub's tables and organisations, written as a park folder."""
    shutil.copytree(KALUNDBORG, folder)
    actors = pd.read_csv(folder / "actors.csv", dtype=str, keep_default_na=False)
    for column in PROFILE_COLUMNS:
        actors[column] = ""
    for actor, values in PROFILES.items():
        for column, value in values.items():
            actors.loc[actors["id"] == actor, column] = value
    actors = pd.concat([actors, pd.DataFrame(NEW_ACTORS)]).fillna("")
    actors.to_csv(folder / "actors.csv", index=False)
    for name, text in TABLES.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


# --- the platform --------------------------------------------------------------------------

PASSWORD = "a long passphrase 4 tests"
VIEWER = "viewer@unibio.example"


Accounts = dict[str, tuple[str, str]]


@pytest.fixture(scope="module")
def hub_templates(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], tuple[str, Accounts]]:
    """A database per backend holding the hub park after its first start, with a viewer
    of Unibio, made once (its URL: a SQLite file, or a PostgreSQL database to copy) and
    its accounts."""
    made: dict[str, tuple[str, Accounts]] = {}

    def template(backend: str) -> tuple[str, Accounts]:
        if backend not in made:
            folder = tmp_path_factory.mktemp("hub")
            if backend == "sqlite":
                url = f"sqlite:///{folder / 'hub.sqlite'}"
            else:
                server: PostgresServer = request.getfixturevalue("postgres_server")
                url = server.url(server.create_database())
            migrate(url)
            engine = open_database(url)
            started = first_start(engine, hub_park(folder / "park"))
            found = {a.actor or a.role: (a.email, a.password) for a in started}
            viewer = accounts.create_user(engine, VIEWER, "Viewer", PASSWORD)
            accounts.grant(engine, viewer, 1, "viewer", "unibio")
            found["viewer"] = (VIEWER, PASSWORD)
            engine.dispose()
            made[backend] = (url, found)
        return made[backend]

    return template


@dataclass
class Hub:
    """The platform in the test process on a copy of the hub database."""

    app: Any
    url: str
    accounts: dict[str, tuple[str, str]]
    opened: list[TestClient] = field(default_factory=list)

    def client(self, who: str | None = None) -> TestClient:
        client = TestClient(self.app, base_url="http://127.0.0.1")
        client.__enter__()
        self.opened.append(client)
        if who is not None:
            sign_in(client, *self.accounts[who])
        return client


@pytest.fixture
def hub(
    request: pytest.FixtureRequest,
    hub_templates: Callable[[str], tuple[str, Accounts]],
    tmp_path: Path,
) -> Iterator[Hub]:
    """The platform on a copy of the hub database: SQLite, or the backend a test asks for
    (``indirect`` parametrisation)."""
    backend = getattr(request, "param", "sqlite")
    template, made = hub_templates(backend)
    if backend == "sqlite":
        copy = tmp_path / "hub.sqlite"
        shutil.copyfile(make_url(template).database or "", copy)
        url, dropped = f"sqlite:///{copy}", None
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        dropped = server.copy_database(make_url(template).database or "")
        url = server.url(dropped)
    found = Hub(create_app(url, run_jobs=False), url, made)
    try:
        yield found
    finally:
        for client in reversed(found.opened):
            client.__exit__(None, None, None)
        if dropped is not None:
            request.getfixturevalue("postgres_server").drop_database(dropped)


BACKENDS = pytest.mark.parametrize("hub", ["sqlite", "postgresql"], indirect=True)


def api(park: int = 1) -> str:
    return f"/api/parks/{park}/hub"


# --- who owns a row, and what a member sees ------------------------------------------------


def test_each_hub_row_belongs_to_its_organisation(tmp_path: Path) -> None:
    park = load_park(hub_park(tmp_path / "park"))
    assert owner(park, "contacts", {"id": "c", "organisation": "unibio"}) == "unibio"
    assert owner(park, "bookings", {"id": "b", "organisation": "novonesis"}) == "novonesis"
    assert owner(park, "solutions", {"id": "s", "organisation": "unibio"}) == "unibio"
    assert owner(park, "project_partners", {"id": "p", "organisation": "lund_university"}) == (
        "lund_university"
    )
    assert owner(park, "facilities", {"id": "f", "owner": "knowledge_hub"}) == "knowledge_hub"
    assert owner(park, "actors", {"id": "biopilot_se"}) == "biopilot_se"
    assert owner(park, "calls", {"id": "gc_biosolutions"}) is None


def test_a_member_sees_its_own_contacts_and_bookings_only(tmp_path: Path) -> None:
    park = load_park(hub_park(tmp_path / "park"))
    unibio = park.visible_to("unibio")
    assert list(unibio.frames["contacts"].index) == ["c_unibio"]
    assert list(unibio.frames["bookings"].index) == []
    novonesis = park.visible_to("novonesis")
    assert list(novonesis.frames["contacts"].index) == ["c_novonesis"]
    assert list(novonesis.frames["bookings"].index) == ["b_novonesis"]
    public = park.visible_to(None)
    assert len(public.frames["contacts"]) == 0 and len(public.frames["bookings"]) == 0
    # the rest of the hub is everyone's
    for name in ("facilities", "projects", "project_partners", "calls", "call_rules"):
        assert len(unibio.frames[name]) == len(park.frames[name]), name


def test_others_bookings_are_busy_periods_that_name_no_one(tmp_path: Path) -> None:
    park = load_park(hub_park(tmp_path / "park"))
    unibio = Access(1, 1, "editor", "unibio")
    # Novonesis's 1-14 March and the hub's maintenance 15-17 March touch: one busy period
    assert busy_periods(park, "fermenter_1000", unibio) == [
        {"start": date(2027, 3, 1), "end": date(2027, 3, 17), "mine": False}
    ]
    novonesis = Access(1, 1, "editor", "novonesis")
    assert busy_periods(park, "fermenter_1000", novonesis) == [
        {
            "start": date(2027, 3, 1),
            "end": date(2027, 3, 14),
            "mine": True,
            "booking": "b_novonesis",
            "status": "confirmed",
        },
        {"start": date(2027, 3, 15), "end": date(2027, 3, 17), "mine": False},
    ]
    secretariat = Access(1, 1, "secretariat")
    assert [p["organisation"] for p in busy_periods(park, "fermenter_1000", secretariat)] == [
        "novonesis",
        "knowledge_hub",
    ]
    assert busy_periods(park, "dsp_line", unibio) == []


def test_a_facility_calendar_marks_busy_and_unbookable_days() -> None:
    periods = [{"start": date(2027, 3, 1), "end": date(2027, 3, 17), "mine": False}]
    months = calendar(periods, date(2027, 1, 10), date(2027, 12, 31), today=date(2026, 11, 30))
    # from the first bookable month to the last: January to December 2027
    assert [m["month"] for m in months] == [f"2027-{m:02d}" for m in range(1, 13)]
    january = [d["state"] for d in months[0]["days"]]
    assert january == ["closed"] * 9 + ["free"] * 22  # bookable from the 10th
    march = [d["state"] for d in months[2]["days"]]
    assert march == ["busy"] * 17 + ["free"] * 14
    # with no window: this month and the eleven after it
    open_ended = calendar([], None, None, today=date(2026, 11, 30))
    assert open_ended[0]["month"] == "2026-11" and open_ended[-1]["month"] == "2027-10"


# --- the overview --------------------------------------------------------------------------


def test_the_overview_shows_the_ecosystem_and_hides_others_bookings_and_people(hub: Hub) -> None:
    unibio = hub.client("unibio")
    found = unibio.get(api())
    assert found.status_code == 200, found.text
    body = found.json()
    organisations = {o["id"]: o for o in body["organisations"]}
    assert organisations["biopilot_se"]["country"] == "SE"
    assert organisations["biopilot_se"]["tags"] == ["drying", "downstream"]
    assert organisations["unibio"]["needs"] == PROFILES["unibio"]["needs"]
    (project,) = body["projects"]
    assert project["lead_name"] == "Unibio"
    assert [p["organisation"] for p in project["partners"]] == ["unibio", "dtu_biosustain"]
    assert [c["id"] for c in body["calls"]] == ["gc_biosolutions"]
    facilities = {f["id"]: f for f in body["facilities"]}
    assert facilities["fermenter_1000"]["busy"] == [
        {"start": "2027-03-01", "end": "2027-03-17", "mine": False}
    ]
    assert body["my_bookings"] == []
    for word in ("b_novonesis", "enzyme trial", *NOVONESIS_PERSON, "maintenance"):
        assert word not in found.text, word
    # the secretariat sees whose
    whole = hub.client("secretariat").get(api()).json()
    busy = {f["id"]: f["busy"] for f in whole["facilities"]}["fermenter_1000"]
    assert [(b["organisation"], b["status"]) for b in busy] == [
        ("novonesis", "confirmed"),
        ("knowledge_hub", "closed"),
    ]
    page = unibio.get("/parks/1/hub")
    assert page.status_code == 200
    assert "Pilot fermenter 1000 L" in page.text and "Biopilot Sweden" in page.text
    assert "2027-03-01 to 2027-03-17" in page.text
    for word in ("b_novonesis", "enzyme trial", *NOVONESIS_PERSON):
        assert word not in page.text, word


def test_the_register_api_shows_a_member_its_own_contacts_and_bookings(hub: Hub) -> None:
    unibio, novonesis, secretariat = (hub.client(w) for w in ("unibio", "novonesis", "secretariat"))
    assert [c["id"] for c in unibio.get("/api/parks/1/contacts").json()] == ["c_unibio"]
    assert unibio.get("/api/parks/1/bookings").json() == []
    assert [b["id"] for b in novonesis.get("/api/parks/1/bookings").json()] == ["b_novonesis"]
    assert len(secretariat.get("/api/parks/1/contacts").json()) == 2
    for fmt in ("json", "yaml"):
        mine = unibio.get(f"/api/parks/1/download?format={fmt}").text
        assert "Xanthippe" in mine and "Zindergaard" not in mine and "b_novonesis" not in mine
    page = unibio.get("/parks/1/tables/contacts").text
    assert "Xanthippe" in page and "Zindergaard" not in page
    # a member's contact row is its own: the register's generic edit does not reach others'
    assert unibio.get("/api/parks/1/contacts/c_novonesis").status_code in (404, 405)


# --- offers and needs ------------------------------------------------------------------------


def _version(client: TestClient, table: str, row_id: str) -> int:
    rows = client.get(f"/api/parks/1/{table}").json()
    return int(next(r for r in rows if r["id"] == row_id)["_version"])


def test_a_member_changes_its_own_offers_and_needs_only(hub: Hub) -> None:
    unibio = hub.client("unibio")
    version = _version(unibio, "actors", "unibio")
    changed = unibio.patch(
        f"{api()}/profile", json={"version": version, "offers": "protein from methane"}
    )
    assert changed.status_code == 200, changed.text
    assert (
        next(o for o in unibio.get(api()).json()["organisations"] if o["id"] == "unibio")["offers"]
        == "protein from methane"
    )
    # its needs were kept
    assert (
        next(r for r in unibio.get("/api/parks/1/actors").json() if r["id"] == "unibio")["needs"]
        == PROFILES["unibio"]["needs"]
    )
    now = _version(unibio, "actors", "unibio")
    other = unibio.patch(
        f"{api()}/profile", json={"version": now, "organisation": "novonesis", "offers": "x"}
    )
    assert other.status_code == 403
    stale = unibio.patch(f"{api()}/profile", json={"version": version, "offers": "again"})
    assert stale.status_code == 409
    viewer = hub.client("viewer").patch(f"{api()}/profile", json={"version": now, "offers": "y"})
    assert viewer.status_code == 403
    nobody = hub.client("secretariat").patch(
        f"{api()}/profile", json={"version": now, "offers": "z"}
    )
    assert nobody.status_code == 422  # the secretariat names whose
    by_secretariat = hub.client("secretariat").patch(
        f"{api()}/profile", json={"version": now, "organisation": "unibio", "needs": "a fermenter"}
    )
    assert by_secretariat.status_code == 200, by_secretariat.text


def test_the_profile_form_saves_offers_and_needs(hub: Hub) -> None:
    unibio = hub.client("unibio")
    version = _version(unibio, "actors", "unibio")
    sent = unibio.post(
        "/parks/1/hub/profile",
        data={
            "_version": str(version),
            "offers": "methane protein",
            "needs": "a dryer",
            "tags": "protein",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    row = next(r for r in unibio.get("/api/parks/1/actors").json() if r["id"] == "unibio")
    assert (row["offers"], row["needs"], row["tags"]) == ("methane protein", "a dryer", "protein")
    history = hub.client("secretariat").get("/api/parks/1/history").json()
    assert history[0]["table"] == "actors" and history[0]["row"] == "unibio"
    assert history[0]["author"] == hub.accounts["unibio"][0]


# --- matches ---------------------------------------------------------------------------------

#: an offer that answers Unibio's need word for word, for Gyproc, which offers nothing yet
GYPROC_OFFER = "pilot fermenter of 1000 L for scale-up trials and drying of protein biomass"


def test_a_members_offer_shows_up_in_anothers_matches(hub: Hub) -> None:
    unibio, gyproc = hub.client("unibio"), hub.client("gyproc")
    before = unibio.get(f"{api()}/matches")
    assert before.status_code == 200, before.text
    assert "gyproc" not in [m["organisation"] for m in before.json()]
    assert {"organisation", "name", "score", "matched", "reason"} <= set(before.json()[0])
    version = _version(gyproc, "actors", "gyproc")
    sent = gyproc.patch(f"{api()}/profile", json={"version": version, "offers": GYPROC_OFFER})
    assert sent.status_code == 200, sent.text
    after = unibio.get(f"{api()}/matches").json()
    found = next(m for m in after if m["organisation"] == "gyproc")
    assert "fermenter" in found["matched"]
    # the same on the hub page, under the member's own needs
    page = unibio.get("/parks/1/hub").text
    assert 'data-organisation="gyproc"' in page
    # a member asks for its own partners only; the secretariat for anyone's
    assert unibio.get(f"{api()}/matches", params={"organisation": "gyproc"}).status_code == 403
    secretariat = hub.client("secretariat")
    assert secretariat.get(f"{api()}/matches").status_code == 422
    theirs = secretariat.get(f"{api()}/matches", params={"organisation": "unibio"}).json()
    assert theirs == after
    page = secretariat.get("/parks/1/hub", params={"matches_for": "unibio"}).text
    assert 'data-organisation="gyproc"' in page
    assert unibio.get("/parks/1/hub", params={"matches_for": "gyproc"}).status_code == 403


# --- consortia -------------------------------------------------------------------------------


def _rules_hold(partners: list[dict[str, Any]]) -> None:
    """The call's three rules, checked from the rows above, not from the answer's own
    account: three to five partners, at least one from Denmark and one from Sweden, at
    least one knowledge institution."""
    countries = {a["id"]: a.get("country") for a in NEW_ACTORS} | {
        a: p["country"] for a, p in PROFILES.items()
    }
    chosen = [p["organisation"] for p in partners]
    assert 3 <= len(chosen) <= 5
    assert {"DK", "SE"} <= {countries.get(o) for o in chosen}
    assert {"dtu_biosustain", "lund_university"} & set(chosen)
    assert not {"innovationsfonden", "knowledge_hub"} & set(chosen)  # the funder and the hub


def test_the_secretariat_builds_a_consortium_and_exports_it(hub: Hub) -> None:
    secretariat = hub.client("secretariat")
    url = f"{api()}/calls/gc_biosolutions/consortium"
    built = secretariat.get(url)
    assert built.status_code == 200, built.text
    body = built.json()
    assert body["feasible"] is True and body["unmet"] == []
    _rules_hold(body["partners"])
    names = [p["organisation"] for p in body["partners"]]
    table = list(csv.DictReader(io.StringIO(secretariat.get(url, params={"format": "csv"}).text)))
    assert [r["organisation"] for r in table] == names
    download = secretariat.get(url, params={"format": "xlsx"})
    assert download.headers["content-disposition"].endswith('consortium-gc_biosolutions.xlsx"')
    book = load_workbook(io.BytesIO(download.content), read_only=True)
    assert book.sheetnames == ["partners", "rules"]
    rows = list(book["partners"].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == names
    rules = [r[0] for r in list(book["rules"].iter_rows(values_only=True))[1:]]
    assert rules == ["r_partners", "r_countries", "r_knowledge"]
    # a lead and an exact size are kept
    led = secretariat.get(url, params={"lead": "unibio", "size": 3}).json()
    assert len(led["partners"]) == 3 and "unibio" in [p["organisation"] for p in led["partners"]]
    _rules_hold(led["partners"])
    # two partners cannot meet a rule of three to five: the rule is named
    small = secretariat.get(url, params={"size": 2}).json()
    assert small["feasible"] is False and any("r_partners" in u for u in small["unmet"])
    # the page builds it and links its export
    page = secretariat.get("/parks/1/hub/calls/gc_biosolutions", params={"build": "1"}).text
    assert all(f'data-organisation="{o}"' in page for o in names)
    assert "consortium?&amp;format=csv" in page or "consortium?&format=csv" in page
    for who in ("unibio", "viewer"):
        assert hub.client(who).get(url).status_code == 403
        assert hub.client(who).get(url, params={"format": "csv"}).status_code == 403
    assert secretariat.get(f"{api()}/calls/no_such/consortium").status_code == 404


# --- contacts --------------------------------------------------------------------------------


def test_contacts_are_the_secretariats_and_their_own_organisations(hub: Hub) -> None:
    unibio, novonesis, viewer = (hub.client(w) for w in ("unibio", "novonesis", "viewer"))
    secretariat = hub.client("secretariat")
    assert [c["id"] for c in unibio.get(f"{api()}/contacts").json()] == ["c_unibio"]
    assert [c["id"] for c in viewer.get(f"{api()}/contacts").json()] == ["c_unibio"]
    assert len(secretariat.get(f"{api()}/contacts").json()) == 2
    exported = unibio.get(f"{api()}/contacts/c_unibio")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"].endswith('contact-c_unibio.json"')
    data = exported.json()
    assert data["contact"]["name"] == UNIBIO_PERSON[1]
    assert data["organisation"]["id"] == "unibio"
    assert secretariat.get(f"{api()}/contacts/c_novonesis").json()["bookings"][0]["id"] == (
        "b_novonesis"
    )
    # another organisation's contact does not exist for a member: not seen, not erased
    for client in (unibio, viewer):
        assert client.get(f"{api()}/contacts/c_novonesis").status_code == 404
        assert client.delete(f"{api()}/contacts/c_novonesis").status_code == 404
    assert novonesis.get(f"{api()}/contacts/c_unibio").status_code == 404
    assert viewer.delete(f"{api()}/contacts/c_unibio").status_code == 403
    page = unibio.get("/parks/1/hub/contacts").text
    assert UNIBIO_PERSON[1] in page and NOVONESIS_PERSON[1] not in page
    assert "erase c_unibio" in page
    assert "erase c_unibio" not in viewer.get("/parks/1/hub/contacts").text


def _database_text(url: str) -> str:
    """Every row of every table of the database, as text."""
    engine = create_engine(url)
    try:
        tables = MetaData()
        tables.reflect(engine)
        with engine.connect() as connection:
            return "\n".join(
                repr(tuple(row)) for table in tables.sorted_tables
                for row in connection.execute(select(table))
            )  # fmt: skip
    finally:
        engine.dispose()


@BACKENDS
def test_an_erased_contact_appears_nowhere(hub: Hub) -> None:
    secretariat, unibio = hub.client("secretariat"), hub.client("unibio")
    # Unibio's person asks for dates once, so that a booking and the history name them
    version = _version(secretariat, "contacts", "c_unibio")
    changed = secretariat.patch(
        "/api/parks/1/contacts/c_unibio",
        json={"version": version, "values": {"role": "head of scale-up"}},
    )
    assert changed.status_code == 200, changed.text
    assert UNIBIO_PERSON[1] in _database_text(hub.url)
    assert UNIBIO_PERSON[1] in secretariat.get("/parks/1/history").text
    unibio.get("/parks/1/hub/contacts")  # kept in the server's cache
    erased = unibio.delete(f"{api()}/contacts/c_unibio")
    assert erased.status_code == 200, erased.text
    assert erased.json()["erased"] == "c_unibio"
    reads = [
        (secretariat, "/api/parks/1/contacts"),
        (secretariat, f"{api()}/contacts"),
        (secretariat, api()),
        (secretariat, "/api/parks/1/history"),
        (secretariat, "/parks/1/history"),
        (secretariat, "/parks/1/hub/contacts"),
        (secretariat, "/parks/1/tables/contacts"),
        (secretariat, "/api/parks/1/download?format=json"),
        (secretariat, "/api/parks/1/download?format=yaml"),
        (unibio, f"{api()}/contacts"),
        (unibio, "/parks/1/hub"),
        (unibio, "/api/parks/1/download?format=json"),
    ]
    for client, url in reads:
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.text[:300])
        for word in UNIBIO_PERSON[1:]:
            assert word not in answer.text, (url, word)
    assert secretariat.get(f"{api()}/contacts/c_unibio").status_code == 404
    stored = _database_text(hub.url)
    for word in UNIBIO_PERSON[1:]:
        assert word not in stored, word
    # the other person is kept
    assert NOVONESIS_PERSON[1] in stored


def test_the_erase_button_removes_the_contact(hub: Hub) -> None:
    novonesis = hub.client("novonesis")
    page = novonesis.get("/parks/1/hub/contacts").text
    assert NOVONESIS_PERSON[1] in page
    sent = novonesis.post("/parks/1/hub/contacts/c_novonesis/erase", follow_redirects=False)
    assert sent.status_code == 303
    after = novonesis.get(sent.headers["location"])
    assert "erased everywhere" in after.text and NOVONESIS_PERSON[1] not in after.text
    # its booking stays, without the person
    (booking,) = novonesis.get("/api/parks/1/bookings").json()
    assert booking["id"] == "b_novonesis" and booking.get("contact") is None


# --- facilities and bookings -----------------------------------------------------------------

#: five days in March 2027 on a fermenter of 500 L at least
MARCH = {"days": 5, "earliest": "2027-03-01", "latest": "2027-03-31", "capacity": 500}


@BACKENDS
def test_a_startup_finds_a_free_facility_and_requests_its_dates(hub: Hub) -> None:
    unibio, novonesis = hub.client("unibio"), hub.client("novonesis")
    found = unibio.get(f"{api()}/facilities/free", params={**MARCH, "kind": "fermentation"})
    assert found.status_code == 200, found.text
    # the 50 L fermenter is too small, the downstream line no fermenter; the big one is held
    # 1-17 March (a booking and maintenance), so its first five free days are 18-22 March
    (free,) = found.json()
    assert (free["facility"], free["start"], free["end"]) == (
        "fermenter_1000",
        "2027-03-18",
        "2027-03-22",
    )
    assert "novonesis" not in found.text.lower()
    asked = {"facility": "fermenter_1000", "start": "2027-03-18", "end": "2027-03-22"}
    booked = unibio.post(f"{api()}/bookings", json={**asked, "purpose": "protein trial"})
    assert booked.status_code == 200, booked.text
    booking = booked.json()["booking"]
    (mine,) = unibio.get("/api/parks/1/bookings").json()
    assert (mine["id"], mine["organisation"], mine["status"]) == (booking, "unibio", "requested")
    history = hub.client("secretariat").get("/api/parks/1/history").json()
    assert (history[0]["table"], history[0]["row"]) == ("bookings", booking)
    # Novonesis asks for days that overlap: refused, naming the facility and the dates only
    clash = {"facility": "fermenter_1000", "start": "2027-03-20", "end": "2027-03-25"}
    refused = novonesis.post(f"{api()}/bookings", json=clash)
    assert refused.status_code in (409, 422), refused.text
    text = refused.text
    assert "fermenter_1000" in text or "Pilot fermenter" in text
    assert "2027-03" in text
    for word in ("unibio", "Unibio", booking, "protein trial", UNIBIO_PERSON[1]):
        assert word not in text, word
    assert len(novonesis.get("/api/parks/1/bookings").json()) == 1  # nothing was added
    # Novonesis now finds the next free days, its own booking and the others' busy days
    later = novonesis.get(f"{api()}/facilities/free", params=MARCH).json()
    found_later = {f["facility"]: (f["start"], f["end"]) for f in later}
    # (the 50 L fermenter and the 200 kg/h line are below the 500 asked)
    assert found_later == {"fermenter_1000": ("2027-03-23", "2027-03-27")}
    busy = {f["id"]: f["busy"] for f in novonesis.get(api()).json()["facilities"]}
    assert busy["fermenter_1000"] == [
        {
            "start": "2027-03-01",
            "end": "2027-03-14",
            "mine": True,
            "booking": "b_novonesis",
            "status": "confirmed",
        },
        {"start": "2027-03-15", "end": "2027-03-22", "mine": False},
    ]


def test_who_may_request_facility_dates(hub: Hub) -> None:
    asked = {"facility": "dsp_line", "start": "2027-05-03", "end": "2027-05-04"}
    assert hub.client().post(f"{api()}/bookings", json=asked).status_code == 401
    assert hub.client("viewer").post(f"{api()}/bookings", json=asked).status_code == 403
    for_other = {**asked, "organisation": "novonesis"}
    assert hub.client("unibio").post(f"{api()}/bookings", json=for_other).status_code == 403
    secretariat = hub.client("secretariat")
    assert secretariat.post(f"{api()}/bookings", json=asked).status_code == 422
    done = secretariat.post(f"{api()}/bookings", json={**asked, "organisation": "biopilot_se"})
    assert done.status_code == 200, done.text
    assert done.json()["organisation"] == "biopilot_se"
    # a contact of another organisation is not the member's to name
    theirs = {**asked, "start": "2027-06-01", "end": "2027-06-02", "contact": "c_novonesis"}
    assert hub.client("unibio").post(f"{api()}/bookings", json=theirs).status_code == 422


def test_the_facilities_page_finds_free_dates_and_books_them(hub: Hub) -> None:
    unibio = hub.client("unibio")
    page = unibio.get("/parks/1/hub/facilities", params={**MARCH, "kind": "fermentation"})
    assert page.status_code == 200
    assert 'data-facility="fermenter_1000"' in page.text
    assert 'data-facility="fermenter_50"' not in page.text
    sent = unibio.post(
        "/parks/1/hub/bookings",
        data={"facility": "fermenter_1000", "start": "2027-03-18", "end": "2027-03-22"},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    shown = unibio.get(sent.headers["location"]).text
    assert "Requested fermenter_1000 from 2027-03-18 to 2027-03-22" in shown
    again = unibio.post(
        "/parks/1/hub/bookings",
        data={"facility": "fermenter_1000", "start": "2027-03-10", "end": "2027-03-12"},
    )
    assert again.status_code in (409, 422)
    assert 'role="alert"' in again.text and "Novonesis" not in again.text
    bad = unibio.post(
        "/parks/1/hub/bookings", data={"facility": "fermenter_1000", "start": "soon", "end": "x"}
    )
    assert bad.status_code == 422 and "a date such as" in bad.text


def test_a_refusal_that_would_name_another_organisation_names_none(tmp_path: Path) -> None:
    from dataclasses import replace

    from symbionet.errors import Problem, SymbionetError
    from symbionet.web.hub import OTHERS, _scrubbed

    park = load_park(hub_park(tmp_path / "park"))
    # a facility named after an organisation that books it: its name is everyone's
    facilities = park.frames["facilities"].copy()
    facilities.loc["fermenter_1000", "name"] = "Novonesis pilot hall"
    park = replace(park, frames={**park.frames, "facilities": facilities})
    unibio = Access(1, 1, "editor", "unibio")
    held = "facility fermenter_1000 (Novonesis pilot hall) is already booked from 2027-03-01 to 2027-03-14"
    named = [
        "overlaps booking b_novonesis",
        "held by Novonesis",
        "asked by Bartholomew Zindergaard",
        "write to bz@novonesis.example",
    ]
    error = SymbionetError([Problem("", None, "start", t) for t in [held, *named]])
    found = [p.message for p in _scrubbed(error, park, unibio).problems]
    assert found == [held, OTHERS]
    # the secretariat reads every problem as it is
    whole = _scrubbed(error, park, Access(1, 1, "secretariat")).problems
    assert [p.message for p in whole] == [held, *named]


# --- the example -------------------------------------------------------------------------------


def test_the_biotech_city_example_has_every_hub_page(tmp_path: Path) -> None:
    """The ecosystem around Kalundborg (a park that includes Kalundborg's) served: each
    hub page and answer for the secretariat and for a startup member, which sees its own
    contact only and another's bookings as busy days."""
    from symbionet.store.repository import save_park
    from tests.servers import ROOT

    url = f"sqlite:///{tmp_path / 'biotech.sqlite'}"
    migrate(url)
    engine = open_database(url)
    park = load_park(ROOT / "examples" / "biotech-city")
    save_park(engine, park, "tests")
    for who, role, actor in (
        ("secretariat", "secretariat", None),
        ("biosyntia", "editor", "biosyntia"),
    ):
        user = accounts.create_user(engine, f"{who}@biotech.example", who, PASSWORD)
        accounts.grant(engine, user, 1, role, actor)
    engine.dispose()
    found = Hub(create_app(url, run_jobs=False), url, {})
    found.accounts = {w: (f"{w}@biotech.example", PASSWORD) for w in ("secretariat", "biosyntia")}
    try:
        secretariat, member = found.client("secretariat"), found.client("biosyntia")
        calls = list(park.frames["calls"].index)
        for client in (secretariat, member):
            pages = ["/parks/1/hub", "/parks/1/hub/facilities", "/parks/1/hub/calls"]
            pages += [f"/parks/1/hub/calls/{c}" for c in calls] + ["/parks/1/hub/contacts"]
            for path in pages:
                assert client.get(path).status_code == 200, path
            body = client.get(api()).json()
            assert len(body["organisations"]) == len(park.actors)
            assert len(body["facilities"]) == len(park.frames["facilities"])
        contacts = member.get(f"{api()}/contacts").json()
        assert {c["organisation"] for c in contacts} == {"biosyntia"}
        assert len(secretariat.get(f"{api()}/contacts").json()) == len(park.frames["contacts"])
        bookings = park.frames["bookings"]
        others = bookings[bookings["organisation"] != "biosyntia"]
        text = member.get(api()).text + member.get("/parks/1/hub/facilities").text
        for booking, row in others.iterrows():
            assert str(booking) not in text and str(row["purpose"]) not in text
        page = secretariat.get(f"/parks/1/hub/calls/{calls[0]}", params={"build": "1"})
        assert page.status_code == 200 and 'id="consortium"' in page.text
    finally:
        for client in reversed(found.opened):
            client.__exit__(None, None, None)


def test_a_park_without_hub_tables_has_every_hub_page_empty(tmp_path: Path) -> None:
    from symbionet.store.repository import save_park

    url = f"sqlite:///{tmp_path / 'plain.sqlite'}"
    migrate(url)
    engine = open_database(url)
    save_park(engine, load_park(KALUNDBORG), "tests")
    for who, role, actor in (("secretariat", "secretariat", None), ("unibio", "editor", "unibio")):
        user = accounts.create_user(engine, f"{who}@plain.example", who, PASSWORD)
        accounts.grant(engine, user, 1, role, actor)
    engine.dispose()
    found = Hub(create_app(url, run_jobs=False), url, {})
    found.accounts = {w: (f"{w}@plain.example", PASSWORD) for w in ("secretariat", "unibio")}
    try:
        for who in ("secretariat", "unibio"):
            client = found.client(who)
            for path in ("", "/facilities", "/calls", "/contacts"):
                page = client.get(f"/parks/1/hub{path}")
                assert page.status_code == 200, (who, path, page.text[:300])
            body = client.get(api()).json()
            assert (body["facilities"], body["calls"], body["projects"]) == ([], [], [])
            assert client.get(f"{api()}/contacts").json() == []
            free = client.get(
                f"{api()}/facilities/free",
                params={"days": 2, "earliest": "2027-01-01", "latest": "2027-01-31"},
            )
            assert free.status_code in (200, 422), free.text
            assert client.get(f"{api()}/calls/none").status_code == 404
    finally:
        for client in reversed(found.opened):
            client.__exit__(None, None, None)
