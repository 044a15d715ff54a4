"""Stream estimates from a site's sector and size.

Most parks start without stream data: their actors' sectors (NACE codes) and rough sizes are
known, little else. ``sector_coefficients.csv`` holds, per sector, the resources a site
typically supplies and demands, with a published low, typical and high quantity per
employee, per unit of production or per m2 of floor area; each row names its source (in
``sector_coefficients_sources.yaml``) and the working from the source's figures.

:func:`estimate_streams` turns them into stream rows for the sites of a park that have a
NACE code and a size (``provenance = estimated``, confidence low, the range in
``quantity_low`` and ``quantity_high``), leaving out what the park registers already;
:func:`fill_estimates` adds them to the park, replacing earlier estimates and never a
measured or reported stream. :func:`estimated_share` says how much of a figure rests on them.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from symbionet.errors import Problem, SymbionetError
from symbionet.register.park import Park, park_from_document
from symbionet.register.schema import NACE_PATTERN
from symbionet.units import UnitProblem, annual_factor

COEFFICIENTS_FILE = "sector_coefficients.csv"
SOURCES_FILE = "sector_coefficients_sources.yaml"
COLUMNS = [
    "nace",
    "direction",
    "resource",
    "basis",
    "basis_unit",
    "low",
    "typical",
    "high",
    "unit",
    "source",
    "note",
]
LEVELS = ("class", "group", "division")
"""NACE levels from the finest: class 10.51, group 10.5, division 10."""
BASES = {"production": 0, "floor_area": 1, "employees": 2}
"""The bases of a coefficient, the most specific first: a site's production says more about
its streams than its floor area, and that more than its head count."""
ESTIMATED = "estimated"
PREFIX = "est_"


def _level(code: pd.Series) -> pd.Series:
    """The NACE level of each code (class, group, division), empty for a section letter."""
    digits = code.str.replace(".", "", regex=False).str.len()
    return digits.map({4: "class", 3: "group", 2: "division"})


@cache
def _read_coefficients() -> pd.DataFrame:
    text = (files("symbionet") / "data" / COEFFICIENTS_FILE).open(encoding="utf-8")
    with text as handle:
        frame = pd.read_csv(handle, dtype={"nace": str, "basis_unit": str, "unit": str})
    return frame


@cache
def coefficient_sources() -> dict[str, dict[str, Any]]:
    """The references of the coefficients, by id: title, url, year, publisher, licence."""
    text = (files("symbionet") / "data" / SOURCES_FILE).read_text(encoding="utf-8")
    return dict(yaml.safe_load(text)["references"])


def check_coefficients(
    frame: pd.DataFrame, file: str = COEFFICIENTS_FILE, *, listed: bool = True
) -> pd.DataFrame:
    """The coefficient table checked: its columns, NACE codes, directions, bases, sources
    and ranges (0 <= low <= typical <= high); raises SymbionetError listing every problem.
    ``listed``: each source is a reference of the bundled sources file (else: any text
    naming the source)."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise SymbionetError([Problem(file, None, None, f"missing columns {', '.join(missing)}")])
    frame = frame[COLUMNS].copy()
    frame["nace"] = frame["nace"].astype(str).str.strip()
    for column in ("low", "typical", "high"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    sources = coefficient_sources()
    checks = {
        "nace": ~frame["nace"].str.match(r"^\d{2}(\.\d{1,2})?$"),
        "direction": ~frame["direction"].isin(["supply", "demand"]),
        "basis": ~frame["basis"].isin(list(BASES)),
        "source": ~frame["source"].isin(list(sources))
        if listed
        else frame["source"].fillna("").astype(str).str.strip().eq(""),
        "low": ~((frame["low"] >= 0) & (frame["low"] <= frame["typical"])),
        "high": ~(frame["typical"] <= frame["high"]),
        "note": frame["note"].isna(),
    }
    messages = {
        "nace": "not a NACE Rev. 2 division, group or class (20, 20.1, 20.14)",
        "direction": "must be supply or demand",
        "basis": f"must be one of {', '.join(BASES)}",
        "source": f"not a reference of {SOURCES_FILE}" if listed else "needs a source",
        "low": "needs 0 <= low <= typical",
        "high": "needs typical <= high",
        "note": "needs a note giving the working",
    }
    problems = [
        Problem(file, int(row) + 2, column, messages[column])
        for column, wrong in checks.items()
        for row in frame.index[wrong]
    ]
    if problems:
        raise SymbionetError(problems)
    frame["level"] = _level(frame["nace"])
    return frame


def read_coefficients(path: str | Path) -> pd.DataFrame:
    """Coefficients of one's own from a CSV file in the bundled table's columns (sources
    named in words), checked; a file that cannot be read is refused."""
    try:
        frame = pd.read_csv(path, dtype={"nace": str, "basis_unit": str, "unit": str})
    except (OSError, ValueError) as error:
        raise SymbionetError([Problem(str(path), None, None, f"cannot read: {error}")]) from None
    return check_coefficients(frame, str(path), listed=False)


@cache
def coefficients() -> pd.DataFrame:
    """The bundled sector coefficients, checked, with the NACE level of each row."""
    return check_coefficients(_read_coefficients())


def _checked(table: pd.DataFrame) -> pd.DataFrame:
    """A table given by the caller: checked unless it comes from :func:`read_coefficients`
    or :func:`coefficients` (which add the NACE level)."""
    return table if "level" in table else check_coefficients(table)


def _codes(codes: pd.Series) -> pd.DataFrame:
    """Each code's class, group and division (long: key, level, nace); a code that is not a
    NACE Rev. 2 code is refused, a section letter has no finer level and matches nothing."""
    text = codes.dropna().astype(str).str.strip()
    wrong = text[~text.str.match(NACE_PATTERN)]
    if len(wrong):
        raise SymbionetError(
            [
                Problem("", None, str(key), f"{code!r} is not a NACE Rev. 2 code (20, 20.1, 20.14)")
                for key, code in wrong.items()
            ]
        )
    text = text[text.str.match(r"^\d")]
    parts = pd.DataFrame(
        {
            "class": text.where(text.str.len() == 5),
            "group": text.str[:4].where(text.str.len() >= 4),
            "division": text.str[:2],
        },
        index=text.index,
    )
    parts.index.name = "key"
    long = parts.reset_index().melt(id_vars="key", var_name="level", value_name="nace")
    return long.dropna(subset=["nace"])


def _matches(codes: pd.Series, table: pd.DataFrame) -> pd.DataFrame:
    """Every coefficient row that applies to each code, at whichever level, with the rank of
    its level (0: class)."""
    long = _codes(codes)
    found = long.merge(table, on=["nace", "level"], how="inner")
    found["rank"] = found["level"].map({level: i for i, level in enumerate(LEVELS)})
    return found


def _finest(found: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The rows of ``found`` at the finest level present for each group of ``keys``."""
    best = found.groupby(keys, sort=False)["rank"].transform("min")
    return found[found["rank"] == best]


def sector_resources(codes: pd.Series, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """What each code's sector typically supplies and demands: one row per code (``key``:
    its index label), resource and direction, taken at the finest NACE level at which the
    coefficients name that resource and direction (class, then group, then division), with
    that ``level`` and the ``source``. A code that is not a NACE code is refused."""
    table = coefficients() if table is None else _checked(table)
    found = _finest(_matches(codes, table), ["key", "resource", "direction"])
    out = found.sort_values(["rank", "source"]).drop_duplicates(["key", "resource", "direction"])
    order = pd.Index(codes.index).get_indexer(out["key"])
    out = out.assign(_order=order).sort_values(["_order", "direction", "resource"])
    return out[["key", "resource", "direction", "level", "source"]].reset_index(drop=True)


def site_sizes(park: Park) -> pd.DataFrame:
    """Each site's NACE code and sizes (long: site, nace, basis, size, size_unit): its own
    employees, production and floor area; its actor's employees only where the site has no
    size of its own and is the actor's only site (an actor's head count is the group's)."""
    sites, actors = park.sites, park.actors
    frame = pd.DataFrame(index=sites.index)
    own_nace = sites["nace"] if "nace" in sites else pd.Series(np.nan, index=sites.index)
    frame["nace"] = own_nace.fillna(sites["actor"].map(actors["nace"]))
    size_columns = [c for c in ("employees", "production", "floor_area_m2") if c in sites]
    own = sites[size_columns].notna().any(axis=1) if size_columns else False
    only_site = sites["actor"].map(sites["actor"].value_counts()) == 1
    employees = sites["employees"] if "employees" in sites else pd.Series(np.nan, sites.index)
    actor_employees = sites["actor"].map(actors["employees"]).where(~own & only_site)
    sizes = {
        "employees": (employees.astype(float).fillna(actor_employees.astype(float)), ""),
        "production": (sites.get("production", pd.Series(np.nan, sites.index)), None),
        "floor_area": (sites.get("floor_area_m2", pd.Series(np.nan, sites.index)), "m2"),
    }
    unit = sites.get("production_unit", pd.Series(np.nan, sites.index))
    parts = []
    for basis, (size, fixed) in sizes.items():
        part = pd.DataFrame(
            {
                "site": sites.index,
                "nace": frame["nace"].to_numpy(),
                "basis": basis,
                "size": pd.to_numeric(size, errors="coerce").astype(float).to_numpy(),
                "size_unit": (unit if fixed is None else pd.Series(fixed, sites.index)).to_numpy(),
            }
        )
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    long["own"] = long["site"].map(own)
    return long.dropna(subset=["nace", "size"])


def _fits(rows: pd.DataFrame, park: Park) -> pd.Series:
    """Whether each coefficient's unit measures its resource as the park's catalogue does
    (a catalogue that counts a resource otherwise takes no estimate of it)."""
    pairs = rows[["unit", "resource"]].astype(str)
    fits = {}
    for unit, resource in pairs.drop_duplicates().itertuples(index=False):  # a few pairs
        entry = park.catalogue.resources[resource]
        try:
            annual_factor(
                unit,
                entry.unit,
                entry.density_t_per_m3,
                entry.energy_mwh_per_unit,
                entry.energy_mwh_per_m3,
            )
            fits[(unit, resource)] = True
        except UnitProblem:
            fits[(unit, resource)] = False
    return pd.Series(
        [fits[key] for key in pd.MultiIndex.from_frame(pairs)], index=rows.index, dtype=bool
    )


def _factors(pairs: pd.DataFrame) -> pd.Series:
    """Factor from each row's size unit to its basis unit (NaN where they do not convert)."""
    units = pairs[["size_unit", "basis_unit"]].fillna("").astype(str).replace("nan", "")
    unique = units.drop_duplicates()
    factor = {}
    for size_unit, basis_unit in unique.itertuples(index=False):  # a few unit pairs
        if not basis_unit or not size_unit:
            factor[(size_unit, basis_unit)] = 1.0 if size_unit == basis_unit else np.nan
            continue
        try:
            factor[(size_unit, basis_unit)] = annual_factor(size_unit, basis_unit)
        except UnitProblem:
            factor[(size_unit, basis_unit)] = np.nan
    keys = pd.MultiIndex.from_frame(units)
    return pd.Series([factor[k] for k in keys], index=pairs.index, dtype=float)


def estimate_streams(
    park: Park, table: pd.DataFrame | None = None, *, skip_registered: bool = True
) -> pd.DataFrame:
    """Estimated streams of the park's sites: for each site with a NACE code and a size, the
    resources its sector typically supplies and demands (finest NACE level, then the most
    specific basis its sizes allow) that the park does not register for that site, resource
    and direction (earlier estimates aside). quantity = typical coefficient x size, with
    ``quantity_low`` and ``quantity_high`` from the range; provenance estimated, confidence
    low, and a reference naming the source and the working. Streams-table rows indexed by
    id (``est_<site>_<resource>_<direction>``). ``table``: other coefficients than the
    bundled ones, in the same columns; ``skip_registered=False``: every estimate, whatever
    the park registers (to compare the two)."""
    table = coefficients() if table is None else _checked(table)
    sizes = site_sizes(park)
    if sizes.empty:
        return _empty()
    codes = sizes["nace"].drop_duplicates()
    found = _matches(codes.set_axis(codes.to_numpy()), table)
    found = found.rename(columns={"key": "site_nace"})
    rows = sizes.merge(found, left_on=["nace", "basis"], right_on=["site_nace", "basis"])
    rows = rows.rename(columns={"nace_x": "nace", "nace_y": "coefficient_nace"})
    rows = rows[rows["resource"].isin(list(park.catalogue.resources))]
    rows = rows[_fits(rows, park)]
    rows = rows.assign(factor=_factors(rows)).dropna(subset=["factor"])
    rows = _finest(rows, ["site", "resource", "direction"])
    rows = rows.assign(basis_rank=rows["basis"].map(BASES))
    rows = rows.sort_values(["site", "resource", "direction", "basis_rank"])
    rows = rows.drop_duplicates(["site", "resource", "direction"])
    streams = park.streams
    registered = streams[streams.get("provenance", pd.Series(dtype=object)) != ESTIMATED]
    known = pd.MultiIndex.from_frame(registered[["site", "resource", "direction"]].astype(str))
    here = pd.MultiIndex.from_frame(rows[["site", "resource", "direction"]].astype(str))
    if skip_registered:
        rows = rows[~here.isin(known)]
    if rows.empty:
        return _empty()
    return _stream_rows(rows, park)


def _empty() -> pd.DataFrame:
    columns = ["site", "direction", "resource", "quantity", "unit", "quantity_low"]
    columns += ["quantity_high", "name", "reference", "confidence", "provenance"]
    return pd.DataFrame(columns=columns, index=pd.Index([], name="id", dtype=object))


def _amount(value: pd.Series) -> pd.Series:
    """Numbers as text: whole ones with thousands separators, others to 4 digits."""
    return value.map(lambda v: f"{v:,.0f}" if float(v).is_integer() else f"{v:,.4g}")


def _stream_rows(rows: pd.DataFrame, park: Park) -> pd.DataFrame:
    amount = rows["size"] * rows["factor"]
    sources = coefficient_sources()
    title = rows["source"].map(lambda s: str(sources.get(s, {}).get("title", s)))
    year = rows["source"].map(lambda s: str(sources.get(s, {}).get("year", "")))
    size_text = np.where(
        rows["basis"] == "employees",
        _amount(rows["size"]) + " employees",
        np.where(
            rows["basis"] == "floor_area",
            _amount(rows["size"]) + " m2 floor area",
            _amount(rows["size"]) + " " + rows["size_unit"].astype(str) + " production",
        ),
    )
    per = rows["unit"] + " per " + rows["basis_unit"].fillna("employee").replace("", "employee")
    names = rows["resource"].map(lambda r: park.catalogue.resources[r].name)
    out = pd.DataFrame(
        {
            "site": rows["site"].to_numpy(),
            "direction": rows["direction"].to_numpy(),
            "resource": rows["resource"].to_numpy(),
            "quantity": (rows["typical"] * amount).to_numpy(),
            "unit": (rows["unit"] + "/yr").to_numpy(),
            "quantity_low": (rows["low"] * amount).to_numpy(),
            "quantity_high": (rows["high"] * amount).to_numpy(),
            "name": (
                "Estimate: " + names + " (sector " + rows["coefficient_nace"] + ")"
            ).to_numpy(),
            "reference": (
                "estimate: "
                + _amount(rows["typical"])
                + " ("
                + _amount(rows["low"])
                + "-"
                + _amount(rows["high"])
                + ") "
                + per
                + " x "
                + size_text
                + "; NACE "
                + rows["coefficient_nace"]
                + " ("
                + rows["level"]
                + " level); "
                + rows["note"]
                + "; source: "
                + title
                + np.where(year != "", " (" + year + ")", "")
            ).to_numpy(),
            "confidence": "low",
            "provenance": ESTIMATED,
        },
        index=pd.Index(
            (PREFIX + rows["site"] + "_" + rows["resource"] + "_" + rows["direction"]).to_numpy(),
            name="id",
        ),
    )
    return out.sort_values(["site", "direction", "resource"])


def _referenced(park: Park) -> set[str]:
    """Stream ids other tables name: exchanges, projects, meters."""
    named: set[str] = set()
    for table, columns in (
        ("exchanges", ("supply", "demand")),
        ("pipeline", ("supply", "demand")),
        ("meters", ("stream",)),
    ):
        frame = park.table(table)
        for column in columns:
            if column in frame:
                named |= set(frame[column].dropna().astype(str))
    return named


def fill_estimates(park: Park, table: pd.DataFrame | None = None) -> Park:
    """A new park with the estimated streams of :func:`estimate_streams` in place of earlier
    estimates: measured and reported streams stay as they are, and an earlier estimate that
    other rows name (an exchange, a project, a meter) stays until a new one replaces it."""
    new = estimate_streams(park, table)
    streams = park.streams
    estimated = streams.get("provenance", pd.Series(index=streams.index, dtype=object))
    old = streams.index[(estimated == ESTIMATED).to_numpy()]
    kept_old = old[old.isin(list(_referenced(park))) & ~old.isin(new.index)]
    clash = new.index.intersection(streams.index.difference(old))
    if len(clash):
        raise SymbionetError(
            [
                Problem(
                    "streams.csv", None, "id", f"{i!r} is taken by a stream that is not an estimate"
                )
                for i in clash
            ]
        )
    inputs = park.inputs()
    written = inputs.get("streams", pd.DataFrame(columns=["id"]))
    written = written[~written["id"].astype(str).isin(old.difference(kept_old))]
    added = new.reset_index()
    combined = pd.concat([written, added], ignore_index=True)
    document = park.to_document()
    document["streams"] = [
        {k: v for k, v in record.items() if not _blank(v)}
        for record in combined.astype(object).to_dict(orient="records")
    ]
    filled = park_from_document(document)
    filled.source = park.source
    return filled


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def estimated_streams(park: Park) -> pd.Series:
    """Whether each stream of the park is an estimate (``provenance = estimated``)."""
    streams = park.streams
    if "provenance" not in streams:
        return pd.Series(False, index=streams.index, dtype=bool)
    return (streams["provenance"] == ESTIMATED).fillna(False).astype(bool)


def estimate_labels(park: Park, supply: pd.Series, demand: pd.Series) -> np.ndarray:
    """Which side of each supply-demand pair (stream ids) is an estimate: ``supply``,
    ``demand``, ``both`` or empty."""
    marked = estimated_streams(park)
    s = supply.astype(object).map(marked).fillna(False).astype(bool).to_numpy()
    d = demand.astype(object).map(marked).fillna(False).astype(bool).to_numpy()
    return np.select([s & d, s, d], ["both", "supply", "demand"], default="").astype(object)


def estimated_share(amounts: pd.Series, supply: pd.Series, demand: pd.Series, park: Park) -> float:
    """The share of the total of ``amounts`` (absolute) that rests on an estimated stream:
    the rows whose supply or demand stream id is an estimate, over all rows; 0 when the
    total is 0."""
    rests = pd.Series(estimate_labels(park, supply, demand) != "", index=amounts.index)
    total = float(amounts.abs().sum())
    return float(amounts.abs()[rests].sum() / total) if total else 0.0


def estimated_flow_shares(park: Park, built: pd.DataFrame) -> dict[str, float]:
    """Per unit of the resources moved (t, m3, MWh...), the share of the yearly amount on a
    design's built arcs (``from``, ``to``: stream or hub ids; ``annual``) that leaves an
    estimated supply or reaches an estimated demand."""
    kind = built["kind"].astype(str)
    arcs = built[built["built"].astype(bool) & ~kind.str.startswith("technology")]
    resources = park.catalogue.resources
    unit = arcs["resource"].map(lambda r: resources[r].unit if r in resources else "")
    amounts = arcs["annual"].astype(float).abs()
    rests = estimate_labels(park, arcs["from"], arcs["to"]) != ""
    total = amounts.groupby(unit).sum()
    on_estimates = amounts[rests].groupby(unit[rests]).sum()
    return {
        str(u): float(on_estimates.get(u, 0.0) / amount)
        for u, amount in total.items()
        if amount > 0 and u
    }


__all__ = [
    "COLUMNS",
    "ESTIMATED",
    "check_coefficients",
    "coefficient_sources",
    "coefficients",
    "estimate_labels",
    "estimate_streams",
    "estimated_flow_shares",
    "estimated_share",
    "estimated_streams",
    "fill_estimates",
    "read_coefficients",
    "sector_resources",
    "site_sizes",
]
