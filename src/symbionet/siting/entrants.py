"""Candidate entrants: a company profile each, with the land it needs and its streams.

An entrants file is YAML::

    entrants:
      - id: biorefinery
        name: Straw biorefinery
        nace: "20.14"
        area_m2: 120000
        zoning: [heavy industry]     # any of these; none: any zoning
        needs: [port]                # optional: a plot at a quay
        streams:
          - {resource: steam_mp, direction: demand, quantity: 30000, unit: t/yr,
             source: natural_gas_boiler}

Streams take the columns of ``streams.csv`` (``site`` apart: the plot gives it) and are
checked by the register's own rules: resources resolved through the park's catalogue,
with suggestions for misspellings, units that fit their resource, fates and sources that
fit their direction. Problems name the file, the line of the entrant or stream, and the
field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from symbionet.errors import Problem, SymbionetError
from symbionet.register.io import RawTable, cell_text, read_text
from symbionet.register.park import Park
from symbionet.register.schema import NACE_PATTERN, tables
from symbionet.register.validate import (
    Checker,
    Tables,
    check_streams,
    check_units,
    coerce,
    resolve_resources,
)

FIELDS = ("id", "name", "nace", "area_m2", "zoning", "needs", "streams")
NEEDS = ("port",)
_ID = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Entrants:
    """Entrants (``table``, indexed by id: name, nace, area_m2, zoning as a tuple of zones,
    port) and their validated streams (``streams``, indexed by stream id, with the column
    ``entrant``), read from ``file``."""

    table: pd.DataFrame
    streams: pd.DataFrame
    file: str = "entrants"


def _records(node: Any, data: Any) -> list[tuple[int | None, Any, Any]]:
    """The items of a YAML sequence: the line each starts on, its data and its node."""
    if not isinstance(data, list):
        return []
    if isinstance(node, yaml.SequenceNode) and len(node.value) == len(data):
        return [(n.start_mark.line + 1, v, n) for n, v in zip(node.value, data, strict=True)]
    return [(None, value, None) for value in data]


def _child(node: Any, key: str) -> Any:
    """The value node of ``key`` in a YAML mapping node, or None."""
    if isinstance(node, yaml.MappingNode):
        for name, value in node.value:
            if getattr(name, "value", None) == key:
                return value
    return None


def _parse(text: str, label: str) -> tuple[Any, Any]:
    """The YAML document as data, and its node tree (for line numbers)."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(error, "problem", None) or "malformed"
        raise SymbionetError([Problem(label, line, None, f"not valid YAML: {reason}")]) from None
    return data, node


def _words(value: Any) -> tuple[str, ...]:
    """A list or a single word as a tuple of stripped, non-empty strings."""
    items = value if isinstance(value, list) else [] if value is None else [value]
    return tuple(str(v).strip() for v in items if str(v).strip())


def _entrant(
    line: int | None, record: Any, label: str, problems: list[Problem]
) -> dict[str, Any] | None:
    """One entrant's fields, checked; problems are added to ``problems``."""

    def bad(column: str | None, message: str) -> None:
        problems.append(Problem(label, line, column, message))

    if not isinstance(record, Mapping):
        bad(None, "an entrant is a mapping with id, area_m2, zoning and streams")
        return None
    for key in record:
        if key not in FIELDS:
            bad(str(key), f"unknown field (the fields are {', '.join(FIELDS)})")
    ident = str(record.get("id") or "").strip()
    if not ident:
        bad("id", "value required")
    elif not _ID.match(ident):
        bad("id", f"{ident!r}: use letters, digits, _ or - only")
    area = record.get("area_m2")
    if area is None or area == "":
        bad("area_m2", "value required: the land the entrant needs, in m2")
    elif isinstance(area, bool) or not isinstance(area, int | float) or not area > 0:
        bad("area_m2", f"{area!r} is not an area above 0 (m2)")
    nace = record.get("nace")
    if nace is not None and not re.match(NACE_PATTERN, str(nace)):
        bad("nace", f"{nace!r} is not a NACE Rev. 2 code (C, 20, 20.1 or 20.14)")
    needs = _words(record.get("needs"))
    for need in needs:
        if need not in NEEDS:
            bad("needs", f"unknown need {need!r} (known: {', '.join(NEEDS)})")
    streams = record.get("streams")
    if streams is not None and not isinstance(streams, list):
        bad("streams", "must be a list of streams")
    return {
        "id": ident,
        "name": str(record.get("name") or ident),
        "nace": None if nace is None else str(nace),
        "area_m2": area,
        "zoning": _words(record.get("zoning")),
        "port": "port" in needs,
        "line": line,
    }


def _stream_rows(
    entrant: str, node: Any, data: Any, label: str, problems: list[Problem]
) -> list[tuple[int | None, dict[str, str]]]:
    """An entrant's streams as text cells (as a CSV row would hold them), with their lines."""
    columns = tables()["streams"]
    rows = []
    for number, (line, record, _) in enumerate(_records(node, data), start=1):
        if not isinstance(record, Mapping):
            problems.append(Problem(label, line, "streams", "a stream is a mapping"))
            continue
        cells = {str(k): cell_text(v) for k, v in record.items()}
        if "site" in cells:
            problems.append(Problem(label, line, "site", "the plot gives the site: leave it out"))
            del cells["site"]
        for name in cells:
            if columns.column(name) is None:
                known = ", ".join(c.name for c in columns.inputs if c.name != "site")
                problems.append(Problem(label, line, name, f"unknown column (known: {known})"))
        cells = {k: v for k, v in cells.items() if columns.column(k) is not None}
        cells["id"] = f"{entrant}.{cells.get('id') or number}"
        cells["site"] = entrant
        rows.append((line, cells))
    return rows


def read_entrants(source: str | Path | Mapping[str, Any] | Entrants, park: Park) -> Entrants:
    """Entrants from a YAML file (or the same data as a mapping), checked against ``park``'s
    catalogue and plots; raises SymbionetError naming file, line and field."""
    if isinstance(source, Entrants):
        return source
    if isinstance(source, Mapping):
        label, data, node = "entrants", dict(source), None
    else:
        path = Path(source)
        label = path.name
        text, problems = read_text(path, label)
        if text is None:
            raise SymbionetError(problems)
        data, node = _parse(text, label)
    if not isinstance(data, Mapping) or not isinstance(data.get("entrants"), list):
        raise SymbionetError([Problem(label, None, "entrants", "give a list under 'entrants:'")])
    problems = []
    entrants, rows = [], []
    seen: set[str] = set()
    for line, record, item in _records(_child(node, "entrants"), data["entrants"]):
        entrant = _entrant(line, record, label, problems)
        if entrant is None:
            continue
        if entrant["id"] in seen:
            problems.append(Problem(label, line, "id", f"duplicate id {entrant['id']!r}"))
        seen.add(entrant["id"])
        entrants.append(entrant)
        streams = record.get("streams")
        rows += _stream_rows(entrant["id"], _child(item, "streams"), streams, label, problems)
    frame, stream_problems = _checked_streams(rows, label, park)
    problems += stream_problems + _zoning_problems(entrants, park, label)
    if problems:
        raise SymbionetError(sorted(set(problems), key=lambda p: (p.row or 0, p.column or "")))
    table = pd.DataFrame(entrants).drop(columns="line").set_index("id")
    frame["entrant"] = frame["site"]
    return Entrants(table, frame.set_index("id"), label)


def _checked_streams(
    rows: list[tuple[int | None, dict[str, str]]], label: str, park: Park
) -> tuple[pd.DataFrame, list[Problem]]:
    """The streams typed and checked by the register's rules, and their problems."""
    required = [c.name for c in tables()["streams"].fixed if c.required]
    cells = pd.DataFrame([r for _, r in rows], dtype=object)
    cells = cells.reindex(columns=list(dict.fromkeys([*required, *cells.columns])))
    raw = RawTable("streams", label, cells, [line or 0 for line, _ in rows])
    frame, problems = coerce(raw, tables()["streams"])
    profiles = park.profiles.reset_index()
    data = Tables({"streams": frame, "profiles": profiles}, {"streams": Checker(raw, problems)})
    resolve_resources(data, park.catalogue)
    check_units(data)
    check_streams(data, park.catalogue)
    found = [p if p.row else Problem(p.file, None, p.column, p.message) for p in problems]
    return frame, [p for p in found if p.severity != "warning"]


def _zoning_problems(entrants: list[dict[str, Any]], park: Park, label: str) -> list[Problem]:
    """A zone no plot of the park has: most likely misspelt."""
    zones = sorted(set(park.plots["zoning"].dropna().astype(str)))
    problems = []
    for entrant in entrants:
        for zone in entrant["zoning"]:
            if zone not in zones:
                known = ", ".join(repr(z) for z in zones) or "none"
                problems.append(
                    Problem(
                        label,
                        entrant["line"],
                        "zoning",
                        f"no plot of the park is zoned {zone!r} (plots are zoned {known})",
                    )
                )
    return problems


__all__ = ["FIELDS", "NEEDS", "Entrants", "read_entrants"]
