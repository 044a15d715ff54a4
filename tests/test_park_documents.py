"""Parks given as documents in memory: a dict, or its JSON text, read as a .json file is."""

from __future__ import annotations

import json
import math
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symbionet.errors import Problem, SymbionetError
from symbionet.register.io import cell_text
from symbionet.register.park import Park, load_park, park_from_document
from tests.conftest import EXAMPLES

PARKS = sorted(path.parent for path in EXAMPLES.rglob("park.yaml"))
WRITES = {"os.mkdir", "os.remove", "os.rename", "os.rmdir", "shutil.rmtree", "tempfile.mkstemp"}
written: list[tuple[str, tuple[Any, ...]]] = []
watching: list[bool] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """Record every file the process writes while ``watching`` holds."""
    if not watching:
        return
    if event == "open":
        mode, flags = args[1], args[2]
        if (isinstance(mode, str) and set(mode) & set("wax+")) or (
            flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        ):
            written.append((event, args))
    elif event in WRITES:
        written.append((event, args))


sys.addaudithook(_audit)


def problems(source: Any) -> list[Problem]:
    with pytest.raises(SymbionetError) as raised:
        load_park(source)
    return raised.value.problems


def lines(source: Any) -> list[str]:
    return [str(problem) for problem in problems(source)]


@pytest.fixture(scope="module")
def kalundborg_document() -> dict[str, Any]:
    return load_park(EXAMPLES / "kalundborg").to_document()


@pytest.mark.parametrize("folder", PARKS, ids=[str(p.relative_to(EXAMPLES)) for p in PARKS])
def test_every_example_park_round_trips_as_a_document(folder: Path, tmp_path: Path) -> None:
    park = load_park(folder)
    document = park.to_document()
    assert document == json.loads(Path(park.save(tmp_path / "park.json")).read_text("utf-8"))
    text = json.dumps(document)
    for source in (document, text.encode(), text):
        again = park_from_document(source)
        assert again.to_document() == document
        assert again.meta == park.meta
        assert again.catalogue_extension == park.catalogue_extension
        assert again.frames.keys() == park.frames.keys()
        for name, frame in park.frames.items():
            pd.testing.assert_frame_equal(again.frames[name], frame)
        assert [p.message for p in again.warnings] == [p.message for p in park.warnings]
    assert load_park(document).to_document() == document


def test_the_document_is_the_parks_own_copy(tmp_path: Path) -> None:
    document = load_park(EXAMPLES / "kalundborg-2010").to_document()
    park = load_park(document)
    document["park"]["name"] = "changed"
    document["catalogue"].clear()
    assert park.name != "changed" and park.catalogue_extension
    park.to_document()["park"]["name"] = "changed again"
    assert park.name != "changed again"


def test_a_document_is_read_without_writing_a_file(kalundborg_document: dict[str, Any]) -> None:
    watching.append(True)
    try:
        load_park(json.dumps(kalundborg_document).encode())
        park = park_from_document(kalundborg_document)
        park.to_document()
        with pytest.raises(SymbionetError):
            load_park({**kalundborg_document, "actors": "none"})
    finally:
        watching.clear()
    assert written == []


def test_the_write_watch_sees_a_park_written(tmp_path: Path, tiny: Path) -> None:
    park = load_park(tiny)
    watching.append(True)
    try:
        park.save(tmp_path / "p.json")
    finally:
        watching.clear()
    assert any("p.json" in str(args[0]) for _, args in written), written
    written.clear()


@settings(max_examples=25, deadline=None)
@given(
    name=st.text(min_size=1).filter(str.strip),
    lat=st.floats(-90, 90),
)
@example(name="0", lat=7.189405368995505e-246)  # read one digit off by a fast parser
def test_names_and_numbers_come_back_as_given(name: str, lat: float) -> None:
    document = load_park(EXAMPLES / "targeting" / "food-park").to_document()
    document["actors"][0]["name"] = name
    document["sites"][0]["lat"] = lat
    once = load_park(document).to_document()
    assert once["actors"][0]["name"] == cell_text(name)
    assert once["sites"][0]["lat"] == lat
    assert load_park(once).to_document() == once


def broken(document: dict[str, Any]) -> dict[str, Any]:
    """The Kalundborg document with one of each kind of mistake, each in its own record."""
    bad = json.loads(json.dumps(document))
    bad["park"]["year"] = "soon"
    bad["actors"][3]["nace"] = "99.999"  # a wrong value
    del bad["actors"][4]["name"]  # a missing required field
    bad["actors"][5]["sector"] = "35.11"  # an unknown field
    bad["actors"][6]["kind"] = 7  # a number where text is expected
    bad["sites"][2]["name"] = ["Asnæs", "west"]  # a list where one value is expected
    bad["technologies"][0]["capacity"] = {"value": 5}  # an object where one value is
    bad["streams"][1] = [bad["streams"][1]]  # a list where a record is expected
    bad["profiles"] = {"winter": 1}  # an object where a table is expected
    bad["plants"] = []  # an unknown table
    return bad


EXPECTED = [
    "park.year: 'soon' is not a number",
    "actors[3].nace: '99.999' is not a NACE code",
    "actors[4].name: value required",
    "actors[5].sector: unknown column",
    "actors[6].kind: '7' is not one of company, startup, utility",
    "sites[2].name: must be a single value (text, a number, true or false), not a list",
    "streams[1]: must be an object of fields, not a list",
    "technologies[0].capacity: must be a single value (text, a number, true or false), not an object",
    "profiles: must be a list of objects",
    "plants: unknown table",
]


def test_mistakes_in_a_document_are_located_by_path(kalundborg_document: dict[str, Any]) -> None:
    found = lines(broken(kalundborg_document))
    for expected in EXPECTED:
        assert any(line.startswith(expected) for line in found), (expected, found)
    first = next(p for p in problems(broken(kalundborg_document)) if p.column == "nace")
    assert first.to_dict() == {
        "location": "actors[3].nace",
        "message": "'99.999' is not a NACE code (C, 20 or 20.14)",
        "severity": "error",
    }


def in_document(problem: Problem, file: str) -> Problem:
    """A problem of the JSON file ``file``, located as in the same park given as a dict."""
    part = problem.file.removeprefix(file).removeprefix("#")
    row = None if problem.row is None else problem.row - 1
    return replace(problem, file=part, row=row, document=True)


def test_a_file_and_a_dict_have_the_same_problems(
    kalundborg_document: dict[str, Any], tmp_path: Path
) -> None:
    bad = broken(kalundborg_document)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    in_file = problems(path)
    assert "bad.json#actors:4:nace: '99.999' is not a NACE code" in "\n".join(map(str, in_file))
    assert [in_document(p, "bad.json") for p in in_file] == problems(bad)
    assert len(in_file) >= len(EXPECTED)


def test_numbers_json_cannot_hold_are_refused_where_they_stand(
    kalundborg_document: dict[str, Any], tmp_path: Path
) -> None:
    bad = json.loads(json.dumps(kalundborg_document))
    bad["sites"][1]["lat"] = math.inf
    bad["sites"][2]["lon"] = math.nan
    assert lines(bad)[:2] == [
        "sites[1].lat: 'Infinity' is not a number",
        "sites[2].lon: 'NaN' is not a number",
    ]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")  # Infinity and NaN, as JSON has them
    assert lines(path)[:2] == [
        "bad.json#sites:2:lat: 'Infinity' is not a number",
        "bad.json#sites:3:lon: 'NaN' is not a number",
    ]


def test_a_problem_is_located_as_its_input_allows() -> None:
    in_file = Problem("actors.csv", 5, "nace", "not a NACE code")
    assert str(in_file) == "actors.csv:5:nace: not a NACE code"
    assert in_file.to_dict() == {
        "file": "actors.csv",
        "row": 5,
        "column": "nace",
        "location": "actors.csv:5:nace",
        "message": "not a NACE code",
        "severity": "error",
    }
    assert str(Problem("p.json#actors", None, "nace", "m")) == "p.json#actors:nace: m"
    assert str(Problem("actors", 0, "nace", "m", document=True)) == "actors[0].nace: m"
    assert str(Problem("actors", 2, None, "m", "warning", True)) == "actors[2]: warning: m"
    assert str(Problem("park", None, "prices.steam", "m", document=True)) == "park.prices.steam: m"
    assert str(Problem("", None, "plants", "m", document=True)) == "plants: m"
    assert str(Problem("", None, None, "m", document=True)) == "m"


def nested(depth: int) -> dict[str, Any]:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return {"park": {"name": "Deep", "prices": value}}


def shared(depth: int) -> dict[str, Any]:
    """A document whose lists hold one list twice: 2**depth values when written out."""
    value: Any = [1]
    for _ in range(depth):
        value = [value, value]
    return {"park": {"name": "Shared", "prices": value}}


def circular() -> dict[str, Any]:
    document: dict[str, Any] = {"park": {"name": "Loop"}}
    document["park"]["transport"] = document
    return document


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (42, "cannot load a park from int: give a path, a dict or JSON bytes"),
        (None, "cannot load a park from NoneType: give a path, a dict or JSON bytes"),
        (["park"], "cannot load a park from list: give a path, a dict or JSON bytes"),
        (' {"park": {}}', "a str is a park's path: read JSON text with park_from_document()"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"park": ', "not valid JSON: Expecting value: line 1 column 10 (char 9)"),
        (b'{"park": "\xe6"}', "not UTF-8 text: 'utf-8' codec can't decode byte 0xe6"),
        ({"park": {"name": {1, 2}}}, "not a JSON document: Object of type set is not JSON"),
        (circular(), "nested more than 32 levels deep"),
        (shared(64), "nested more than 32 levels deep"),
        (nested(40), "nested more than 32 levels deep"),
        (nested(10_000), "nested more than 32 levels deep"),
        ({"actors": []}, "park: required table is missing"),
    ],
)
def test_what_is_no_park_document_is_refused_clearly(source: Any, message: str) -> None:
    found = lines(source)
    assert found[0].startswith(message), found


def test_json_text_is_read_by_park_from_document(kalundborg_document: dict[str, Any]) -> None:
    with pytest.raises(SymbionetError) as raised:
        park_from_document('{"park": {"name": "Small"}, "actors": [{"id": "a"}], "sites": []}')
    assert [str(p) for p in raised.value.problems] == [
        "actors[0].name: value required",
        "streams: required table is missing",
    ]
    with pytest.raises(SymbionetError, match="must be a JSON object"):
        park_from_document("[]")
    with pytest.raises(SymbionetError, match=r"JSON text \(str or bytes\), not bytearray"):
        park_from_document(bytearray(b"{}"))
    assert isinstance(park_from_document(json.dumps(kalundborg_document)), Park)


def test_a_typed_number_is_never_taken_for_danish_thousands(tmp_path: Path) -> None:
    """12.125 given as a JSON number is a number; given as text it may be Danish 12125."""
    document = load_park(EXAMPLES / "kalundborg").to_document()

    def danish(price: object) -> list[str]:
        document["streams"][0]["price"] = price
        as_dict = park_from_document(document).warnings
        file = tmp_path / "park.json"
        file.write_text(json.dumps(document), encoding="utf-8")
        as_file = load_park(file).warnings
        return [str(p) for p in [*as_dict, *as_file] if "Danish" in p.message]

    assert danish(12.125) == []
    assert danish("12.125") == [
        "streams[0].price: warning: '12.125' is read as 12.125; if it is 12125 in Danish "
        "form, write 12125",
        "park.json#streams:1:price: warning: '12.125' is read as 12.125; if it is 12125 in "
        "Danish form, write 12125",
    ]


def test_a_number_in_a_worksheet_is_never_taken_for_danish_thousands(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    park = load_park(EXAMPLES / "kalundborg")

    def danish(price: object) -> list[str]:
        workbook = park.save(tmp_path / "park.xlsx", force=True)
        book = load_workbook(workbook)
        sheet = book["streams"]
        column = sheet.max_column + 1  # a price column of its own
        sheet.cell(row=1, column=column, value="price")
        sheet.cell(row=2, column=column, value=price)
        book.save(workbook)
        return [str(p) for p in load_park(workbook).warnings if "Danish" in p.message]

    assert danish(12.125) == []
    assert danish("12.125") == [
        "park.xlsx[streams]:2:price: warning: '12.125' is read as 12.125; if it is 12125 in "
        "Danish form, write 12125"
    ]
