"""Text cells that Excel opens safely: no formula runs, nothing is cut short.

A CSV cell starting with ``=``, ``+``, ``-`` or ``@`` would run as a formula in a
spreadsheet. Written, such text gets a leading apostrophe (a number stays a number); read
back, the apostrophe goes, so names survive the round trip exactly. A workbook stores text
as string cells, never as formulas, and refuses text Excel would truncate or cannot hold.
A park's own catalogue goes into a workbook as tables, one row per resource (see
:func:`catalogue_sheets`), and reads back exactly as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from symbionet.errors import Problem

CELL_LIMIT = 32_767
"""The most characters an Excel cell holds."""

_FORMULA = re.compile(r"'*[=+\-@]")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # as openpyxl refuses them


def excel_text(text: str) -> str:
    """Text as a CSV cell a spreadsheet shows as text, never runs as a formula."""
    if _FORMULA.match(text) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def plain_text(text: str) -> str:
    """The text :func:`excel_text` was given."""
    return text[1:] if text.startswith("'") and _FORMULA.match(text[1:]) else text


def xlsx_problem(text: str, where: str, row: int, column: str | None) -> Problem | None:
    """Why ``text`` cannot go into a workbook cell (``where``: file[sheet]), or None if it can."""
    if len(text) > CELL_LIMIT:
        message = f"{len(text):,} characters: Excel cells hold at most {CELL_LIMIT:,}"
    elif found := _ILLEGAL.search(text):
        message = f"holds control character {found.group()!r}, which Excel cannot store"
    else:
        return None
    return Problem(where, row, column, message)


# --- a park's catalogue as tables ------------------------------------------------------
#
# In a workbook a park's own catalogue is a sheet ``catalogue`` with one row per resource,
# and, where the park has them, ``catalogue_references`` (one row per source),
# ``catalogue_routes`` (one row per route) and ``catalogue_info`` (version, description).
# A list is one cell, items separated by ";" (a ";" within an item written "\;");
# ``substitutes`` is "resource:ratio; ...", its refs and conditions in the same order in
# ``substitutes_ref`` and ``substitutes_conditions`` (one ref alone serves them all). A
# factor is spread over columns ``price_value``, ``price_unit``, ``price_ref``... and
# its values for other years are YAML in ``price_by_year``. Whatever has no column of its
# own (a field the catalogue does not know, a value of another type) is YAML in ``more``,
# so that every catalogue reads back exactly as it was written.

YamlReader = Callable[[str, str], tuple[Any, list[Problem]]]
"""Reads YAML text (with the file for its problems): (data, problems)."""

CATALOGUE_SHEETS = ("catalogue", "catalogue_references", "catalogue_routes", "catalogue_info")
_FACTOR_FIELDS = ("value", "unit", "ref", "year", "basis", "checked", "note", "by_year")
_FACTOR_TYPES = {"value": "number", "year": "int", "checked": "bool", "by_year": "yaml"}


def _factor_columns(name: str) -> dict[str, str]:
    return {f"{name}_{field}": _FACTOR_TYPES.get(field, "text") for field in _FACTOR_FIELDS}


#: The columns of each catalogue sheet, with their kind of cell.
RESOURCE_COLUMNS: dict[str, str] = {
    "id": "text",
    "name": "text",
    "class": "text",
    "group": "text",
    "unit": "text",
    "ewc": "text",
    "description": "text",
    "synonyms": "list",
    "quality": "list",
    "typical": "pairs",
    "density_t_per_m3": "number",
    "energy_mwh_per_unit": "number",
    "energy_mwh_per_m3": "number",
    **_factor_columns("price"),
    **_factor_columns("emission_factor"),
    "substitutes": "substitutes",
    "substitutes_ref": "list",
    "substitutes_conditions": "list",
    "more": "yaml",
}
ROUTE_COLUMNS: dict[str, str] = {
    "id": "text",
    "name": "text",
    "kind": "text",
    "classes": "list",
    "description": "text",
    "resource": "text",
    "efficiency": "number",
    **_factor_columns("cost"),
    **_factor_columns("emission_factor"),
    "more": "yaml",
}
REFERENCE_COLUMNS: dict[str, str] = {
    "id": "text",
    "title": "text",
    "url": "text",
    "year": "int",
    "publisher": "text",
    "more": "yaml",
}
_SECTIONS = {
    "catalogue": ("resources", RESOURCE_COLUMNS),
    "catalogue_references": ("references", REFERENCE_COLUMNS),
    "catalogue_routes": ("routes", ROUTE_COLUMNS),
}
_FACTORS = ("price", "emission_factor", "cost")
_SUBSTITUTION_FIELDS = ("resource", "ratio", "conditions", "ref")


def _join(items: list[str]) -> str:
    return "; ".join(item.replace("\\", "\\\\").replace(";", "\\;") for item in items)


def _split(text: str) -> list[str]:
    items, current, escaped = [], "", False
    for char in text:
        if escaped:
            current, escaped = current + char, False
        elif char == "\\":
            escaped = True
        elif char == ";":
            items.append(current.strip())
            current = ""
        else:
            current += char
    items.append(current.strip())
    return items


def _plain(value: Any) -> bool:
    """Text a cell gives back as it was: not empty, no spaces at its ends, one kind of line
    break."""
    return isinstance(value, str) and bool(value) and value == value.strip() and "\r" not in value


def _yaml_text(value: Any) -> str:
    """``value`` as one line of YAML (a mapping or list in flow style)."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**9)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number_text(value: float) -> str:
    return str(value) if isinstance(value, int) else repr(value)


def _fits(kind: str, value: Any) -> bool:
    """Whether ``value`` can stand in a cell of ``kind`` and read back the same."""
    if kind == "text":
        return _plain(value)
    if kind in ("number", "int"):
        return _is_number(value) and (kind == "number" or isinstance(value, int))
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list | tuple) and bool(value) and all(map(_plain, value))
    if kind == "pairs":
        return (
            isinstance(value, Mapping)
            and bool(value)
            and all(
                isinstance(k, str) and k and not set(k) & set("=;\\") and _is_number(v)
                for k, v in value.items()
            )
        )
    return True


def _substitute_cells(subs: Any) -> dict[str, Any] | None:
    """The substitutes, refs and conditions cells of a list of substitutions, or None if
    the list does not fit them (it then goes to ``more``)."""
    if not isinstance(subs, list | tuple) or not subs:
        return None
    for sub in subs:
        if not (
            isinstance(sub, Mapping)
            and set(sub) <= set(_SUBSTITUTION_FIELDS)
            and isinstance(sub.get("resource"), str)
            and sub["resource"]
            and not set(sub["resource"]) & set(":;\\")
            and ("ratio" not in sub or _is_number(sub["ratio"]))
            and all(_plain(sub[k]) for k in ("conditions", "ref") if k in sub)
            and ("ref" in sub) == ("ref" in subs[0])
            and ("conditions" in sub) == ("conditions" in subs[0])
        ):
            return None
    cells: dict[str, Any] = {
        "substitutes": _join(
            [s["resource"] + (f":{_number_text(s['ratio'])}" if "ratio" in s else "") for s in subs]
        )
    }
    if "ref" in subs[0]:
        refs = [s["ref"] for s in subs]
        cells["substitutes_ref"] = refs[0] if len(subs) > 1 and len(set(refs)) == 1 else refs
    if "conditions" in subs[0]:
        cells["substitutes_conditions"] = [s["conditions"] for s in subs]
    return cells


def _entry_row(key: str, entry: Any, columns: Mapping[str, str]) -> list[Any]:
    """One entry of a catalogue section as a row of cells under ``columns``."""
    cells: dict[str, Any] = {"id": key}
    more: dict[str, Any] = {}
    fields = dict(entry) if isinstance(entry, Mapping) else None
    if fields is None:
        more = {"": entry}  # not a mapping: kept whole, refused when the catalogue is read
        fields = {}
    for field, value in fields.items():
        if field in _FACTORS and f"{field}_value" in columns and isinstance(value, Mapping):
            parts = {f"{field}_{k}": v for k, v in value.items()}
            placed = {
                column: v
                for column, v in parts.items()
                if column in columns and _fits(columns[column], v)
            }
            if len(placed) == len(parts) and placed:
                cells.update(placed)
                continue
        elif field == "substitutes" and "substitutes" in columns:
            if (sub_cells := _substitute_cells(value)) is not None:
                cells.update(sub_cells)
                continue
        elif field in columns and field not in ("id", "more") and _fits(columns[field], value):
            cells[field] = value
            continue
        more[field] = value
    if more:
        cells["more"] = more
    row: list[Any] = []
    for column, kind in columns.items():
        value = cells.get(column)
        if value is None:
            row.append(None)
        elif kind == "list":
            row.append(value if isinstance(value, str) else _join(list(value)))
        elif kind == "pairs":
            row.append(_join([f"{k}={_number_text(v)}" for k, v in value.items()]))
        elif kind == "yaml":
            row.append(_yaml_text(value))
        else:
            row.append(value)
    return row


def catalogue_sheets(catalogue: Mapping[str, Any]) -> dict[str, list[list[Any]]]:
    """A park's catalogue (as in its catalogue.yaml) as sheets of rows, the first row of
    each its header: ``catalogue`` always, the others where the catalogue has entries."""
    sheets: dict[str, list[list[Any]]] = {}
    tabled = {
        section
        for section, _ in _SECTIONS.values()
        if isinstance(catalogue.get(section), Mapping)
        and catalogue[section]
        and all(isinstance(key, str) and _plain(key) for key in catalogue[section])
    }
    for sheet, (section, columns) in _SECTIONS.items():
        if section not in tabled and sheet != "catalogue":
            continue
        rows: list[list[Any]] = [list(columns)]
        if section in tabled:
            rows += [_entry_row(key, entry, columns) for key, entry in catalogue[section].items()]
        sheets[sheet] = rows
    # anything else (version, description; a section that is empty or not a table) is kept
    # as YAML, to be refused or taken as it is when the catalogue is read
    info = {key: value for key, value in catalogue.items() if key not in tabled}
    if info:
        sheets["catalogue_info"] = [["key", "value"]] + [
            [key, _yaml_text(value)] for key, value in info.items()
        ]
    return sheets


def _cell(kind: str, text: str, where: str, row: int, column: str, read_yaml: YamlReader) -> Any:
    """The value of a cell of ``kind``; raises ValueError with the reason it cannot be read."""
    if kind == "text":
        return text
    if kind in ("number", "int"):
        try:
            return int(text)
        except ValueError:
            if kind == "int":
                raise ValueError(f"{text!r} is not a whole number") from None
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    if kind == "bool":
        if text.lower() not in ("true", "false"):
            raise ValueError(f"{text!r} is not true or false")
        return text.lower() == "true"
    if kind == "list":
        return _split(text)
    if kind == "pairs":
        pairs = {}
        for item in _split(text):
            name, sign, number = item.partition("=")
            if not sign or not name.strip():
                raise ValueError(f"{item!r} is not name=number")
            pairs[name.strip()] = _cell("number", number.strip(), where, row, column, read_yaml)
        return pairs
    if kind == "substitutes":
        subs = []
        for item in _split(text):
            name, colon, ratio = item.partition(":")
            if not name.strip():
                raise ValueError(f"{item!r} is not resource:ratio")
            sub: dict[str, Any] = {"resource": name.strip()}
            if colon:
                sub["ratio"] = _cell("number", ratio.strip(), where, row, column, read_yaml)
            subs.append(sub)
        return subs
    data, problems = read_yaml(text, where)
    if problems:
        raise ValueError(problems[0].message)
    return data


def _entry(
    header: list[str],
    cells: list[str],
    columns: Mapping[str, str],
    where: str,
    row: int,
    read_yaml: YamlReader,
) -> tuple[str, Any, list[Problem]]:
    """One row of a catalogue sheet as (id, entry, problems)."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for column, text in zip(header, cells, strict=False):
        if not text or column not in columns or column == "id":
            continue
        try:
            values[column] = _cell(columns[column], text, where, row, column, read_yaml)
        except ValueError as error:
            problems.append(Problem(where, row, column, str(error)))
    key = cells[header.index("id")] if "id" in header and header.index("id") < len(cells) else ""
    if not key:
        problems.append(Problem(where, row, "id", "every row needs an id"))
    more = values.pop("more", {})
    if isinstance(more, Mapping) and set(more) == {""}:
        return key, more[""], problems
    entry: dict[str, Any] = {}
    for column, value in values.items():
        factor = next((f for f in _FACTORS if column.startswith(f"{f}_")), None)
        if factor and column.removeprefix(f"{factor}_") in _FACTOR_FIELDS:
            entry.setdefault(factor, {})[column.removeprefix(f"{factor}_")] = value
        elif column == "substitutes":
            entry["substitutes"] = value
        elif not column.startswith("substitutes_"):
            entry[column] = value
    subs = entry.get("substitutes", [])
    for column, field in (("substitutes_ref", "ref"), ("substitutes_conditions", "conditions")):
        given = values.get(column)
        if given is None:
            continue
        if len(given) == 1 and field == "ref":
            given = given * len(subs)
        if len(given) != len(subs):
            message = f"{len(given)} items for {len(subs)} substitutes: give one per substitute"
            problems.append(Problem(where, row, column, message))
            continue
        for sub, item in zip(subs, given, strict=True):
            sub[field] = item
    for sub in subs:  # the order of fields as a catalogue file gives them
        ordered = {k: sub[k] for k in _SUBSTITUTION_FIELDS if k in sub}
        sub.clear()
        sub.update(ordered)
    if isinstance(more, Mapping):
        entry.update(more)
    elif more:
        problems.append(Problem(where, row, "more", "must be a mapping of fields"))
    return key, entry, problems


def catalogue_from_sheets(
    sheets: Mapping[str, list[tuple[int, list[str]]]], label: str, read_yaml: YamlReader
) -> tuple[Any, list[Problem]]:
    """A park's catalogue read from its sheets (numbered rows of text cells, as a workbook
    reader gives them; ``label`` is the workbook's name), or the problems found. A
    ``catalogue`` sheet of one YAML cell, as earlier versions wrote it, is read as YAML."""
    rows = sheets.get("catalogue", [])
    where = f"{label}[catalogue]"
    if not rows or rows[0][1][:1] != ["id"]:
        if len(rows) == 1 and len(rows[0][1]) == 1:
            data, found = read_yaml(rows[0][1][0], where)
            return data, [Problem(where, p.row, p.column, p.message) for p in found]
        if rows:
            return None, [Problem(where, rows[0][0], None, "the first column must be id")]
    catalogue: dict[str, Any] = {}
    problems: list[Problem] = []
    for sheet, numbered in sheets.items():
        here = f"{label}[{sheet}]"
        if sheet == "catalogue_info":
            for number, cells in numbered[1:]:
                key, value = ([*cells, "", ""])[:2]
                data, found = read_yaml(value, here)
                problems += [Problem(here, number, key, p.message) for p in found]
                catalogue[key] = data
            continue
        section, columns = _SECTIONS[sheet]
        if not numbered:
            continue
        header = numbered[0][1]
        unknown = [c for c in header if c and c not in columns]
        problems += [
            Problem(here, numbered[0][0], c, "unknown column (put other fields in more)")
            for c in unknown
        ]
        entries: dict[str, Any] = {}
        for number, cells in numbered[1:]:
            key, entry, found = _entry(header, cells, columns, here, number, read_yaml)
            problems += found
            if key in entries:
                problems.append(Problem(here, number, "id", f"duplicate id {key!r}"))
            elif key:
                entries[key] = entry
        if entries or sheet != "catalogue":
            catalogue[section] = entries
    if not catalogue and not problems:
        return None, []
    return catalogue, problems
