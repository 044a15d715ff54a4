"""Residues of food, drink, aquaculture, agriculture, wood, paper and chemicals; the
residue classes a digester, composting plant, feed mill or boiler takes, with each
member's yield worked out by hand; the error that tells how to add a resource; and a
park's own catalogue as a table in a workbook."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook, load_workbook

from symbionet import SymbionetError, discover, load_park
from symbionet.register.catalogue import Catalogue, default_catalogue
from tests.conftest import ROOT, write_park


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return default_catalogue()


RESERVED = [
    "spent_grain",
    "whey",
    "brewers_yeast",
    "fish_sludge",
    "fish_waste",
    "slaughter_waste",
    "animal_fat",
    "fruit_veg_residue",
    "beet_pulp",
    "vinasse",
    "potato_residue",
    "crop_residue",
    "poultry_litter",
    "bark",
    "sawdust",
    "black_liquor",
    "fibre_sludge",
    "green_liquor_dregs",
    "lime_mud",
    "deinking_sludge",
    "crude_glycerol",
    "spent_caustic",
    "waste_hcl",
    "pickling_liquor",
    "phosphogypsum",
    "mussel_shells",
    "spent_bleaching_earth",
    "used_cooking_oil",
    "tall_oil",
]
CLASSES = ("digester_feedstock", "compost_feedstock", "feed_ingredient", "incineration_fuel")


# --------------------------------------------------------------------- the residues


def test_every_reserved_residue_is_in_the_catalogue(cat: Catalogue) -> None:
    for key in RESERVED:
        entry = cat.resources[key]
        assert entry.resource_class == "material", key
        assert entry.unit == "t", key
        assert entry.description and entry.synonyms, key
        assert entry.density_t_per_m3 is not None, key


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mask", "spent_grain"),
        ("drav", "spent_grain"),
        ("valle", "whey"),
        ("vassle", "whey"),
        ("bærme", "brewers_yeast"),
        ("brewer's yeast", "brewers_yeast"),
        ("fiskeslam", "fish_sludge"),
        ("fiskeaffald", "fish_waste"),
        ("slagteriaffald", "slaughter_waste"),
        ("sortlud", "black_liquor"),
        ("svartlut", "black_liquor"),
        ("mesa", "lime_mud"),
        ("savsmuld", "sawdust"),
        ("sågspån", "sawdust"),
        ("fosforgips", "phosphogypsum"),
        ("UCO", "used_cooking_oil"),
        ("tallolja", "tall_oil"),
        ("råglycerin", "crude_glycerol"),
        ("02 05 01", "whey"),
        ("03 01 01", "bark"),
        ("030105", "sawdust"),
        ("03 03 02", "green_liquor_dregs"),
        ("03 03 09", "lime_mud"),
        ("03 03 10", "fibre_sludge"),
        ("03 03 05", "deinking_sludge"),
        ("11 01 05*", "pickling_liquor"),
        ("06 01 02", "waste_hcl"),
    ],
)
def test_names_synonyms_and_ewc_codes_resolve(cat: Catalogue, name: str, expected: str) -> None:
    assert cat.resolve(name) == expected


def test_the_ids_the_knowledge_base_of_exchanges_needs_are_there(cat: Catalogue) -> None:
    requested = (
        "bagasse filter_mud sugar_factory_lime beet_soil fluorosilicic_acid geothermal_fluid "
        "municipal_solid_waste spent_pot_lining steelworks_gas nitrogen salt_gypsum "
        "organic_mineral_fertiliser poultry_litter_ash"
    )
    for key in requested.split():
        assert key in cat.resources, key
    assert cat.resources["geothermal_fluid"].resource_class == "water"
    assert cat.resources["steelworks_gas"].unit == "MWh"
    assert cat.resolve("20 03 01") == "municipal_solid_waste"
    assert cat.resolve("16 11 01*") == "spent_pot_lining"


def test_hazardous_residues_carry_the_star(cat: Catalogue) -> None:
    for key in ("spent_caustic", "waste_hcl", "pickling_liquor"):
        assert cat.resources[key].ewc.endswith("*"), key
    for key in ("whey", "spent_grain", "bark", "lime_mud", "phosphogypsum"):
        assert not cat.resources[key].ewc.endswith("*"), key


def test_a_code_several_resources_share_names_none_and_lists_them(cat: Catalogue) -> None:
    assert cat.resolve("02 07 04") is None
    assert cat.sharing_ewc("020704") == ("spent_grain", "brewers_yeast")
    assert cat.suggest("02 07 04")[:2] == ["spent_grain", "brewers_yeast"]
    assert cat.sharing_ewc("02 05 01") == ()  # whey's alone


# -------------------------------------------------------------------- the classes


def test_the_classes_are_resources_in_their_own_units(cat: Catalogue) -> None:
    units = {key: cat.resources[key].unit for key in CLASSES}
    assert units == {
        "digester_feedstock": "Nm3",
        "compost_feedstock": "t",
        "feed_ingredient": "t",
        "incineration_fuel": "MWh",
    }
    for key in CLASSES:
        assert cat.resources[key].group == "residue class"
        # a class is not bought: no price of its own that a residue would be valued at
        assert cat.resources[key].price is None and cat.resources[key].emission_factor is None


@pytest.mark.parametrize(
    ("residue", "dry_matter", "vs_of_dm", "ch4_per_t_vs"),
    [
        # FNR Leitfaden Biogas (2010): the table's dry matter, volatile solids and yield
        ("spent_grain", 0.23, 0.75, 313),
        ("manure", 0.06, 0.80, 250),
        ("poultry_litter", 0.40, 0.75, 280),
        # Rico et al. (2014) measured 17.5–19.3 L CH4 per kg of cheese whey
        ("whey", 0.06, 0.90, 340),
        # estimates, each stating its working in its conditions
        ("brewers_yeast", 0.12, 0.92, 400),
        ("yeast_slurry", 0.12, 0.92, 400),
        ("fermentation_biomass", 0.05, 0.85, 350),
        ("fish_sludge", 0.10, 0.80, 300),
        ("sewage_sludge", 0.22, 0.70, 300),
        ("food_waste", 0.25, 0.90, 400),
    ],
)
def test_digester_yields_are_dry_matter_times_volatile_solids_times_yield(
    cat: Catalogue, residue: str, dry_matter: float, vs_of_dm: float, ch4_per_t_vs: float
) -> None:
    by_hand = dry_matter * vs_of_dm * ch4_per_t_vs
    assert cat.ratio(residue, "digester_feedstock") == pytest.approx(by_hand, rel=0.01)


def test_hand_worked_digester_yields(cat: Catalogue) -> None:
    """Nm3 CH4 per t as delivered, multiplied out by hand."""
    assert cat.ratio("spent_grain", "digester_feedstock") == pytest.approx(54.0)  # 53.99
    assert cat.ratio("whey", "digester_feedstock") == pytest.approx(18.4)  # 18.36
    assert cat.ratio("manure", "digester_feedstock") == pytest.approx(12.0)
    assert cat.ratio("fish_sludge", "digester_feedstock") == pytest.approx(24.0)
    assert cat.ratio("sewage_sludge", "digester_feedstock") == pytest.approx(46.2)
    assert cat.ratio("brewers_yeast", "digester_feedstock") == pytest.approx(44.2)  # 44.16
    assert cat.ratio("yeast_slurry", "digester_feedstock") == pytest.approx(44.2)  # 44.16
    assert cat.ratio("fermentation_biomass", "digester_feedstock") == pytest.approx(14.9)  # 14.88
    # glycerol C3H8O3 by Buswell: 3/2 + 8/8 − 3/4 = 1.75 mol CH4 per 92.09 g
    glycerol = 1.75 * 22.414 / 92.09 * 1000  # 426 Nm3 per t
    assert glycerol == pytest.approx(426, abs=1)
    assert cat.ratio("crude_glycerol", "digester_feedstock") == pytest.approx(
        0.90 * 0.94 * 0.9 * glycerol, rel=0.01
    )
    # triolein C57H104O6: 57/2 + 104/8 − 6/4 = 40 mol CH4 per 885.4 g
    fat = 40 * 22.414 / 885.4 * 1000  # 1,013 Nm3 per t
    assert cat.ratio("animal_fat", "digester_feedstock") == pytest.approx(
        0.99 * 0.99 * 0.9 * fat, rel=0.01
    )


def test_every_digester_member_states_the_yield_it_multiplies_out(cat: Catalogue) -> None:
    members = cat.members("digester_feedstock")
    assert len(members) >= 12
    for key, ratio in members.items():
        typical = cat.resources[key].typical
        product = typical["dry_matter"] * typical["vs_of_dm"] * typical["ch4_nm3_per_t_vs"]
        assert ratio == pytest.approx(product, rel=0.01), key
        sub = next(s for s in cat.resources[key].substitutes if s.resource == "digester_feedstock")
        assert sub.conditions.startswith("Nm3 CH4 per t"), key


def test_feed_members_give_their_dry_matter(cat: Catalogue) -> None:
    members = cat.members("feed_ingredient")
    assert set(members) >= {"spent_grain", "whey", "brewers_yeast", "beet_pulp"}
    for key, ratio in members.items():
        assert ratio == pytest.approx(cat.resources[key].typical["dry_matter"]), key


def test_fuel_members_give_their_heating_value(cat: Catalogue) -> None:
    members = cat.members("incineration_fuel")
    assert {"bark", "sawdust", "used_cooking_oil", "tall_oil", "waste_wood", "rdf"} <= set(members)
    for key, ratio in members.items():
        energy = cat.resources[key].energy_mwh_per_unit
        if energy is not None:
            assert ratio == pytest.approx(energy), key
    # bark at 50 % moisture: 0.5 × 19 GJ/t dry − 0.5 × 2.44 GJ/t = 8.28 GJ/t = 2.3 MWh/t
    assert members["bark"] == pytest.approx((0.5 * 19 - 0.5 * 2.44) / 3.6, rel=0.01)
    # sawdust at 45 %: 0.55 × 19 − 0.45 × 2.44 = 9.35 GJ/t = 2.6 MWh/t
    assert members["sawdust"] == pytest.approx((0.55 * 19 - 0.45 * 2.44) / 3.6, rel=0.01)


def test_compost_takes_solid_residues_tonne_for_tonne(cat: Catalogue) -> None:
    members = cat.members("compost_feedstock")
    assert {"bark", "sawdust", "fruit_veg_residue", "poultry_litter"} <= set(members)
    assert set(members.values()) == {1.0}
    assert "whey" not in members  # a liquid is no compost feedstock


# ------------------------------------------------------------ the harbour park


HARBOUR = {
    "park.yaml": "name: Harbour park\ncountry: DK\nyear: 2024\ncurrency: EUR\n",
    "actors.csv": (
        "id,name,nace\n"
        "brewery,Harbour Brewery,11.05\n"
        "dairy,Harbour Dairy,10.51\n"
        "fishfarm,Harbour Fish Farm,03.22\n"
        "wwtp,Harbour Wastewater,37.00\n"
        "biogas,Harbour Biogas,35.21\n"
    ),
    "sites.csv": (
        "id,actor,lat,lon\n"
        "brew,brewery,55.70,12.60\n"
        "dairy,dairy,55.71,12.61\n"
        "fish,fishfarm,55.72,12.59\n"
        "wwtp,wwtp,55.69,12.62\n"
        "ad,biogas,55.70,12.62\n"
    ),
    # the residues as a new user writes them: Danish names, an id, a synonym
    "streams.csv": (
        "id,site,direction,resource,quantity,unit\n"
        "grain,brew,supply,mask,10000,t/yr\n"
        "yeast,brew,supply,brewers_yeast,1000,t/yr\n"
        "whey,dairy,supply,valle,20000,t/yr\n"
        "fsl,fish,supply,fiskeslam,5000,t/yr\n"
        "sludge,wwtp,supply,sewage_sludge,8000,t/yr\n"
        "feed,ad,demand,digester_feedstock,5000000,Nm3/yr\n"
    ),
    "exchanges.csv": "id,supply,demand,quantity,unit\n",
}


def test_a_digester_takes_every_organic_residue_of_the_harbour(tmp_path: Path) -> None:
    park = load_park(write_park(tmp_path / "harbour", HARBOUR))
    table = discover(park).candidates.set_index("supply")
    assert set(table.index) == {"grain", "yeast", "whey", "fsl", "sludge"}
    assert set(table["demand"]) == {"feed"}
    # by hand: t a year × Nm3 CH4 per t
    methane = {
        "grain": 10_000 * 0.23 * 0.75 * 313,  # 539,925 ≈ 10,000 × 54.0
        "yeast": 1_000 * 0.12 * 0.92 * 400,  # 44,160 ≈ 1,000 × 44.2
        "whey": 20_000 * 0.06 * 0.90 * 340,  # 367,200 ≈ 20,000 × 18.4
        "fsl": 5_000 * 0.10 * 0.80 * 300,  # 120,000
        "sludge": 8_000 * 0.22 * 0.70 * 300,  # 369,600
    }
    assert sum(methane.values()) < 5_000_000  # the digester takes all of it
    for supply, nm3 in methane.items():
        row = table.loc[supply]
        assert row["replaces"] == "digester_feedstock"
        assert row["quantity"] == pytest.approx(float(supply_tonnes(supply)))
        assert row["replaced"] == pytest.approx(nm3, rel=0.01), supply


def supply_tonnes(supply: str) -> int:
    return {"grain": 10_000, "yeast": 1_000, "whey": 20_000, "fsl": 5_000, "sludge": 8_000}[supply]


def test_a_small_digester_takes_the_tonnes_its_methane_needs(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit\n"
        "whey,dairy,supply,whey,20000,t/yr\n"
        "feed,ad,demand,digester_feedstock,92000,Nm3/yr\n"
    )
    park = load_park(write_park(tmp_path / "harbour", {**HARBOUR, "streams.csv": streams}))
    row = discover(park).candidates.iloc[0]
    # 92,000 Nm3 / 18.4 Nm3 per t = 5,000 t of the dairy's 20,000
    assert row["quantity"] == pytest.approx(5_000)
    assert row["replaced"] == pytest.approx(92_000)


# ------------------------------------------------------------ unknown resources


def test_an_unknown_resource_says_how_to_add_it(tmp_path: Path) -> None:
    streams = HARBOUR["streams.csv"].replace("valle,", "vallee soup,")
    with pytest.raises(SymbionetError) as caught:
        load_park(write_park(tmp_path / "bad", {**HARBOUR, "streams.csv": streams}))
    (message,) = [str(p) for p in caught.value.problems]
    assert message.startswith("streams.csv:4:resource: unknown resource 'vallee soup' (did you")
    assert "list it under `resources:` in the park's catalogue.yaml" in message
    assert "catalogue sheet" in message and "docs/catalogue.md" in message


def test_a_shared_ewc_code_names_the_resources_to_choose_from(tmp_path: Path) -> None:
    streams = HARBOUR["streams.csv"].replace("mask,", "02 07 04,")
    with pytest.raises(SymbionetError) as caught:
        load_park(write_park(tmp_path / "bad", {**HARBOUR, "streams.csv": streams}))
    assert [str(p) for p in caught.value.problems] == [
        "streams.csv:2:resource: EWC code '02 07 04' is given by several resources "
        "(spent_grain, brewers_yeast): write the id of the one meant"
    ]


def test_a_price_for_an_unknown_resource_says_the_same(tmp_path: Path) -> None:
    meta = HARBOUR["park.yaml"] + "prices:\n  spent graiin: {value: 20, unit: EUR/t, ref: quote}\n"
    with pytest.raises(SymbionetError) as caught:
        load_park(write_park(tmp_path / "bad", {**HARBOUR, "park.yaml": meta}))
    (message,) = [str(p) for p in caught.value.problems]
    assert message.startswith(
        "park.yaml:prices.spent graiin: unknown resource 'spent graiin' (did you mean spent_grain"
    )
    assert message.endswith("with its name, class, group and unit (see docs/catalogue.md)")


def test_a_resource_added_as_told_is_found(tmp_path: Path) -> None:
    streams = HARBOUR["streams.csv"].replace("valle,", "kelp residue,")
    catalogue = (
        "references:\n  own: {title: Own analysis, year: 2024}\n"
        "resources:\n"
        "  kelp_residue:\n"
        "    {name: Kelp residue, class: material, group: organic residue, unit: t,\n"
        "     synonyms: [kelp residue, tangrester],\n"
        "     substitutes: [{resource: digester_feedstock, ratio: 20, ref: own}]}\n"
    )
    folder = write_park(
        tmp_path / "kelp", {**HARBOUR, "streams.csv": streams, "catalogue.yaml": catalogue}
    )
    table = discover(load_park(folder)).candidates.set_index("supply")
    assert table.loc["whey", "resource"] == "kelp_residue"
    assert table.loc["whey", "replaced"] == pytest.approx(20_000 * 20)


# ------------------------------------------------------- the catalogue in Excel

OWN = {
    "version": "harbour-1",
    "description": "The harbour park's own entries",
    "references": {
        "own": {"title": "Own analysis; lab report 7", "year": 2024, "url": "https://x.test"},
    },
    "resources": {
        "kelp_residue": {
            "name": "Kelp residue",
            "class": "material",
            "group": "organic residue",
            "unit": "t",
            "ewc": "02 03 99",
            "description": "What is left of kelp after alginate extraction.",
            "synonyms": ["tangrester", "seaweed; pressed"],
            "quality": ["dry_matter", "vs_of_dm"],
            "typical": {"dry_matter": 0.12, "vs_of_dm": 0.7},
            "density_t_per_m3": 1.05,
            "price": {
                "value": 5,
                "unit": "EUR/t",
                "ref": "own",
                "year": 2024,
                "checked": True,
                "note": "=gate fee, negative elsewhere",
                "by_year": {2025: {"value": 6, "ref": "own"}},
            },
            "substitutes": [
                {"resource": "digester_feedstock", "ratio": 20, "conditions": "x; y", "ref": "own"},
                {"resource": "compost_feedstock", "ratio": 1.0, "conditions": "z", "ref": "own"},
            ],
        },
        "natural_gas": {"price": {"value": 300, "unit": "DKK/MWh", "ref": "own", "year": 2024}},
    },
    "routes": {
        "kelp_landfill": {
            "name": "Landfill at the harbour",
            "kind": "fate",
            "classes": ["material"],
            "cost": {"value": 60, "unit": "EUR/t", "ref": "own", "year": 2024},
        }
    },
}


def test_a_parks_catalogue_is_a_table_in_its_workbook(tmp_path: Path) -> None:
    folder = write_park(tmp_path / "own", {**HARBOUR, "catalogue.yaml": yaml.safe_dump(OWN)})
    park = load_park(folder)
    target = park.save(tmp_path / "own.xlsx")
    book = load_workbook(target)
    sheet = book["catalogue"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows[0]
    assert header[:5] == ["id", "name", "class", "group", "unit"]
    assert {"synonyms", "price_value", "price_unit", "price_ref", "substitutes"} <= set(header)
    assert {"emission_factor_value", "emission_factor_unit", "emission_factor_ref"} <= set(header)
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_id) == {"kelp_residue", "natural_gas"}  # one row per resource
    kelp = by_id["kelp_residue"]
    assert kelp["substitutes"] == "digester_feedstock:20; compost_feedstock:1.0"
    assert kelp["substitutes_ref"] == "own"
    assert kelp["synonyms"] == "tangrester; seaweed\\; pressed"
    assert kelp["typical"] == "dry_matter=0.12; vs_of_dm=0.7"
    assert (kelp["price_value"], kelp["price_unit"], kelp["price_ref"]) == (5, "EUR/t", "own")
    assert kelp["ewc"] == "02 03 99"
    assert by_id["natural_gas"]["name"] is None  # only the price is the park's
    assert [r[0].value for r in book["catalogue_references"].iter_rows()] == ["id", "own"]
    assert [r[0].value for r in book["catalogue_routes"].iter_rows()] == ["id", "kelp_landfill"]
    # and it reads back as it was
    again = load_park(target)
    assert again.catalogue_extension == park.catalogue_extension == OWN
    assert again.to_document() == park.to_document()
    assert again.catalogue.ratio("kelp_residue", "digester_feedstock") == 20


def test_the_whole_shipped_catalogue_reads_back_from_a_workbook(tmp_path: Path) -> None:
    """Every field of 120-odd resources, the routes and their values by year."""
    shipped = yaml.safe_load(
        (ROOT / "src/symbionet/data/catalogue.yaml").read_text(encoding="utf-8")
    )
    folder = write_park(tmp_path / "all", {**HARBOUR, "catalogue.yaml": yaml.safe_dump(shipped)})
    park = load_park(folder)
    again = load_park(park.save(tmp_path / "all.xlsx"))
    assert again.catalogue_extension == shipped
    assert again.catalogue.resources == park.catalogue.resources


def test_a_row_of_the_catalogue_sheet_is_checked_where_it_stands(tmp_path: Path) -> None:
    park = load_park(write_park(tmp_path / "own", HARBOUR))
    target = park.save(tmp_path / "own.xlsx")
    book = load_workbook(target)
    sheet = book.create_sheet("catalogue")
    sheet.append(["id", "name", "class", "group", "unit", "substitutes", "density_t_per_m3"])
    sheet.append(["kelp", "Kelp", "material", "organic residue", "t", "digester_feedstock:x", 1])
    sheet.append(["", "No id", "material", "organic residue", "t", None, "heavy"])
    book.save(target)
    with pytest.raises(SymbionetError) as caught:
        load_park(target)
    assert [str(p) for p in caught.value.problems] == [
        "own.xlsx[catalogue]:2:substitutes: 'x' is not a number",
        "own.xlsx[catalogue]:3:density_t_per_m3: 'heavy' is not a number",
        "own.xlsx[catalogue]:3:id: every row needs an id",
    ]


def test_a_catalogue_sheet_of_one_yaml_cell_still_reads(tmp_path: Path) -> None:
    park = load_park(write_park(tmp_path / "own", HARBOUR))
    target = park.save(tmp_path / "own.xlsx")
    book = load_workbook(target)
    book.create_sheet("catalogue").cell(1, 1, yaml.safe_dump(OWN)).data_type = "s"
    book.save(target)
    assert load_park(target).catalogue_extension == OWN


def test_a_workbook_with_no_catalogue_has_none(tmp_path: Path) -> None:
    park = load_park(write_park(tmp_path / "own", HARBOUR))
    again = load_park(park.save(tmp_path / "own.xlsx"))
    assert again.catalogue_extension is None
    assert "catalogue" not in Workbook().sheetnames
    assert "catalogue" not in load_workbook(tmp_path / "own.xlsx").sheetnames
