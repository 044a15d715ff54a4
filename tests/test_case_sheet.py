"""The case sheet of one exchange: partners, what flows and since when, its verified or
estimated figures by hand, investment and payback, a Sankey; English and Danish, HTML and
PDF; public data only unless the secretariat asks."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from typer.testing import CliRunner

from symbionet import Park, load_park
from symbionet.errors import SymbionetError
from symbionet.present.case_sheet import case_sheet
from symbionet.present.cli import app
from tests.conftest import EXAMPLES, open_offline, write_park
from tests.test_yearly_account import HAND

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# The hand park in DKK, with a farm whose one stream, a confidential demand for
# 12,345 t/yr of gypsum, the power plant also supplies (exchange g2).
STREAMS = (
    "id,site,direction,resource,quantity,unit,fate,source,price,confidence,name,confidential\n"
    "gyp,p,supply,fgd_gypsum,20000,t/yr,landfill,,100,high,Desulphurisation gypsum,false\n"
    "nat,b,demand,natural_gypsum,2000,t/yr,,market,20,high,Gypsum for boards,false\n"
    "water_out,p,supply,cooling_water_return,500,m3/yr,,,,low,Cooling water,false\n"
    "water_in,b,demand,surface_water,800,m3/yr,,surface_water_intake,0.5,medium,Water,false\n"
    "soil_gypsum,f,demand,natural_gypsum,12345,t/yr,,market,20,high,Secret soil conditioner,"
    "true\n"
)
FILES = {
    **HAND,
    "park.yaml": "name: Hand park\nyear: 2023\ncurrency: DKK\ndiscount_rate: 0.0\n",
    "actors.csv": HAND["actors.csv"] + "farm,Hill Farm\n",
    "sites.csv": HAND["sites.csv"] + "f,farm,Farm site,55.02,11.0\n",
    "streams.csv": STREAMS,
    "exchanges.csv": HAND["exchanges.csv"]
    + "g2,gyp,soil_gypsum,12345,t/yr,operating,2016,,,,,truck\n",
}
# g in 2023: 600 t measured over half the year, + 1,000 t/yr x 0.5 from the register
# = 1,100 t, 600/1,100 = 54.5 % verified. Readings of the confidential g2 come with them.
READINGS = pd.DataFrame(
    {
        "exchange": ["g", "g2"],
        "year": [2023, 2023],
        "expected": [1000.0, 12345.0],
        "measured": [600.0, 13579.0],
        "coverage": [0.5, 1.0],
        "unit": ["t", "t"],
    }
)
SECRETS = ["soil_gypsum", "Secret soil conditioner", "12345", "12,345", "12.345", "g2"]
SECRETS += ["13579", "13,579", "13.579", "Hill Farm"]
"""What no public case sheet may hold of the farm's confidential stream and its readings."""


@pytest.fixture(scope="module")
def park(tmp_path_factory: pytest.TempPathFactory) -> Park:
    return load_park(write_park(tmp_path_factory.mktemp("case") / "park", FILES))


def text(content: bytes) -> str:
    """A case sheet's HTML without plotly.js (its first script); the figure's data kept."""
    page = content.decode("utf-8")
    head, _, rest = page.partition("</script>")
    assert len(head) > 1_000_000  # plotly.js, inlined
    return rest


def readable(page: str) -> str:
    """What a reader sees: the page without its scripts, tags and extra spaces."""
    words = re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", page, flags=re.S))
    return re.sub(r"\s+", " ", words)


def test_the_english_case_sheet_by_hand(park: Park) -> None:
    page = text(case_sheet(park, "g", READINGS))
    shown = readable(page)
    assert "FGD gypsum from Power plant to Board plant" in shown
    assert "Case sheet of Hand park, exchange g" in shown
    # the partners and their streams, what flows, since when
    assert "Supplier Power plant (Desulphurisation gypsum)" in shown
    assert "Receiver Board plant (Gypsum for boards)" in shown
    assert "Resource FGD gypsum" in shown and "Replaces Natural gypsum" in shown
    assert "Amount in 2023 1,100 t/yr" in shown
    assert "Operating since 2015" in shown and "truck, 1.1 km" in shown
    # figures: 1,100 t x (100 + 20) DKK - 50,000 - 300 = 81,700 DKK; CO2e 1,100 x 0.035
    assert "Amounts in DKK at 7.46038 DKK/EUR" in shown
    assert "net saving (DKK/yr) 81,700 44,564 37,136" in shown  # value, verified, estimated
    assert "CO2e (t/yr) 38.5 21 17.5" in shown
    assert "virgin material (t/yr) 1,100 600 500" in shown
    assert "54.5 % of the figures of 2023 are verified" in shown and "covering 50 %" in shown
    assert "groundwater" not in shown  # a figure that is 0 is left out
    # investment and payback: 500,000 / (132,000 - 300) = 3.8 years
    assert "Investment 500,000 DKK" in shown
    assert "Operating cost 300 DKK/yr" in shown
    assert "Yearly saving before the investment 131,700 DKK/yr" in shown
    assert "Simple payback 3.8 years" in shown
    assert "0 % as an annuity" not in shown and "discount rate of 0 %" in shown
    # the Sankey: supplier to receiver, the verified and estimated parts of the flow
    assert 'id="case-sankey"' in page and '"type":"sankey"' in page.replace(" ", "")
    assert "verified (readings): 600 t/yr; estimated (register): 500 t/yr" in shown
    assert 'src="http' not in page and "<link" not in page


def test_a_share_just_under_the_whole_is_not_shown_whole(park: Park) -> None:
    nearly = READINGS.assign(measured=[999.7, 0.0], coverage=[0.9999, 0.0])
    shown = readable(text(case_sheet(park, "g", nearly)))
    assert "verified: 99.9 %" in shown and "covering 99.9 % of the year" in shown
    assert "100 %" not in shown


def test_without_readings_the_figures_are_estimated_and_said_so(park: Park) -> None:
    shown = readable(text(case_sheet(park, "g")))
    assert "Amount in 2023 1,000 t/yr" in shown
    assert "estimated from the register's yearly quantity: there are no metered readings" in shown
    assert "net saving (DKK/yr) 69,700 0 69,700" in shown  # 120,000 - 50,300
    assert "Simple payback 4.2 years" in shown  # 500,000 / 119,700
    # no investment stated: no payback
    water = readable(text(case_sheet(park, "w")))
    assert "Simple payback no investment stated" in water and "Operating since 2020" in water


def test_the_danish_case_sheet(park: Park) -> None:
    page = text(case_sheet(park, "g", READINGS, language="da"))
    shown = readable(page)
    assert "<html lang='da'>" in case_sheet(park, "g", language="da").decode()[:60]
    assert "FGD gypsum fra Power plant til Board plant" in shown  # names as given
    for heading in ("Partnerne", "Hvad der udveksles", "Hvad den sparer i 2023"):
        assert f">{heading}</h2>" in page
    assert ">Investering og tilbagebetaling</h2>" in page and ">Metode</h2>" in page
    assert "Leverandør Power plant (Desulphurisation gypsum)" in shown
    assert "I drift siden 2015" in shown and "lastbil, 1,1 km" in shown
    assert "nettobesparelse (DKK/år) 81.700 44.564 37.136" in shown
    assert "nye råmaterialer (t/år) 1.100 600 500" in shown
    assert "54,5 % af tallene for 2023 er verificeret" in shown
    assert "Simpel tilbagebetalingstid 3,8 år" in shown
    assert "Beløb i DKK til kursen 7,46038 DKK/EUR" in shown
    assert f"{date.today().day}. " in shown
    for english in ("The partners", "What flows", "net saving", "key figure", "DKK/yr", "years"):
        assert english not in shown, english
    headers = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", page)
    assert "nøgletal" in headers and "verificeret" in headers and "skønnet" in headers


def test_a_public_case_sheet_leaks_no_confidential_value(park: Park) -> None:
    for language in ("en", "da"):
        page = case_sheet(park, "g", READINGS, language=language).decode("utf-8")
        figures = text(page.encode("utf-8"))
        for secret in SECRETS:
            assert secret not in figures, secret
    # the confidential exchange has no public case sheet, whatever its readings
    with pytest.raises(SymbionetError, match="'g2' draws on a confidential stream"):
        case_sheet(park, "g2", READINGS)
    # the secretariat may make one for its own use, and it says so
    own = readable(text(case_sheet(park, "g2", READINGS, public=False)))
    assert "not for publication" in own and "13,579 t/yr" in own and "Hill Farm" in own
    assert "Only public data" not in own
    assert "Only public data" in readable(text(case_sheet(park, "g")))


def test_bad_requests_are_refused(park: Park) -> None:
    for call, message in (
        (lambda: case_sheet(park, "nope"), "unknown exchange 'nope'"),
        (lambda: case_sheet(park, "idea"), "'idea' did not run in 2023 \\(status idea"),
        (lambda: case_sheet(park, "old"), "'old' did not run in 2023"),
        (lambda: case_sheet(park, "g", language="fr"), "language: must be en or da"),
        (lambda: case_sheet(park, "g", format="docx"), "format: must be html or pdf"),
    ):
        with pytest.raises(SymbionetError, match=message):
            call()
    # an ended exchange has a case sheet of a year it ran
    assert "Amount in 2016 400 t/yr" in readable(text(case_sheet(park, "old", year=2016)))


def test_the_pdf_is_printed(park: Park) -> None:
    pdf = case_sheet(park, "g", READINGS, language="da", format="pdf")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_the_case_sheet_renders_offline_without_console_errors(
    park: Park,
    tmp_path: Path,
    browser: Browser,
) -> None:
    target = tmp_path / "case.html"
    target.write_bytes(case_sheet(park, "g", READINGS))
    page, errors, remote = open_offline(browser, target, {"width": 900, "height": 1200})
    page.wait_for_selector("#case-sankey .sankey", timeout=20_000)
    assert page.locator("#case-sankey .sankey-link").count() == 2  # verified and estimated
    assert errors == [] and remote == []
    page.close()


def test_the_command_writes_the_file_and_refuses_to_overwrite(tmp_path: Path) -> None:
    runner = CliRunner()
    kalundborg = str(EXAMPLES / "kalundborg")
    out = tmp_path / "steam.html"
    args = ["case-sheet", kalundborg, "steam_novo", "--out", str(out), "--language", "da"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    shown = readable(out.read_text(encoding="utf-8"))
    assert "Ørsted Asnæs Power Station til Novo Nordisk" in shown
    assert "I drift siden 1982" in shown and "215.000 t/år" in shown
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and "exists: overwrite it with --force" in str(again.exception)
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    readings = tmp_path / "verified.csv"
    readings.write_text(
        "exchange,year,measured,coverage\nsteam_novo,2023,200000,1\n", encoding="utf-8"
    )
    pdf = tmp_path / "steam.pdf"
    written = runner.invoke(
        app,
        ["case-sheet", kalundborg, "steam_novo", "--out", str(pdf), "--verified", str(readings)],
    )
    assert written.exit_code == 0, written.output
    assert pdf.read_bytes().startswith(b"%PDF")
    for wrong, message in (
        (["nope", "--out", str(tmp_path / "x.html")], "unknown exchange 'nope'"),
        (["steam_novo", "--out", str(tmp_path / "x.docx")], "--format: must be html or pdf"),
        (["steam_novo", "--out", str(tmp_path / "x.html"), "--language", "fr"], "must be en or da"),
        (
            ["steam_novo", "--out", str(tmp_path / "x.html"), "--format", "pdf"],
            "write a .pdf file",
        ),
    ):
        result = runner.invoke(app, ["case-sheet", kalundborg, *wrong])
        assert result.exit_code == 1 and message in str(result.exception), result.exception
    assert not (tmp_path / "x.html").exists()
