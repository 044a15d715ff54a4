"""The synergy pipeline on the platform: a partner proposes, the secretariat moves the
project through the stages by the rules, and the funnel and the time from idea to
operation follow; on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.servers import Platform

NOVO = "novo_nordisk"


def funnel(client: TestClient) -> dict[str, dict[str, Any]]:
    view = client.get("/api/parks/1/synergies").json()
    return {row["stage"]: row for row in view["funnel"]}


def move(client: TestClient, project: str, **body: Any) -> Any:
    return client.post(f"/api/parks/1/synergies/{project}/move", json=body)


def test_a_partner_proposes_and_the_secretariat_moves_it_to_operation(
    platform_client: Platform,
) -> None:
    secretariat = platform_client.client("secretariat")
    editor = platform_client.client(NOVO)
    before = funnel(secretariat)
    condensate = {
        "id": "novo_condensate",
        "site": "novo_site",
        "direction": "supply",
        "resource": "flue_gas_condensate",
        "quantity": 10000,
        "unit": "m3/yr",
    }
    assert editor.post("/api/parks/1/streams", json=condensate).status_code == 200
    proposal = {
        "title": "Condensate from Novo Nordisk as boiler feed water for the refinery",
        "supply": "novo_condensate",
        "demand": "refinery_boiler_water",
        "quantity": 10000,
        "unit": "m3/yr",
        "co2e_t": 120.5,
        "partners": "novo_nordisk; refinery",
        "proposed": "2026-01-12",
    }
    made = editor.post("/api/parks/1/synergies", json=proposal)
    assert made.status_code == 200, made.text
    mine = editor.get("/api/parks/1/synergies").json()["projects"]
    project = next(p for p in mine if p["title"] == proposal["title"])
    assert project["owner"] == NOVO and project["stage"] == "idea"
    # a partner sees only the projects it takes part in
    assert all(NOVO in (p["owner"], *p["partners"].replace(" ", "").split(";")) for p in mine)
    after = funnel(secretariat)
    assert after["idea"]["projects"] == before["idea"]["projects"] + 1
    assert after["idea"]["co2e_t"] == before["idea"]["co2e_t"] + 120.5

    # only the secretariat moves it, and only by the rules
    assert move(editor, project["id"], stage="screening").status_code == 403
    refused = move(secretariat, project["id"], stage="operating", on="2026-03-01")
    assert refused.status_code == 422
    assert "agreement date and a start date" in refused.text
    for stage, extra in [
        ("screening", {"on": "2026-02-01"}),
        ("feasibility", {"on": "2026-03-01", "reason": "lab tests passed"}),
        ("agreement", {"on": "2026-04-01", "agreement_date": "2026-04-01"}),
        ("implementation", {"on": "2026-05-01"}),
        ("operating", {"on": "2026-07-01", "start_date": "2026-07-01"}),
    ]:
        moved = move(secretariat, project["id"], stage=stage, **extra)
        assert moved.status_code == 200, (stage, moved.text)
    view = secretariat.get("/api/parks/1/synergies").json()
    operating = next(p for p in view["projects"] if p["id"] == project["id"])
    assert operating["stage"] == "operating" and operating["exchange"]
    exchanges = {r["id"]: r for r in secretariat.get("/api/parks/1/exchanges").json()}
    assert exchanges[operating["exchange"]]["status"] == "operating"
    assert exchanges[operating["exchange"]]["start_year"] == 2026
    times = {p["id"]: p["days"] for p in view["time_to_operation"]["projects"]}
    assert times[project["id"]] == 19 + 28 + 31 + 30 + 31 + 30 + 1  # 12 January to 1 July
    # every move is in the audit log, row by row
    logged = [
        c for c in secretariat.get("/api/parks/1/history").json() if c["table"] == "pipeline_log"
    ]
    assert len([c for c in logged if project["id"] in str(c["after"])]) == 6


def test_partners_cannot_propose_for_others_nor_name_hidden_streams(
    platform_client: Platform,
) -> None:
    secretariat = platform_client.client("secretariat")
    version = next(
        r for r in secretariat.get("/api/parks/1/streams").json() if r["id"] == "asnaes_steam"
    )["_version"]
    hidden = secretariat.patch(
        "/api/parks/1/streams/asnaes_steam",
        json={"version": version, "values": {"confidential": True}},
    )
    assert hidden.status_code == 200, hidden.text
    editor = platform_client.client(NOVO)
    viewer_refused = platform_client.client()
    assert viewer_refused.post("/api/parks/1/synergies", json={"title": "x"}).status_code == 401
    other = editor.post("/api/parks/1/synergies", json={"title": "x", "owner": "orsted"})
    assert other.status_code == 403
    secret = editor.post("/api/parks/1/synergies", json={"title": "x", "supply": "asnaes_steam"})
    assert secret.status_code == 422 and "no stream 'asnaes_steam'" in secret.text
    # the secretariat's project on the hidden stream, with Novo Nordisk as its owner: its
    # figures are the hidden stream's, so Novo Nordisk does not see it
    secret_project = {
        "title": "More steam",
        "supply": "asnaes_steam",
        "demand": "novo_steam",
        "owner": NOVO,
        "quantity": 215317,
        "unit": "t/yr",
    }
    made = secretariat.post("/api/parks/1/synergies", json=secret_project)
    assert made.status_code == 200, made.text
    for path in ("/api/parks/1/synergies", "/api/parks/1/pipeline", "/parks/1/synergies"):
        seen = editor.get(path).text
        assert "More steam" not in seen and "215317" not in seen and "215,317" not in seen
    assert "More steam" in secretariat.get("/api/parks/1/synergies").text
