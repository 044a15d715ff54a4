"""Stream estimates checked against the Kalundborg example: each site's streams estimated
from its NACE code and size alone, beside the streams the example registers.

    .venv/bin/python benchmarks/estimates_kalundborg.py [--json]

Sizes are the example's own (``examples/kalundborg/sites.csv``: production of the refinery,
the biogas plant, the treatment plant, Gyproc and Avista Green, each with its source; the
actors' employees for an actor's only site). One activity is given here, as a user would:
the utility's treatment plant is a sewerage site (NACE 37.00), not a water works like its
actor (36.00).

Figures:
- resource recall: the share of the registered (site, resource, direction) that the
  estimates name; over all registered streams, and over those of the sites the estimates
  reach (a size, and a sector the coefficients cover for that size);
- class recall: the same, counting a registered residue that the estimated resource class
  takes (yeast cream for a digester's feedstock) as found;
- quantity ratio: estimated / registered quantity (median and range) over the matches
  with the same resource, and the share of them whose registered quantity lies within the
  estimate's low-high range;
- class ratio: an estimated class against its registered members, counted in the class's
  unit through the catalogue's substitution ratios.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from symbionet.register.estimates import estimate_streams
from symbionet.register.park import Park, load_park
from symbionet.units import annual_factor

ROOT = Path(__file__).resolve().parents[1]
KALUNDBORG = ROOT / "examples" / "kalundborg"
SITE_NACE = {"wwtp": "37.00"}
KEY = ["site", "resource", "direction"]


def _annual(park: Park, quantity: pd.Series, unit: pd.Series, resource: pd.Series) -> pd.Series:
    """Quantities in their resource's canonical unit per year."""
    factors = []
    for u, r in zip(unit, resource, strict=True):
        entry = park.catalogue.resources[r]
        factors.append(
            annual_factor(
                u,
                entry.unit,
                entry.density_t_per_m3,
                entry.energy_mwh_per_unit,
                entry.energy_mwh_per_m3,
            )
        )
    return quantity.astype(float) * np.array(factors, dtype=float)


def compare(park: Park) -> tuple[pd.DataFrame, dict[str, object]]:
    """Registered streams beside their estimates, and the figures."""
    sites = park.sites.copy()
    sites["nace"] = pd.Series(SITE_NACE).reindex(sites.index)
    park.frames["sites"] = sites
    estimates = estimate_streams(park, skip_registered=False).reset_index()
    registered = park.streams.reset_index()
    registered["annual"] = _annual(
        park, registered["quantity"], registered["unit"], registered["resource"]
    )
    for column in ("quantity", "quantity_low", "quantity_high"):
        estimates[f"annual_{column}"] = _annual(
            park, estimates[column], estimates["unit"], estimates["resource"]
        )
    table = registered[[*KEY, "id", "annual"]].merge(
        estimates[[*KEY, "id", "annual_quantity", "annual_quantity_low", "annual_quantity_high"]],
        on=KEY,
        how="outer",
        suffixes=("_registered", "_estimated"),
        indicator=True,
    )
    table["unit"] = table["resource"].map(lambda r: park.catalogue.resources[r].unit + "/yr")
    table["ratio"] = table["annual_quantity"] / table["annual"]
    table["in_range"] = (table["annual"] >= table["annual_quantity_low"] * (1 - 1e-9)) & (
        table["annual"] <= table["annual_quantity_high"] * (1 + 1e-9)
    )
    # a registered residue that an estimated class (digester feedstock) takes counts for it
    est_keys = estimates[KEY]
    catalogue = park.catalogue
    by_class = registered.merge(est_keys, on=["site", "direction"], suffixes=("", "_est"))
    pairs = zip(by_class["resource"], by_class["resource_est"], strict=True)
    by_class["ratio"] = [None if r == e else catalogue.ratio(r, e) for r, e in pairs]
    by_class = by_class[by_class["ratio"].notna()]
    class_found = set(map(tuple, by_class[KEY].to_numpy()))
    # the registered members in the class's unit (t of yeast cream × Nm3 CH4 per t)
    by_class["in_class"] = by_class["annual"] * by_class["ratio"].astype(float)
    in_class = by_class.groupby(["site", "direction", "resource_est"])["in_class"].sum()
    class_estimates = estimates.set_index(["site", "direction", "resource"])
    class_ratio = {
        f"{site} {resource} ({direction})": round(
            float(class_estimates.loc[(site, direction, resource), "annual_quantity"] / total), 3
        )
        for (site, direction, resource), total in in_class.items()
    }

    reg = table[table["_merge"] != "right_only"]
    found = reg["_merge"] == "both"
    covered = set(estimates["site"])  # the sites the estimates reach
    in_covered = reg["site"].isin(covered)
    class_hit = found | pd.Series(
        [tuple(k) in class_found for k in reg[KEY].to_numpy()], index=reg.index
    )
    matched = reg[found]
    figures: dict[str, object] = {
        "registered_streams": len(reg),
        "estimated_streams": int((table["_merge"] != "left_only").sum()),
        "found": int(found.sum()),
        "recall": round(float(found.mean()), 3),
        "sites_covered": sorted(covered),
        "registered_at_covered_sites": int(in_covered.sum()),
        "recall_at_covered_sites": round(float(found[in_covered].mean()), 3)
        if in_covered.any()
        else None,
        "class_recall": round(float(class_hit.mean()), 3),
        "class_recall_at_covered_sites": round(float(class_hit[in_covered].mean()), 3)
        if in_covered.any()
        else None,
        "ratio_median": round(float(matched["ratio"].median()), 3) if len(matched) else None,
        "ratio_min": round(float(matched["ratio"].min()), 3) if len(matched) else None,
        "ratio_max": round(float(matched["ratio"].max()), 3) if len(matched) else None,
        "within_range": f"{int(matched['in_range'].sum())} of {len(matched)}",
        "class_ratio": class_ratio,
    }
    shown = table.rename(
        columns={
            "annual": "registered",
            "annual_quantity": "estimated",
            "annual_quantity_low": "low",
            "annual_quantity_high": "high",
        }
    )
    shown["status"] = shown["_merge"].map(
        {"both": "found", "left_only": "not estimated", "right_only": "estimate only"}
    )
    shown["ratio"] = shown["ratio"].map(lambda r: "" if pd.isna(r) else f"{r:.3f}")
    columns = [*KEY, "registered", "estimated", "low", "high", "unit", "ratio", "status"]
    return shown[columns].sort_values(["status", "site"]).reset_index(drop=True), figures


def main() -> None:
    park = load_park(KALUNDBORG)
    table, figures = compare(park)
    if "--json" in sys.argv:
        print(
            json.dumps(
                {"figures": figures, "streams": json.loads(table.to_json(orient="records"))},
                indent=2,
            )
        )
        return
    with pd.option_context(
        "display.width", 200, "display.max_rows", 200, "display.float_format", "{:,.0f}".format
    ):
        print(table.to_string(index=False))
    print()
    for name, value in figures.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
