"""Matching in the knowledge hub: partners for a need, fit to a topic, talent for skills.

Every result is explained: the words and tags that matched, and why a partner ranks where
it does. A partner's score adds five parts, each between 0 and 1:

- ``text`` (weight 0.5): how well its offers, description and tags answer the need,
  relative to the best answer among the organisations (the best has 1; under 0.1, 0);
- ``reverse`` (0.1): how well what it looks for (its needs) answers what the asking
  organisation offers, relative to the best;
- ``together`` (0.2): projects it ran with the asking organisation, 1 - 1/(1 + n) for n
  projects (0.5 for one, 0.67 for two), not counting hidden projects;
- ``kind`` (0.1): 1 when the need asks for its kind of organisation (research: knowledge
  institutions and GTS institutes; testing or scale-up: facilities and GTS institutes;
  funding: funders; education: education providers), 0.5 when its kind complements the
  asking organisation's (a company and a university), else 0;
- ``network`` (0.1): 1 when it ran a project with one of the asking organisation's past
  partners, a project the asking organisation was not in (a partner's partner; a past
  partner may be one too), counted only when its offers fit the need.

A funder's score is then halved unless the need asks for funding.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from symbionet.errors import Problem, SymbionetError
from symbionet.hub.text import TextIndex, related, shared_terms, words
from symbionet.register.park import Park

WEIGHTS: Mapping[str, float] = {
    "text": 0.5,
    "reverse": 0.1,
    "together": 0.2,
    "kind": 0.1,
    "network": 0.1,
}
"""The weight of each part of a partner's score (they add up to 1)."""

FUNDER = 0.5
"""A funder's score is halved unless the need asks for funding: a funder pays for a project
rather than taking part in it (the register names it as the project's funder)."""

FLOOR = 0.1
"""Text fits under this share of the best fit are taken as noise (shared n-grams such as
"ing" between unrelated words) and count 0."""

METHOD = "char"
"""The retrieval method of the hub: TF-IDF over character n-grams (see docs/hub.md)."""

COMPLEMENTS: Mapping[str, frozenset[str]] = {
    "company": frozenset({"knowledge_institution", "gts_institute", "startup", "facility"}),
    "startup": frozenset(
        {"company", "knowledge_institution", "gts_institute", "facility", "funder"}
    ),
    "knowledge_institution": frozenset({"company", "startup", "gts_institute", "utility"}),
    "gts_institute": frozenset({"company", "startup", "knowledge_institution"}),
    "utility": frozenset({"company", "municipality", "knowledge_institution"}),
    "municipality": frozenset({"utility", "company", "education", "public_authority"}),
    "education": frozenset({"company", "knowledge_institution", "municipality"}),
    "cluster": frozenset({"company", "startup", "knowledge_institution", "gts_institute"}),
    "public_authority": frozenset({"municipality", "company", "knowledge_institution"}),
}
"""For each kind of organisation, the kinds that complement it in a collaboration."""

CUES: Mapping[str, frozenset[str]] = {
    "research": frozenset({"knowledge_institution", "gts_institute"}),
    "forskning": frozenset({"knowledge_institution", "gts_institute"}),
    "university": frozenset({"knowledge_institution"}),
    "universitet": frozenset({"knowledge_institution"}),
    "science": frozenset({"knowledge_institution"}),
    "testing": frozenset({"facility", "gts_institute"}),
    "pilot": frozenset({"facility", "gts_institute"}),
    "scale": frozenset({"facility", "gts_institute"}),
    "opskalering": frozenset({"facility", "gts_institute"}),
    "uppskalning": frozenset({"facility", "gts_institute"}),
    "funding": frozenset({"funder"}),
    "finansiering": frozenset({"funder"}),
    "grant": frozenset({"funder"}),
    "investment": frozenset({"funder"}),
    "investering": frozenset({"funder"}),
    "education": frozenset({"education"}),
    "uddannelse": frozenset({"education"}),
    "utbildning": frozenset({"education"}),
    "training": frozenset({"education"}),
    "startup": frozenset({"startup"}),
    "startups": frozenset({"startup"}),
    "iværksætter": frozenset({"startup"}),
}
"""Words of a need that ask for a kind of organisation (compared by :func:`related`)."""

KIND_NAMES = {
    "company": "a company",
    "startup": "a startup",
    "utility": "a utility",
    "municipality": "a municipality",
    "knowledge_institution": "a knowledge institution",
    "gts_institute": "a GTS institute",
    "education": "an education provider",
    "public_authority": "a public authority",
    "funder": "a funder",
    "cluster": "a cluster",
    "facility": "a test facility",
    "other": "an organisation",
}

PARTNER_COLUMNS = ["organisation", "name", "kind", "country", "score", "matched", "reason"]
TALENT_COLUMNS = ["company", "programme", "provider", "skills", "score"]


@dataclass(frozen=True)
class HubIndex:
    """The park's organisations indexed for matching: their offers (with description and
    tags) and their needs, in the order of ``ids``, with the columns a match shows."""

    ids: pd.Index
    offers: TextIndex
    needs: TextIndex
    offer_texts: list[str]
    said: np.ndarray
    columns: dict[str, np.ndarray]
    rank: np.ndarray
    method: str


_CACHE: list[tuple[pd.DataFrame, str, HubIndex]] = []


def offer_text(actors: pd.DataFrame) -> pd.Series:
    """Each organisation's offers, description and tags as one text."""
    parts = [actors[c].fillna("").astype(str) for c in ("offers", "description")]
    tags = actors["tags"].fillna("").astype(str).str.replace(";", ". ", regex=False)
    return parts[0] + ". " + parts[1] + ". " + tags


def hub_index(park: Park, method: str = METHOD) -> HubIndex:
    """The park's organisations indexed by ``method``, built once per park and method.

    The last two indexes built are kept, each for the actors table it was built from (the
    same object): a park whose actors change is a new park (``Park`` tables are not edited
    in place), and gets a new index."""
    actors = park.actors
    for frame, how, index in _CACHE:
        if frame is actors and how == method:
            return index
    languages = actors["language"].fillna("en").astype(str).tolist()
    offers = offer_text(actors).tolist()
    needs = actors["needs"].fillna("").astype(str).tolist()
    said = actors["offers"].fillna("").astype(str) + ". " + actors["description"].fillna("")
    index = HubIndex(
        ids=actors.index,
        offers=TextIndex(offers, languages, method),
        needs=TextIndex(needs, languages, method),
        offer_texts=offers,
        said=said.astype(str).to_numpy(dtype=object),
        columns={
            c: actors[c].astype(object).to_numpy(dtype=object) for c in ("name", "country", "tags")
        }
        | {"kind": actors["kind"].fillna("other").astype(str).to_numpy(dtype=str)},
        rank=np.argsort(np.argsort(actors.index.to_numpy(dtype=str), kind="stable")),
        method=method,
    )
    _CACHE.insert(0, (actors, method, index))
    del _CACHE[2:]
    return index


def _relative(scores: np.ndarray, mask: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Scores relative to the best among ``mask``; those under ``floor`` of the best are 0."""
    top = scores[mask].max() if mask.any() else 0.0
    if top <= 0:
        return np.zeros_like(scores)
    relative = scores / top
    return np.where(relative >= floor, relative, 0.0)


def _organisation(park: Park, organisation: object, what: str = "organisation") -> None:
    if not isinstance(organisation, str) or organisation not in park.actors.index:
        raise SymbionetError(
            [Problem("actors", None, what, f"no organisation {organisation!r} in the register")]
        )


def project_members(park: Park, hidden_projects: Collection[str] = ()) -> pd.DataFrame:
    """The organisations of each project (its partners and its lead), one row per project
    and organisation, leaving out ``hidden_projects``."""
    projects = park.table("projects")
    unknown = sorted(p for p in hidden_projects if p not in projects.index)
    if unknown:
        raise SymbionetError(
            [Problem("projects", None, "id", f"no project {p!r} in the register") for p in unknown]
        )
    links = park.table("project_partners")
    for cached_projects, cached_links, cached in _MEMBERS:
        if cached_projects is projects and cached_links is links:
            members = cached
            break
    else:
        members = _members(projects, links)
        _MEMBERS.insert(0, (projects, links, members))
        del _MEMBERS[4:]
    if not hidden_projects:
        return members
    return members[~members["project"].isin(list(hidden_projects))].reset_index(drop=True)


_MEMBERS: list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]] = []


def _members(projects: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    leads = projects["lead"].dropna()
    return pd.DataFrame(
        {
            "project": np.concatenate([links["project"].to_numpy(str), leads.index.to_numpy(str)]),
            "organisation": np.concatenate(
                [links["organisation"].to_numpy(str), leads.to_numpy(str)]
            ),
        }
    ).drop_duplicates(ignore_index=True)


def _cued_kinds(need: str) -> set[str]:
    asked = set(words(need))
    return {
        kind for cue, kinds in CUES.items() if any(related(cue, w) for w in asked) for kind in kinds
    }


def _tags(value: object) -> list[str]:
    if not isinstance(value, str):
        return []
    return list(dict.fromkeys(t.strip() for t in value.split(";") if t.strip()))


def partners_for(
    park: Park,
    organisation: str,
    need: str | None = None,
    limit: int = 10,
    hidden_projects: Collection[str] = (),
    *,
    method: str = METHOD,
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The organisations whose offers fit ``organisation``'s need (its ``needs`` text, or the
    ``need`` given), best first, at most ``limit``; never the organisation itself.

    Columns: organisation, name, kind, country, score (0 to 1), matched (the words of the
    partner's offers and description that match the need, then its tags that match the
    need or the organisation's own tags), reason (each part of the score in words).
    Projects in ``hidden_projects`` are not counted as past collaboration. Only
    organisations with a score above 0 are listed, ties in the order of their ids.
    """
    _organisation(park, organisation)
    if limit < 1:
        raise SymbionetError([Problem("", None, "limit", f"must be 1 or more, not {limit}")])
    actors = park.actors
    me = actors.loc[organisation]
    if need is not None and (not isinstance(need, str) or not words(need)):
        raise SymbionetError([Problem("", None, "need", "give a need with words in it")])
    text = need if need is not None else me["needs"]
    if not isinstance(text, str) or not words(text):
        text = " ".join(_tags(me["tags"]))
    if not words(text):
        raise SymbionetError(
            [Problem("actors", None, "needs", f"{organisation!r} states no needs: give a need")]
        )
    w = {**WEIGHTS, **(weights or {})}
    members = project_members(park, hidden_projects)
    index = hub_index(park, method)
    me_at = index.ids.get_loc(organisation)
    others = np.ones(len(index.ids), dtype=bool)
    others[me_at] = False

    fit = _relative(index.offers.scores(text), others, FLOOR)
    offered = index.offer_texts[me_at]
    reverse = _relative(index.needs.scores(offered), others, FLOOR)

    mine = members.loc[members["organisation"] == organisation, "project"]
    worked = members[members["project"].isin(mine) & (members["organisation"] != organisation)]
    shared = worked.sort_values("project").groupby("organisation")["project"].agg(list)
    at = index.ids.get_indexer(worked["organisation"])
    together = np.bincount(at[at >= 0], minlength=len(index.ids)).astype(float)
    together_part = 1.0 - 1.0 / (1.0 + together)

    # Partners' partners: organisations that ran a project without the asker with one of
    # its past partners (past partners themselves included).
    theirs = members[
        members["project"].isin(members.loc[members["organisation"].isin(shared.index), "project"])
        & ~members["project"].isin(mine)
        & (members["organisation"] != organisation)
    ].sort_values("project")
    introduced = theirs.drop_duplicates("organisation").set_index("organisation")["project"]
    at = index.ids.get_indexer(introduced.index)
    network_part = np.zeros(len(index.ids))
    network_part[at[at >= 0]] = 1.0

    cued = _cued_kinds(text)
    complements = COMPLEMENTS.get(str(me["kind"]), frozenset())
    kinds = index.columns["kind"]
    kind_part = np.where(
        np.isin(kinds, list(cued)), 1.0, np.where(np.isin(kinds, list(complements)), 0.5, 0.0)
    )

    score = (
        w["text"] * fit
        + w["reverse"] * reverse
        + w["together"] * together_part
        + w["kind"] * kind_part * ((fit > 0) | (together_part > 0))
        + w["network"] * network_part * (fit > 0)
    )
    if "funder" not in cued:
        score = np.where(kinds == "funder", score * FUNDER, score)
    candidates = np.flatnonzero((score > 0) & others)
    order = np.lexsort((index.rank[candidates], -np.round(score[candidates], 12)))
    chosen = candidates[order][:limit]

    my_tags = {t.lower() for t in _tags(me["tags"])}
    asked = list(dict.fromkeys(words(text)))
    my_kind = KIND_NAMES.get(str(me["kind"]), str(me["kind"]))
    rows = []
    for i in chosen:
        other = str(index.ids[i])
        terms = shared_terms(text, index.said[i], index.offers) if fit[i] > 0 else []
        tags = [
            t
            for t in _tags(index.columns["tags"][i])
            if t.lower() in my_tags or any(related(a, b) for a in words(t) for b in asked)
        ]
        matched = ", ".join(terms)
        if tags:
            matched += ("; " if matched else "") + "tags: " + ", ".join(tags)
        reasons = []
        if fit[i] > 0:
            reasons.append(f"offers fit the need ({fit[i]:.2f} of the best fit)")
        if reverse[i] > 0:
            reasons.append(f"looks for what you offer ({reverse[i]:.2f} of the best)")
        if other in shared.index:
            projects = shared[other]
            n = len(projects)
            listed = ", ".join(projects)
            reasons.append(f"worked with you in {n} project{'s' if n > 1 else ''} ({listed})")
        if network_part[i] > 0 and fit[i] > 0:
            reasons.append(f"worked with your partners in {introduced[other]}")
        kind = str(kinds[i])
        if kind_part[i] == 1.0:
            reasons.append(f"the need asks for {KIND_NAMES.get(kind, kind)}")
        elif kind_part[i] == 0.5:
            reasons.append(f"{KIND_NAMES.get(kind, kind)} complements {my_kind}")
        if kind == "funder" and "funder" not in cued:
            reasons.append("a funder, and the need asks for no funding: half the score")
        rows.append(
            {
                "organisation": other,
                "name": index.columns["name"][i],
                "kind": kind,
                "country": index.columns["country"][i],
                "score": round(float(score[i]), 4),
                "matched": matched,
                "reason": "; ".join(reasons),
            }
        )
    return pd.DataFrame(rows, columns=PARTNER_COLUMNS)


def topic_fit(park: Park, text: str, *, method: str = METHOD) -> pd.Series:
    """How well each organisation's offers fit a topic, 0 to 1 relative to the best fit (the
    best has 1; 0 for those that share nothing with it), indexed by organisation id."""
    if not isinstance(text, str) or not words(text):
        raise SymbionetError([Problem("", None, "topic", "give a topic with words in it")])
    index = hub_index(park, method)
    scores = _relative(index.offers.scores(text), np.ones(len(index.ids), dtype=bool))
    return pd.Series(np.clip(scores, 0.0, 1.0), index=index.ids, name="fit")


def skill_matches(needed: str, taught: str) -> bool:
    """Whether a skill a company needs is one a programme teaches: every word of the one is
    related to a word of the other (see :func:`symbionet.hub.text.related`), in either
    direction. "process engineering" matches "bioprocess engineering", and "process
    operator" matches "procesoperatør" ("operator" ends it), but "process engineering" does
    not match "process operation"."""
    a, b = words(needed), words(taught)
    if not a or not b:
        return False
    return all(any(related(x, y) for y in b) for x in a) or all(
        any(related(y, x) for x in a) for y in b
    )


def talent_for(park: Park, organisation: str | None = None, limit: int = 10) -> pd.DataFrame:
    """Education programmes that teach the skills companies need (their ``skills_needed``),
    for one organisation or for every organisation that lists skills.

    One row per company and programme that teaches at least one skill it needs, best first
    within each company, at most ``limit`` per company. ``skills`` lists each needed skill
    with the programme's skill that covers it (``bioinformatics ← Bioinformatik``); ``score``
    is the share of the company's needed skills the programme covers.
    """
    if organisation is not None:
        _organisation(park, organisation)
    actors = park.actors
    wanted = (
        actors["skills_needed"]
        if organisation is None
        else actors.loc[[organisation]]["skills_needed"]
    )
    programmes = park.table("programmes")
    rows = []
    for company, listed in wanted.items():
        needed = _tags(listed)
        if not needed:
            continue
        found = []
        for programme, taught_text in programmes["skills"].items():
            taught = _tags(taught_text)
            pairs = []
            for skill in needed:
                match = next((t for t in taught if skill_matches(skill, t)), None)
                if match is not None:
                    pairs.append(skill if match.lower() == skill.lower() else f"{skill} ← {match}")
            if pairs:
                found.append(
                    {
                        "company": company,
                        "programme": programme,
                        "provider": programmes.at[programme, "provider"],
                        "skills": "; ".join(pairs),
                        "score": round(len(pairs) / len(needed), 4),
                    }
                )
        found.sort(key=lambda r: (-r["score"], str(r["programme"])))
        rows.extend(found[:limit])
    return pd.DataFrame(rows, columns=TALENT_COLUMNS)


__all__ = [
    "COMPLEMENTS",
    "CUES",
    "METHOD",
    "WEIGHTS",
    "HubIndex",
    "hub_index",
    "offer_text",
    "partners_for",
    "project_members",
    "skill_matches",
    "talent_for",
    "topic_fit",
]
