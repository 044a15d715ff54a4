"""The Biotech City example: the knowledge hub's ecosystem around Kalundborg.

The example includes the Kalundborg park, so its actors are the same organisations; every
hub row names its source; projects have real consortia; calls have machine-checkable rules;
contacts are fictional and consented. Figures are checked against values worked out by
hand from the sources quoted in the rows.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pandas as pd
import pytest

import symbionet
from symbionet.register.park import Park

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "examples" / "biotech-city"
KALUNDBORG = ROOT / "examples" / "kalundborg"
SOURCED = {
    "actors": "reference",
    "facilities": "reference",
    "projects": "reference",
    "project_partners": "reference",
    "calls": "reference",
    "programmes": "reference",
    "solutions": "reference",
}
LIVE = {"requested", "confirmed", "closed"}


@pytest.fixture(scope="module")
def park() -> Park:
    return symbionet.load_park(FOLDER)


def own(name: str) -> pd.DataFrame:
    """A table of the example's own folder, as written."""
    return pd.read_csv(FOLDER / f"{name}.csv", dtype=str, keep_default_na=False)


def test_it_loads_with_every_hub_table(park: Park) -> None:
    assert park.meta["name"] == "Biotech City Kalundborg"
    assert park.meta["currency"] == "DKK"
    for table in (
        "actors",
        "contacts",
        "facilities",
        "bookings",
        "projects",
        "project_partners",
        "calls",
        "call_rules",
        "programmes",
        "solutions",
    ):
        assert len(park.frames[table]) > 0, table
    assert 50 <= len(own("actors")) <= 80


def test_the_kalundborg_actors_are_there_once_and_not_copied(park: Park) -> None:
    kalundborg = pd.read_csv(KALUNDBORG / "actors.csv", dtype=str)
    assert park.actors.index.is_unique
    assert set(kalundborg["id"]) <= set(park.actors.index)
    assert not set(own("actors")["id"]) & set(kalundborg["id"])
    names = park.actors["name"].str.lower()
    for name in ("novonesis", "unibio", "kalundborg kommune", "novo nordisk"):
        assert (names == name).sum() == 1, name
    # the included park's streams and sites come along
    assert {"novo_yeast", "novonesis_biomass"} <= set(park.frames["streams"].index)


def test_every_hub_row_names_its_source(park: Park) -> None:
    for table, column in SOURCED.items():
        frame = park.frames[table]
        empty = frame[frame[column].fillna("").astype(str).str.strip() == ""]
        assert empty.empty, f"{table}: {list(empty.index)}"
    for table in ("projects", "project_partners", "calls", "facilities"):
        assert park.frames[table]["reference"].str.contains("http").all(), table


def test_estimates_are_marked() -> None:
    actors = own("actors")
    # every employee count of the example is an estimate, and says so
    assert actors.loc[actors["employees"] != "", "reference"].str.contains("estimate").all()
    facilities = own("facilities")
    assert facilities["reference"].str.contains("estimate").all()


def test_the_organisations_have_profiles(park: Park) -> None:
    actors = park.actors
    assert actors["offers"].fillna("").str.len().gt(20).all()
    assert set(actors["language"].dropna()) == {"en", "da", "sv"}
    assert actors["country"].notna().all()
    kinds = set(actors["kind"])
    for kind in (
        "company",
        "startup",
        "knowledge_institution",
        "gts_institute",
        "education",
        "public_authority",
        "funder",
        "cluster",
    ):
        assert kind in kinds, kind
    startups = actors[actors["kind"] == "startup"]
    assert startups["trl"].notna().all()
    companies = actors[actors["kind"].isin(["company", "startup"]) & actors["size"].notna()]
    assert companies["skills_needed"].fillna("").ne("").mean() > 0.8


def test_projects_have_at_least_three_partners_and_their_lead(park: Park) -> None:
    projects = park.frames["projects"]
    partners = park.frames["project_partners"]
    assert len(projects) >= 12
    counts = partners.groupby("project")["organisation"].nunique()
    assert counts.reindex(projects.index).fillna(0).ge(3).all(), counts
    assert not partners.duplicated(["project", "organisation"]).any()
    leads = partners[partners["role"] == "lead"].set_index("project")["organisation"]
    assert leads.reindex(projects.index).tolist() == projects["lead"].tolist()


def test_profiles_do_not_name_the_projects_or_their_partners(park: Park) -> None:
    """The leave-one-project-out evaluation must not find a project through the text."""
    actors = park.actors
    text = (
        actors[["description", "offers", "needs", "tags"]]
        .fillna("")
        .astype(str)
        .agg(" ".join, axis=1)
        .str.lower()
    )
    partners = park.frames["project_partners"]
    for project, row in park.frames["projects"].iterrows():
        members = set(partners.loc[partners["project"] == project, "organisation"])
        names = {re.sub(r"\s*\(.*\)", "", str(row["name"])).strip().lower()}
        names |= {s.lower() for s in re.findall(r"\(([A-Z][A-Za-z]+)\)", str(row["name"]))}
        for member in members:
            others = members - {member}
            words = names | {
                re.sub(r"\s*\(.*\)", "", str(actors.at[o, "name"])).strip().lower() for o in others
            }
            for word in words:
                hit = re.search(rf"\b{re.escape(word)}\b", text[member])
                assert hit is None, f"{member} names {word!r} of {project}"


def test_every_call_has_rules_of_known_kinds(park: Park) -> None:
    calls = park.frames["calls"]
    rules = park.frames["call_rules"]
    assert 3 <= len(calls) <= 5
    assert set(calls.index) == set(rules["call"])
    assert set(rules["rule"]) == {
        "partners",
        "countries",
        "eligible_countries",
        "kinds",
        "sme_share",
        "trl",
    }


def satisfies(park: Park, call: str, chosen: list[str]) -> list[str]:
    """The rules of a call that a set of partners breaks, read as the schema says."""
    actors = park.actors.loc[chosen]
    broken = []
    for rule_id, rule in park.frames["call_rules"].query("call == @call").iterrows():
        countries = str(rule["countries"]).split(";") if pd.notna(rule["countries"]) else []
        kinds = str(rule["kinds"]).split(";") if pd.notna(rule["kinds"]) else []
        low = rule["min"] if pd.notna(rule["min"]) else None
        high = rule["max"] if pd.notna(rule["max"]) else None
        kind = rule["rule"]
        if kind == "partners":
            ok = (low is None or len(chosen) >= low) and (high is None or len(chosen) <= high)
        elif kind == "countries":
            ok = all((actors["country"] == c).sum() >= (low or 1) for c in countries)
        elif kind == "eligible_countries":
            ok = actors["country"].isin(countries).all()
        elif kind == "kinds":
            ok = actors["kind"].isin(kinds).sum() >= (low or 1)
        elif kind == "sme_share":
            ok = (actors["size"] != "large").mean() >= low
        else:
            stated = actors["trl"].dropna()
            ok = len(stated) > 0 and stated.between(low, high).all()
        if not ok:
            broken.append(rule_id)
    return broken


@pytest.mark.parametrize(
    ("call", "chosen"),
    [
        # DK and SE, all in the programme area, 3 partners, a university
        ("oks_biosolutions", ["khz", "dtu", "lund", "bio21st"]),
        # 3 partners, a university, a company, Danish
        ("ifd_grand_biomanufacturing", ["dtu", "novonesis", "dti"]),
        # 2 partners, Danish, a company, the one stated TRL (Unibio's 8) within 4-8
        ("eudp_industrial_energy", ["unibio", "dtu"]),
        # Nordic, a university, 1-4 partners
        ("nnf_bioproduction", ["dtu", "lund"]),
        # 3 partners, all European, 2 of 3 SMEs, stated TRLs 6, 7 and none within 5-7
        ("cbe_protein", ["bio21st", "ekobalans", "dtu"]),
    ],
)
def test_each_call_has_a_consortium_worked_out_by_hand(
    park: Park, call: str, chosen: list[str]
) -> None:
    assert satisfies(park, call, chosen) == []


def test_a_consortium_that_breaks_the_rules_is_caught(park: Park) -> None:
    # two Danish organisations: no Swedish partner, too few partners, no university
    assert satisfies(park, "oks_biosolutions", ["khz", "novonesis"]) == [
        "oks_dk_se",
        "oks_partners",
        "oks_knowledge",
    ]
    # Unibio's TRL 8 lies outside the demonstration window 5-7
    assert "cbe_trl" in satisfies(park, "cbe_protein", ["unibio", "dtu", "bio21st"])


def test_contacts_are_consented_and_fictional(park: Park) -> None:
    contacts = park.frames["contacts"]
    assert contacts["consent"].notna().all()
    assert contacts["email"].str.endswith("@example.org").all()
    assert contacts["role"].str.contains("example").all()
    assert set(contacts["organisation"]) <= set(park.actors.index)


def test_bookings_do_not_overlap(park: Park) -> None:
    bookings = park.frames["bookings"]
    live = bookings[bookings["status"].isin(LIVE)]
    for _facility, group in live.groupby("facility"):
        spans = sorted(
            zip(pd.to_datetime(group["start"]), pd.to_datetime(group["end"]), strict=True)
        )
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start > end
    assert (bookings["status"] == "closed").sum() >= 1
    facilities = park.frames["facilities"]
    for _, booking in bookings.iterrows():
        facility = facilities.loc[booking["facility"]]
        assert facility["available_from"] <= booking["start"] <= booking["end"]
        assert booking["end"] <= facility["available_to"]


def test_solutions_take_what_the_park_supplies(park: Park) -> None:
    streams = park.frames["streams"]
    supplied = set(streams.loc[streams["direction"] == "supply", "resource"])
    assert set(park.frames["solutions"]["takes"]) <= supplied


def test_programmes_teach_skills_companies_ask_for(park: Park) -> None:
    taught = {
        s.strip().lower()
        for cell in park.frames["programmes"]["skills"].dropna()
        for s in cell.split(";")
    }
    needed = {
        s.strip().lower() for cell in park.actors["skills_needed"].dropna() for s in cell.split(";")
    }
    for skill in ("process operator", "laboratory technician", "automation", "gmp"):
        assert skill in taught and skill in needed, skill


def test_budgets_in_euro_are_converted_by_hand(park: Park) -> None:
    projects = park.frames["projects"]
    # EUR 2.5 million x 7.46 DKK/EUR = DKK 18.65 million
    assert projects.at["baltic_industrial_symbiosis", "budget"] == 18_650_000
    # EUR 10 million x 7.46 = DKK 74.6 million; EUR 11 million x 7.46 = DKK 82.06 million
    assert projects.at["valuewaste", "budget"] == 74_600_000
    assert projects.at["halric", "budget"] == 82_060_000
    # BIOPRO: DKK 40.1 + 28.1 + 12.6 + 47.2 million = DKK 128 million
    assert projects.at["biopro", "budget"] == pytest.approx((40.1 + 28.1 + 12.6 + 47.2) * 1e6)
