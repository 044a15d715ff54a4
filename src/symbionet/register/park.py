"""The park: validated, typed tables of actors, sites, streams, exchanges and more."""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from symbionet.errors import Problem, SymbionetError
from symbionet.register.catalogue import Catalogue, default_catalogue, parse_catalogue
from symbionet.register.io import RawPark, RawTable, park_format, read_document, read_park
from symbionet.register.schema import tables
from symbionet.register.stage_checks import check_pipeline, split
from symbionet.register.validate import (
    Checker,
    Tables,
    check_bookings,
    check_exchanges,
    check_ids,
    check_meta,
    check_profiles,
    check_references,
    check_streams,
    check_technologies,
    check_units,
    coerce,
    resolve_resources,
)
from symbionet.register.write import WRITERS, check_target, park_document, save_format

CLOSED = ("ended", "rejected")
"""Statuses of exchanges that do not run and will not: no longer, or never agreed."""

CHECKS = (check_ids, check_references, check_units, check_pipeline, check_bookings)
CATALOGUE_CHECKS = (resolve_resources, check_streams, check_exchanges, check_technologies)


@dataclass
class Park:
    """A validated park. Each table is a DataFrame indexed by its id column."""

    meta: dict[str, Any]
    frames: dict[str, pd.DataFrame]
    catalogue: Catalogue
    catalogue_extension: dict[str, Any] | None = None
    source: str = ""
    warnings: list[Problem] = field(default_factory=list)
    _empty: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return str(self.meta.get("name", ""))

    @property
    def currency(self) -> str:
        return str(self.meta.get("currency", "EUR"))

    def table(self, name: str) -> pd.DataFrame:
        """A table by name; an empty one with the declared columns if the park has none."""
        if name in self.frames:
            return self.frames[name]
        if name not in self._empty:
            self._empty[name] = _empty_table(name)
        return self._empty[name]

    @property
    def actors(self) -> pd.DataFrame:
        return self.table("actors")

    @property
    def sites(self) -> pd.DataFrame:
        return self.table("sites")

    @property
    def streams(self) -> pd.DataFrame:
        return self.table("streams")

    @property
    def exchanges(self) -> pd.DataFrame:
        return self.table("exchanges")

    @property
    def technologies(self) -> pd.DataFrame:
        return self.table("technologies")

    @property
    def profiles(self) -> pd.DataFrame:
        return self.table("profiles")

    @property
    def plots(self) -> pd.DataFrame:
        return self.table("plots")

    def visible_to(self, actor: str | None) -> Park:
        """The park as ``actor`` sees it (``None``: the public): other actors' confidential
        streams left out, with the exchanges, meters and time profiles that only they use;
        only the synergy projects ``actor`` takes part in that name no hidden stream or
        exchange; no scenarios (the secretariat's); only its own organisation's contacts
        and bookings (the public: none)."""
        if actor is not None and actor not in self.actors.index:
            raise SymbionetError([Problem("", None, None, f"unknown actor {actor!r}")])
        streams = self.streams
        owner = streams["site"].map(self.sites["actor"])
        hidden = streams.index[streams["confidential"].fillna(False) & (owner != actor)]
        exchanges = self.exchanges
        hidden_exchanges = exchanges.index[
            exchanges["supply"].isin(hidden) | exchanges["demand"].isin(hidden)
        ]
        frames = dict(self.frames)
        if "streams" in frames:
            frames["streams"] = streams.drop(hidden)
        if "exchanges" in frames:
            frames["exchanges"] = exchanges.drop(hidden_exchanges)
        if "profiles" in frames and "profile" in streams:
            used = set(streams["profile"].drop(hidden).dropna())
            only_hidden = set(streams.loc[hidden, "profile"].dropna()) - used
            frames["profiles"] = frames["profiles"].drop(columns=list(only_hidden))
        if "meters" in frames:
            meters = frames["meters"]
            frames["meters"] = meters[
                ~(meters["stream"].isin(hidden) | meters["exchange"].isin(hidden_exchanges))
            ]
        if "pipeline" in frames:
            frames["pipeline"] = _projects_of(frames["pipeline"], actor, hidden, hidden_exchanges)
        for name in ("pipeline_log", "risks"):
            if name in frames:
                shown = frames.get("pipeline", pd.DataFrame()).index
                frames[name] = frames[name][frames[name]["project"].isin(shown)]
        frames.pop("scenarios", None)
        if "contacts" in frames:  # people: seen by their own organisation only
            contacts = frames["contacts"]
            frames["contacts"] = contacts[contacts["organisation"] == actor]
        if "bookings" in frames:  # others' bookings are busy dates, not their business
            bookings = frames["bookings"]
            bookings = bookings[bookings["organisation"] == actor]
            if "contact" in bookings and "contacts" in frames:
                known = bookings["contact"].isin(frames["contacts"].index)
                bookings = bookings.assign(contact=bookings["contact"].where(known))
            frames["bookings"] = bookings
        return replace(self, frames=frames, _empty={})

    def inputs(self) -> dict[str, pd.DataFrame]:
        """The tables as written to files: derived columns dropped, empty columns left out."""
        written = {}
        for name, frame in self.frames.items():
            table = tables()[name]
            keep = [
                c
                for c in frame.columns
                if (column := table.column(c)) is not None
                and column.type != "derived"
                and (column.required or frame[c].notna().any())
            ]
            written[name] = frame.reset_index()[_with_index(name, keep)]
        return written

    def save(self, path: Path | str, fmt: str | None = None, force: bool = False) -> Path:
        """Write the park as a folder, an .xlsx workbook or a .json document (from the suffix).

        An existing park there is replaced only with ``force``; anything else is refused.
        """
        target = Path(path)
        kind = fmt or save_format(target)
        if kind not in WRITERS:
            raise SymbionetError(
                [Problem(str(target), None, None, "write a folder, an .xlsx or a .json file")]
            )
        check_target(target, kind == "folder", force)
        WRITERS[kind](target, self.meta, self.inputs(), self.catalogue_extension)
        return target

    def to_document(self) -> dict[str, Any]:
        """The park as the dict a .json park file holds; ``load_park`` reads it back whole."""
        # the records are made afresh; what is shared with the park is copied
        return park_document(
            copy.deepcopy(self.meta), self.inputs(), copy.deepcopy(self.catalogue_extension)
        )


def _projects_of(
    projects: pd.DataFrame, actor: str | None, streams: pd.Index, exchanges: pd.Index
) -> pd.DataFrame:
    """The synergy projects ``actor`` owns or takes part in (none for the public), but
    those naming a stream or exchange hidden from it: their figures are that stream's."""
    if actor is None:
        return projects.iloc[0:0]
    taking_part = (projects["owner"] == actor) | projects["partners"].map(
        lambda cell: actor in split(cell)
    )
    hidden = (
        projects["supply"].isin(streams)
        | projects["demand"].isin(streams)
        | projects["exchange"].isin(exchanges)
    )
    return projects[taking_part.astype(bool) & ~hidden]


def _with_index(name: str, columns: list[str]) -> list[str]:
    key = _index(name)
    return [key, *[c for c in columns if c != key]] if key else columns


def _index(name: str) -> str | None:
    return "period" if name == "profiles" else tables()[name].id_column


def _empty_table(name: str) -> pd.DataFrame:
    raw = RawTable(name, tables()[name].file, pd.DataFrame(), [])
    frame, _ = coerce(raw, tables()[name])
    for column in tables()[name].columns:
        if column.type == "derived":  # amounts per year, as the checks add them
            frame[column.name] = pd.Series(dtype=float)
    key = _index(name)
    return frame.set_index(key) if key and key in frame else frame


def build_park(raw: RawPark) -> Park:
    """Validate raw tables into a park, or raise SymbionetError with every problem found."""
    problems = list(raw.problems)
    catalogue = default_catalogue()
    if raw.catalogue is not None:
        try:
            catalogue = parse_catalogue(raw.catalogue, raw.catalogue_file, catalogue)
        except SymbionetError as error:
            problems += error.problems
    meta, meta_problems = check_meta(raw.meta, raw.meta_file, catalogue)
    if any(p.file == raw.meta_file for p in raw.problems):  # unreadable, not missing keys
        problems += [p for p in meta_problems if not p.message.endswith("key is missing")]
    else:
        problems += meta_problems
    catalogue = catalogue.for_year(meta.get("year"))
    if not meta_problems and meta.get("prices"):
        try:
            catalogue = catalogue.with_prices(
                meta["prices"], f"park.yaml of {meta.get('name', '')}", raw.meta_file
            )
        except SymbionetError as error:
            problems += error.problems
    data = Tables({}, {})
    for name, raw_table in raw.tables.items():
        frame, cell_problems = coerce(raw_table, tables()[name])
        data.frames[name] = frame
        data.checks[name] = Checker(raw_table, cell_problems)
    for check in CHECKS:
        check(data)
    for catalogue_check in CATALOGUE_CHECKS:
        catalogue_check(data, catalogue)
    check_profiles(data)
    for checker in data.checks.values():
        problems += checker.problems
    if raw.document:  # located by path in the document: actors[3].nace
        problems = [replace(p, document=True) for p in problems]
    warnings = sorted({p for p in problems if p.severity == "warning"}, key=_order)
    errors = [p for p in problems if p.severity != "warning"]
    if errors:
        raise SymbionetError(sorted(set(errors) | set(warnings), key=_order))
    frames = {}
    for name, frame in data.frames.items():
        key = _index(name)
        frames[name] = frame.set_index(key) if key else frame
    return Park(meta, frames, catalogue, raw.catalogue, raw.source, warnings)


def _order(problem: Problem) -> tuple[int, str, int, str]:
    """Problems in the order of the park's tables (park, actors, sites, streams...), then by
    row: a file name, a workbook sheet (``park.xlsx[streams]``) or a JSON key (``#streams``)."""
    names = list(tables())
    files = [t.file for t in tables().values()]
    table = re.split(r"[\[\]#]", problem.file)
    part = table[1] if len(table) > 1 else table[0]
    rank = (
        names.index(part) if part in names else files.index(part) if part in files else len(files)
    )
    return (rank, problem.file, problem.row or 0, problem.column or "")


def load_park(source: str | Path | Mapping[str, Any] | bytes) -> Park:
    """Load and validate a park from a folder, an Excel workbook or a JSON file (a path, which
    a str always is), or from a document in memory: a dict as ``Park.to_document()`` gives
    it, or JSON bytes. Problems in a document are located by path (``actors[3].nace``)."""
    if isinstance(source, Mapping | bytes):
        return park_from_document(source)
    if isinstance(source, str) and source.lstrip().startswith("{"):
        raise SymbionetError("a str is a park's path: read JSON text with park_from_document()")
    if not isinstance(source, str | os.PathLike):
        kind = type(source).__name__
        raise SymbionetError(f"cannot load a park from {kind}: give a path, a dict or JSON bytes")
    return build_park(read_park(Path(source)))


def park_from_document(document: Mapping[str, Any] | str | bytes) -> Park:
    """Load and validate a park from a document in memory, never touching the disk: a dict as
    ``Park.to_document()`` gives it, or its JSON text (str, or UTF-8 bytes)."""
    return build_park(read_document(document))


def check_park(source: str | Path | Mapping[str, Any] | bytes) -> list[Problem]:
    """Every problem of a park, errors and warnings; an empty list if there are none."""
    try:
        return load_park(source).warnings
    except SymbionetError as error:
        return error.problems


__all__ = ["Park", "build_park", "check_park", "load_park", "park_format", "park_from_document"]
