"""A park folder that includes another: the included rows are the same organisations and
streams, located in their own files when they are wrong."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

import symbionet
from symbionet.errors import SymbionetError
from symbionet.register.transfer import read_upload
from tests.conftest import write_park

ECOSYSTEM = {
    "park.yaml": "name: Ecosystem\ninclude: ../tiny\nyear: 2025\n",
    "actors.csv": "id,name,kind,country\nuni,A university,knowledge_institution,DK\n",
}


def write_ecosystem(root: Path, files: dict[str, str] | None = None) -> Path:
    write_park(root / "tiny")
    folder = root / "ecosystem"
    folder.mkdir()
    for name, text in {**ECOSYSTEM, **(files or {})}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def problems(path: Path) -> list[str]:
    with pytest.raises(SymbionetError) as raised:
        symbionet.load_park(path)
    return [str(p) for p in raised.value.problems]


def test_an_including_park_holds_the_included_rows_then_its_own(tmp_path: Path) -> None:
    park = symbionet.load_park(write_ecosystem(tmp_path))
    assert list(park.actors.index) == ["power", "board", "uni"]
    assert list(park.streams.index) == ["gyp", "nat", "water"]
    assert park.name == "Ecosystem"
    assert park.meta["year"] == 2025  # its own setting over the included one (2023)
    assert park.currency == "DKK"  # the included setting where it gives none


def test_a_problem_in_an_included_row_names_the_included_file(tmp_path: Path) -> None:
    actors = "id,name,kind\npower,Twice,company\nuni,A university,knowledge_institution\n"
    found = problems(write_ecosystem(tmp_path, {"actors.csv": actors}))
    assert found == ["actors.csv:2:id: duplicate id 'power' (first on row 2 of ../tiny/actors.csv)"]
    sites = (tmp_path / "tiny" / "sites.csv").read_text(encoding="utf-8")
    (tmp_path / "tiny" / "sites.csv").write_text(sites.replace("55.67", "555.67"), "utf-8")
    (tmp_path / "ecosystem" / "actors.csv").write_text(ECOSYSTEM["actors.csv"], "utf-8")
    found = problems(tmp_path / "ecosystem")
    assert len(found) == 1 and found[0].startswith("../tiny/sites.csv:3:lat:")


@pytest.mark.parametrize(
    ("include", "message"),
    [
        ("../nowhere", "park.yaml:include: no park folder ../nowhere"),
        (".", "park.yaml:include: . includes itself"),
        ("[1, 2]", "park.yaml:include: include names a park folder beside this one"),
    ],
)
def test_a_wrong_include_is_a_problem_of_park_yaml(
    tmp_path: Path, include: str, message: str
) -> None:
    folder = write_ecosystem(tmp_path, {"park.yaml": f"name: E\ninclude: {include}\n"})
    assert any(p.startswith(message) for p in problems(folder))


def test_parks_that_include_each_other_are_refused(tmp_path: Path) -> None:
    folder = write_ecosystem(tmp_path)
    tiny = (tmp_path / "tiny" / "park.yaml").read_text(encoding="utf-8")
    (tmp_path / "tiny" / "park.yaml").write_text(tiny + "include: ../ecosystem\n", "utf-8")
    assert any("includes itself" in p for p in problems(folder))


def test_an_uploaded_park_cannot_include_files_of_the_server(tmp_path: Path) -> None:
    folder = write_ecosystem(tmp_path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in folder.iterdir():
            archive.write(file, file.name)
    with pytest.raises(SymbionetError, match="include is for park folders on disk"):
        read_upload(buffer.getvalue(), "ecosystem.zip")


def test_tables_written_back_leave_the_included_rows_in_their_park(tmp_path: Path) -> None:
    from symbionet.register.rewrite import write_tables

    folder = write_ecosystem(tmp_path)
    park = symbionet.load_park(folder)
    actors = park.actors.copy()
    actors.loc["uni", "name"] = "The university"
    changed = replace(park, frames={**park.frames, "actors": actors}, _empty={})
    assert write_tables(changed, folder, ["actors"]) == [folder / "actors.csv"]
    text = (folder / "actors.csv").read_text(encoding="utf-8")
    assert "The university" in text and "power" not in text
    assert list(symbionet.load_park(folder).actors.index) == ["power", "board", "uni"]
    actors.loc["power", "name"] = "Renamed here"
    renamed = replace(park, frames={**park.frames, "actors": actors}, _empty={})
    with pytest.raises(SymbionetError, match="touches rows of the park this folder includes"):
        write_tables(renamed, folder, ["actors"])
    assert (folder / "actors.csv").read_text(encoding="utf-8") == text
