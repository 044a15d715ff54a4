"""The platform's API as its users meet it: signing in, roles, editing under optimistic
locking, uploads that import all or nothing, jobs, consent and the public view; on SQLite
and on PostgreSQL."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from symbionet.assessment.accounting import impact
from symbionet.register.park import load_park
from tests.servers import KALUNDBORG, Platform


def wait_for(client: TestClient, job: int, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found: dict[str, Any] = client.get(f"/api/jobs/{job}").json()
        if found["status"] in ("done", "failed", "cancelled"):
            return found
        time.sleep(0.2)
    raise AssertionError(f"job {job} did not end within {seconds} s")


def row(client: TestClient, table: str, row_id: str) -> dict[str, Any]:
    rows = client.get(f"/api/parks/1/{table}").json()
    return next(r for r in rows if r["id"] == row_id)


def test_signing_in_gives_a_session_whose_changes_need_its_csrf_token(
    platform_client: Platform,
) -> None:
    anonymous = platform_client.client()
    assert anonymous.get("/api/parks").status_code == 401
    email, password = platform_client.accounts["secretariat"]
    assert (
        anonymous.post("/api/session", json={"email": email, "password": "wrong" * 3}).status_code
        == 401
    )
    token = anonymous.post("/api/session", json={"email": email, "password": password}).json()[
        "csrf_token"
    ]
    assert [p["name"] for p in anonymous.get("/api/parks").json()] == ["Kalundborg Symbiosis"]
    change = {
        "version": row(anonymous, "streams", "novo_yeast")["_version"],
        "values": {"quantity": 160000},
    }
    refused = anonymous.patch("/api/parks/1/streams/novo_yeast", json=change)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    accepted = anonymous.patch(
        "/api/parks/1/streams/novo_yeast", json=change, headers={"X-CSRF-Token": token}
    )
    assert accepted.status_code == 200, accepted.text
    assert row(anonymous, "streams", "novo_yeast")["quantity"] == 160000
    # signing out ends the session on the server
    anonymous.delete("/api/session", headers={"X-CSRF-Token": token})
    assert anonymous.get("/api/parks").status_code == 401


def test_an_api_token_works_without_a_session(platform_client: Platform) -> None:
    token = platform_client.client("secretariat").post("/api/tokens").json()["token"]
    script = platform_client.client()
    script.headers["Authorization"] = f"Bearer {token}"
    assert script.get("/api/parks/1").json()["role"] == "secretariat"
    version = row(script, "streams", "biomethane")["_version"]
    edited = script.patch(
        "/api/parks/1/streams/biomethane", json={"version": version, "values": {"quantity": 7.5e6}}
    )
    assert edited.status_code == 200, edited.text


def test_a_partner_edits_its_own_rows_only(platform_client: Platform) -> None:
    novo = platform_client.client("novo_nordisk")
    mine = row(novo, "streams", "novo_yeast")
    theirs = row(novo, "streams", "asnaes_steam")
    assert mine["_may_edit"] and not theirs["_may_edit"]
    ok = novo.patch(
        "/api/parks/1/streams/novo_yeast",
        json={"version": mine["_version"], "values": {"quantity": 160000}},
    )
    assert ok.status_code == 200
    refused = novo.patch(
        "/api/parks/1/streams/asnaes_steam",
        json={"version": theirs["_version"], "values": {"quantity": 1}},
    )
    assert refused.status_code == 403
    # moving its stream to another partner's site is refused too
    moved = novo.patch(
        "/api/parks/1/streams/novo_yeast",
        json={"version": ok.json()["version"], "values": {"site": "asnaes"}},
    )
    assert moved.status_code == 403
    assert novo.post("/api/parks/1/jobs", json={"kind": "discover"}).status_code == 403
    assert novo.get("/api/parks/1/history").status_code == 403


def test_the_second_writer_of_a_row_gets_a_conflict(platform_client: Platform) -> None:
    first, second = platform_client.client("secretariat"), platform_client.client("novo_nordisk")
    version = row(first, "streams", "novo_steam")["_version"]
    assert (
        first.patch(
            "/api/parks/1/streams/novo_steam",
            json={"version": version, "values": {"quantity": 220000}},
        ).status_code
        == 200
    )
    late = second.patch(
        "/api/parks/1/streams/novo_steam", json={"version": version, "values": {"quantity": 1000}}
    )
    assert late.status_code == 409
    assert "changed since version" in late.json()["detail"]
    assert row(first, "streams", "novo_steam")["quantity"] == 220000


def test_a_bad_value_is_refused_with_its_field_and_nothing_changes(
    platform_client: Platform,
) -> None:
    novo = platform_client.client("novo_nordisk")
    before = row(novo, "streams", "novo_yeast")
    refused = novo.patch(
        "/api/parks/1/streams/novo_yeast",
        json={"version": before["_version"], "values": {"quantity": -5}},
    )
    assert refused.status_code == 422
    assert any(p["location"] == "streams[novo_yeast].quantity" for p in refused.json()["problems"])
    assert row(novo, "streams", "novo_yeast") == before


def test_a_workbook_with_two_bad_rows_imports_nothing(platform_client: Platform) -> None:
    secretariat = platform_client.client("secretariat")
    workbook = secretariat.get("/api/parks/1/download", params={"format": "xlsx"}).content
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(workbook))
    sheet = book["streams"]
    header = [c.value for c in sheet[1]]
    quantity = header.index("quantity") + 1
    sheet.cell(row=3, column=quantity, value="lots")
    sheet.cell(row=5, column=quantity, value=-1)
    changed = io.BytesIO()
    book.save(changed)
    before = secretariat.get("/api/parks/1/streams").json()
    sent = secretariat.post(
        "/api/parks/1/upload", files={"file": ("park.xlsx", changed.getvalue())}
    )
    assert sent.status_code == 422
    places = [(p["row"], p["column"]) for p in sent.json()["problems"]]
    assert (3, "quantity") in places and (5, "quantity") in places
    assert secretariat.get("/api/parks/1/streams").json() == before


def test_a_partner_uploads_its_own_rows_as_csv(platform_client: Platform) -> None:
    novo = platform_client.client("novo_nordisk")
    text = "id,site,direction,resource,quantity,unit\nnovo_heat,novo_site,supply,low_temp_heat,1000,MWh/yr\n"
    sent = novo.post("/api/parks/1/upload", files={"file": ("streams.csv", text.encode())})
    assert sent.status_code == 200, sent.text
    assert row(novo, "streams", "novo_heat")["quantity"] == 1000
    foreign = text.replace("novo_heat,novo_site", "steam2,asnaes")
    refused = novo.post("/api/parks/1/upload", files={"file": ("streams.csv", foreign.encode())})
    assert refused.status_code == 422
    # the park as a zip: the partner's rows in it are as they are now, so nothing changes
    version = novo.get("/api/parks/1").json()["version"]
    whole = novo.post("/api/parks/1/upload", files={"file": ("park.zip", _zip())})
    assert whole.status_code == 200 and whole.json()["version"] == version


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in KALUNDBORG.iterdir():
            if file.is_file():
                archive.write(file, file.name)
    return buffer.getvalue()


def test_a_confidential_stream_never_reaches_another_partner(platform_client: Platform) -> None:
    secretariat = platform_client.client("secretariat")
    version = row(secretariat, "streams", "novo_steam")["_version"]
    secretariat.patch(
        "/api/parks/1/streams/novo_steam",
        json={"version": version, "values": {"confidential": True, "quantity": 222345}},
    )
    orsted = platform_client.client("orsted")
    responses = [
        orsted.get("/api/parks/1/streams"),
        orsted.get("/api/parks/1/exchanges"),
        orsted.get("/api/parks/1"),
        orsted.get("/api/parks/1/download", params={"format": "json"}),
        orsted.get("/api/public/parks/1"),
        orsted.patch("/api/parks/1/streams/novo_steam", json={"version": 1, "values": {}}),
    ]
    for response in responses:
        assert "novo_steam" not in response.text and "222345" not in response.text
    assert responses[-1].status_code == 404  # the same answer as for a row that does not exist
    counts = responses[2].json()["counts"]
    assert counts["streams"] == 25 and counts["exchanges"] == 15
    assert "novo_steam" in platform_client.client("novo_nordisk").get("/api/parks/1/streams").text


def test_jobs_run_in_the_background_and_store_who_ran_them_on_what(
    platform_client: Platform,
) -> None:
    secretariat = platform_client.client("secretariat")
    started = secretariat.post(
        "/api/parks/1/jobs", json={"kind": "discover", "options": {"top": 5}}
    )
    assert started.status_code == 200 and started.json()["status"] == "queued"
    done = wait_for(secretariat, started.json()["id"])
    assert done["status"] == "done", done
    assert done["author"] == platform_client.accounts["secretariat"][0]
    assert done["park_version"] == 1 and done["options"] == {"top": 5}
    assert len(done["result"]["candidates"]) == 5
    bad = secretariat.post("/api/parks/1/jobs", json={"kind": "discover", "options": {"tops": 5}})
    assert bad.status_code == 422 and "tops" in bad.text
    queued = secretariat.post("/api/parks/1/jobs", json={"kind": "share"}).json()
    cancelled = secretariat.post(f"/api/jobs/{queued['id']}/cancel").json()
    assert cancelled["status"] in ("cancelled", "running", "done")
    assert wait_for(secretariat, queued["id"])["status"] in ("cancelled", "done")


def test_both_sides_opt_in_before_either_sees_the_other(platform_client: Platform) -> None:
    secretariat = platform_client.client("secretariat")
    job = secretariat.post("/api/parks/1/jobs", json={"kind": "discover", "options": {"top": 40}})
    wait_for(secretariat, job.json()["id"])
    table = secretariat.get("/api/parks/1/candidates").json()["candidates"]
    pick = next(c for c in table if c["supplier"] != c["receiver"])
    supplier, receiver = (
        platform_client.client(pick["supplier"]),
        platform_client.client(pick["receiver"]),
    )

    def mine(client: TestClient) -> dict[str, Any]:
        found = client.get("/api/parks/1/candidates").json()["candidates"]
        return next(
            c
            for c in found
            if (c["supply"] or pick["supply"]) == pick["supply"]
            and (c["demand"] or pick["demand"]) == pick["demand"]
            and c["resource"] == pick["resource"]
        )

    seen = mine(supplier)
    assert seen["partner"] is None and seen["demand"] is None and not seen["revealed"]
    assert (
        supplier.put(
            f"/api/parks/1/candidates/{seen['number']}/consent", json={"agree": True}
        ).status_code
        == 200
    )
    assert mine(supplier)["partner"] is None  # one side is not enough
    theirs = mine(receiver)
    assert theirs["partner"] is None
    receiver.put(f"/api/parks/1/candidates/{theirs['number']}/consent", json={"agree": True})
    assert mine(supplier)["partner"] == pick["receiver"]
    assert mine(receiver)["partner"] == pick["supplier"]
    after = secretariat.get("/api/parks/1/candidates").json()["candidates"]
    agreed = next(
        c for c in after if c["supply"] == pick["supply"] and c["demand"] == pick["demand"]
    )
    assert agreed["supplier_agrees"] and agreed["receiver_agrees"]


def test_the_public_sees_the_published_totals_only(platform_client: Platform) -> None:
    public = platform_client.client()
    view = public.get("/api/public/parks/1").json()
    expected = impact(load_park(KALUNDBORG)).park
    # no stream is confidential in the example: every total is published as computed
    assert view["figures"]["co2e_t"]["central"] == pytest.approx(expected.at["co2e_t", "central"])
    assert view["exchanges"]["steam_mp"]["exchanges"] == 2
    assert view["exchanges"]["steam_mp"]["amount"] == pytest.approx(215000 + 100000)
    assert public.get("/api/parks/1").status_code == 401
    assert public.get("/api/parks/1/streams").status_code == 401


def test_history_keeps_each_change_and_past_figures_can_be_recomputed(
    platform_client: Platform,
) -> None:
    secretariat = platform_client.client("secretariat")
    before = datetime.now(UTC)
    time.sleep(0.05)
    version = row(secretariat, "exchanges", "steam_novo")["_version"]
    secretariat.patch(
        "/api/parks/1/exchanges/steam_novo",
        json={"version": version, "values": {"quantity": 115000}},
    )
    latest = secretariat.get("/api/parks/1/history").json()[0]
    assert latest["row"] == "steam_novo" and latest["author"].startswith("secretariat@")
    assert latest["before"]["quantity"] == 215000 and latest["after"]["quantity"] == 115000
    then = secretariat.get("/api/parks/1/figures", params={"at": before.isoformat()}).json()
    now = secretariat.get("/api/parks/1").json()["figures"]["park"]
    assert then["park"]["co2e_t"]["central"] > now["co2e_t"]["central"]
    expected = impact(load_park(KALUNDBORG)).park.at["co2e_t", "central"]
    assert then["park"]["co2e_t"]["central"] == pytest.approx(expected)
    past = secretariat.get(
        "/api/parks/1/download", params={"format": "json", "at": before.isoformat()}
    )
    assert past.status_code == 200
    exchanges = {e["id"]: e for e in past.json()["exchanges"]}
    assert exchanges["steam_novo"]["quantity"] == 215000
    partner = platform_client.client("novo_nordisk")
    refused = partner.get("/api/parks/1/download", params={"at": before.isoformat()})
    assert refused.status_code == 403


def test_the_secretariat_invites_a_partner_member(platform_client: Platform) -> None:
    secretariat = platform_client.client("secretariat")
    invited = secretariat.post(
        "/api/parks/1/members",
        json={
            "email": "ann@novo.example",
            "name": "Ann",
            "role": "viewer",
            "actor": "novo_nordisk",
        },
    ).json()
    assert invited["password"]
    ann = platform_client.client()
    from tests.servers import sign_in

    sign_in(ann, "ann@novo.example", invited["password"])
    assert ann.get("/api/parks/1").json()["role"] == "viewer"
    version = row(ann, "streams", "novo_yeast")["_version"]
    assert (
        ann.patch(
            "/api/parks/1/streams/novo_yeast", json={"version": version, "values": {"quantity": 1}}
        ).status_code
        == 403
    )
    assert (
        platform_client.client("novo_nordisk")
        .post(
            "/api/parks/1/members",
            json={"email": "x@y.example", "name": "X", "role": "secretariat"},
        )
        .status_code
        == 403
    )


def test_reports_come_from_the_newest_assessment_for_whom_they_concern(
    platform_client: Platform,
) -> None:
    secretariat = platform_client.client("secretariat")
    assert secretariat.get("/api/parks/1/report").status_code == 404  # nothing assessed yet
    job = secretariat.post("/api/parks/1/jobs", json={"kind": "assess"}).json()
    assert wait_for(secretariat, job["id"], 300)["status"] == "done"
    park = secretariat.get("/api/parks/1/report", params={"language": "da"})
    assert park.status_code == 200 and park.headers["content-type"].startswith("text/html")
    assert "<html lang='da'>" in park.text
    orsted = platform_client.client("orsted")
    own = orsted.get("/api/parks/1/report", params={"partner": "orsted", "format": "xlsx"})
    assert own.status_code == 200 and own.content[:2] == b"PK"
    assert orsted.get("/api/parks/1/report", params={"partner": "novo_nordisk"}).status_code == 403
    assert orsted.get("/api/parks/1/report").status_code == 403


def _workbook_with(content: bytes, cells: dict[tuple[str, str], Any]) -> bytes:
    """A downloaded workbook with cells of the streams sheet set, by (row id, column)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    sheet = book["streams"]
    header = [c.value for c in sheet[1]]
    rows = {sheet.cell(row=r, column=1).value: r for r in range(2, sheet.max_row + 1)}
    for (row_id, column), value in cells.items():
        sheet.cell(row=rows[row_id], column=header.index(column) + 1, value=value)
    changed = io.BytesIO()
    book.save(changed)
    return changed.getvalue()


def test_a_partner_uploads_its_workbook_back_with_its_own_rows_changed(
    platform_client: Platform,
) -> None:
    novo = platform_client.client("novo_nordisk")
    downloaded = novo.get("/api/parks/1/download", params={"format": "xlsx"}).content
    before = novo.get("/api/parks/1/streams").json()
    bad = _workbook_with(
        downloaded, {("novo_yeast", "quantity"): "lots", ("novo_steam", "quantity"): -1}
    )
    refused = novo.post("/api/parks/1/upload", files={"file": ("park.xlsx", bad)})
    assert refused.status_code == 422
    locations = [p["location"] for p in refused.json()["problems"]]
    assert any(place.endswith(":quantity") and "[streams]" in place for place in locations)
    assert len({place for place in locations if place.endswith(":quantity")}) == 2  # two rows
    assert novo.get("/api/parks/1/streams").json() == before
    foreign = _workbook_with(downloaded, {("asnaes_steam", "quantity"): 360000})
    refused = novo.post("/api/parks/1/upload", files={"file": ("park.xlsx", foreign)})
    assert refused.status_code == 422 and "not one of novo_nordisk's rows" in refused.text
    good = _workbook_with(downloaded, {("novo_yeast", "quantity"): 155000})
    accepted = novo.post("/api/parks/1/upload", files={"file": ("park.xlsx", good)})
    assert accepted.status_code == 200, accepted.text
    assert row(novo, "streams", "novo_yeast")["quantity"] == 155000
    assert row(novo, "streams", "asnaes_steam")["quantity"] == 350000


def test_rows_come_a_page_at_a_time_with_their_number_in_all(platform_client: Platform) -> None:
    client = platform_client.client("secretariat")
    every = client.get("/api/parks/1/streams").json()
    page = client.get("/api/parks/1/streams", params={"offset": 20, "limit": 5})
    assert page.headers["X-Total-Count"] == "26" == str(len(every))
    assert page.json() == every[20:25]
    assert (
        client.get("/api/parks/1/streams", params={"offset": 25, "limit": 5}).json() == every[25:]
    )
    assert client.get("/api/parks/1/streams", params={"limit": 0}).status_code == 422


def test_the_register_page_shows_a_page_of_rows_and_the_one_with_an_error(
    platform_client: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    from symbionet.web import pages

    monkeypatch.setattr(pages, "PAGE_ROWS", 10)
    client = platform_client.client("secretariat")
    first = client.get("/parks/1/tables/streams").text
    assert "Rows 1–10 of 26" in first and 'id="row-tisso_raw"' in first
    last = client.get("/parks/1/tables/streams", params={"page": 3}).text
    assert "Rows 21–26 of 26" in last and 'id="row-tisso_raw"' not in last
    # a refused edit of row 22 (digestate) shows the third page, with its error
    version = row(client, "streams", "digestate")["_version"]
    token = client.headers["X-CSRF-Token"]
    refused = client.post(
        "/parks/1/tables/streams/digestate",
        data={"csrf_token": token, "_version": str(version), "quantity": "-1"},
    )
    assert refused.status_code == 422 and "Rows 21–26 of 26" in refused.text
    assert 'class="error"' in refused.text


def test_a_park_without_streams_has_every_page_and_an_empty_candidate_list(
    database_url: str, tmp_path: Path
) -> None:
    from symbionet.store.database import migrate, open_database
    from symbionet.web.app import create_app
    from symbionet.web.bootstrap import first_start
    from tests.conftest import write_park
    from tests.servers import sign_in

    files = {"streams.csv": "id,site,direction,resource,quantity,unit\n"}
    files["exchanges.csv"] = "id,supply,demand,quantity,unit\n"
    migrate(database_url)
    engine = open_database(database_url)
    made = {a.role: a for a in first_start(engine, write_park(tmp_path / "empty", files))}
    engine.dispose()
    with TestClient(create_app(database_url), base_url="http://127.0.0.1") as client:
        sign_in(client, made["secretariat"].email, made["secretariat"].password)
        job = client.post("/api/parks/1/jobs", json={"kind": "discover"}).json()
        assert wait_for(client, job["id"])["status"] == "done"
        assert client.get("/api/parks/1/candidates").json()["candidates"] == []
        for page in ("", "/candidates", "/tables/streams", "/analyses", "/history", "/reports"):
            assert client.get(f"/parks/1{page}").status_code == 200, page


def test_an_edit_on_a_database_locked_past_the_wait_is_busy_and_changes_nothing(
    kalundborg_templates: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import sqlite3

    from sqlalchemy.engine import make_url

    from symbionet.store import database
    from symbionet.web.app import create_app
    from tests.servers import sign_in

    monkeypatch.setattr(database, "BUSY_WAIT_S", 1)
    template, accounts = kalundborg_templates("sqlite")
    path = tmp_path / "kalundborg.sqlite"
    shutil.copyfile(make_url(template).database or "", path)
    with TestClient(create_app(f"sqlite:///{path}"), base_url="http://127.0.0.1") as client:
        sign_in(client, *accounts["secretariat"])
        before = row(client, "streams", "novo_steam")
        more = before["quantity"] * 1.25
        change = {"version": before["_version"], "values": {"quantity": more}}
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer that keeps the database
        try:
            busy = client.patch("/api/parks/1/streams/novo_steam", json=change)
        finally:
            holder.rollback()
            holder.close()
        assert busy.status_code == 503 and busy.headers["retry-after"] == "10"
        assert "busy" in busy.json()["detail"]
        assert row(client, "streams", "novo_steam")["quantity"] == before["quantity"]
        again = client.patch("/api/parks/1/streams/novo_steam", json=change)
        assert again.status_code == 200, again.text
        assert row(client, "streams", "novo_steam")["quantity"] == more
