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
from symbionet.present.language import ENGLISH, Language, language_of
from symbionet.present.tables import Money, unit
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


def _table(frame: pd.DataFrame, money: Money, lang: Language = ENGLISH) -> str:
    """A yearly table, amounts in the park's currency, in the report's language."""
    return lang.table(money.frame(frame), period="yr")


def _figure(fig: go.Figure, name: str) -> str:
    fig.update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 10}, template="plotly_white")
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=name)


def site_map(
    park: Park, candidates: pd.DataFrame | None = None, design: pd.DataFrame | None = None
) -> go.Figure:
    """Sites and exchanges over land and water (see ``maps.park_map``; no map tiles needed)."""
    from symbionet.present.maps import park_map

    return park_map(park, candidates, design)


def flow_sankey(park: Park, result: ImpactResult, language: str = "en") -> go.Figure:
    """Sankey of the flows from suppliers (left) to receivers (right), one panel per resource
    class in its common unit, in ``language``."""
    lang = language_of(language)
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
                        f"{r}: {lang.number(v)} {lang.unit(u + '/yr')}"
                        for r, v, u in zip(
                            chosen["resource"], chosen["amount"], chosen["unit"], strict=True
                        )
                    ],
                    "color": CLASS_COLOURS[cls] + "88",
                },
                name=lang.value(cls),
            )
        )
    fig.update_layout(
        title=lang.text("flows_title")
        + ", ".join(f"{lang.value(c)} ({lang.unit(CLASS_UNITS[c] + '/yr')})" for c in classes),
        height=560,
        separators=lang.digits(".,"),
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


def _cards(result: ImpactResult, money: Money, lang: Language = ENGLISH) -> str:
    totals = money.frame(result.park, rows=True)
    cards = []
    for key in CARDS:
        name = money.name(key)
        row = totals.loc[name]
        scale = lang.html(
            "card_range",
            unit=lang.unit(unit(name, "yr") or ""),
            low=lang.number(row["low"]),
            high=lang.number(row["high"]),
        )
        cards.append(
            f'<div class="card">{lang.html("card_" + key)}<b>{lang.number(row["central"])}</b>'
            f'<span class="muted">{scale}</span></div>'
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


def _partner_notes(park: Park, result: ImpactResult, lang: Language = ENGLISH) -> str:
    """How money moves between partners, and why any partner's figure is negative."""
    notes = negative_figures(result, park.catalogue, lambda eur: lang.amount(Money.of(park), eur))
    items = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
    why = f"<p>{lang.html('negative_figures')}</p><ul>{items}</ul>" if notes else ""
    rule = result.assumptions["transfers"] if lang.english else lang.text("transfer_rule")
    return f"<p>{lang.html('money_between', rule=rule)}</p>{why}"


def _method(park: Park, result: ImpactResult, money: Money, lang: Language) -> str:
    """How the figures are worked out, the park's data and the sources of the factors."""
    discount = float(result.assumptions["discount_rate"])
    rate = f"{discount:.0%}" if lang.english else lang.percent(round(100 * discount, 2))
    data = lang.html(
        "method_data",
        source=park.source,
        catalogue=park.catalogue.label,
        currency=money.currency,
        rate=rate,
    )
    method = METHOD if lang.english else lang.text("method")
    return (
        f"<p>{html.escape(method)}</p><p>{data}</p>"
        f"<h3>{lang.html('sources')}</h3>{_references(park, result)}"
    )


def render(
    park: Park,
    result: ImpactResult | None = None,
    extra: list[Section] | None = None,
    language: str = "en",
) -> str:
    """The report as one HTML document, its fixed texts and numbers in ``language``
    (``en`` or ``da``)."""
    lang = language_of(language)
    impacts = result or impact(park)
    money = Money.of(park)
    sections = [
        Section(lang.text("key_figures"), lambda m: _cards(impacts, m, lang), "kpis"),
        Section(
            lang.text("map"),
            lambda _: _figure(_in_language(site_map(park), lang), "map-figure"),
            "map",
        ),
        Section(
            lang.text("flows"),
            lambda _: _figure(flow_sankey(park, impacts, language), "sankey-figure"),
            "sankey",
        ),
        Section(
            lang.text("per_partner"),
            lambda m: _table(impacts.partners, m, lang) + _partner_notes(park, impacts, lang),
            "partners",
        ),
        Section(
            lang.text("per_exchange"),
            lambda m: _table(impacts.exchanges.drop(columns=HIDDEN), m, lang),
            "exchanges",
        ),
        *(extra or []),
        Section(lang.text("method_and_data"), lambda m: _method(park, impacts, m, lang), "method"),
    ]
    contents = "".join(
        f'<li><a href="#{s.anchor}">{html.escape(s.title)}</a></li>' for s in sections
    )
    body = "".join(
        f'<h2 id="{s.anchor}">{html.escape(s.title)}</h2>{s.body(money)}' for s in sections
    )
    description = html.escape(str(park.meta.get("description", "")))
    note = lang.rate_note(money)
    rate = f"<p class='muted'>{html.escape(note)}</p>" if note else ""
    return (
        f"<!DOCTYPE html><html lang='{lang.code}'><head><meta charset='utf-8'>"
        f"<title>{lang.html('report_title', park=park.name)}</title><style>{STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f"<h1>{html.escape(park.name)}</h1><p class='muted'>"
        f"{lang.html('report_subtitle', date=lang.date(date.today()))} {description}</p>"
        f"{rate}<ul>{contents}</ul>{body}</body></html>"
    )


def _in_language(fig: go.Figure, lang: Language) -> go.Figure:
    """A figure's fixed texts (title, axis titles, legend) and number format in ``lang``."""
    if lang.english:
        return fig
    layout = fig.layout
    if layout.title.text:
        fig.update_layout(title_text=lang.figure_text(layout.title.text))
    for axis in (layout.xaxis, layout.yaxis):
        if axis.title.text:
            axis.title.text = lang.figure_text(axis.title.text)
    for trace in fig.data:
        if getattr(trace, "name", None):
            trace.name = lang.figure_text(trace.name)
    for note in layout.annotations or ():
        if note.text:
            note.text = lang.figure_text(note.text)
    fig.update_layout(separators=lang.digits(".,"))
    return fig


def share_section(result: ShareResult, language: str = "en") -> Section:
    """Benefit shares and whether they are stable."""
    lang = language_of(language)
    return Section(
        lang.text("benefit_shares"), lambda money: _shares(result, money, lang), "shares"
    )


def _shares(result: ShareResult, money: Money, lang: Language = ENGLISH) -> str:
    if result.in_core:
        verdict = lang.text("shares_in_core")
    elif result.in_core is False:
        verdict = lang.text(
            "shares_not_in_core",
            coalition=", ".join(result.worst_coalition),
            amount=lang.amount(money, result.worst_shortfall or 0.0, "yr"),
        )
    else:
        verdict = result.note
    summary = lang.html(
        "shares_summary",
        amount=lang.amount(money, result.grand_value, "yr"),
        method=result.method,
        partners=len(result.table),
        coalitions=lang.whole(result.coalitions_solved),
        verdict=verdict,
    )
    return f"<p>{summary}</p>" + _table(result.table, money, lang)


def stress_section(result: StressResult, language: str = "en") -> Section:
    """Partners ranked by what their departure costs the others."""
    lang = language_of(language)
    return Section(
        lang.text("resilience"), lambda money: _stress(result, money, lang), "resilience"
    )


def _stress(result: StressResult, money: Money, lang: Language = ENGLISH) -> str:
    return (
        f"<p>{lang.html('stress_intro')}</p>"
        + _table(result.ranking, money, lang)
        + f"<h3>{lang.html('who_is_hit')}</h3>"
        + _table(result.partners, money, lang)
        + f"<h3>{lang.html('network_metrics')}</h3>"
        + lang.table(result.graph)
    )


CANDIDATE_COLUMNS = ["supplier", "receiver", "resource", "replaces", "quantity", "unit", "mode"]
CANDIDATE_COLUMNS += ["distance_km", "co2e_t", "value_eur", "existing"]
"""Columns of the candidate exchanges shown in the report."""
BUILT_COLUMNS = ["kind", "from", "to", "resource", "status", "km", "capex_eur", "annual"]
"""Columns of what the best design builds and uses."""


def discovery_section(result: DiscoveryResult, language: str = "en") -> Section:
    """The best candidate exchanges, each explained in a sentence."""
    lang = language_of(language)
    return Section(
        lang.text("candidate_exchanges"),
        lambda money: _discovery(result, money, lang),
        "discovery",
    )


def _discovery(result: DiscoveryResult, money: Money, lang: Language = ENGLISH) -> str:
    table = result.candidates
    reasons = "".join(
        f"<li>{html.escape(str(line))}</li>" for line in table["explanation"].to_numpy()
    )
    intro = lang.html("discovery_intro", shown=len(table), found=lang.whole(result.found))
    return f"<p>{intro}</p>" + _table(table[CANDIDATE_COLUMNS], money, lang) + f"<ol>{reasons}</ol>"


def design_section(result: DesignResult, language: str = "en") -> Section:
    """What the best network builds and uses, against the no-symbiosis baseline."""
    lang = language_of(language)
    return Section(lang.text("best_design"), lambda money: _design(result, money, lang), "design")


def _design(result: DesignResult, money: Money, lang: Language = ENGLISH) -> str:
    kpis = pd.DataFrame(
        {"design": result.kpis, "baseline": result.baseline, "saving": result.savings}
    ).rename_axis("key figure")
    built = result.built[result.built["built"]]
    intro = lang.html(
        "design_intro",
        objective=lang.value(result.objective_name),
        status=result.status,
        gap=lang.number(result.gap),
    )
    return (
        f"<p>{intro}</p>"
        + lang.table(money.frame(kpis, rows=True), period="yr", row_units=True)
        + _table(built[BUILT_COLUMNS], money, lang)
    )


def assessment_sections(assessment: Assessment, language: str = "en") -> list[Section]:
    """The sections that follow the impact: discovery, design, shares and resilience."""
    return [
        discovery_section(assessment.discovery, language),
        design_section(assessment.design, language),
        share_section(assessment.shares, language),
        stress_section(assessment.resilience, language),
    ]


def report_name(language: str = "en") -> str:
    """The file name of the park report, without its suffix: ``report``, ``report-da``."""
    return "report" if language_of(language).english else f"report-{language}"


def write_report(
    park: Park,
    out: Path,
    pdf: bool = False,
    assessment: Assessment | None = None,
    language: str = "en",
) -> Path:
    """Write ``report.html`` (and ``report.pdf`` with a local Chromium) into ``out``: the
    impact of the park's exchanges and, given its ``assessment``, what discovery, design,
    benefit sharing and the stress test found; in ``language`` (``en``, or ``da``:
    ``report-da.html``)."""
    target = out / f"{report_name(language)}.html"
    if assessment is None:
        page = render(park, language=language)
    else:
        sections = assessment_sections(assessment, language)
        page = render(park, assessment.impact, sections, language)
    write_text(target, page)
    if pdf:
        print_pdf(target, target.with_suffix(".pdf"))
    return target


def print_pdf(html_file: Path, pdf: Path) -> Path:
    """Print an HTML file to ``pdf`` with a local Chromium, whole or not at all."""
    browser = (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )
    if browser is None:
        raise SymbionetError("--pdf needs Chromium (apt-get install chromium)")
    with replacing(pdf) as staged:
        printed = _print_pdf(browser, html_file, staged)
        if printed.returncode or not staged.exists():
            message = printed.stderr.decode(errors="replace")[-500:]
            raise SymbionetError(f"Chromium could not print the PDF: {message}")
    return pdf


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
