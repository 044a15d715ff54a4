"""Metered readings, the yearly account and case sheets on the platform: a synthetic year
of the Kalundborg exchanges uploaded as its SCADA export, verified figures read back
against the generator's truth, and who may do what; on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from symbionet.metering.synthetic import synthetic_year
from symbionet.register.park import load_park
from tests.servers import KALUNDBORG, Platform

YEAR = 2024


@pytest.fixture(scope="module")
def scada(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, pd.DataFrame]:
    """A year of hourly readings of the example's meters with faults, and its truth."""
    made = synthetic_year(load_park(KALUNDBORG), year=YEAR, seed=7)
    path = made.write(tmp_path_factory.mktemp("readings") / "scada.csv")
    return Path(path).read_bytes(), made.truth


def test_uploaded_readings_give_the_verified_account(
    platform_client: Platform, scada: tuple[bytes, pd.DataFrame]
) -> None:
    data, truth = scada
    secretariat = platform_client.client("secretariat")
    before = secretariat.get(f"/api/parks/1/account?year={YEAR}").json()
    assert all(not r["coverage"] for r in before["verified"])
    sent = secretariat.post("/api/parks/1/readings", files={"file": ("scada.csv", data)})
    assert sent.status_code == 200, sent.text
    uploaded = sent.json()
    flags = {f["flag"] for f in uploaded["flags"]}
    assert {"gap", "duplicate", "stuck", "negative"} <= flags
    found = secretariat.get(f"/api/parks/1/account?year={YEAR}").json()
    verified = {r["exchange"]: r for r in found["verified"]}
    for exchange, row in truth.iterrows():
        # flagged readings are left out, never filled: what is measured is what is valid
        assert verified[exchange]["measured"] == pytest.approx(row["valid"], rel=1e-9)
        assert verified[exchange]["coverage"] == pytest.approx(row["coverage"], abs=1e-9)
    # the account counts what was measured as verified, the rest as estimated
    co2e = found["account"]["park"]["co2e_t"]
    assert before["account"]["park"]["co2e_t"]["verified"] == 0
    assert co2e["verified"] > 0.9 * co2e["central"]
    assert co2e["verified"] + co2e["estimated"] == pytest.approx(co2e["central"], rel=1e-12)
    # uploading the same file again replaces the readings: the same account
    assert secretariat.post("/api/parks/1/readings", files={"file": ("scada.csv", data)}).is_success
    again = secretariat.get(f"/api/parks/1/account?year={YEAR}").json()
    assert again["verified"] == found["verified"]
    assert again["account"]["park"] == found["account"]["park"]


def test_readings_and_the_account_by_role(
    platform_client: Platform, scada: tuple[bytes, pd.DataFrame]
) -> None:
    data, _ = scada
    editor = platform_client.client("novo_nordisk")
    # the file holds every partner's meters: a partner uploads only its own
    refused = editor.post("/api/parks/1/readings", files={"file": ("scada.csv", data)})
    assert refused.status_code == 403 and "meters of other partners" in refused.text
    assert editor.get("/api/parks/1/account").status_code == 403
    wrong = platform_client.client("secretariat").post(
        "/api/parks/1/readings", files={"file": ("scada.txt", b"x")}
    )
    assert wrong.status_code == 422 and ".csv or .xlsx" in wrong.text
    sheet = editor.get("/api/parks/1/case-sheets/yeast_biogas?language=da")
    assert sheet.status_code == 200 and "Novo Nordisk" in sheet.text
    assert editor.get("/api/parks/1/case-sheets/nonesuch").status_code == 404


def test_the_account_of_a_park_without_exchanges_and_readings_of_no_meter(
    platform_client: Platform,
) -> None:
    secretariat = platform_client.client("secretariat")
    nearly_empty = {
        "park": {"name": "Kalundborg Symbiosis", "year": 2024},
        "actors": [{"id": "a", "name": "Alpha"}],
        "sites": [{"id": "s", "actor": "a", "lat": 55.7, "lon": 11.1}],
        "streams": [],
    }
    replaced = secretariat.post(
        "/api/parks/1/upload",
        files={"file": ("park.json", json.dumps(nearly_empty).encode())},
    )
    assert replaced.status_code == 200, replaced.text
    page = secretariat.get("/parks/1/account?compare=2020")
    assert page.status_code == 200 and "No readings yet" in page.text
    assert secretariat.get("/api/parks/1/account").json()["verified"] == []
    sent = secretariat.post(
        "/api/parks/1/readings",
        files={
            "file": ("export.csv", b"timestamp,meter,value,unit\n2024-01-01T00:00:00Z,m1,5,m3\n")
        },
    )
    assert sent.status_code == 422
    assert sent.json()["problems"][0]["location"] == "export.csv:2:meter"
    assert "the park has no meters" in sent.json()["detail"]
