"""The platform's journeys as its users make them: a real ``symbionet serve`` on SQLite,
driven in headless Chromium through its pages and forms (the API tests cover both
databases). One server for the module: each journey reads what it changes first, so the
journeys hold in any order.

With ``SYMBIONET_SCREENSHOTS=1`` the journeys also write the screenshots of
docs/platform.md (docs/platform-*.png)."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.servers import ROOT, Served, served

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page

pytestmark = pytest.mark.slow

SCREENSHOTS = os.environ.get("SYMBIONET_SCREENSHOTS") == "1"
DOCS = ROOT / "docs"
VIEWPORT = {"width": 1400, "height": 900}
JOB_SECONDS = 120


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The platform serving the Kalundborg example from a SQLite file, for the module."""
    database = tmp_path_factory.mktemp("journeys") / "symbionet.sqlite"
    with served(f"sqlite:///{database}") as running:
        yield running


class Visitor:
    """One person's browser (a context of its own: its own cookies) on the platform; every
    request it makes and every script error or failed load it meets are kept."""

    def __init__(self, browser: Browser, server: Served) -> None:
        self.server = server
        self.context: BrowserContext = browser.new_context(
            base_url=server.url, viewport=VIEWPORT, accept_downloads=True
        )
        self.context.set_default_timeout(20_000)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page: Page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        # a page the server answers with 4xx on purpose (a refused form) is logged as a
        # failed load
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(message.text)

    def sign_in(self, who: str, path: str) -> Page:
        """Sign in on /login as ``who`` (a key of the server's accounts) and land on
        ``path``, as following a link to it signed out does."""
        email, password = self.server.accounts[who]
        page = self.page
        page.goto(path)
        page.wait_for_url(f"**/login?next={path}")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"**{path}")
        return page

    def offsite(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(f"{self.server.url}/")]


@pytest.fixture
def visitor(browser: Browser, server: Served) -> Iterator[Callable[[], Visitor]]:
    """Opens a browser of its own for each person of a journey, closed at the end; no page
    of the journey met a script error or asked anything of another address."""
    opened: list[Visitor] = []

    def open_one() -> Visitor:
        opened.append(Visitor(browser, server))
        return opened[-1]

    yield open_one
    for one in opened:
        one.context.close()
    assert [e for one in opened for e in one.errors] == []
    assert [u for one in opened for u in one.offsite()] == []


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(DOCS / f"platform-{name}.png"), full_page=True)


def register_cells(page: Page) -> list[list[str]]:
    """The register's rows as a reader sees them: each cell's field value or text."""
    cells: list[list[str]] = page.locator("#rows").evaluate(
        """table => Array.from(table.tBodies[0].rows).map(row => Array.from(row.cells).map(
            cell => { const field = cell.querySelector("input:not([type=hidden])");
                      return field ? field.value : cell.innerText.trim(); }))"""
    )
    return cells


def row_cells(row: Locator) -> dict[str, str]:
    """A table row's cells by the headings of its columns."""
    found: dict[str, str] = row.evaluate(
        """row => { const heads = Array.from(row.closest("table").tHead.rows[0].cells);
                    return Object.fromEntries(heads.map((head, i) =>
                        [head.innerText.trim(), row.cells[i].innerText.trim()])); }"""
    )
    return found


def table_rows(table: Locator) -> list[dict[str, str]]:
    """A table's rows, each as its cells by the headings of their columns."""
    found: list[dict[str, str]] = table.evaluate(
        """table => { const heads = Array.from(table.tHead.rows[0].cells).map(
                          head => head.innerText.trim());
                      return Array.from(table.tBodies[0].rows).map(row => Object.fromEntries(
                          heads.map((head, i) => [head, row.cells[i].innerText.trim()]))); }"""
    )
    return found


def value(cells: dict[str, str]) -> str:
    """A candidate's value a year, in the park's currency (a column ``value_eur``,
    ``value_dkk``...)."""
    (found,) = (v for k, v in cells.items() if re.fullmatch("value_[a-z]{3}", k))
    return found


def download(page: Page, link: str) -> bytes:
    with page.expect_download() as started:
        page.get_by_role("link", name=link, exact=True).click()
    return Path(started.value.path()).read_bytes()


def upload(page: Page, name: str, content: bytes) -> None:
    page.locator("input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": content}]
    )
    page.get_by_role("button", name="Upload", exact=True).click()


def run_jobs(page: Page, *titles: str) -> list[int]:
    """Start analyses from the analyses page, by their buttons; the new jobs' ids."""
    ids = []
    for title in titles:
        before = page.locator("tr[data-job]").count()
        page.get_by_role("button", name=title, exact=True).click()
        page.wait_for_function(f"document.querySelectorAll('tr[data-job]').length > {before}")
        ids.append(max(int(str(r.get_attribute("data-job"))) for r in _job_rows(page)))
    return ids


def _job_rows(page: Page) -> list[Locator]:
    return page.locator("tr[data-job]").all()


def wait_until_done(page: Page, job: int) -> None:
    page.wait_for_function(
        f"document.querySelector('tr[data-job=\"{job}\"]').dataset.status === 'done'",
        timeout=JOB_SECONDS * 1000,
    )


def test_a_partner_edits_its_stream_and_a_bad_value_is_shown_beside_its_field(
    visitor: Callable[[], Visitor],
) -> None:
    from playwright.sync_api import expect

    page = visitor().sign_in("novo_nordisk", "/parks/1/tables/streams")
    quantity = page.get_by_label("novo_yeast quantity")
    before = float(quantity.input_value())
    # another partner's streams are shown without a form
    assert page.locator("#row-asnaes_steam input").count() == 0
    expect(page.locator("#row-asnaes_steam")).to_contain_text("Process steam")
    changed = before + 25_000
    quantity.fill(f"{changed:.0f}")
    page.locator("#form-novo_yeast").get_by_role("button", name="Save").click()
    page.wait_for_url("**/parks/1/tables/streams#row-novo_yeast")
    page.reload()
    assert float(page.get_by_label("novo_yeast quantity").input_value()) == changed

    # a negative quantity: refused, every reason beside the field, nothing changed
    shown = register_cells(page)
    page.get_by_label("novo_yeast quantity").fill("-5")
    page.locator("#form-novo_yeast").get_by_role("button", name="Save").click()
    beside = page.locator("#row-novo_yeast td").filter(has=page.get_by_label("novo_yeast quantity"))
    expect(beside.locator(".error")).to_contain_text("-5 is below 0")
    expect(beside.locator(".error")).to_contain_text("more than its -5")
    assert page.locator("#row-novo_yeast .error").count() == 1  # on that field only
    screenshot(page, "register-error")
    page.goto("/parks/1/tables/streams")
    assert register_cells(page) == shown
    stored = page.request.get("/api/parks/1/streams").json()
    assert next(r for r in stored if r["id"] == "novo_yeast")["quantity"] == changed


def test_a_file_with_two_bad_rows_lists_both_and_imports_nothing(
    visitor: Callable[[], Visitor],
) -> None:
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    # a partner: its own streams, taken from the park's workbook, as streams.csv
    page = visitor().sign_in("novo_nordisk", "/parks/1/tables/streams")
    shown = register_cells(page)
    book = load_workbook(io.BytesIO(download(page, "xlsx")))
    sheet = book["streams"]
    header = [str(c.value) for c in sheet[1]]
    own = [
        ["" if v is None else str(v) for v in row]
        for row in sheet.iter_rows(min_row=2, values_only=True)
        if row[header.index("site")] == "novo_site"
    ]
    assert len(own) >= 3
    quantity = header.index("quantity")
    own[0][quantity], own[2][quantity] = "lots", "-3"  # the file's rows 2 and 4
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([header, *own])
    upload(page, "streams.csv", text.getvalue().encode())
    problems = page.locator(".problems")
    expect(problems).to_contain_text("Nothing was changed")
    expect(problems).to_contain_text("streams.csv:2:quantity: 'lots' is not a number")
    expect(problems).to_contain_text("streams.csv:4:quantity: -3 is below 0")
    assert register_cells(page) == shown
    page.goto("/parks/1/tables/streams")
    assert register_cells(page) == shown
    # the partner's workbook, two of its own rows made bad: both listed, nothing imported
    rows = {sheet.cell(row=r, column=1).value: r for r in range(2, sheet.max_row + 1)}
    mine = [i for i, r in rows.items() if str(i).startswith("novo_")]
    sheet.cell(row=rows[mine[0]], column=quantity + 1, value="lots")
    sheet.cell(row=rows[mine[2]], column=quantity + 1, value=-3)
    changed = io.BytesIO()
    book.save(changed)
    upload(page, "novo.xlsx", changed.getvalue())
    problems = page.locator(".problems")
    expect(problems).to_contain_text(
        f"novo.xlsx[streams]:{rows[mine[0]]}:quantity: 'lots' is not a number"
    )
    expect(problems).to_contain_text(f"novo.xlsx[streams]:{rows[mine[2]]}:quantity: -3 is below 0")
    page.goto("/parks/1/tables/streams")
    assert register_cells(page) == shown

    # the secretariat: the whole park's workbook
    page = visitor().sign_in("secretariat", "/parks/1/tables/streams")
    shown = register_cells(page)
    book = load_workbook(io.BytesIO(download(page, "xlsx")))
    sheet = book["streams"]
    quantity = [c.value for c in sheet[1]].index("quantity") + 1
    sheet.cell(row=3, column=quantity, value="lots")
    sheet.cell(row=5, column=quantity, value=-1)
    changed = io.BytesIO()
    book.save(changed)
    upload(page, "kalundborg.xlsx", changed.getvalue())
    problems = page.locator(".problems")
    expect(problems).to_contain_text("kalundborg.xlsx[streams]:3:quantity: 'lots' is not a number")
    expect(problems).to_contain_text("kalundborg.xlsx[streams]:5:quantity: -1 is below 0")
    assert register_cells(page) == shown
    page.goto("/parks/1/tables/streams")
    assert register_cells(page) == shown


def test_the_secretariat_runs_analyses_and_watches_them_to_the_end(
    visitor: Callable[[], Visitor],
) -> None:
    from playwright.sync_api import expect

    browser = visitor()
    page = browser.sign_in("secretariat", "/parks/1/analyses")
    discovery, design = run_jobs(page, "Run discovery", "Run design")
    row = page.locator(f'tr[data-job="{design}"]')
    # design waits for discovery: the page shows it unfinished, and from here on only
    # the page's script changes it
    assert row.get_attribute("data-status") in ("queued", "running")
    expect(row.locator(".status")).to_have_text(re.compile("queued|running"))
    page.evaluate(
        """() => { window.seen = [];
        new MutationObserver(() => document.querySelectorAll("tr[data-job]").forEach(
            row => window.seen.push(row.dataset.job + ":" + row.dataset.status)))
        .observe(document.querySelector("table.jobs"),
                 { subtree: true, childList: true, characterData: true, attributes: true }); }"""
    )
    if SCREENSHOTS:
        try:
            page.wait_for_function(
                f"document.querySelector('tr[data-job=\"{design}\"]').dataset.status === 'running'",
                timeout=JOB_SECONDS * 1000,
            )
        finally:
            screenshot(page, "analyses")
    for job in (discovery, design):
        wait_until_done(page, job)
    seen = page.evaluate("window.seen")
    assert seen is not None, "the page was loaded again"
    assert f"{design}:done" in seen
    for job in (discovery, design):
        done = page.locator(f'tr[data-job="{job}"]')
        expect(done.locator(".status")).to_have_text("done")
        assert done.locator("progress").evaluate("bar => bar.value") == 1
        expect(done.get_by_role("button", name="Cancel")).to_have_count(0)
    assert any(url.endswith(f"/api/jobs/{design}") for url in browser.requests)

    page.get_by_role("link", name=f"#{discovery}", exact=True).click()
    page.wait_for_url(f"**/parks/1/jobs/{discovery}")
    expect(page.locator("h1")).to_have_text(f"Kalundborg Symbiosis: discover #{discovery}")
    expect(page.locator("main .status")).to_have_text("done")
    first = page.locator("section", has=page.get_by_role("heading", name="candidates"))
    expect(first.locator("tbody tr").first).to_contain_text("asnaes_dh")


def test_two_partners_are_revealed_to_each_other_only_when_both_agree(
    visitor: Callable[[], Visitor],
) -> None:
    from playwright.sync_api import expect

    secretariat = visitor().sign_in("secretariat", "/parks/1/analyses")
    (discovery,) = run_jobs(secretariat, "Run discovery")
    wait_until_done(secretariat, discovery)
    # the new link from the town's treated lake water to Novo Nordisk's cooling, 15.5 km:
    # each partner sees it as the how-manieth of the candidates involving it
    secretariat.goto("/parks/1/candidates")
    listed = table_rows(secretariat.locator("table.candidates"))
    pick = next(
        c for c in listed if (c["supply"], c["demand"]) == ("tisso_treated", "novo_cooling")
    )
    assert (pick["supplier"], pick["receiver"]) == ("forsyning", "novo_nordisk")
    assert (pick["supplier_agrees"], pick["receiver_agrees"]) == ("no", "no")
    assert all(re.fullmatch(r"-?[\d,.]+", value(c)) for c in listed)

    def number(actor: str) -> int:
        return [c for c in listed if actor in (c["supplier"], c["receiver"])].index(pick) + 1

    novo = visitor().sign_in("novo_nordisk", "/parks/1/candidates")
    forsyning = visitor().sign_in("forsyning", "/parks/1/candidates")
    sides = {
        "novo": (novo, number("novo_nordisk"), "Kalundborg Forsyning"),
        "forsyning": (forsyning, number("forsyning"), "Novo Nordisk"),
    }

    def seen(side: str) -> dict[str, str]:
        """The candidate on the side's own page, checked to be the one picked."""
        page, numbered, _ = sides[side]
        rows = page.locator("table.candidates tbody tr")
        row = rows.filter(has=page.locator("td:first-child", has_text=re.compile(f"^{numbered}$")))
        expect(row).to_have_count(1)
        cells = row_cells(row)
        own = {
            "novo": ("receiver", "demand", "novo_cooling"),
            "forsyning": ("supplier", "supply", "tisso_treated"),
        }
        role, column, stream = own[side]
        assert (cells["role"], cells[column], cells["resource"]) == (
            role,
            stream,
            "treated_surface_water",
        )
        return cells

    def agree(side: str) -> None:
        page, numbered, _ = sides[side]
        row = page.locator("table.candidates tbody tr").filter(
            has=page.locator("td:first-child", has_text=re.compile(f"^{numbered}$"))
        )
        row.get_by_role("button", name="Agree to be revealed").click()
        page.wait_for_url("**/parks/1/candidates")
        expect(row.get_by_role("button", name="Withdraw consent")).to_be_visible()

    for side, verb in (("novo", "supply"), ("forsyning", "take")):
        cells = seen(side)
        assert cells["partner_name"] == "" and cells["revealed"] == "no" and cells["agreed"] == "no"
        assert cells["explanation"].startswith(f"a partner about 15 km away could {verb} about")
        assert sides[side][2] not in " ".join(cells.values())
        assert re.fullmatch(r"-?[\d,.]+", value(cells))
        assert "novo_cooling" not in cells["explanation"] and "tisso" not in cells["explanation"]
    screenshot(novo, "candidates")

    agree("novo")
    mine = seen("novo")
    assert mine["agreed"] == "yes" and mine["revealed"] == "no" and mine["partner_name"] == ""
    forsyning.reload()
    theirs = seen("forsyning")
    assert theirs["agreed"] == "no" and theirs["partner_name"] == ""
    assert "Novo Nordisk" not in " ".join(theirs.values())

    agree("forsyning")
    theirs = seen("forsyning")
    assert (theirs["partner_name"], theirs["revealed"]) == ("Novo Nordisk", "yes")
    novo.reload()
    mine = seen("novo")
    assert (mine["partner_name"], mine["revealed"]) == ("Kalundborg Forsyning", "yes")

    # the secretariat sees both sides' consent on that candidate
    secretariat.reload()
    after = table_rows(secretariat.locator("table.candidates"))
    agreed = next(
        c for c in after if (c["supply"], c["demand"]) == ("tisso_treated", "novo_cooling")
    )
    assert (agreed["supplier_agrees"], agreed["receiver_agrees"]) == ("yes", "yes")


def test_the_public_page_shows_the_park_in_aggregate_only(
    visitor: Callable[[], Visitor],
) -> None:
    from playwright.sync_api import expect

    page = visitor().page
    page.goto("/public/parks/1")
    expect(page.locator("h1")).to_have_text("Kalundborg Symbiosis")
    headings = page.locator("main h2").all_inner_texts()
    assert headings == ["Key figures", "Exchanges by resource", "Map", "Flows"]
    figures = page.locator("table.figures").first
    expect(figures).to_contain_text("CO2e (t/yr)")
    expect(figures).to_contain_text(re.compile(r"net saving \((EUR|DKK)/yr\)"))
    by_resource = {
        cells["Resource"]: cells
        for cells in (
            row_cells(r) for r in page.locator("main table").nth(1).locator("tbody tr").all()
        )
    }
    # exchanges.csv: steam from Asnæs to Novo Nordisk (215,000 t) and Novonesis (100,000 t)
    steam = by_resource["steam_mp"]
    assert (steam["Exchanges"], steam["Amount"], steam["Unit"]) == ("2", "315,000", "t")
    assert by_resource["yeast_slurry"]["Amount"] == "150,000"
    page.locator("#map .main-svg").first.wait_for()
    expect(page.locator("#sankey .sankey")).to_have_count(3)  # water, energy, material
    text = page.locator("main").inner_text()
    assert "Your figures" not in text and "novo_steam" not in text
    links = {str(a.get_attribute("href")) for a in page.locator("a").all()}
    assert links <= {"/", "/login"}
    screenshot(page, "public")
    # signed out, a park's own pages lead to signing in
    for path in ("/parks/1", "/parks/1/tables/streams", "/parks/1/candidates"):
        page.goto(path)
        page.wait_for_url(f"**/login?next={path}")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_the_dashboard_draws_its_figures_from_the_server_alone(
    visitor: Callable[[], Visitor], server: Served
) -> None:
    from playwright.sync_api import Route, expect

    browser = visitor()
    refused: list[str] = []

    def only_the_server(route: Route) -> None:
        if route.request.url.startswith(f"{server.url}/"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    browser.context.route("**/*", only_the_server)
    page = browser.sign_in("secretariat", "/parks/1")
    expect(page.locator("h1")).to_have_text("Kalundborg Symbiosis")
    figures = page.locator("table.figures").first
    expect(figures).to_contain_text("CO2e (t/yr)")
    expect(figures).to_contain_text(re.compile(r"net saving \((EUR|DKK)/yr\)"))
    page.locator("#map .main-svg").first.wait_for()
    legend = [t.text_content() for t in page.locator("#map .legendtext").all()]
    assert {"land", "sea and lakes", "sites"} <= set(legend)
    expect(page.locator("#map .annotation-text")).to_contain_text("GSHHG")
    expect(page.locator("#sankey .sankey")).to_have_count(3)
    assert any(url.endswith("/static/plotly.min.js") for url in browser.requests)
    screenshot(page, "dashboard")
    assert refused == []


def _funnel(page: Page) -> dict[str, int]:
    return {r["Stage"]: int(r["Synergies"]) for r in table_rows(page.locator("table.funnel"))}


def test_a_partner_proposes_a_synergy_and_the_secretariat_brings_it_to_operation(
    visitor: Callable[[], Visitor],
) -> None:
    from playwright.sync_api import expect

    partner = visitor().sign_in("novo_nordisk", "/parks/1/synergies")
    token = str(partner.locator("meta[name=csrf-token]").get_attribute("content"))
    condensate = {
        "id": "novo_condensate",
        "site": "novo_site",
        "direction": "supply",
        "resource": "flue_gas_condensate",
        "quantity": 10000,
        "unit": "m3/yr",
    }
    added = partner.request.post(
        "/api/parks/1/streams", data=condensate, headers={"X-CSRF-Token": token}
    )
    assert added.ok, added.text()
    before = _funnel(partner)
    title = "Novo Nordisk condensate as boiler feed water"
    form = partner.locator("#propose")
    form.get_by_label("Title").fill(title)
    form.get_by_label("Supply stream").fill("novo_condensate")
    form.get_by_label("Demand stream").fill("refinery_boiler_water")
    form.get_by_label("Partners (ids separated by ;)").fill("novo_nordisk; refinery")
    form.get_by_label("Quantity").fill("10000")
    form.get_by_label("Unit").fill("m3/yr")
    form.get_by_label("Next step").fill("Sample the condensate")
    form.get_by_role("button", name="Propose").click()
    partner.wait_for_url("**/parks/1/synergies")
    assert _funnel(partner)["idea"] == before["idea"] + 1
    idea = partner.locator('section.stage[data-stage="idea"]')
    expect(idea).to_contain_text(title)
    assert partner.get_by_role("button", name="Move").count() == 0  # the secretariat's

    page = visitor().sign_in("secretariat", "/parks/1/synergies")
    before = _funnel(page)  # the secretariat sees every partner's synergies
    card = page.locator("li.project").filter(has_text=title)
    project = str(card.get_attribute("id")).removeprefix("project-")

    def move(stage: str, **dates: str) -> None:
        card = page.locator(f"#project-{project}")
        card.locator("summary").click()
        card.get_by_label("To").select_option(stage)
        for label, day in dates.items():
            card.get_by_label(label.replace("_", " ").capitalize()).fill(day)
        card.get_by_role("button", name="Move").click()

    today = str(page.evaluate("new Date().toISOString().slice(0, 10)"))
    move("operating")
    expect(page.locator(".problems")).to_contain_text("agreement before operating")
    expect(page.locator(".problems")).to_contain_text("no agreement date and no start date")
    assert _funnel(page)["operating"] == before["operating"]
    for stage in ("screening", "feasibility", "agreement", "implementation"):
        move(stage, **({"agreement_date": today} if stage == "agreement" else {}))
        page.wait_for_url(f"**/parks/1/synergies#project-{project}")
        expect(page.locator(f'section.stage[data-stage="{stage}"]')).to_contain_text(title)
    move("operating", start_date=today)
    page.wait_for_url(f"**/parks/1/synergies#project-{project}")
    after = _funnel(page)
    assert after["operating"] == before["operating"] + 1 and after["idea"] == before["idea"] - 1
    times = {r["Synergy"]: r for r in table_rows(page.locator("table.times"))}
    assert times[title]["Days"] == "0" and times[title]["Operating"] == today
    expect(page.locator("#median-days")).to_contain_text("days")
    screenshot(page, "synergies")
    exchanges = page.request.get("/api/parks/1/exchanges").json()
    made = [e for e in exchanges if e["supply"] == "novo_condensate"]
    assert [(e["demand"], e["status"]) for e in made] == [("refinery_boiler_water", "operating")]


def test_the_secretariat_uploads_a_year_of_readings_and_reads_the_verified_account(
    visitor: Callable[[], Visitor], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    from symbionet.metering.synthetic import synthetic_year
    from symbionet.register.park import load_park

    made = synthetic_year(load_park(ROOT / "examples" / "kalundborg"), year=2024, seed=11)
    scada = made.write(tmp_path / "scada.csv")
    page = visitor().sign_in("secretariat", "/parks/1/account")
    page.goto("/parks/1/account?year=2024")
    page.get_by_label("Readings file").set_input_files(
        files=[{"name": "scada.csv", "mimeType": "text/csv", "buffer": scada.read_bytes()}]
    )
    page.get_by_role("button", name="Upload readings").click()
    page.locator("#flags").wait_for()
    expect(page.locator(".notice")).to_contain_text("readings of scada.csv")
    flags = {r["meter"]: r for r in table_rows(page.locator("#flags table"))}
    for fault in made.faults.itertuples():
        assert int(flags[fault.meter][fault.fault.replace("_", " ")].replace(",", "")) >= 1, fault
    page.goto("/parks/1/account?year=2024")
    expect(page.locator("main")).to_contain_text("of the net saving is verified by readings")
    verified = {r["exchange"]: r for r in table_rows(page.locator("#verified table"))}
    for exchange, truth in made.truth.iterrows():
        assert float(verified[exchange]["measured"].replace(",", "")) == pytest.approx(
            truth["valid"], rel=1e-4
        )
    screenshot(page, "account")
