"""What the platform keeps per version of a park: made once, made again after a change."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from symbionet.web import pages, service
from symbionet.web.context import ParkCache
from tests.servers import Platform


def test_table_rows_are_made_once_per_version_and_role(
    platform_client: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[tuple[str, str | None]] = []
    make = service._table_rows

    def counted(platform: Any, stored: Any, access: Any, table: str) -> Any:
        made.append((access.role, access.actor))
        return make(platform, stored, access, table)

    monkeypatch.setattr(service, "_table_rows", counted)
    secretariat = platform_client.client("secretariat")
    novo = platform_client.client("novo_nordisk")

    def quantity(client: Any, stream: str) -> tuple[float, int]:
        rows = client.get("/api/parks/1/streams").json()
        found = next(r for r in rows if r["id"] == stream)
        return found["quantity"], found["_version"]

    first = quantity(secretariat, "novo_yeast")
    assert quantity(secretariat, "novo_yeast") == first
    assert made == [("secretariat", None)]
    assert quantity(novo, "novo_yeast") == first
    assert made == [("secretariat", None), ("editor", "novo_nordisk")]
    changed = novo.patch(
        "/api/parks/1/streams/novo_yeast",
        json={"version": first[1], "values": {"quantity": 160000}},
    )
    assert changed.status_code == 200
    # a new version of the park: its rows are made anew, the change in them
    assert quantity(secretariat, "novo_yeast") == (160000, changed.json()["version"])
    assert len(made) == 3


def test_the_dashboard_draws_its_figures_once_per_version(
    platform_client: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[int] = []
    draw = pages.park_map

    def counted(park: Any, *args: Any) -> Any:
        drawn.append(len(park.sites))
        return draw(park, *args)

    monkeypatch.setattr(pages, "park_map", counted)
    secretariat = platform_client.client("secretariat")
    first = secretariat.get("/parks/1")
    assert first.status_code == 200
    assert secretariat.get("/parks/1").text == first.text
    assert len(drawn) == 1
    version = next(
        r["_version"] for r in secretariat.get("/api/parks/1/sites").json() if r["id"] == "asnaes"
    )
    changed = secretariat.patch(
        "/api/parks/1/sites/asnaes", json={"version": version, "values": {"name": "Asnaes Works"}}
    )
    assert changed.status_code == 200
    again = secretariat.get("/parks/1")
    assert len(drawn) == 2
    assert "Asnaes Works" in again.text


def test_a_value_asked_for_at_once_by_many_threads_is_made_once() -> None:
    cache = ParkCache()
    made: list[int] = []

    def make() -> int:
        made.append(1)
        time.sleep(0.2)  # the others ask meanwhile
        return 42

    with ThreadPoolExecutor(8) as pool:
        values = list(pool.map(lambda _: cache.get(("park", 1, 1), make), range(8)))
    assert values == [42] * 8
    assert made == [1]
    assert cache.get(("park", 1, 1), make) == 42
    assert cache.making == {}
