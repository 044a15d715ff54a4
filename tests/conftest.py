"""Shared fixtures: a small valid park written as files, and paths to the examples."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# The test databases are thrown away: their passwords are hashed with argon2id at its
# lowest cost (1 pass over 8 MiB), here and in the servers the tests start.
os.environ.setdefault("SYMBIONET_ARGON2", "1,8192")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

pytest_plugins = ["tests.databases", "tests.servers", "pytester"]

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


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """A headless Chromium driven by Playwright (the Debian package, installed by make test)."""
    from playwright.sync_api import sync_playwright

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail(
            "Chromium is needed for browser tests: `make test` installs it (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def open_offline(
    browser: Browser, path: Path, viewport: dict[str, int]
) -> tuple[Page, list[str], list[str]]:
    """A page showing the file at ``path``, with the script errors it meets and the
    addresses it asks for on the network (a self-contained file asks for none)."""
    page = browser.new_page(viewport=viewport)  # type: ignore[arg-type]
    errors: list[str] = []
    remote: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "request",
        lambda request: remote.append(request.url) if request.url.startswith("http") else None,
    )
    page.goto(path.as_uri())
    return page, errors, remote


CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
