"""Screening: likely synergies of a park from its actors' sectors alone.

A knowledge base (``symbionet/data/sector_synergies.yaml``) lists pairs of NACE sectors
that exchange resources, each with the documented cases behind it. An actor matches a
sector by class, group or division; by section only when nothing finer matches it. A
proposal's score is the weight of its cases (quantified 2, documented 1) times the
weakest of the two sector matches (class 1, group 0.75, division 0.5, section 0.2).
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from typing import Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from symbionet.discovery.explain import join, text
from symbionet.register.catalogue import Reference, default_catalogue
from symbionet.register.park import Park

LEVELS = {"class": 1.0, "group": 0.75, "division": 0.5, "section": 0.2}
EVIDENCE = {"quantified": 2.0, "documented": 1.0}
_CODE = re.compile(r"^(?:[A-U]|\d{2}(?:\.\d{1,2})?)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Case(_Strict):
    """A documented exchange between two partners of the sectors."""

    case: str
    place: str
    since: int | None = None
    evidence: Literal["quantified", "documented"]
    ref: str
    note: str = ""


class Synergy(_Strict):
    """Sectors that exchange a resource, with the cases that document it."""

    supplier: str
    receiver: str
    what: str
    resources: tuple[str, ...] = ()
    cases: tuple[Case, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _codes(self) -> Synergy:
        for code in (self.supplier, self.receiver):
            if not _CODE.match(code):
                raise ValueError(f"{code!r} is not a NACE code (C, 20, 20.1 or 20.14)")
        return self

    @property
    def weight(self) -> float:
        return sum(EVIDENCE[c.evidence] for c in self.cases)


class Knowledge(_Strict):
    """The screening knowledge base."""

    version: str
    description: str = ""
    references: dict[str, Reference]
    sections: dict[str, tuple[int, int]]
    synergies: tuple[Synergy, ...]

    @model_validator(mode="after")
    def _known(self) -> Knowledge:
        resources = default_catalogue().resources
        for synergy in self.synergies:
            unknown = [r for r in synergy.resources if r not in resources]
            unknown += [c.ref for c in synergy.cases if c.ref not in self.references]
            if unknown:
                raise ValueError(f"{synergy.supplier} → {synergy.receiver}: unknown {unknown}")
        return self

    def section(self, division: int) -> str | None:
        return next((s for s, (a, b) in self.sections.items() if a <= division <= b), None)


@cache
def knowledge() -> Knowledge:
    """The knowledge base shipped with symbionet (read once)."""
    text = (files("symbionet") / "data" / "sector_synergies.yaml").read_text(encoding="utf-8")
    return Knowledge.model_validate(yaml.safe_load(text))


def nace_levels(codes: pd.Series, kb: Knowledge) -> pd.DataFrame:
    """Each NACE code as its class, group, division and section (missing where coarser)."""
    text = codes.fillna("").astype(str).str.strip()
    digits = text.str.fullmatch(r"\d{2}(\.\d{1,2})?")
    division = text.str[:2].where(digits)
    section = division.map(
        lambda d: kb.section(int(d)) if isinstance(d, str) else None, na_action="ignore"
    )
    return pd.DataFrame(
        {
            "class": text.where(digits & (text.str.len() == 5)),
            "group": text.str[:4].where(digits & (text.str.len() >= 4)),
            "division": division,
            "section": section.where(digits, text.where(text.str.fullmatch("[A-U]"))),
        },
        index=codes.index,
    )


def _matches(actors: pd.DataFrame, codes: pd.Series, kb: Knowledge) -> pd.DataFrame:
    """(actor, synergy, level) for every actor and knowledge-base sector that agree.

    Each pair keeps its finest common level; section matches are kept only for actors
    that match no knowledge-base sector more finely.
    """
    mine = nace_levels(actors["nace"], kb)
    theirs = nace_levels(codes, kb)
    found = []
    for level in LEVELS:
        left = mine[[level]].dropna().reset_index(names="actor")
        right = theirs[[level]].dropna().reset_index(names="synergy")
        joined = left.merge(right, on=level)[["actor", "synergy"]]
        found.append(joined.assign(level=level, weight=LEVELS[level]))
    matches = pd.concat(found).sort_values("weight", ascending=False)
    matches = matches.drop_duplicates(["actor", "synergy"])
    finer = set(matches.loc[matches["level"] != "section", "actor"])
    return matches[(matches["level"] != "section") | ~matches["actor"].isin(finer)]


def screen(park: Park, top: int | None = None) -> pd.DataFrame:
    """Likely synergies between the park's actors from their NACE codes, best first.

    One row per supplier, receiver and what they would exchange (its best-documented
    synergy): the resources, the cases, how
    well the sectors match, a score and a one-line explanation; ``existing`` marks actor
    pairs that already exchange one of the resources in the park.
    """
    kb = knowledge()
    synergies = pd.DataFrame(
        [
            {
                "supplier_nace": s.supplier,
                "receiver_nace": s.receiver,
                "what": s.what,
                "resources": ", ".join(s.resources),
                "cases": len(s.cases),
                "quantified": sum(c.evidence == "quantified" for c in s.cases),
                "weight": s.weight,
                "evidence": "; ".join(
                    f"{c.case} ({c.place}{f', {c.since}' if c.since else ''}; {c.ref})"
                    for c in s.cases
                ),
            }
            for s in kb.synergies
        ]
    )
    actors = park.actors
    supplying = _matches(actors, synergies["supplier_nace"], kb)
    receiving = _matches(actors, synergies["receiver_nace"], kb)
    pairs = supplying.merge(receiving, on="synergy", suffixes=("_s", "_r"))
    pairs = pairs[pairs["actor_s"] != pairs["actor_r"]]
    rows = synergies.loc[pairs["synergy"]].reset_index(drop=True)
    weakest = np.minimum(pairs["weight_s"].to_numpy(), pairs["weight_r"].to_numpy())
    level = np.where(
        pairs["weight_s"].to_numpy() <= pairs["weight_r"].to_numpy(),
        pairs["level_s"].to_numpy(),
        pairs["level_r"].to_numpy(),
    )
    table = pd.DataFrame(
        {
            "supplier": pairs["actor_s"].to_numpy(),
            "receiver": pairs["actor_r"].to_numpy(),
            "supplier_nace": actors["nace"].reindex(pairs["actor_s"]).to_numpy(),
            "receiver_nace": actors["nace"].reindex(pairs["actor_r"]).to_numpy(),
            "what": rows["what"],
            "resources": rows["resources"],
            "sectors": rows["supplier_nace"] + " → " + rows["receiver_nace"],
            "match": level,
            "cases": rows["cases"],
            "quantified": rows["quantified"],
            "score": rows["weight"].to_numpy() * weakest,
            "evidence": rows["evidence"],
        }
    )
    table = table.sort_values(
        ["score", "cases", "supplier", "receiver", "what"],
        ascending=[False, False, True, True, True],
    )
    exchanged = table["resources"].where(table["resources"] != "", table["what"])
    table = table[
        ~pd.DataFrame({"s": table["supplier"], "r": table["receiver"], "x": exchanged}).duplicated()
    ].reset_index(drop=True)
    table["existing"] = _exchanging(park, table)
    table = table.head(top) if top else table
    names = actors["name"]
    table["explanation"] = pd.Series(
        join(
            text(table["supplier"].map(names)),
            " (",
            text(table["supplier_nace"]),
            ") could supply ",
            text(table["what"]),
            " to ",
            text(table["receiver"].map(names)),
            " (",
            text(table["receiver_nace"]),
            "): ",
            text(table["cases"].astype(str)),
            " documented case(s), ",
            text(table["quantified"].astype(str)),
            " quantified, for sectors ",
            text(table["sectors"]),
            " (matched by ",
            text(table["match"]),
            ")",
        ).to_pandas(),
        index=table.index,
        dtype="str",
    )
    table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
    return table


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
    proposed = table[["supplier", "receiver"]].assign(resource=table["resources"].str.split(", "))
    proposed = proposed.explode("resource")
    found = pd.MultiIndex.from_frame(proposed).isin(linked)
    return np.asarray(pd.Series(found, index=proposed.index).groupby(level=0).any(), dtype=bool)


__all__ = [
    "EVIDENCE",
    "LEVELS",
    "Case",
    "Knowledge",
    "Synergy",
    "knowledge",
    "nace_levels",
    "screen",
]
