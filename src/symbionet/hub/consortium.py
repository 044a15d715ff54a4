"""Consortia for a funding call: the partners that meet every eligibility rule and fit
the call's topic best, as an exact MILP in linopy solved by HiGHS.

One binary ``x[organisation]`` says whether an organisation takes part. Each kind of
rule in ``call_rules`` is one family of constraints over a labelled ``requirement``
dimension, every family written ``Σ a[requirement, organisation] × x ≥ b[requirement]``:

- ``partners``: min ≤ Σx ≤ max;
- ``countries``: for each listed country, at least ``min`` (1 if not given) partners
  from it;
- ``eligible_countries``: no partner from a country not listed (nor of unknown country);
- ``kinds``: at least ``min`` (1) partners of the listed kinds;
- ``sme_share``: Σ (sme − min) × x ≥ 0, that is at least ``min`` of the partners are
  SMEs (size medium, small or micro; a startup of unknown size counts as one);
- ``trl``: at least one partner states a readiness level within [min, max] (1 and 9 if
  not given) and none states one outside.

A lead is forced in and a ``size`` fixes the number of partners; both are treated as
rules too, so that an infeasible request can name them. The objective is the sum of the
partners' fit to the call's topic. Without a ``size``, each partner counts its fit less
``min_fit`` (0.5 by default: half the best fit, as topic fits are relative to the best),
so that an organisation that fits less joins only where a rule needs it rather than the
whole register joining a call with no maximum, and less a little more (``PENALTY``) so
that of two consortia of equal fit the smaller wins. When no consortium
exists, a deletion filter drops the rules one at a time, keeping a rule only if the
others are feasible without it, and the rules left (a smallest set that cannot be met
together) are named with what they ask and what the register holds.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from symbionet.errors import Problem, SymbionetError
from symbionet.hub.matching import topic_fit
from symbionet.register.park import Park
from symbionet.solver import solve

__all__ = ["PENALTY", "Consortium", "build_consortium", "eligible", "is_sme"]

PENALTY = 1e-4
"""What each partner costs in the objective when no size is given: a tie-break between
consortia of equal fit, smaller than any difference of fit that matters."""

NOT_PARTNERS = ("funder", "cluster")
"""Kinds of organisation left out of consortia: funders pay for projects, and a cluster
or hub (the secretariat itself) coordinates the application rather than doing the
work. A cluster is in when a kinds rule of the call names clusters, or when it leads."""

SME_SIZES = ("medium", "small", "micro")


@dataclass(frozen=True)
class Consortium:
    """The consortium built for a call.

    ``partners``: one row per partner (organisation, name, kind, country, size, sme, trl,
    fit, role, rules: the rules it helps meet). ``rules``: one row per rule (rule, kind,
    description, requirement, status: ``met``, ``cannot be met`` or ``not checked``,
    met_by). ``unmet``: why no consortium exists, one line per rule of a smallest set of
    rules that cannot be met together.
    """

    call: str
    feasible: bool
    partners: pd.DataFrame
    rules: pd.DataFrame
    unmet: list[str] = field(default_factory=list)

    @property
    def fit(self) -> float:
        """The partners' total fit to the call's topic."""
        return float(self.partners["fit"].sum()) if len(self.partners) else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The consortium as plain data (JSON-ready)."""
        return {
            "call": self.call,
            "feasible": self.feasible,
            "fit": round(self.fit, 6),
            "partners": _records(self.partners),
            "rules": _records(self.rules),
            "unmet": list(self.unmet),
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    plain = frame.astype(object).where(frame.notna(), None)
    return [
        {k: v.item() if isinstance(v, np.generic) else v for k, v in row.items()}
        for row in plain.to_dict(orient="records")
    ]


def is_sme(actors: pd.DataFrame) -> pd.Series:
    """Whether each organisation is an SME: size medium, small or micro, or a startup whose
    size is not given."""
    size = actors["size"] if "size" in actors else pd.Series(pd.NA, index=actors.index)
    kind = actors["kind"] if "kind" in actors else pd.Series(pd.NA, index=actors.index)
    return (size.isin(SME_SIZES) | (size.isna() & (kind == "startup"))).astype(bool)


def _split(cell: object) -> list[str]:
    if not isinstance(cell, str):
        return []
    return [part.strip() for part in cell.split(";") if part.strip()]


# --- the call's rules -----------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    id: str
    kind: str
    countries: tuple[str, ...]
    kinds: tuple[str, ...]
    min: float | None
    max: float | None
    description: str
    organisation: str | None = None

    @property
    def requirement(self) -> str:
        """What the rule asks, in words."""
        if self.kind == "partners":
            low, high = self.min, self.max
            if low is not None and high is not None:
                return f"between {low:g} and {high:g} partners"
            return f"at least {low:g} partners" if low is not None else f"at most {high:g} partners"
        if self.kind == "countries":
            return f"at least {_least(self):g} partner(s) from each of {', '.join(self.countries)}"
        if self.kind == "eligible_countries":
            return f"every partner from {', '.join(self.countries)}"
        if self.kind == "kinds":
            return f"at least {_least(self):g} partner(s) of kind {' or '.join(self.kinds)}"
        if self.kind == "sme_share":
            return f"at least {_least(self, 0):.0%} of the partners SMEs"
        if self.kind == "trl":
            low, high = _trl_range(self)
            return (
                f"a partner stating a readiness level (TRL) from {low:g} to {high:g}, "
                "and none stating one outside"
            )
        if self.kind == "lead":
            return f"{self.organisation} as a partner (the lead)"
        return f"exactly {self.min:g} partners"


def _least(rule: _Rule, default: float = 1.0) -> float:
    return default if rule.min is None else rule.min


def _trl_range(rule: _Rule) -> tuple[float, float]:
    return (1.0 if rule.min is None else rule.min, 9.0 if rule.max is None else rule.max)


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def _rules(park: Park, call: str) -> list[_Rule]:
    """The call's rules, checked: each names what its kind needs."""
    table = park.table("call_rules")
    rows = table[table["call"] == call]
    rules, problems = [], []
    for rule_id, row in rows.iterrows():
        rule = _Rule(
            str(rule_id),
            str(row["rule"]),
            tuple(c.upper() for c in _split(row.get("countries"))),
            tuple(_split(row.get("kinds"))),
            _number(row.get("min")),
            _number(row.get("max")),
            "" if pd.isna(row.get("description")) else str(row.get("description")),
        )
        wrong = _rule_problem(rule)
        if wrong:
            problems.append(
                Problem("call_rules.csv", None, wrong[0], f"rule {rule.id}: {wrong[1]}")
            )
        rules.append(rule)
    if problems:
        raise SymbionetError(problems)
    return rules


def _rule_problem(rule: _Rule) -> tuple[str, str] | None:
    """(column, what is wrong) with a rule, or None."""
    if rule.kind in ("countries", "eligible_countries") and not rule.countries:
        return "countries", f"a {rule.kind} rule names no country"
    if rule.kind == "kinds" and not rule.kinds:
        return "kinds", "a kinds rule names no kind of organisation"
    if rule.kind == "partners" and rule.min is None and rule.max is None:
        return "min", "a partners rule needs a min or a max"
    if rule.kind == "sme_share" and (rule.min is None or rule.min > 1):
        return "min", "an sme_share rule needs a min between 0 and 1"
    if rule.kind == "trl" and any(v is not None and not 1 <= v <= 9 for v in (rule.min, rule.max)):
        return "min", "a trl rule's min and max lie between 1 and 9"
    if rule.min is not None and rule.max is not None and rule.min > rule.max:
        return "max", f"max {rule.max:g} is below min {rule.min:g}"
    return None


# --- the requirements: rows of Σ a × x ≥ b, one family per kind of rule -----------------


@dataclass(frozen=True)
class _Family:
    """Rows of one family: the rule of each, coefficients (requirement × organisation),
    and right-hand sides."""

    rule: list[str]
    a: np.ndarray
    b: np.ndarray


def _requirements(rules: list[_Rule], orgs: pd.DataFrame) -> dict[str, _Family]:
    """Each kind of rule's rows over the candidate organisations."""
    n = len(orgs)
    ones = np.ones(n)
    country = orgs["country"].fillna("").str.upper().to_numpy()
    kind = orgs["kind"].fillna("").to_numpy()
    sme = orgs["sme"].to_numpy(float)
    trl = orgs["trl"].to_numpy(float)
    rows: dict[str, tuple[list[str], list[np.ndarray], list[float]]] = {}

    def add(family: str, rule: str, a: np.ndarray, b: float) -> None:
        names, coefficients, bounds = rows.setdefault(family, ([], [], []))
        names.append(rule)
        coefficients.append(np.asarray(a, dtype=float))
        bounds.append(float(b))

    for rule in rules:
        if rule.kind in ("partners", "size"):
            if rule.min is not None:
                add(rule.kind, rule.id, ones, rule.min)
            if rule.max is not None:
                add(rule.kind, rule.id, -ones, -rule.max)
        elif rule.kind == "countries":
            for code in rule.countries:
                add("countries", rule.id, country == code, _least(rule))
        elif rule.kind == "eligible_countries":
            outside = ~np.isin(country, rule.countries)
            add("eligible_countries", rule.id, -outside.astype(float), 0.0)
        elif rule.kind == "kinds":
            add("kinds", rule.id, np.isin(kind, rule.kinds), _least(rule))
        elif rule.kind == "sme_share":
            add("sme_share", rule.id, sme - _least(rule, 0), 0.0)
        elif rule.kind == "trl":
            low, high = _trl_range(rule)
            stated = ~np.isnan(trl)
            inside = stated & (trl >= low) & (trl <= high)
            add("trl", rule.id, inside, 1.0)
            add("trl", rule.id, -(stated & ~inside).astype(float), 0.0)
        elif rule.kind == "lead":
            add("lead", rule.id, orgs.index == rule.organisation, 1.0)
    return {
        name: _Family(names, np.vstack(coefficients), np.asarray(bounds))
        for name, (names, coefficients, bounds) in rows.items()
    }


def _model(
    orgs: pd.DataFrame,
    families: dict[str, _Family],
    active: Collection[str],
    objective: pd.Series | None,
) -> tuple[linopy.Model, linopy.Variable]:
    """The MILP with the rows of the ``active`` rules; with no objective, a feasibility
    problem."""
    m = linopy.Model()
    index = pd.Index(orgs.index, name="organisation")
    x = m.add_variables(coords=[index], name="x", binary=True)
    m.add_constraints(x.sum() >= 1, name="someone")
    for name, family in families.items():
        keep = np.isin(family.rule, list(active))
        if not keep.any():
            continue
        requirement = pd.Index(np.flatnonzero(keep), name=f"{name}_requirement")
        a = xr.DataArray(
            family.a[keep], coords={requirement.name: requirement, "organisation": index}
        )
        b = xr.DataArray(family.b[keep], coords={requirement.name: requirement})
        m.add_constraints((a * x).sum("organisation") >= b, name=name)
    if objective is None:
        m.add_objective(0 * x.sum(), sense="max")
    else:
        weights = xr.DataArray(objective.reindex(orgs.index).to_numpy(float), coords=[index])
        m.add_objective((weights * x).sum(), sense="max")
    return m, x


def _vacuous(families: dict[str, _Family], active: Collection[str]) -> bool:
    """Whether an active row asks for more than nothing of no organisation (0 ≥ 1): linopy
    drops rows without variables, so these are caught here."""
    return any(
        bool((np.isin(f.rule, list(active)) & ~f.a.any(axis=1) & (f.b > 0)).any())
        for f in families.values()
    )


def _feasible(orgs: pd.DataFrame, families: dict[str, _Family], active: Collection[str]) -> bool:
    if _vacuous(families, active):
        return False
    m, _ = _model(orgs, families, active, None)
    solved = solve(m)
    if solved.termination == "optimal":
        return True
    if solved.termination in ("infeasible", "infeasible_or_unbounded"):
        return False
    raise SymbionetError(f"the solver could not settle the call's rules ({solved.termination})")


def _deletion_filter(
    orgs: pd.DataFrame, families: dict[str, _Family], rules: list[_Rule]
) -> list[_Rule]:
    """A smallest set of rules that cannot be met together (irreducible: each is needed)."""
    kept = list(rules)
    for rule in rules:
        others = [r.id for r in kept if r.id != rule.id]
        if not _feasible(orgs, families, others):
            kept = [r for r in kept if r.id != rule.id]
    return kept


# --- why a rule cannot be met -----------------------------------------------------------


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _evidence(rule: _Rule, orgs: pd.DataFrame) -> str:
    """What the register holds against what the rule asks, among the eligible."""
    country = orgs["country"].fillna("").str.upper()
    total = len(orgs)
    if rule.kind in ("partners", "size"):
        return f"{_plural(total, 'organisation')} can take part"
    if rule.kind == "countries":
        need = _least(rule)
        counts = [(c, int((country == c).sum())) for c in rule.countries]
        short = [(c, k) for c, k in counts if k < need] or counts
        return "; ".join(
            f"needs {need:g} partner(s) from {c}, the register has {k} eligible" for c, k in short
        )
    if rule.kind == "eligible_countries":
        inside = int(country.isin(rule.countries).sum())
        return f"{inside} of the {_plural(total, 'eligible organisation')} are from there"
    if rule.kind == "kinds":
        found = int(orgs["kind"].isin(rule.kinds).sum())
        return (
            f"needs {_least(rule):g} of kind {' or '.join(rule.kinds)}, the register has "
            f"{found} eligible"
        )
    if rule.kind == "sme_share":
        smes = int(orgs["sme"].sum())
        return f"{smes} of the {_plural(total, 'eligible organisation')} are SMEs"
    if rule.kind == "trl":
        low, high = _trl_range(rule)
        trl = orgs["trl"]
        inside = int(((trl >= low) & (trl <= high)).sum())
        outside = int((trl.notna() & ~((trl >= low) & (trl <= high))).sum())
        return (
            f"{inside} eligible organisation(s) state a TRL from {low:g} to {high:g}, "
            f"{outside} state one outside"
        )
    if rule.kind == "lead":
        lead = orgs.loc[str(rule.organisation)]
        parts = [
            f"kind {lead['kind']}",
            f"from {lead['country']}" if isinstance(lead["country"], str) else "country unknown",
            "an SME" if lead["sme"] else "not an SME",
            f"TRL {lead['trl']:g}" if not pd.isna(lead["trl"]) else "no TRL stated",
        ]
        return "the lead is " + ", ".join(parts)
    return ""


def _unmet(rules: list[_Rule], orgs: pd.DataFrame) -> list[str]:
    lines = []
    for rule in rules:
        line = f"{rule.id} ({rule.kind}): needs {rule.requirement}; {_evidence(rule, orgs)}"
        others = [r.id for r in rules if r.id != rule.id]
        if others:
            line += f"; cannot be met together with {', '.join(others)}"
        lines.append(line)
    return lines


# --- the consortium ---------------------------------------------------------------------


def eligible(park: Park, call: str, lead: str | None = None) -> pd.DataFrame:
    """The organisations that may take part in a consortium for ``call``: every actor but
    the call's funder, funders, and clusters or hubs (unless a kinds rule of the call names
    clusters); the lead is always in. Columns: name, kind, country, size, sme, trl."""
    calls = park.table("calls")
    actors = park.actors
    funder = calls.at[call, "funder"] if "funder" in calls else None
    rules = park.table("call_rules")
    named = {k for cell in rules.loc[rules["call"] == call, "kinds"] for k in _split(cell)}
    left_out = set(NOT_PARTNERS) - named
    kinds = actors["kind"].fillna("")
    keep = ~kinds.isin(left_out) & (actors.index != funder)
    if lead is not None:
        keep |= actors.index == lead
    orgs = pd.DataFrame(index=actors.index[keep])
    for column in ("name", "kind", "country", "size"):
        orgs[column] = actors[column].reindex(orgs.index) if column in actors else None
    orgs["sme"] = is_sme(actors).reindex(orgs.index)
    trl = actors["trl"] if "trl" in actors else pd.Series(np.nan, index=actors.index)
    orgs["trl"] = pd.to_numeric(trl.reindex(orgs.index), errors="coerce").astype(float)
    orgs.index.name = "organisation"
    return orgs


def _topic_text(park: Park, call: str) -> str:
    row = park.table("calls").loc[call]
    parts = [row.get(c) for c in ("title", "topic", "tags")]
    return " ".join(str(p).replace(";", " ") for p in parts if isinstance(p, str))


def build_consortium(
    park: Park,
    call: str,
    lead: str | None = None,
    size: int | None = None,
    *,
    fit: pd.Series | None = None,
    min_fit: float = 0.5,
) -> Consortium:
    """The consortium for ``call`` that meets every rule of the call and fits its topic
    best, or, when none exists, the smallest set of rules that cannot be met together.

    ``lead``: an organisation that must take part (it leads). ``size``: the exact number
    of partners. ``fit``: each organisation's fit to the topic (0 to 1, by id); by default
    ``symbionet.hub.matching.topic_fit`` of the call's title, topic and tags. ``min_fit``:
    without a size, an organisation fitting less than this joins only where a rule needs
    it (0: every organisation that fits at all joins, up to the rules' maximum).
    """
    calls = park.table("calls")
    if call not in calls.index:
        raise SymbionetError([Problem("calls.csv", None, "id", f"unknown call {call!r}")])
    if lead is not None and lead not in park.actors.index:
        raise SymbionetError([Problem("", None, "lead", f"unknown organisation {lead!r}")])
    if not 0 <= min_fit <= 1:
        raise SymbionetError([Problem("", None, "min_fit", "min_fit must lie from 0 to 1")])
    if size is not None and size < 1:
        raise SymbionetError([Problem("", None, "size", f"size must be at least 1, not {size}")])
    rules = _rules(park, call)
    extra = []
    if lead is not None:
        extra.append(_Rule("lead", "lead", (), (), None, None, f"{lead} leads", lead))
    if size is not None:
        extra.append(_Rule("size", "size", (), (), float(size), float(size), f"{size} partners"))
    orgs = eligible(park, call, lead)
    scores = fit if fit is not None else topic_fit(park, _topic_text(park, call))
    orgs["fit"] = pd.to_numeric(scores.reindex(orgs.index), errors="coerce").fillna(0.0)
    everything = rules + extra
    table = _rule_table(rules, extra)
    if orgs.empty:
        why = ["no organisation in the register can take part"]
        return Consortium(call, False, _no_partners(), table.assign(status="not checked"), why)
    families = _requirements(everything, orgs)
    objective = orgs["fit"] - (min_fit + PENALTY if size is None else 0.0)
    active = [r.id for r in everything]
    m, x = _model(orgs, families, active, objective)
    solved = solve(m, mip_rel_gap=0.0) if not _vacuous(families, active) else None
    if solved is None or solved.termination in ("infeasible", "infeasible_or_unbounded"):
        core = _deletion_filter(orgs, families, everything)
        unmet = _unmet(core, orgs)
        failed = {r.id for r in core}
        table["status"] = np.where(table["rule"].isin(failed), "cannot be met", "not checked")
        return Consortium(call, False, _no_partners(), table, unmet)
    if not solved.feasible:
        raise SymbionetError(f"the solver found no consortium for {call} ({solved.termination})")
    chosen = x.solution.to_series().reindex(orgs.index).fillna(0.0).round().astype(bool)
    partners = _partners(orgs[chosen.to_numpy()], everything, lead)
    table["status"] = "met"
    members = orgs[chosen.to_numpy()]
    table["met_by"] = [
        _plural(len(partners), "partner")
        if rule.kind in ("partners", "size")
        else ", ".join(
            o for o in partners["organisation"] if _satisfies(rule, members.loc[o], lead)
        )
        for rule in everything
    ]
    return Consortium(call, True, partners, table, [])


def _rule_table(rules: list[_Rule], extra: list[_Rule]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rule": [r.id for r in rules + extra],
            "kind": [r.kind for r in rules + extra],
            "description": [r.description or r.requirement for r in rules + extra],
            "requirement": [r.requirement for r in rules + extra],
            "status": "",
            "met_by": "",
        }
    )


PARTNER_COLUMNS = [
    "organisation",
    "name",
    "kind",
    "country",
    "size",
    "sme",
    "trl",
    "fit",
    "role",
    "rules",
]


def _no_partners() -> pd.DataFrame:
    return pd.DataFrame(columns=PARTNER_COLUMNS)


def _satisfies(rule: _Rule, org: pd.Series, lead: str | None) -> bool:
    """Whether a partner helps meet a rule (partners and size rules: every partner)."""
    if rule.kind in ("countries", "eligible_countries"):
        return str(org["country"]).upper() in rule.countries
    if rule.kind == "kinds":
        return org["kind"] in rule.kinds
    if rule.kind == "sme_share":
        return bool(org["sme"])
    if rule.kind == "trl":
        low, high = _trl_range(rule)
        return not pd.isna(org["trl"]) and low <= org["trl"] <= high
    if rule.kind == "lead":
        return org.name == lead
    return False


def _partners(chosen: pd.DataFrame, rules: list[_Rule], lead: str | None) -> pd.DataFrame:
    frame = chosen.reset_index()
    frame["role"] = np.where(frame["organisation"] == lead, "lead", "partner")
    frame["rules"] = [
        "; ".join(
            f"{r.id} ({r.kind})"
            for r in rules
            if _satisfies(r, chosen.loc[org], lead) and r.kind not in ("partners", "size")
        )
        for org in frame["organisation"]
    ]
    frame["lead_first"] = frame["role"] != "lead"
    frame = frame.sort_values(["lead_first", "fit", "organisation"], ascending=[True, False, True])
    return frame[PARTNER_COLUMNS].reset_index(drop=True)
