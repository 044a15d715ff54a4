"""Leave-one-project-out evaluation of partner matching, against a ranking by sector alone.

For each documented project (a lead, a topic and at least one other partner), the project
is hidden, :func:`~symbionet.hub.matching.partners_for` is asked for partners for its lead
and its topic, and recall@k is the share of its real partners (the lead left out) among
the first k. The baseline ranks every other organisation by sector alone: those sharing
the NACE division of the lead first, then those of the same NACE section, then the rest,
ties by name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from symbionet.discovery.screening import nace_levels
from symbionet.errors import Problem, SymbionetError
from symbionet.hub.matching import METHOD, _organisation, partners_for
from symbionet.register.park import Park

PROJECT_COLUMNS = [
    "project",
    "lead",
    "partners",
    "found",
    "recall",
    "baseline_found",
    "baseline_recall",
]


@dataclass
class PartnerEvaluation:
    """Recall@k of partner matching, project by project and on average, with the baseline."""

    k: int
    method: str
    projects: pd.DataFrame = field(repr=False)

    @property
    def recall(self) -> float:
        """Mean recall@k over the projects (0 with none)."""
        return float(self.projects["recall"].mean()) if len(self.projects) else 0.0

    @property
    def baseline(self) -> float:
        """Mean recall@k of the ranking by sector alone."""
        return float(self.projects["baseline_recall"].mean()) if len(self.projects) else 0.0

    @property
    def ratio(self) -> float:
        """How many times the baseline's recall the matching reaches (inf over a baseline 0)."""
        if self.baseline == 0:
            return float("inf") if self.recall > 0 else 0.0
        return self.recall / self.baseline

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "method": self.method,
            "projects": len(self.projects),
            "recall": round(self.recall, 4),
            "baseline": round(self.baseline, 4),
            "ratio": round(self.ratio, 2) if self.ratio != float("inf") else None,
            "per_project": self.projects.to_dict(orient="records"),
        }


def sector_ranking(park: Park, organisation: str) -> list[str]:
    """Every other organisation ranked by sector alone: sharing ``organisation``'s NACE
    division first, then its NACE section, then the rest; ties by name, then id."""
    _organisation(park, organisation)
    actors = park.actors
    levels = nace_levels(actors["nace"])
    mine = levels.loc[organisation]
    same_division = levels["division"].notna() & (levels["division"] == mine["division"])
    same_section = levels["section"].notna() & (levels["section"] == mine["section"])
    tier = (~same_division).astype(int) + (~same_section).astype(int)
    frame = pd.DataFrame(
        {
            "tier": tier.to_numpy(),
            "name": actors["name"].astype(str).str.casefold().to_numpy(),
            "organisation": actors.index.astype(str),
        }
    )
    frame = frame[frame["organisation"] != organisation]
    return frame.sort_values(["tier", "name", "organisation"])["organisation"].tolist()


def documented_projects(park: Park) -> pd.DataFrame:
    """The projects that can be evaluated: id, lead, topic and the other partners (a set)."""
    projects = park.table("projects")
    links = park.table("project_partners")
    rows = []
    for project, row in projects.iterrows():
        mine = links[links["project"] == project]
        lead = row["lead"]
        if not isinstance(lead, str):
            leads = mine.loc[mine["role"] == "lead", "organisation"]
            lead = str(leads.iloc[0]) if len(leads) else None
        topic = row["topic"] if isinstance(row["topic"], str) and row["topic"].strip() else None
        partners = set(mine["organisation"].astype(str)) - {lead}
        if lead and topic and partners:
            rows.append({"project": project, "lead": lead, "topic": topic, "partners": partners})
    return pd.DataFrame(rows, columns=["project", "lead", "topic", "partners"])


def leaks(park: Park) -> pd.DataFrame:
    """Projects whose name (or its acronym, the part before a bracket) appears as a whole word
    in an organisation's offers, needs, description or tags: text that would give a hidden
    project's partners away. Columns: project, name, organisation, column."""
    projects = park.table("projects")
    actors = park.actors
    rows = []
    for project, name in projects["name"].dropna().astype(str).items():
        short = name.split("(")[0].strip()
        if len(short) < 3:
            continue
        pattern = re.compile(rf"(?<!\w){re.escape(short)}(?!\w)", re.IGNORECASE)
        for column in ("offers", "needs", "description", "tags"):
            for organisation, text in actors[column].dropna().astype(str).items():
                if pattern.search(text):
                    rows.append(
                        {
                            "project": project,
                            "name": short,
                            "organisation": organisation,
                            "column": column,
                        }
                    )
    return pd.DataFrame(rows, columns=["project", "name", "organisation", "column"])


def evaluate_partners(
    park: Park,
    k: int = 10,
    *,
    method: str = METHOD,
    weights: Mapping[str, float] | None = None,
) -> PartnerEvaluation:
    """Leave each documented project out in turn and measure recall@k of its partners, for
    :func:`partners_for` and for the ranking by sector alone."""
    if k < 1:
        raise SymbionetError([Problem("", None, "k", f"must be 1 or more, not {k}")])
    projects = documented_projects(park)
    rows = []
    for project, lead, topic, partners in projects.itertuples(index=False):
        found = partners_for(
            park,
            lead,
            need=topic,
            limit=k,
            hidden_projects={project},
            method=method,
            weights=weights,
        )
        hits = sorted(partners & set(found["organisation"]))
        base = sorted(partners & set(sector_ranking(park, lead)[:k]))
        rows.append(
            {
                "project": project,
                "lead": lead,
                "partners": len(partners),
                "found": len(hits),
                "recall": len(hits) / len(partners),
                "baseline_found": len(base),
                "baseline_recall": len(base) / len(partners),
            }
        )
    return PartnerEvaluation(k, method, pd.DataFrame(rows, columns=PROJECT_COLUMNS))


__all__ = [
    "PartnerEvaluation",
    "documented_projects",
    "evaluate_partners",
    "leaks",
    "sector_ranking",
]
