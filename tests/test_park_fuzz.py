"""Corrupted parks: each gives a valid park or a SymbionetError listing its problems, nothing else."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbionet import Park, SymbionetError, load_park
from tests.conftest import TINY, write_park

CELLS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(
        [
            "",
            "-1",
            "nan",
            "inf",
            "1e400",
            "0",
            "true",
            "maybe",
            "t/day",
            "m3/h",
            "GWh",
            "wombats",
            "fgd_gypsum",
            "10 01 05",
            "groundwater",
            "landfill",
            "market",
            "p1",
            "b1",
            "gyp",
            "nat",
            "supply",
            "demand",
            "operating",
            "  ",
            "1,5",
            "55.6",
            "999",
            "{",
            "[a",
            "\u00e6\u00f8",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
CSV_FILES = sorted(name for name in TINY if name.endswith(".csv"))


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@st.composite
def mutation(draw: st.DrawFn, files: dict[str, str]) -> dict[str, str | None]:
    name = draw(st.sampled_from([*CSV_FILES, "park.yaml"]))
    text = files.get(name)
    kind = draw(
        st.sampled_from(
            ["cell", "drop_column", "drop_row", "copy_row", "add_column", "garbage", "delete"]
        )
    )
    if kind == "delete":
        return {name: None}
    if kind == "garbage" or text is None:
        return {name: draw(st.text(max_size=40))}
    if name == "park.yaml":
        key = draw(
            st.sampled_from(
                ["name", "year", "currency", "co2_price", "country", "prices", "discount_rate"]
            )
        )
        return {name: text + f"{key}: {draw(CELLS)!s}\n"}
    rows = _rows(text)
    if not rows:
        return {}
    width = len(rows[0])
    row = draw(st.integers(0, len(rows) - 1))
    column = draw(st.integers(0, max(width - 1, 0)))
    if kind == "cell" and column < len(rows[row]):
        rows[row][column] = draw(CELLS)
    elif kind == "drop_column":
        rows = [r[:column] + r[column + 1 :] for r in rows]
    elif kind == "drop_row" and len(rows) > 1:
        del rows[row]
    elif kind == "copy_row":
        rows.insert(row, list(rows[row]))
    elif kind == "add_column":
        rows = [[*r, draw(CELLS)] for r in rows]
    return {name: _text(rows)}


@st.composite
def corrupted_park(draw: st.DrawFn) -> dict[str, str | None]:
    files: dict[str, str | None] = dict(TINY)
    for _ in range(draw(st.integers(1, 4))):
        current = {k: v for k, v in files.items() if v is not None}
        files.update(draw(mutation(current)))
    return files


@pytest.mark.parametrize("batch", range(5))  # 5 x 100 parks, spread over the test workers
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=corrupted_park())
def test_a_corrupted_park_loads_or_lists_its_problems(
    batch: int, files: dict[str, str | None]
) -> None:
    with tempfile.TemporaryDirectory(prefix=f"fuzz{batch}-") as scratch:
        folder = write_park(
            Path(scratch) / "park", {k: v for k, v in files.items() if v is not None}
        )
        for name, text in files.items():
            if text is None:
                (folder / name).unlink()
        try:
            park = load_park(folder)
        except SymbionetError as error:
            assert error.problems
            assert all(str(p).strip() and "Traceback" not in str(p) for p in error.problems)
        else:
            assert isinstance(park, Park)
            assert park.streams["annual_quantity"].notna().all()


NASTY = st.sampled_from(
    [
        "name: X\nx: " + "[" * 5000,
        "a: &a [x]\nb: [*a, *a]\n",
        "name: X\nyear: " + "9" * 5000 + "\n",
        "\x00\x01",
        "\ufeffname: X\n",
        '{"park": ' + "[" * 5000 + "]" * 5000 + "}",
        "name: !!python/object:os.system x\n",
        "? [a, b]\n: c\n",
        "name: X\nprices: {fgd_gypsum: {value: .nan, unit: EUR/t}}\n",
    ]
)
CONTENT = st.one_of(
    st.binary(max_size=60), st.text(max_size=60).map(str.encode), NASTY.map(str.encode)
)


def _loads_or_lists_problems(path: Path) -> None:
    try:
        load_park(path)
    except SymbionetError as error:
        assert error.problems
        assert all(str(p).strip() for p in error.problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from([*CSV_FILES, "park.yaml", "catalogue.yaml"]), content=CONTENT)
def test_any_bytes_in_a_park_file_load_or_list_their_problems(name: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="bytes-") as scratch:
        folder = write_park(Path(scratch) / "park")
        (folder / name).write_bytes(content)
        _loads_or_lists_problems(folder)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=CONTENT)
def test_any_bytes_as_a_json_or_xlsx_park_load_or_list_their_problems(content: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="bytes-") as scratch:
        for suffix in (".json", ".xlsx"):
            path = Path(scratch) / f"park{suffix}"
            path.write_bytes(content)
            _loads_or_lists_problems(path)


XML_BITS = st.sampled_from(
    [
        "",
        "<f>1/0</f>",
        '<dimension ref="A1:XFD1048576"/>',
        '<dimension ref="A1:B2"/>',
        '<row r="99999"><c r="ZZ99999" t="s"><v>999</v></c></row>',
        '<c r="A2" t="b"><v>7</v></c>',
        '<c r="A2" t="d"><v>never</v></c>',
        '<c r="B2" s="99"><v>1e999</v></c>',
        "<v>" + "9" * 5000 + "</v>",
        "</sheetData>",
        "<",
        "\x00",
    ]
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sheet=st.integers(1, 5),
    start=st.integers(0, 2000),
    length=st.integers(0, 50),
    bit=st.one_of(XML_BITS, st.text(max_size=20)),
)
def test_a_damaged_workbook_loads_or_lists_its_problems(
    sheet: int, start: int, length: int, bit: str
) -> None:
    import zipfile

    from tests.test_inputs import _workbook

    with tempfile.TemporaryDirectory(prefix="xlsx-") as scratch:
        path = _workbook(Path(scratch) / "park.xlsx", TINY)
        with zipfile.ZipFile(path) as source:
            parts = {name: source.read(name) for name in source.namelist()}
        name = f"xl/worksheets/sheet{sheet}.xml"
        xml = parts[name].decode()
        at = min(start, len(xml))
        parts[name] = (xml[:at] + bit + xml[at + length :]).encode()
        with zipfile.ZipFile(path, "w") as target:
            for part, data in parts.items():
                target.writestr(part, data)
        _loads_or_lists_problems(path)
