"""Matching in the knowledge hub: retrieval worked out by hand, partners with their reasons,
talent for skills, and the leave-one-project-out evaluation on the example."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import symbionet
from symbionet.errors import SymbionetError
from symbionet.hub import (
    evaluate_partners,
    partners_for,
    sector_ranking,
    talent_for,
    topic_fit,
)
from symbionet.hub.text import TextIndex, related, shared_terms, words
from tests.conftest import EXAMPLES, write_park

ACTORS = """id,name,kind,nace,language,country,description,offers,needs,tags,skills_needed
power,Power plant,utility,35.11,en,DK,,Steam and district heating,,,
board,Board plant,company,23.62,en,DK,,Plasterboard from gypsum,,gypsum,process operator;quality control
enzco,Enzyme Co,company,20.59,en,DK,,Industrial enzymes for detergents,Fermentation research and pilot scale-up of enzymes,enzymes;fermentation,bioinformatics;process operator
uni,Lund University,knowledge_institution,85.42,sv,SE,,Forskning i fermentering och bioprocessteknik,,fermentering;bioprocess,
dtu,DTU Biosustain,knowledge_institution,72.11,da,DK,,Forskning i fermenteringsanlæg og enzymer,,fermentering;enzymer,
biogas,Biogas Co,company,35.21,da,DK,,Biogasanlæg og gylle,Affald til biogas,biogas,
wash,Wash Co,company,20.41,da,DK,,Vaskepulver,Enzymer til detergents,vaskepulver,
"""
PROJECTS = """id,name,lead,topic,status
p1,FermPilot,enzco,Fermentation of enzymes at pilot scale,completed
p2,Gas,biogas,Biogas from fermentation residues,completed
p3,BioNet,dtu,Bioprocesser og fermentering,completed
"""
PARTNERS = """id,project,organisation,role
a,p1,enzco,lead
b,p1,dtu,partner
c,p1,uni,partner
d,p2,biogas,lead
e,p2,enzco,partner
f,p3,dtu,lead
g,p3,uni,partner
"""
PROGRAMMES = """id,provider,name,level,skills
bio,dtu,MSc Bioinformatik,master,Bioinformatik;Statistik
proc,uni,Procesoperatør,vocational,procesoperatør;kvalitetskontrol
"""


@pytest.fixture
def hub(tmp_path: Path) -> symbionet.Park:
    files = {
        "actors.csv": ACTORS,
        "projects.csv": PROJECTS,
        "project_partners.csv": PARTNERS,
        "programmes.csv": PROGRAMMES,
    }
    return symbionet.load_park(write_park(tmp_path / "hub", files))


# --- retrieval worked out by hand ---------------------------------------------------------


def test_word_tfidf_by_hand() -> None:
    # Stems (English): ferment, enzym, wastewat. n = 3 documents.
    # idf = ln((1 + n) / (1 + df)) + 1: ferment (df 2) ln(4/3) + 1, enzym (df 1) ln 2 + 1.
    index = TextIndex(
        ["fermentation enzymes", "fermentation", "wastewater"], ["en"] * 3, method="word"
    )
    ferment, enzym = math.log(4 / 3) + 1, math.log(2) + 1
    norm = math.hypot(ferment, enzym)
    # A query of "enzymes" alone is the unit vector of enzym.
    assert index.scores("enzymes") == pytest.approx([enzym / norm, 0, 0])
    # The query equal to document 0 has cosine 1 with it; with document 1 (ferment alone)
    # the cosine is ferment / norm.
    assert index.scores("fermentation enzymes") == pytest.approx([1, ferment / norm, 0])


def test_bm25_by_hand() -> None:
    # Documents: "enzymes enzymes fermentation" (length 3), "fermentation" (length 1);
    # average length 2, k1 = 1.2, b = 0.75.
    index = TextIndex(["enzymes enzymes fermentation", "fermentation"], ["en", "en"], "bm25")
    idf_enzym = math.log(1 + (2 - 1 + 0.5) / (1 + 0.5))  # ln 2
    idf_ferment = math.log(1 + (2 - 2 + 0.5) / (2 + 0.5))  # ln 1.2
    long_norm = 1.2 * (1 - 0.75 + 0.75 * 3 / 2)  # 1.65
    short_norm = 1.2 * (1 - 0.75 + 0.75 * 1 / 2)  # 0.75
    assert index.scores("enzymes") == pytest.approx([idf_enzym * 2 * 2.2 / (2 + long_norm), 0])
    assert index.scores("fermentation") == pytest.approx(
        [idf_ferment * 2.2 / (1 + long_norm), idf_ferment * 2.2 / (1 + short_norm)]
    )
    # The short document ranks first for the common word: 0.229 against 0.151.
    assert index.scores("fermentation")[1] == pytest.approx(0.22921, abs=1e-5)


def test_char_ngrams_meet_across_languages_and_compounds() -> None:
    offers = [
        "Fermentation and scale-up services",  # English
        "Biogas plant operation",  # English
        "Wastewater treatment",  # English
    ]
    index = TextIndex(offers, ["en"] * 3, method="char")
    # A Danish need finds the English offer of the same stem first...
    danish = index.scores("fermentering")
    assert danish.argmax() == 0 and danish[0] > 0
    # ...and a Danish compound its English parts.
    compound = index.scores("biogasanlæg")
    assert compound.argmax() == 1
    # Nothing shared, nothing scored.
    assert index.scores("xyz") == pytest.approx([0, 0, 0])


def test_a_swedish_need_finds_a_danish_offer_with_the_same_stem() -> None:
    index = TextIndex(["Enzymer til vaskemidler", "Fjernvarme"], ["da", "da"], method="word")
    # "enzymerna" (Swedish, definite plural) stems to "enzym" in Swedish, as "enzymer" does
    # in Danish.
    assert index.scores("enzymerna")[0] > 0
    assert index.scores("enzymerna")[1] == 0


def test_related_words_by_the_rule() -> None:
    assert related("fermentation", "fermentering")  # shared stem "ferment"
    assert related("enzymes", "enzymer")  # shared stem "enzym"
    assert related("biogas", "biogasanlæg")  # begins the compound
    assert related("bioinformatics", "bioinformatik")  # stem "bioinformat" begins it
    assert related("operator", "procesoperatør")  # ends it, ø written o
    assert not related("electricity", "electrolysis")  # stem "electr" is under 7 letters
    assert not related("gas", "biogas")  # under 4 letters
    assert words("Vi tilbyder: 3 fermentorer og en pilot-skala") == [
        "tilbyder",
        "fermentorer",
        "pilot",
        "skala",
    ]
    assert shared_terms("enzymes for fermentation", "Fermentering af enzymer og gær") == [
        "enzymer",
        "Fermentering",
    ] or shared_terms("enzymes for fermentation", "Fermentering af enzymer og gær") == [
        "Fermentering",
        "enzymer",
    ]


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(SymbionetError, match="method: must be one of char, word, bm25"):
        TextIndex(["a"], method="embedding")


# --- partners --------------------------------------------------------------------------------


def test_partners_by_hand(hub: symbionet.Park) -> None:
    found = partners_for(hub, "enzco")
    assert "enzco" not in set(found["organisation"])
    assert list(found.columns) == [
        "organisation",
        "name",
        "kind",
        "country",
        "score",
        "matched",
        "reason",
    ]
    rows = found.set_index("organisation")
    # dtu: the best text fit (1), no needs (reverse 0), one past project (1 - 1/2 = 0.5),
    # a knowledge institution asked for by "research" (kind 1), and it ran p3 with uni, a
    # past partner of enzco, without enzco (network 1):
    # 0.5 * 1 + 0.1 * 0 + 0.2 * 0.5 + 0.1 * 1 + 0.1 * 1 = 0.8.
    assert rows.at["dtu", "score"] == pytest.approx(0.8)
    assert "worked with your partners in p3" in rows.at["dtu", "reason"]
    assert rows.at["dtu", "matched"].startswith("enzymer, fermentering") or rows.at[
        "dtu", "matched"
    ].startswith("fermentering, enzymer")
    assert "tags: fermentering, enzymer" in rows.at["dtu", "matched"]
    assert "worked with you in 1 project (p1)" in rows.at["dtu", "reason"]
    assert "the need asks for a knowledge institution" in rows.at["dtu", "reason"]
    # uni matches fermentation only, ranks second among the text fits.
    assert list(found["organisation"][:2]) == ["dtu", "uni"]
    assert rows.at["uni", "matched"] == "fermentering; tags: fermentering"
    # biogas: no text fit, one past project (p2): 0.2 * 0.5 = 0.1, a company as enzco is.
    assert rows.at["biogas", "score"] == pytest.approx(0.1)
    assert rows.at["biogas", "reason"] == "worked with you in 1 project (p2)"
    # wash: offers nothing asked for, but needs enzymes, which enzco offers: 0.1 * 1.
    assert rows.at["wash", "score"] == pytest.approx(0.1)
    assert rows.at["wash", "reason"] == "looks for what you offer (1.00 of the best)"
    # power and board share nothing with the need and never worked with enzco.
    assert not {"power", "board"} & set(found["organisation"])


def test_a_hidden_project_is_not_counted(hub: symbionet.Park) -> None:
    found = partners_for(hub, "enzco", hidden_projects={"p1"}).set_index("organisation")
    # dtu without p1: no past project with enzco, so no partner of enzco's to meet in p3
    # either: 0.5 * 1 + 0.1 * 1 = 0.6.
    assert found.at["dtu", "score"] == pytest.approx(0.6)
    assert "p1" not in " ".join(found["reason"])
    assert "p3" not in " ".join(found["reason"])
    # Hiding p3 instead takes the network part (0.1) from dtu and from uni.
    full = partners_for(hub, "enzco").set_index("organisation")["score"]
    less = partners_for(hub, "enzco", hidden_projects={"p3"}).set_index("organisation")["score"]
    assert full["dtu"] - less["dtu"] == pytest.approx(0.1)
    assert full["uni"] - less["uni"] == pytest.approx(0.1)
    # p2 still counts.
    assert found.at["biogas", "reason"] == "worked with you in 1 project (p2)"


def test_a_given_need_and_the_limit(hub: symbionet.Park) -> None:
    found = partners_for(hub, "power", need="biogas", limit=1)
    assert list(found["organisation"]) == ["biogas"]
    assert found.at[0, "matched"].startswith("Biogasanlæg")
    # Never itself, even when its own offers fit best.
    assert "biogas" not in set(partners_for(hub, "biogas", need="biogas")["organisation"])


def test_bad_input_is_named(hub: symbionet.Park) -> None:
    with pytest.raises(SymbionetError, match="no organisation 'nope' in the register"):
        partners_for(hub, "nope")
    with pytest.raises(SymbionetError, match="no project 'p9' in the register"):
        partners_for(hub, "enzco", hidden_projects={"p9"})
    with pytest.raises(SymbionetError, match="'power' states no needs: give a need"):
        partners_for(hub, "power")
    with pytest.raises(SymbionetError, match="need: give a need with words in it"):
        partners_for(hub, "enzco", need="og i 42")
    with pytest.raises(SymbionetError, match="limit: must be 1 or more"):
        partners_for(hub, "enzco", limit=0)
    with pytest.raises(SymbionetError, match="give a topic with words in it"):
        topic_fit(hub, "  ")
    with pytest.raises(SymbionetError, match="no organisation 'nope' in the register"):
        talent_for(hub, "nope")


def test_every_method_ranks_the_same_top_partner(hub: symbionet.Park) -> None:
    for method in ("char", "word", "bm25"):
        found = partners_for(hub, "enzco", hidden_projects={"p1"}, method=method)
        assert found.at[0, "organisation"] == "dtu", method


def test_topic_fit(hub: symbionet.Park) -> None:
    fit = topic_fit(hub, "fermentering")
    assert list(fit.index) == list(hub.actors.index)
    assert fit.max() == 1 and fit.min() >= 0
    assert fit.idxmax() == "dtu" or fit.idxmax() == "uni"
    assert fit["biogas"] == 0


# --- talent ----------------------------------------------------------------------------------


def test_skills_match_by_the_rule() -> None:
    from symbionet.hub.matching import skill_matches

    assert skill_matches("process engineering", "bioprocess engineering")
    assert skill_matches("process operator", "procesoperatør")  # "operator" ends it
    assert skill_matches("fermentation", "fermentation plant operation")
    assert not skill_matches("process engineering", "process operation")
    assert not skill_matches("laboratory technician", "laboratory work")
    assert not skill_matches("", "GMP")


def test_talent_by_hand(hub: symbionet.Park) -> None:
    found = talent_for(hub)
    assert list(found.columns) == ["company", "programme", "provider", "skills", "score"]
    rows = {(r.company, r.programme): r for r in found.itertuples()}
    # board needs process operator and quality control: proc covers the first
    # ("operator" ends "procesoperatør"), not the second ("kvalitetskontrol" shares no stem
    # with "quality" or "control"): 1 of 2.
    assert rows[("board", "proc")].score == 0.5
    assert rows[("board", "proc")].skills == "process operator ← procesoperatør"
    assert ("board", "bio") not in rows
    # enzco needs bioinformatics and process operator: bio covers one, proc the other.
    assert rows[("enzco", "bio")].skills == "bioinformatics ← Bioinformatik"
    assert rows[("enzco", "bio")].score == 0.5
    assert rows[("enzco", "proc")].score == 0.5
    assert rows[("enzco", "proc")].provider == "uni"
    assert len(found) == 3
    assert list(talent_for(hub, "board")["programme"]) == ["proc"]
    assert talent_for(hub, "power").empty


# --- evaluation ------------------------------------------------------------------------------


def test_sector_ranking_by_hand(hub: symbionet.Park) -> None:
    # enzco is 20.59 (section C): board (23.62, C) first; then the rest by name.
    assert sector_ranking(hub, "enzco") == [
        "wash",  # 20.41: same division 20
        "board",  # 23.62: same section C
        "biogas",  # the rest by name: Biogas Co, DTU Biosustain, Lund University, Power plant
        "dtu",
        "uni",
        "power",
    ]


def test_evaluation_on_the_fixture_by_hand(hub: symbionet.Park) -> None:
    result = evaluate_partners(hub, k=2)
    rows = result.projects.set_index("project")
    # p1 (enzco, partners dtu and uni): hidden, the top 2 for its topic are dtu and uni.
    assert rows.at["p1", "found"] == 2 and rows.at["p1", "recall"] == 1
    # the sector baseline's top 2 for enzco are wash and board: none of them.
    assert rows.at["p1", "baseline_found"] == 0
    # p2 (biogas, partner enzco): enzco offers enzymes, the topic asks for fermentation.
    assert rows.at["p2", "partners"] == 1
    # p3 (dtu, partner uni): uni offers "fermentering", as the topic asks.
    assert rows.at["p3", "found"] == 1
    assert result.recall == pytest.approx(rows["recall"].mean())
    assert result.to_dict()["projects"] == 3


BIOTECH = EXAMPLES / "biotech-city"


def test_evaluation_on_the_example_meets_the_goals() -> None:
    park = symbionet.load_park(BIOTECH)
    result = evaluate_partners(park)
    assert len(result.projects) >= 5
    assert result.recall >= 0.5
    assert result.recall >= 2 * result.baseline
    # Every project's partners are real organisations of the register, the lead left out.
    assert (result.projects["partners"] >= 1).all()
    assert np.isfinite(result.projects["recall"]).all()
    assert isinstance(result.projects, pd.DataFrame)
    # The figure means something only if no organisation's text names a project.
    from symbionet.hub.evaluation import leaks

    assert leaks(park).empty


def test_leaks_are_found_by_whole_word(hub: symbionet.Park) -> None:
    from symbionet.hub.evaluation import leaks

    # No organisation names FermPilot, Gas or BioNet as a word ("Biogas" is not "Gas").
    assert leaks(hub).empty
    actors = hub.actors.copy()
    actors.loc["uni", "offers"] = "Partner of FermPilot; fermentering"
    leaking = symbionet.Park(hub.meta, {**hub.frames, "actors": actors}, hub.catalogue)
    assert leaks(leaking).to_dict(orient="records") == [
        {"project": "p1", "name": "FermPilot", "organisation": "uni", "column": "offers"}
    ]
