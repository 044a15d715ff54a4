"""Screening: likely synergies of a park from its actors' sectors alone.

The evidence is a knowledge base of documented exchanges (``symbionet/data/exchanges.csv``):
each names a supplier and a receiver with their NACE codes, the resources that moved, its
place and its source. What each sector typically makes and needs comes from the sector
profiles (``sector_profiles.csv``) and the coefficients of stream estimates.

A supplier is proposed only resources its sector is documented making (matched at group
level or finer: a biogas plant shares only division 35 with a power station) or that its
profile or its own streams name; a receiver, families of resources (steam, ash...) its
sector is documented receiving, its profile names, or it needs through a substitution.
Each supplier, receiver and family gets the evidence of :data:`FEATURES`: places counted
at class, group and division level, with a place's own exchanges never evidence for
itself. A logistic regression fitted on the knowledge base (every place screened from
the others) turns them into the chance of an exchange; a proposal is a supplier and a
receiver with their likeliest families.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict

from symbionet.discovery.explain import join, text
from symbionet.errors import Problem, SymbionetError
from symbionet.register.baseline import canonical_per
from symbionet.register.catalogue import Catalogue, default_catalogue
from symbionet.register.estimates import sector_resources
from symbionet.register.park import Park
from symbionet.units import UnitProblem

LEVELS = ("class", "group", "division")
#: what a place documenting the exchange at each level adds to the score
WEIGHT = {"class": 1.0, "group": 0.5, "division": 0.25}
#: families of resources a proposal carries at most, and resources of each family
FAMILIES = 3
RESOURCES = 2
#: NACE Rev. 2 sections by their first and last division (Eurostat, NACE Rev. 2, 2008)
SECTIONS = {
    "A": (1, 3), "B": (5, 9), "C": (10, 33), "D": (35, 35), "E": (36, 39), "F": (41, 43),
    "G": (45, 47), "H": (49, 53), "I": (55, 56), "J": (58, 63), "K": (64, 66), "L": (68, 68),
    "M": (69, 75), "N": (77, 82), "O": (84, 84), "P": (85, 85), "Q": (86, 88), "R": (90, 93),
    "S": (94, 96), "T": (97, 98), "U": (99, 99),
}  # fmt: skip
COLUMNS = [
    "id", "place", "park", "town", "country", "year", "supplier", "supplier_nace",
    "receiver", "receiver_nace", "resources", "what", "quantity", "unit", "source", "note",
]  # fmt: skip
_NACE = re.compile(r"\d{2}(\.\d{1,2})?")


class Source(BaseModel):
    """A source of documented exchanges, with the licence its facts are used under."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    url: str | None = None
    year: int | None = None
    publisher: str | None = None
    licence: str


@cache
def sources() -> dict[str, Source]:
    """The sources of the knowledge base, by id."""
    raw = (files("symbionet") / "data" / "exchange_sources.yaml").read_text(encoding="utf-8")
    return {k: Source.model_validate(v) for k, v in yaml.safe_load(raw)["references"].items()}


def read_exchanges(handle: Any) -> pd.DataFrame:
    """Documented exchanges from a CSV file (or open file) of :data:`COLUMNS`, one row each,
    indexed by id, with ``resources`` a tuple of catalogue ids."""
    table = pd.read_csv(handle, dtype=str, keep_default_na=False)[COLUMNS]
    table["resources"] = table["resources"].str.split(";").map(tuple)
    table["year"] = pd.to_numeric(table["year"]).astype("Int64")
    table["quantity"] = pd.to_numeric(table["quantity"])
    return table.set_index("id", drop=False)


@cache
def documented_exchanges() -> pd.DataFrame:
    """The knowledge base shipped with symbionet (read once)."""
    with (files("symbionet") / "data" / "exchanges.csv").open(encoding="utf-8") as handle:
        return read_exchanges(handle)


def places(cases: pd.DataFrame | None = None) -> pd.Series:
    """How many exchanges each place documents, most first."""
    cases = documented_exchanges() if cases is None else cases
    return cases["place"].value_counts()


def without_place(place: str, cases: pd.DataFrame | None = None) -> pd.DataFrame:
    """The knowledge base without the exchanges of ``place`` (named in any letter case)."""
    cases = documented_exchanges() if cases is None else cases
    hidden = cases["place"].str.casefold() == place.strip().casefold()
    if not hidden.any():
        known = ", ".join(sorted(cases["place"].unique()))
        raise SymbionetError(
            [Problem("--exclude-place", None, None, f"no place {place!r}; known: {known}")]
        )
    return cases[~hidden]


@cache
def _levels_of(code: str) -> tuple[str | None, str | None, str | None, str | None]:
    """One NACE code as its class, group, division and section (None where coarser)."""
    if _NACE.fullmatch(code):
        division = int(code[:2])
        section = next((s for s, (a, b) in SECTIONS.items() if a <= division <= b), None)
        return (code if len(code) == 5 else None, code[:4] if len(code) >= 4 else None,
                code[:2], section)  # fmt: skip
    return None, None, None, code if re.fullmatch("[A-U]", code) else None


def nace_levels(codes: pd.Series) -> pd.DataFrame:
    """Each NACE code as its class, group, division and section (missing where coarser)."""
    text = codes.fillna("").astype(str).str.strip()
    rows = [_levels_of(code) for code in text]
    return pd.DataFrame(rows, index=codes.index, columns=["class", "group", "division", "section"])


def _by_level(codes: pd.Series) -> pd.DataFrame:
    """(key, level, code) for each of the keys' NACE class, group and division."""
    levels = nace_levels(codes)[list(LEVELS)]
    long = levels.rename_axis("key").reset_index().melt("key", var_name="level", value_name="code")
    return long.dropna(subset=["code"])


@dataclass(frozen=True)
class Evidence:
    """The knowledge base by sector level: the places where sectors exchanged a family of
    resources with each other, supplied it, or received it (sets of place names, so that
    a place's own exchanges can be left out when it is screened)."""

    pairs: pd.DataFrame  # level, s_code, r_code, family -> places, ids
    supplied: pd.DataFrame  # level, code, family -> places
    received: pd.DataFrame  # level, code, family -> places
    made: pd.DataFrame  # level, code, resource -> places: what sectors are documented supplying
    family_places: pd.Series  # family -> places where it is exchanged at all

    @classmethod
    def of(cls, cases: pd.DataFrame, family_of: Mapping[str, str]) -> Evidence:
        rows = cases.explode("resources").rename(columns={"resources": "resource"})
        rows = rows.reset_index(drop=True)
        rows["family"] = rows["resource"].map(lambda r: family_of.get(r, r))
        supplier = _by_level(rows["supplier_nace"]).join(rows, on="key")
        receiver = _by_level(rows["receiver_nace"]).join(rows, on="key")
        both = supplier.merge(
            receiver[["key", "level", "code"]], on=["key", "level"], suffixes=("_s", "_r")
        )
        pairs = both.groupby(["level", "code_s", "code_r", "family"], sort=False).agg(
            places=("place", frozenset), ids=("id", lambda ids: tuple(dict.fromkeys(ids)))
        )

        def places(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
            return frame.groupby(keys)["place"].agg(frozenset).rename("places").reset_index()

        return cls(
            pairs.reset_index().rename(columns={"code_s": "s_code", "code_r": "r_code"}),
            places(supplier, ["level", "code", "family"]),
            places(receiver, ["level", "code", "family"]),
            places(supplier, ["level", "code", "resource"]),
            rows.groupby("family")["place"].agg(frozenset),
        )


def _without_own(places: pd.Series, own: pd.Series) -> np.ndarray:
    """How many of each row's places are not the row's own place (None: count them all)."""
    return np.array([len(p) - (o in p) for p, o in zip(places, own, strict=True)], dtype=float)


def _coarse(found: pd.DataFrame, levels: pd.DataFrame) -> pd.Series:
    """Rows at division level for keys whose code is finer: too coarse to say what a site
    of the sector makes (a biogas plant and a power station share division 35)."""
    finest = levels.groupby("key")["level"].first()
    return (found["level"] == "division") & (found["key"].map(finest) != "division")


@cache
def sector_profiles() -> pd.DataFrame:
    """What sectors typically supply and need (``sector_profiles.csv``): one row per NACE
    code, direction and resource, with its ``level`` and source."""
    with (files("symbionet") / "data" / "sector_profiles.csv").open(encoding="utf-8") as f:
        table = pd.read_csv(f, dtype=str)
    table["resource"] = table.pop("resources").str.split(";")
    table = table.explode("resource", ignore_index=True)
    table["level"] = table["nace"].str.len().map({5: "class", 4: "group", 2: "division"})
    return table


def _profiles(
    codes: pd.Series,
    profiles: pd.DataFrame | None,
    streams: pd.DataFrame | None,
    family_of: Mapping[str, str],
) -> pd.DataFrame:
    """(key, direction, resource, family): what each key's sector typically supplies and
    needs, from the sector profiles and the sector coefficients, and what the key
    registers itself."""
    levels = _by_level(codes)
    profiled = levels.merge(
        sector_profiles().rename(columns={"nace": "code"}), on=["level", "code"]
    )
    parts = [profiled, sector_resources(codes, profiles)]
    if streams is not None:
        parts.append(streams)
    rows = pd.concat([p[["key", "direction", "resource"]] for p in parts], ignore_index=True)
    return rows.assign(family=rows["resource"].map(lambda r: family_of.get(r, r)))


def _strength(
    levels: pd.DataFrame, documented: pd.DataFrame, own: pd.Series, supply: bool
) -> pd.Series:
    """(key, family) -> places (other than the key's ``own``) documenting the key's sector
    supplying (or receiving) the family, weighted by level."""
    found = levels.merge(documented, on=["level", "code"])
    if supply:
        found = found[~_coarse(found, levels)]
    found["strength"] = _without_own(found["places"], found["key"].map(own))
    found["strength"] *= found["level"].map(WEIGHT)
    return found.groupby(["key", "family"])["strength"].sum()


def _degree(
    levels: pd.DataFrame, documented: pd.DataFrame, own: pd.Series, supply: bool
) -> pd.Series:
    """key -> places (other than the key's ``own``) documenting the key's sector supplying
    (or receiving) anything, weighted by level: how much of a hub the sector is."""
    anything = documented.groupby(["level", "code"])["places"].agg(lambda p: frozenset().union(*p))
    anything = anything.reset_index().assign(family="")
    return _strength(levels, anything, own, supply).droplevel("family")


def families(catalogue: Catalogue) -> dict[str, str]:
    """Each resource's family: its catalogue group (steam, heat, ash...), else itself."""
    return {rid: r.group or rid for rid, r in catalogue.resources.items()}


def serves(catalogue: Catalogue, family_of: Mapping[str, str]) -> pd.DataFrame:
    """(family, target, direct): the families each family can meet a need for, itself
    (``direct``) or through a substitution in the catalogue (treated effluent as cooling
    water)."""
    same = {(family_of[rid], family_of[rid]) for rid in catalogue.resources}
    substituted = {
        (family_of[rid], family_of.get(sub.resource, sub.resource))
        for rid, resource in catalogue.resources.items()
        for sub in resource.substitutes
    } - same
    rows = [(f, t, True) for f, t in same] + [(f, t, False) for f, t in substituted]
    return pd.DataFrame(sorted(rows), columns=["family", "target", "direct"])


#: what the score of a supplier, receiver and family of resources is learned from
FEATURES = [
    "pair_class",  # places where sectors of the same NACE classes exchanged the family
    "pair_group",  # ... of the same NACE groups
    "pair_division",  # ... of the same NACE divisions
    "supplied",  # places where the supplier's sector supplied the family (level-weighted)
    "received",  # places where the receiver's sector received it (level-weighted)
    "profile_supply",  # the supplier's sector profile (or its own stream) names the family
    "profile_need",  # the receiver's sector profile (or its own stream) names the family
    "substitute",  # the receiver needs the family only through a substitution
    "profile_substitute",  # the receiver's profile names a need the family substitutes
    "family_places",  # places where the family is exchanged at all
    "supplier_degree",  # places where the supplier's sector supplies anything
    "receiver_degree",  # places where the receiver's sector receives anything
]


def candidates(
    actors: pd.DataFrame,
    evidence: Evidence,
    profiles: pd.DataFrame | None = None,
    catalogue: Catalogue | None = None,
    streams: pd.DataFrame | None = None,
    place: pd.Series | None = None,
) -> pd.DataFrame:
    """Every supplier, receiver and family of resources the actors' sectors could
    exchange, with the :data:`FEATURES` of its evidence: the ``resources`` of the family
    the supplier makes (best documented first), the finest level the pair is documented
    at (``match``: class, group, division, or ``profiles``) and the cases at that level.

    A supplier makes a resource when its sector is documented supplying it (at group
    level or finer) or its profile or its own streams say so; a receiver needs a family
    when its sector is documented receiving it, its profile or streams say so, or it
    needs one the family substitutes. With ``place`` (each actor's place), actors pair
    only within their place, and a place's own exchanges are no evidence for it.
    """
    catalogue = catalogue or default_catalogue()
    family_of = families(catalogue)
    codes = actors["nace"]
    own = pd.Series(None, index=actors.index, dtype=object) if place is None else place
    levels = _by_level(codes)
    profile = _profiles(codes, profiles, streams, family_of)
    supplies = profile[profile["direction"] == "supply"]
    needs = profile[profile["direction"] == "demand"]
    made = levels.merge(evidence.made, on=["level", "code"])
    made = made[~_coarse(made, levels)]
    made["weight"] = _without_own(made["places"], made["key"].map(own))
    made["weight"] *= made["level"].map(WEIGHT)
    made = made[made["weight"] > 0].drop(columns="places")
    made = pd.concat([made, supplies.assign(weight=0.0)])
    made["family"] = made["resource"].map(lambda r: family_of.get(r, r))
    # each resource once, the best documented first: places making it, weighted by level
    made = made.groupby(["key", "family", "resource"], as_index=False)["weight"].sum()
    made = made.sort_values(["weight", "resource"], ascending=[False, True])
    offered = made.groupby(["key", "family"], sort=False)["resource"].agg(list)
    received = _strength(levels, evidence.received, own, supply=False).rename("received")
    needed = pd.concat(
        [
            received[received > 0].reset_index(),
            needs[["key", "family"]].assign(profile_need=True),
        ]
    ).rename(columns={"family": "target"})
    needed = needed.merge(serves(catalogue, family_of), on="target")
    direct = needed[needed["direct"]]
    need = direct.groupby(["key", "family"]).agg(
        received=("received", "max"), profile_need=("profile_need", "any")
    )
    through = (
        needed[~needed["direct"]]
        .assign(profile_substitute=lambda t: t["profile_need"].fillna(False).astype(bool))
        .groupby(["key", "family"])["profile_substitute"]
        .any()
    )
    need = need.join(through.to_frame().assign(via=True), how="outer")
    need["substitute"] = need["via"].notna() & need["received"].isna()
    need["substitute"] &= ~need["profile_need"].fillna(False).astype(bool)
    table = (
        offered.rename("resources")
        .reset_index()
        .merge(need.reset_index(), on="family", suffixes=("_s", "_r"))
        .rename(columns={"key_s": "supplier", "key_r": "receiver"})
    )
    table = table[table["supplier"] != table["receiver"]]
    if place is not None:
        table = table[table["supplier"].map(place) == table["receiver"].map(place)]
    table = table.reset_index(drop=True)
    supplier_family = pd.MultiIndex.from_frame(table[["supplier", "family"]])
    supplied = _strength(levels, evidence.supplied, own, supply=True)
    table["supplied"] = supplied.reindex(supplier_family).to_numpy()
    profiled = supplies.drop_duplicates(["key", "family"]).set_index(["key", "family"])
    table["profile_supply"] = supplier_family.isin(profiled.index)
    table["family_places"] = _without_own(
        table["family"]
        .map(evidence.family_places)
        .map(lambda p: p if isinstance(p, frozenset) else frozenset()),
        table["supplier"].map(own),
    )
    documented = (
        levels.rename(columns={"key": "supplier", "code": "s_code"})
        .merge(evidence.pairs, on=["level", "s_code"])
        .merge(
            levels.rename(columns={"key": "receiver", "code": "r_code"}),
            on=["level", "r_code"],
        )
    )
    if place is not None:
        documented = documented[
            documented["supplier"].map(place) == documented["receiver"].map(place)
        ]
    documented["places"] = _without_own(documented["places"], documented["supplier"].map(own))
    documented = documented[documented["places"] > 0]
    keys = ["supplier", "receiver", "family"]
    by_level = documented.pivot_table(
        index=keys, columns="level", values="places", aggfunc="sum", fill_value=0
    ).reindex(columns=list(LEVELS), fill_value=0)
    table = table.join(by_level.add_prefix("pair_"), on=keys)
    documented["rank"] = documented["level"].map({lvl: i for i, lvl in enumerate(LEVELS)})
    finest = (
        documented.sort_values("rank")
        .groupby(keys, sort=False)
        .agg(
            match=("level", "first"),
            s_code=("s_code", "first"),
            r_code=("r_code", "first"),
            ids=("ids", "first"),
        )
    )
    table = table.join(finest, on=keys)
    table["supplier_degree"] = table["supplier"].map(
        _degree(levels, evidence.supplied, own, supply=True)
    )
    table["receiver_degree"] = table["receiver"].map(
        _degree(levels, evidence.received, own, supply=False)
    )
    counts = ["pair_class", "pair_group", "pair_division", "supplied", "received"]
    counts += ["supplier_degree", "receiver_degree"]
    table[counts] = table[counts].fillna(0.0)
    for flag in ("profile_supply", "profile_need", "substitute", "profile_substitute"):
        table[flag] = table[flag].fillna(False).astype(bool)
    table["match"] = table["match"].fillna("profiles")
    table["ids"] = table["ids"].map(lambda ids: ids if isinstance(ids, tuple) else ())
    table["sectors"] = table["s_code"].fillna("") + " → " + table["r_code"].fillna("")
    table.loc[table["match"] == "profiles", "sectors"] = "sector profiles"
    return table.drop(columns=["via", "s_code", "r_code"])


_PAIRS = list(combinations(range(len(FEATURES)), 2))
#: the terms of the model: each feature, and the product of each two ("supplied×received")
TERMS = FEATURES + [f"{FEATURES[i]}×{FEATURES[j]}" for i, j in _PAIRS]


def _design(table: pd.DataFrame) -> np.ndarray:
    """The matrix of :data:`TERMS`: counts as log(1 + n), flags as 0 or log 2, and the
    products of each two, so that evidence on both sides can count for more than its
    parts."""
    logs = np.log1p(table[FEATURES].to_numpy(dtype=float))
    first, second = np.array(_PAIRS).T
    return np.column_stack([logs, logs[:, first] * logs[:, second]])


@dataclass(frozen=True)
class Model:
    """A logistic regression of whether a supplier, receiver and family of resources are
    documented exchanging, on the :data:`TERMS` of its features, fitted on documented
    places."""

    coefficients: tuple[float, ...]
    intercept: float
    places: int
    examples: int
    exchanged: int

    def score(self, table: pd.DataFrame) -> np.ndarray:
        """The modelled chance of each row's exchange."""
        if table.empty:
            return np.zeros(0)
        logit = _design(table) @ np.asarray(self.coefficients) + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-logit)))


def fit(
    cases: pd.DataFrame,
    profiles: pd.DataFrame | None = None,
    catalogue: Catalogue | None = None,
) -> Model:
    """Learn the scores from ``cases``: every place's organisations are screened from the
    other places' evidence, and each candidate is labelled by whether its place documents
    it."""
    from sklearn.linear_model import LogisticRegression

    catalogue = catalogue or default_catalogue()
    family_of = families(catalogue)
    actors = pd.concat(
        [place_actors(mine).assign(place=name) for name, mine in cases.groupby("place")]
    )
    actors.index = actors["place"] + "\x1f" + actors["name"]
    table = candidates(
        actors, Evidence.of(cases, family_of), profiles, catalogue, place=actors["place"]
    )
    done = cases.explode("resources")
    documented = pd.MultiIndex.from_arrays(
        [
            done["place"] + "\x1f" + done["supplier"],
            done["place"] + "\x1f" + done["receiver"],
            done["resources"].map(lambda r: family_of.get(r, r)),
        ]
    )
    exchanged = pd.MultiIndex.from_frame(table[["supplier", "receiver", "family"]]).isin(documented)
    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit(_design(table), exchanged)
    return Model(
        tuple(float(c) for c in model.coef_[0]),
        float(model.intercept_[0]),
        cases["place"].nunique(),
        len(table),
        int(exchanged.sum()),
    )


@cache
def shipped_model(exclude_place: str | None = None) -> Model:
    """The model fitted on the shipped knowledge base (without one place's exchanges)."""
    cases = documented_exchanges()
    return fit(without_place(exclude_place, cases) if exclude_place else cases)


def propose(
    actors: pd.DataFrame,
    cases: pd.DataFrame | None = None,
    profiles: pd.DataFrame | None = None,
    catalogue: Catalogue | None = None,
    streams: pd.DataFrame | None = None,
    model: Model | None = None,
) -> pd.DataFrame:
    """Likely exchanges between ``actors`` (indexed by id, with ``nace``), best first: one
    proposal per supplier and receiver, with its :data:`FAMILIES` likeliest families of
    resources, scored by ``model`` (default: fitted on the shipped knowledge base) from
    documented ``cases``, sector ``profiles`` and the actors' own ``streams`` (key,
    direction, resource) where known."""
    cases = documented_exchanges() if cases is None else cases
    catalogue = catalogue or default_catalogue()
    model = model or shipped_model()
    evidence = Evidence.of(cases, families(catalogue))
    table = candidates(actors, evidence, profiles, catalogue, streams)
    table["score"] = model.score(table)
    table = table.sort_values(["score", "family"], ascending=[False, True])
    return _by_pair(table, cases, documented_amounts(cases, catalogue))


def documented_amounts(cases: pd.DataFrame, catalogue: Catalogue) -> dict[tuple[str, str], float]:
    """The yearly amount of each quantified case's first resource, in its catalogue unit,
    by (id, resource); cases whose unit does not convert are left out."""
    amounts = {}
    for case in cases[cases["quantity"].notna()].itertuples():
        resource = case.resources[0]
        try:
            amounts[(case.id, resource)] = case.quantity * canonical_per(
                case.unit, catalogue.resources[resource]
            )
        except UnitProblem:
            continue
    return amounts


def _typical(
    ids: tuple[str, ...], resource: str, amounts: Mapping[tuple[str, str], float]
) -> tuple[float, int]:
    """The median documented yearly amount of ``resource`` among the cases ``ids``, and
    how many cases it rests on."""
    found = [amounts[(i, resource)] for i in ids if (i, resource) in amounts]
    return (float(np.median(found)), len(found)) if found else (float("nan"), 0)


def _by_pair(
    table: pd.DataFrame, cases: pd.DataFrame, amounts: Mapping[tuple[str, str], float]
) -> pd.DataFrame:
    """One proposal per supplier and receiver: its :data:`FAMILIES` likeliest families of
    resources (with the :data:`RESOURCES` best documented of each), the chance that it
    exchanges one of them, the evidence of each, and the typical yearly amount of its first
    resource where documented cases give one, best first."""
    columns = ["supplier", "receiver", "families", "resources", "score", "match", "sectors"]
    columns += ["evidence", "cases", "quantified", "resource", "typical", "typical_cases"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    table = table.groupby(["supplier", "receiver"], sort=False).head(FAMILIES)
    table = table.assign(
        evidence=table["family"] + ": " + table["ids"].map(lambda ids: _evidence_text(cases, ids))
    )
    pairs = table.groupby(["supplier", "receiver"], sort=False).agg(
        families=("family", list),
        resources=("resources", lambda lists: [r for rs in lists for r in rs[:RESOURCES]]),
        score=("score", lambda p: 1.0 - float(np.prod(1.0 - p))),
        match=("match", "first"),
        sectors=("sectors", "first"),
        ids=("ids", lambda ids: tuple(dict.fromkeys(i for group in ids for i in group))),
        evidence=("evidence", " | ".join),
    )
    quantified = cases["quantity"].notna()
    pairs["cases"] = pairs["ids"].map(len)
    pairs["quantified"] = pairs["ids"].map(lambda ids: int(quantified.loc[list(ids)].sum()))
    pairs["resource"] = pairs["resources"].str[0]
    typical = [
        _typical(ids, resource, amounts)
        for ids, resource in zip(pairs["ids"], pairs["resource"], strict=True)
    ]
    pairs["typical"] = [amount for amount, _ in typical]
    pairs["typical_cases"] = [n for _, n in typical]
    pairs = pairs.reset_index().sort_values(
        ["score", "cases", "quantified", "supplier", "receiver"],
        ascending=[False, False, False, True, True],
    )
    return pairs.drop(columns="ids").reset_index(drop=True)


def _evidence_text(cases: pd.DataFrame, ids: tuple[str, ...], shown: int = 3) -> str:
    """The first cases behind a proposal in words, and how many more there are."""
    if not ids:
        return "sector profiles only: the supplier's sector produces it, the receiver's uses it"
    rows = cases.loc[list(ids[:shown])]
    year = rows["year"].map(lambda y: "" if pd.isna(y) else f", {y}")
    lines = (
        rows["supplier"] + " → " + rows["receiver"] + " (" + rows["place"] + year + "; "
        + rows["source"] + ")"
    )  # fmt: skip
    more = f"; and {len(ids) - shown} more" if len(ids) > shown else ""
    return "; ".join(lines) + more


def screen(park: Park, top: int | None = None, exclude_place: str | None = None) -> pd.DataFrame:
    """Likely synergies between the park's actors from their NACE codes (and the streams
    they register, where they do), best first.

    One row per supplier and receiver, with the resources and families they would
    exchange, the modelled chance, the evidence behind it and how specific the sector
    match was; ``existing`` marks pairs that already exchange one of the resources in the
    park. ``exclude_place`` leaves one place's documented exchanges out, from the evidence
    and from the model's fitting.
    """
    cases = documented_exchanges()
    cases = without_place(exclude_place, cases) if exclude_place else cases
    actors = park.actors
    model = shipped_model(exclude_place.strip().casefold() if exclude_place else None)
    registered = park.streams.assign(key=park.streams["site"].map(park.sites["actor"]))
    table = propose(actors, cases, catalogue=park.catalogue, streams=registered, model=model)
    names = park.catalogue.resources
    table["what"] = table["resources"].map(lambda ids: ", ".join(names[r].name for r in ids))
    table["supplier_nace"] = table["supplier"].map(actors["nace"])
    table["receiver_nace"] = table["receiver"].map(actors["nace"])
    table["existing"] = _exchanging(park, table)
    table["typical_unit"] = table["resource"].map(lambda r: f"{names[r].unit}/yr")
    table = (table.head(top) if top else table).reset_index(drop=True)
    typically = pd.Series(
        [
            f"; typically {amount:,.0f} {unit} of {names[r].name} in {n} documented case(s)"
            if n
            else ""
            for amount, unit, r, n in table[
                ["typical", "typical_unit", "resource", "typical_cases"]
            ].itertuples(index=False)
        ],
        index=table.index,
        dtype="str",
    )
    table["explanation"] = pd.Series(
        join(
            text(table["supplier"].map(actors["name"])),
            " (",
            text(table["supplier_nace"]),
            ") could supply ",
            text(table["what"]),
            " to ",
            text(table["receiver"].map(actors["name"])),
            " (",
            text(table["receiver_nace"]),
            "): modelled chance ",
            text(table["score"].map("{:.2f}".format)),
            "; ",
            text(table["cases"].astype(str)),
            " documented case(s) matched at ",
            text(table["match"]),
            " level, ",
            text(table["quantified"].astype(str)),
            " quantified",
            text(typically),
        ).to_pandas(),
        dtype="str",
    )
    table = table[PROPOSAL_COLUMNS]
    table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
    return table


PROPOSAL_COLUMNS = [
    "supplier", "receiver", "supplier_nace", "receiver_nace", "what", "resources", "families",
    "sectors",
    "match", "cases", "quantified", "typical", "typical_unit", "typical_cases", "score",
    "evidence", "existing", "explanation",
]  # fmt: skip


def _exchanging(park: Park, table: pd.DataFrame) -> np.ndarray:
    """Whether the park already has an exchange of one of the resources between the two."""
    streams = park.streams
    actor_of = streams["site"].map(park.sites["actor"])
    exchanges = park.exchanges
    linked = pd.MultiIndex.from_arrays(
        [
            exchanges["supply"].map(actor_of),
            exchanges["demand"].map(actor_of),
            exchanges["supply"].map(streams["resource"]),
        ]
    )
    proposed = table[["supplier", "receiver", "resources"]].explode("resources")
    found = pd.MultiIndex.from_frame(proposed).isin(linked)
    return np.asarray(pd.Series(found, index=proposed.index).groupby(level=0).any(), dtype=bool)


# --- leave one place out ---------------------------------------------------------------------


def place_actors(cases: pd.DataFrame) -> pd.DataFrame:
    """The organisations of some documented exchanges, indexed by name, with ``nace``."""
    supplier = cases[["supplier", "supplier_nace"]].set_axis(["name", "nace"], axis=1)
    receiver = cases[["receiver", "receiver_nace"]].set_axis(["name", "nace"], axis=1)
    both = pd.concat([supplier, receiver]).drop_duplicates("name")
    return both.set_index("name", drop=False)


def evaluate_place(
    place: str,
    cases: pd.DataFrame | None = None,
    profiles: pd.DataFrame | None = None,
    model: Model | None = None,
) -> dict[str, Any]:
    """Hide ``place``, screen its organisations from their NACE codes alone, and measure
    recall of its documented exchanges among the top 2E proposals (E: its exchanges; an
    exchange is found when a proposal names its supplier, its receiver and the family of
    one of its resources; ``recall_exact`` asks for the resource itself among the
    proposal's) and precision among the top E, beside random pairs of its organisations.
    The ``model`` is fitted on the other places unless one is given."""
    cases = documented_exchanges() if cases is None else cases
    mine = cases[cases["place"] == place]
    actors = place_actors(mine)
    others = without_place(place, cases)
    table = propose(actors, others, profiles, model=model or fit(others, profiles))
    documented = mine.explode("resources").rename(columns={"resources": "resource"})
    family_of = families(default_catalogue())
    documented["family"] = documented["resource"].map(lambda r: family_of.get(r, r))
    keys = ["supplier", "receiver", "family"]
    offered_families = table[["supplier", "receiver", "families"]].assign(rank=range(len(table)))
    offered_families = offered_families.explode("families").rename(columns={"families": "family"})
    found = offered_families.merge(documented, on=keys)
    e = len(mine)
    recalled = found.loc[found["rank"] < 2 * e, "id"].nunique()
    precise = found.loc[found["rank"] < e, "rank"].nunique()
    offered = table.head(2 * e)[["supplier", "receiver", "resources"]].explode("resources")
    exact = offered.rename(columns={"resources": "resource"}).merge(
        documented, on=["supplier", "receiver", "resource"]
    )
    n = len(actors)
    ordered_pairs = n * (n - 1)
    pairs = len(mine[["supplier", "receiver"]].drop_duplicates())
    return {
        "place": place,
        "country": mine["country"].iloc[0],
        "organisations": n,
        "exchanges": e,
        "recall": recalled / e,
        "recall_exact": exact["id"].nunique() / e,
        "precision": precise / e,
        "random_recall": min(1.0, 2 * e / ordered_pairs),
        "random_precision": pairs / ordered_pairs,
        "proposals": len(table),
        "resources_per_proposal": float(table.head(2 * e)["resources"].map(len).mean()),
    }


def leave_one_place_out(
    minimum: int = 10, cases: pd.DataFrame | None = None, profiles: pd.DataFrame | None = None
) -> pd.DataFrame:
    """:func:`evaluate_place` on every place with at least ``minimum`` exchanges.

    The random baseline proposes 2E ordered pairs of the place's organisations, all
    distinct: its expected recall is 2E / (n(n − 1)), counting an exchange found by its
    pair alone; its precision the share of ordered pairs that exchange anything.
    """
    cases = documented_exchanges() if cases is None else cases
    counts = places(cases)
    rows = [evaluate_place(p, cases, profiles) for p in sorted(counts[counts >= minimum].index)]
    return pd.DataFrame(rows).set_index("place")


__all__ = [
    "FEATURES",
    "LEVELS",
    "PROPOSAL_COLUMNS",
    "TERMS",
    "WEIGHT",
    "Model",
    "Source",
    "candidates",
    "documented_exchanges",
    "evaluate_place",
    "fit",
    "leave_one_place_out",
    "nace_levels",
    "place_actors",
    "places",
    "propose",
    "read_exchanges",
    "screen",
    "shipped_model",
    "sources",
    "without_place",
]
