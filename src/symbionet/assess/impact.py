"""Impact accounting: what each exchange saves against the no-symbiosis baseline.

Without an exchange, its supply would follow its ``fate`` (landfill, discharge, cooling...)
and its demand its ``source`` (groundwater, a gas boiler, the market). The exchange avoids
both: the supplier's disposal and the receiver's purchase, less what the exchange itself
costs. Every figure is traceable to the stream rows, the catalogue factors (``basis``) and
this method, and carries a low-central-high range from the data's confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from symbionet.register.baseline import (
    DISPOSAL,
    draws_freshwater,
    is_freshwater,
    is_primary_material,
    stream_baseline,
)
from symbionet.register.park import Park
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
METHOD = (
    "Per exchange: avoided = supplied amount x (cost and CO2e of the supply's fate) + "
    "replaced amount x (cost and CO2e of the demand's source), where replaced amount = supplied "
    "amount x the catalogue substitution ratio; net saving = avoided costs - exchange opex - "
    "capex annuity at the park's discount rate. Routes without factors use the resource's "
    "catalogue price and emission factor. Ranges: +/- 10 %, 25 % or 50 % for high, medium or "
    "low confidence of the weakest row involved, summed without offsetting."
)


@dataclass
class Impact:
    """Impact tables: per exchange, per partner and for the park."""

    exchanges: pd.DataFrame
    partners: pd.DataFrame
    park: pd.DataFrame
    assumptions: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": METHOD,
            "assumptions": self.assumptions,
            "park": self.park.to_dict(orient="index"),
            "partners": _records(self.partners),
            "exchanges": _records(self.exchanges),
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    clean = frame.reset_index().astype(object).where(frame.reset_index().notna(), None)
    return clean.to_dict(orient="records")


def impact(
    park: Park, statuses: tuple[str, ...] = ("operating",), year: int | None = None
) -> Impact:
    """Yearly impact of the park's exchanges of the given statuses (active in ``year``)."""
    exchanges = park.exchanges[park.exchanges["status"].isin(statuses)]
    if year is not None:
        started = exchanges["start_year"].isna() | (exchanges["start_year"] <= year)
        running = exchanges["end_year"].isna() | (exchanges["end_year"] >= year)
        exchanges = exchanges[started & running]
    streams, base = park.streams, stream_baseline(park)
    catalogue = park.catalogue
    supply, demand = exchanges["supply"], exchanges["demand"]
    supplied = exchanges["annual_quantity"]
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
    table["fate"] = supply.map(base["route"])
    table["source"] = demand.map(base["route"])

    table["supplier_co2e_t"] = supplied * supply.map(base["co2e_t"])
    table["receiver_co2e_t"] = replaced * demand.map(base["co2e_t"])
    table["co2e_t"] = table["supplier_co2e_t"] + table["receiver_co2e_t"]
    is_water = replaced_resource.map(lambda r: catalogue.resources[r].resource_class == "water")
    from_fresh = supplied_entries.map(is_freshwater)
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
    is_material = entries.map(lambda r: r.resource_class == "material" and r.unit == "t")
    virgin = entries.map(is_primary_material)
    table["virgin_material_t"] = replaced.where(is_material & virgin, 0.0)
    supplied_material = supplied_entries.map(
        lambda r: r.resource_class == "material" and r.unit == "t"
    )
    table["materials_exchanged_t"] = supplied.where(supplied_material, 0.0)
    table["waste_diverted_t"] = supplied.where(
        supplied_material & table["fate"].isin(DISPOSAL), 0.0
    )
    energy_per_unit = entries.map(
        lambda r: 1.0 if r.unit == "MWh" else (r.energy_mwh_per_unit or np.nan)
    )
    is_energy = entries.map(lambda r: r.resource_class == "energy")
    table["energy_mwh"] = (replaced * energy_per_unit).where(is_energy, 0.0).fillna(0.0)

    table["supplier_saving_eur"] = supplied * supply.map(base["cost_eur"])
    table["receiver_saving_eur"] = replaced * demand.map(base["cost_eur"])
    rate = float(park.meta.get("discount_rate", 0.05))
    to_eur = convert(1.0, park.currency, "EUR")
    capex = exchanges["capex"].fillna(0.0) * annuity(rate, exchanges["lifetime"].fillna(20.0))
    table["exchange_cost_eur"] = (capex + exchanges["opex"].fillna(0.0)) * to_eur
    table["net_saving_eur"] = (
        table["supplier_saving_eur"] + table["receiver_saving_eur"] - table["exchange_cost_eur"]
    )

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
    return Impact(table, _partners(table, park), _park_totals(table), _assumptions(park))


def _partners(table: pd.DataFrame, park: Park) -> pd.DataFrame:
    """Savings by partner: the supplier keeps what its fate cost, the receiver what its source
    cost; CO2e, water and material figures go to the side whose baseline they avoid."""
    supplier_side = pd.DataFrame(
        {
            "actor": table["supplier"],
            "saving_eur": table["supplier_saving_eur"],
            "co2e_t": table["supplier_co2e_t"],
            "waste_diverted_t": table["waste_diverted_t"],
        }
    )
    receiver_side = pd.DataFrame(
        {
            "actor": table["receiver"],
            "saving_eur": table["receiver_saving_eur"],
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
    central = table[KPIS].sum()
    spread = table[KPIS].abs().mul(table["uncertainty"], axis=0).sum()
    return pd.DataFrame({"central": central, "low": central - spread, "high": central + spread})


def _assumptions(park: Park) -> dict[str, Any]:
    return {
        "catalogue": park.catalogue.version,
        "park": park.source,
        "currency": "EUR",
        "discount_rate": float(park.meta.get("discount_rate", 0.05)),
        "uncertainty_bands": BANDS,
        "disposal_fates": sorted(DISPOSAL),
    }
