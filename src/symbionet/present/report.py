"""The park report: one self-contained HTML file (no remote scripts or fonts)."""

from __future__ import annotations

import html
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from symbionet import (
    Assessment,
    DesignResult,
    DiscoveryResult,
    ImpactResult,
    Park,
    ShareResult,
    StressResult,
    SymbionetError,
    impact,
)
from symbionet.assessment.accounting import METHOD, negative_figures
from symbionet.present.tables import Money, html_table, number, unit
from symbionet.register.write import replacing, write_text

CLASS_COLOURS = {"water": "#1f77b4", "energy": "#d62728", "material": "#8c564b"}
CLASS_UNITS = {"water": "m3", "energy": "MWh", "material": "t"}
STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:2rem auto;
max-width:1200px;color:#222;line-height:1.45;padding:0 1rem}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #eee;padding-bottom:.2rem;margin-top:2.2rem}
.muted{color:#666}.cards{display:flex;flex-wrap:wrap;gap:1rem}
.card{border:1px solid #ddd;border-radius:8px;padding:.8rem 1rem;min-width:180px}
.card b{display:block;font-size:1.5rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border-bottom:1px solid #eee;padding:.25rem .6rem;text-align:right}
th:first-child,td:first-child,th.text,td.text{text-align:left}thead th{background:#fafafa}
"""


HIDDEN = ["basis", "reference", "uncertainty", "supplier_co2e_t", "receiver_co2e_t"]
"""Columns of the impact per exchange left out of the report's table."""


@dataclass
class Section:
    """A titled block of the report: ``body`` writes its HTML, amounts in the currency given
    (the report gives its park's)."""

    title: str
    body: Callable[[Money], str]
    anchor: str


def _table(frame: pd.DataFrame, money: Money) -> str:
    """A yearly table, amounts in the park's currency."""
    return html_table(money.frame(frame), period="yr")


def _figure(fig: go.Figure, name: str) -> str:
    fig.update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 10}, template="plotly_white")
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=name)


def site_map(
    park: Park, candidates: pd.DataFrame | None = None, design: pd.DataFrame | None = None
) -> go.Figure:
    """Sites and exchanges over land and water (see ``maps.park_map``; no map tiles needed)."""
    from symbionet.present.maps import park_map

    return park_map(park, candidates, design)


def flow_sankey(park: Park, result: ImpactResult) -> go.Figure:
    """Sankey of the flows from suppliers (left) to receivers (right), one panel per resource
    class in its common unit."""
    table = result.exchanges
    classes_of = table["resource"].map(lambda r: park.catalogue.resources[r].resource_class)
    names = park.actors["name"]
    classes = [c for c in CLASS_COLOURS if (classes_of == c).any()]
    fig = go.Figure()
    for position, cls in enumerate(classes):
        chosen = table[classes_of == cls]
        suppliers = list(dict.fromkeys(chosen["supplier"]))
        receivers = list(dict.fromkeys(chosen["receiver"]))
        amounts = chosen["energy_mwh"] if cls == "energy" else chosen["amount"]
        fig.add_trace(
            go.Sankey(
                domain={
                    "x": [position / len(classes) + 0.01, (position + 1) / len(classes) - 0.01]
                },
                node={
                    "label": [names.get(a, a) for a in [*suppliers, *receivers]],
                    "pad": 12,
                    "thickness": 14,
                },
                link={
                    "source": [suppliers.index(a) for a in chosen["supplier"]],
                    "target": [len(suppliers) + receivers.index(a) for a in chosen["receiver"]],
                    "value": amounts.tolist(),
                    "label": [
                        f"{r}: {number(v)} {u}/yr"
                        for r, v, u in zip(
                            chosen["resource"], chosen["amount"], chosen["unit"], strict=True
                        )
                    ],
                    "color": CLASS_COLOURS[cls] + "88",
                },
                name=cls,
            )
        )
    fig.update_layout(
        title="Flows from suppliers (left) to receivers (right): "
        + ", ".join(f"{c} ({CLASS_UNITS[c]}/yr)" for c in classes),
        height=560,
    )
    return fig


CARDS = {
    "co2e_t": "CO2e avoided",
    "groundwater_m3": "Groundwater saved",
    "virgin_material_t": "Virgin materials avoided",
    "waste_diverted_t": "Waste diverted",
    "energy_mwh": "Energy supplied",
    "net_saving_eur": "Net saving",
}
"""The park totals shown as cards, by the name of their row."""


def _cards(result: ImpactResult, money: Money) -> str:
    totals = money.frame(result.park, rows=True)
    cards = []
    for key, label in CARDS.items():
        name = money.name(key)
        row = totals.loc[name]
        cards.append(
            f'<div class="card">{html.escape(label)}<b>{number(row["central"])}</b>'
            f'<span class="muted">{html.escape(unit(name, "yr") or "")}, range '
            f"{number(row['low'])} to {number(row['high'])}</span></div>"
        )
    return '<div class="cards">' + "".join(cards) + "</div>"


def _references(park: Park, result: ImpactResult) -> str:
    used: set[str] = set()
    for text in result.exchanges["basis"]:
        used.update(
            part.split("(")[-1].rstrip(")")
            for part in str(text).replace("|", ";").split(";")
            if "(" in part
        )
    rows = [
        f"<li><code>{html.escape(key)}</code>: {html.escape(ref.title)}"
        f"{', ' + str(ref.year) if ref.year else ''}"
        f"{', ' + html.escape(ref.url) if ref.url else ''}</li>"
        for key, ref in sorted(park.catalogue.references.items())
        if key in used
    ]
    return "<ul>" + "".join(rows) + "</ul>"


def _partner_notes(park: Park, result: ImpactResult) -> str:
    """How money moves between partners, and why any partner's figure is negative."""
    notes = negative_figures(result, park.catalogue, Money.of(park).amount)
    items = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
    why = f"<p>Negative figures:</p><ul>{items}</ul>" if notes else ""
    return f"<p>Money between partners: {html.escape(result.assumptions['transfers'])}.</p>{why}"


def render(
    park: Park, result: ImpactResult | None = None, extra: list[Section] | None = None
) -> str:
    """The report as one HTML document."""
    impacts = result or impact(park)
    money = Money.of(park)
    sections = [
        Section("Key figures", lambda m: _cards(impacts, m), "kpis"),
        Section("Map", lambda _: _figure(site_map(park), "map-figure"), "map"),
        Section("Flows", lambda _: _figure(flow_sankey(park, impacts), "sankey-figure"), "sankey"),
        Section(
            "Per partner",
            lambda m: _table(impacts.partners, m) + _partner_notes(park, impacts),
            "partners",
        ),
        Section(
            "Per exchange",
            lambda m: _table(impacts.exchanges.drop(columns=HIDDEN), m),
            "exchanges",
        ),
        *(extra or []),
        Section(
            "Method and data",
            lambda m: (
                f"<p>{html.escape(METHOD)}</p><p>Park data: "
                f"<code>{html.escape(park.source)}</code>; {html.escape(park.catalogue.label)}; "
                f"figures per year in {m.currency} "
                f"(discount rate {impacts.assumptions['discount_rate']:.0%}).</p>"
                f"<h3>Sources of the factors used</h3>{_references(park, impacts)}"
            ),
            "method",
        ),
    ]
    contents = "".join(
        f'<li><a href="#{s.anchor}">{html.escape(s.title)}</a></li>' for s in sections
    )
    body = "".join(
        f'<h2 id="{s.anchor}">{html.escape(s.title)}</h2>{s.body(money)}' for s in sections
    )
    description = html.escape(str(park.meta.get("description", "")))
    note = money.note()
    rate = f"<p class='muted'>{html.escape(note)}</p>" if note else ""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(park.name)}: symbiosis report</title><style>{STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f"<h1>{html.escape(park.name)}</h1><p class='muted'>Symbiosis report, "
        f"{date.today():%d %B %Y}. {description}</p>{rate}<ul>{contents}</ul>{body}</body></html>"
    )


def share_section(result: ShareResult) -> Section:
    """Benefit shares and whether they are stable."""
    return Section("Benefit shares", lambda money: _shares(result, money), "shares")


def _shares(result: ShareResult, money: Money) -> str:
    if result.in_core:
        verdict = "The split is in the core: no group of partners would gain by going alone."
    elif result.in_core is False:
        verdict = (
            f"The split is not in the core: {', '.join(result.worst_coalition)} could gain "
            f"{money.amount(result.worst_shortfall or 0.0, 'yr')} on their own."
        )
    else:
        verdict = result.note
    return (
        f"<p>Saving of the whole park: <b>{money.amount(result.grand_value, 'yr')}</b>, split "
        f"by the {html.escape(result.method)} method over {len(result.table)} partners "
        f"({result.coalitions_solved} coalition values). {html.escape(verdict)}</p>"
        + _table(result.table, money)
    )


def stress_section(result: StressResult) -> Section:
    """Partners ranked by what their departure costs the others."""
    return Section("Resilience", lambda money: _stress(result, money), "resilience")


def _stress(result: StressResult, money: Money) -> str:
    return (
        "<p>Each partner removed in turn, the rest re-optimised: extra cost and CO2e for the "
        "partners who remain, and beside it the exchange-network metrics.</p>"
        + _table(result.ranking, money)
        + "<h3>Who is hit</h3>"
        + _table(result.partners, money)
        + "<h3>Network metrics</h3>"
        + html_table(result.graph)
    )


CANDIDATE_COLUMNS = ["supplier", "receiver", "resource", "replaces", "quantity", "unit", "mode"]
CANDIDATE_COLUMNS += ["distance_km", "co2e_t", "value_eur", "existing"]
"""Columns of the candidate exchanges shown in the report."""
BUILT_COLUMNS = ["kind", "from", "to", "resource", "status", "km", "capex_eur", "annual"]
"""Columns of what the best design builds and uses."""


def discovery_section(result: DiscoveryResult) -> Section:
    """The best candidate exchanges, each explained in a sentence."""
    return Section("Candidate exchanges", lambda money: _discovery(result, money), "discovery")


def _discovery(result: DiscoveryResult, money: Money) -> str:
    table = result.candidates
    reasons = "".join(
        f"<li>{html.escape(str(line))}</li>" for line in table["explanation"].to_numpy()
    )
    return (
        f"<p>The best {len(table)} of {result.found} candidate exchanges between the partners' "
        "streams, ranked by what they would save each year; those marked existing are in "
        "the park already.</p>" + _table(table[CANDIDATE_COLUMNS], money) + f"<ol>{reasons}</ol>"
    )


def design_section(result: DesignResult) -> Section:
    """What the best network builds and uses, against the no-symbiosis baseline."""
    return Section("Best design", lambda money: _design(result, money), "design")


def _design(result: DesignResult, money: Money) -> str:
    kpis = pd.DataFrame(
        {"design": result.kpis, "baseline": result.baseline, "saving": result.savings}
    ).rename_axis("key figure")
    built = result.built[result.built["built"]]
    return (
        f"<p>The network at least {html.escape(result.objective_name)}, existing exchanges "
        f"and candidates together (status {html.escape(result.status)}, gap "
        f"{number(result.gap)}): what it builds and uses, and its key figures against the "
        "park with no exchange at all.</p>"
        + html_table(money.frame(kpis, rows=True), period="yr", row_units=True)
        + _table(built[BUILT_COLUMNS], money)
    )


def assessment_sections(assessment: Assessment) -> list[Section]:
    """The sections that follow the impact: discovery, design, shares and resilience."""
    return [
        discovery_section(assessment.discovery),
        design_section(assessment.design),
        share_section(assessment.shares),
        stress_section(assessment.resilience),
    ]


def write_report(
    park: Park, out: Path, pdf: bool = False, assessment: Assessment | None = None
) -> Path:
    """Write ``report.html`` (and ``report.pdf`` with a local Chromium) into ``out``: the
    impact of the park's exchanges and, given its ``assessment``, what discovery, design,
    benefit sharing and the stress test found."""
    target = out / "report.html"
    if assessment is None:
        page = render(park)
    else:
        page = render(park, assessment.impact, assessment_sections(assessment))
    write_text(target, page)
    if pdf:
        browser = (
            shutil.which("chromium")
            or shutil.which("chromium-browser")
            or shutil.which("google-chrome")
        )
        if browser is None:
            raise SymbionetError("--pdf needs Chromium (apt-get install chromium)")
        with replacing(out / "report.pdf") as staged:
            printed = _print_pdf(browser, target, staged)
            if printed.returncode or not staged.exists():
                message = printed.stderr.decode(errors="replace")[-500:]
                raise SymbionetError(f"Chromium could not print the PDF: {message}")
    return target


def _print_pdf(browser: str, html_file: Path, pdf: Path) -> subprocess.CompletedProcess[bytes]:
    """Print an HTML file to PDF with a headless Chromium."""
    try:
        return subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                f"--print-to-pdf={pdf}",
                "--no-pdf-header-footer",
                html_file.resolve().as_uri(),
            ],
            check=False,
            capture_output=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        raise SymbionetError("Chromium took over 120 s to print the PDF") from None
