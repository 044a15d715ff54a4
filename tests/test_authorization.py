"""Who may do what on the platform, and what a partner can read of another's secrets.

The matrix: every endpoint of the app (API and pages, every method but HEAD) for every role (no one signed in, the secretariat, an editor and a viewer
of partner A, an editor of partner B, the secretariat of a second park), in the park of
these roles, in a second park on the same server and in a park that does not exist. The
outcome each should have is declared below as data; an endpoint without a declaration
fails the test, so none is added unchecked.

The confidential search: the secretariat makes three of B's streams confidential, with
names and quantities found nowhere else, and runs discovery and an assessment; then every
answer A's editor and viewer can get (every GET, every refused change of B's rows, the
downloads in every format opened up, the template, the reports, the pages) is searched
for those ids, names and quantities: none may show; nor to the public, nor to the
secretariat of another park.

And every change a signed-in browser sends without its session's CSRF token is refused.
"""

from __future__ import annotations

import io
import itertools
import json
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from symbionet.register.park import load_park
from symbionet.store import accounts, jobs
from symbionet.store.database import migrate, open_database
from symbionet.store.repository import save_park
from symbionet.web.app import create_app
from symbionet.web.bootstrap import first_start
from symbionet.web.runner import JobRunner
from tests.databases import empty_database
from tests.servers import KALUNDBORG, sign_in

A, B = "novo_nordisk", "orsted"
ROLES = ("anonymous", "secretariat", "editor_a", "viewer_a", "editor_b", "other_park")
MISSING = 987654  # a park id and a job id that do not exist
PASSWORD = "a long passphrase 4 tests"

#: B's streams made confidential, with names and yearly quantities found nowhere else
SECRETS = {
    "asnaes_steam": ("Zephyrine steam main", 412357),
    "asnaes_cooling": ("Quokka cooling intake", 523461),
    "asnaes_dh": ("Wombat heat export", 234568),
}
#: the time profile only B's hidden streams use, hidden from A with them
PROFILE = "numbat_profile"
#: the rows of A (or of no partner) that the changes aim at, by table
ROWS = {
    "actors": A,
    "sites": "novo_site",
    "streams": "novo_yeast",
    "technologies": "novo_heat_pump",
    "exchanges": "yeast_biogas",
    "profiles": "1",
    "plots": "plot_east",
    "meters": "m_tisso_novo",
    "pipeline": "residues_to_biogas",
    "pipeline_log": "residues_to_biogas-1",
    "risks": "holbaek_cooling_late",
    "scenarios": "gas_x2",
    "contacts": "novo_contact",
    "facilities": "pilot_plant",
    "bookings": "novo_booking",
    "projects": "proj_scale",
    "project_partners": "proj_scale_novo",
    "calls": "call_open",
    "call_rules": "call_open_partners",
    "programmes": "prog_process",
    "solutions": "novo_solution",
}
#: a new row of each table whose id is taken already: refused after the role is checked
TAKEN = {
    "actors": {"id": A, "name": "Novo Nordisk"},
    "sites": {"id": "novo_site", "actor": A, "lat": 55.66, "lon": 11.09},
    "streams": {"id": "novo_yeast", "site": "novo_site", "quantity": 1},
    "technologies": {"id": "novo_heat_pump", "site": "novo_site"},
    "exchanges": {"id": "yeast_biogas", "supply": "novo_yeast", "demand": "biogas_yeast"},
    "profiles": {"period": 1, "flat": 1.0},
    "plots": {"id": "plot_east", "lat": 55.6, "lon": 11.1, "area_m2": 1.0},
    "meters": {"id": "m_tisso_novo", "exchange": "tisso_novo", "unit": "m3"},
    "pipeline": {"id": "residues_to_biogas", "title": "Residues to biogas"},
    "pipeline_log": {
        "id": "residues_to_biogas-1",
        "project": "residues_to_biogas",
        "date": "2017-03-23",
        "to_stage": "idea",
    },
    "risks": {
        "id": "holbaek_cooling_late",
        "project": "cooling_heat_to_holbaek",
        "risk": "late",
        "likelihood": 1,
        "impact": 1,
    },
    "scenarios": {"id": "gas_x2", "scenario": "gas", "change": "price"},
    "contacts": {"id": "novo_contact", "organisation": A, "name": "Ann", "consent": "2026-01-01"},
    "facilities": {"id": "pilot_plant", "name": "Pilot plant", "owner": "novonesis"},
    "bookings": {
        "id": "novo_booking",
        "facility": "pilot_plant",
        "organisation": A,
        "start": "2027-06-01",
        "end": "2027-06-02",
    },
    "projects": {"id": "proj_scale", "name": "ScaleUp"},
    "project_partners": {"id": "proj_scale_novo", "project": "proj_scale", "organisation": A},
    "calls": {"id": "call_open", "title": "Open call"},
    "call_rules": {"id": "call_open_partners", "call": "call_open", "rule": "partners"},
    "programmes": {"id": "prog_process", "provider": "kommune", "name": "Process operator"},
    "solutions": {"id": "novo_solution", "organisation": A, "name": "S", "takes": "biomethane"},
}
#: the hub's tables, and rows of each (of A, or of no partner), in both parks
HUB_FILES = {
    "contacts": "id,organisation,name,email,consent\n"
    "novo_contact,novo_nordisk,Ann Example,ann@novo.example,2026-01-01\n"
    "orsted_contact,orsted,Bo Example,bo@orsted.example,2026-01-01\n",
    "facilities": "id,name,owner,kind,capacity,capacity_unit,price,available_from,available_to\n"
    "pilot_plant,Pilot plant,novonesis,pilot_plant,100,L,1000,2027-01-01,2027-12-31\n",
    "bookings": "id,facility,organisation,contact,start,end,status\n"
    "novo_booking,pilot_plant,novo_nordisk,novo_contact,2027-02-01,2027-02-05,confirmed\n",
    "projects": "id,name,lead,status,topic\nproj_scale,ScaleUp,novo_nordisk,running,scale-up\n",
    "project_partners": "id,project,organisation,role\nproj_scale_novo,proj_scale,novo_nordisk,lead\n",
    "calls": "id,title,funder,topic,status\ncall_open,Open call,kommune,fermentation,open\n",
    "call_rules": "id,call,rule,min,max\ncall_open_partners,call_open,partners,2,3\n",
    "programmes": "id,provider,name,skills\nprog_process,kommune,Process operator,process operation\n",
    "solutions": "id,organisation,name,takes,gives\n"
    "novo_solution,novo_nordisk,Methane to protein,biomethane,feed_protein\n",
}

# --- the expected outcomes -----------------------------------------------------------------
#
# One line per endpoint and request, one word per role in the order of ROLES, for the park
# the roles hold (park 1):
#   ok     the request passed the role check: 2xx, a redirect elsewhere than the sign-in
#          page, or a refusal that comes after it (409: a stale row version; 422 with the
#          register's problems)
#   401    not signed in (the API)
#   login  not signed in (a page): a redirect to the sign-in page
#   403    signed in, with a role in the park that may not do this
#   404    no role in the park: the same answer as for a park that does not exist
#
# In park 2 the roles of park 1 hold no role and the second park's secretariat is its
# secretariat: there each expects what other_park and secretariat expect in park 1,
# swapped. In a park (or job) that does not exist every signed-in role gets 404, and so
# does everyone for the public endpoints.

PARTNER_TABLES = ("actors", "sites", "streams", "technologies")
PARK_TABLES = (
    "exchanges",
    "profiles",
    "plots",
    "meters",
    "pipeline",
    "pipeline_log",
    "risks",
    "scenarios",
    *HUB_FILES,
)

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    # accounts
    ("POST", "/api/session"): {"sign in": "401 ok ok ok ok ok"},
    ("DELETE", "/api/session"): {"sign out": "ok ok ok ok ok ok"},
    ("GET", "/api/me"): {"": "401 ok ok ok ok ok"},
    ("POST", "/api/tokens"): {"": "401 ok ok ok ok ok"},
    ("GET", "/api/parks"): {"": "401 ok ok ok ok ok"},
    ("GET", "/api/parks/{park_id}/members"): {"": "401 ok 403 403 403 404"},
    ("POST", "/api/parks/{park_id}/members"): {"unknown partner": "401 ok 403 403 403 404"},
    # the park and its files
    ("GET", "/api/parks/{park_id}"): {"": "401 ok ok ok ok 404"},
    ("POST", "/api/parks/{park_id}/upload"): {
        "a table": "401 ok ok 403 ok 404",
        "a whole park": "401 ok ok 403 ok 404",
    },
    ("GET", "/api/parks/{park_id}/download"): {"": "401 ok ok ok ok 404"},
    ("GET", "/api/parks/{park_id}/template"): {"": "401 ok ok ok ok 404"},
    ("GET", "/api/parks/{park_id}/history"): {"": "401 ok 403 403 403 404"},
    ("GET", "/api/parks/{park_id}/figures"): {"": "401 ok 403 403 403 404"},
    # analyses
    ("GET", "/api/parks/{park_id}/candidates"): {"": "401 ok ok ok ok 404"},
    ("PUT", "/api/parks/{park_id}/candidates/{number}/consent"): {"": "401 403 ok 403 ok 404"},
    ("POST", "/api/parks/{park_id}/jobs"): {"": "401 ok 403 403 403 404"},
    ("GET", "/api/parks/{park_id}/jobs"): {"": "401 ok 403 403 403 404"},
    ("GET", "/api/jobs/{job_id}"): {"": "401 ok 404 404 404 404"},
    ("POST", "/api/jobs/{job_id}/cancel"): {"": "401 ok 404 404 404 404"},
    ("GET", "/api/parks/{park_id}/report"): {
        "the park's": "401 ok 403 403 403 404",
        "A's": "401 ok ok ok 403 404",
    },
    ("GET", "/api/parks/{park_id}/case-sheets/{exchange}"): {"": "401 ok ok ok ok 404"},
    # the synergy pipeline
    ("GET", "/api/parks/{park_id}/synergies"): {"": "401 ok ok ok ok 404"},
    ("POST", "/api/parks/{park_id}/synergies"): {"": "401 ok ok 403 ok 404"},
    ("POST", "/api/parks/{park_id}/synergies/{project}/move"): {"": "401 ok 403 403 403 404"},
    ("POST", "/api/parks/{park_id}/candidates/{number}/synergy"): {"": "401 ok 403 403 403 404"},
    # metered data
    ("POST", "/api/parks/{park_id}/readings"): {"A's meter": "401 ok ok 403 403 404"},
    ("GET", "/api/parks/{park_id}/account"): {"": "401 ok 403 403 403 404"},
    # public
    ("GET", "/api/public/parks"): {"": "ok ok ok ok ok ok"},
    ("GET", "/api/public/parks/{park_id}"): {"": "ok ok ok ok ok ok"},
    ("GET", "/api/openapi.json"): {"": "ok ok ok ok ok ok"},
    ("GET", "/api/docs"): {"": "ok ok ok ok ok ok"},
    ("GET", "/docs/oauth2-redirect"): {"": "ok ok ok ok ok ok"},
    ("GET", "/static/plotly.min.js"): {"": "ok ok ok ok ok ok"},
    ("GET", "/static/{path}"): {"": "ok ok ok ok ok ok"},
    # pages
    ("GET", "/"): {"": "ok ok ok ok ok ok"},
    ("GET", "/login"): {"": "ok ok ok ok ok ok"},
    ("POST", "/login"): {"sign in": "401 ok ok ok ok ok"},
    ("POST", "/logout"): {"sign out": "ok ok ok ok ok ok"},
    ("GET", "/parks/{park_id}"): {"": "login ok ok ok ok 404"},
    ("GET", "/public/parks/{park_id}"): {"": "ok ok ok ok ok ok"},
    ("GET", "/parks/{park_id}/tables/{table}"): {"": "login ok ok ok ok 404"},
    ("POST", "/parks/{park_id}/tables/{table}/{row_id}"): {"": "login ok ok 403 403 404"},
    ("POST", "/parks/{park_id}/tables/{table}"): {"": "login ok ok 403 403 404"},
    ("POST", "/parks/{park_id}/upload"): {
        "a table": "login ok ok 403 ok 404",
        "a whole park": "login ok ok 403 ok 404",
    },
    ("GET", "/parks/{park_id}/analyses"): {"": "login ok 403 403 403 404"},
    ("POST", "/parks/{park_id}/jobs"): {"": "login ok 403 403 403 404"},
    ("GET", "/parks/{park_id}/jobs/{job_id}"): {"": "login ok 403 403 403 404"},
    ("POST", "/parks/{park_id}/jobs/{job_id}/cancel"): {"": "login ok 403 403 403 404"},
    ("GET", "/parks/{park_id}/candidates"): {"": "login ok ok ok ok 404"},
    ("POST", "/parks/{park_id}/candidates/{number}/consent"): {"": "login 403 ok 403 ok 404"},
    ("GET", "/parks/{park_id}/history"): {"": "login ok 403 403 403 404"},
    ("GET", "/parks/{park_id}/members"): {"": "login ok 403 403 403 404"},
    ("POST", "/parks/{park_id}/members"): {"": "login ok 403 403 403 404"},
    ("GET", "/parks/{park_id}/reports"): {"": "login ok ok ok ok 404"},
    ("GET", "/parks/{park_id}/synergies"): {"": "login ok ok ok ok 404"},
    ("POST", "/parks/{park_id}/synergies"): {"": "login ok ok 403 ok 404"},
    ("POST", "/parks/{park_id}/synergies/{project}/move"): {"": "login ok 403 403 403 404"},
    ("POST", "/parks/{park_id}/candidates/{number}/synergy"): {"": "login ok 403 403 403 404"},
    ("GET", "/parks/{park_id}/account"): {"": "login ok 403 403 403 404"},
    ("POST", "/parks/{park_id}/readings"): {"A's meter": "login ok 403 403 403 404"},
    # the knowledge hub: a member's own offers, bookings and contacts; consortia are the
    # secretariat's; another organisation's contact answers as one that does not exist
    ("GET", "/api/parks/{park_id}/hub"): {"": "401 ok ok ok ok 404"},
    ("PATCH", "/api/parks/{park_id}/hub/profile"): {"": "401 ok ok 403 ok 404"},
    ("GET", "/api/parks/{park_id}/hub/matches"): {"": "401 ok ok ok ok 404"},
    ("GET", "/api/parks/{park_id}/hub/facilities/free"): {"": "401 ok ok ok ok 404"},
    ("POST", "/api/parks/{park_id}/hub/bookings"): {"": "401 ok ok 403 ok 404"},
    ("GET", "/api/parks/{park_id}/hub/calls/{call}"): {"": "401 ok ok ok ok 404"},
    ("GET", "/api/parks/{park_id}/hub/calls/{call}/consortium"): {"": "401 ok 403 403 403 404"},
    ("GET", "/api/parks/{park_id}/hub/contacts"): {"": "401 ok ok ok ok 404"},
    ("GET", "/api/parks/{park_id}/hub/contacts/{contact}"): {"A's": "401 ok ok ok 404 404"},
    ("DELETE", "/api/parks/{park_id}/hub/contacts/{contact}"): {"A's": "401 ok ok 403 404 404"},
    ("GET", "/parks/{park_id}/hub"): {"": "login ok ok ok ok 404"},
    ("POST", "/parks/{park_id}/hub/profile"): {"": "login ok ok 403 ok 404"},
    ("GET", "/parks/{park_id}/hub/facilities"): {"": "login ok ok ok ok 404"},
    ("POST", "/parks/{park_id}/hub/bookings"): {"": "login ok ok 403 ok 404"},
    ("GET", "/parks/{park_id}/hub/calls"): {"": "login ok ok ok ok 404"},
    ("GET", "/parks/{park_id}/hub/calls/{call}"): {"": "login ok ok ok ok 404"},
    ("GET", "/parks/{park_id}/hub/contacts"): {"": "login ok ok ok ok 404"},
    ("POST", "/parks/{park_id}/hub/contacts/{contact}/erase"): {"A's": "login ok ok 403 404 404"},
}
for _table in (*PARTNER_TABLES, *PARK_TABLES):
    _partner = _table in PARTNER_TABLES
    _rows = f"/api/parks/{{park_id}}/{_table}"
    EXPECTED[("GET", _rows)] = {"": "401 ok ok ok ok 404"}
    EXPECTED[("POST", _rows)] = {
        "": "401 ok ok 403 403 404" if _partner and _table != "actors" else "401 ok 403 403 403 404"
    }
    EXPECTED[("PATCH", _rows + "/{row_id}")] = {
        "": "401 ok ok 403 403 404" if _partner else "401 ok 403 403 403 404"
    }
    EXPECTED[("DELETE", _rows + "/{row_id}")] = {
        "": "401 ok ok 403 403 404" if _partner and _table != "actors" else "401 ok 403 403 403 404"
    }
# rows hidden from a role answer as rows that do not exist: B takes no part in the risk's
# synergy; scenarios are the secretariat's alone
for _method in ("PATCH", "DELETE"):
    EXPECTED[(_method, "/api/parks/{park_id}/risks/{row_id}")] = {"": "401 ok 403 403 404 404"}
    EXPECTED[(_method, "/api/parks/{park_id}/scenarios/{row_id}")] = {"": "401 ok 404 404 404 404"}
    # A's contact and booking are A's and the secretariat's to see
    for _table in ("contacts", "bookings"):
        EXPECTED[(_method, f"/api/parks/{{park_id}}/{_table}/{{row_id}}")] = {
            "": "401 ok 403 403 404 404"
        }

#: requests in park 1 aimed elsewhere than the park's own rows and jobs, declared whole
ASIDE: dict[tuple[str, str], dict[str, str]] = {
    # B's confidential stream: A's roles get the answer of a row that does not exist
    ("PATCH", "/api/parks/{park_id}/streams/{row_id}"): {"B's hidden": "401 ok 404 404 ok 404"},
    ("DELETE", "/api/parks/{park_id}/streams/{row_id}"): {"B's hidden": "401 ok 404 404 ok 404"},
    ("POST", "/parks/{park_id}/tables/{table}/{row_id}"): {"B's hidden": "login ok 404 404 ok 404"},
    # park 1's address with the job of park 2
    ("GET", "/parks/{park_id}/jobs/{job_id}"): {"park 2's job": "login 404 403 403 403 404"},
    ("POST", "/parks/{park_id}/jobs/{job_id}/cancel"): {
        "park 2's job": "login 404 403 403 403 404"
    },
}


def expected(key: tuple[str, str], variant: str, park: str) -> dict[str, str]:
    """The outcome per role of a declared request in ``park`` (park1, park2, missing)."""
    words = dict(zip(ROLES, EXPECTED[key][variant].split(), strict=True))
    if park == "park2":
        swapped = {"secretariat": words["other_park"], "other_park": words["secretariat"]}
        return {
            role: swapped.get(role, words["other_park"] if role != "anonymous" else words[role])
            for role in ROLES
        }
    if park == "missing":
        public = words["anonymous"] == "ok"
        return {role: "404" if public or role != "anonymous" else words[role] for role in ROLES}
    return words


# --- the platform and its roles ------------------------------------------------------------


@dataclass
class World:
    """The platform with two parks, a client per role and the ids to fill paths with."""

    app: Any
    engine: Any
    credentials: dict[str, tuple[str, str]]
    clients: dict[str, TestClient] = field(default_factory=dict)
    parks: dict[str, int] = field(default_factory=dict)
    jobs: dict[str, int] = field(default_factory=dict)
    opened: list[TestClient] = field(default_factory=list)

    def client(self, role: str) -> TestClient:
        """A new client, signed in as ``role`` (not for anonymous)."""
        client = TestClient(self.app, base_url="http://127.0.0.1")
        client.__enter__()
        self.opened.append(client)
        if role != "anonymous":
            sign_in(client, *self.credentials[role])
        return client

    def park(self, park: str) -> int:
        return MISSING if park == "missing" else self.parks.get(park, self.parks["park1"])

    def job(self, park: str) -> int:
        return MISSING if park == "missing" else self.jobs[park]


def park_folder(folder: Path, name: str | None = None) -> Path:
    """Kalundborg with a time profile, a plot and a technology of A; renamed when asked."""
    shutil.copytree(KALUNDBORG, folder)
    (folder / "profiles.csv").write_text(
        f"period,flat,{PROFILE}\n" + "".join(f"{i},1,{i}\n" for i in range(1, 13)),
        encoding="utf-8",
    )
    (folder / "plots.csv").write_text(
        "id,name,lat,lon,area_m2\nplot_east,East plot,55.67,11.10,20000\n", encoding="utf-8"
    )
    technologies = folder / "technologies.csv"
    lines = technologies.read_text(encoding="utf-8").splitlines()
    mine = lines[1].replace("wastewater_heat_pump,wwtp,", "novo_heat_pump,novo_site,", 1)
    technologies.write_text("\n".join([*lines, mine]) + "\n", encoding="utf-8")
    for table, text in HUB_FILES.items():
        (folder / f"{table}.csv").write_text(text, encoding="utf-8")
    if name is not None:
        meta = yaml.safe_load((folder / "park.yaml").read_text(encoding="utf-8"))
        meta["name"] = name
        (folder / "park.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    return folder


def run_queued(world: World) -> None:
    """Run every queued job to its end, here and now, as a server's job runner does."""
    runner = JobRunner(world.engine)
    while (job := jobs.claim_job(world.engine, "tests")) is not None:
        runner.run(job)


def start_job(world: World, park: str, kind: str, options: dict[str, Any]) -> int:
    client = world.clients["secretariat" if park == "park1" else "other_park"]
    sent = client.post(
        f"/api/parks/{world.parks[park]}/jobs", json={"kind": kind, "options": options}
    )
    assert sent.status_code == 200, sent.text
    run_queued(world)
    done = client.get(f"/api/jobs/{sent.json()['id']}").json()
    assert done["status"] == "done", done
    return int(done["id"])


def row_of(client: TestClient, park_id: int, table: str, row_id: str) -> dict[str, Any]:
    key = "period" if table == "profiles" else "id"
    rows = client.get(f"/api/parks/{park_id}/{table}").json()
    return next(r for r in rows if str(r[key]) == row_id)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database for the tests of this module (as ``database_url``, once)."""
    with empty_database(request, request.param, tmp_path_factory.mktemp("authorization")) as url:
        yield url


@pytest.fixture(scope="module")
def world(shared_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Park 1 (Kalundborg, with every table) with the secretariat, A's editor and viewer
    and B's editor; park 2 (its copy under another name) with its own secretariat; B's
    three streams in SECRETS confidential; discovery run on both parks, an assessment on
    park 1 (and its result kept for park 2 too). The tests share it: what they change
    (sessions, tokens, consents withdrawn) leaves every outcome as it was."""
    database_url = shared_database
    tmp_path = tmp_path_factory.mktemp("parks")
    migrate(database_url)
    engine = open_database(database_url)
    made = {a.actor or a.role: (a.email, a.password) for a in first_start(engine, KALUNDBORG)}
    save_park(engine, load_park(park_folder(tmp_path / "park1")), "tests", replace=True)
    second = save_park(engine, load_park(park_folder(tmp_path / "park2", "Second Park")), "tests")
    credentials = {
        "secretariat": made["secretariat"],
        "editor_a": made[A],
        "editor_b": made[B],
        "viewer_a": ("viewer@novo.example", PASSWORD),
        "other_park": ("secretariat@second.example", PASSWORD),
    }
    viewer = accounts.create_user(engine, "viewer@novo.example", "Viewer", PASSWORD)
    accounts.grant(engine, viewer, 1, "viewer", A)
    other = accounts.create_user(engine, "secretariat@second.example", "Second", PASSWORD)
    accounts.grant(engine, other, second, "secretariat")
    engine.dispose()
    app = create_app(database_url, run_jobs=False)
    state = app.state.platform
    made_world = World(app, state.engine, credentials, parks={"park1": 1, "park2": second})
    try:
        made_world.clients = {role: made_world.client(role) for role in ROLES}
        secretariat = made_world.clients["secretariat"]
        for stream, (name, quantity) in SECRETS.items():
            version = row_of(secretariat, 1, "streams", stream)["_version"]
            changed = secretariat.patch(
                f"/api/parks/1/streams/{stream}",
                json={
                    "version": version,
                    "values": {
                        "confidential": True,
                        "name": name,
                        "quantity": quantity,
                        "profile": PROFILE,
                    },
                },
            )
            assert changed.status_code == 200, changed.text
        made_world.jobs["park1"] = start_job(made_world, "park1", "discover", {"top": 40})
        made_world.jobs["park2"] = start_job(made_world, "park2", "discover", {"top": 40})
        start_job(made_world, "park1", "assess", {})
        assessed = jobs.latest_result(state.engine, 1, "assess")
        assert assessed is not None and assessed.result is not None
        copy = jobs.submit_job(state.engine, second, "assess", {}, "tests")
        assert jobs.claim_job(state.engine, "tests") is not None
        artifact = jobs.job_artifact(state.engine, assessed.id)
        jobs.finish_job(state.engine, copy.id, assessed.result, 1, artifact)
        yield made_world
    finally:
        for client in made_world.opened:
            client.__exit__(None, None, None)


# --- the requests --------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """A request: ``fresh`` sends it from a new client of the role (it signs in or out)."""

    method: str
    url: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    fresh: bool = False


Build = Callable[[World, str, str], Call]  # world, park (or aside), role -> the request


def _simple(method: str, url: str, **kwargs: Any) -> Build:
    """A request whose path holds ``{park}`` and ``{job}`` at most."""

    def build(world: World, park: str, role: str) -> Call:
        return Call(
            method,
            url.format(park=world.park(park), job=world.job(park) if "{job}" in url else 0),
            kwargs,
        )

    return build


def _sign_in_api(world: World, park: str, role: str) -> Call:
    email, password = world.credentials.get(role, world.credentials["secretariat"])
    wrong = role == "anonymous"
    body = {"email": email, "password": "not the password" if wrong else password}
    return Call("POST", "/api/session", {"json": body}, fresh=True)


def _sign_in_page(world: World, park: str, role: str) -> Call:
    email, password = world.credentials.get(role, world.credentials["secretariat"])
    wrong = role == "anonymous"
    form = {"email": email, "password": "not the password" if wrong else password, "next": "/"}
    return Call("POST", "/login", {"data": form}, fresh=True)


def _row_url(world: World, park: str, table: str) -> str:
    row = "asnaes_steam" if park == "B's hidden" else ROWS[table]
    return f"/api/parks/{world.park(park)}/{table}/{row}"


def _table_builds(table: str) -> dict[tuple[str, str], Build]:
    rows = f"/api/parks/{{park_id}}/{table}"
    return {
        ("GET", rows): _simple("GET", f"/api/parks/{{park}}/{table}"),
        ("POST", rows): _simple("POST", f"/api/parks/{{park}}/{table}", json=TAKEN[table]),
        ("PATCH", rows + "/{row_id}"): lambda w, park, role: Call(
            "PATCH", _row_url(w, park, table), {"json": {"version": 0, "values": {}}}
        ),
        ("DELETE", rows + "/{row_id}"): lambda w, park, role: Call(
            "DELETE", _row_url(w, park, table), {"params": {"version": 0}}
        ),
    }


def _job_page(method: str, tail: str = "") -> Build:
    def build(world: World, park: str, role: str) -> Call:
        job = world.jobs["park2"] if park == "park 2's job" else world.job(park)
        return Call(method, f"/parks/{world.park(park)}/jobs/{job}{tail}")

    return build


def _save_row(world: World, park: str, role: str) -> Call:
    row = "asnaes_steam" if park == "B's hidden" else ROWS["streams"]
    form = {"quantity": "7", "_version": "0"}
    return Call("POST", f"/parks/{world.park(park)}/tables/streams/{row}", {"data": form})


UPLOADS = {
    "a table": ("streams.csv", b"id,site,direction,resource,quantity,unit\n"),
    "a whole park": ("park.json", b"{}"),
}


def _upload(url: str) -> Callable[[str], Build]:
    def variant(name: str) -> Build:
        def build(world: World, park: str, role: str) -> Call:
            filename, content = UPLOADS[name]
            return Call(
                "POST", url.format(park=world.park(park)), {"files": {"file": (filename, content)}}
            )

        return build

    return variant


NOW = "2030-01-01T00:00:00Z"
#: a synergy at the idea stage: moved to it again, refused by the rules after the role check
STAYS = "unibio_streams"
#: an hour of A's meter of its cooling water
READINGS = {
    "file": ("scada.csv", b"timestamp,meter,value,unit\n2024-01-01T00:00:00Z,m_tisso_novo,57,m3\n")
}
TAKEN_FORM = {"id": "novo_yeast", "site": "novo_site", "quantity": "1"}
UNKNOWN_PARTNER = {
    "email": "nobody@new.example",
    "name": "Nobody",
    "role": "viewer",
    "actor": "no_such",
}

#: a search for free facility days, and a request for a facility that does not exist
DAYS = {"days": 1, "earliest": "2027-01-01", "latest": "2027-01-31"}
NO_FACILITY = {"facility": "no_such", "start": "2027-01-04", "end": "2027-01-05"}
_contacts = itertools.count(1)


def _new_contact(world: World, park: str) -> str:
    """A new contact of A, added by the park's secretariat for a request that erases it
    (none in a park that does not exist)."""
    contact = f"erasable_{next(_contacts)}"
    if park in ("park1", "park2"):
        client = world.clients["secretariat" if park == "park1" else "other_park"]
        person = {"id": contact, "organisation": A, "name": f"Person {contact}"}
        made = client.post(
            f"/api/parks/{world.park(park)}/contacts", json={**person, "consent": "2026-01-01"}
        )
        assert made.status_code == 200, made.text
    return contact


BUILDS: dict[tuple[str, str], dict[str, Build]] = {
    ("POST", "/api/session"): {"sign in": _sign_in_api},
    ("DELETE", "/api/session"): {
        "sign out": lambda w, p, r: Call("DELETE", "/api/session", fresh=True)
    },
    ("GET", "/api/me"): {"": _simple("GET", "/api/me")},
    ("POST", "/api/tokens"): {"": _simple("POST", "/api/tokens")},
    ("GET", "/api/parks"): {"": _simple("GET", "/api/parks")},
    ("GET", "/api/parks/{park_id}/members"): {"": _simple("GET", "/api/parks/{park}/members")},
    ("POST", "/api/parks/{park_id}/members"): {
        "unknown partner": _simple("POST", "/api/parks/{park}/members", json=UNKNOWN_PARTNER)
    },
    ("GET", "/api/parks/{park_id}"): {"": _simple("GET", "/api/parks/{park}")},
    ("POST", "/api/parks/{park_id}/upload"): {
        name: _upload("/api/parks/{park}/upload")(name) for name in UPLOADS
    },
    ("GET", "/api/parks/{park_id}/download"): {"": _simple("GET", "/api/parks/{park}/download")},
    ("GET", "/api/parks/{park_id}/template"): {"": _simple("GET", "/api/parks/{park}/template")},
    ("GET", "/api/parks/{park_id}/history"): {"": _simple("GET", "/api/parks/{park}/history")},
    ("GET", "/api/parks/{park_id}/figures"): {
        "": _simple("GET", "/api/parks/{park}/figures", params={"at": NOW})
    },
    ("GET", "/api/parks/{park_id}/candidates"): {
        "": _simple("GET", "/api/parks/{park}/candidates")
    },
    ("PUT", "/api/parks/{park_id}/candidates/{number}/consent"): {
        "": _simple("PUT", "/api/parks/{park}/candidates/1/consent", json={"agree": False})
    },
    ("POST", "/api/parks/{park_id}/jobs"): {
        "": _simple(
            "POST", "/api/parks/{park}/jobs", json={"kind": "discover", "options": {"tops": 1}}
        )
    },
    ("GET", "/api/parks/{park_id}/jobs"): {"": _simple("GET", "/api/parks/{park}/jobs")},
    ("GET", "/api/jobs/{job_id}"): {"": _simple("GET", "/api/jobs/{job}")},
    ("POST", "/api/jobs/{job_id}/cancel"): {"": _simple("POST", "/api/jobs/{job}/cancel")},
    ("GET", "/api/parks/{park_id}/report"): {
        "the park's": _simple("GET", "/api/parks/{park}/report"),
        "A's": _simple("GET", "/api/parks/{park}/report", params={"partner": A}),
    },
    ("GET", "/api/public/parks"): {"": _simple("GET", "/api/public/parks")},
    ("GET", "/api/public/parks/{park_id}"): {"": _simple("GET", "/api/public/parks/{park}")},
    ("GET", "/api/openapi.json"): {"": _simple("GET", "/api/openapi.json")},
    ("GET", "/api/docs"): {"": _simple("GET", "/api/docs")},
    ("GET", "/docs/oauth2-redirect"): {"": _simple("GET", "/docs/oauth2-redirect")},
    ("GET", "/static/plotly.min.js"): {"": _simple("GET", "/static/plotly.min.js")},
    ("GET", "/static/{path}"): {"": _simple("GET", "/static/style.css")},
    ("GET", "/"): {"": _simple("GET", "/")},
    ("GET", "/login"): {"": _simple("GET", "/login")},
    ("POST", "/login"): {"sign in": _sign_in_page},
    ("POST", "/logout"): {"sign out": lambda w, p, r: Call("POST", "/logout", fresh=True)},
    ("GET", "/parks/{park_id}"): {"": _simple("GET", "/parks/{park}")},
    ("GET", "/public/parks/{park_id}"): {"": _simple("GET", "/public/parks/{park}")},
    ("GET", "/parks/{park_id}/tables/{table}"): {
        "": _simple("GET", "/parks/{park}/tables/streams")
    },
    ("POST", "/parks/{park_id}/tables/{table}/{row_id}"): {"": _save_row, "B's hidden": _save_row},
    ("POST", "/parks/{park_id}/tables/{table}"): {
        "": _simple("POST", "/parks/{park}/tables/streams", data=TAKEN_FORM)
    },
    ("POST", "/parks/{park_id}/upload"): {
        name: _upload("/parks/{park}/upload")(name) for name in UPLOADS
    },
    ("GET", "/parks/{park_id}/analyses"): {"": _simple("GET", "/parks/{park}/analyses")},
    ("POST", "/parks/{park_id}/jobs"): {
        "": _simple("POST", "/parks/{park}/jobs", data={"kind": "no_such_analysis"})
    },
    ("GET", "/parks/{park_id}/jobs/{job_id}"): {
        "": _job_page("GET"),
        "park 2's job": _job_page("GET"),
    },
    ("POST", "/parks/{park_id}/jobs/{job_id}/cancel"): {
        "": _job_page("POST", "/cancel"),
        "park 2's job": _job_page("POST", "/cancel"),
    },
    ("GET", "/parks/{park_id}/candidates"): {"": _simple("GET", "/parks/{park}/candidates")},
    ("POST", "/parks/{park_id}/candidates/{number}/consent"): {
        "": _simple("POST", "/parks/{park}/candidates/1/consent", data={"agree": "no"})
    },
    ("GET", "/parks/{park_id}/history"): {"": _simple("GET", "/parks/{park}/history")},
    ("GET", "/parks/{park_id}/members"): {"": _simple("GET", "/parks/{park}/members")},
    ("POST", "/parks/{park_id}/members"): {
        "": _simple("POST", "/parks/{park}/members", data=UNKNOWN_PARTNER)
    },
    ("GET", "/parks/{park_id}/reports"): {"": _simple("GET", "/parks/{park}/reports")},
    ("GET", "/api/parks/{park_id}/case-sheets/{exchange}"): {
        "": _simple("GET", "/api/parks/{park}/case-sheets/yeast_biogas")
    },
    ("GET", "/api/parks/{park_id}/synergies"): {"": _simple("GET", "/api/parks/{park}/synergies")},
    ("POST", "/api/parks/{park_id}/synergies"): {
        "": _simple("POST", "/api/parks/{park}/synergies", json={"title": "An idea"})
    },
    ("POST", "/api/parks/{park_id}/synergies/{project}/move"): {
        "": _simple("POST", f"/api/parks/{{park}}/synergies/{STAYS}/move", json={"stage": "idea"})
    },
    ("POST", "/api/parks/{park_id}/candidates/{number}/synergy"): {
        "": _simple("POST", "/api/parks/{park}/candidates/1/synergy")
    },
    ("POST", "/api/parks/{park_id}/readings"): {
        "A's meter": _simple("POST", "/api/parks/{park}/readings", files=READINGS)
    },
    ("GET", "/api/parks/{park_id}/account"): {"": _simple("GET", "/api/parks/{park}/account")},
    ("GET", "/parks/{park_id}/synergies"): {"": _simple("GET", "/parks/{park}/synergies")},
    ("POST", "/parks/{park_id}/synergies"): {
        "": _simple("POST", "/parks/{park}/synergies", data={"title": "An idea"})
    },
    ("POST", "/parks/{park_id}/synergies/{project}/move"): {
        "": _simple("POST", f"/parks/{{park}}/synergies/{STAYS}/move", data={"stage": "idea"})
    },
    ("POST", "/parks/{park_id}/candidates/{number}/synergy"): {
        "": _simple("POST", "/parks/{park}/candidates/1/synergy")
    },
    ("GET", "/parks/{park_id}/account"): {"": _simple("GET", "/parks/{park}/account")},
    ("POST", "/parks/{park_id}/readings"): {
        "A's meter": _simple("POST", "/parks/{park}/readings", files=READINGS)
    },
    ("GET", "/api/parks/{park_id}/hub"): {"": _simple("GET", "/api/parks/{park}/hub")},
    ("PATCH", "/api/parks/{park_id}/hub/profile"): {
        "": _simple("PATCH", "/api/parks/{park}/hub/profile", json={"version": 0, "offers": "x"})
    },
    ("GET", "/api/parks/{park_id}/hub/matches"): {
        "": _simple("GET", "/api/parks/{park}/hub/matches")
    },
    ("GET", "/api/parks/{park_id}/hub/facilities/free"): {
        "": _simple("GET", "/api/parks/{park}/hub/facilities/free", params=DAYS)
    },
    ("POST", "/api/parks/{park_id}/hub/bookings"): {
        "": _simple("POST", "/api/parks/{park}/hub/bookings", json=NO_FACILITY)
    },
    ("GET", "/api/parks/{park_id}/hub/calls/{call}"): {
        "": _simple("GET", "/api/parks/{park}/hub/calls/call_open")
    },
    ("GET", "/api/parks/{park_id}/hub/calls/{call}/consortium"): {
        "": _simple("GET", "/api/parks/{park}/hub/calls/call_open/consortium")
    },
    ("GET", "/api/parks/{park_id}/hub/contacts"): {
        "": _simple("GET", "/api/parks/{park}/hub/contacts")
    },
    ("GET", "/api/parks/{park_id}/hub/contacts/{contact}"): {
        "A's": _simple("GET", "/api/parks/{park}/hub/contacts/novo_contact")
    },
    ("DELETE", "/api/parks/{park_id}/hub/contacts/{contact}"): {
        "A's": lambda w, park, role: Call(
            "DELETE", f"/api/parks/{w.park(park)}/hub/contacts/{_new_contact(w, park)}"
        )
    },
    ("GET", "/parks/{park_id}/hub"): {"": _simple("GET", "/parks/{park}/hub")},
    ("POST", "/parks/{park_id}/hub/profile"): {
        "": _simple("POST", "/parks/{park}/hub/profile", data={"_version": "0", "offers": "x"})
    },
    ("GET", "/parks/{park_id}/hub/facilities"): {
        "": _simple("GET", "/parks/{park}/hub/facilities", params=DAYS)
    },
    ("POST", "/parks/{park_id}/hub/bookings"): {
        "": _simple("POST", "/parks/{park}/hub/bookings", data=NO_FACILITY)
    },
    ("GET", "/parks/{park_id}/hub/calls"): {"": _simple("GET", "/parks/{park}/hub/calls")},
    ("GET", "/parks/{park_id}/hub/calls/{call}"): {
        "": _simple("GET", "/parks/{park}/hub/calls/call_open", params={"build": "1"})
    },
    ("GET", "/parks/{park_id}/hub/contacts"): {"": _simple("GET", "/parks/{park}/hub/contacts")},
    ("POST", "/parks/{park_id}/hub/contacts/{contact}/erase"): {
        "A's": lambda w, park, role: Call(
            "POST", f"/parks/{w.park(park)}/hub/contacts/{_new_contact(w, park)}/erase"
        )
    },
}
for _table in (*PARTNER_TABLES, *PARK_TABLES):
    for _key, _build in _table_builds(_table).items():
        BUILDS[_key] = {"": _build}
BUILDS[("PATCH", "/api/parks/{park_id}/streams/{row_id}")]["B's hidden"] = _table_builds("streams")[
    ("PATCH", "/api/parks/{park_id}/streams/{row_id}")
]
BUILDS[("DELETE", "/api/parks/{park_id}/streams/{row_id}")]["B's hidden"] = _table_builds(
    "streams"
)[("DELETE", "/api/parks/{park_id}/streams/{row_id}")]


def routes(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, HEAD aside; a mounted folder as GET."""
    try:
        from fastapi.routing import iter_route_contexts

        found = list(iter_route_contexts(app.routes))
    except ImportError:  # FastAPI before routers were included lazily
        found = list(app.routes)
    endpoints = set()
    for route in found:
        methods = getattr(route, "methods", None)
        if methods is None:  # a mount: its files
            endpoints.add(("GET", f"{route.path}/{{path}}"))
        else:
            endpoints |= {(method, route.path) for method in methods if method != "HEAD"}
    return endpoints


def send(world: World, role: str, call: Call) -> Any:
    client = world.client(role) if call.fresh else world.clients[role]
    return client.request(call.method, call.url, follow_redirects=False, **call.kwargs)


def outcome(response: Any) -> str:
    """The class of an answer (see EXPECTED)."""
    status = response.status_code
    if 300 <= status < 400:
        return "login" if response.headers.get("location", "").startswith("/login") else "ok"
    if status == 422 and response.headers.get("content-type", "").startswith("application/json"):
        detail = response.json().get("detail")
        # FastAPI's own refusal of a malformed request comes before any role check
        return "malformed" if isinstance(detail, list) else "ok"
    if status in (401, 403, 404):
        return str(status)
    if status < 300 or status in (409, 422):
        return "ok"
    return f"error {status}"


def test_every_endpoint_is_declared(world: World) -> None:
    """An endpoint added without its expected outcomes fails here, as does a stale one."""
    answered = routes(world.app)
    assert sorted(answered - EXPECTED.keys()) == [], "declare the outcomes of these endpoints"
    assert sorted(EXPECTED.keys() - answered) == [], "these endpoints are gone"
    assert EXPECTED.keys() == BUILDS.keys()
    for key, variants in BUILDS.items():
        assert set(variants) == set(EXPECTED[key]) | set(ASIDE.get(key, {})), key


@pytest.mark.slow
def test_every_role_gets_what_it_may_on_every_endpoint(world: World) -> None:
    wrong = []
    cells = 0
    for key, variants in BUILDS.items():
        takes_park = "{park_id}" in key[1] or "{job_id}" in key[1]
        for variant, build in variants.items():
            aside = variant in ASIDE.get(key, {})
            parks = ["park1"] if aside or not takes_park else ["park1", "park2", "missing"]
            for park in parks:
                if aside:
                    wanted = dict(zip(ROLES, ASIDE[key][variant].split(), strict=True))
                else:
                    wanted = expected(key, variant, park)
                for role in ROLES:
                    call = build(world, variant if aside else park, role)
                    got = outcome(send(world, role, call))
                    cells += 1
                    if got != wanted[role]:
                        wrong.append(
                            f"{key[0]} {key[1]} [{variant or '-'}] {park} {role}: "
                            f"{call.method} {call.url} gave {got}, expected {wanted[role]}"
                        )
    assert wrong == [], "\n".join(wrong)
    assert cells > 1000


# --- the confidential search ---------------------------------------------------------------


#: the exchanges that draw on B's hidden streams, hidden from A with them
HIDDEN_EXCHANGES = ("tisso_asnaes", "asnaes_dh", "steam_novo", "steam_novonesis")


def secret_words() -> list[str]:
    """B's hidden ids, names and quantities, the numbers written plain, with thousands
    separators (412,357), the Danish way (412.357) and with spaces (412 357); the ids of
    the exchanges hidden with them."""
    words = [*SECRETS, *HIDDEN_EXCHANGES, PROFILE]
    for name, quantity in SECRETS.values():
        words.append(name)
        whole = f"{quantity:,}"
        words += [str(quantity), whole, whole.replace(",", "."), whole.replace(",", " ")]
        words += [whole.replace(",", "\u00a0"), whole.replace(",", "\u202f")]
    return words


def readable(content: bytes, media: str) -> str:
    """The text of an answer: archives opened, workbooks' cells read (and the XML of their
    parts, which holds what no cell shows: lists to pick from, names, comments)."""
    if content[:2] == b"PK":
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = archive.namelist()
        if any(name.startswith("xl/") for name in names):
            book = load_workbook(io.BytesIO(content), read_only=True)
            cells = [
                "" if value is None else str(value)
                for sheet in book.worksheets
                for row in sheet.iter_rows(values_only=True)
                for value in row
            ]
            book.close()
            parts = [archive.read(name).decode("utf-8", errors="replace") for name in names]
            return "\n".join([*book.sheetnames, *cells, *parts])
        return "\n".join(f"{name}\n{readable(archive.read(name), '')}" for name in names)
    if content[:4] == b"%PDF":
        return ""  # printed from the HTML report, which is searched itself
    return content.decode("utf-8", errors="replace")


def _leaks(text: str) -> list[str]:
    return [word for word in secret_words() if word in text]


EXTRA_READS = [
    *[("GET", f"/api/parks/1/download?format={f}") for f in ("zip", "xlsx", "json", "yaml")],
    *[
        ("GET", f"/api/parks/1/report?partner={A}&language={language}&format={f}")
        for language in ("en", "da")
        for f in ("html", "xlsx", "pdf")
    ],
    *[("GET", f"/api/parks/1/{t}") for t in (*PARTNER_TABLES, *PARK_TABLES)],
    *[("GET", f"/parks/1/tables/{t}") for t in (*PARTNER_TABLES, *PARK_TABLES)],
]
#: of these, what A's roles get whole
OWN_READS = set(EXTRA_READS)
EXTRA_READS += [
    ("GET", "/api/parks/1/report?language=da"),
    ("GET", f"/api/parks/1/report?partner={B}"),
    ("GET", "/api/parks/1/exchanges"),
]


def _attempts_on_b() -> list[tuple[str, str, dict[str, Any]]]:
    """Changes of B's hidden rows, and of A's that name them, for their refusals."""
    stream = {"site": "novo_site", "direction": "supply", "resource": "steam_mp"}
    attempts: list[tuple[str, str, dict[str, Any]]] = []
    for hidden in SECRETS:
        attempts += [
            ("PATCH", f"/api/parks/1/streams/{hidden}", {"json": {"version": 1, "values": {}}}),
            ("DELETE", f"/api/parks/1/streams/{hidden}", {"params": {"version": 1}}),
            ("POST", "/api/parks/1/streams", {"json": {"id": hidden, **stream, "quantity": 1}}),
            (
                "POST",
                f"/parks/1/tables/streams/{hidden}",
                {"data": {"quantity": "1", "_version": "1"}},
            ),
            ("POST", "/parks/1/tables/streams", {"data": {"id": hidden, **stream}}),
            (
                "POST",
                "/api/parks/1/upload",
                {
                    "files": {
                        "file": (
                            "streams.csv",
                            f"id,site,direction,resource,quantity,unit\n{hidden},novo_site,supply,steam_mp,5,t/yr\n".encode(),
                        )
                    }
                },
            ),
        ]
    for exchange in HIDDEN_EXCHANGES:
        attempts += [
            ("PATCH", f"/api/parks/1/exchanges/{exchange}", {"json": {"version": 1, "values": {}}}),
            ("DELETE", f"/api/parks/1/exchanges/{exchange}", {"params": {"version": 1}}),
        ]
    mine = "/api/parks/1/streams/novo_steam"
    attempts += [
        ("PATCH", mine, {"json": {"version": 1, "values": {"quantity": -1}}}),
        (
            "POST",
            "/api/parks/1/exchanges",
            {"json": {"id": "x", "supply": "asnaes_steam", "demand": "novo_steam"}},
        ),
        ("POST", "/api/parks/1/jobs", {"json": {"kind": "discover"}}),
        ("PUT", "/api/parks/1/candidates/99/consent", {"json": {"agree": True}}),
    ]
    return attempts


def _breaking_changes(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    """Changes of A's own rows, at their current versions, that the register refuses for
    what they would do to rows A cannot see (its steam comes from B's hidden stream)."""
    secretariat = world.clients["secretariat"]
    steam = row_of(secretariat, 1, "streams", "novo_steam")["_version"]
    site = row_of(secretariat, 1, "sites", "novo_site")["_version"]
    url = "/api/parks/1/streams/novo_steam"
    changes: list[dict[str, Any]] = [
        {"profile": PROFILE[:-1]},
        {"direction": "supply"},
        {"resource": "natural_gas", "unit": "MWh/yr"},
        {"quantity": 1},
    ]
    csv = b"id,site,direction,resource,quantity,unit\nnovo_steam,novo_site,supply,steam_mp,1,t/yr\n"
    return [
        *[("PATCH", url, {"json": {"version": steam, "values": values}}) for values in changes],
        ("DELETE", url, {"params": {"version": steam}}),
        ("DELETE", "/api/parks/1/sites/novo_site", {"params": {"version": site}}),
        (
            "POST",
            "/parks/1/tables/streams/novo_steam",
            {"data": {"direction": "supply", "_version": str(steam)}},
        ),
        ("POST", "/api/parks/1/upload", {"files": {"file": ("streams.csv", csv)}}),
        *[
            ("POST", "/api/parks/1/upload", {"files": {"file": ("park.json", park)}})
            for park in _workbooks_back(world)
        ],
    ]


def _workbooks_back(world: World) -> list[bytes]:
    """A's own download sent back with a change the register refuses for what it would do
    to rows A cannot see, or naming them: its steam demand cut below what a hidden exchange
    takes; a stream of its own under the id of B's hidden one; one on B's hidden profile."""
    mine = world.clients["editor_a"].get("/api/parks/1/download", params={"format": "json"})
    park = mine.json()
    assert "asnaes_steam" not in mine.text
    steam = next(r for r in park["streams"] if r["id"] == "novo_steam")
    new = {"site": "novo_site", "direction": "supply", "resource": "steam_mp"}
    new |= {"quantity": 5, "unit": "t/yr"}
    sent = []
    for streams in (
        [{**r, "quantity": 1} if r is steam else r for r in park["streams"]],
        [*park["streams"], {"id": "asnaes_steam", **new}],
        [*park["streams"], {"id": "novo_extra", **new, "profile": PROFILE}],
    ):
        sent.append(json.dumps({**park, "streams": streams}).encode())
    return sent


@pytest.mark.slow
def test_no_answer_to_a_partner_holds_another_partners_confidential_stream(
    world: World,
) -> None:
    secretariat = world.clients["secretariat"]
    # the search finds the secrets where they may be seen
    assert _leaks(secretariat.get("/api/parks/1/streams").text)
    assert _leaks(readable(secretariat.get("/api/parks/1/download?format=xlsx").content, ""))
    assert _leaks(world.clients["editor_b"].get("/parks/1/tables/streams").text)
    candidates = secretariat.get("/api/parks/1/candidates").json()["candidates"]
    involved = [c for c in candidates if c["supply"] in SECRETS or c["demand"] in SECRETS]
    assert any(A in (c["supplier"], c["receiver"]) for c in involved)
    read = 0
    found: list[str] = []
    refused = {"editor_a": {422}, "viewer_a": {403}, "anonymous": {401, 303}, "other_park": {404}}
    for role in ("editor_a", "viewer_a", "anonymous", "other_park"):
        calls: list[tuple[str, str, dict[str, Any]]] = []
        for key, variants in BUILDS.items():
            for variant, build in variants.items():
                park = variant if variant in ASIDE.get(key, {}) else "park1"
                call = build(world, park, role)
                calls.append((call.method, call.url, {**call.kwargs, "_fresh": call.fresh}))
        calls += [(method, url, {}) for method, url in EXTRA_READS]
        calls += _attempts_on_b()
        breaking = _breaking_changes(world)
        calls += breaking
        for method, url, kwargs in calls:
            fresh = kwargs.pop("_fresh", False)
            client = world.client(role) if fresh else world.clients[role]
            response = client.request(method, url, follow_redirects=False, **kwargs)
            assert response.status_code < 500, (method, url, response.text[:500])
            if (method, url) in OWN_READS and role in ("editor_a", "viewer_a"):
                assert response.status_code == 200, (role, url, response.text[:500])
            if (method, url, kwargs) in breaking:  # refused, and nothing changed
                assert response.status_code in refused[role], (
                    role,
                    method,
                    url,
                    kwargs,
                    response.text[:500],
                )
            text = readable(response.content, response.headers.get("content-type", ""))
            headers = dict(response.headers)
            if headers.get("location", "").startswith("/login?next="):
                del headers["location"]  # the address asked for, given back to sign in first
            text += json.dumps(headers)
            read += 1
            found += [f"{role} {method} {url}: {word!r}" for word in _leaks(text)]
    assert found == []
    assert read > 400


def test_a_partner_counts_no_other_partners_confidential_streams(world: World) -> None:
    # Kalundborg has 26 streams and 16 exchanges; three of B's streams are hidden from A,
    # and the four exchanges that draw on them: tisso_asnaes (asnaes_cooling), asnaes_dh,
    # steam_novo and steam_novonesis (asnaes_steam).
    for role in ("editor_a", "viewer_a"):
        client = world.clients[role]
        counts = client.get("/api/parks/1").json()["counts"]
        assert counts["streams"] == 26 - 3 and counts["exchanges"] == 16 - 4, role
        assert len(client.get("/api/parks/1/streams").json()) == 23
        assert len(client.get("/api/parks/1/exchanges").json()) == 12
        page = client.get("/parks/1").text
        assert "23 streams" in page and "12 exchanges" in page, role
        assert "26 streams" not in page and "16 exchanges" not in page, role
    for role in ("secretariat", "editor_b"):
        counts = world.clients[role].get("/api/parks/1").json()["counts"]
        assert counts["streams"] == 26 and counts["exchanges"] == 16, role


def test_a_partner_cannot_name_a_time_profile_hidden_from_it(world: World) -> None:
    """Naming B's hidden profile is refused as naming one that does not exist: A learns
    neither that it exists nor, by using it, its figures."""
    editor = world.clients["editor_a"]
    version = row_of(world.clients["secretariat"], 1, "streams", "novo_steam")["_version"]
    new = {"id": "novo_extra", "site": "novo_site", "direction": "supply"}
    new |= {"resource": "steam_mp", "quantity": 5, "unit": "t/yr"}
    header = "id,site,direction,resource,quantity,unit,profile\n"

    def attempts(profile: str) -> list[Any]:
        line = f"novo_extra,novo_site,supply,steam_mp,5,t/yr,{profile}\n"
        return [
            editor.patch(
                "/api/parks/1/streams/novo_steam",
                json={"version": version, "values": {"profile": profile}},
            ),
            editor.post("/api/parks/1/streams", json={**new, "profile": profile}),
            editor.post(
                "/api/parks/1/upload",
                files={"file": ("streams.csv", (header + line).encode())},
            ),
        ]

    for hidden, unknown in zip(attempts(PROFILE), attempts("qq"), strict=True):
        assert hidden.status_code == unknown.status_code == 422, hidden.text
        assert hidden.json() == json.loads(unknown.text.replace("'qq'", f"'{PROFILE}'"))
    assert PROFILE not in editor.get("/api/parks/1/download?format=json").text
    assert PROFILE in world.clients["secretariat"].get("/api/parks/1/download?format=json").text


def test_every_change_by_a_browser_session_needs_its_csrf_token(world: World) -> None:
    """A signed-in browser that sends a change without the session's token (what another
    site's form makes it do) is refused on every unsafe endpoint, before anything else."""
    unsafe = [key for key in BUILDS if key[0] in ("POST", "PUT", "PATCH", "DELETE")]
    assert len(unsafe) > 35
    refused = []
    for key in unsafe:
        for variant, build in BUILDS[key].items():
            park = variant if variant in ASIDE.get(key, {}) else "park1"
            call = build(world, park, "secretariat")
            client = world.client("secretariat")
            del client.headers["X-CSRF-Token"]
            response = client.request(call.method, call.url, follow_redirects=False, **call.kwargs)
            if response.status_code != 403 or "CSRF" not in response.text:
                refused.append(f"{call.method} {call.url}: {response.status_code}")
    assert refused == []
