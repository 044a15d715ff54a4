"""Inputs read as their author meant them, or refused at their file, row and column;
reading never crashes, whatever the files hold."""

from __future__ import annotations

import io
import json
import re
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from symbionet import SymbionetError, load_park
from symbionet.register.park import check_park
from tests.conftest import TINY, write_park

STREAMS = "id,site,direction,resource,quantity,unit,fate,source,temperature_c\n"


def problems_of(path: Path) -> list[str]:
    with pytest.raises(SymbionetError) as caught:
        load_park(path)
    return [str(p) for p in caught.value.problems]


def has(found: list[str], expected: str) -> bool:
    return any(p.startswith(expected) for p in found)


# --- units -----------------------------------------------------------------------------


def test_tons_in_a_park_are_metric_tonnes(tmp_path: Path) -> None:
    streams = STREAMS + (
        "gyp,p1,supply,fgd_gypsum,200,tons/day,landfill,,\n"
        "nat,b1,demand,natural_gypsum,60,kton/yr,,market,\n"
        "water,b1,demand,groundwater,10,m³/h,,groundwater,\n"
    )
    park = load_park(write_park(tmp_path / "p", {"streams.csv": streams}))
    # by hand: 200 t a day over 365 days; 60 kt is 60,000 t; 10 m3 an hour over 8760 h
    assert park.streams.loc["gyp", "annual_quantity"] == pytest.approx(73_000)
    assert park.streams.loc["nat", "annual_quantity"] == pytest.approx(60_000)
    assert park.streams.loc["water", "annual_quantity"] == pytest.approx(87_600)


def test_an_ambiguous_unit_is_refused_at_its_cell(tmp_path: Path) -> None:
    streams = STREAMS + "gyp,p1,supply,fgd_gypsum,200,mt/day,landfill,,\n"
    found = problems_of(write_park(tmp_path / "p", {"streams.csv": streams}))
    assert has(found, "streams.csv:2:unit: ambiguous unit 'mt'"), found


# --- local number forms and delimiters -------------------------------------------------


@pytest.mark.parametrize("number", ["65.000", "1.500,5", "1,5", "1.500.000"])
def test_danish_numbers_are_refused_with_a_hint(tmp_path: Path, number: str) -> None:
    streams = STREAMS + f'gyp,p1,supply,fgd_gypsum,"{number}",t/day,landfill,,\n'
    found = problems_of(write_park(tmp_path / "p", {"streams.csv": streams}))
    assert has(found, f"streams.csv:2:quantity: {number!r} is not a plain number"), found
    assert any("1.500,5 → 1500.5" in p for p in found)


def test_a_coordinate_with_trailing_zeros_is_a_coordinate(tmp_path: Path) -> None:
    """55.000 read as thousands would be 55,000 degrees: only the plain reading is possible."""
    sites = "id,actor,name,lat,lon\np1,power,Power site,55.000,11.080\nb1,board,B,55.67,-1.000\n"
    park = load_park(write_park(tmp_path / "p", {"sites.csv": sites}))
    assert park.sites["lat"].tolist() == [55.0, 55.67]
    assert park.sites["lon"].tolist() == [11.08, -1.0]


def test_three_decimals_are_read_as_a_decimal_with_a_warning(tmp_path: Path) -> None:
    """12.500 is 12.5 in English and 12,500 in Danish: read as written, and said."""
    streams = TINY["streams.csv"].replace("200,t/day", "912.500,t/day")
    park = load_park(write_park(tmp_path / "p", {"streams.csv": streams}))
    assert park.streams.loc["gyp", "quantity"] == 912.5
    assert [str(w) for w in park.warnings] == [
        "streams.csv:2:quantity: warning: '912.500' is read as 912.5; if it is 912500 in "
        "Danish form, write 912500"
    ]


def test_an_unreadable_park_yaml_is_not_also_missing_its_keys(tmp_path: Path) -> None:
    found = problems_of(write_park(tmp_path / "p", {"park.yaml": "a: &x [1]\nb: *x\n"}))
    assert found and all("required key is missing" not in p for p in found), found
    assert any(p.startswith("park.yaml") for p in found)


def test_a_semicolon_separated_export_is_read(tmp_path: Path) -> None:
    folder = write_park(
        tmp_path / "p",
        {name: text.replace(",", ";") for name, text in TINY.items() if name.endswith(".csv")},
    )
    park = load_park(folder)
    assert list(park.streams.index) == ["gyp", "nat", "water"]
    assert park.streams.loc["gyp", "annual_quantity"] == pytest.approx(200 * 365)
    assert park.sites.loc["p1", "lat"] == pytest.approx(55.66)


def test_a_semicolon_export_with_decimal_commas_is_refused_with_a_hint(tmp_path: Path) -> None:
    sites = "id;actor;name;lat;lon\np1;power;Power site;55,66;11,08\nb1;board;B;55.67;11.07\n"
    found = problems_of(write_park(tmp_path / "p", {"sites.csv": sites}))
    assert has(found, "sites.csv:2:lat: '55,66' is not a plain number"), found
    assert has(found, "sites.csv:2:lon: '11,08' is not a plain number"), found


# --- temperatures ----------------------------------------------------------------------


def test_a_temperature_that_contradicts_the_resource_names_the_one_that_fits(
    tmp_path: Path,
) -> None:
    streams = STREAMS + (
        "hot,p1,supply,waste heat,5000,MWh/yr,,,250\n"  # 'waste heat' is low_temp_heat
        "warm,p1,supply,waste heat,5000,MWh/yr,,,45\n"
    )
    found = problems_of(write_park(tmp_path / "p", {"streams.csv": streams}))
    message = next(p for p in found if p.startswith("streams.csv:2:temperature_c"))
    assert "250 °C does not fit low_temp_heat" in message
    assert "did you mean flue_gas_heat" in message
    assert not any(p.startswith("streams.csv:3:") for p in found)


def test_a_temperature_below_absolute_zero_is_an_error(tmp_path: Path) -> None:
    streams = STREAMS + "gyp,p1,supply,fgd_gypsum,200,t/day,landfill,,-300\n"
    found = problems_of(write_park(tmp_path / "p", {"streams.csv": streams}))
    assert "streams.csv:2:temperature_c: -300 is below -273.15" in found


# --- plausibility ----------------------------------------------------------------------


def test_implausible_figures_are_warnings_that_do_not_stop_loading(tmp_path: Path) -> None:
    streams = STREAMS + (
        "gyp,p1,supply,fgd_gypsum,1e308,t/yr,landfill,,\n"
        "nat,b1,demand,natural_gypsum,60,kt/yr,,market,\n"
        "gas,p1,supply,biomethane,7e10,Nm3/yr,,,\n"
    )
    exchanges = (
        "id,supply,demand,quantity,unit,status,start_year,end_year\n"
        "g1,gyp,nat,50000,t/yr,idea,2020,2015\n"
        "power,gyp,nat,100,t/yr,idea,,\n"
    )
    park = load_park(
        write_park(tmp_path / "p", {"streams.csv": streams, "exchanges.csv": exchanges})
    )
    warnings = [str(w) for w in park.warnings]
    assert all(w.severity == "warning" for w in park.warnings)
    # by hand: 7e10 Nm3 at about 0.01 MWh/Nm3 is about 7e8 MWh, beyond 1e8 MWh a year
    energy = park.catalogue.resources["biomethane"].energy_mwh_per_unit
    assert energy == pytest.approx(0.01, rel=0.1)
    assert has(
        warnings,
        f"streams.csv:4:quantity: warning: 7e+10 Nm3/yr of biomethane is {7e10 * energy:.3g} "
        "MWh/yr, more than any one site handles (over 1e+08 MWh/yr)",
    )
    assert has(warnings, "streams.csv:2:quantity: warning: 1e+308 t/yr of fgd_gypsum")
    assert "exchanges.csv:2:end_year: warning: ends in 2015 before it starts in 2020" in warnings
    assert has(warnings, "exchanges.csv:3:id: warning: 'power' is also the id of an actor")
    assert len(warnings) == 4, warnings


def test_an_amount_too_large_for_a_year_is_an_error(tmp_path: Path) -> None:
    streams = STREAMS + "gyp,p1,supply,fgd_gypsum,1e308,t/day,landfill,,\n"
    found = problems_of(write_park(tmp_path / "p", {"streams.csv": streams}))
    assert has(found, "streams.csv:2:quantity: 1e+308 t/day is too large"), found


# --- numbers in park.yaml --------------------------------------------------------------


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            "prices:\n  natural_gypsum: {value: .nan, unit: DKK/t, ref: x}\n",
            "park.yaml:prices.natural_gypsum: not a price per t: nan is not a finite number",
        ),
        (
            "prices:\n  natural_gypsum: {value: .inf, unit: DKK/t, ref: x}\n",
            "park.yaml:prices.natural_gypsum: not a price per t: inf is not a finite number",
        ),
        ("co2_price: .inf\n", "park.yaml:co2_price: 'inf' is not a number"),
        ("discount_rate: .nan\n", "park.yaml:discount_rate: 'nan' is not a number"),
        (
            "transport:\n  truck: {cost_per_t_km: .nan}\n",
            "park.yaml:transport.truck.cost_per_t_km: nan is not a finite number",
        ),
    ],
)
def test_nan_and_infinite_numbers_in_park_yaml_are_errors(
    tmp_path: Path, yaml_text: str, expected: str
) -> None:
    park_yaml = TINY["park.yaml"] + yaml_text
    found = problems_of(write_park(tmp_path / "p", {"park.yaml": park_yaml}))
    assert has(found, expected), found


def test_nan_in_a_json_park_is_refused_where_it_stands(tmp_path: Path) -> None:
    document = json.loads(_json_park())
    document["park"]["prices"] = {"natural_gypsum": {"value": "NaN", "unit": "DKK/t"}}
    text = json.dumps(document).replace('"NaN"', "NaN")
    text = text.replace('"quantity": 50000', '"quantity": Infinity')
    (tmp_path / "p.json").write_text(text, encoding="utf-8")
    found = problems_of(tmp_path / "p.json")
    assert has(found, "p.json#park:prices.natural_gypsum: not a price per t"), found
    assert has(found, "p.json#exchanges:1:quantity: 'Infinity' is not a number"), found


def _json_park() -> str:
    import csv

    document: dict[str, object] = {"park": {"name": "Tiny park", "currency": "DKK"}}
    for name, text in TINY.items():
        if name.endswith(".csv"):
            rows = [
                {k: _number(v) for k, v in row.items() if v != ""}
                for row in csv.DictReader(io.StringIO(text))
            ]
            document[name.removesuffix(".csv")] = rows
    return json.dumps(document)


def _number(text: str) -> object:
    try:
        return int(text)
    except ValueError:
        return text


# --- every problem in one run ----------------------------------------------------------


def test_check_lists_every_problem_of_every_file_in_one_run(tmp_path: Path) -> None:
    streams = STREAMS + (
        "gyp,p1,supply,fgd_gypsum,lots,t/day,landfill,,\n"  # text in a number
        "nat,b1,demand,natural_gypsum,60,kt/yr,,market,\n"
        "water,b1,demand,groundwater,10,m3/h,,groundwater,\n"
        "hot,p1,supply,waste heat,5000,MWh/yr,,,250\n"  # temperature of another resource
        "steam,p1,supply,steam_lp,2000,t/yr,,,\n"
    )
    exchanges = (
        "id,supply,demand,quantity,unit,status\n"
        'g1,gyp,nat,"65.000",t/yr,operating\n'  # Danish number
        "g2,steam,nat,10,t/yr,idea\n"  # steam cannot replace gypsum
        "g3,gyp,nat,10,wombats,idea\n"  # unknown unit
    )
    files = {
        "park.yaml": TINY["park.yaml"] + "co2_price: .nan\nyear: soon\n",
        "sites.csv": "id,actor,name,lat,lon\np1,power,P,north,11.08\nb1,boardx,B,55.67,11.07\n",
        "streams.csv": streams,
        "exchanges.csv": exchanges,
    }
    found = [str(p) for p in check_park(write_park(tmp_path / "p", files))]
    expected = [
        "park.yaml:co2_price: 'nan' is not a number",
        "park.yaml:year: 'soon' is not a number",
        "sites.csv:2:lat: 'north' is not a number",
        "sites.csv:3:actor: unknown actor 'boardx'",
        "streams.csv:2:quantity: 'lots' is not a number",
        "streams.csv:5:temperature_c: 250 °C does not fit low_temp_heat",
        "exchanges.csv:2:quantity: '65.000' is not a plain number",
        "exchanges.csv:3:demand: steam_lp cannot replace natural_gypsum",
        "exchanges.csv:4:unit: unknown unit 'wombats'",
    ]
    for message in expected:
        assert has(found, message), (message, found)
    assert len(found) == len(expected), found


# --- files that used to crash the reader -----------------------------------------------


def test_a_latin1_file_is_refused_with_an_encoding_message(tmp_path: Path) -> None:
    folder = write_park(tmp_path / "p")
    (folder / "park.yaml").write_bytes(
        "name: Tiny\ndescription: Kalundborg Forsyning Æ\n".encode("latin-1")
    )
    (folder / "actors.csv").write_bytes("id,name\npower,Asnæsværket\n".encode("latin-1"))
    found = problems_of(folder)
    assert has(found, "park.yaml:2: not UTF-8 text (byte 0xc6 cannot be read)"), found
    assert has(found, "actors.csv:2: not UTF-8 text (byte 0xe6"), found
    assert any("save the file as UTF-8" in p for p in found)


@pytest.mark.parametrize(
    "text",
    [
        "name: X\nx: " + "[" * 100_000,
        "name: X\nx: " + "[" * 2000 + "]" * 2000,
        "name: X\nx:\n" + "".join(" " * i + "- \n" for i in range(1, 3000)),
    ],
)
def test_deeply_nested_yaml_is_refused(tmp_path: Path, text: str) -> None:
    found = problems_of(write_park(tmp_path / "p", {"park.yaml": text}))
    assert any(p.startswith("park.yaml:") and "not valid YAML" in p for p in found), found


def test_deeply_nested_json_is_refused(tmp_path: Path) -> None:
    for depth in (100, 100_000):
        path = tmp_path / f"deep{depth}.json"
        path.write_text('{"park": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
        assert problems_of(path) == [f"deep{depth}.json: nested more than 32 levels deep"]


BOMB = """name: Bomb
transport: &a0 [x, x, x, x, x, x, x, x, x, x]
""" + "".join(
    f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n"
    for i in range(1, 10)
)


def test_a_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    folder = write_park(tmp_path / "p", {"park.yaml": BOMB})
    start = time.perf_counter()
    found = problems_of(folder)
    assert time.perf_counter() - start < 30  # refused, not expanded
    assert (
        "park.yaml:3: not valid YAML: aliases (*name) are not accepted: write the value out"
        in found
    )


def test_park_files_linked_from_outside_the_folder_are_refused(tmp_path: Path) -> None:
    outside = write_park(tmp_path / "elsewhere")
    folder = write_park(tmp_path / "p")
    (folder / "actors.csv").unlink()
    (folder / "actors.csv").symlink_to(outside / "actors.csv")
    (folder / "catalogue.yaml").symlink_to(tmp_path / "missing.yaml")
    found = problems_of(folder)
    assert "actors.csv: links to a file outside the park folder: refused" in found
    assert "catalogue.yaml: links to a file outside the park folder: refused" in found


def test_a_link_within_the_park_folder_is_read(tmp_path: Path) -> None:
    folder = write_park(tmp_path / "p")
    (folder / "data").mkdir()
    (folder / "actors.csv").rename(folder / "data" / "actors.csv")
    (folder / "actors.csv").symlink_to(folder / "data" / "actors.csv")
    assert list(load_park(folder).actors.index) == ["power", "board"]


# --- Excel -----------------------------------------------------------------------------

EXCHANGES = "id,supply,demand,quantity,unit,status\n" + "".join(
    f"g{i},gyp,nat,10000,t/yr,operating\n" for i in range(1, 5)
)


def _workbook(path: Path, files: dict[str, str]) -> Path:
    """A park workbook written cell by cell with openpyxl: numbers as numbers."""
    import csv

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "park"
    sheet.append(["key", "value"])
    for line in files["park.yaml"].splitlines():
        key, _, value = line.partition(": ")
        sheet.append([key, value])
    for name, text in files.items():
        if name.endswith(".csv"):
            table = book.create_sheet(name.removesuffix(".csv"))
            for row in csv.reader(io.StringIO(text)):
                table.append([_cell(v) for v in row])
    book.save(path)
    return path


def _cell(text: str) -> object:
    try:
        return float(text)
    except ValueError:
        return text


def _edit_sheet(path: Path, sheet: int, edit: dict[str, str]) -> None:
    """Rewrite parts of one sheet's XML inside the workbook (pattern: replacement)."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    name = f"xl/worksheets/sheet{sheet}.xml"
    xml = parts[name].decode()
    for pattern, replacement in edit.items():
        xml, count = re.subn(pattern, replacement, xml)
        assert count, pattern
    parts[name] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for part, data in parts.items():
            target.writestr(part, data)


def test_a_stale_sheet_dimension_drops_no_rows(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "park.xlsx", {**TINY, "exchanges.csv": EXCHANGES})
    # sheets: park, actors, sites, streams, exchanges; the dimension claims 2 exchanges
    _edit_sheet(path, 5, {r'<dimension ref="[A-Z0-9:]+"': '<dimension ref="A1:F3"'})
    park = load_park(path)
    assert list(park.exchanges.index) == ["g1", "g2", "g3", "g4"]
    # by hand: four exchanges of 10,000 t a year
    assert park.exchanges["annual_quantity"].sum() == pytest.approx(40_000)


def test_a_formula_without_a_saved_value_is_an_error_naming_its_cell(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "park.xlsx", {**TINY, "exchanges.csv": EXCHANGES})
    _edit_sheet(
        path,
        5,
        {
            r'<c r="D3"[^>]*><v>10000</v></c>': '<c r="D3"><f>5000*2</f></c>',
            r'<c r="D4"[^>]*><v>10000</v></c>': '<c r="D4"><f>5000*2</f><v>10000</v></c>',
        },
    )
    found = problems_of(path)
    assert sorted(found) == [
        "park.xlsx[exchanges]:3:quantity: cell D3 holds the formula =5000*2 without a saved "
        "value: open and save the workbook in Excel, or enter the value",
        "park.xlsx[exchanges]:3:quantity: value required",
    ]


def test_a_million_row_dimension_is_read_in_bounded_memory(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "park.xlsx", TINY)
    # the dimension claims every row and column Excel allows, and the last row has a
    # formatted empty cell: padding the rows between to the claimed width would take
    # a million rows of 16,384 cells
    _edit_sheet(
        path,
        2,
        {
            r'<dimension ref="[A-Z0-9:]+"': '<dimension ref="A1:XFD1048576"',
            "</sheetData>": '<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>',
        },
    )
    start = time.perf_counter()
    tracemalloc.start()
    try:
        park = load_park(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert list(park.actors.index) == ["power", "board"]
    assert peak < 50e6, peak
    assert time.perf_counter() - start < 30


def test_a_decimal_comma_that_splits_a_row_is_named(tmp_path: Path) -> None:
    sites = "id,actor,name,lat,lon\np1,power,P,55,66,11.08\nb1,board,B,55.67,11.07\n"
    found = problems_of(write_park(tmp_path / "p", {"sites.csv": sites}))
    assert (
        "sites.csv:2: row has 6 fields, the header has 5 (a decimal comma splits a number "
        "in two: write 1.5)"
    ) in found


LONG = "9" * 5000


@pytest.mark.parametrize(
    "park_yaml",
    [f"co2_price: {LONG}\n", f"prices:\n  natural_gypsum: {{value: {LONG}, unit: DKK/t}}\n"],
)
def test_a_number_too_long_to_read_is_refused(tmp_path: Path, park_yaml: str) -> None:
    found = problems_of(write_park(tmp_path / "p", {"park.yaml": TINY["park.yaml"] + park_yaml}))
    assert "park.yaml: not valid YAML: a number too long to read (over 4,300 digits)" in found
    path = tmp_path / "p.json"
    path.write_text('{"park": {"name": "x", "co2_price": ' + LONG + "}}", encoding="utf-8")
    assert problems_of(path) == [
        "p.json: not valid JSON: a number too long to read (over 4,300 digits)"
    ]


def test_a_park_catalogue_that_is_not_a_mapping_is_an_error(tmp_path: Path) -> None:
    found = problems_of(write_park(tmp_path / "p", {"catalogue.yaml": "- resources\n- routes\n"}))
    assert (
        "catalogue.yaml: must be a mapping of catalogue sections (resources, routes, references)"
        in found
    )
    path = tmp_path / "p.json"
    document = json.loads(_json_park())
    document["catalogue"] = ["resources"]
    path.write_text(json.dumps(document), encoding="utf-8")
    assert has(problems_of(path), "p.json#catalogue: must be a mapping of catalogue sections")
