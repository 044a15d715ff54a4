"""The shipped resource catalogue: its content, and the loader with known answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from symbionet.errors import SymbionetError
from symbionet.register.catalogue import (
    Catalogue,
    _normal,
    default_catalogue,
    load_catalogue,
    parse_catalogue,
)

DKK_PER_EUR = 7.46038
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue()


def factors(cat: Catalogue):
    """Every (place, factor) pair of the catalogue: prices, emission factors and route costs."""
    for key, r in cat.resources.items():
        for kind in ("price", "emission_factor"):
            factor = getattr(r, kind)
            if factor is not None:
                yield f"resources.{key}.{kind}", factor
    for key, route in cat.routes.items():
        for kind in ("cost", "emission_factor"):
            factor = getattr(route, kind)
            if factor is not None:
                yield f"routes.{key}.{kind}", factor


# --------------------------------------------------------------------------- content


def test_enough_resources_over_the_three_classes(cat: Catalogue) -> None:
    by_class = {c: 0 for c in ("water", "energy", "material")}
    for r in cat.resources.values():
        by_class[r.resource_class] += 1
    assert len(cat.resources) >= 60
    assert by_class["water"] >= 15
    assert by_class["energy"] >= 20
    assert by_class["material"] >= 25


def test_ids_are_short_snake_case_and_the_seed_ids_are_kept(cat: Catalogue) -> None:
    for key in (*cat.resources, *cat.routes):
        assert SNAKE.match(key), key
    for key in ("groundwater", "natural_gas", "natural_gypsum", "fgd_gypsum"):
        assert key in cat.resources
    for key in ("groundwater", "landfill"):
        assert key in cat.routes


def test_every_entry_is_described_and_has_synonyms(cat: Catalogue) -> None:
    for key, r in cat.resources.items():
        assert r.description, key
        assert r.synonyms, key
        assert r.id == key
    for key, route in cat.routes.items():
        assert route.description, key


def test_every_number_has_an_existing_reference_and_a_year(cat: Catalogue) -> None:
    for where, factor in factors(cat):
        assert factor.ref in cat.references, where
        assert factor.year is not None, where
        assert factor.unit.partition("/")[2], where
    for key, r in cat.resources.items():
        for sub in r.substitutes:
            assert sub.ref in cat.references, key


def test_estimates_say_so_and_give_their_working(cat: Catalogue) -> None:
    for where, factor in factors(cat):
        if factor.ref == "symbionet_estimates":
            assert "estimate" in factor.note, where


def test_prices_are_in_euro_or_krone(cat: Catalogue) -> None:
    for where, factor in factors(cat):
        if where.endswith(("price", "cost")):
            assert factor.unit.split("/")[0] in ("EUR", "DKK"), where
            assert factor.value > 0 or "negative" in factor.basis, where


def test_substitutions(cat: Catalogue) -> None:
    subs = [(key, s) for key, r in cat.resources.items() for s in r.substitutes]
    assert len(subs) >= 25
    for key, sub in subs:
        assert sub.resource in cat.resources, key
        assert sub.resource != key
        assert sub.ratio > 0
        assert sub.conditions, key
    pairs = {(key, s.resource): s.ratio for key, s in subs}
    assert pairs[("fgd_gypsum", "natural_gypsum")] == 1.0
    assert pairs[("surface_water", "groundwater")] == 1.0
    assert pairs[("treated_effluent", "cooling_water")] == 1.0
    assert pairs[("steam_condensate", "boiler_feed_water")] == 1.0
    assert 0 < pairs[("fly_ash", "cement_clinker")] < 1
    assert 0 < pairs[("used_oil", "base_oil")] < 1
    assert 0 < pairs[("flue_gas_condensate", "demin_water")] < 1
    assert 0 < pairs[("scrap_steel", "steel")] <= 1
    # nutrient ratios are tonnes of N or P per tonne of residue
    assert pairs[("digestate", "mineral_n_fertiliser")] < 0.01
    assert pairs[("digestate", "mineral_p_fertiliser")] < 0.01
    # yeast replaces soybean meal on protein: a tenth of a tonne or so per tonne of slurry
    assert 0.05 < pairs[("yeast_slurry", "feed_protein")] < 0.3


def test_substitutions_on_energy_content_agree_with_energy_contents(cat: Catalogue) -> None:
    """Fuel for fuel, the ratio is the ratio of the energy contents (within 5 %)."""
    on_energy = [
        ("biomethane", "natural_gas"),
        ("biogas", "natural_gas"),
        ("landfill_gas", "natural_gas"),
        ("hydrogen", "natural_gas"),
        ("wood_pellets", "coal"),
        ("wood_chips", "coal"),
        ("straw", "coal"),
        ("lignin", "coal"),
        ("lignin", "wood_pellets"),
        ("bioethanol", "petrol"),
    ]
    for supply, target in on_energy:
        ratio = next(s.ratio for s in cat.resources[supply].substitutes if s.resource == target)
        expected = (
            cat.resources[supply].energy_mwh_per_unit / cat.resources[target].energy_mwh_per_unit
        )
        assert ratio == pytest.approx(expected, rel=0.05), (supply, target)


def test_no_heat_pump_conversions_among_substitutions(cat: Catalogue) -> None:
    low = cat.resources["low_temp_heat"]
    assert not [s for s in low.substitutes if s.resource in ("district_heat", "hot_water")]


def test_routes(cat: Catalogue) -> None:
    fates = {k for k, r in cat.routes.items() if r.kind == "fate"}
    sources = {k for k, r in cat.routes.items() if r.kind == "source"}
    assert len(fates) >= 8
    assert len(sources) >= 8
    assert {"discharge", "landfill", "flare", "incineration", "cooling", "land_spreading"} <= fates
    assert {"sold", "stored", "recycling_market"} <= fates
    assert {"groundwater", "surface_water_intake", "grid", "natural_gas_boiler"} <= sources
    assert {"oil_boiler", "coal_boiler", "district_heating_network", "market"} <= sources
    assert "mineral_fertiliser" in sources
    for key, route in cat.routes.items():
        assert route.classes, key
        if route.resource is not None:
            assert route.resource in cat.resources, key


def test_boilers_burn_a_fuel_with_an_efficiency_and_factors_per_heat_delivered(
    cat: Catalogue,
) -> None:
    for key in ("natural_gas_boiler", "oil_boiler", "coal_boiler", "biomass_boiler"):
        route = cat.routes[key]
        assert route.resource in cat.resources
        assert route.efficiency is not None and 0.5 < route.efficiency <= 1.0
        assert route.emission_factor is not None and route.emission_factor.unit == "t/MWh"
        fuel = cat.resources[route.resource]
        per_mwh_fuel = cat.emission_t(route.resource) / fuel.energy_mwh_per_unit
        assert route.emission_factor.value == pytest.approx(
            per_mwh_fuel / route.efficiency, rel=0.01
        ), key
    gas = cat.routes["natural_gas_boiler"]
    assert gas.resource == "natural_gas"
    assert gas.efficiency == 0.9


# ----------------------------------------------------------------- known factors


@pytest.mark.parametrize(
    ("resource", "value"),
    [
        ("natural_gas", 0.204),  # HB2016, t/MWh
        ("fuel_oil", 3.173),  # HB2016, t/t
        ("electricity", 0.187),  # building-regulation figure for 2023, t/MWh
        ("district_heat", 0.105),  # building-regulation figure for 2023, t/MWh
        ("coal", 2.44),  # IPCC 2006: 94.6 kg/GJ × 25.8 GJ/t
        ("cement_clinker", 0.766),  # EU ETS benchmark
        ("wood_chips", 0.0),  # biogenic
    ],
)
def test_well_known_emission_factors(cat: Catalogue, resource: str, value: float) -> None:
    assert cat.emission_t(resource) == pytest.approx(value)


def test_fuels_have_heating_values_and_fossil_factors_per_mwh_are_plausible(
    cat: Catalogue,
) -> None:
    assert cat.resources["fuel_oil"].energy_mwh_per_unit == pytest.approx(11.3)
    assert cat.resources["wood_chips"].energy_mwh_per_unit == pytest.approx(2.6)
    assert cat.resources["hydrogen"].energy_mwh_per_unit == pytest.approx(33.3, rel=0.01)
    for key in ("natural_gas", "fuel_oil", "gas_oil", "coal", "petrol"):
        r = cat.resources[key]
        per_mwh = cat.emission_t(key) / r.energy_mwh_per_unit
        assert 0.19 < per_mwh < 0.36, key
    for key in ("biomethane", "wood_chips", "wood_pellets", "straw", "bioethanol"):
        assert cat.emission_t(key) == 0.0, key


def test_steam_levels(cat: Catalogue) -> None:
    levels = [cat.resources[k] for k in ("steam_hp", "steam_mp", "steam_lp")]
    pressures = [r.typical["pressure_bar"] for r in levels]
    assert pressures == sorted(pressures, reverse=True)
    assert 30 <= pressures[0] <= 60
    assert 8 <= pressures[1] <= 20
    assert 2 <= pressures[2] <= 6
    for r in levels:
        assert r.unit == "t"
        assert {"pressure_bar", "temperature_c"} <= set(r.typical)
        assert 0.6 < r.energy_mwh_per_unit < 0.8
        # raised in a gas boiler at 90 %: energy / 0.9 × 0.204 t/MWh
        assert r.emission_factor is not None
        assert r.emission_factor.value == pytest.approx(
            r.energy_mwh_per_unit / 0.9 * 0.204, rel=0.01
        )


def test_physical_sanity(cat: Catalogue) -> None:
    for key, r in cat.resources.items():
        if r.density_t_per_m3 is not None:
            assert 0.0005 <= r.density_t_per_m3 <= 8.0, key
        if r.resource_class == "water":
            assert r.unit == "m3", key
            assert 0.95 <= r.density_t_per_m3 <= 1.05, key
        if r.unit == "MWh":
            assert r.energy_mwh_per_unit in (None, 1.0), key
        if r.unit == "t" and r.energy_mwh_per_unit is not None:
            assert 0.5 <= r.energy_mwh_per_unit <= 35, key
        if r.emission_factor is not None:
            assert r.emission_factor.value >= 0, key
        for name, value in r.typical.items():
            assert name in r.quality, (key, name)
            if name.endswith("_fraction") or name in ("purity", "moisture", "dry_matter"):
                assert 0 <= value <= 1, (key, name)


def test_ewc_codes(cat: Catalogue) -> None:
    expected = {
        "10 01 05": "fgd_gypsum",
        "10 01 02": "fly_ash",
        "10 01 01": "bottom_ash",
        "10 01 03": "biomass_ash",
        "19 01 12": "incinerator_bottom_ash",
        "19 08 05": "sewage_sludge",
        "19 06 06": "digestate",
        "13 02 05*": "used_oil",
        "05 01 16": "sulphur",
        "17 04 05": "scrap_steel",
        "17 04 02": "scrap_aluminium",
        "19 12 10": "rdf",
        "20 01 08": "food_waste",
        "16 08 02*": "spent_catalyst",
        "14 06 03*": "spent_solvent",
    }
    by_code: dict[str, list[str]] = {}
    for key, r in cat.resources.items():
        if r.ewc:
            by_code.setdefault(r.ewc, []).append(key)
    # the list of waste is coarser than the catalogue: only these codes are shared, and a
    # shared code names no single resource (the error lists them all)
    shared = {code: keys for code, keys in by_code.items() if len(keys) > 1}
    assert shared == {
        "02 01 06": ["manure", "fish_sludge", "poultry_litter"],
        "02 02 02": ["slaughter_waste", "fish_waste"],
        "02 04 99": ["beet_pulp", "bagasse", "filter_mud"],
        "02 07 04": ["spent_grain", "brewers_yeast"],
    }
    for code, keys in shared.items():
        assert cat.resolve(code) is None
        assert set(cat.sharing_ewc(code)) == set(keys)
        assert set(keys) <= set(cat.suggest(code))
    for code, key in expected.items():
        assert by_code[code] == [key]
        assert cat.resolve(code) == key
    for key in ("used_oil", "slop_oil", "spent_catalyst", "spent_solvent"):
        assert cat.resources[key].ewc.endswith("*"), key  # hazardous
    for key in ("fgd_gypsum", "fly_ash", "sewage_sludge", "digestate", "scrap_steel"):
        assert not cat.resources[key].ewc.endswith("*"), key
    # products are not waste
    for key in ("natural_gas", "electricity", "natural_gypsum", "steel", "base_oil"):
        assert cat.resources[key].ewc is None, key


def test_price_eur_converts_krone_at_the_central_rate(cat: Catalogue) -> None:
    assert cat.resources["drinking_water"].price.unit == "DKK/m3"
    assert cat.price_eur("drinking_water") == pytest.approx(6 / DKK_PER_EUR)
    assert cat.price_eur("district_heat") == pytest.approx(600 / DKK_PER_EUR)
    assert cat.price_eur("natural_gas") == pytest.approx(61.0)
    assert cat.price_eur("fgd_gypsum") is None
    assert cat.emission_t("fgd_gypsum") is None


# ------------------------------------------------------------------ finding things


def test_every_spelling_names_one_resource(cat: Catalogue) -> None:
    owner: dict[str, str] = {}
    for key, r in cat.resources.items():
        spellings = {_normal(s) for s in (key, r.name, *r.synonyms)}
        if r.ewc and not cat.sharing_ewc(r.ewc):
            spellings |= {_normal(r.ewc), r.ewc.replace(" ", "").rstrip("*")}
        for spelling in spellings:
            assert owner.setdefault(spelling, key) == key, (spelling, owner[spelling], key)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("fgd_gypsum", "fgd_gypsum"),
        ("FGD gypsum", "fgd_gypsum"),
        ("Flue gas desulphurisation gypsum", "fgd_gypsum"),
        ("10 01 05", "fgd_gypsum"),
        ("100105", "fgd_gypsum"),
        ("13 02 05*", "used_oil"),
        ("13 02 05", "used_oil"),
        ("130205", "used_oil"),
        ("fjernvarme", "district_heat"),
        ("grundvand", "groundwater"),
        ("Overfladevand", "surface_water"),
        ("  Steam-HP ", "steam_hp"),
        ("process steam", "steam_mp"),
        ("yeast cream", "yeast_slurry"),
        ("afgasset biomasse", "digestate"),
        ("spildevandsslam", "sewage_sludge"),
        ("røggaskondensat", "flue_gas_condensate"),
        ("soybean meal", "feed_protein"),
        ("unobtainium", None),
    ],
)
def test_resolve(cat: Catalogue, name: str, expected: str | None) -> None:
    assert cat.resolve(name) == expected


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("fgd gipsum", "fgd_gypsum"),
        ("grundvan", "groundwater"),
        ("biomethan", "biomethane"),
        ("fjernvarm", "district_heat"),
    ],
)
def test_suggest_for_a_misspelling(cat: Catalogue, typo: str, expected: str) -> None:
    assert cat.resolve(typo) is None
    assert expected in cat.suggest(typo)


def test_search(cat: Catalogue) -> None:
    steam = set(cat.search("steam").index)
    assert {"steam_hp", "steam_mp", "steam_lp"} <= steam
    assert set(cat.search("fjernvarme").index) == {"district_heat"}
    assert set(cat.search("10 01 05").index) == {"fgd_gypsum"}
    assert len(cat.search("")) == len(cat.resources)
    assert len(cat.search("STEAM water")) <= len(steam)


def test_table_lists_sources(cat: Catalogue) -> None:
    table = cat.table()
    assert len(table) == len(cat.resources)
    assert "hb2016" in table.loc["natural_gas", "sources"]
    assert table.loc["fgd_gypsum", "ewc"] == "10 01 05"


# --------------------------------------------------------------------- extensions

EXTENSION = """\
version: park1
references:
  park_contract:
    title: Gas supply contract of the park, 2024
    year: 2024
    publisher: Park utility
resources:
  spent_hops:
    name: Spent hops
    class: material
    group: organic residue
    unit: t
    ewc: "02 07 99"
    description: Hop residue from a brewery's whirlpool.
    synonyms: [humlerester, hop residue]
    substitutes:
      - {resource: feed_protein, ratio: 0.15, conditions: "on protein", ref: park_contract}
  natural_gas:
    name: Natural gas
    class: energy
    group: fuel gas
    unit: MWh
    energy_mwh_per_unit: 1.0
    synonyms: [gas, naturgas]
    price: {value: 300, unit: DKK/MWh, ref: park_contract, year: 2024}
    emission_factor: {value: 0.204, unit: t/MWh, ref: hb2016, year: 2016}
"""


def test_a_park_adds_a_resource_and_overrides_a_price(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(EXTENSION, encoding="utf-8")
    base = default_catalogue()
    park = load_catalogue(path)
    assert park.version == f"{base.version}+park1"
    assert len(park.resources) == len(base.resources) + 1
    assert park.resolve("hop residue") == "spent_hops"
    assert park.resolve("020799") == "spent_hops"
    assert park.resources["spent_hops"].substitutes[0].resource == "feed_protein"
    assert park.price_eur("natural_gas") == pytest.approx(300 / DKK_PER_EUR)
    assert "park_contract" in park.references
    # the shipped catalogue is untouched
    assert base.price_eur("natural_gas") == pytest.approx(61.0)
    assert "spent_hops" not in default_catalogue().resources


def test_parse_catalogue_extends_a_base_given_as_data() -> None:
    import yaml

    park = parse_catalogue(yaml.safe_load(EXTENSION), "park/catalogue.yaml", default_catalogue())
    assert park.resolve("humlerester") == "spent_hops"
    assert park.price_eur("natural_gas") == pytest.approx(300 / DKK_PER_EUR)


def test_a_price_per_kwh_converts_to_the_canonical_unit(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(
        "resources:\n"
        "  electricity:\n"
        "    {name: Electricity, class: energy, group: electricity, unit: MWh,\n"
        "     price: {value: 1.2, unit: DKK/kWh, ref: hb2016, year: 2024},\n"
        "     emission_factor: {value: 150, unit: g/kWh, ref: hb2016, year: 2024}}\n",
        encoding="utf-8",
    )
    park = load_catalogue(path)
    assert park.price_eur("electricity") == pytest.approx(1200 / DKK_PER_EUR)
    assert park.emission_t("electricity") == pytest.approx(0.15)


GOOD = {"name": "Thing", "class": "material", "group": "test", "unit": "t"}


@pytest.mark.parametrize(
    ("entry", "column", "message"),
    [
        (
            {**GOOD, "price": {"value": 1, "unit": "EUR/t", "ref": "nowhere", "year": 2024}},
            "resources.thing.price",
            "unknown reference 'nowhere'",
        ),
        ({**GOOD, "unit": "bogons"}, "resources.thing.unit", "unknown unit 'bogons'"),
        (
            {**GOOD, "price": {"value": 1, "unit": "EUR/MWh", "ref": "hb2016", "year": 2024}},
            "resources.thing.price",
            "price unit",
        ),
        (
            {**GOOD, "emission_factor": {"value": 1, "unit": "t", "ref": "hb2016"}},
            "resources.thing.emission_factor",
            "emission unit",
        ),
        ({**GOOD, "ewc": "1001005"}, "resources.thing", "EWC code"),
        (
            {**GOOD, "substitutes": [{"resource": "unobtainium", "ref": "hb2016"}]},
            "resources.thing.substitutes",
            "unknown 'unobtainium'",
        ),
        (
            {**GOOD, "substitutes": [{"resource": "coal", "ref": "hb2016", "ratio": 0}]},
            "resources.thing.substitutes.0.ratio",
            "greater than 0",
        ),
        ({**GOOD, "colour": "red"}, "resources.thing.colour", "Extra inputs"),
        ({**GOOD, "class": "gas"}, "resources.thing.class", "'water', 'energy' or 'material'"),
    ],
)
def test_a_broken_extension_names_the_field(
    tmp_path: Path, entry: dict, column: str, message: str
) -> None:
    import yaml

    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump({"resources": {"thing": entry}}), encoding="utf-8")
    with pytest.raises(SymbionetError) as caught:
        load_catalogue(path)
    problems = caught.value.problems
    assert any(p.column == column and message in p.message for p in problems), problems
    assert all(p.file == str(path) for p in problems)


def test_a_broken_route_in_an_extension(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(
        "routes:\n"
        "  tanker:\n"
        "    name: Tanker\n"
        "    kind: source\n"
        "    classes: [water]\n"
        "    resource: heavy_water\n"
        "    cost: {value: 3, unit: EUR/m3, ref: somewhere}\n"
        "    emission_factor: {value: 0.1, unit: t, ref: hb2016}\n",
        encoding="utf-8",
    )
    with pytest.raises(SymbionetError) as caught:
        load_catalogue(path)
    text = str(caught.value)
    assert "routes.tanker.resource: unknown 'heavy_water'" in text
    assert "routes.tanker.cost: unknown reference 'somewhere'" in text
    assert "routes.tanker.emission_factor: emission unit must be per an amount" in text


def test_invalid_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text("resources:\n  thing: {name: [unclosed\n", encoding="utf-8")
    with pytest.raises(SymbionetError, match="not valid YAML") as caught:
        load_catalogue(path)
    assert caught.value.problems[0].row is not None


def test_a_park_synonym_that_names_a_shipped_resource_is_refused(tmp_path: Path) -> None:
    extension = tmp_path / "catalogue.yaml"
    extension.write_text(
        "version: x\nresources:\n  my_gypsum:\n    name: My gypsum\n    class: material\n"
        "    group: mineral\n    unit: t\n    synonyms: [FGD gypsum]\n",
        encoding="utf-8",
    )
    with pytest.raises(SymbionetError) as caught:
        load_catalogue(extension)
    assert any("'fgd gypsum' already names fgd_gypsum" in str(p) for p in caught.value.problems)
