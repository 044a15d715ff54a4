"""The Kalundborg bridge: the example parks' impact against the published figures, line by
line, as the page ``docs/kalundborg.md``.

``python -m symbionet.present.kalundborg`` rewrites the page from the current code and
catalogue; a test checks that the page matches.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from symbionet.assessment.accounting import ImpactResult, impact
from symbionet.register.baseline import per_unit
from symbionet.register.park import Park, load_park

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs" / "kalundborg.md"

#: Published totals: today's (biotekbyen.dk, 2022-2024 pages) and the 2015 study's
#: (Danielsson, Møller & Randers 2018, as passed on by the Ellen MacArthur Foundation).
PUBLISHED = {
    "co2e_t": (586_000, 635_000),
    "groundwater_m3": (4_000_000, 3_600_000),
    "materials_exchanged_t": (62_000, 87_000),
    "net_saving_eur": (None, 24_000_000),
}
#: The example's exchanges, grouped as the bridge reports them.
GROUPS = {
    "Steam from Asnæs (wood chips) to Novo Nordisk and Novonesis": (
        "steam_novo",
        "steam_novonesis",
    ),
    "District heat from Asnæs (wood chips)": ("asnaes_dh",),
    "Wastewater heat pump, net of its electricity": ("heat_pump_dh",),
    "Lake Tissø water instead of groundwater": (
        "tisso_refinery",
        "tisso_asnaes",
        "tisso_novo",
        "tisso_novonesis",
    ),
    "Wastewater treated together at the utility's plant": (
        "wastewater_novo",
        "wastewater_novonesis",
    ),
    "Flue-gas condensate to the refinery's boilers": ("condensate_refinery",),
    "Fermentation residues to biogas instead of fields": ("yeast_biogas", "biomass_biogas"),
    "Biomethane to Gyproc and the refinery (sold to the gas grid anyway)": (
        "biomethane_gyproc",
        "biomethane_refinery",
    ),
    "Digestate nutrients replacing mineral nitrogen": ("digestate_farms",),
}
#: Heat exchanges whose receivers' reference boiler the published study may have taken
#: as coal-fired.
HEAT = ("steam_novo", "steam_novonesis", "asnaes_dh", "heat_pump_dh")
#: Novo Nordisk's steam if it had grown to 1 million t/yr since the 1993 figure.
NOVO_STEAM_T = 1_000_000


@dataclass(frozen=True)
class Line:
    """One line of a bridge: a figure and what it is, or the data that would close it."""

    label: str
    value: float | None
    note: str


def grouped(result: ImpactResult, kpi: str) -> list[Line]:
    """The park's figure ``kpi`` by group of exchanges, in the order of ``GROUPS``."""
    rows = result.exchanges[kpi]
    missing = set(rows.index) - {e for ids in GROUPS.values() for e in ids}
    if missing:
        raise ValueError(f"exchanges without a bridge group: {sorted(missing)}")
    return [
        Line(
            label, float(rows.reindex(list(ids)).fillna(0.0).sum()), "exchanges: " + ", ".join(ids)
        )
        for label, ids in GROUPS.items()
    ]


def co2_lines(park: Park, result: ImpactResult) -> list[Line]:
    """From the CO2e symbionet counts to the published figures."""
    catalogue = park.catalogue
    rows = result.exchanges
    gas = catalogue.routes["natural_gas_boiler"].emission_factor
    coal = catalogue.routes["coal_boiler"].emission_factor
    heat = catalogue.resources["district_heat"]
    assert gas is not None and coal is not None
    heat_mwh = float(rows.loc[list(HEAT), "energy_mwh"].sum())
    coal_extra = heat_mwh * (per_unit(coal, heat, "t") - per_unit(gas, heat, "t"))
    biomethane = park.streams.loc["biomethane"]
    ratio = catalogue.ratio("biomethane", "natural_gas") or 0.0
    grid_gas = (
        float(biomethane["annual_quantity"]) * ratio * (catalogue.emission_t("natural_gas") or 0)
    )
    steam = rows.loc["steam_novo"]
    novo_extra = (NOVO_STEAM_T - float(steam["amount"])) * float(steam["co2e_t"] / steam["amount"])
    return [
        Line(
            "Biomethane displacing natural gas in the grid",
            grid_gas,
            "the biogas plant's 8 million Nm3 a year replace natural gas whoever buys them; "
            "symbionet credits no exchange with it, since the gas would be sold to the grid "
            "without Gyproc and the refinery. Closes with the published study's treatment of "
            "the biogas plant and its actual output (8 or 30 million m3)",
        ),
        Line(
            "Reference heat from coal instead of natural gas",
            coal_extra,
            "the steam and district heat counted above (in MWh) against a coal-fired boiler "
            "(coal_boiler) rather than a gas boiler (natural_gas_boiler). Closes with the "
            "reference (no-symbiosis) scenario of Danielsson et al. 2018",
        ),
        Line(
            "Novo Nordisk's steam at 1 million t a year",
            novo_extra,
            "the example uses the only published figure, 215,000 t (1993); the line shows "
            "what 1 million t would add at the same CO2e per t. Closes with Novo Nordisk's "
            "current steam purchases from Asnæs",
        ),
        Line(
            "Links with no published quantity",
            None,
            "slop oil to Avista Green, sugar residue to Comet, Unibio, sulphur from the biogas "
            "plant, waste to Argo, planned surplus heat. Close with their yearly volumes",
        ),
    ]


def water_lines(result: ImpactResult) -> list[Line]:
    """From the groundwater symbionet counts to the published figures."""
    fresh = float(result.park.loc["freshwater_m3", "central"])
    return [
        Line(
            "Other fresh water saved (not groundwater)",
            fresh,
            "flue-gas condensate replacing Lake Tissø water demineralised at the refinery; "
            "the published groundwater figure may or may not include it",
        ),
        Line(
            "Lake Tissø deliveries above 3.5 million m3",
            None,
            "the example uses the 2018 total (3.5 million m3) and estimates its split. Closes "
            "with Kalundborg Forsyning's current Tissø deliveries per partner",
        ),
    ]


def material_lines(park: Park, result: ImpactResult) -> list[Line]:
    """From the material symbionet counts (wet) to the published figures."""
    rows = result.exchanges
    typical = rows["resource"].map(
        lambda r: park.catalogue.resources[r].typical.get("dry_matter", 0.0)
    )
    dry = float((rows["materials_exchanged_t"] * typical).sum())
    wet = float(result.park.loc["materials_exchanged_t", "central"])
    return [
        Line(
            "Water in the residues (wet weight less dry matter)",
            dry - wet,
            "yeast cream, fermentation biomass and digestate at their catalogue dry matter; "
            "if the published figure counts dry matter, this line removes the water. Closes "
            "with the published figure's basis (wet or dry) and the streams it lists",
        ),
        Line(
            "Residues with no published quantity",
            None,
            "slop oil to Avista Green, sugar residue to Comet, sulphur, waste to Argo. "
            "Close with their yearly tonnages",
        ),
    ]


def _fmt(value: float | None, scale: float = 1.0) -> str:
    if value is None:
        return "not quantified"
    return f"{value / scale:,.1f}" if scale != 1.0 else f"{value:,.0f}"


def bridge_table(
    unit: str, total: float, lines: list[list[Line]], kpi: str, scale: float = 1.0
) -> list[str]:
    """A markdown bridge: symbionet's lines (those that count something, all of them for
    CO2e), its total, the lines towards the published figures and what is left to explain
    against each."""
    out = [f"| line | {unit} | what it is; data that would close it |", "|---|---:|---|"]
    out += [
        f"| {line.label} | {_fmt(line.value, scale)} | {line.note} |"
        for line in lines[0]
        if line.value or kpi == "co2e_t"
    ]
    out.append(f"| **symbionet total** | **{_fmt(total, scale)}** | the park's central figure |")
    out += [f"| {line.label} | {_fmt(line.value, scale)} | {line.note} |" for line in lines[1]]
    reach = total + sum(line.value or 0.0 for line in lines[1])
    out.append(f"| total with these lines | {_fmt(reach, scale)} | |")
    for value, name in zip(PUBLISHED[kpi], ("published today", "the 2015 study"), strict=True):
        if value is not None:
            out.append(
                f"| left to explain against {name} ({_fmt(value, scale)}) | "
                f"{_fmt(value - reach, scale)} | not accounted for by any line above |"
            )
    return out


def headline(result: ImpactResult) -> list[str]:
    """Today's published figures beside symbionet's central figure and range."""
    park = result.park
    names = {
        "co2e_t": "CO2e saved (t/yr)",
        "groundwater_m3": "groundwater saved (m3/yr)",
        "materials_exchanged_t": "residual materials exchanged (t/yr, wet, counted once)",
        "net_saving_eur": "net saving (EUR/yr)",
    }
    out = [
        "| figure | published today | 2015 study | symbionet, central (low–high) |",
        "|---|---:|---:|---|",
    ]
    for kpi, name in names.items():
        today, study = PUBLISHED[kpi]
        row = park.loc[kpi]
        out.append(
            f"| {name} | {_fmt(today) if today else '–'} | {_fmt(study)} | "
            f"{row['central']:,.0f} ({row['low']:,.0f}–{row['high']:,.0f}) |"
        )
    return out


def markdown(examples: Path = ROOT / "examples") -> str:
    """The page docs/kalundborg.md, from the example parks' current impact."""
    park = load_park(examples / "kalundborg")
    result = impact(park)
    totals = result.park["central"]
    old = impact(load_park(examples / "kalundborg-2010")).park
    money = grouped(result, "net_saving_eur")
    cop = park.catalogue.routes["heat_pump"].efficiency or 0.0
    lines = [
        "# Kalundborg: our figures against the published ones",
        "",
        "<!-- generated by `python -m symbionet.present.kalundborg`; do not edit by hand -->",
        "",
        "`symbionet impact examples/kalundborg` accounts each exchange of the example park "
        "against its documented counterfactual (see [assessment.md](assessment.md) for the "
        "method). This page compares the park totals with what the Kalundborg Symbiosis has "
        "published, today (586,000 t CO2, 4 million m3 of groundwater, 62,000 t of residual "
        "materials a year; biotekbyen.dk) and in the 2015 study (635,000 t, 3.6 million m3, "
        "87,000 t, EUR 24 million; Danielsson, Møller & Randers 2018), and bridges the two "
        "line by line. Each line says what it is and which data would close it. The example "
        "data and their sources are described in `examples/kalundborg/README.md`.",
        "",
        "## Today (2023 park)",
        "",
        *headline(result),
        "",
        "### CO2e",
        "",
        *bridge_table(
            "t CO2e/yr",
            float(totals["co2e_t"]),
            [grouped(result, "co2e_t"), co2_lines(park, result)],
            "co2e_t",
        ),
        "",
        "The heat lines are net of what making the heat spends: the heat pump's electricity "
        f"(COP {cop:g}) and Asnæs' wood chips (biogenic, no fossil CO2). Biomethane sold to the "
        "grid counts nothing for the exchanges to Gyproc and the refinery: without them the "
        "grid would take it and its buyers would burn that much less natural gas. The "
        "digestate is spread on fields either way, so only its nutrients count; its "
        "residues were spread on fields before too, so that line is an upper bound.",
        "",
        "### Groundwater",
        "",
        *bridge_table(
            "m3/yr",
            float(totals["groundwater_m3"]),
            [grouped(result, "groundwater_m3"), water_lines(result)],
            "groundwater_m3",
        ),
        "",
        "### Materials",
        "",
        *bridge_table(
            "t/yr",
            float(totals["materials_exchanged_t"]),
            [grouped(result, "materials_exchanged_t"), material_lines(park, result)],
            "materials_exchanged_t",
        ),
        "",
        "The digestate is the residues fed to the biogas plant, passed on: only what it "
        "adds beyond them counts, so the same organic mass counts once.",
        "",
        "### Money",
        "",
        "| line | EUR million/yr | exchanges |",
        "|---|---:|---|",
        *[f"| {line.label} | {_fmt(line.value, 1e6)} | {line.note} |" for line in money],
        f"| **symbionet total** | **{_fmt(float(totals['net_saving_eur']), 1e6)}** | "
        "gross operating saving at catalogue prices; the example records no investment |",
        "",
        "The 2015 study's EUR 24 million is a bottom-line saving whose prices and scope are "
        "not public; News Øresund (2018) gives DKK 600 million–1 billion. Shared wastewater "
        "treatment counts the tariff the dischargers no longer pay less the plant's marginal "
        "treatment cost. Per partner, each exchange's saving is split equally between "
        "supplier and receiver, since the example records no prices between them.",
        "",
        "## The coal era (2010 park)",
        "",
        "| figure | published | symbionet, central (low–high) |",
        "|---|---:|---|",
        *[
            f"| {name} | {published} | {old.loc[kpi, 'central']:,.0f} "
            f"({old.loc[kpi, 'low']:,.0f}–{old.loc[kpi, 'high']:,.0f}) |"
            for name, published, kpi in (
                ("CO2e saved (t/yr)", "275,000 (2008 and 2010)", "co2e_t"),
                ("groundwater saved (m3/yr)", "2,000,000 (2008)", "groundwater_m3"),
                (
                    "other fresh water saved (m3/yr)",
                    "1,000,000 (2008: 3 million in all)",
                    "freshwater_m3",
                ),
            )
        ],
        "",
        "Steam and district heat from the coal-fired units count the power the plant gives "
        "up to extract them (chp_heat); the steam volumes are estimated from a 2009 "
        "statement that the steam supply alone avoided 240,000 t CO2. Products sold anyway "
        "(sulphur, ATS, straw, ethanol, lignin) count nothing.",
        "",
        "## How to reproduce",
        "",
        "```",
        "symbionet impact examples/kalundborg --json",
        "symbionet impact examples/kalundborg-2010 --json",
        "python -m symbionet.present.kalundborg   # rewrites this page",
        "```",
        "",
        "The park totals are pinned in `tests/data/impact-*.json` and this page is checked "
        "against the code by the test suite.",
    ]
    return "\n".join(lines) + "\n"


def write(path: Path = PAGE) -> None:
    """Rewrite the page from the current code."""
    path.write_text(markdown(), encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else PAGE)
