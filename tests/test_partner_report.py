"""The partner report and the reports in English and Danish, as HTML, PDF and Excel."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from symbionet import Assessment, Park, assess_park, load_park
from symbionet.assessment.accounting import METHOD, TRANSFER_RULE
from symbionet.errors import SymbionetError
from symbionet.present.cli import app
from symbionet.present.language import _texts, language_of
from symbionet.present.partner_report import (
    partner_report,
    partner_view,
    write_park_report,
    write_partner_report,
)
from symbionet.present.report import render
from tests.conftest import write_park

RATE = 7.46038  # DKK per EUR, the rate the park's amounts are shown at
# The tiny park (50,000 t/yr of FGD gypsum from the power plant to the board plant, in
# DKK) with a farm whose one stream, a confidential demand for 12,345 t/yr of gypsum, the
# power plant also supplies.
ACTORS = (
    "id,name,kind,nace\npower,Power plant,utility,35.11\nboard,Board plant,company,23.62\n"
    "farm,Hill Farm,company,01.11\n"
)
SITES = (
    "id,actor,name,lat,lon\np1,power,Power site,55.66,11.08\nb1,board,Board site,55.67,11.07\n"
    "f1,farm,Farm site,55.675,11.09\n"
)
STREAMS = (
    "id,site,direction,resource,quantity,unit,fate,source,name,confidential\n"
    "gyp,p1,supply,fgd_gypsum,200,t/day,landfill,,Desulphurisation gypsum,false\n"
    "nat,b1,demand,natural_gypsum,60,kt/yr,,market,Gypsum for boards,false\n"
    "water,b1,demand,groundwater,10,m3/h,,groundwater,Process water,false\n"
    "soil_gypsum,f1,demand,natural_gypsum,12345,t/yr,,market,Secret soil conditioner,true\n"
)
EXCHANGES = (
    "id,supply,demand,quantity,unit,mode,status\n"
    "g1,gyp,nat,50000,t/yr,truck,operating\n"
    "g2,gyp,soil_gypsum,12345,t/yr,truck,operating\n"
)
SECRETS = ["soil_gypsum", "Secret soil conditioner", "12345", "12,345", "12.345", "g2"]
"""What no other partner's report may hold of the farm's confidential stream."""


@pytest.fixture(scope="module")
def park(tmp_path_factory: pytest.TempPathFactory) -> Park:
    files = {"actors.csv": ACTORS, "sites.csv": SITES, "streams.csv": STREAMS}
    files["exchanges.csv"] = EXCHANGES
    return load_park(write_park(tmp_path_factory.mktemp("three") / "park", files))


@pytest.fixture(scope="module")
def assessment(park: Park) -> Assessment:
    return assess_park(park)


@pytest.fixture(scope="module")
def danish_park_report(
    park: Park, assessment: Assessment, tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    """The park report in Danish, as HTML and Excel."""
    out = tmp_path_factory.mktemp("danish")
    return write_park_report(park, assessment, out, ("html", "xlsx"), language="da")


def readable(page: str) -> str:
    """The text of a page without its style and scripts."""
    return re.sub(r"<(style|script).*?</\1>", "", page, flags=re.S)


def cells(path: Path) -> list[object]:
    """Every cell value of every sheet of a workbook."""
    book = load_workbook(path)
    return [cell for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row]


def test_what_a_partner_gives_gets_and_saves_by_hand(park: Park, assessment: Assessment) -> None:
    power = partner_view(park, "power", assessment)
    board = partner_view(park, "board", assessment)
    # 50,000 t of FGD gypsum: the power plant no longer landfills it at 800 DKK/t
    # (40,000,000 DKK), the board plant no longer buys natural gypsum at 25 EUR/t
    # (1,250,000 EUR = 9,325,475 DKK); the net saving of 49,325,475 DKK is split equally,
    # so the power plant pays the board plant (40,000,000 - 9,325,475) / 2 = 15,337,262.5.
    gives = power.gives.loc["g1"]
    assert (gives["receiver"], gives["stream"], gives["amount"]) == ("Board plant", "gyp", 50_000)
    assert gives["saving_eur"] * RATE == pytest.approx(24_662_737.5)
    assert gives["transfers_eur"] * RATE == pytest.approx(-15_337_262.5)
    assert gives["co2e_t"] == pytest.approx(50_000 * 0.005)  # landfill: 0.005 t CO2e/t
    assert gives["waste_diverted_t"] == pytest.approx(50_000)
    gets = board.gets.loc["g1"]
    assert (gets["supplier"], gets["stream"], gets["replaces"]) == (
        "Power plant",
        "nat",
        "natural_gypsum",
    )
    assert gets["saving_eur"] * RATE == pytest.approx(24_662_737.5)
    assert gets["transfers_eur"] * RATE == pytest.approx(15_337_262.5)
    assert gets["co2e_t"] == pytest.approx(50_000 * 0.03)  # natural gypsum: 0.03 t/t
    assert board.gives.empty and power.gets.empty
    # what it saves is its side of each exchange it may see, summed
    saves = board.saves["value"]
    assert saves["saving_eur"] * RATE == pytest.approx(24_662_737.5)
    assert saves["virgin_material_t"] == pytest.approx(50_000)
    assert power.saves["value"]["saving_eur"] * RATE == pytest.approx(24_662_737.5)
    # its share of the benefit split is the assessment's, and the split adds up
    shares = assessment.shares.table
    assert board.share is not None and board.share["share_eur"] == shares.at["board", "share_eur"]
    assert shares["share_eur"].sum() == pytest.approx(assessment.shares.grand_value)
    # the board plant's risk: the power plant leaves, and its gypsum demand (60,000 t/yr,
    # all of it met in the re-optimised network) is bought on the market again at 25 EUR/t
    risk = board.risks.loc["power"]
    assert risk["fallback_demand"] == pytest.approx(60_000)
    assert risk["extra_cost_eur"] == pytest.approx(60_000 * 25)
    # the design beside today: 50,000 t/yr today, the whole demand of 60,000 in the design
    link = board.links.loc["g1"]
    assert (link["side"], link["today"], link["in_design"]) == ("gets", 50_000, 60_000)


def test_the_html_report_states_the_rate_and_shows_the_figures(
    park: Park, assessment: Assessment
) -> None:
    page = readable(partner_report(park, "board", assessment))
    assert page.count("Amounts in DKK at 7.46038 DKK/EUR") == 1
    for heading in ("Gives", "Gets", "Saves", "Risks", "Exchanges it could add"):
        assert f">{heading}</h2>" in page
    assert "<th>saving (DKK/yr)</th>" in page and "_eur" not in page
    assert "<td>24,662,738</td>" in page  # its saving and its side of g1
    assert "<td>11,190,570</td>" in page  # what it pays more if the power plant leaves
    assert "Today and in the best design" in page


def test_danish_headings_and_number_format(park: Park, assessment: Assessment) -> None:
    page = readable(partner_report(park, "board", assessment, language="da"))
    assert "<html lang='da'>" in page
    for heading in ("Leverer", "Modtager", "Sparer", "Risici", "Udvekslinger den kunne tilføje"):
        assert f">{heading}</h2>" in page
    assert "Beløb i DKK til kursen 7,46038 DKK/EUR" in page
    assert "<th>besparelse (DKK/år)</th>" in page
    assert "<td>24.662.738</td>" in page  # 24,662,737.5 DKK in Danish
    assert "<td>50.000</td>" in page and "<td>50,000</td>" not in page
    assert f"{date.today().day}. " in page
    assert "Gives</h2>" not in page and "DKK/yr" not in page
    da = language_of("da")
    assert da.number(1_234_567.8) == "1.234.568" and da.number(1234.5) == "1.234,5"
    assert da.number(0.25) == "0,25" and language_of("en").number(1234.5) == "1,234.5"
    assert da.date(date(2026, 3, 5)) == "5. marts 2026"
    assert language_of("en").date(date(2026, 3, 5)) == "05 March 2026"


def test_every_heading_of_both_reports_is_in_danish(
    park: Park, assessment: Assessment, danish_park_report: list[Path]
) -> None:
    pages = [partner_report(park, actor, assessment, language="da") for actor in park.actors.index]
    pages.append(danish_park_report[0].read_text(encoding="utf-8"))
    headers = {h for page in pages for h in re.findall(r"<th(?: [^>]*)?>(.*?)</th>", page)}
    labels = {re.sub(r" \([^()]*\)$", "", h) for h in headers}
    untranslated = sorted(label for label in labels if label not in _texts()["labels"].values())
    assert untranslated == []


def test_the_english_originals_of_the_translations_are_the_library_texts() -> None:
    texts = _texts()["texts"]
    assert texts["method"]["en"] == METHOD
    assert texts["transfer_rule"]["en"] == TRANSFER_RULE
    assert all(set(text) == {"en", "da"} for text in texts.values())


def test_a_partner_never_sees_another_partners_confidential_stream(
    park: Park, assessment: Assessment, tmp_path: Path
) -> None:
    # the full assessment holds the farm's stream: its exchange and what the power plant
    # would lose if the farm left
    assert "g2" in assessment.impact.exchanges.index
    assert ("farm", "power") in assessment.resilience.partners.index
    for language in ("en", "da"):
        written = write_partner_report(
            park, "power", assessment, tmp_path / language, ("html", "xlsx"), language=language
        )
        page = written[0].read_text(encoding="utf-8")
        text = " ".join(str(c) for c in cells(written[1]) if c is not None)
        for secret in SECRETS:
            assert secret not in page, secret
            assert secret not in text, secret
        assert 12_345 not in cells(written[1])
        assert "(1)" in page or "(2)" in page  # how many exchanges are left out is stated
    # its figures leave the hidden exchange out: g1 alone, by hand above
    power = partner_view(park, "power", assessment)
    assert list(power.gives.index) == ["g1"]
    assert "farm" not in power.risks.index
    # the farm's candidate is shown anonymously, its quantity rounded (12,345 -> 12,000)
    farm_candidates = power.candidates[power.candidates["quantity"] == 12_000]
    assert len(farm_candidates) == 1 and farm_candidates["partner"].isna().all()
    # the farm sees its own stream
    assert "soil_gypsum" in partner_report(park, "farm", assessment)


def test_unknown_partner_and_language_are_refused(park: Park, assessment: Assessment) -> None:
    with pytest.raises(SymbionetError, match="unknown actor 'nobody'"):
        partner_report(park, "nobody", assessment)
    with pytest.raises(SymbionetError, match="language: must be en or da"):
        partner_report(park, "board", assessment, language="fr")
    with pytest.raises(SymbionetError, match="language: must be en or da"):
        render(park, assessment.impact, language="de")


def test_the_workbook_has_a_sheet_per_table_with_the_same_content(
    park: Park, assessment: Assessment, tmp_path: Path
) -> None:
    (path,) = write_partner_report(park, "board", assessment, tmp_path, ("xlsx",), language="da")
    assert path.name == "partner-board-da.xlsx"
    book = load_workbook(path)
    assert book.sheetnames == [
        "Om rapporten",
        "Leverer",
        "Modtager",
        "Sparer",
        "Andel af parkens besparelse",
        "Risici",
        "Udvekslinger den kunne tilføje",
        "I dag og i det bedste design",
    ]
    about = {row[0]: row[1] for row in book["Om rapporten"].iter_rows(values_only=True)}
    assert about["valutakurs"].startswith("Beløb i DKK til kursen 7,46038")
    gets = pd.DataFrame(book["Modtager"].iter_rows(min_row=2, values_only=True))
    gets.columns = [c.value for c in book["Modtager"][1]]
    row = gets.set_index("udveksling").loc["g1"]
    assert row["besparelse (DKK/år)"] == pytest.approx(24_662_737.5)  # a number, in DKK
    assert row["leverandør"] == "Power plant" and row["enhed"] == "t"


def test_the_park_report_in_danish(danish_park_report: list[Path]) -> None:
    written = danish_park_report
    assert [p.name for p in written] == ["report-da.html", "report-da.xlsx"]
    page = readable(written[0].read_text(encoding="utf-8"))
    for heading in ("Nøgletal", "Pr. partner", "Mulige udvekslinger", "Robusthed"):
        assert f">{heading}</h2>" in page
    assert "nettobesparelse (DKK/år)" in page and "net saving" not in page
    assert "Fordeling af gevinsten" in page and "Metode og data" in page
    assert "virkning pr. udveksling" in load_workbook(written[1]).sheetnames
    # the figures' titles, axes and legends: plotly writes non-ASCII letters escaped
    page = written[0].read_text(encoding="utf-8")
    page = page[page.index('id="map-figure"') :]  # the figures, after plotly.js
    figures = re.sub(r"\\u([0-9a-f]{4})", lambda found: chr(int(found[1], 16)), page)
    for text in ("Anlæg og udvekslinger", "km øst for", "Strømme fra leverandører", "kystlinje"):
        assert text in figures, text
    assert "Sites and exchanges" not in figures and "coastline" not in figures


def test_the_pdf_is_printed_without_the_html(
    park: Park, assessment: Assessment, tmp_path: Path
) -> None:
    (pdf,) = write_partner_report(park, "board", assessment, tmp_path, ("pdf",))
    assert pdf.name == "partner-board.pdf" and pdf.read_bytes().startswith(b"%PDF")
    assert [p.name for p in tmp_path.iterdir()] == ["partner-board.pdf"]


def test_the_command_writes_the_files_and_refuses_to_overwrite(park: Park, tmp_path: Path) -> None:
    source = park.source
    out = tmp_path / "out"
    args = ["report", source, "--partner", "board", "--language", "da", "--out", str(out)]
    args += ["--format", "html", "--format", "xlsx"]
    runner = CliRunner()
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "partner-board-da.html",
        "partner-board-da.xlsx",
    ]
    html = (out / "partner-board-da.html").read_text(encoding="utf-8")
    assert ">Modtager</h2>" in html
    before = (out / "partner-board-da.html").stat().st_mtime_ns
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "exists: overwrite it with --force" in str(result.exception)
    assert (out / "partner-board-da.html").stat().st_mtime_ns == before
    result = runner.invoke(app, [*args, "--force"])
    assert result.exit_code == 0, result.output
    for wrong, message in (
        (["--partner", "nobody"], "unknown actor"),
        (["--language", "fr"], "language: must be en or da"),
        (["--format", "docx"], "format: must be some of html, pdf, xlsx"),
    ):
        result = runner.invoke(app, ["report", source, "--out", str(tmp_path / "x"), *wrong])
        assert result.exit_code == 1 and message in str(result.exception)
    assert not (tmp_path / "x").exists()


def test_a_partner_of_a_park_without_streams_gets_its_report(tmp_path: Path) -> None:
    empty = load_park(
        write_park(
            tmp_path / "empty",
            {
                "streams.csv": "id,site,direction,resource,quantity,unit\n",
                "exchanges.csv": "id,supply,demand,quantity,unit\n",
            },
        )
    )
    assessed = assess_park(empty)
    written = write_partner_report(
        empty, "power", assessed, tmp_path, ("html", "xlsx"), language="da"
    )
    assert [path.suffix for path in written] == [".html", ".xlsx"]
    assert load_workbook(written[1]).sheetnames[0] == "Om rapporten"
