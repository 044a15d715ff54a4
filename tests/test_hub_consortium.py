"""Consortia for a call: small registers whose best consortium is worked out by hand.

Eight organisations, their fits to the call's topic set by hand:

    id     kind                   size   country  trl  fit
    power  utility                large  DK        -   0.1
    board  company                large  DK        -   0.3
    dtu    knowledge_institution  large  DK        -   0.6
    lund   knowledge_institution  large  SE        -   0.5
    algae  startup                micro  SE        4   0.7
    ferm   startup                -      DK        6   0.4   (a startup: an SME)
    fund   funder                 -      DK        -   0.9   (never a partner)
    hub    cluster                -      DK        -   0.8   (in only if a rule names clusters)

With no rule every eligible organisation of positive fit is in; the rules below bind one
at a time, each test saying which consortium wins and why.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pandas as pd
import pytest

from symbionet.errors import SymbionetError
from symbionet.hub.consortium import PENALTY, build_consortium
from symbionet.register.park import Park, load_park
from tests.conftest import write_park

ACTORS = (
    "id,name,kind,nace,size,country,trl\n"
    "power,Power plant,utility,35.11,large,DK,\n"
    "board,Board plant,company,23.62,large,DK,\n"
    "dtu,Technical university,knowledge_institution,,large,DK,\n"
    "lund,Lund university,knowledge_institution,,large,SE,\n"
    "algae,Algae startup,startup,,micro,SE,4\n"
    "ferm,Fermentation startup,startup,,,DK,6\n"
    "fund,Foundation,funder,,,DK,\n"
    "hub,Knowledge hub,cluster,,,DK,\n"
)
FIT = pd.Series(
    {
        "power": 0.1,
        "board": 0.3,
        "dtu": 0.6,
        "lund": 0.5,
        "algae": 0.7,
        "ferm": 0.4,
        "fund": 0.9,
        "hub": 0.8,
    }
)
CALLS = "id,title,funder,topic\nc1,Biosolutions call,fund,fermentation and algae\n"
RULES_HEADER = "id,call,rule,countries,kinds,min,max,description\n"

# each organisation's attributes, written again here to check the rules without the code
ORGS = {
    "power": ("utility", "DK", False, None),
    "board": ("company", "DK", False, None),
    "dtu": ("knowledge_institution", "DK", False, None),
    "lund": ("knowledge_institution", "SE", False, None),
    "algae": ("startup", "SE", True, 4),
    "ferm": ("startup", "DK", True, 6),
}


def park_with(tmp_path: Path, rules: str = "") -> Park:
    folder = write_park(
        tmp_path / "park",
        {"actors.csv": ACTORS, "calls.csv": CALLS, "call_rules.csv": RULES_HEADER + rules},
    )
    return load_park(folder)


def meets(partners: set[str], rule: dict[str, object]) -> bool:
    """Whether a set of partners meets one rule, checked by hand over ORGS."""
    kinds = {o: ORGS[o][0] for o in partners}
    countries = {o: ORGS[o][1] for o in partners}
    low, high = rule.get("min"), rule.get("max")
    if rule["rule"] == "partners":
        return (low is None or len(partners) >= low) and (high is None or len(partners) <= high)
    if rule["rule"] == "countries":
        return all(
            sum(c == code for c in countries.values()) >= (low or 1) for code in rule["countries"]
        )
    if rule["rule"] == "eligible_countries":
        return all(c in rule["countries"] for c in countries.values())
    if rule["rule"] == "kinds":
        return sum(k in rule["kinds"] for k in kinds.values()) >= (low or 1)
    if rule["rule"] == "sme_share":
        return sum(ORGS[o][2] for o in partners) >= low * len(partners)
    if rule["rule"] == "trl":
        stated = [ORGS[o][3] for o in partners if ORGS[o][3] is not None]
        return any(low <= t <= high for t in stated) and all(low <= t <= high for t in stated)
    raise AssertionError(rule)


def best_by_enumeration(rules: list[dict[str, object]]) -> set[str]:
    """The best consortium over all 63 non-empty sets of the six eligible organisations:
    most fit, then fewest partners."""
    best: tuple[float, int] | None = None
    chosen: set[str] = set()
    for n in range(1, len(ORGS) + 1):
        for group in itertools.combinations(ORGS, n):
            if all(meets(set(group), r) for r in rules):
                key = (round(sum(FIT[o] for o in group), 9), -n)
                if best is None or key > best:
                    best, chosen = key, set(group)
    return chosen


def row(
    rule_id: str, rule: str, countries: str = "", kinds: str = "", low: str = "", high: str = ""
) -> str:
    return f"{rule_id},c1,{rule},{countries},{kinds},{low},{high},\n"


CASES = [
    # no rule: every eligible organisation of positive fit; the funder and hub stay out
    ("", [], {"power", "board", "dtu", "lund", "algae", "ferm"}),
    # at most 2: the two best fits, algae 0.7 and dtu 0.6
    (row("r1", "partners", high="2"), [{"rule": "partners", "max": 2}], {"algae", "dtu"}),
    # at most 2, two from SE: algae 0.7 + lund 0.5 (dtu 0.6 is Danish)
    (
        row("r1", "partners", high="2") + row("r2", "countries", countries="SE", low="2"),
        [{"rule": "partners", "max": 2}, {"rule": "countries", "countries": ["SE"], "min": 2}],
        {"algae", "lund"},
    ),
    # at most 2, both from DK: dtu 0.6 + ferm 0.4 (not board 0.3); algae is Swedish
    (
        row("r1", "partners", high="2") + row("r2", "countries", countries="DK", low="2"),
        [{"rule": "partners", "max": 2}, {"rule": "countries", "countries": ["DK"], "min": 2}],
        {"dtu", "ferm"},
    ),
    # only Swedish partners: algae and lund
    (
        row("r1", "eligible_countries", countries="SE"),
        [{"rule": "eligible_countries", "countries": ["SE"]}],
        {"algae", "lund"},
    ),
    # at most 2, one a company or utility: algae 0.7 + board 0.3 (not power 0.1)
    (
        row("r1", "partners", high="2") + row("r2", "kinds", kinds="company;utility"),
        [{"rule": "partners", "max": 2}, {"rule": "kinds", "kinds": ["company", "utility"]}],
        {"algae", "board"},
    ),
    # at most 3, 60 % SMEs (2 of 3): algae + ferm + dtu = 1.7 beats algae + dtu + lund = 1.8
    # which has one SME
    (
        row("r1", "partners", high="3") + row("r2", "sme_share", low="0.6"),
        [{"rule": "partners", "max": 3}, {"rule": "sme_share", "min": 0.6}],
        {"algae", "ferm", "dtu"},
    ),
    # at most 2, TRL 5-7: ferm (6) must be in and algae (4) out: dtu + ferm = 1.0
    (
        row("r1", "partners", high="2") + row("r2", "trl", low="5", high="7"),
        [{"rule": "partners", "max": 2}, {"rule": "trl", "min": 5, "max": 7}],
        {"dtu", "ferm"},
    ),
    # exactly 3 partners
    (
        row("r1", "partners", low="3", high="3"),
        [{"rule": "partners", "min": 3, "max": 3}],
        {"algae", "dtu", "lund"},
    ),
]


@pytest.mark.parametrize(("rules", "check", "expected"), CASES)
def test_the_best_consortium_by_hand(
    tmp_path: Path, rules: str, check: list[dict[str, object]], expected: set[str]
) -> None:
    consortium = build_consortium(park_with(tmp_path, rules), "c1", fit=FIT, min_fit=0)
    assert consortium.feasible
    chosen = set(consortium.partners["organisation"])
    assert chosen == expected
    assert chosen == best_by_enumeration(check)
    assert all(meets(chosen, r) for r in check)
    assert consortium.fit == pytest.approx(sum(FIT[o] for o in expected))
    assert (consortium.rules["status"] == "met").all()


def test_each_rule_binds(tmp_path: Path) -> None:
    """Without its rule, each case above would choose otherwise."""
    for rules, check, expected in CASES[2:-1]:
        loose = [r for r in check if r["rule"] == "partners"]
        assert best_by_enumeration(loose) != expected, rules


def test_partner_rows_say_which_rules_they_meet(tmp_path: Path) -> None:
    rules = row("r1", "partners", high="3") + row("r2", "sme_share", low="0.6")
    rules += row("r3", "countries", countries="SE")
    consortium = build_consortium(park_with(tmp_path, rules), "c1", fit=FIT, min_fit=0)
    partners = consortium.partners.set_index("organisation")
    assert list(consortium.partners["organisation"]) == ["algae", "dtu", "ferm"]  # by fit
    assert partners.loc["algae", "rules"] == "r2 (sme_share); r3 (countries)"
    assert partners.loc["ferm", "rules"] == "r2 (sme_share)"
    assert partners.loc["dtu", "rules"] == ""
    assert bool(partners.loc["ferm", "sme"])  # a startup of unknown size is an SME
    met_by = consortium.rules.set_index("rule")["met_by"]
    assert met_by["r1"] == "3 partners"
    assert met_by["r2"] == "algae, ferm"
    assert met_by["r3"] == "algae"
    document = consortium.to_dict()
    assert json.loads(json.dumps(document)) == document
    assert document["feasible"] and len(document["partners"]) == 3


def test_the_lead_is_forced_in(tmp_path: Path) -> None:
    # power (0.1) leads; the other place goes to the best fit, algae
    consortium = build_consortium(
        park_with(tmp_path, row("r1", "partners", high="2")), "c1", lead="power", fit=FIT, min_fit=0
    )
    assert list(consortium.partners["organisation"]) == ["power", "algae"]
    assert list(consortium.partners["role"]) == ["lead", "partner"]


def test_a_size_fixes_the_number_of_partners(tmp_path: Path) -> None:
    consortium = build_consortium(park_with(tmp_path), "c1", size=2, fit=FIT, min_fit=0)
    assert set(consortium.partners["organisation"]) == {"algae", "dtu"}


def test_of_equal_fits_the_smaller_consortium_wins(tmp_path: Path) -> None:
    # only algae fits; a partner of no fit would only cost the tie-break penalty
    fit = pd.Series({"algae": 0.7})
    consortium = build_consortium(park_with(tmp_path), "c1", fit=fit)
    assert list(consortium.partners["organisation"]) == ["algae"]
    assert PENALTY < 0.01


def test_by_default_a_partner_below_half_the_best_fit_joins_only_where_a_rule_needs_it(
    tmp_path: Path,
) -> None:
    # each partner counts its fit − 0.5: algae +0.2 and dtu +0.1 join on their own; lund
    # (0.5) adds nothing; a company or utility is needed, and board (0.3, −0.2) costs less
    # than power (0.1, −0.4)
    alone = build_consortium(park_with(tmp_path), "c1", fit=FIT)
    assert set(alone.partners["organisation"]) == {"algae", "dtu"}
    rules = row("r1", "kinds", kinds="company;utility")
    needed = build_consortium(park_with(tmp_path / "b", rules), "c1", fit=FIT)
    assert set(needed.partners["organisation"]) == {"algae", "dtu", "board"}
    # a size overrides it: the three best fits
    sized = build_consortium(park_with(tmp_path / "c"), "c1", size=3, fit=FIT)
    assert set(sized.partners["organisation"]) == {"algae", "dtu", "lund"}


def test_a_cluster_takes_part_when_a_rule_names_clusters(tmp_path: Path) -> None:
    rules = row("r1", "partners", high="2") + row("r2", "kinds", kinds="cluster")
    consortium = build_consortium(park_with(tmp_path, rules), "c1", fit=FIT, min_fit=0)
    assert set(consortium.partners["organisation"]) == {"hub", "algae"}  # 0.8 + 0.7


@pytest.mark.parametrize(
    ("rules", "lead", "unmet"),
    [
        (
            row("r1", "countries", countries="DE"),
            None,
            [
                "r1 (countries): needs at least 1 partner(s) from each of DE; "
                "needs 1 partner(s) from DE, the register has 0 eligible"
            ],
        ),
        (
            row("r1", "countries", countries="DK;SE", low="3"),
            None,
            [
                "r1 (countries): needs at least 3 partner(s) from each of DK, SE; "
                "needs 3 partner(s) from SE, the register has 2 eligible"
            ],
        ),
        (
            # the funder of the call and funders in general are no partners
            row("r1", "kinds", kinds="funder"),
            None,
            [
                "r1 (kinds): needs at least 1 partner(s) of kind funder; "
                "needs 1 of kind funder, the register has 0 eligible"
            ],
        ),
        (
            row("r1", "trl", low="8", high="9"),
            None,
            [
                "r1 (trl): needs a partner stating a readiness level (TRL) from 8 to 9, and none "
                "stating one outside; 0 eligible organisation(s) state a TRL from 8 to 9, "
                "2 state one outside"
            ],
        ),
        (
            row("r1", "partners", low="7"),
            None,
            ["r1 (partners): needs at least 7 partners; 6 organisations can take part"],
        ),
        (
            # 4 partners of which 75 % SMEs: only 2 SMEs exist. The countries rule is met
            # either way and is left out of the explanation.
            row("r1", "partners", low="4")
            + row("r2", "sme_share", low="0.75")
            + row("r3", "countries", countries="DK"),
            None,
            [
                "r1 (partners): needs at least 4 partners; 6 organisations can take part; "
                "cannot be met together with r2",
                "r2 (sme_share): needs at least 75% of the partners SMEs; 2 of the 6 eligible "
                "organisations are SMEs; cannot be met together with r1",
            ],
        ),
        (
            # a Danish lead in a Swedish-only call
            row("r1", "eligible_countries", countries="SE"),
            "power",
            [
                "r1 (eligible_countries): needs every partner from SE; 2 of the 6 eligible "
                "organisations are from there; cannot be met together with lead",
                "lead (lead): needs power as a partner (the lead); the lead is kind utility, from "
                "DK, not an SME, no TRL stated; cannot be met together with r1",
            ],
        ),
    ],
)
def test_an_unmeetable_call_names_its_rules(
    tmp_path: Path, rules: str, lead: str | None, unmet: list[str]
) -> None:
    consortium = build_consortium(park_with(tmp_path, rules), "c1", lead=lead, fit=FIT, min_fit=0)
    assert not consortium.feasible
    assert consortium.unmet == unmet
    assert consortium.partners.empty
    failed = consortium.rules.set_index("rule")["status"]
    assert set(failed[failed == "cannot be met"].index) == {line.split(" ")[0] for line in unmet}


def test_a_size_too_small_for_the_rules_is_named(tmp_path: Path) -> None:
    rules = row("r1", "countries", countries="DK;SE")
    consortium = build_consortium(park_with(tmp_path, rules), "c1", size=1, fit=FIT, min_fit=0)
    assert not consortium.feasible
    assert [line.split(" ")[0] for line in consortium.unmet] == ["r1", "size"]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            row("r1", "countries"),
            "call_rules.csv:countries: rule r1: a countries rule names no country",
        ),
        (row("r1", "kinds"), "call_rules.csv:kinds: rule r1: a kinds rule names no kind"),
        (
            row("r1", "partners", low="4", high="2"),
            "call_rules.csv:max: rule r1: max 2 is below min 4",
        ),
        (
            row("r1", "partners"),
            "call_rules.csv:min: rule r1: a partners rule needs a min or a max",
        ),
        (row("r1", "sme_share"), "call_rules.csv:min: rule r1: an sme_share rule needs a min"),
    ],
)
def test_a_rule_that_asks_nothing_clear_is_refused(
    tmp_path: Path, rules: str, message: str
) -> None:
    with pytest.raises(SymbionetError) as error:
        build_consortium(park_with(tmp_path, rules), "c1", fit=FIT, min_fit=0)
    assert str(error.value).startswith(message)


def test_unknown_call_lead_or_size_is_refused(tmp_path: Path) -> None:
    park = park_with(tmp_path)
    with pytest.raises(SymbionetError, match="unknown call 'c9'"):
        build_consortium(park, "c9", fit=FIT, min_fit=0)
    with pytest.raises(SymbionetError, match="unknown organisation 'nobody'"):
        build_consortium(park, "c1", lead="nobody", fit=FIT, min_fit=0)
    with pytest.raises(SymbionetError, match="size must be at least 1"):
        build_consortium(park, "c1", size=0, fit=FIT, min_fit=0)


# --- the example: every open call of Biotech City -----------------------------------------

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "biotech-city"


def meets_by_hand(rule: pd.Series, partners: pd.DataFrame) -> bool:
    """Whether the example's partners meet a rule, read from the register's own columns."""
    countries = partners["country"].fillna("").str.upper()
    listed = [c.strip().upper() for c in str(rule["countries"]).split(";")]
    kinds = [k.strip() for k in str(rule["kinds"]).split(";")]
    low = None if pd.isna(rule["min"]) else float(rule["min"])
    high = None if pd.isna(rule["max"]) else float(rule["max"])
    n = len(partners)
    if rule["rule"] == "partners":
        return (low is None or n >= low) and (high is None or n <= high)
    if rule["rule"] == "countries":
        return all((countries == c).sum() >= (low or 1) for c in listed)
    if rule["rule"] == "eligible_countries":
        return bool(countries.isin(listed).all())
    if rule["rule"] == "kinds":
        return int(partners["kind"].isin(kinds).sum()) >= (low or 1)
    if rule["rule"] == "sme_share":
        size, kind = partners["size"], partners["kind"]
        smes = size.isin(["medium", "small", "micro"]) | (size.isna() & (kind == "startup"))
        return int(smes.sum()) >= low * n
    if rule["rule"] == "trl":
        stated = partners["trl"].dropna().astype(float)
        inside = (stated >= (low or 1)) & (stated <= (high or 9))
        return bool(inside.any() and inside.all())
    raise AssertionError(rule["rule"])


def test_every_call_of_the_example_gets_a_consortium_or_names_the_rule() -> None:
    park = load_park(EXAMPLE)
    rules = park.table("call_rules")
    calls = park.table("calls")
    assert len(calls) >= 3
    for call in calls.index:
        consortium = build_consortium(park, call)
        if not consortium.feasible:
            named = {line.split(" ")[0] for line in consortium.unmet}
            assert named and named <= {*rules.index[rules["call"] == call], "lead", "size"}
            continue
        partners = park.actors.loc[list(consortium.partners["organisation"])]
        assert len(partners) >= 1
        funder = calls.at[call, "funder"]
        assert funder not in partners.index
        assert not partners["kind"].isin(["funder"]).any()
        for rule_id, rule in rules[rules["call"] == call].iterrows():
            assert meets_by_hand(rule, partners), (call, rule_id)
        document = consortium.to_dict()
        assert json.loads(json.dumps(document)) == document


def test_an_example_call_with_a_lead_from_outside_its_area_names_the_rules() -> None:
    park = load_park(EXAMPLE)
    countries = park.actors["country"]
    outsider = countries.index[countries == "ES"][0]  # the Nordic call takes Nordic partners
    consortium = build_consortium(park, "nnf_bioproduction", lead=outsider)
    assert not consortium.feasible
    assert [line.split(" ")[0] for line in consortium.unmet] == ["nnf_nordic", "lead"]
