"""Screening from sectors: evidence counted by hand on a small knowledge base, the
leave-one-place-out evaluation, and the Kalundborg proposals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from symbionet import load_park, screen
from symbionet.discovery.screening import (
    COLUMNS,
    FEATURES,
    TERMS,
    Evidence,
    Model,
    candidates,
    evaluate_place,
    families,
    nace_levels,
    place_actors,
    propose,
    read_exchanges,
    shipped_model,
)
from symbionet.errors import SymbionetError
from symbionet.present.cli import app
from symbionet.register.catalogue import default_catalogue
from symbionet.register.estimates import COLUMNS as COEFFICIENT_COLUMNS
from tests.conftest import EXAMPLES, write_park

runner = CliRunner()

CASES = [
    # id, place, supplier, supplier_nace, receiver, receiver_nace, resources, quantity
    ("e1", "P1", "A", "35.11", "B", "23.62", "fgd_gypsum", "100"),
    ("e2", "P2", "C", "35.11", "D", "23.62", "fgd_gypsum", ""),
    ("e3", "P2", "C", "35.11", "E", "23.51", "fly_ash", ""),
    ("e4", "P3", "F", "35.30", "G", "21.20", "steam_mp", ""),
]


@pytest.fixture
def cases(tmp_path: Path) -> pd.DataFrame:
    rows = [
        {
            **dict.fromkeys(COLUMNS, ""),
            "id": i,
            "place": place,
            "country": "DK",
            "supplier": s,
            "supplier_nace": sn,
            "receiver": r,
            "receiver_nace": rn,
            "resources": res,
            "quantity": q,
            "source": "src",
        }
        for i, place, s, sn, r, rn, res, q in CASES
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "cases.csv", index=False)
    return read_exchanges(tmp_path / "cases.csv")


#: the dairy's sector supplies whey and the biogas plant's uses it, in the profiles alone
PROFILES = pd.DataFrame(
    [
        ["10.51", "supply", "whey", "employees", "employee", 1, 2, 3, "t", "fdm_bref_2019", "-"],
        ["35.21", "demand", "whey", "employees", "employee", 1, 2, 3, "t", "fdm_bref_2019", "-"],
    ],
    columns=COEFFICIENT_COLUMNS,
)

ACTORS = pd.DataFrame(
    {
        "nace": {
            "power": "35.11",
            "board": "23.62",
            "cement": "23.51",
            "biogas": "35.21",
            "dairy": "10.51",
            "chp": "35.30",
        }
    }
)


def test_nace_codes_split_into_class_group_division_and_section() -> None:
    levels = nace_levels(pd.Series(["35.11", "01.4", "20", "D", "", "99.99"]))
    assert levels.iloc[0].tolist() == ["35.11", "35.1", "35", "D"]
    assert levels.iloc[1].tolist()[1:] == ["01.4", "01", "A"] and pd.isna(levels.iloc[1, 0])
    assert levels.iloc[2].tolist()[2:] == ["20", "C"]
    assert levels.iloc[3].tolist()[3] == "D" and levels.iloc[3, :3].isna().all()
    assert levels.iloc[4].isna().all()
    assert levels.iloc[5].tolist()[3] == "U"


def test_evidence_counts_places_at_each_level(cases: pd.DataFrame) -> None:
    evidence = Evidence.of(cases, families(default_catalogue()))
    table = candidates(ACTORS, evidence, PROFILES).set_index(["supplier", "receiver", "family"])
    # FGD gypsum 35.11 → 23.62 in places P1 and P2, at class, group and division level
    gypsum = table.loc[("power", "board", "mineral residue")]
    assert (gypsum["pair_class"], gypsum["pair_group"], gypsum["pair_division"]) == (2, 2, 2)
    assert gypsum["resources"][0] == "fgd_gypsum" and gypsum["match"] == "class"
    assert set(gypsum["ids"]) == {"e1", "e2"} and gypsum["sectors"] == "35.11 → 23.62"
    # the power station's sector supplied it in P1 and P2: class 2 × 1 + group 2 × 1/2
    # (division 35 is too coarse to say what a power station makes); the board maker's
    # sector received it at every level: 2 + 1 + 2 × 1/4
    assert gypsum["supplied"] == pytest.approx(3.0) and gypsum["received"] == pytest.approx(3.5)
    assert gypsum["family_places"] == 2
    # hubs: 35.11 supplies something in P1 and P2 (class 2 + group 2 × 1/2); 23.62 receives
    # in P1 and P2 (2 + 1 + 2 × 1/4), 23.51 in P2 (1 + 1/2) and division 23 in P1, P2 (1/2)
    assert gypsum["supplier_degree"] == pytest.approx(3.0)
    assert gypsum["receiver_degree"] == pytest.approx(3.5)
    assert table.loc[("power", "cement", "ash"), "receiver_degree"] == pytest.approx(2.0)
    # both sectors' profiles name gypsum (sector_profiles.csv: 35.11 supplies, 23.62 needs)
    assert gypsum["profile_supply"] and gypsum["profile_need"] and not gypsum["substitute"]
    # fly ash 35.11 → 23.51 in P2 alone; to the board maker only as division 23 takes it
    assert table.loc[("power", "cement", "ash"), "pair_class"] == 1
    ash = table.loc[("power", "board", "ash")]
    assert (ash["pair_class"], ash["pair_division"], ash["match"]) == (0, 1, "division")
    # flue-gas condensate becomes demineralised water (catalogue), of the family of the
    # process water the dairy's profile (10.5) names: a named need, met by substitution;
    # biogas meets the power station's named need for biogas itself, with no substitution
    condensate = table.loc[("power", "dairy", "condensate")]
    assert condensate["substitute"] and condensate["profile_substitute"]
    assert not condensate["profile_need"]
    biogas = table.loc[("biogas", "power", "fuel gas")]
    assert biogas["profile_need"] and not biogas["profile_substitute"]
    # whey: the dairy's and the biogas plant's profiles alone (PROFILES)
    whey = table.loc[("dairy", "biogas", "organic residue")]
    assert "whey" in whey["resources"] and whey["match"] == "profiles"
    assert whey["pair_class"] + whey["pair_group"] + whey["pair_division"] == 0
    # the biogas plant (35.21) and the district-heating plant (35.30) share only division
    # 35 with the power station: too coarse to say they make gypsum or fly ash
    for supplier in ("biogas", "chp"):
        made = table.loc[supplier]["resources"].sum()
        assert "fgd_gypsum" not in made and "fly_ash" not in made


def test_a_place_is_no_evidence_for_itself(cases: pd.DataFrame) -> None:
    evidence = Evidence.of(cases, families(default_catalogue()))
    actors = place_actors(cases[cases["place"] == "P2"])
    own = pd.Series("P2", index=actors.index)
    table = candidates(actors, evidence, PROFILES, place=own)
    table = table.set_index(["supplier", "receiver", "family"])
    # C → D gypsum: P1 only (P2 is the place screened); C → E fly ash: no other place
    assert table.loc[("C", "D", "mineral residue"), "pair_class"] == 1
    assert table.loc[("C", "E", "ash"), "pair_class"] == 0
    assert table.loc[("C", "D", "mineral residue"), "family_places"] == 1


def test_a_model_scores_a_logistic_of_the_logged_evidence(cases: pd.DataFrame) -> None:
    evidence = Evidence.of(cases, families(default_catalogue()))
    table = candidates(ACTORS, evidence, PROFILES).set_index(["supplier", "receiver", "family"])
    row = table.loc[[("power", "board", "mineral residue")]]
    weights = [0.0] * len(TERMS)
    weights[TERMS.index("pair_class")] = 2.0
    weights[TERMS.index("supplied×received")] = 0.5  # log(1 + supplied) × log(1 + received)
    model = Model(tuple(weights), -3.0, 3, 10, 2)
    logit = 2.0 * math.log(3) + 0.5 * math.log(4) * math.log(4.5) - 3.0
    assert model.score(row)[0] == pytest.approx(1 / (1 + math.exp(-logit)))


def test_leave_one_place_out_by_hand(cases: pd.DataFrame) -> None:
    # Only documented class-level pairs count: 2 × log(1 + places) - 3. Without P2, C → D
    # has gypsum from P1 (σ(2 log 2 - 3) = 0.166) and C → E two families of nothing
    # (1 - (1 - σ(-3))² = 0.093): both within the top 2E = 4, both documented in P2
    weights = [0.0] * len(TERMS)
    weights[TERMS.index("pair_class")] = 2.0
    model = Model(tuple(weights), -3.0, 2, 0, 0)
    got = evaluate_place("P2", cases, PROFILES, model)
    assert got["organisations"] == 3 and got["exchanges"] == 2
    assert got["recall"] == pytest.approx(1.0) and got["precision"] == pytest.approx(1.0)
    # random: 2E = 4 of the 3 × 2 ordered pairs; 2 of the 6 pairs exchange something
    assert got["random_recall"] == pytest.approx(4 / 6)
    assert got["random_precision"] == pytest.approx(2 / 6)


def test_a_proposal_gives_the_median_documented_amount_per_year(tmp_path: Path) -> None:
    quantified = [
        ("q1", "P1", "A", "B", "100", "t/day"),  # 100 × 365 = 36,500 t/yr
        ("q2", "P2", "C", "D", "50000", "t/yr"),
        ("q3", "P3", "E", "F", "", ""),  # not quantified: not counted
        ("q4", "P4", "G", "H", "7", "MWh/yr"),  # not an amount of gypsum: left out
    ]
    rows = [
        {
            **dict.fromkeys(COLUMNS, ""),
            **{"id": i, "place": place, "supplier": s, "receiver": r, "quantity": q, "unit": u},
            **{"supplier_nace": "35.11", "receiver_nace": "23.62", "resources": "fgd_gypsum"},
            **{"country": "DK", "source": "src"},
        }
        for i, place, s, r, q, u in quantified
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "cases.csv", index=False)
    cases = read_exchanges(tmp_path / "cases.csv")
    weights = [0.0] * len(TERMS)
    weights[TERMS.index("pair_class")] = 2.0  # the documented family first
    table = propose(ACTORS, cases, model=Model(tuple(weights), 0.0, 4, 0, 0))
    row = table[(table["supplier"] == "power") & (table["receiver"] == "board")].iloc[0]
    assert row["resource"] == "fgd_gypsum" and row["cases"] == 4
    # the median of 36,500 and 50,000 t/yr
    assert row["typical"] == pytest.approx(43_250) and row["typical_cases"] == 2


def test_the_model_learns_that_documented_pairs_exchange() -> None:
    model = shipped_model()
    assert model.places >= 40 and model.exchanged > 150
    assert model.coefficients[FEATURES.index("pair_class")] > 0
    assert model.coefficients[FEATURES.index("profile_supply")] > 0


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


def test_a_biogas_plant_supplies_no_fly_ash_and_a_dairy_no_molasses(tmp_path: Path) -> None:
    park = load_park(
        actors_park(
            tmp_path,
            [("biogas", "35.21"), ("cement", "23.51"), ("dairy", "10.51"), ("brewery", "11.05")],
        )
    )
    table = screen(park)
    offered = {
        (s, r) for s, rs in zip(table["supplier"], table["resources"], strict=True) for r in rs
    }
    assert ("biogas", "fly_ash") not in offered and ("biogas", "coal") not in offered
    assert ("dairy", "molasses") not in offered and ("dairy", "digestate") not in offered
    assert not table.empty


def test_actors_of_unknown_sectors_get_no_proposals(tmp_path: Path) -> None:
    park = load_park(actors_park(tmp_path, [("bank", "64.19"), ("school", "85.31")]))
    assert screen(park).empty


def test_kalundborg_screening_proposes_its_steam_water_gypsum_and_biomass() -> None:
    table = screen(load_park(EXAMPLES / "kalundborg")).head(60)
    proposed = {
        (s, r, resource)
        for s, r, resources in zip(
            table["supplier"], table["receiver"], table["resources"], strict=True
        )
        for resource in resources
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
    assert steam["existing"].any()
    assert "Novo Nordisk (21.20)" in steam["explanation"].iloc[0]
    gypsum = table[(table["supplier"] == "orsted") & (table["receiver"] == "gyproc")]
    assert not gypsum["existing"].any()  # the wood-chip plant no longer makes gypsum


def test_each_actor_pair_and_resource_appears_once() -> None:
    table = screen(load_park(EXAMPLES / "kalundborg-2010"))
    assert not table[["supplier", "receiver"]].duplicated().any()
    assert table["families"].map(len).max() <= 3
    assert list(table["score"]) == sorted(table["score"], reverse=True)


def test_screening_leaves_a_place_out_on_the_command_line() -> None:
    park = str(EXAMPLES / "kalundborg")
    shown = runner.invoke(app, ["discover", park, "--screen", "--json", "--top", "0"])
    assert shown.exit_code == 0, shown.output
    proposals = json.loads(shown.stdout)["proposals"]
    assert proposals[0]["resources"] and isinstance(proposals[0]["resources"], list)
    keys = {"supplier", "receiver", "what", "resources", "sectors", "match", "cases", "score"}
    assert keys <= set(proposals[0])
    args = ["discover", park, "--screen", "--json", "--top", "0", "--exclude-place", "kalundborg"]
    hidden = runner.invoke(app, args)
    assert hidden.exit_code == 0, hidden.output
    rest = json.loads(hidden.stdout)["proposals"]
    assert all("(Kalundborg" not in p["evidence"] for p in rest)
    assert len(rest) < len(proposals)
    unknown = runner.invoke(app, [*args[:-1], "Atlantis"])
    assert isinstance(unknown.exception, SymbionetError)
    assert "no place 'Atlantis'" in str(unknown.exception)
    assert "Kalundborg" in str(unknown.exception)
