"""The platform's pages through their forms, as a browser without scripts sends them."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.servers import Platform


def sign_in_by_form(platform: Platform, who: str) -> TestClient:
    client = platform.client()
    email, password = platform.accounts[who]
    page = client.post(
        "/login",
        data={"email": email, "password": password, "next": "/parks/1"},
        follow_redirects=False,
    )
    assert page.status_code == 303 and page.headers["location"] == "/parks/1"
    return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def test_pages_need_signing_in_and_wrong_passwords_are_refused(platform_client: Platform) -> None:
    anonymous = platform_client.client()
    page = anonymous.get("/parks/1", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    wrong = anonymous.post("/login", data={"email": "a@b.example", "password": "nothing at all"})
    assert wrong.status_code == 401 and "Wrong email or password" in wrong.text


def test_a_partner_edits_its_stream_in_the_register_form(platform_client: Platform) -> None:
    client = sign_in_by_form(platform_client, "novo_nordisk")
    page = client.get("/parks/1/tables/streams")
    assert page.status_code == 200
    token = csrf_of(page.text)
    version = re.search(r'id="form-novo_yeast".*?name="_version" value="(\d+)"', page.text, re.S)
    assert version
    form = {"csrf_token": token, "_version": version.group(1), "quantity": "-3"}
    refused = client.post("/parks/1/tables/streams/novo_yeast", data=form)
    assert refused.status_code == 422
    # the error sits in the quantity cell of that row
    cell = re.search(
        r'aria-label="novo_yeast quantity">\s*<span class="error" role="alert">([^<]+)',
        refused.text,
    )
    assert cell and "more than its -3" in cell.group(1)
    saved = client.post(
        "/parks/1/tables/streams/novo_yeast",
        data={**form, "quantity": "155000"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert 'aria-label="novo_yeast quantity"' in client.get("/parks/1/tables/streams").text
    assert 'value="155000' in client.get("/parks/1/tables/streams").text
    no_token = client.post("/parks/1/tables/streams/novo_yeast", data={**form, "csrf_token": "x"})
    assert no_token.status_code == 403
    # another partner's row has no form
    assert 'id="form-asnaes_steam"' not in page.text


def test_the_secretariat_starts_a_job_from_the_analyses_page(platform_client: Platform) -> None:
    client = sign_in_by_form(platform_client, "secretariat")
    page = client.get("/parks/1/analyses")
    assert "Run discovery" in page.text
    started = client.post(
        "/parks/1/jobs",
        data={"csrf_token": csrf_of(page.text), "kind": "discover"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    assert 'data-job="1"' in client.get("/parks/1/analyses").text
    partner = sign_in_by_form(platform_client, "orsted")
    assert partner.get("/parks/1/analyses", headers={"accept": "text/html"}).status_code == 403


def test_the_public_page_shows_no_partner_figures_and_no_register(
    platform_client: Platform,
) -> None:
    page = platform_client.client().get("/public/parks/1")
    assert page.status_code == 200
    assert "Key figures" in page.text and "Exchanges by resource" in page.text
    assert "/tables/" not in page.text and "Your figures" not in page.text
    assert "/static/plotly.min.js" in page.text and "cdn" not in page.text.lower()


def test_scenarios_are_shown_side_by_side_each_at_its_own_rate(
    platform_client: Platform,
) -> None:
    from symbionet.present.tables import number
    from tests.test_web import wait_for

    client = platform_client.client("secretariat")
    names = ["gas_price_doubles", "weaker_krone"]
    started = client.post(
        "/api/parks/1/jobs", json={"kind": "scenarios", "options": {"names": names}}
    )
    job = wait_for(client, started.json()["id"])
    assert job["status"] == "done", job
    saving = job["result"]["figures"]["design_saving_eur"]
    rates = {row["run"]: row["rate"] for row in job["result"]["runs"]}
    assert rates["weaker_krone"] > rates["base"]  # the krone is weaker: more DKK to the EUR
    page = client.get(f"/parks/1/jobs/{job['id']}").text
    row = re.search(r"design_saving_dkk.*?</tr>", page, re.S)
    assert row is not None
    for run in ("base", *names):
        assert number(saving[run] * rates[run]) in row.group(0), run


def test_the_secretariat_carries_a_new_candidate_into_the_pipeline(
    platform_client: Platform,
) -> None:
    from tests.test_web import wait_for

    client = sign_in_by_form(platform_client, "secretariat")
    token = csrf_of(client.get("/parks/1/analyses").text)
    started = client.post(
        "/api/parks/1/jobs", json={"kind": "discover"}, headers={"X-CSRF-Token": token}
    )
    assert wait_for(client, started.json()["id"])["status"] == "done"
    candidates = client.get("/api/parks/1/candidates").json()["candidates"]
    new = [n for n, c in enumerate(candidates, start=1) if not c["existing"]]
    page = client.get("/parks/1/candidates").text
    # only a candidate that is no exchange yet can go into the pipeline
    assert re.findall(r"/candidates/(\d+)/synergy", page) == [str(n) for n in new]
    carried = client.post(
        f"/parks/1/candidates/{new[0]}/synergy", data={"csrf_token": token}, follow_redirects=False
    )
    assert carried.status_code == 303 and carried.headers["location"] == "/parks/1/synergies"
    row = candidates[new[0] - 1]
    projects = client.get("/api/parks/1/synergies").json()["projects"]
    (made,) = [p for p in projects if p["supply"] == row["supply"] and p["demand"] == row["demand"]]
    assert made["stage"] == "idea" and made["co2e_t"] == row["co2e_t"]
