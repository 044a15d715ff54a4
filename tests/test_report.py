"""The report as a reader sees it: opened in headless Chromium, offline."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from symbionet import load_park
from symbionet.present.cli import app
from symbionet.present.report import write_report
from tests.conftest import EXAMPLES


def test_report_renders_offline_without_console_errors(tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    target = write_report(load_park(EXAMPLES / "kalundborg"), tmp_path)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    remote: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "request",
        lambda request: remote.append(request.url) if request.url.startswith("http") else None,
    )
    page.goto(target.as_uri())
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
    for section in ("Benefit shares", "Resilience", "Per exchange", "Method and data"):
        assert f">{section}</h2>" in html
    result = runner.invoke(app, ["run", str(tiny), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert "Report:" in result.output
    assert (tmp_path / "run" / "tiny-park" / "report.html").exists()
