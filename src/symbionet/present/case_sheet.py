"""The case sheet of one exchange: a page to document and market an operating synergy.

It names the partners, what flows between them and since when, what the exchange saved in
a year (verified by metered readings where they exist, else estimated from the register,
and said so), its investment and simple payback, and a small Sankey of the flow, in
English or Danish, as HTML or PDF (printed by a local Chromium, as the partner report).

A case sheet is for publication, so it is made from public data by default: the park as
``Park.visible_to(None)`` gives it, without any confidential stream. An exchange that
draws on a confidential stream has no public case sheet; the secretariat can make one for
its own use with ``public=False``, and the sheet then says it is not for publication.
"""

from __future__ import annotations

import html
import math
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from symbionet.assessment.yearly import AccountResult, account
from symbionet.errors import Problem, SymbionetError
from symbionet.present.language import Language, language_of
from symbionet.present.report import CLASS_COLOURS, STYLE, print_pdf
from symbionet.present.tables import Money
from symbionet.register.park import Park
from symbionet.units import convert

FORMATS = ("html", "pdf")
"""The formats a case sheet is written in."""
FIGURES = ["co2e_t", "groundwater_m3", "freshwater_m3", "virgin_material_t"]
FIGURES += ["waste_diverted_t", "materials_exchanged_t", "energy_mwh", "net_saving_eur"]
"""The key figures a case sheet shows, those that are not zero (CO2e and money always)."""
ALWAYS = ("co2e_t", "net_saving_eur")
PRINTED = (
    "@page{size:A4;margin:12mm}"
    "@media print{body{margin:0;max-width:none;font-size:.8rem}h2{break-after:avoid}"
    ".card{min-width:120px;padding:.4rem .6rem}.card b{font-size:1.1rem}}"
    ".facts th{text-align:left;font-weight:normal;color:#555;padding-right:1.2rem}"
    ".facts td{text-align:left}"
)
"""How the case sheet looks and prints: one A4 page upright."""


def case_sheet(
    park: Park,
    exchange: str,
    verified: pd.DataFrame | None = None,
    language: str = "en",
    format: str = "html",
    *,
    year: int | None = None,
    public: bool = True,
) -> bytes:
    """The case sheet of ``exchange`` as one self-contained HTML document (UTF-8) or a PDF,
    in ``language`` (``en`` or ``da``), with its figures of ``year`` (the park's year when
    None) from the yearly account with ``verified`` (as :func:`account` takes it).

    With ``public`` (the default) only public data is used: an exchange that draws on a
    confidential stream is refused. An unknown exchange, one that did not run in the year,
    an unknown language or format is refused before any work."""
    lang = language_of(language)
    if format not in FORMATS:
        raise SymbionetError(f"format: must be {' or '.join(FORMATS)}, not {format!r}")
    page = render_case_sheet(park, exchange, verified, lang, year=year, public=public)
    if format == "html":
        return page.encode("utf-8")
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "case.html"
        source.write_text(page, encoding="utf-8")
        return print_pdf(source, Path(scratch) / "case.pdf").read_bytes()


def shown_park(park: Park, exchange: str, public: bool = True) -> Park:
    """The park a case sheet of ``exchange`` is made from: the public's, unless ``public``
    is False; an unknown exchange, or one the public may not see, is refused."""
    if exchange not in park.exchanges.index:
        listed = (park.visible_to(None) if public else park).exchanges.index
        known = ", ".join(map(str, listed[:10])) + (", ..." if len(listed) > 10 else "")
        raise _refused(f"unknown exchange {exchange!r} (the park has {known or 'no exchanges'})")
    if not public:
        return park
    visible = park.visible_to(None)
    if exchange not in visible.exchanges.index:
        raise _refused(
            f"exchange {exchange!r} draws on a confidential stream: its figures are the "
            "park secretariat's and a case sheet is public; the secretariat can make one "
            "for its own use with confidential data (--include-confidential)"
        )
    return visible


def _refused(message: str) -> SymbionetError:
    return SymbionetError([Problem("exchange", None, None, message)])


def render_case_sheet(
    park: Park,
    exchange: str,
    verified: pd.DataFrame | None = None,
    lang: Language | None = None,
    *,
    year: int | None = None,
    public: bool = True,
) -> str:
    """The case sheet of ``exchange`` as one self-contained HTML document (see
    :func:`case_sheet`)."""
    lang = lang or language_of("en")
    shown = shown_park(park, exchange, public)
    rows = _rows_of(shown, verified)
    accounted = account(shown, year, rows)
    if exchange not in accounted.exchanges.index:
        status = shown.exchanges.at[exchange, "status"]
        raise _refused(
            f"exchange {exchange!r} did not run in {accounted.year} (status {status}, "
            f"start {_year_text(shown.exchanges.at[exchange, 'start_year'])}, "
            f"end {_year_text(shown.exchanges.at[exchange, 'end_year'])})"
        )
    money = Money.of(park)
    sheet = _Sheet(shown, exchange, accounted, money, lang, public)
    return sheet.page()


def _rows_of(park: Park, verified: pd.DataFrame | None) -> pd.DataFrame | None:
    """The rows of ``verified`` for the exchanges of ``park`` (those of streams it does not
    show are left out before anything reads them)."""
    if verified is None or not isinstance(verified, pd.DataFrame):
        return verified
    frame = verified
    if {"exchange", "year"} <= set(frame.columns):
        return frame[frame["exchange"].astype(str).isin(park.exchanges.index)]
    if frame.index.nlevels == 2:
        ids = pd.Index(frame.index.get_level_values(0).astype(str))
        return frame[ids.isin(park.exchanges.index)]
    return frame


def _year_text(value: object) -> str:
    return "-" if value is None or pd.isna(value) else str(int(value))  # type: ignore[call-overload]


class _Sheet:
    """The parts of one case sheet."""

    def __init__(
        self,
        park: Park,
        exchange: str,
        accounted: AccountResult,
        money: Money,
        lang: Language,
        public: bool,
    ) -> None:
        self.park, self.exchange, self.money, self.lang = park, exchange, money, lang
        self.public = public
        self.year = accounted.year
        self.row = accounted.exchanges.loc[exchange]
        self.link = park.exchanges.loc[exchange]
        self.streams = park.streams
        names = park.actors["name"]
        self.supplier = str(names.get(self.row["supplier"], self.row["supplier"]))
        self.receiver = str(names.get(self.row["receiver"], self.row["receiver"]))
        resource = park.catalogue.resources.get(str(self.row["resource"]))
        self.resource = resource.name if resource is not None else str(self.row["resource"])
        self.resource_class = resource.resource_class if resource is not None else "material"
        replaced = park.catalogue.resources.get(str(self.row["replaces"]))
        self.replaces = replaced.name if replaced is not None else str(self.row["replaces"])
        self.share = float(self.row["verified_pct"]) / 100
        to_eur = convert(1.0, park.currency, "EUR")
        self.capex_eur = _number(self.link.get("capex")) * to_eur
        self.opex_eur = _number(self.link.get("opex")) * to_eur
        lifetime = self.link.get("lifetime")
        self.lifetime = 20.0 if lifetime is None or pd.isna(lifetime) else float(lifetime)
        self.rate = float(park.meta.get("discount_rate", 0.05))
        # the avoided costs less the operating cost: what pays the investment back
        avoided = float(self.row["supplier_saving_eur"]) + float(self.row["receiver_saving_eur"])
        self.cash_saving_eur = avoided - self.opex_eur

    def page(self) -> str:
        lang = self.lang
        title = lang.html(
            "case_title", resource=self.resource, supplier=self.supplier, receiver=self.receiver
        )
        subtitle = lang.html(
            "case_subtitle",
            park=self.park.name,
            exchange=self.exchange,
            date=lang.date(date.today()),
        )
        note = lang.rate_note(self.money)
        rate = f"<p class='muted'>{html.escape(note)}</p>" if note else ""
        secret = "" if self.public else f"<p><b>{lang.html('case_method_confidential')}</b></p>"
        parts = [
            (lang.text("case_partners"), self.partners()),
            (lang.text("case_flow"), self.flow()),
            (lang.text("case_figures", year=self.year), self.figures()),
            (lang.text("case_investment"), self.investment()),
            (lang.text("method_heading"), self.method()),
        ]
        body = "".join(f"<h2>{html.escape(t)}</h2>{part}" for t, part in parts)
        return (
            f"<!DOCTYPE html><html lang='{lang.code}'><head><meta charset='utf-8'>"
            f"<title>{title}</title><style>{STYLE}{PRINTED}</style>"
            f"<script>{get_plotlyjs()}</script></head><body>"
            f"<h1>{title}</h1><p class='muted'>{subtitle}</p>{rate}{secret}"
            f"{self.cards()}{body}</body></html>"
        )

    def _amount(self, eur: float, period: str | None = "yr") -> str:
        return self.lang.amount(self.money, eur, period)

    def _quantity(self, value: float) -> str:
        unit = self.lang.unit(f"{self.row['unit']}/yr")
        return f"{self.lang.number(value)} {unit}"

    def _share(self, share: float) -> str:
        """A share in percent to 0.1 %, never rounded up to 100 % when it is less."""
        shown = round(100 * share, 1) if share >= 1 else math.floor(1000 * share) / 10
        return self.lang.percent(shown)

    def _payback(self) -> str:
        lang = self.lang
        if not self.capex_eur > 0:
            return lang.text("case_no_investment")
        if not self.cash_saving_eur > 0:
            return lang.text("case_no_payback")
        years = self.capex_eur / self.cash_saving_eur
        return lang.text("case_payback_years", years=lang.number(round(years, 1)))

    def _payback_card(self) -> tuple[str, str]:
        """The payback card's figure and note: the years, or a dash and why."""
        if self.capex_eur > 0 and self.cash_saving_eur > 0:
            return self._payback(), ""
        return "-", self._payback()

    def cards(self) -> str:
        lang = self.lang
        verified = lang.text("case_card_verified", share=self._share(self.share))
        cards = [
            (lang.text("case_card_amount"), self._quantity(float(self.row["amount"])), verified),
            (
                lang.text("case_card_co2e"),
                lang.number(float(self.row["co2e_t"])),
                lang.unit("t/yr"),
            ),
            (
                lang.text("case_card_saving"),
                lang.number(float(self.row["net_saving_eur"]) * self.money.per_eur),
                lang.unit(f"{self.money.currency}/yr"),
            ),
            (lang.text("case_card_payback"), *self._payback_card()),
        ]
        shown = "".join(
            f'<div class="card">{html.escape(label)}<b>{html.escape(figure)}</b>'
            f'<span class="muted">{html.escape(note)}</span></div>'
            for label, figure, note in cards
        )
        return f'<div class="cards">{shown}</div>'

    def _facts(self, rows: list[tuple[str, str]]) -> str:
        cells = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
        )
        return f"<table class='facts'><tbody>{cells}</tbody></table>"

    def _stream_name(self, stream: str) -> str:
        name = self.streams["name"].get(stream) if "name" in self.streams else None
        return str(stream) if name is None or pd.isna(name) else str(name)

    def partners(self) -> str:
        lang = self.lang
        supply, demand = str(self.link["supply"]), str(self.link["demand"])
        return self._facts(
            [
                (
                    lang.text("case_supplier"),
                    lang.text(
                        "case_partner_stream",
                        partner=self.supplier,
                        stream=self._stream_name(supply),
                    ),
                ),
                (
                    lang.text("case_receiver"),
                    lang.text(
                        "case_partner_stream",
                        partner=self.receiver,
                        stream=self._stream_name(demand),
                    ),
                ),
            ]
        )

    def flow(self) -> str:
        lang = self.lang
        start = self.link.get("start_year")
        since = lang.text("case_not_stated") if pd.isna(start) else str(int(start))
        rows = [
            (lang.text("case_resource"), self.resource),
            (lang.text("case_amount", year=self.year), self._quantity(float(self.row["amount"]))),
        ]
        if self.row["replaces"] != self.row["resource"]:
            rows.append((lang.text("case_replaces"), self.replaces))
        transport = lang.text(
            "case_transport_value",
            mode=lang.value(self.link.get("mode") or "pipeline"),
            km=lang.number(round(float(self.row["distance_km"]), 1)),
        )
        rows += [(lang.text("case_transport"), transport), (lang.text("case_since"), since)]
        return self._facts(rows) + self.sankey()

    def sankey(self) -> str:
        lang = self.lang
        amount = float(self.row["amount"])
        verified = float(self.row["verified_amount"])
        parts = [
            (verified, lang.text("case_link_verified"), "ff"),
            (amount - verified, lang.text("case_link_estimated"), "77"),
        ]
        parts = [p for p in parts if p[0] > 0] or [(0.0, lang.text("case_link_estimated"), "77")]
        colour = CLASS_COLOURS.get(self.resource_class, "#8c564b")
        unit = lang.unit(f"{self.row['unit']}/yr")
        fig = go.Figure(
            go.Sankey(
                node={"label": [self.supplier, self.receiver], "pad": 12, "thickness": 14},
                link={
                    "source": [0] * len(parts),
                    "target": [1] * len(parts),
                    "value": [value for value, _, _ in parts],
                    "label": [f"{label}: {lang.number(v)} {unit}" for v, label, _ in parts],
                    "color": [colour + alpha for _, _, alpha in parts],
                },
            )
        )
        fig.update_layout(
            title=lang.text("case_flow_figure", year=self.year, unit=unit),
            height=240,
            margin={"l": 10, "r": 10, "t": 40, "b": 10},
            template="plotly_white",
            separators=lang.digits(".,"),
        )
        caption = "; ".join(f"{label}: {lang.number(v)} {unit}" for v, label, _ in parts)
        figure = fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id="case-sankey",
            config={"displayModeBar": False},
        )
        return f"{figure}<p class='muted'>{html.escape(caption)}</p>"

    def figures(self) -> str:
        lang, money = self.lang, self.money
        row = self.row
        keys = [k for k in FIGURES if k in ALWAYS or float(row[k]) != 0]
        table = pd.DataFrame(
            {
                "value": [float(row[k]) for k in keys],
                "verified": [float(row[k]) * self.share for k in keys],
                "estimated": [float(row[k]) * (1 - self.share) for k in keys],
            },
            index=pd.Index(keys, name="key figure"),
        )
        coverage = row["coverage"]
        if self.share >= 1:
            said = lang.html("case_all_verified", year=self.year)
        elif self.share > 0 or (not pd.isna(coverage) and float(coverage) > 0):
            said = lang.html(
                "case_part_verified",
                verified=self._share(self.share),
                coverage=self._share(float(coverage)),
                year=self.year,
            )
        else:
            said = lang.html("case_estimated", year=self.year)
        shown = lang.table(money.frame(table, rows=True), period="yr", row_units=True)
        return f"<p>{lang.html('case_figures_intro')}</p><p>{said}</p>{shown}"

    def investment(self) -> str:
        lang = self.lang
        capex = self._amount(self.capex_eur, None) if self.capex_eur > 0 else "-"
        rows = [
            (lang.text("case_capex"), capex),
            (lang.text("case_opex"), self._amount(self.opex_eur)),
            (lang.text("case_cash_saving"), self._amount(self.cash_saving_eur)),
            (lang.text("case_net_saving"), self._amount(float(self.row["net_saving_eur"]))),
            (lang.text("case_payback"), self._payback()),
        ]
        return self._facts(rows)

    def method(self) -> str:
        lang = self.lang
        rate = lang.percent(round(100 * self.rate, 2))
        text = f"<p>{lang.html('case_method', rate=rate, lifetime=lang.number(self.lifetime))}"
        key = "case_public" if self.public else "case_method_confidential"
        text += f" {lang.html(key)}</p>"
        reference = self.link.get("reference")
        if reference is not None and not pd.isna(reference) and str(reference):
            text += f"<p>{lang.html('case_reference', reference=str(reference))}</p>"
        basis = str(self.row["basis"])
        used = {
            part.split("(")[-1].rstrip(")").strip()
            for part in basis.replace("|", ";").split(";")
            if "(" in part
        }
        items = "".join(
            f"<li><code>{html.escape(key)}</code>: {html.escape(ref.title)}"
            f"{', ' + str(ref.year) if ref.year else ''}"
            f"{', ' + html.escape(ref.url) if ref.url else ''}</li>"
            for key, ref in sorted(self.park.catalogue.references.items())
            if key in used
        )
        if items:
            text += f"<h3>{lang.html('case_sources')}</h3><ul>{items}</ul>"
        return text


def _number(value: object) -> float:
    """A number of a table cell, 0 for an empty one."""
    if value is None or pd.isna(value):
        return 0.0
    found = float(value)  # type: ignore[arg-type]
    return found if math.isfinite(found) else 0.0


def case_sheet_file(
    park: Park,
    exchange: str,
    out: Path,
    verified: pd.DataFrame | None = None,
    language: str = "en",
    format: str | None = None,
    *,
    year: int | None = None,
    public: bool = True,
    force: bool = False,
) -> Path:
    """Write the case sheet of ``exchange`` to ``out`` (``.html`` or ``.pdf``; ``format``
    from the suffix when None), whole or not at all; a file there is replaced only with
    ``force``. Returns the path written."""
    from symbionet.present.tables import check_export
    from symbionet.register.write import replacing

    chosen = format or out.suffix.lower().lstrip(".")
    language_of(language)
    if chosen not in FORMATS:
        raise SymbionetError(f"format: must be {' or '.join(FORMATS)}, not {chosen!r}")
    target = check_export(out, force, (f".{chosen}",))
    content = case_sheet(park, exchange, verified, language, chosen, year=year, public=public)
    with replacing(target) as staged:
        staged.write_bytes(content)
    return target


__all__ = ["FORMATS", "case_sheet", "case_sheet_file", "render_case_sheet", "shown_park"]
