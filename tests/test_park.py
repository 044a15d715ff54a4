"""Loading, validating and converting parks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from symbionet import SymbionetError, load_park
from symbionet.register.io import read_park
from symbionet.register.park import build_park
from tests.conftest import write_park


def problems_of(path: Path) -> list[str]:
    with pytest.raises(SymbionetError) as caught:
        load_park(path)
    return [str(p) for p in caught.value.problems]


def test_tiny_park_loads_typed_tables_with_canonical_amounts(tiny: Path) -> None:
    park = load_park(tiny)
    assert park.name == "Tiny park"
    assert park.meta["currency"] == "DKK"
    streams = park.streams
    assert list(streams.index) == ["gyp", "nat", "water"]
    assert streams.loc["gyp", "resource"] == "fgd_gypsum"
    assert streams.loc["gyp", "annual_quantity"] == pytest.approx(200 * 365)
    assert streams.loc["nat", "annual_quantity"] == pytest.approx(60_000)
    assert streams.loc["water", "annual_quantity"] == pytest.approx(87_600)
    assert streams.loc["water", "annual_unit"] == "m3"
    assert streams.loc["gyp", "resource_class"] == "material"
    assert streams["quantity"].dtype == float
    assert streams.loc["water", "confidence"] == "medium"  # the declared default
    assert park.exchanges.loc["g1", "annual_quantity"] == pytest.approx(50_000)
    assert park.technologies.empty and "efficiency" in park.technologies.columns


def test_resources_resolve_from_synonyms_and_ewc_codes(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit\n"
        "a,p1,supply,10 01 05,1,t\n"
        "b,p1,supply,100105,1,t\n"
        "c,b1,demand,Natural Gypsum,1,t\n"
    )
    park = load_park(
        write_park(
            tmp_path / "p",
            {"streams.csv": streams, "exchanges.csv": "id,supply,demand,quantity,unit\n"},
        )
    )
    assert list(park.streams["resource"]) == ["fgd_gypsum", "fgd_gypsum", "natural_gypsum"]


def test_confidential_streams_are_hidden_from_other_actors(tiny: Path) -> None:
    park = load_park(tiny)
    assert "nat" in park.visible_to("board").streams.index
    as_power = park.visible_to("power")
    assert "nat" not in as_power.streams.index
    assert as_power.exchanges.empty  # the exchange into the hidden stream goes too
    assert list(park.visible_to(None).streams.index) == ["gyp", "water"]  # the public
    assert "nat" in park.streams.index  # the park itself is unchanged


def test_profiles_only_hidden_streams_use_are_hidden_with_them(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit,confidential,profile\n"
        "gyp,p1,supply,fgd_gypsum,200,t/day,false,flat\n"
        "nat,b1,demand,natural_gypsum,60,kt/yr,true,board_secret\n"
        "water,b1,demand,groundwater,10,m3/h,true,flat\n"
    )
    months = "".join(f"{m},{1 / 12},{0.2 if m < 6 else 0.4 / 7}\n" for m in range(1, 13))
    park = load_park(
        write_park(
            tmp_path / "p",
            {"streams.csv": streams, "profiles.csv": "period,flat,board_secret\n" + months},
        )
    )
    assert set(park.visible_to("board").profiles.columns) == {"flat", "board_secret"}
    # power sees neither board stream; "flat" stays, as its own stream uses it
    assert list(park.visible_to("power").profiles.columns) == ["flat"]


@pytest.mark.parametrize("suffix", ["park.xlsx", "park.json", "copy"])
def test_conversion_is_lossless_both_ways(tiny: Path, tmp_path: Path, suffix: str) -> None:
    park = load_park(tiny)
    converted = load_park(park.save(tmp_path / suffix))
    back = load_park(converted.save(tmp_path / "back"))
    for other in (converted, back):
        assert other.meta == park.meta
        assert set(other.frames) == set(park.frames)
        for name, frame in park.frames.items():
            pd.testing.assert_frame_equal(other.frames[name], frame)


def test_every_problem_is_reported_at_once_with_file_row_and_column(tmp_path: Path) -> None:
    streams = (
        "id,site,direction,resource,quantity,unit,fate\n"
        "gyp,p1,supply,fgd_gypsum,-5,t/day,landfill\n"  # line 2: negative
        "nat,b1,demand,natral gypsum,60,kt/yr,\n"  # line 3: misspelt resource
        "water,b1,demand,groundwater,10,wombats,\n"  # line 4: unknown unit
        "heat,nowhere,demand,groundwater,10,t/h,landfill\n"  # line 5: site, fate on demand
    )
    sites = (
        "id,actor,name,lat,lon\np1,power,P,55.66,11.08\nb1,board,B,123,11.07\nb1,board,B2,55,11\n"
    )
    found = problems_of(
        write_park(
            tmp_path / "bad",
            {
                "streams.csv": streams,
                "sites.csv": sites,
                "exchanges.csv": "id,supply,demand,quantity,unit\n",
            },
        )
    )
    expected = [
        "sites.csv:3:lat: 123 is above 90",
        "sites.csv:4:id: duplicate id 'b1' (first on row 3)",
        "streams.csv:2:quantity: -5 is below 0",
        "streams.csv:3:resource: unknown resource 'natral gypsum' (did you mean natural_gypsum",
        "streams.csv:4:unit: unknown unit 'wombats'",
        "streams.csv:5:site: unknown site 'nowhere'",
        "streams.csv:5:fate: only a supply stream has a fate",
    ]
    for message in expected:
        assert any(p.startswith(message) for p in found), (message, found)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"park.yaml": "name: [unclosed"}, "park.yaml:1: not valid YAML"),
        ({"park.yaml": "country: DK\n"}, "park.yaml:name: required key is missing"),
        (
            {"actors.csv": "id,name,kind\nx,X,spaceship\n"},
            "actors.csv:2:kind: 'spaceship' is not one of",
        ),
        ({"actors.csv": "id,name,nace\nx,X,abc\n"}, "actors.csv:2:nace: 'abc' is not a NACE code"),
        ({"actors.csv": "id,name,colour\nx,X,red\n"}, "actors.csv:1:colour: unknown column"),
        (
            {"sites.csv": "id,actor,name,lat\np1,power,P,55\n"},
            "sites.csv:1:lon: required column is missing",
        ),
        (
            {"sites.csv": "id,actor,lat,lon\np1,power,north,11\n"},
            "sites.csv:2:lat: 'north' is not a number",
        ),
        (
            {"sites.csv": "id,actor,lat,lon\np1,power,55\n"},
            "sites.csv:2: row has 3 fields, the header has 4",
        ),
        (
            {
                "streams.csv": "id,site,direction,resource,quantity,unit\nw,p1,supply,groundwater,1,MWh\n"
            },
            "streams.csv:2:unit: 'MWh' is not an amount or a yearly flow of 'm3'",
        ),
        (
            {"exchanges.csv": "id,supply,demand,quantity,unit\nx,gyp,water,1,t\n"},
            "exchanges.csv:2:demand: fgd_gypsum cannot replace groundwater",
        ),
        (
            {"exchanges.csv": "id,supply,demand,quantity,unit\nx,nat,gyp,1,t\n"},
            "exchanges.csv:2:supply: stream 'nat' is not a supply",
        ),
        (
            {"exchanges.csv": "id,supply,demand,quantity,unit,status\nx,gyp,nat,90,kt,operating\n"},
            "streams.csv:2:quantity: operating and agreed exchanges take 90,000 t/yr of this supply",
        ),
    ],
)
def test_bad_input_names_file_row_and_column(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    found = problems_of(write_park(tmp_path / "bad", files))
    assert any(p.startswith(expected) for p in found), found


def test_missing_required_file_and_unknown_path(tmp_path: Path) -> None:
    folder = write_park(tmp_path / "p")
    (folder / "sites.csv").unlink()
    assert "sites.csv: required file is missing" in problems_of(folder)
    assert problems_of(tmp_path / "nothing.csv") == [
        f"{tmp_path / 'nothing.csv'}: no such park folder or file"
    ]


@pytest.mark.parametrize("name", ["out.json", "out.xlsx", "out"])
def test_nothing_is_written_when_saving_fails(tiny: Path, tmp_path: Path, name: str) -> None:
    park = load_park(tiny)
    target = load_park(tiny).save(tmp_path / name)
    before = {p.name: p.read_bytes() for p in [target, *target.glob("*")] if p.is_file()}
    park.meta["description"] = object()  # cannot be written in any format
    with pytest.raises(Exception):  # noqa: B017 - whatever the writer raises
        park.save(target, force=True)
    after = {p.name: p.read_bytes() for p in [target, *target.glob("*")] if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "tiny"])


def test_a_huge_year_is_refused_not_crashed(tmp_path: Path) -> None:
    found = problems_of(write_park(tmp_path / "p", {"park.yaml": "name: X\nyear: 9.2e+18\n"}))
    assert "park.yaml:year: '9.2e+18' is not a whole number" in found


@pytest.mark.parametrize("suffix", ["park.xlsx", "park.json"])
def test_problems_of_a_workbook_or_document_come_in_table_order(
    tiny: Path, tmp_path: Path, suffix: str
) -> None:
    source = load_park(tiny).save(tmp_path / suffix)
    raw = read_park(source)  # the same two faults written into the workbook or document
    raw.tables["streams"].frame.loc[0, "quantity"] = "lots"
    raw.tables["exchanges"].frame.loc[0, "mode"] = "teleport"
    with pytest.raises(SymbionetError) as error:
        build_park(raw)
    tables = [p.file.split("[")[-1].split("#")[-1].rstrip("]") for p in error.value.problems]
    assert tables == sorted(tables, key=["streams", "exchanges"].index)
    assert tables[0] == "streams" and tables[-1] == "exchanges"
