"""The park report: one self-contained HTML file (no remote scripts or fonts)."""

from __future__ import annotations

import html
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from symbionet.assessment.accounting import METHOD, ImpactResult, impact, negative_figures
from symbionet.assessment.resilience import StressResult
from symbionet.assessment.sharing import ShareResult
from symbionet.errors import SymbionetError
from symbionet.register.park import Park
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
th:first-child,td:first-child,td.text{text-align:left}thead th{background:#fafafa}
"""


@dataclass
class Section:
    """A titled block of HTML in the report."""

    title: str
    body: str
    anchor: str


def _table(frame: pd.DataFrame, digits: int = 0) -> str:
    shown = frame.copy()
    for name in shown.columns:
        if pd.api.types.is_float_dtype(shown[name]):
            shown[name] = shown[name].map(lambda v: "" if pd.isna(v) else f"{v:,.{digits}f}")
    return shown.to_html(border=0, escape=True, na_rep="")


def _figure(fig: go.Figure, name: str) -> str:
    fig.update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 10}, template="plotly_white")
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=name)


def site_map(park: Park) -> go.Figure:
    """Sites and exchanges on a local equirectangular projection (no map tiles needed)."""
    sites = park.sites.join(
        park.actors[["name", "kind"]].rename(columns={"name": "actor_name"}), on="actor"
    )
    scale = float(np.cos(np.radians(sites["lat"].mean()))) if len(sites) else 1.0
    fig = go.Figure()
    streams = park.streams
    site_of = streams["site"]
    for cls, colour in CLASS_COLOURS.items():
        chosen = park.exchanges[park.exchanges["supply"].map(streams["resource_class"]) == cls]
        xs: list[float | None] = []
        ys: list[float | None] = []
        for _, row in chosen.iterrows():
            a, b = sites.loc[site_of[row["supply"]]], sites.loc[site_of[row["demand"]]]
            xs += [a["lon"] * scale, b["lon"] * scale, None]
            ys += [a["lat"], b["lat"], None]
        if xs:
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    line={"color": colour, "width": 2},
                    name=f"{cls} exchange",
                    hoverinfo="skip",
                )
            )
    fig.add_trace(
        go.Scatter(
            x=sites["lon"] * scale,
            y=sites["lat"],
            mode="markers",
            marker={"size": 11, "color": "#333"},
            name="sites",
            hovertext=[
                f"{n} ({s}) {lat:.4f} N, {lon:.4f} E"
                for n, s, lat, lon in zip(
                    sites["actor_name"], sites.index, sites["lat"], sites["lon"], strict=True
                )
            ],
            hoverinfo="text",
        )
    )
    linked = sites.loc[
        sites.index.isin(site_of[[*park.exchanges["supply"], *park.exchanges["demand"]]])
    ]
    frame = linked if len(linked) else sites
    pad = 0.1 * max(frame["lat"].max() - frame["lat"].min(), 0.01)
    fig.update_xaxes(
        title="longitude (scaled); zoomed on the sites that exchange",
        showticklabels=False,
        range=[(frame["lon"].min() - pad) * scale, (frame["lon"].max() + pad) * scale],
    )
    fig.update_yaxes(
        title="latitude",
        scaleanchor="x",
        scaleratio=1,
        range=[frame["lat"].min() - pad, frame["lat"].max() + pad],
    )
    fig.update_layout(title="Sites and exchanges", height=560)
    return fig


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
                        f"{r}: {v:,.0f} {u}/yr"
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


def _cards(result: ImpactResult) -> str:
    labels = {
        "co2e_t": ("CO2e avoided", "t/yr"),
        "groundwater_m3": ("Groundwater saved", "m3/yr"),
        "virgin_material_t": ("Virgin materials avoided", "t/yr"),
        "waste_diverted_t": ("Waste diverted", "t/yr"),
        "energy_mwh": ("Energy supplied", "MWh/yr"),
        "net_saving_eur": ("Net saving", "EUR/yr"),
    }
    cards = []
    for key, (label, unit) in labels.items():
        row = result.park.loc[key]
        cards.append(
            f'<div class="card">{html.escape(label)}<b>{row["central"]:,.0f}</b>'
            f'<span class="muted">{unit}, range {row["low"]:,.0f} to '
            f"{row['high']:,.0f}</span></div>"
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
    notes = negative_figures(result, park.catalogue)
    items = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
    why = f"<p>Negative figures:</p><ul>{items}</ul>" if notes else ""
    return f"<p>Money between partners: {html.escape(result.assumptions['transfers'])}.</p>{why}"


def render(
    park: Park, result: ImpactResult | None = None, extra: list[Section] | None = None
) -> str:
    """The report as one HTML document."""
    result = result or impact(park)
    sections = [
        Section("Key figures", _cards(result), "kpis"),
        Section("Map", _figure(site_map(park), "map-figure"), "map"),
        Section("Flows", _figure(flow_sankey(park, result), "sankey-figure"), "sankey"),
        Section("Per partner", _table(result.partners) + _partner_notes(park, result), "partners"),
        Section(
            "Per exchange",
            _table(
                result.exchanges.drop(
                    columns=[
                        "basis",
                        "reference",
                        "uncertainty",
                        "supplier_co2e_t",
                        "receiver_co2e_t",
                    ]
                )
            ),
            "exchanges",
        ),
        *(extra or []),
        Section(
            "Method and data",
            f"<p>{html.escape(METHOD)}</p><p>Park data: <code>{html.escape(park.source)}</code>; "
            f"{html.escape(park.catalogue.label)}; figures per year in EUR "
            f"(discount rate {result.assumptions['discount_rate']:.0%}).</p>"
            f"<h3>Sources of the factors used</h3>{_references(park, result)}",
            "method",
        ),
    ]
    contents = "".join(
        f'<li><a href="#{s.anchor}">{html.escape(s.title)}</a></li>' for s in sections
    )
    body = "".join(f'<h2 id="{s.anchor}">{html.escape(s.title)}</h2>{s.body}' for s in sections)
    description = html.escape(str(park.meta.get("description", "")))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(park.name)}: symbiosis report</title><style>{STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f"<h1>{html.escape(park.name)}</h1><p class='muted'>Symbiosis report, "
        f"{date.today():%d %B %Y}. {description}</p><ul>{contents}</ul>{body}</body></html>"
    )


def share_section(result: ShareResult) -> Section:
    """Benefit shares and whether they are stable."""
    if result.in_core:
        verdict = "The split is in the core: no group of partners would gain by going alone."
    elif result.in_core is False:
        verdict = (
            f"The split is not in the core: {', '.join(result.worst_coalition)} could gain "
            f"{result.worst_shortfall:,.0f} EUR/yr on their own."
        )
    else:
        verdict = result.note
    body = (
        f"<p>Saving of the whole park: <b>{result.grand_value:,.0f} EUR/yr</b>, split by the "
        f"{html.escape(result.method)} method over {len(result.table)} partners "
        f"({result.coalitions_solved} coalition values). {html.escape(verdict)}</p>"
        + _table(result.table)
    )
    return Section("Benefit shares", body, "shares")


def stress_section(result: StressResult) -> Section:
    """Partners ranked by what their departure costs the others."""
    body = (
        "<p>Each partner removed in turn, the rest re-optimised: extra cost and CO2e for the "
        "partners who remain, and beside it the exchange-network metrics.</p>"
        + _table(result.ranking)
        + "<h3>Who is hit</h3>"
        + _table(result.partners)
        + "<h3>Network metrics</h3>"
        + _table(result.graph, digits=3)
    )
    return Section("Resilience", body, "resilience")


def write_report(
    park: Park, out: Path, pdf: bool = False, extra: list[Section] | None = None
) -> Path:
    """Write ``report.html`` (and ``report.pdf`` with a local Chromium) into ``out``."""
    target = out / "report.html"
    write_text(target, render(park, extra=extra))
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
