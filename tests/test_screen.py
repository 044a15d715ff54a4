"""Screening from sectors: the knowledge base, NACE matching and the Kalundborg proposals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from symbionet import load_park, screen
from symbionet.discovery.screening import knowledge, nace_levels
from symbionet.register.catalogue import default_catalogue
from tests.conftest import EXAMPLES, write_park


def test_the_knowledge_base_documents_over_forty_sector_pairs() -> None:
    kb = knowledge()
    pairs = {(s.supplier, s.receiver) for s in kb.synergies}
    assert len(pairs) >= 40
    for synergy in kb.synergies:
        assert synergy.cases, synergy
        assert all(case.ref in kb.references for case in synergy.cases)
        assert all(r in default_catalogue().resources for r in synergy.resources)
    places = {case.place for s in kb.synergies for case in s.cases}
    assert {"Kalundborg", "Kwinana", "Ulsan", "Rotterdam", "Styria", "Guigang"} <= places


def test_nace_codes_split_into_class_group_division_and_section() -> None:
    levels = nace_levels(pd.Series(["35.11", "01.4", "20", "D", "", "99.99"]), knowledge())
    assert levels.iloc[0].tolist() == ["35.11", "35.1", "35", "D"]
    assert levels.iloc[1].tolist()[1:] == ["01.4", "01", "A"] and pd.isna(levels.iloc[1, 0])
    assert levels.iloc[2].tolist()[2:] == ["20", "C"]
    assert levels.iloc[3].tolist()[3] == "D" and levels.iloc[3, :3].isna().all()
    assert levels.iloc[4].isna().all()
    assert levels.iloc[5].tolist()[3] == "U"


def actors_park(tmp_path: Path, actors: list[tuple[str, str]]) -> Path:
    rows = "".join(f"{a},{a.title()},{nace}\n" for a, nace in actors)
    sites = "".join(f"{a}_site,{a},55.0,11.0\n" for a, _ in actors)
    return write_park(
        tmp_path / "park",
        {
            "actors.csv": "id,name,nace\n" + rows,
            "sites.csv": "id,actor,lat,lon\n" + sites,
            "streams.csv": "id,site,direction,resource,quantity,unit\n",
            "exchanges.csv": "id,supply,demand,quantity,unit\n",
        },
    )


def test_a_class_match_outranks_a_division_match(tmp_path: Path) -> None:
    park = load_park(
        actors_park(tmp_path, [("power", "35.11"), ("chp", "35.30"), ("board", "23.62")])
    )
    table = screen(park)
    gypsum = table[table["resources"] == "fgd_gypsum"].set_index("supplier")
    assert gypsum.at["power", "match"] == "class"
    assert gypsum.at["chp", "match"] == "division"
    assert gypsum.at["power", "score"] == 2 * gypsum.at["chp", "score"]
    assert gypsum.at["power", "score"] == pytest.approx(3.0)  # one quantified, one documented
    assert table.index[table["supplier"] == "power"][0] < table.index[table["supplier"] == "chp"][0]


def test_sections_match_only_actors_nothing_finer_matches(tmp_path: Path) -> None:
    park = load_park(actors_park(tmp_path, [("power", "D"), ("board", "23.62")]))
    table = screen(park)
    assert set(table["match"]) == {"section"}
    assert len(table[table["supplier"] == "power"]) > 0
    finer = load_park(actors_park(tmp_path / "b", [("power", "35.11"), ("board", "23.62")]))
    assert "section" not in set(screen(finer)["match"])


def test_actors_of_unknown_sectors_get_no_proposals(tmp_path: Path) -> None:
    park = load_park(actors_park(tmp_path, [("bank", "64.19"), ("school", "85.31")]))
    assert screen(park).empty


def test_kalundborg_screening_proposes_its_steam_water_gypsum_and_biomass() -> None:
    table = screen(load_park(EXAMPLES / "kalundborg")).head(25)
    proposed = {
        (s, r, resource)
        for s, r, resources in zip(
            table["supplier"], table["receiver"], table["resources"], strict=True
        )
        for resource in resources.split(", ")
    }
    expected = {
        ("orsted", "novo_nordisk", "steam_mp"),
        ("orsted", "novonesis", "steam_mp"),
        ("forsyning", "refinery", "surface_water"),
        ("orsted", "gyproc", "fgd_gypsum"),
        ("novo_nordisk", "bioenergi", "yeast_slurry"),
        ("novonesis", "bioenergi", "fermentation_biomass"),
    }
    assert expected <= proposed
    steam = table[(table["supplier"] == "orsted") & (table["receiver"] == "novo_nordisk")]
    assert steam["existing"].all()
    assert "Novo Nordisk (21.20)" in steam["explanation"].iloc[0]
    gypsum = table[(table["supplier"] == "orsted") & (table["receiver"] == "gyproc")]
    assert not gypsum["existing"].any()  # the wood-chip plant no longer makes gypsum


def test_each_actor_pair_and_resource_appears_once() -> None:
    table = screen(load_park(EXAMPLES / "kalundborg-2010"))
    key = table[["supplier", "receiver", "resources", "what"]].assign(
        x=table["resources"].where(table["resources"] != "", table["what"])
    )
    assert not key[["supplier", "receiver", "x"]].duplicated().any()
    assert list(table["score"]) == sorted(table["score"], reverse=True)
