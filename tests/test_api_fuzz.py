"""The API under generated requests: schemathesis reads the app's OpenAPI document and
sends, for every operation, requests its schema allows, signed in as the park's
secretariat and as a partner's editor, and requests it refuses: none may get a server
error. Ids beyond what the database stores name no park and no job (404), on SQLite and
on PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from symbionet.store.database import migrate, open_database
from symbionet.web.app import create_app
from symbionet.web.bootstrap import first_start
from tests.servers import KALUNDBORG, sign_in

EXAMPLES = 20  # generated requests per operation

#: park and job ids no database row has: past a 32-bit and a 64-bit integer, and below 1
HUGE = [2**31, 2**63, 10**30, 0, -1, -(2**63) - 1]


@dataclass
class Api:
    app: Any
    client: TestClient
    accounts: dict[str, tuple[str, str]]


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    """The app on a fresh database holding Kalundborg; jobs are queued, never run."""
    migrate(database_url)
    engine = open_database(database_url)
    made = {a.actor or a.role: (a.email, a.password) for a in first_start(engine, KALUNDBORG)}
    engine.dispose()
    app = create_app(database_url, run_jobs=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield Api(app, client, made)


def _bearer(api: Api, who: str) -> dict[str, str]:
    """The Authorization header of a new API token of ``who`` (no CSRF token needed)."""
    sign_in(api.client, *api.accounts[who])
    token = api.client.post("/api/tokens").json()["token"]
    api.client.cookies.clear()
    return {"Authorization": f"Bearer {token}"}


def _ids_beyond_the_database(client: TestClient, value: int) -> list[tuple[str, str, int]]:
    """(method, url, status) of requests naming park or job ``value``."""
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"/api/parks/{value}", {}),
        ("GET", f"/api/parks/{value}/streams", {}),
        ("PATCH", f"/api/parks/{value}/streams/x", {"json": {"version": 1, "values": {}}}),
        ("DELETE", f"/api/parks/{value}/streams/x", {"params": {"version": 1}}),
        ("GET", f"/api/parks/{value}/members", {}),
        ("GET", f"/api/public/parks/{value}", {}),
        ("GET", f"/api/jobs/{value}", {}),
        ("POST", f"/api/jobs/{value}/cancel", {}),
        ("GET", f"/parks/{value}", {}),
        ("GET", f"/public/parks/{value}", {}),
        ("GET", f"/parks/1/jobs/{value}", {}),
        ("POST", f"/parks/1/jobs/{value}/cancel", {}),
    ]
    return [
        (method, url, client.request(method, url, follow_redirects=False, **kwargs).status_code)
        for method, url, kwargs in calls
    ]


def test_an_id_beyond_the_database_names_no_park_and_no_job(api: Api) -> None:
    sign_in(api.client, *api.accounts["secretariat"])
    answers = [a for value in HUGE for a in _ids_beyond_the_database(api.client, value)]
    assert [a for a in answers if a[2] != 404] == []
    assert len(answers) == 12 * len(HUGE)


def _inputs(operation: Any) -> int:
    return sum(
        len(part)
        for part in (operation.path_parameters, operation.query, operation.body, operation.headers)
    )


def _fuzz(
    api: Api,
    headers: dict[str, str],
    mode: GenerationMode = GenerationMode.POSITIVE,
    examples: int = EXAMPLES,
) -> tuple[list[str], int]:
    """Every operation of the API with ``examples`` generated requests each (``NEGATIVE``:
    requests its schema refuses, for the operations that take any input); the requests
    that got a server error or raised, and how many operations ran."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", api.app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if mode is GenerationMode.NEGATIVE and not _inputs(operation):
            continue  # nothing to get wrong
        operations += 1

        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            # some operations take only a few distinct requests (an enum, no body)
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            try:
                response = case.call(headers=headers)
            except Exception as error:  # the app raised: TestClient passes it on
                failures.append(f"{case.method} {case.formatted_path}: {error!r}")
                return
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} {case.query} {case.body!r}: "
                    f"{response.status_code} {response.text[:300]}"
                )

        run()
    return failures, operations


@pytest.mark.slow
def test_no_generated_request_of_the_secretariat_gets_a_server_error(api: Api) -> None:
    failures, operations = _fuzz(api, _bearer(api, "secretariat"))
    assert failures == []
    api_routes = [r for r in api.app.openapi()["paths"].values() for _ in r]
    assert operations == len(api_routes) > 40


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_generated_request_of_a_partner_gets_a_server_error(api: Api) -> None:
    failures, operations = _fuzz(api, _bearer(api, "novo_nordisk"))
    assert failures == []
    assert operations > 40


@pytest.mark.slow
def test_no_request_the_schema_refuses_gets_a_server_error(api: Api) -> None:
    headers = _bearer(api, "secretariat")
    failures, operations = _fuzz(api, headers, GenerationMode.NEGATIVE, examples=10)
    assert failures == []
    assert operations > 40


def test_a_time_beyond_the_calendar_in_utc_is_refused_not_a_server_error(api: Api) -> None:
    sign_in(api.client, *api.accounts["secretariat"])
    for at in ("0001-01-01T01:00:00+01:01", "9999-12-31T23:59:00-01:00"):
        answer = api.client.get("/api/parks/1/figures", params={"at": at})
        assert answer.status_code == 422, answer.text
        assert "time" in answer.json()["detail"]
    page = api.client.get("/parks/1/history", params={"at": "0001-01-01T00:00:00"})
    assert page.status_code == 200
