"""The knowledge base of documented exchanges: its table, its sources and some rows by hand.

``exchanges.csv`` holds one row per documented exchange and ``exchange_sources.yaml`` the
sources the rows cite. These tests read both files as plain CSV and YAML, independent of
the code that uses them.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path

import pytest
import yaml

from symbionet.register.catalogue import default_catalogue

DATA = Path(__file__).resolve().parents[1] / "src" / "symbionet" / "data"
COLUMNS = [
    "id",
    "place",
    "park",
    "town",
    "country",
    "year",
    "supplier",
    "supplier_nace",
    "receiver",
    "receiver_nace",
    "resources",
    "what",
    "quantity",
    "unit",
    "source",
    "note",
]
#: NACE Rev. 2 divisions (Eurostat 2008): 01–99 less the numbers the classification skips.
NACE_DIVISIONS = (
    {1, 2, 3, *range(5, 10), *range(10, 34), 35, *range(36, 40), *range(41, 44)}
    | {*range(45, 48), *range(49, 54), 55, 56, *range(58, 64), *range(64, 67), 68}
    | {*range(69, 76), *range(77, 83), 84, 85, *range(86, 89), *range(90, 94)}
    | {*range(94, 97), 97, 98, 99}
)
NACE = re.compile(r"^\d{2}(\.\d{1,2})?$")
CITED = re.compile(r"\(([a-z][a-z0-9_]*_[a-z0-9_]+)\)")


@cache
def _rows() -> tuple[dict[str, str], ...]:
    with (DATA / "exchanges.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        return tuple(reader)


@cache
def _sources() -> dict[str, dict[str, dict[str, object]]]:
    loaded = yaml.safe_load((DATA / "exchange_sources.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _row(place: str, supplier: str, receiver: str, resource: str) -> dict[str, str]:
    found = [
        r
        for r in _rows()
        if (r["place"], r["supplier"], r["receiver"]) == (place, supplier, receiver)
        and resource in r["resources"].split(";")
    ]
    assert len(found) == 1, (place, supplier, receiver, resource, found)
    return found[0]


def test_columns_are_the_contract() -> None:
    header = (DATA / "exchanges.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == COLUMNS


def test_ids_unique_and_every_cell_filled_where_required() -> None:
    ids = [r["id"] for r in _rows()]
    assert len(ids) == len(set(ids))
    for r in _rows():
        for column in ("id", "place", "supplier", "receiver", "resources", "what", "source"):
            assert r[column].strip() == r[column] and r[column], (r["id"], column)
        assert r["supplier"] != r["receiver"], r["id"]


def test_no_exchange_twice() -> None:
    keys = Counter(
        (r["place"], r["supplier"], r["receiver"], resource)
        for r in _rows()
        for resource in r["resources"].split(";")
    )
    assert [k for k, n in keys.items() if n > 1] == []


def test_every_resource_is_in_the_catalogue() -> None:
    known = default_catalogue().resources
    missing = sorted(
        {res for r in _rows() for res in r["resources"].split(";") if res not in known}
    )
    assert missing == []


def test_nace_codes_are_valid() -> None:
    for r in _rows():
        for column in ("supplier_nace", "receiver_nace"):
            code = r[column]
            assert NACE.match(code), (r["id"], code)
            assert int(code[:2]) in NACE_DIVISIONS, (r["id"], code)


def test_nace_divisions_by_hand() -> None:
    # Divisions 04, 34, 40, 44, 48, 54, 57, 67, 76, 83 and 89 do not exist in NACE Rev. 2.
    assert {4, 34, 40, 44, 48, 54, 57, 67, 76, 83, 89}.isdisjoint(NACE_DIVISIONS)
    assert len(NACE_DIVISIONS) == 88
    assert NACE.match("35.11") and NACE.match("01.4") and NACE.match("25")
    assert not NACE.match("35.111") and not NACE.match("3511")


def test_one_code_per_organisation_and_place() -> None:
    codes: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for r in _rows():
        codes[(r["place"], r["supplier"])].add(r["supplier_nace"])
        codes[(r["place"], r["receiver"])].add(r["receiver_nace"])
    assert {k: v for k, v in codes.items() if len(v) > 1} == {}


def test_a_place_has_one_park_town_and_country() -> None:
    seen: defaultdict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for r in _rows():
        seen[r["place"]].add((r["park"], r["town"], r["country"]))
    assert {p: v for p, v in seen.items() if len(v) > 1} == {}


def test_country_is_iso2() -> None:
    for r in _rows():
        if r["place"] == "worldwide":
            assert r["country"] == ""
        else:
            # ISO 3166-1 alpha-2, with the exceptionally reserved EU for Union-wide cases.
            assert re.fullmatch(r"[A-Z]{2}", r["country"]), r["id"]
    assert _row("Kalundborg", "Asnæs Power Station", "Gyproc", "fgd_gypsum")["country"] == "DK"


def test_year_plausible() -> None:
    for r in _rows():
        if r["year"]:
            assert 1950 <= int(r["year"]) <= 2026, r["id"]


def test_quantity_comes_with_a_unit() -> None:
    for r in _rows():
        assert bool(r["quantity"]) == bool(r["unit"]), r["id"]
        if r["quantity"]:
            assert float(r["quantity"]) > 0, r["id"]


def test_every_source_exists_with_a_licence_and_every_reference_is_used() -> None:
    refs = _sources()["references"]
    used = {r["source"] for r in _rows()}
    cited = {m for r in _rows() for m in CITED.findall(r["note"])}
    assert used - refs.keys() == set()
    assert cited - refs.keys() == set()
    assert refs.keys() - used - cited == set()
    for key, ref in {**refs, **_sources()["background"]}.items():
        assert ref.get("title") and ref.get("licence"), key


def test_kalundborg_gypsum_by_hand() -> None:
    row = _row("Kalundborg", "Asnæs Power Station", "Gyproc", "fgd_gypsum")
    assert (row["supplier_nace"], row["receiver_nace"], row["year"]) == ("35.11", "23.62", "1993")
    assert row["source"] == "grann_1994"
    ref = _sources()["references"]["grann_1994"]
    assert ref["year"] == 1994 and ref["publisher"] == "National Academy Press"


@pytest.mark.parametrize(
    ("place", "supplier", "receiver", "resource", "codes"),
    [
        ("Kalundborg", "Asnæs Power Station", "Novo Nordisk", "steam_mp", ("35.11", "21.20")),
        ("Kalundborg", "Novo Nordisk", "pig farmers", "yeast_slurry", ("21.20", "01.46")),
        ("Kwinana", "CSBP", "Alcoa Kwinana alumina refinery", "co2", ("20.15", "24.42")),
        (
            "Guitang",
            "Guitang sugar refinery",
            "Guitang alcohol plant",
            "molasses",
            ("10.81", "11.01"),
        ),
        (
            "Ulsan",
            "Korea Zinc (Onsan smelter)",
            "Hankook Paper (Onsan mill)",
            "co2",
            ("24.43", "17.12"),
        ),
        ("Styria", "Styrian power stations", "gypsum industry", "fgd_gypsum", ("35.11", "23.62")),
        (
            "Helsingborg",
            "Kemira Kemi Helsingborg",
            "Öresundskraft",
            "district_heat",
            ("20.13", "35.30"),
        ),
        ("Reykjanes", "HS Orka", "Háteigur", "steam_lp", ("35.11", "10.20")),
        (
            "Twente",
            "Twence waste-to-energy plant",
            "AkzoNobel salt plant Hengelo (Nouryon)",
            "steam_mp",
            ("38.21", "08.93"),
        ),
        ("Terneuzen", "Dow Terneuzen", "Yara Sluiskil", "hydrogen", ("20.14", "20.15")),
    ],
)
def test_well_known_rows_by_hand(
    place: str, supplier: str, receiver: str, resource: str, codes: tuple[str, str]
) -> None:
    row = _row(place, supplier, receiver, resource)
    assert (row["supplier_nace"], row["receiver_nace"]) == codes


def test_quantities_by_hand() -> None:
    # Grann 1994: 215,000 t of steam to Novo Nordisk in 1993.
    steam = _row("Kalundborg", "Asnæs Power Station", "Novo Nordisk", "steam_mp")
    assert (float(steam["quantity"]), steam["unit"]) == (215000.0, "t/yr")
    # Korea Zinc's 2010 agreement: 64,000 t/yr of CO2 to Hankook Paper.
    co2 = _row("Ulsan", "Korea Zinc (Onsan smelter)", "Hankook Paper (Onsan mill)", "co2")
    assert (float(co2["quantity"]), co2["unit"]) == (64000.0, "t/yr")
    # Boliden's Kokkola page: 320,000 MWh of roasting steam and 125,000 MWh of acid-plant heat in 2017,
    # 445,000 MWh in all.
    steam = _row("Kokkola", "Boliden Kokkola", "Kokkola municipal energy company", "steam_mp")
    heat = _row("Kokkola", "Boliden Kokkola", "Kokkola municipal energy company", "district_heat")
    assert steam["unit"] == heat["unit"] == "MWh/yr"
    assert float(steam["quantity"]) + float(heat["quantity"]) == 445000.0


def test_places_for_leave_one_place_out() -> None:
    counts = Counter(r["place"] for r in _rows())
    assert counts["Kalundborg"] >= 30
    evaluated = {p for p, n in counts.items() if n >= 10}
    assert {"Kalundborg", "Styria", "Ulsan", "Kwinana", "Reykjanes", "Helsingborg"} <= evaluated
    assert {"Norrköping", "Sotenäs", "Twente", "Moerdijk"} <= evaluated
    assert len(evaluated) >= 10


def test_sector_profiles_name_catalogue_resources_and_sources() -> None:
    catalogue = default_catalogue()
    with (DATA / "sector_profiles.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    for r in rows:
        assert NACE.match(r["nace"]) and int(r["nace"][:2]) in NACE_DIVISIONS, r
        assert r["direction"] in {"supply", "demand"}, r
        assert set(r["resources"].split(";")) <= set(catalogue.resources), r
        assert r["source"] in {*catalogue.references, *_sources()["references"]}, r
