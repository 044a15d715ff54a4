"""Tables a person reads: numbers, headers with units, money in the park's currency, export."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from rich.console import Console

import symbionet
from symbionet import SymbionetError, load_park
from symbionet.present.summary import exchange_table, resource_totals, stream_table
from symbionet.present.tables import (
    Money,
    export_tables,
    heading,
    html_table,
    number,
    rich_table,
    sheet_names,
    shown,
)
from tests.conftest import EXAMPLES

SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")


def text_of(table: object, width: int = 160) -> str:
    console = Console(record=True, width=width)
    console.print(table)
    return console.export_text()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (36_096_700.0, "36,096,700"),
        (-1_234_567.5, "-1,234,568"),  # from 10,000 up: no decimals
        (1_234.5, "1,234.5"),  # from 100: one decimal
        (24.13, "24.13"),  # from 1: two decimals
        (19.0, "19"),  # trailing zeros dropped
        (0.01234, "0.0123"),  # below 1: three significant digits
        (0.7565, "0.756"),  # 0.7565 is stored as 0.75649999...
        (-2.5e-7, "0"),  # under half a millionth: 0, never -0
        (9.095e-13, "0"),
        (1e20, "100,000,000,000,000,000,000"),
        (0.0, "0"),
        (math.nan, ""),
        (math.inf, "∞"),
    ],
)
def test_numbers_read_without_scientific_notation(value: float, expected: str) -> None:
    assert number(value) == expected


def test_cells_of_each_kind() -> None:
    frame = pd.DataFrame(
        {
            "n": pd.array([1_234_567, None], dtype="Int64"),
            "ok": [True, False],
            "name": ["\x1b[31mred", None],
        }
    )
    assert shown(frame).rows == [["1,234,567", "yes", "\\x1b[31mred"], ["", "no", ""]]
    assert shown(frame).numeric == [True, False, False]
    places = pd.DataFrame(
        {"start_year": pd.array([1961, None], dtype="Int64"), "lat": [55.66123, math.nan]}
    )
    assert shown(places).rows == [["1961", "55.6612"], ["", ""]]
    flags = pd.DataFrame({"confidential": pd.array([True, False], dtype="boolean")})
    assert shown(flags).rows == [["yes"], ["no"]]


@pytest.mark.parametrize(
    ("name", "period", "expected"),
    [
        ("co2e_t", "yr", "CO2e (t/yr)"),
        ("co2e_t", None, "CO2e (t)"),
        ("groundwater_m3", "yr", "groundwater (m³/yr)"),
        ("net_saving_dkk", "yr", "net saving (DKK/yr)"),
        ("net_saving_eur", "yr", "net saving (EUR/yr)"),
        ("value_eur", "unit", "value (EUR/unit)"),
        ("energy_mwh", "yr", "energy (MWh/yr)"),
        ("capex_dkk", "yr", "capex (DKK)"),
        ("distance_km", "yr", "distance (km)"),
        ("km", "yr", "distance (km)"),
        ("share_pct", "yr", "share (%)"),
        ("start_year", "yr", "start year"),
        ("supplier", "yr", "supplier"),
    ],
)
def test_headings_carry_units(name: str, period: str | None, expected: str) -> None:
    assert heading(name, period) == expected


def test_rows_are_named_and_quantity_rows_labelled() -> None:
    totals = pd.DataFrame({"central": [1.5e7, 2.0]}, index=["net_saving_eur", "co2e_t"])
    text = shown(totals, period="yr", row_units=True)
    assert text.headers == ["row", "central"]
    assert text.rows == [["net saving (EUR/yr)", "15,000,000"], ["CO2e (t/yr)", "2"]]
    assert shown(totals, index_name="total").headers[0] == "total"
    counted = pd.DataFrame({"a": [1.0]})  # the row count pandas gives is no name
    assert shown(counted).headers == ["a"]


def test_money_in_the_park_currency_by_hand(tiny: Path) -> None:
    money = Money.of(load_park(tiny))  # currency: DKK
    assert (money.currency, money.per_eur) == ("DKK", 7.46038)
    assert money.note() == (
        "Amounts in DKK at 7.46038 DKK/EUR (ERM II central rate, Danmarks Nationalbank)"
    )
    assert money.to_dict() == {
        "code": "DKK",
        "per_eur": 7.46038,
        "source": "ERM II central rate, Danmarks Nationalbank",
    }
    frame = pd.DataFrame({"net_saving_eur": [1_000], "co2e_t": [5.0]}, index=["x"])
    converted = money.frame(frame)
    assert list(converted.columns) == ["net_saving_dkk", "co2e_t"]
    assert converted.loc["x", "net_saving_dkk"] == pytest.approx(7_460.38)  # 1,000 x 7.46038
    assert converted.loc["x", "co2e_t"] == 5.0
    assert list(frame.columns) == ["net_saving_eur", "co2e_t"]  # the input is left as it was
    totals = pd.DataFrame({"central": [1_000.0, 5.0]}, index=["net_saving_eur", "co2e_t"])
    by_row = money.frame(totals, rows=True)
    assert by_row["central"].to_dict() == pytest.approx({"net_saving_dkk": 7_460.38, "co2e_t": 5})
    assert money.amount(1_000, "yr") == "7,460.4 DKK/yr"


def test_eur_parks_have_no_note() -> None:
    money = Money.of(load_park(EXAMPLES / "kalundborg-2010"))
    assert money == Money("EUR", 1.0, None)
    assert money.note() is None
    frame = pd.DataFrame({"net_saving_eur": [1_000.0]})
    assert money.frame(frame) is frame
    assert money.amount(29_347_241.4, "yr") == "29,347,241 EUR/yr"


def kalundborg_tables() -> dict[str, pd.DataFrame]:
    park = load_park(EXAMPLES / "kalundborg")
    tables = {
        "streams": stream_table(park),
        "exchanges": exchange_table(park),
        "totals": resource_totals(park),
    }
    for result in (symbionet.impact(park), symbionet.discover(park), symbionet.design(park)):
        tables.update(result.tables())
    return tables


def test_no_table_of_kalundborg_shows_scientific_notation_or_cuts_a_cell() -> None:
    tables = kalundborg_tables()
    assert SCIENTIFIC.search(tables["candidates"].to_string())  # pandas itself would
    for name, frame in tables.items():
        text = text_of(rich_table(frame, name, period="yr"))
        assert not SCIENTIFIC.search(text), name
        assert "…" not in text, name
    park_totals = text_of(rich_table(tables["park"], "totals", period="yr", row_units=True))
    assert "CO2e (t/yr)" in park_totals
    assert "net saving (EUR/yr)" in park_totals


def test_numbers_stay_whole_where_text_can_fold() -> None:
    park = load_park(EXAMPLES / "kalundborg-2010")
    columns = ["supplier", "receiver", "resource", "replaces", "quantity", "unit", "mode"]
    columns += ["distance_km", "co2e_t", "freshwater_m3", "value_eur", "score", "existing"]
    candidates = Money("DKK", 7.46038).frame(symbionet.discover(park).to_frame()[columns])
    text = text_of(rich_table(candidates, "Candidates", period="yr"))
    words = set(re.findall(r"[^\s│┃]+", text))
    for name in ["quantity", "co2e_t", "value_dkk", "score"]:
        assert {number(v) for v in candidates[name]} <= words, name
    assert "(DKK/yr)" in words


def test_a_narrow_terminal_folds_cells_and_keeps_every_digit() -> None:
    frame = pd.DataFrame({"long_name": ["industrial_wastewater_from_novo"], "v_eur": [36096700.0]})
    text = text_of(rich_table(frame, period="yr"), width=24)
    assert "…" not in text
    assert "".join(re.findall(r"[\d,]", text)) == "36,096,700"
    assert "industrialwastewaterfromnovo" in re.sub(r"[^a-z]", "", text)


def test_html_table_uses_the_same_headings_and_numbers() -> None:
    frame = pd.DataFrame({"net_saving_dkk": [36_096_700.0], "name": ["<b>"]}, index=["x"])
    page = html_table(frame.rename_axis("id"), period="yr")
    assert "<th>net saving (DKK/yr)</th>" in page
    assert "<td>36,096,700</td>" in page
    assert '<td class="text">&lt;b&gt;</td>' in page


def test_sheet_names_are_short_unique_and_allowed() -> None:
    names = sheet_names(["exchanges", "Exchanges", "a/b:c" + "x" * 40, "a/b:c" + "x" * 40, ""])
    assert names == [
        "exchanges",
        "Exchanges (2)",
        "a_b_c" + "x" * 26,
        "a_b_c" + "x" * 22 + " (2)",
        "table",
    ]


def test_xlsx_export_round_trip_one_sheet_per_table(tmp_path: Path) -> None:
    partners = pd.DataFrame(
        {"name": ['=HYPERLINK("http://x")', "Novo"], "saving_dkk": [7_460.38, -1.5]},
        index=pd.Index(["orsted", "novo"], name="actor"),
    )
    totals = pd.DataFrame({"central": [1.0, 2.0]}, index=["co2e_t", "net_saving_dkk"])
    target = tmp_path / "out.xlsx"
    assert export_tables({"partners": partners, "totals": totals}, target) == target
    book = load_workbook(target)
    assert book.sheetnames == ["partners", "totals"]
    cell = book["partners"]["B2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x")', "s")  # text, no formula
    read = pd.read_excel(target, sheet_name=None)
    assert list(read) == ["partners", "totals"]
    pd.testing.assert_frame_equal(read["partners"], partners.reset_index())
    assert read["totals"].columns.tolist() == ["index", "central"]
    assert read["totals"]["central"].tolist() == [1.0, 2.0]


def test_csv_export_writes_the_first_table_with_formulas_neutralised(tmp_path: Path) -> None:
    first = pd.DataFrame({"name": ["=1+1", "plain"], "co2e_t": [1.5, -2.0]})
    target = tmp_path / "out.csv"
    export_tables({"first": first, "second": pd.DataFrame({"x": [1]})}, target)
    assert target.read_text(encoding="utf-8") == "name,co2e_t\n'=1+1,1.5\nplain,-2.0\n"


def test_an_existing_file_is_replaced_only_with_force(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    target.write_text("old", encoding="utf-8")
    tables = {"t": pd.DataFrame({"a": [1]})}
    with pytest.raises(SymbionetError) as refused:
        export_tables(tables, target)
    assert str(refused.value.problems[0]) == f"{target}: exists: overwrite it with --force"
    assert target.read_text(encoding="utf-8") == "old"
    export_tables(tables, target, force=True)
    assert load_workbook(target).sheetnames == ["t"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]  # nothing left beside it


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("out.txt", "write a .csv or .xlsx file"),
        ("folder.csv", "is a folder, not a file"),
        ("link.csv", "is a symbolic link: name the file itself"),
    ],
)
def test_export_targets_refused_with_their_path(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "link.csv").symlink_to(tmp_path / "elsewhere.csv")
    with pytest.raises(SymbionetError) as refused:
        export_tables({"t": pd.DataFrame({"a": [1]})}, tmp_path / name, force=True)
    assert str(refused.value.problems[0]) == f"{tmp_path / name}: {message}"
    assert not (tmp_path / "elsewhere.csv").exists()


def test_text_excel_cannot_hold_is_refused_with_sheet_row_and_column(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    with pytest.raises(SymbionetError) as refused:
        export_tables({"t": pd.DataFrame({"name": ["bell\x07"]})}, target)
    problem = refused.value.problems[0]
    assert (problem.file, problem.row, problem.column) == (f"{target}[t]", 2, "name")
    assert not target.exists()


def test_a_currency_without_a_rate_is_refused(tiny: Path) -> None:
    park = load_park(tiny)
    park.meta["currency"] = "SEK"
    with pytest.raises(SymbionetError) as refused:
        Money.of(park)
    assert str(refused.value.problems[0]) == "park.yaml:currency: 'SEK' has no rate: use EUR, DKK"
