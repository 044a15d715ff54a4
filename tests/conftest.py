"""Shared fixtures: a small valid park written as files, and paths to the examples."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

TINY = {
    "park.yaml": "name: Tiny park\ncountry: DK\nyear: 2023\ncurrency: DKK\n",
    "actors.csv": "id,name,kind,nace\npower,Power plant,utility,35.11\nboard,Board plant,company,23.62\n",
    "sites.csv": "id,actor,name,lat,lon\np1,power,Power site,55.66,11.08\nb1,board,Board site,55.67,11.07\n",
    "streams.csv": (
        "id,site,direction,resource,quantity,unit,fate,source,temperature_c,confidential\n"
        "gyp,p1,supply,fgd_gypsum,200,t/day,landfill,,,false\n"
        "nat,b1,demand,natural_gypsum,60,kt/yr,,market,,true\n"
        "water,b1,demand,groundwater,10,m3/h,,groundwater,,false\n"
    ),
    "exchanges.csv": (
        "id,supply,demand,quantity,unit,mode,status\ng1,gyp,nat,50000,t/yr,truck,operating\n"
    ),
}


def write_park(folder: Path, files: dict[str, str] | None = None) -> Path:
    """Write the tiny park (with some files replaced) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**TINY, **(files or {})}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_park(tmp_path / "tiny")


@pytest.fixture
def kalundborg(tmp_path: Path) -> Path:
    """A scratch copy of the Kalundborg example, safe to modify."""
    return Path(shutil.copytree(EXAMPLES / "kalundborg", tmp_path / "kalundborg"))
