"""The report as a reader sees it: opened in headless Chromium, offline."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from symbionet import load_park, share, stress
from symbionet.present.cli import app
from symbionet.present.report import render, share_section, stress_section, write_report
from symbionet.present.tables import Money
from tests.conftest import EXAMPLES, open_offline

SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")
NOTE = "Amounts in DKK at 7.46038 DKK/EUR (ERM II central rate, Danmarks Nationalbank)"


def readable(page: str) -> str:
    """The report as a reader sees it, without its scripts (plotly.js, the figures' data)."""
    return re.sub(r"<script.*?</script>", "", page, flags=re.S)


def test_report_renders_offline_without_console_errors(tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    target = write_report(load_park(EXAMPLES / "kalundborg"), tmp_path)
    page, errors, remote = open_offline(browser, target, {"width": 1280, "height": 900})
    page.wait_for_selector("#sankey-figure .sankey", timeout=20_000)
    assert errors == []
    assert remote == []
    assert page.locator("#sankey-figure .sankey").count() == 3  # water, energy, material
    assert page.locator("#map-figure .scatterlayer .trace").count() >= 2  # exchanges and sites
    assert "Kalundborg Forsyning" in page.locator("#partners").evaluate(
        "e => e.nextElementSibling.innerText"
    )
    page.close()


def test_report_and_run_commands_write_the_file(tiny: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["report", str(tiny), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert len(html) > 1_000_000  # plotly.js inlined
    sections = ["Per exchange", "Candidate exchanges", "Best design", "Benefit shares"]
    for section in [*sections, "Resilience", "Method and data"]:
        assert f">{section}</h2>" in html
    result = runner.invoke(app, ["run", str(tiny), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert "Report:" in result.output
    # the headline figures, each partner's share and the most critical partner: 50,000 t
    # of FGD gypsum not landfilled at 800 DKK/t (40,000,000 DKK) and 50,000 t of natural
    # gypsum not bought at 25 EUR/t (1,250,000 EUR x 7.46038 = 9,325,475 DKK)
    assert re.search(r"net saving \(DKK/yr\)\s*│\s*49,325,475", result.output)
    assert "Benefit shares (shapley)" in result.output
    assert "Most critical partner:" in result.output
    # the same as plain JSON, amounts in EUR and the park's currency stated
    result = runner.invoke(app, ["run", str(tiny), "--out", str(tmp_path / "run"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["headline"]["net_saving_eur"]["central"] == pytest.approx(49_325_475 / 7.46038)
    assert data["currency"]["code"] == "DKK" and data["most_critical"]["actor"] == "board"
    assert data["discovery"]["options"]["per_demand"] == 10
    assert (tmp_path / "run" / "tiny-park" / "report.html").exists()


def test_report_amounts_in_the_park_currency_with_the_rate_stated(tiny: Path) -> None:
    page = readable(render(load_park(tiny)))  # currency: DKK
    assert page.count(NOTE) == 1
    assert "<th>receiver saving (DKK/yr)</th>" in page
    assert "<th>CO2e (t/yr)</th>" in page
    # 50,000 t of natural gypsum not bought at 25 EUR/t: 1,250,000 EUR x 7.46038 DKK/EUR
    assert "<td>9,325,475</td>" in page
    assert "_eur" not in page and "EUR/yr" not in page
    assert not SCIENTIFIC.search(page)


def test_report_of_an_eur_park_has_no_rate_and_no_scientific_notation() -> None:
    page = readable(render(load_park(EXAMPLES / "kalundborg-2010")))
    assert "Amounts in" not in page
    assert "<th>net saving (EUR/yr)</th>" in page
    assert "EUR/yr, range" in page  # the net saving card
    assert not SCIENTIFIC.search(page)


def test_share_and_stress_sections_in_the_park_currency(tiny: Path) -> None:
    park = load_park(tiny)
    money = Money.of(park)
    shares = share(park)
    body = share_section(shares).body(money)
    assert f"<b>{money.amount(shares.grand_value, 'yr')}</b>" in body
    assert "<th>share (DKK/yr)</th>" in body
    resilience = stress_section(stress(park, all_single=True)).body(money)
    assert "<th>extra cost (DKK/yr)</th>" in resilience
    assert not SCIENTIFIC.search(body + resilience)
    page = readable(render(park, extra=[share_section(shares)]))  # in the park's currency
    assert "<th>share (DKK/yr)</th>" in page and "EUR/yr" not in page
