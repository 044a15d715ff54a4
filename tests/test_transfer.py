"""Parks as bytes: uploads read whole or refused with every problem, one table merged into
a park (a partner only into its own rows), downloads read back as the same park, and the
Excel template with its drop-down lists."""

from __future__ import annotations

import io
import json
import stat
import tempfile
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from typer.testing import CliRunner

import symbionet.register.transfer as transfer
from symbionet import Park, SymbionetError, load_park
from symbionet.present.cli import app
from symbionet.register.io import read_xlsx
from symbionet.register.park import check_park
from symbionet.register.schema import tables
from symbionet.register.transfer import (
    DOWNLOADS,
    excel_template,
    merge_table_upload,
    park_download,
    quantity_units,
    read_upload,
)
from symbionet.units import parse_unit
from tests import fuzzing
from tests.conftest import EXAMPLES, TINY, write_park

runner = CliRunner()


def problems_of(error: pytest.ExceptionInfo[SymbionetError]) -> list[str]:
    return [str(p) for p in error.value.problems]


def zipped(files: dict[str, str | bytes], top: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(top + name, text)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def tiny_park() -> Park:
    with tempfile.TemporaryDirectory() as scratch:
        return load_park(write_park(Path(scratch) / "tiny"))


@pytest.fixture(scope="module")
def small_park() -> Park:
    """The fuzzing's small park: every table, a profile and its own catalogue."""
    with tempfile.TemporaryDirectory() as scratch:
        return load_park(fuzzing.render(fuzzing.base_case("small", "folder"), Path(scratch)))


@cache
def _tiny_document() -> str:
    with tempfile.TemporaryDirectory() as scratch:
        return json.dumps(load_park(write_park(Path(scratch) / "tiny")).to_document())


def tiny_document() -> dict[str, Any]:
    return dict(json.loads(_tiny_document()))


# --- downloads read back losslessly ---------------------------------------------------------


def parks() -> dict[str, Any]:
    return {
        "kalundborg": lambda: load_park(EXAMPLES / "kalundborg"),
        "kalundborg-2010": lambda: load_park(EXAMPLES / "kalundborg-2010"),
        "tiny": lambda: load_park(write_park(Path(tempfile.mkdtemp()) / "tiny")),
    }


@pytest.mark.parametrize("fmt", DOWNLOADS)
@pytest.mark.parametrize("name", sorted(parks()))
def test_every_download_reads_back_as_the_same_park(name: str, fmt: str) -> None:
    park = parks()[name]()
    content, filename, media = park_download(park, fmt)
    assert filename.endswith({"folder": ".zip"}.get(fmt, f".{fmt}"))
    assert media == transfer.MEDIA_TYPES[fmt]
    again = read_upload(content, filename)
    assert again.to_document() == park.to_document()
    assert again.source == filename


@pytest.mark.parametrize("fmt", DOWNLOADS)
def test_a_park_with_its_own_catalogue_and_profiles_reads_back(small_park: Park, fmt: str) -> None:
    assert small_park.catalogue_extension and not small_park.profiles.empty
    content, filename, _ = park_download(small_park, fmt)
    again = read_upload(content, filename)
    assert again.to_document() == small_park.to_document()
    assert "whey" in again.catalogue.resources


def test_a_workbook_download_keeps_all_17_digits_of_a_number() -> None:
    document = tiny_document()
    document["streams"][1]["quantity"] = 116101.03724791265  # 16 digits give ...0372479127
    assert float(f"{116101.03724791265:.16g}") != 116101.03724791265
    park = load_park(document)
    again = read_upload(*park_download(park, "xlsx")[:2])
    assert again.streams.loc["nat", "quantity"] == 116101.03724791265
    assert again.to_document() == park.to_document()


def test_the_folder_download_is_one_top_folder_of_the_park_files(tiny_park: Park) -> None:
    content, filename, _ = park_download(tiny_park, "zip")
    assert filename == "tiny-park.zip"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = sorted(archive.namelist())
    assert names == sorted(f"tiny-park/{name}" for name in TINY)


def test_a_json_download_is_what_convert_writes(tiny_park: Park, tmp_path: Path) -> None:
    content, _, _ = park_download(tiny_park, "json")
    tiny_park.save(tmp_path / "park.json")
    assert content == (tmp_path / "park.json").read_bytes()


def test_an_unknown_download_format_is_refused(tiny_park: Park) -> None:
    with pytest.raises(SymbionetError) as error:
        park_download(tiny_park, "csv")
    assert problems_of(error) == ["format: download a park as folder, xlsx, json, yaml, not 'csv'"]


TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20).filter(
    lambda t: t.strip() == t and t.strip()
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.lists(TEXT, min_size=2, max_size=2),
    notes=st.one_of(TEXT, st.sampled_from(["=1+2", "+45", "-3", "@SUM(A1)", "007", "1e5"])),
    quantity=st.floats(0, 1e12, allow_nan=False).filter(lambda x: x == 0 or x > 1e-300),
    fmt=st.sampled_from(DOWNLOADS),
)
def test_any_names_and_numbers_read_back(
    names: list[str], notes: str, quantity: float, fmt: str
) -> None:
    document = tiny_document()
    document["actors"][0]["name"], document["actors"][1]["name"] = names
    document["streams"][0]["notes"] = notes
    document["streams"][1]["quantity"] = quantity
    try:
        park = load_park(document)
    except SymbionetError:
        assume(False)
        raise
    content, filename, _ = park_download(park, fmt)
    assert read_upload(content, filename).to_document() == park.to_document()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(case=fuzzing.cases("folder"), fmt=st.sampled_from(DOWNLOADS))
def test_every_park_the_fuzzing_makes_that_loads_reads_back(case: fuzzing.Case, fmt: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = fuzzing.render(case, Path(scratch))
        try:
            park = load_park(path)
        except SymbionetError:
            return
    try:
        content, filename, _ = park_download(park, fmt)
    except SymbionetError as error:  # text a workbook cannot hold: refused, never changed
        assert fmt == "xlsx", error
        return
    assert read_upload(content, filename).to_document() == park.to_document()


# --- uploads: every problem where check puts it ----------------------------------------------


def test_a_zip_with_a_bad_row_names_its_file_row_and_column(tmp_path: Path) -> None:
    streams = TINY["streams.csv"].replace(
        "nat,b1,demand,natural_gypsum,60,", "nat,b1,demand,natural_gypsum,lots,"
    )
    files = {**TINY, "streams.csv": streams}
    with pytest.raises(SymbionetError) as error:
        read_upload(zipped(files), "tiny.zip")
    assert problems_of(error) == ["streams.csv:3:quantity: 'lots' is not a number"]
    # exactly as check finds it in the folder
    folder = write_park(tmp_path / "tiny", files)
    assert [str(p) for p in check_park(folder)] == problems_of(error)


@pytest.mark.parametrize("top", ["", "tiny/", "./"])
def test_a_zip_holds_the_park_at_its_root_or_in_one_folder(tiny_park: Park, top: str) -> None:
    files: dict[str, str | bytes] = {"__MACOSX/._streams.csv": b"\x00\x05", ".DS_Store": b"\x00"}
    files |= {top + name: text for name, text in TINY.items()}
    park = read_upload(zipped(files), "C:\\Users\\me\\tiny.zip")
    assert park.to_document() == tiny_park.to_document()
    assert park.source == "tiny.zip"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../evil.csv", "tiny.zip: ../evil.csv: a path out of the archive's folder: refused"),
        ("tiny/../../x", "tiny.zip: tiny/../../x: a path out of the archive's folder: refused"),
        ("/etc/passwd", "tiny.zip: /etc/passwd: an absolute path: refused"),
        ("C:/park.yaml", "tiny.zip: C:/park.yaml: an absolute path: refused"),
    ],
)
def test_a_zip_slip_path_is_refused(name: str, message: str) -> None:
    with pytest.raises(SymbionetError) as error:
        read_upload(zipped({**TINY, name: "x"}), "tiny.zip")
    assert problems_of(error) == [message]


def test_a_link_in_a_zip_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in TINY.items():
            if name != "streams.csv":
                archive.writestr(name, text)
        link = zipfile.ZipInfo("streams.csv")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(SymbionetError) as error:
        read_upload(buffer.getvalue(), "tiny.zip")
    assert problems_of(error) == ["tiny.zip: streams.csv: a symbolic link: refused"]


def test_a_zip_that_unpacks_too_large_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = zipped({**TINY, "notes.txt": "0" * 5000})  # compresses to a few bytes
    assert len(data) < 3000
    monkeypatch.setattr(transfer, "MAX_UNPACKED", 4000)
    with pytest.raises(SymbionetError) as error:
        read_upload(data, "tiny.zip")
    assert problems_of(error) == ["tiny.zip: unpacks to 0 MB: at most 0 MB are accepted"]


def test_the_size_limit_is_200_mb_for_all_files_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert transfer.MAX_UNPACKED == 200 * 1024**2
    total = sum(len(text.encode()) for text in TINY.values())
    assert all(len(text) < total // 2 for text in TINY.values())
    monkeypatch.setattr(transfer, "MAX_UNPACKED", total - 1)  # each file fits, not all
    with pytest.raises(SymbionetError) as error:
        read_upload(zipped(TINY), "tiny.zip")
    assert problems_of(error) == ["tiny.zip: unpacks to 0 MB: at most 0 MB are accepted"]
    monkeypatch.setattr(transfer, "MAX_UNPACKED", total)
    assert read_upload(zipped(TINY), "tiny.zip").name == "Tiny park"


def test_a_workbook_that_unpacks_too_large_is_refused(
    tiny_park: Park, monkeypatch: pytest.MonkeyPatch
) -> None:
    content, filename, _ = park_download(tiny_park, "xlsx")
    monkeypatch.setattr(transfer, "MAX_UNPACKED", len(content))  # it unpacks to more
    with pytest.raises(SymbionetError) as error:
        read_upload(content, filename)
    assert problems_of(error) == ["tiny-park.xlsx: unpacks to 0 MB: at most 0 MB are accepted"]


def test_a_damaged_zip_and_a_zip_that_is_not_one_are_refused_clearly() -> None:
    whole = zipped(TINY)
    for data in (whole[: len(whole) // 2], b"name,value\nnot,a zip\n", b""):
        with pytest.raises(SymbionetError) as error:
            read_upload(data, "park.zip")
        (problem,) = problems_of(error)
        assert problem.startswith("park.zip: not a zip archive, or a damaged one (")
        assert problem.endswith("): zip the park folder again")


def test_a_zip_whose_file_is_damaged_is_refused_clearly() -> None:
    data = bytearray(zipped({"park.yaml": TINY["park.yaml"] * 50}))
    data[60] ^= 0xFF  # inside the compressed data of the one file
    with pytest.raises(SymbionetError) as error:
        read_upload(bytes(data), "park.zip")
    (problem,) = problems_of(error)
    assert problem.startswith("park.zip: park.yaml: cannot unpack (")


def test_a_zip_of_several_folders_or_of_nothing_is_refused() -> None:
    with pytest.raises(SymbionetError) as error:
        read_upload(zipped({"a/park.yaml": "x", "b/park.yaml": "y"}), "two.zip")
    assert problems_of(error) == ["two.zip: holds several folders (a, b): zip one park folder"]
    with pytest.raises(SymbionetError) as error:
        read_upload(zipped({}), "none.zip")
    assert problems_of(error) == ["none.zip: holds no files: zip a park folder"]


def test_a_zip_missing_a_file_says_so_as_check_does() -> None:
    files = {k: v for k, v in TINY.items() if k != "sites.csv"}
    with pytest.raises(SymbionetError) as error:
        read_upload(zipped(files), "tiny.zip")
    assert "sites.csv: required file is missing" in problems_of(error)


def test_a_workbook_with_two_bad_rows_lists_both(tiny_park: Park) -> None:
    content, filename, _ = park_download(tiny_park, "xlsx")
    book = load_workbook(io.BytesIO(content))
    sheet = book["streams"]
    header = [cell.value for cell in sheet[1]]
    sheet.cell(2, header.index("quantity") + 1, -5)
    sheet.cell(4, header.index("unit") + 1, "wombats/yr")
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(SymbionetError) as error:
        read_upload(buffer.getvalue(), filename)
    found = problems_of(error)
    assert "tiny-park.xlsx[streams]:2:quantity: -5 is below 0" in found
    assert "tiny-park.xlsx[streams]:4:unit: unknown unit 'wombats/yr'" in found
    # and the exchange of row 2's stream, which now takes more than it supplies
    assert {p.location for p in error.value.problems} == {
        "tiny-park.xlsx[streams]:2:quantity",
        "tiny-park.xlsx[streams]:4:unit",
    }


def test_a_file_that_is_no_workbook_is_refused_clearly(tiny_park: Park) -> None:
    whole = park_download(tiny_park, "xlsx")[0]
    for data in (b"id,name\n", zipped({"a.txt": "x"}), whole[: len(whole) // 2]):
        with pytest.raises(SymbionetError) as error:
            read_upload(data, "park.xlsx")
        (problem,) = problems_of(error)
        assert problem.startswith("park.xlsx: cannot read workbook: ")


def test_json_and_yaml_documents_name_the_record(tiny_park: Park) -> None:
    document = tiny_park.to_document()
    document["streams"][2]["quantity"] = -1
    with pytest.raises(SymbionetError) as error:
        read_upload(json.dumps(document).encode(), "park.json")
    assert problems_of(error) == ["park.json#streams:3:quantity: -1 is below 0"]
    with pytest.raises(SymbionetError) as error:
        read_upload(yaml.safe_dump(document).encode(), "park.yml")
    assert problems_of(error) == ["park.yml#streams:3:quantity: -1 is below 0"]


def test_yaml_documents_are_read_safely(tiny_park: Park) -> None:
    text = yaml.safe_dump(tiny_park.to_document(), sort_keys=False)
    nan = text.replace("quantity: 200.0", "quantity: .nan", 1)
    assert nan != text
    with pytest.raises(SymbionetError) as error:
        read_upload(nan.encode(), "park.yaml")
    assert problems_of(error) == ["park.yaml#streams:1:quantity: 'nan' is not a number"]
    with pytest.raises(SymbionetError) as error:
        read_upload(b"a: &x [1]\nb: *x\n", "park.yaml")
    assert "aliases" in problems_of(error)[0]
    with pytest.raises(SymbionetError) as error:
        read_upload(b"\xff\xfe", "park.yaml")
    assert problems_of(error)[0].startswith("park.yaml:1: not UTF-8 text")


def test_a_folder_park_yaml_alone_is_not_taken_for_a_document() -> None:
    with pytest.raises(SymbionetError) as error:
        read_upload(TINY["park.yaml"].encode(), "park.yaml")
    assert problems_of(error) == [
        "park.yaml: the park.yaml of a park folder, not a park document: upload the folder "
        "as a zip, or a document whose park key holds these keys"
    ]


def test_an_odd_file_name_is_named_plainly(tiny_park: Park) -> None:
    content = park_download(tiny_park, "json")[0]
    assert read_upload(content, "../../a\x00b.json").source == "ab.json"
    assert read_upload(content, "ø" * 300 + ".json").source == "ø" * 50 + ".json"
    with pytest.raises(SymbionetError) as error:
        read_upload(b"{", "x" * 300 + ".json")
    assert problems_of(error)[0].startswith("x" * 50 + ".json:1: not valid JSON")


def test_an_upload_of_another_kind_is_refused() -> None:
    with pytest.raises(SymbionetError) as error:
        read_upload(b"id\n", "streams.csv")
    assert problems_of(error) == [
        "streams.csv: not a park: upload a .zip of a park folder, an .xlsx, a .json or a .yaml file"
    ]


# --- one table merged into a park -------------------------------------------------------


def test_rows_add_to_and_replace_rows_by_id(tiny_park: Park) -> None:
    before = tiny_park.to_document()
    upload = (
        "id;site;direction;resource;quantity;unit;fate\n"
        "gyp;p1;supply;fgd_gypsum;300;t/day;landfill\n"
        "ash;p1;supply;fly_ash;5000;t/yr;landfill\n"
    )
    park = merge_table_upload(tiny_park, upload.encode(), "streams.csv")
    assert tiny_park.to_document() == before  # the park given is unchanged
    assert list(park.streams.index) == ["gyp", "nat", "water", "ash"]
    assert park.streams.loc["gyp", "quantity"] == 300
    # 300 t/day x 365 days = 109,500 t/yr
    assert park.streams.loc["gyp", "annual_quantity"] == pytest.approx(109_500)
    assert park.streams.loc["ash", "annual_quantity"] == pytest.approx(5000)
    assert park.streams.loc["nat", "quantity"] == 60  # the other rows stay as they were
    unchanged = {k: v for k, v in park.to_document().items() if k != "streams"}
    assert unchanged == {k: v for k, v in before.items() if k != "streams"}


def test_a_bad_row_is_named_at_its_csv_line_and_nothing_is_merged(tiny_park: Park) -> None:
    upload = (
        "id,site,direction,resource,quantity,unit\n"
        "ash,p1,supply,fly_ash,5000,t/yr\n"
        "\n"
        "slag,p9,supply,fly_ash,-3,t/yr\n"
    )
    with pytest.raises(SymbionetError) as error:
        merge_table_upload(tiny_park, upload.encode(), "streams.csv")
    assert problems_of(error) == [
        "streams.csv:4:quantity: -3 is below 0",
        "streams.csv:4:site: unknown site 'p9' (did you mean p1?)",
    ]


def test_a_csv_for_an_unknown_table_is_refused(tiny_park: Park) -> None:
    for name in ("plants.csv", "park.yaml", "streams.txt", ""):
        with pytest.raises(SymbionetError) as error:
            merge_table_upload(tiny_park, b"id\nx\n", name)
        (problem,) = problems_of(error)
        assert "not a table of a park: name the CSV file as its table (actors.csv, " in problem


def test_an_unknown_or_missing_column_stops_before_the_rows(tiny_park: Park) -> None:
    with pytest.raises(SymbionetError) as error:
        merge_table_upload(tiny_park, b"id,actor,colour\ns9,power,red\n", "sites.csv")
    assert problems_of(error) == [
        "sites.csv:1:colour: unknown column (did you mean lon, actor, port?)",
        "sites.csv:1:lat: required column is missing",
        "sites.csv:1:lon: required column is missing",
    ]
    with pytest.raises(SymbionetError) as error:
        merge_table_upload(tiny_park, b"id,actor,lat,lon\n", "sites.csv")
    assert problems_of(error) == ["sites.csv: holds no rows: nothing to add or replace"]


BREAKING = b"id,site,direction,resource,quantity,unit\ngyp,p1,supply,fly_ash,200,t/day\n"


def test_a_change_that_breaks_another_row_is_located_there(tiny_park: Park) -> None:
    with pytest.raises(SymbionetError) as error:
        merge_table_upload(tiny_park, BREAKING, "streams.csv")
    # the exchange g1 now delivers fly ash for natural gypsum
    assert problems_of(error) == [
        "exchanges[0].demand: fly_ash cannot replace natural_gypsum "
        "(no substitution in the catalogue)"
    ]


def test_rows_of_a_table_the_park_lacks_are_added(tiny_park: Park) -> None:
    assert tiny_park.plots.empty
    upload = b"id,lat,lon,area_m2\nlot7,55.65,11.1,40000\n"
    park = merge_table_upload(tiny_park, upload, "plots.csv")
    assert park.plots.loc["lot7", "area_m2"] == 40000
    assert park.to_document()["plots"] == [
        {"id": "lot7", "lat": 55.65, "lon": 11.1, "area_m2": 40000.0, "port": False}
    ]


def test_profiles_merge_by_period(small_park: Park) -> None:
    park = merge_table_upload(small_park, b"period,winter\n01,20\n", "profiles.csv")
    assert park.profiles.loc[1, "winter"] == 20
    assert len(park.profiles) == 12


# --- a partner enters its own rows only ---------------------------------------------------


def test_a_partner_replaces_its_own_stream(tiny_park: Park) -> None:
    upload = b"id,site,direction,resource,quantity,unit,fate\ngyp,p1,supply,fgd_gypsum,250,t/day,landfill\n"
    park = merge_table_upload(tiny_park, upload, "streams.csv", actor="power")
    assert park.streams.loc["gyp", "quantity"] == 250


@pytest.mark.parametrize(
    ("name", "upload", "expected"),
    [
        (
            "streams.csv",
            "id,site,direction,resource,quantity,unit,source\nnat,p1,demand,natural_gypsum,1,t/yr,market\n",
            "streams.csv:2:id: 'nat' is not one of the rows of 'power'",
        ),
        (
            "streams.csv",
            "id,site,direction,resource,quantity,unit\nnew,b1,supply,fly_ash,1,t/yr\n",
            "streams.csv:2:site: 'b1' is not one of the sites of 'power'",
        ),
        (
            "sites.csv",
            "id,actor,lat,lon\nb1,power,55,11\n",
            "sites.csv:2:id: 'b1' is not one of the rows of 'power'",
        ),
        (
            "sites.csv",
            "id,actor,lat,lon\np2,board,55,11\n",
            "sites.csv:2:actor: must be 'power': a partner enters its own sites only",
        ),
        (
            "actors.csv",
            "id,name\nboard,Mine now\n",
            "actors.csv:2:id: 'board' is not one of the rows of 'power'",
        ),
        (
            "actors.csv",
            "id,name\nnewcomer,New\n",
            "actors.csv:2:id: 'newcomer' is not one of the rows of 'power'",
        ),
        (
            "technologies.csv",
            "id,site,input,output\nhp,b1,electricity,district_heat\n",
            "technologies.csv:2:site: 'b1' is not one of the sites of 'power'",
        ),
        (
            "exchanges.csv",
            "id,supply,demand,quantity,unit\ng1,gyp,nat,1,t/yr\n",
            "exchanges.csv: is kept by the park's facilitator: a partner uploads actors.csv, "
            "sites.csv, streams.csv, technologies.csv",
        ),
    ],
)
def test_a_partner_cannot_enter_other_rows(
    tiny_park: Park, name: str, upload: str, expected: str
) -> None:
    with pytest.raises(SymbionetError) as error:
        merge_table_upload(tiny_park, upload.encode(), name, actor="power")
    assert problems_of(error) == [expected]


def test_a_partner_learns_nothing_of_a_confidential_row(tiny_park: Park) -> None:
    assert tiny_park.streams.loc["nat", "confidential"]
    upload = b"id,site,direction,resource,quantity,unit\nnat,p1,supply,fly_ash,1,t/yr\n"
    with pytest.raises(SymbionetError) as error:
        merge_table_upload(tiny_park, upload, "streams.csv", actor="power")
    text = "\n".join(problems_of(error))
    for secret in ("b1", "board", "natural_gypsum", "60", "kt/yr", "market", "demand"):
        assert secret not in text


def test_a_partner_is_not_told_which_shared_row_its_change_breaks(tiny_park: Park) -> None:
    with pytest.raises(SymbionetError) as error:
        merge_table_upload(tiny_park, BREAKING, "streams.csv", actor="power")
    (problem,) = problems_of(error)
    assert problem == (
        "streams.csv: these rows would make rows of the park that other partners share "
        "invalid: the park's facilitator can tell which"
    )


def test_a_partner_is_not_told_of_an_exchange_it_cannot_see(tiny_park: Park) -> None:
    # g1 takes 50,000 t/yr of power's gypsum for board's confidential demand
    upload = b"id,site,direction,resource,quantity,unit\ngyp,p1,supply,fgd_gypsum,10,t/yr\n"
    with pytest.raises(SymbionetError) as error:
        merge_table_upload(tiny_park, upload, "streams.csv")
    assert problems_of(error) == [
        "streams.csv:2:quantity: operating and agreed exchanges take 50,000 t/yr of this "
        "supply, more than its 10"
    ]
    with pytest.raises(SymbionetError) as error:
        merge_table_upload(tiny_park, upload, "streams.csv", actor="power")
    assert problems_of(error) == [f"streams.csv: {transfer._BREAKS}"]


def test_a_partner_is_told_the_problems_of_its_own_rows(tiny_park: Park) -> None:
    upload = (
        b"id,site,direction,resource,quantity,unit\n"
        b"ash,p1,supply,fly_ash,-3,t/yr\nslag,p1,supply,fly_ash,1,wombats\n"
    )
    with pytest.raises(SymbionetError) as error:
        merge_table_upload(tiny_park, upload, "streams.csv", actor="power")
    assert problems_of(error) == [
        "streams.csv:2:quantity: -3 is below 0",
        "streams.csv:3:unit: unknown unit 'wombats'",
    ]


def test_an_unknown_partner_is_refused(tiny_park: Park) -> None:
    with pytest.raises(SymbionetError) as error:
        merge_table_upload(tiny_park, b"id,name\nx,X\n", "actors.csv", actor="nobody")
    assert problems_of(error) == ["actors.csv: unknown actor 'nobody'"]


# --- the Excel template ---------------------------------------------------------------------


def validations(content: bytes) -> dict[tuple[str, str], Any]:
    """The data validation of each (sheet, header) in a workbook."""
    book = load_workbook(io.BytesIO(content))
    found = {}
    for sheet in book.worksheets:
        header = {cell.column_letter: cell.value for cell in sheet[1]}
        for check in sheet.data_validations.dataValidation:
            for cell_range in check.sqref.ranges:
                letter = cell_range.coord.rstrip("0123456789:").split(":")[0].rstrip("0123456789")
                if sheet.title == "park":
                    key = sheet.cell(cell_range.min_row, 1).value
                else:
                    key = header[letter]
                    assert cell_range.min_row == 2 and cell_range.max_row == 1_048_576
                found[(sheet.title, key)] = check
    return found


@pytest.mark.parametrize("with_park", [False, True])
def test_the_template_reads_back_as_an_empty_park(
    tmp_path: Path, small_park: Park, with_park: bool
) -> None:
    path = tmp_path / "template.xlsx"
    path.write_bytes(excel_template(small_park if with_park else None))
    raw = read_xlsx(path)
    assert not raw.problems
    assert all(table.frame.empty for table in raw.tables.values())
    assert set(raw.tables) == set(tables()) - {"park"}
    with pytest.raises(SymbionetError) as error:
        read_upload(path.read_bytes(), "template.xlsx")
    assert problems_of(error) == ["template.xlsx[park]:name: required key is missing"]


def test_the_template_has_drop_down_lists_on_the_right_columns(small_park: Park) -> None:
    content = excel_template(small_park)
    found = validations(content)
    book = load_workbook(io.BytesIO(content))
    lists = book["lists"]
    assert lists.sheet_state == "hidden"
    stored = {
        column[0].value: [c.value for c in column[1:] if c.value is not None]
        for column in lists.iter_cols()
    }

    def listed(sheet: str, column: str) -> list[str]:
        formula = found[(sheet, column)].formula1
        if formula.startswith('"'):
            return formula.strip('"').split(",")
        name = lists.cell(1, lists[formula.split("!")[1].split(":")[0].replace("$", "")].column)
        return stored[name.value]

    assert "whey" in listed("streams", "resource")  # the park's own catalogue
    assert "fgd_gypsum" in listed("technologies", "input")
    assert found[("streams", "resource")].formula1.startswith("'lists'!")  # too long inline
    assert listed("streams", "direction") == ["supply", "demand"]
    assert listed("streams", "confidential") == ["true", "false"]
    assert listed("sites", "port") == ["true", "false"]
    assert "landfill" in listed("streams", "fate") and "market" not in listed("streams", "fate")
    assert "market" in listed("streams", "source")
    assert {"t/yr", "m3/h", "GWh/yr", "MW"} <= set(listed("streams", "unit"))
    assert listed("sites", "actor") == ["plant", "dairy", "town"]
    assert listed("streams", "site") == ["ps", "dy", "tw"]
    assert listed("exchanges", "supply") == ["heat", "ww", "lake", "steam"]
    assert listed("exchanges", "demand") == ["dh", "cw", "dsteam"]
    assert listed("streams", "profile") == ["winter"]
    assert "ppm_cod" in [c.value for c in book["streams"][1]]  # the park's contaminants
    assert listed("park", "currency") == ["EUR", "DKK"]
    assert found[("streams", "direction")].errorStyle == "stop"
    assert found[("streams", "resource")].errorStyle == "warning"  # synonyms and EWC codes too
    assert ("streams", "quantity") not in found and ("actors", "name") not in found


def test_without_a_park_the_template_lists_no_ids() -> None:
    found = validations(excel_template())
    assert ("sites", "actor") not in found
    assert ("streams", "resource") in found and ("exchanges", "mode") in found


def test_every_unit_offered_is_one_the_register_reads() -> None:
    units = quantity_units()
    assert len(units) == len(set(units)) == 13 * 3 + 2 + 13
    for unit in units:
        parse_unit(unit)


def test_a_filled_template_reads_back_as_its_rows(tmp_path: Path) -> None:
    book = load_workbook(io.BytesIO(excel_template()))

    def fill(sheet: str, values: dict[str, Any]) -> None:
        header = [cell.value for cell in book[sheet][1]]
        row = book[sheet].max_row + 1
        for column, value in values.items():
            book[sheet].cell(row, header.index(column) + 1, value)

    park_sheet = book["park"]
    name_row = next(r for r in range(2, 20) if park_sheet.cell(r, 1).value == "name")
    park_sheet.cell(name_row, 2, "Filled park")
    fill("actors", {"id": "mill", "name": "Paper mill"})
    fill("sites", {"id": "m1", "actor": "mill", "lat": 55.6, "lon": 11.1})
    stream = {"site": "m1", "direction": "supply", "resource": "fly_ash", "unit": "t/yr"}
    fill("streams", {**stream, "id": "ash", "quantity": 1200, "fate": "landfill"})
    fill("streams", {**stream, "id": "sludge", "quantity": 30, "unit": "t/day"})
    buffer = io.BytesIO()
    book.save(buffer)
    park = read_upload(buffer.getvalue(), "filled.xlsx")
    assert park.name == "Filled park"
    assert list(park.streams.index) == ["ash", "sludge"]
    assert park.streams.loc["ash", "fate"] == "landfill"
    # 30 t/day x 365 days = 10,950 t/yr
    assert park.streams["annual_quantity"].tolist() == pytest.approx([1200, 10_950])


def test_the_template_command_writes_the_workbook(tmp_path: Path) -> None:
    out = tmp_path / "template.xlsx"
    result = runner.invoke(app, ["template", str(out), "--park", str(EXAMPLES / "kalundborg")])
    assert result.exit_code == 0, result.output
    assert ("sites", "actor") in validations(out.read_bytes())
    again = runner.invoke(app, ["template", str(out)])
    assert again.exit_code != 0
    assert "exists: overwrite it with --force" in str(again.exception or again.output)
    written = runner.invoke(app, ["template", str(out), "--force", "--json"])
    assert written.exit_code == 0, written.output
    assert json.loads(written.output) == {"written": str(out)}
    assert ("sites", "actor") not in validations(out.read_bytes())


def test_the_template_has_a_sheet_per_table_then_the_lists() -> None:
    book = load_workbook(io.BytesIO(excel_template()))
    assert book.sheetnames == [*tables(), "lists"]
    assert book.sheetnames[:4] == ["park", "actors", "sites", "streams"]
