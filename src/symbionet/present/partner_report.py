"""The partner report, and the files both reports download as (HTML, PDF, Excel).

A partner's report says what one partner gives, gets, saves and risks in the symbiosis,
the candidate exchanges it could add and the best design's links beside today's
exchanges, in English or Danish, amounts in the park's currency with the rate stated.

It shows only what the partner may see. Other partners' confidential streams are left out
with the exchanges and design links that draw on them (as ``Park.visible_to``), and its
figures are worked out without them: the impact and the stress test are run again on the
park as the partner sees it when it hides anything. Candidate exchanges are those of
``candidates_for``: the other side anonymous, its figures rounded, until both sides agree
to be revealed.
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Collection, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from symbionet.access.views import about, candidates_for
from symbionet.assessment.accounting import impact
from symbionet.assessment.assess import Assessment
from symbionet.assessment.resilience import failures_tested
from symbionet.assessment.sharing import players
from symbionet.errors import SymbionetError
from symbionet.present.language import Language, language_of
from symbionet.present.report import (
    STYLE,
    assessment_sections,
    print_pdf,
    render,
    report_name,
)
from symbionet.present.tables import Money, check_export, sheet_names
from symbionet.register.park import Park
from symbionet.register.write import add_sheet, replacing, write_text

FORMATS = ("html", "pdf", "xlsx")
"""The files a report is downloaded as."""
GIVES = ["receiver", "stream", "resource", "amount", "unit", "co2e_t", "waste_diverted_t"]
GIVES += ["saving_eur", "transfers_eur"]
"""Columns of what a partner supplies, per operating exchange (index: the exchange)."""
GETS = ["supplier", "stream", "resource", "replaces", "amount", "unit", "replaced_amount"]
GETS += ["replaced_unit", "co2e_t", "groundwater_m3", "freshwater_m3", "virgin_material_t"]
GETS += ["energy_mwh", "saving_eur", "transfers_eur"]
"""Columns of what a partner receives, per operating exchange (index: the exchange)."""
SAVES = ["saving_eur", "transfers_eur", "co2e_t", "waste_diverted_t", "groundwater_m3"]
SAVES += ["freshwater_m3", "virgin_material_t", "energy_mwh"]
"""A partner's yearly figures against the no-symbiosis baseline, in the order shown."""
RISKS = ["name", "stranded_supply", "fallback_demand", "unmet_demand", "extra_cost_eur"]
RISKS += ["co2e_rebound_t", "streams_hit"]
"""Columns of what a partner loses when another leaves (index: the partner who leaves)."""
CANDIDATES = ["role", "partner", "stream", "other_stream", "resource", "replaces", "quantity"]
CANDIDATES += ["unit", "mode", "distance_km", "co2e_t", "value_eur", "existing", "status"]
"""Columns of a partner's candidate exchanges (index: their number)."""
LINKS = ["side", "partner", "kind", "from", "to", "resource", "today", "in_design", "unit"]
LINKS += ["status", "capex_eur"]
"""Columns of the design's links beside today's exchanges (index: the link)."""
PRINTED = (
    "@page{size:A4 landscape;margin:12mm}"
    "@media print{body{margin:0;max-width:none}table{font-size:.6rem}"
    "th,td{padding:.15rem .3rem}h2{break-after:avoid}}"
)
"""How the partner report prints: landscape, so that its widest tables fit the page."""


@dataclass
class PartnerView:
    """What one partner may see of an assessment, in tables with amounts in EUR.

    ``hidden`` counts the exchanges and design links involving the partner that are left
    out because they draw on another partner's confidential stream.
    """

    actor: str
    name: str
    gives: pd.DataFrame
    gets: pd.DataFrame
    saves: pd.DataFrame
    share: pd.Series | None
    share_method: str
    risks: pd.DataFrame
    leaving: pd.Series | None
    candidates: pd.DataFrame
    links: pd.DataFrame
    objective: str
    hidden: int = 0
    revealed: list[bool] = field(default_factory=list)
    internal: list[bool] = field(default_factory=list)


def partner_view(
    park: Park,
    actor: str,
    assessment: Assessment,
    opted_in: Mapping[str, Collection[tuple[str, str]]] | None = None,
    *,
    executor: Executor | None = None,
) -> PartnerView:
    """What ``actor`` may see of the park's ``assessment``: its operating exchanges as
    supplier and receiver, its yearly figures and share of the saving, what it loses when
    each other partner leaves, its candidate exchanges (``opted_in`` as ``candidates_for``
    takes it) and the best design's links that involve it beside today's. An unknown
    actor is refused."""
    visible = park.visible_to(actor)  # an unknown actor is refused
    hidden_streams = set(park.streams.index) - set(visible.streams.index)
    impacts = impact(visible, assessment.options.impact) if hidden_streams else assessment.impact
    table = impacts.exchanges
    names = park.actors["name"]
    links = park.exchanges
    given = table[table["supplier"] == actor]
    gives = pd.DataFrame(
        {
            "receiver": given["receiver"].map(names),
            "stream": links.loc[given.index, "supply"],
            "resource": given["resource"],
            "amount": given["amount"],
            "unit": given["unit"],
            "co2e_t": given["supplier_co2e_t"],
            "waste_diverted_t": given["waste_diverted_t"],
            "saving_eur": given["supplier_saving_eur"]
            + given["transfer_eur"]
            - given["exchange_cost_eur"] / 2,
            "transfers_eur": given["transfer_eur"],
        },
        columns=GIVES,
    ).rename_axis("exchange")
    got = table[table["receiver"] == actor]
    gets = pd.DataFrame(
        {
            "supplier": got["supplier"].map(names),
            "stream": links.loc[got.index, "demand"],
            **{c: got[c] for c in ["resource", "replaces", "amount", "unit", "replaced_amount"]},
            "replaced_unit": got["replaced_unit"],
            "co2e_t": got["receiver_co2e_t"],
            **{c: got[c] for c in ["groundwater_m3", "freshwater_m3", "virgin_material_t"]},
            "energy_mwh": got["energy_mwh"],
            "saving_eur": got["receiver_saving_eur"]
            - got["transfer_eur"]
            - got["exchange_cost_eur"] / 2,
            "transfers_eur": -got["transfer_eur"],
        },
        columns=GETS,
    ).rename_axis("exchange")
    partners = impacts.partners.reindex(columns=SAVES)
    row = partners.loc[actor] if actor in partners.index else pd.Series(0.0, index=SAVES)
    saves = pd.DataFrame({"value": row.astype(float).fillna(0.0)}).rename_axis("key figure")
    shares = assessment.shares.table
    share = shares.loc[actor] if actor in shares.index else None

    counterparts = [*given["receiver"], *got["supplier"]]
    stress = assessment.resilience
    if hidden_streams:
        mode = assessment.options.stress.mode
        failures: list[tuple[str, ...]] = [(a,) for a in players(visible)]
        stress = failures_tested(visible, failures, mode, executor=executor)
    hits = stress.partners.reset_index()
    mine = hits[hits["actor"] == actor].set_index("scenario")
    leaving_ones = [a for a in dict.fromkeys([*counterparts, *mine.index]) if a != actor]
    risks = (
        mine.reindex([a for a in leaving_ones if a in park.actors.index])
        .reindex(columns=RISKS[1:])
        .fillna(0.0)
    )
    risks.insert(0, "name", risks.index.map(names))
    risks = risks.rename_axis("leaving").sort_values("extra_cost_eur", ascending=False)
    ranking = stress.ranking
    leaving = ranking.loc[actor] if actor in ranking.index else None

    view = candidates_for(assessment.discovery, park, actor, opted_in or {})
    own = view["supply"].where(view["role"] == "supplier", view["demand"])
    other = view["demand"].where(view["role"] == "supplier", view["supply"])
    candidates = view.assign(
        partner=view["partner_name"],
        stream=own,
        other_stream=other.where(view["revealed"] & (view["partner"] != actor)),
    )[CANDIDATES]

    designed, hidden_links = _links(park, actor, assessment, hidden_streams)
    touching = links["supply"].isin(hidden_streams) | links["demand"].isin(hidden_streams)
    owner = park.streams["site"].map(park.sites["actor"])
    involved = (links["supply"].map(owner) == actor) | (links["demand"].map(owner) == actor)
    hidden_exchanges = set(links.index[touching & involved])
    return PartnerView(
        actor=actor,
        name=str(names.get(actor, actor)),
        gives=gives,
        gets=gets,
        saves=saves,
        share=share,
        share_method=assessment.shares.method,
        risks=risks,
        leaving=leaving,
        candidates=candidates,
        links=designed,
        objective=assessment.design.objective_name,
        hidden=len(hidden_exchanges | hidden_links),
        revealed=[bool(r) for r in view["revealed"]],
        internal=[p == actor for p in view["partner"]],
    )


def _links(
    park: Park, actor: str, assessment: Assessment, hidden: set[str]
) -> tuple[pd.DataFrame, set[str]]:
    """The best design's built links and today's operating exchanges that involve
    ``actor``, side by side; and the ids of those left out as drawing on a hidden stream."""
    stream_owner = park.streams["site"].map(park.sites["actor"])
    site_owner = park.sites["actor"]

    def owner(node: object) -> str | None:
        text = str(node)
        if text in stream_owner.index:
            return str(stream_owner[text])
        found = site_owner.get(text.split("/")[0])
        return None if found is None else str(found)

    built = assessment.design.built
    built = built[built["built"] & (built["kind"] != "hub")]
    exchanges = park.exchanges[park.exchanges["status"] == "operating"]
    today = exchanges.rename(columns={"supply": "from", "demand": "to"})
    rows: dict[str, dict[str, object]] = {}
    left_out: set[str] = set()
    for name, link in today.iterrows():
        rows[str(name)] = {
            "kind": "exchange",
            "from": link["from"],
            "to": link["to"],
            "resource": park.streams.at[link["from"], "resource"],
            "today": float(link["annual_quantity"]),
            "in_design": 0.0,
            "status": link["status"],
            "capex_eur": float("nan"),
        }
    for name, link in built.iterrows():
        row = rows.setdefault(
            str(name),
            {"kind": link["kind"], "from": link["from"], "to": link["to"], "today": 0.0},
        )
        row |= {
            "resource": link["resource"],
            "in_design": float(link["annual"]),
            "status": link["status"],
            "capex_eur": float(link["capex_eur"]),
        }
    chosen = {}
    for name, row in rows.items():
        ends = (owner(row["from"]), owner(row["to"]))
        if actor not in ends:
            continue
        if row["from"] in hidden or row["to"] in hidden:
            left_out.add(name)
            continue
        other = ends[1] if ends[0] == actor else ends[0]
        side = "within" if ends == (actor, actor) else "gives" if ends[0] == actor else "gets"
        resource = park.catalogue.resources.get(str(row["resource"]))
        chosen[name] = {
            **row,
            "side": side,
            "partner": park.actors["name"].get(other, other),
            "unit": None if resource is None else resource.unit,
        }
    table = pd.DataFrame.from_dict(chosen, orient="index", columns=LINKS)
    table = table.astype({"today": float, "in_design": float, "capex_eur": float})
    return table.rename_axis("link"), left_out


@dataclass(frozen=True)
class Table:
    """A table of a report as shown: its heading's text key, and how its headers read."""

    key: str
    frame: pd.DataFrame
    period: str | None = "yr"
    row_units: bool = False


def _tables(view: PartnerView, money: Money, lang: Language) -> dict[str, Table]:
    """The tables of the partner report, amounts in ``money``'s currency, by their part."""
    candidates = money.frame(view.candidates)  # anonymous ones rounded in the currency
    anonymous = ~pd.Series(view.revealed, index=candidates.index, dtype=bool)
    candidates["partner"] = candidates["partner"].where(~anonymous, lang.text("anonymous"))
    share = pd.DataFrame()
    if view.share is not None:
        share = pd.DataFrame([view.share.drop("name")], index=[view.actor]).rename_axis("actor")
    return {
        "gives": Table("gives", money.frame(view.gives)),
        "gets": Table("gets", money.frame(view.gets)),
        "saves": Table("saves", money.frame(view.saves, rows=True), row_units=True),
        "share": Table("card_share", money.frame(share)),
        "risks": Table("risks", money.frame(view.risks)),
        "candidates": Table("could_add", candidates),
        "links": Table("today_and_design", money.frame(view.links), period=None),
    }


def _sentences(view: PartnerView, money: Money, lang: Language) -> list[str]:
    """One sentence per candidate exchange, in ``lang``, its amounts in ``money``'s currency."""
    found = []
    rows = view.candidates.iterrows()
    for revealed, internal, (_, row) in zip(view.revealed, view.internal, rows, strict=True):
        replaces = (
            ""
            if row["replaces"] == row["resource"]
            else lang.text("candidate_replaces", resource=row["replaces"])
        )
        value = float(row["value_eur"]) * money.per_eur
        figures = {
            "quantity": lang.number(row["quantity"]),
            "unit": lang.unit(str(row["unit"])),
            "resource": row["resource"],
            "replaces": replaces,
            "km": lang.number(row["distance_km"]),
            "co2e": lang.number(row["co2e_t"]),
            "value": f"{lang.number(value if revealed else about(value))} {money.currency}",
        }
        if internal:
            found.append(lang.text("candidate_within", partner=view.name, **figures))
        elif revealed:
            key = f"candidate_named_{row['role']}"
            found.append(lang.text(key, other=row["partner"], **figures))
        else:
            found.append(lang.text(f"candidate_anonymous_{row['role']}", **figures))
    return found


def _card(label: str, figure: str, note: str) -> str:
    return (
        f'<div class="card">{html.escape(label)}<b>{html.escape(figure)}</b>'
        f'<span class="muted">{html.escape(note)}</span></div>'
    )


def _cards(view: PartnerView, money: Money, lang: Language) -> str:
    per_year = lang.unit(f"{money.currency}/yr")
    saving = float(view.saves.at["saving_eur", "value"])
    co2e = float(view.saves.at["co2e_t", "value"])
    share = 0.0 if view.share is None else float(view.share["share_eur"])
    cards = [
        _card(lang.text("card_saving"), lang.number(saving * money.per_eur), per_year),
        _card(lang.text("card_co2e_t"), lang.number(co2e), lang.unit("t/yr")),
        _card(lang.text("card_share"), lang.number(share * money.per_eur), per_year),
        _card(
            lang.text("card_exchanges"),
            lang.whole(len(view.gives) + len(view.gets)),
            lang.text("card_exchanges_note", gives=len(view.gives), gets=len(view.gets)),
        ),
        _card(
            lang.text("card_candidates"),
            lang.whole(len(view.candidates)),
            lang.text("card_candidates_note", revealed=sum(view.revealed)),
        ),
    ]
    return '<div class="cards">' + "".join(cards) + "</div>"


def _shown(table: Table, lang: Language) -> str:
    return lang.table(table.frame, period=table.period, row_units=table.row_units)


def _body(view: PartnerView, money: Money, lang: Language) -> list[tuple[str, str, str]]:
    """The parts of the report: (anchor, heading, HTML)."""
    tables = _tables(view, money, lang)

    def listed(table: Table, intro: str) -> str:
        if table.frame.empty:
            return f"<p>{lang.html(intro)}</p><p>{lang.html('none_today')}</p>"
        return f"<p>{lang.html(intro)}</p>" + _shown(table, lang)

    if view.share is None:
        share = f"<p>{lang.html('saves_no_share')}</p>"
    else:
        share = "<p>" + lang.html(
            "saves_share",
            method=view.share_method,
            share=lang.amount(money, float(view.share["share_eur"]), "yr"),
            percent=lang.percent(float(view.share["share_pct"])),
            standalone=lang.amount(money, float(view.share["standalone_eur"]), "yr"),
        )
        share += "</p>" + _shown(tables["share"], lang)
    saves = f"<p>{lang.html('saves_intro')}</p>" + _shown(tables["saves"], lang) + share

    risks = f"<p>{lang.html('risks_intro')}</p>"
    risks += (
        _shown(tables["risks"], lang) if len(view.risks) else f"<p>{lang.html('risks_none')}</p>"
    )
    if view.leaving is not None:
        risks += (
            "<p>"
            + lang.html(
                "risks_own",
                amount=lang.amount(money, float(view.leaving["extra_cost_eur"])),
                count=lang.whole(int(view.leaving["partners_hit"])),
            )
            + "</p>"
        )

    if len(view.candidates):
        sentences = "".join(f"<li>{html.escape(s)}</li>" for s in _sentences(view, money, lang))
        candidates = (
            f"<p>{lang.html('candidates_intro')}</p>"
            + _shown(tables["candidates"], lang)
            + f"<ol>{sentences}</ol>"
        )
    else:
        candidates = f"<p>{lang.html('candidates_none')}</p>"

    objective = lang.value(view.objective)
    if len(view.links):
        links = f"<p>{lang.html('design_links_intro', objective=objective)}</p>"
        links += _shown(tables["links"], lang)
    else:
        links = f"<p>{lang.html('design_links_none')}</p>"
    return [
        ("gives", lang.text("gives"), listed(tables["gives"], "gives_intro")),
        ("gets", lang.text("gets"), listed(tables["gets"], "gets_intro")),
        ("saves", lang.text("saves"), saves),
        ("risks", lang.text("risks"), risks),
        ("candidates", lang.text("could_add"), candidates),
        ("design", lang.text("today_and_design"), links),
        ("method", lang.text("method_heading"), f"<p>{lang.html('partner_method')}</p>"),
    ]


def render_partner(park: Park, view: PartnerView, language: str = "en") -> str:
    """A partner's view as one self-contained HTML document in ``language``."""
    lang = language_of(language)
    money = Money.of(park)
    parts = _body(view, money, lang)
    contents = "".join(
        f'<li><a href="#{anchor}">{html.escape(title)}</a></li>' for anchor, title, _ in parts
    )
    body = "".join(f'<h2 id="{anchor}">{html.escape(t)}</h2>{part}' for anchor, t, part in parts)
    note = lang.rate_note(money)
    rate = f"<p class='muted'>{html.escape(note)}</p>" if note else ""
    hidden = (
        f"<p class='muted'>{lang.html('partner_hidden', count=view.hidden)}</p>"
        if view.hidden
        else ""
    )
    subtitle = lang.html(
        "partner_subtitle", partner=view.name, park=park.name, date=lang.date(date.today())
    )
    return (
        f"<!DOCTYPE html><html lang='{lang.code}'><head><meta charset='utf-8'>"
        f"<title>{lang.html('partner_title', partner=view.name, park=park.name)}</title>"
        f"<style>{STYLE}{PRINTED}</style></head><body><h1>{html.escape(view.name)}</h1>"
        f"<p class='muted'>{subtitle}</p>{rate}{hidden}{_cards(view, money, lang)}"
        f"<ul>{contents}</ul>{body}</body></html>"
    )


def partner_report(
    park: Park,
    actor: str,
    assessment: Assessment,
    opted_in: Mapping[str, Collection[tuple[str, str]]] | None = None,
    language: str = "en",
) -> str:
    """The report of partner ``actor`` as one self-contained HTML document in ``language``
    (``en`` or ``da``): what it gives, gets, saves and risks, the exchanges it could add
    and the best design beside today's network, as ``partner_view`` lets it see them."""
    language_of(language)  # refused before any work
    return render_partner(park, partner_view(park, actor, assessment, opted_in), language)


def partner_sheets(park: Park, view: PartnerView, language: str = "en") -> dict[str, list[list]]:
    """The partner report as worksheets, a header row each: what it is about, then each
    table of the HTML report with the same headings, amounts as numbers in the currency."""
    lang = language_of(language)
    money = Money.of(park)
    tables = _tables(view, money, lang)
    tables["candidates"] = Table(
        "could_add",
        tables["candidates"].frame.assign(explanation=_sentences(view, money, lang)),
    )
    about_rows = [
        [lang.text("about_item"), lang.text("about_value")],
        [lang.text("about_park"), park.name],
        [lang.text("about_partner"), f"{view.name} ({view.actor})"],
        [lang.text("about_date"), lang.date(date.today())],
        [lang.text("about_currency"), money.currency],
    ]
    note = lang.rate_note(money)
    if note:
        about_rows.append([lang.text("about_rate"), note])
    if view.hidden:
        about_rows.append(["", lang.text("partner_hidden", count=view.hidden)])
    sheets = {lang.text("about_sheet"): about_rows}
    for table in tables.values():
        sheets[lang.text(table.key)] = lang.sheet(
            table.frame, period=table.period, row_units=table.row_units
        )
    return sheets


def park_sheets(park: Park, assessment: Assessment, language: str = "en") -> dict[str, list[list]]:
    """The park report's tables as worksheets in ``language``, amounts in the currency."""
    lang = language_of(language)
    money = Money.of(park)
    sheets: dict[str, list[list]] = {}
    note = lang.rate_note(money)
    if note:
        sheets[lang.text("about_sheet")] = [
            [lang.text("about_item"), lang.text("about_value")],
            [lang.text("about_park"), park.name],
            [lang.text("about_currency"), money.currency],
            [lang.text("about_rate"), note],
        ]
    for name, frame in assessment.tables().items():
        row_units = name == "headline"
        shown = money.frame(frame, rows=row_units)
        sheets[lang.label(name)] = lang.sheet(shown, period="yr", row_units=row_units)
    return sheets


def write_sheets(sheets: dict[str, list[list]], path: Path) -> Path:
    """Write worksheets (their first row a header) to an Excel workbook, whole or not at all."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in zip(sheet_names(list(sheets)), sheets.values(), strict=True):
        add_sheet(book, name, f"{path}[{name}]", rows)
    with replacing(path) as staged:
        book.save(staged)
    return path


def report_files(stem: Path, formats: Collection[str], force: bool = False) -> dict[str, Path]:
    """The files of a report by format, ``stem`` with each suffix, after checking each may
    be written: a file there is replaced only with ``force``. An unknown format is refused."""
    wrong = [f for f in formats if f not in FORMATS]
    if wrong or not formats:
        raise SymbionetError(
            f"format: must be some of {', '.join(FORMATS)}, not {', '.join(map(repr, wrong))}"
        )
    targets = {f: stem.with_name(f"{stem.name}.{f}") for f in FORMATS if f in formats}
    for target in targets.values():
        check_export(target, force, tuple(f".{f}" for f in FORMATS))
    return targets


def write_documents(
    page: str, sheets: dict[str, list[list]] | None, targets: dict[str, Path]
) -> list[Path]:
    """Write a report's files: the HTML ``page``, the PDF printed from it, the workbook of
    ``sheets``; returns the paths written."""
    written = []
    if "html" in targets:
        write_text(targets["html"], page)
        written.append(targets["html"])
    if "pdf" in targets:
        if "html" in targets:
            written.append(print_pdf(targets["html"], targets["pdf"]))
        else:
            with tempfile.TemporaryDirectory() as scratch:
                source = Path(scratch) / "report.html"
                source.write_text(page, encoding="utf-8")
                written.append(print_pdf(source, targets["pdf"]))
    if "xlsx" in targets and sheets is not None:
        written.append(write_sheets(sheets, targets["xlsx"]))
    return written


def partner_stem(actor: str, language: str = "en") -> str:
    """The file name of a partner's report, without suffix: ``partner-orsted``,
    ``partner-orsted-da``."""
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in actor) or "partner"
    return f"partner-{safe}" if language_of(language).english else f"partner-{safe}-{language}"


def write_partner_report(
    park: Park,
    actor: str,
    assessment: Assessment,
    out: Path,
    formats: Collection[str] = ("html",),
    *,
    opted_in: Mapping[str, Collection[tuple[str, str]]] | None = None,
    language: str = "en",
    force: bool = False,
) -> list[Path]:
    """Write partner ``actor``'s report into ``out`` as ``partner-ACTOR.html``, ``.pdf``
    (printed with a local Chromium) and ``.xlsx`` (a sheet per table), as ``formats`` ask,
    in ``language``; a file there is replaced only with ``force``. Returns the paths."""
    language_of(language)
    targets = report_files(out / partner_stem(actor, language), formats, force)
    view = partner_view(park, actor, assessment, opted_in)
    page = render_partner(park, view, language)
    sheets = partner_sheets(park, view, language) if "xlsx" in targets else None
    return write_documents(page, sheets, targets)


def write_park_report(
    park: Park,
    assessment: Assessment,
    out: Path,
    formats: Collection[str] = ("html",),
    *,
    language: str = "en",
    force: bool = False,
) -> list[Path]:
    """Write the park report into ``out`` as ``report.html``, ``.pdf`` and ``.xlsx`` (its
    tables, a sheet each), as ``formats`` ask, in ``language`` (``report-da.html`` in
    Danish); a file there is replaced only with ``force``. Returns the paths written."""
    targets = report_files(out / report_name(language), formats, force)
    sections = assessment_sections(assessment, language)
    page = render(park, assessment.impact, sections, language)
    sheets = park_sheets(park, assessment, language) if "xlsx" in targets else None
    return write_documents(page, sheets, targets)


__all__ = [
    "FORMATS",
    "PartnerView",
    "park_sheets",
    "partner_report",
    "partner_sheets",
    "partner_stem",
    "partner_view",
    "render_partner",
    "report_files",
    "write_documents",
    "write_park_report",
    "write_partner_report",
    "write_sheets",
]
