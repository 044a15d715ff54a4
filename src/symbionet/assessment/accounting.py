"""ImpactResult accounting: what each exchange saves against the no-symbiosis baseline.

Without an exchange, its supply would follow its ``fate`` (landfill, discharge, cooling...)
and its demand its ``source`` (groundwater, a gas boiler, the market). The exchange avoids
both: the supplier's disposal and the receiver's purchase, less what the exchange itself
costs. Every figure is traceable to the stream rows, the catalogue factors (``basis``) and
this method, and carries a low-central-high range from the data's confidence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from symbionet.errors import invalid
from symbionet.options import options_from
from symbionet.register.baseline import (
    DISPOSAL,
    SALES,
    draws_freshwater,
    fate_kept,
    is_freshwater,
    is_primary_material,
    stream_baseline,
)
from symbionet.register.catalogue import Catalogue
from symbionet.register.estimates import estimate_labels, estimated_share
from symbionet.register.park import Park
from symbionet.register.schema import tables
from symbionet.results import Result, plain
from symbionet.units import annuity, convert

#: Relative uncertainty of a figure by the confidence of its weakest data row.
BANDS = {"high": 0.1, "medium": 0.25, "low": 0.5}
KPIS = [
    "co2e_t",
    "groundwater_m3",
    "freshwater_m3",
    "virgin_material_t",
    "waste_diverted_t",
    "materials_exchanged_t",
    "energy_mwh",
    "supplier_saving_eur",
    "receiver_saving_eur",
    "exchange_cost_eur",
    "net_saving_eur",
]
#: How money moves between the two sides of an exchange when no price is declared.
TRANSFER_RULE = (
    "no exchange declares a price: each exchange's net saving is split equally between "
    "supplier and receiver (the receiver pays the supplier half the difference between "
    "their own savings); transfers cancel out in the park totals"
)
METHOD = (
    "Per exchange: avoided = supplied amount x (cost and CO2e of the supply's fate) + "
    "replaced amount x (cost and CO2e of the demand's source), where replaced amount = supplied "
    "amount x the catalogue substitution ratio; net saving = avoided costs - exchange opex - "
    "capex annuity at the park's discount rate. Routes without factors use the resource's "
    "catalogue price and emission factor. A supply with no fate takes its resource's default "
    "fate (named in basis). A sold supply still finds a buyer: the sale is lost and the buyer "
    "takes what it would otherwise (the resource, or the product it substitutes). A supply "
    "made for the exchange (heat pump, wood-chip boiler) costs the input it spends. A fate "
    "the exchange carries out (digestate spread as fertiliser) is not credited. Material "
    "passed on by a partner that received material through the park's exchanges counts "
    "once in materials_exchanged_t. Per partner, each exchange's net saving is split equally "
    "unless a price is declared. Ranges: +/- 10 %, 25 % or 50 % for high, medium or "
    "low confidence of the weakest row involved, summed without offsetting."
)


@dataclass
class ImpactResult(Result):
    """Impact tables: per exchange, per partner and for the park (central, low, high)."""

    exchanges: pd.DataFrame
    partners: pd.DataFrame
    park: pd.DataFrame
    assumptions: dict[str, Any] = field(default_factory=dict)
    estimated_share: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    """Per KPI, the share of the park's total (absolute, over exchanges) that rests on an
    estimated stream (``provenance = estimated``): 0 when every stream is measured or reported."""
    main_table = "exchanges"

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": METHOD,
            **super().to_dict(),
            "park": plain(self.park.to_dict(orient="index")),
        }


STATUSES = tuple(tables()["exchanges"].column("status").choices)  # type: ignore[union-attr]
"""The statuses of exchanges, as the register declares them (the pipeline's stages)."""


@dataclass(frozen=True)
class ImpactOptions:
    """Which exchanges to count: those of ``statuses`` (active in ``year``, if given)."""

    statuses: tuple[str, ...] = ("operating",)
    year: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "statuses", tuple(self.statuses))
        wrong = [s for s in self.statuses if s not in STATUSES]
        if wrong or not self.statuses:
            raise invalid("statuses", f"must be some of {', '.join(STATUSES)}, not {wrong}")
        if self.year is not None and not isinstance(self.year, int):
            raise invalid("year", f"must be a whole year such as 2023, not {self.year!r}")


def impact(
    park: Park,
    options: ImpactOptions | None = None,
    *,
    quantities: pd.Series | None = None,
    **overrides: Any,
) -> ImpactResult:
    """Yearly impact of the park's exchanges against the no-symbiosis baseline, as
    ``options`` say (keyword arguments override single options). ``quantities``, indexed
    by exchange id, replaces the ``annual_quantity`` of those exchanges (in the supply's
    canonical unit per year; metered amounts, say); an id the park lacks is refused."""
    chosen = options_from(ImpactOptions, options, overrides)
    statuses, year = chosen.statuses, chosen.year
    exchanges = park.exchanges[park.exchanges["status"].isin(statuses)]
    if year is not None:
        started = exchanges["start_year"].isna() | (exchanges["start_year"] <= year)
        running = exchanges["end_year"].isna() | (exchanges["end_year"] >= year)
        exchanges = exchanges[started & running]
    streams, base = park.streams, stream_baseline(park)
    catalogue = park.catalogue
    supply, demand = exchanges["supply"], exchanges["demand"]
    supplied = exchanges["annual_quantity"]
    if quantities is not None:
        supplied = _replaced_quantities(supplied, quantities, park.exchanges.index)
    ratio = pd.Series(
        [
            catalogue.ratio(s, d)
            for s, d in zip(
                supply.map(streams["resource"]), demand.map(streams["resource"]), strict=True
            )
        ],
        index=exchanges.index,
        dtype=float,
    )
    replaced = supplied * ratio
    actor = streams["site"].map(park.sites["actor"])
    replaced_resource = demand.map(streams["resource"])
    entries = replaced_resource.map(catalogue.resources)
    supplied_entries = supply.map(streams["resource"]).map(catalogue.resources)

    table = pd.DataFrame(index=exchanges.index)
    table["supplier"] = supply.map(actor)
    table["receiver"] = demand.map(actor)
    table["resource"] = supply.map(streams["resource"])
    table["replaces"] = replaced_resource
    table["amount"] = supplied
    table["unit"] = supply.map(streams["annual_unit"])
    table["replaced_amount"] = replaced
    table["replaced_unit"] = demand.map(streams["annual_unit"])
    table["fate"] = supply.map(base["route_taken"])
    table["source"] = demand.map(base["route_taken"])
    # a fate the exchange carries out (digestate spread on land as fertiliser) is not avoided
    avoided = pd.Series(
        ~fate_kept(table["fate"].to_numpy(), entries.map(lambda r: r.group).to_numpy()),
        index=exchanges.index,
    )

    table["supplier_co2e_t"] = (supplied * supply.map(base["co2e_t"])).where(avoided, 0.0)
    table["receiver_co2e_t"] = replaced * demand.map(base["co2e_t"])
    table["co2e_t"] = _net(table["supplier_co2e_t"], table["receiver_co2e_t"])
    is_water = replaced_resource.map(
        lambda r: catalogue.resources[r].resource_class == "water"
    ).astype(bool)
    from_fresh = supplied_entries.map(is_freshwater).astype(bool)
    to_fresh = pd.Series(
        [
            draws_freshwater(catalogue, r, route)
            for r, route in zip(replaced_resource, demand.map(base["route"]), strict=True)
        ],
        index=exchanges.index,
        dtype=bool,
    )
    groundwater = demand.map(base["route"]).isin(["groundwater"]) | (
        replaced_resource == "groundwater"
    )
    table["groundwater_m3"] = replaced.where(
        is_water & groundwater & (supply.map(streams["resource"]) != "groundwater"), 0.0
    )
    table["freshwater_m3"] = replaced.where(is_water & to_fresh & ~from_fresh, 0.0)
    is_material = entries.map(lambda r: r.resource_class == "material" and r.unit == "t").astype(
        bool
    )
    virgin = entries.map(is_primary_material).astype(bool)
    table["virgin_material_t"] = replaced.where(is_material & virgin, 0.0)
    supplied_material = supplied_entries.map(
        lambda r: r.resource_class == "material" and r.unit == "t"
    ).astype(bool)
    material = supplied.where(supplied_material, 0.0)
    table["materials_exchanged_t"] = _counted_once(
        material, supply.map(streams["site"]), demand.map(streams["site"])
    )
    table["waste_diverted_t"] = material.where(table["fate"].isin(DISPOSAL) & avoided, 0.0)
    energy_per_unit = entries.map(lambda r: r.mwh_per_unit or np.nan)
    is_energy = entries.map(lambda r: r.resource_class == "energy").astype(bool)
    table["energy_mwh"] = (replaced * energy_per_unit).where(is_energy, 0.0).fillna(0.0)

    table["supplier_saving_eur"] = (supplied * supply.map(base["cost_eur"])).where(avoided, 0.0)
    table["receiver_saving_eur"] = replaced * demand.map(base["cost_eur"])
    rate = float(park.meta.get("discount_rate", 0.05))
    to_eur = convert(1.0, park.currency, "EUR")
    capex = exchanges["capex"].fillna(0.0) * annuity(rate, exchanges["lifetime"].fillna(20.0))
    table["exchange_cost_eur"] = (capex + exchanges["opex"].fillna(0.0)) * to_eur
    table["net_saving_eur"] = _net(
        table["supplier_saving_eur"], table["receiver_saving_eur"], -table["exchange_cost_eur"]
    )
    # half the net saving each: the receiver pays what brings both sides to it
    table["transfer_eur"] = (table["receiver_saving_eur"] - table["supplier_saving_eur"]) / 2

    confidence = pd.concat(
        [supply.map(streams["confidence"]), demand.map(streams["confidence"])], axis=1
    ).map(BANDS.get)
    table["uncertainty"] = confidence.max(axis=1).fillna(BANDS["low"])
    table["basis"] = (
        "fate: "
        + supply.map(base["basis"]).astype(str)
        + " | source: "
        + demand.map(base["basis"]).astype(str)
    )
    table["reference"] = exchanges["reference"]
    table["estimated"] = estimate_labels(park, supply, demand)
    share = pd.Series(
        {k: estimated_share(table[k], supply, demand, park) for k in KPIS}, dtype=float
    )
    totals = _park_totals(table)
    return ImpactResult(table, _partners(table, park), totals, _assumptions(park), share)


def _replaced_quantities(supplied: pd.Series, quantities: pd.Series, known: pd.Index) -> pd.Series:
    """``supplied`` with the yearly quantities of ``quantities`` in place of the register's
    for the exchanges both hold; unknown ids, and amounts that are not finite numbers of 0
    or more, are refused."""
    unknown = [str(i) for i in quantities.index if i not in known]
    if unknown:
        raise invalid("quantities", f"unknown exchanges {', '.join(unknown)}")
    twice = sorted({str(i) for i in quantities.index[quantities.index.duplicated()]})
    if twice:
        raise invalid("quantities", f"exchanges given more than once: {', '.join(twice)}")
    values = pd.to_numeric(quantities, errors="coerce").astype(float)
    wrong = [str(i) for i, v in values.items() if not (np.isfinite(v) and v >= 0)]
    if wrong:
        raise invalid("quantities", f"must be finite amounts of 0 or more: {', '.join(wrong)}")
    common = supplied.index.intersection(values.index)
    replaced = supplied.astype(float)
    replaced.loc[common] = values.loc[common].to_numpy()
    return replaced


def _net(*parts: pd.Series) -> pd.Series:
    """The sum of the parts, 0 where they cancel to rounding (a lost sale against the same
    product bought elsewhere)."""
    total = sum(parts, start=pd.Series(0.0, index=parts[0].index))
    scale = sum((part.abs() for part in parts), start=pd.Series(0.0, index=parts[0].index))
    return total.where(total.abs() > 1e-9 * scale, 0.0)


def _counted_once(
    material: pd.Series, supplier_site: pd.Series, receiver_site: pd.Series
) -> pd.Series:
    """Material an exchange passes on, less the share of it its supplier's site received
    through the other exchanges (digestate from the residues fed to a biogas plant): the same
    mass counts once."""
    received = material.groupby(receiver_site).sum()
    sent = material.groupby(supplier_site).sum()
    passed_on = np.minimum(supplier_site.map(received).fillna(0.0), supplier_site.map(sent))
    share = (passed_on / supplier_site.map(sent)).where(material > 0, 0.0)
    return material * (1.0 - share)


def _partners(table: pd.DataFrame, park: Park) -> pd.DataFrame:
    """Savings by partner: each side's own saving plus what it is paid (``transfers_eur``:
    received as supplier, paid as receiver), so that the partners add up to the park's net
    saving; CO2e, water and material figures go to the side whose baseline they avoid."""
    half_cost = table["exchange_cost_eur"] / 2
    supplier_side = pd.DataFrame(
        {
            "actor": table["supplier"],
            "saving_eur": table["supplier_saving_eur"] + table["transfer_eur"] - half_cost,
            "transfers_eur": table["transfer_eur"],
            "co2e_t": table["supplier_co2e_t"],
            "waste_diverted_t": table["waste_diverted_t"],
        }
    )
    receiver_side = pd.DataFrame(
        {
            "actor": table["receiver"],
            "saving_eur": table["receiver_saving_eur"] - table["transfer_eur"] - half_cost,
            "transfers_eur": -table["transfer_eur"],
            "co2e_t": table["receiver_co2e_t"],
            "groundwater_m3": table["groundwater_m3"],
            "freshwater_m3": table["freshwater_m3"],
            "virgin_material_t": table["virgin_material_t"],
            "energy_mwh": table["energy_mwh"],
        }
    )
    totals = pd.concat([supplier_side, receiver_side]).fillna(0.0).groupby("actor").sum()
    totals.insert(0, "name", totals.index.map(park.actors["name"]))
    return totals.sort_values("saving_eur", ascending=False)


def _park_totals(table: pd.DataFrame) -> pd.DataFrame:
    """central, low and high totals of each KPI for the park."""
    kpis = table[KPIS].astype(float)  # float even with no exchange
    central = kpis.sum()
    spread = kpis.abs().mul(table["uncertainty"].astype(float), axis=0).sum()
    return pd.DataFrame({"central": central, "low": central - spread, "high": central + spread})


def _assumptions(park: Park) -> dict[str, Any]:
    return {
        "catalogue": park.catalogue.version,
        "factor_year": park.catalogue.year,
        "catalogue_overrides": list(park.catalogue.overrides),
        "park": park.source,
        "currency": "EUR",
        "discount_rate": float(park.meta.get("discount_rate", 0.05)),
        "uncertainty_bands": BANDS,
        "disposal_fates": sorted(DISPOSAL),
        "transfers": TRANSFER_RULE,
    }


def negative_figures(
    result: ImpactResult,
    catalogue: Catalogue,
    amount: Callable[[float], str] = lambda eur: f"EUR {eur:,.0f}",
) -> list[str]:
    """Why a partner's saving or CO2e is negative: one sentence per exchange side that
    takes it below zero (a supply made for the exchange spends its input, a sale is lost,
    a treatment plant takes on treatment, an exchange costs more than it saves).
    ``amount`` writes an amount in EUR as text (in the currency the reader uses)."""
    rows = result.exchanges
    sides = pd.concat(
        [
            rows.assign(actor=rows["supplier"], co2e=rows["supplier_co2e_t"], route=rows["fate"]),
            rows.assign(actor=rows["receiver"], co2e=rows["receiver_co2e_t"], route=rows["source"]),
        ]
    )
    notes = []
    names = result.partners["name"]
    for actor, partner in result.partners.iterrows():
        mine = sides[sides["actor"] == actor]
        if partner["co2e_t"] < 0:
            for exchange, side in mine[mine["co2e"] < 0].iterrows():
                notes.append(
                    f"{names[actor]}: {side['co2e']:,.0f} t CO2e from {exchange}, "
                    f"{_why(catalogue, side['route'])}."
                )
        if partner["saving_eur"] < 0:
            for exchange, side in mine[mine["net_saving_eur"] < 0].iterrows():
                notes.append(
                    f"{names[actor]}: {amount(side['net_saving_eur'] / 2)} from {exchange}, "
                    "half of an exchange that costs more than the baseline it replaces."
                )
    return notes


def _why(catalogue: Catalogue, route_id: object) -> str:
    route = catalogue.routes.get(str(route_id))
    if route_id in SALES:
        return "whose sale is lost: its buyer takes the same product elsewhere"
    if route is not None and route.kind == "fate" and route.resource:
        return f"made only for the exchange, spending {route.resource} ({route.name.lower()})"
    if route is not None and route.kind == "source":
        return f"taken in at a cost ({route.name.lower()})"
    return f"through {route_id}"


__all__ = [
    "KPIS",
    "METHOD",
    "STATUSES",
    "ImpactOptions",
    "ImpactResult",
    "impact",
    "negative_figures",
]
