"""A national dataset: many parks, read from a folder or a database, and one national view.

On disk a national dataset is a folder with a ``national.yaml`` (the keys of a
``park.yaml``, and optionally ``parks``, the park folders relative to it; by default every
subfolder) and one park folder per park. In a database it is every park saved there.

The national view is one :class:`~symbionet.register.park.Park` holding every park's
tables, so that discovery, design and the other steps run on it unchanged: each id is
prefixed with its park's key and a slash (``kalundborg/asnaes``), each row has a ``park``
column naming that key, and prices and costs are in the national currency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from symbionet.errors import Problem, SymbionetError
from symbionet.register.catalogue import default_catalogue, parse_catalogue
from symbionet.register.io import read_text
from symbionet.register.park import Park, load_park
from symbionet.register.schema import tables
from symbionet.register.validate import check_meta
from symbionet.units import convert

NATIONAL_FILE = "national.yaml"
SEPARATOR = "/"
LISTS = {("plots", "adjacent"), ("pipeline", "partners")}
"""Text columns that hold ids separated by ``;``."""
LEFT_OUT = ("scenarios",)
"""Tables the national view leaves out: a scenario names files of its own park."""


@dataclass
class National:
    """A national dataset: its settings, its parks by key, and the national view."""

    meta: dict[str, Any]
    parks: dict[str, Park]
    view: Park
    source: str = ""


def load_national(source: str | Path) -> National:
    """A national dataset from a folder with a ``national.yaml``, or from a database URL
    (``sqlite:///parks.db``, ``postgresql+psycopg://...``): every park saved there."""
    text = str(source)
    if "://" in text:
        meta, parks = _from_database(text), _database_parks(text)
    else:
        meta, parks = _from_folder(Path(source))
    return National(meta, parks, national_view(meta, parks, text), text)


def _problem(file: str, message: str, column: str | None = None) -> SymbionetError:
    return SymbionetError([Problem(file, None, column, message)])


def _from_folder(folder: Path) -> tuple[dict[str, Any], dict[str, Park]]:
    """national.yaml and the parks it names (every subfolder when it names none)."""
    file = folder / NATIONAL_FILE
    label = str(file)
    if not folder.is_dir():
        raise _problem(str(folder), "no such folder: a national dataset is a folder")
    if not file.is_file():
        raise _problem(label, f"missing: a national dataset needs a {NATIONAL_FILE}")
    text, problems = read_text(file, label)
    if text is None:
        raise SymbionetError(problems)
    try:
        meta = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise _problem(label, f"not valid YAML: {error}") from None
    if not isinstance(meta, dict):
        raise _problem(label, "must be a YAML mapping")
    listed = meta.get("parks")
    if listed is None:
        names = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name[0] not in "._")
    elif isinstance(listed, list) and all(isinstance(name, str) for name in listed):
        names = listed
    else:
        raise _problem(label, "must be a list of park folders", "parks")
    if not names:
        raise _problem(label, "names no park, and the folder holds none", "parks")
    parks, problems = {}, []
    for name in names:
        path = folder / name
        if path.name in parks:
            raise _problem(label, f"two parks in folders named {path.name!r}", "parks")
        try:
            parks[path.name] = load_park(path)
        except SymbionetError as error:
            problems += [
                Problem(_within(path, p.file), p.row, p.column, p.message)
                for p in error.problems
                if p.severity != "warning"
            ]
    if problems:
        raise SymbionetError(problems)
    labels = {key: f"{folder / name}/park.yaml" for key, name in zip(parks, names, strict=True)}
    _unique_names(parks, labels)
    return _settings({k: v for k, v in meta.items() if k != "parks"}, label), parks


def _within(folder: Path, file: str) -> str:
    """A park's file named from the national dataset's folder."""
    return file if file == str(folder) else str(folder / file)


def _database_parks(url: str) -> dict[str, Park]:
    """Every park saved in the database at ``url``, by its name as a key."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from symbionet.store.database import open_database
    from symbionet.store.repository import list_parks, load_stored_park

    try:
        address = make_url(url)
    except ArgumentError as error:
        raise _problem(url, f"not a database URL: {error}") from None
    label = address.render_as_string(hide_password=True)
    if address.get_backend_name() == "sqlite" and not Path(address.database or "").is_file():
        raise _problem(label, "no such database file")
    try:
        engine = open_database(url)
    except (ArgumentError, ImportError) as error:  # no driver for it
        raise _problem(label, f"cannot open the database: {error}") from None
    try:
        saved = list_parks(engine)
        stored = [load_stored_park(engine, row["id"]) for row in saved]
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise _problem(label, f"cannot read the parks: {reason}") from None
    finally:
        engine.dispose()
    if not stored:
        raise _problem(label, "holds no park")
    parks = {re.sub(r"[^a-z0-9]+", "-", park.name.lower()).strip("-"): park for park in stored}
    if len(parks) < len(stored):
        raise _problem(label, "two parks have names that read alike: rename one")
    return parks


def _from_database(url: str) -> dict[str, Any]:
    return {"name": f"Parks of {url.rsplit('/', 1)[-1]}", "currency": "EUR"}


def _unique_names(parks: dict[str, Park], labels: dict[str, str]) -> None:
    seen: dict[str, str] = {}
    problems = []
    for key, park in parks.items():
        if park.name in seen:
            message = f"{park.name!r} is also the name of {labels[seen[park.name]]}"
            problems.append(Problem(labels[key], None, "name", message))
        seen.setdefault(park.name, key)
    if problems:
        raise SymbionetError(problems)


def _settings(meta: dict[str, Any], label: str) -> dict[str, Any]:
    """national.yaml's keys, checked as park.yaml's are."""
    clean, problems = check_meta(meta, label, default_catalogue())
    errors = [p for p in problems if p.severity != "warning"]
    if errors:
        raise SymbionetError(errors)
    return clean


def _prefixed(values: pd.Series, key: str, listed: bool = False) -> pd.Series:
    """Ids with their park's key; in a ``;`` list, each id."""
    text = values.astype("string")
    if listed:
        text = text.str.replace(r"\s*;[\s;]*", ";", regex=True).str.strip("; ")
        text = text.str.replace(";", f";{key}{SEPARATOR}", regex=False).replace("", pd.NA)
    return (key + SEPARATOR + text).astype(values.dtype).where(values.notna())


def _park_frames(key: str, park: Park, currency: str) -> dict[str, pd.DataFrame]:
    """A park's tables with ids prefixed, a ``park`` column, prices and costs in ``currency``."""
    rate = convert(1.0, park.currency, currency)
    found = {}
    for name, frame in park.frames.items():
        if name in LEFT_OUT:
            continue
        table = tables()[name]
        frame = frame.add_prefix(f"{key}{SEPARATOR}") if name == "profiles" else frame.reset_index()
        for column in table.columns:
            if column.name not in frame:
                continue
            if column.type in ("id", "ref", "profile") or (name, column.name) in LISTS:
                frame[column.name] = _prefixed(
                    frame[column.name], key, (name, column.name) in LISTS
                )
            elif column.unit.startswith("currency") and rate != 1.0:
                frame[column.name] = frame[column.name] * rate
        if table.id_column:
            frame = frame.set_index(table.id_column).assign(park=key)
        found[name] = frame
    return found


def _profiles(parts: dict[str, pd.DataFrame], labels: dict[str, str]) -> pd.DataFrame:
    periods = {key: len(frame) for key, frame in parts.items()}
    if len(set(periods.values())) > 1:
        shown = ", ".join(f"{labels[k]}: {n}" for k, n in periods.items())
        raise _problem("profiles.csv", f"parks' profiles differ in periods ({shown})")
    return pd.concat(parts.values(), axis=1)


def _catalogue(parks: dict[str, Park]) -> dict[str, Any] | None:
    """The parks' catalogue extensions merged; one entry two parks give differently refused."""
    merged: dict[str, dict[str, Any]] = {}
    owner: dict[tuple[str, str], str] = {}
    for key, park in parks.items():
        for section, entries in (park.catalogue_extension or {}).items():
            if not isinstance(entries, dict):
                continue
            for name, entry in entries.items():
                first = merged.setdefault(section, {}).setdefault(name, entry)
                if first != entry:
                    raise _problem(
                        f"{key}/catalogue.yaml",
                        f"{section} entry {name!r} differs from {owner[section, name]}'s: give "
                        "both parks the same entry, or another name",
                        f"{section}.{name}",
                    )
                owner.setdefault((section, name), key)
    return merged or None


def _prices(parks: dict[str, Park]) -> dict[str, Any]:
    """The park prices every park gives alike; a resource priced differently refused."""
    given = {key: park.meta.get("prices") or {} for key, park in parks.items()}
    shared: dict[str, Any] = {}
    for resource in sorted({r for prices in given.values() for r in prices}):
        values = {key: prices.get(resource) for key, prices in given.items()}
        if len({repr(v) for v in values.values()}) > 1:
            shown = "; ".join(
                f"{k}: {v['value']} {v['unit']}" if v else f"{k}: none" for k, v in values.items()
            )
            raise _problem(
                "park.yaml",
                f"the parks price {resource!r} differently ({shown}): the national view has one "
                "catalogue, so give the price on the streams instead",
                f"prices.{resource}",
            )
        shared[resource] = next(iter(values.values()))
    return shared


def national_view(meta: dict[str, Any], parks: dict[str, Park], source: str = "") -> Park:
    """One park holding every park's tables (ids ``key/id``, a ``park`` column on each row),
    with ``meta`` as its settings, the parks' catalogue extensions and prices, and every
    price and cost in its currency. Each park was validated as it loaded; prefixing keeps
    its references whole, so the view is not validated again."""
    currency = str(meta.get("currency", "EUR"))
    parts = {key: _park_frames(key, park, currency) for key, park in parks.items()}
    labels = {key: park.name for key, park in parks.items()}
    frames: dict[str, pd.DataFrame] = {}
    for name in tables():
        found = {key: rows[name] for key, rows in parts.items() if name in rows}
        if name == "profiles" and found:
            frames[name] = _profiles(found, labels)
        elif found:
            frames[name] = pd.concat(found.values())
    extension = _catalogue(parks)
    catalogue = default_catalogue()
    if extension:
        catalogue = parse_catalogue(extension, "catalogue.yaml", catalogue)
    catalogue = catalogue.for_year(meta.get("year"))
    settings = dict(meta)
    if prices := _prices(parks):
        settings["prices"] = prices
        catalogue = catalogue.with_prices(prices, f"park.yaml of {meta['name']}", NATIONAL_FILE)
    return Park(settings, frames, catalogue, extension, source)


__all__ = ["LEFT_OUT", "NATIONAL_FILE", "SEPARATOR", "National", "load_national", "national_view"]
