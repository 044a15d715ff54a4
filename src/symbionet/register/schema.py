"""Table declarations: every column of every park file, declared once in data.

The CSV files beside this module declare each table's columns (type, unit, default,
whether required, allowed values, bounds, description). Loading, validation, defaults,
the format documentation and the JSON Schema all come from these declarations.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, replace
from fnmatch import fnmatch
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from symbionet.errors import SymbionetError
from symbionet.units import ACCEPTED, AMBIGUOUS

if TYPE_CHECKING:
    from symbionet.register.io import RawTable

TYPES = {
    "id": "text, unique within the table",
    "ref": "id of a row of another table",
    "text": "free text",
    "float": "number",
    "int": "whole number",
    "year": "year (whole number)",
    "date": "calendar date, YYYY-MM-DD",
    "bool": "true or false",
    "enum": "one of the allowed values",
    "resource": "catalogue resource id, synonym or EWC code",
    "unit": "unit of measure (pint syntax: t/yr, m3/h, GWh, MW...)",
    "route": "catalogue route id",
    "profile": "column name of profiles.csv",
    "nace": "NACE Rev. 2 code",
    "mapping": "nested mapping (YAML)",
    "derived": "computed on load, never written",
}


@dataclass(frozen=True)
class Column:
    """One declared column (a name may be a pattern such as ``ppm_*``)."""

    name: str
    type: str
    unit: str
    default: str
    required: bool
    allowed: str
    min: float | None
    max: float | None
    description: str

    @property
    def is_pattern(self) -> bool:
        return "*" in self.name

    @property
    def choices(self) -> list[str]:
        return self.allowed.split("|") if self.type == "enum" else []


@dataclass(frozen=True)
class Table:
    """A declared table: its file and columns."""

    name: str
    file: str
    required: bool
    description: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column | None:
        """The declaration that governs a column name, exact names before patterns."""
        for column in self.columns:
            if column.name == name:
                return column
        for column in self.columns:
            if column.is_pattern and fnmatch(name, column.name):
                return column
        return None

    @property
    def fixed(self) -> list[Column]:
        return [c for c in self.columns if not c.is_pattern]

    @property
    def inputs(self) -> list[Column]:
        return [c for c in self.columns if c.type != "derived"]

    @property
    def id_column(self) -> str | None:
        return next((c.name for c in self.columns if c.type == "id"), None)


@dataclass(frozen=True)
class TemperatureRange:
    """The temperatures a heat or cold resource can have; outside them it is another one."""

    resource: str
    min_c: float | None
    max_c: float | None
    basis: str

    def admits(self, temperature: float) -> bool:
        low = -math.inf if self.min_c is None else self.min_c
        high = math.inf if self.max_c is None else self.max_c
        return low <= temperature <= high

    @property
    def text(self) -> str:
        if self.min_c is None:
            return f"at most {self.max_c:g} °C"
        if self.max_c is None:
            return f"at least {self.min_c:g} °C"
        return f"{self.min_c:g} to {self.max_c:g} °C"


def _number(text: str) -> float | None:
    return float(text) if text else None


@cache
def temperature_ranges() -> dict[str, TemperatureRange]:
    """Temperature range of each heat and cold resource, by resource id."""
    with (files("symbionet.register") / "schema" / "temperatures.csv").open(
        encoding="utf-8"
    ) as handle:
        return {
            row["resource"]: TemperatureRange(
                row["resource"], _number(row["min_c"]), _number(row["max_c"]), row["basis"]
            )
            for row in csv.DictReader(handle)
        }


GROUPS = {"park": "", "targeting": "targeting"}
"""Groups of declared tables, by the subfolder of ``schema`` that declares them: the park
format, and the CSV inputs of the target commands (heat streams, water tables)."""


@cache
def tables(group: str = "park") -> dict[str, Table]:
    """All declared tables of a group (see ``GROUPS``), in the order data flows through a
    park."""
    folder = files("symbionet.register") / "schema"
    if GROUPS[group]:
        folder = folder / GROUPS[group]
    with (folder / "tables.csv").open(encoding="utf-8") as handle:
        entries = list(csv.DictReader(handle))
    result = {}
    for entry in entries:
        with (folder / f"{entry['table']}.csv").open(encoding="utf-8") as handle:
            columns = tuple(
                Column(
                    name=row["name"],
                    type=row["type"],
                    unit=row["unit"],
                    default=row["default"],
                    required=row["required"] == "yes",
                    allowed=row["allowed"],
                    min=_number(row["min"]),
                    max=_number(row["max"]),
                    description=row["description"],
                )
                for row in csv.DictReader(handle)
            )
        result[entry["table"]] = Table(
            name=entry["table"],
            file=entry["file"],
            required=entry["required"] == "yes",
            description=entry["description"],
            columns=columns,
        )
    return result


def read_csv(path: str | Path) -> RawTable:
    """A CSV file of a declared table as read: text cells, the line of each row and the
    path as given for its file; raises the problems that stop it being read."""
    from symbionet.register.io import _read_csv

    raw, problems = _read_csv(Path(path), Path(path).stem)
    if raw is None or any(p.severity == "error" for p in problems):
        raise SymbionetError(replace(p, file=str(path)) for p in problems)
    raw.file = str(path)
    return raw


def _json_type(column: Column) -> dict[str, Any]:
    kinds: dict[str, dict[str, Any]] = {
        "float": {"type": "number"},
        "int": {"type": "integer"},
        "year": {"type": "integer"},
        "bool": {"type": "boolean"},
        "mapping": {"type": "object"},
    }
    schema: dict[str, Any] = dict(kinds.get(column.type, {"type": "string"}))
    if column.choices:
        schema["enum"] = column.choices
    if column.min is not None:
        schema["minimum"] = column.min
    if column.max is not None:
        schema["maximum"] = column.max
    if column.type == "nace":
        schema["pattern"] = NACE_PATTERN
    schema["description"] = column.description + (f" [{column.unit}]" if column.unit else "")
    return schema


MAX_DEPTH = 32  # levels of nesting read in YAML and JSON; a catalogue needs about 6
NACE_PATTERN = r"^([A-U]|\d{2}(\.\d{1,2})?)$"


def json_schema() -> dict[str, Any]:
    """JSON Schema of a park in its JSON form (``symbionet convert PARK park.json``)."""
    properties: dict[str, Any] = {}
    for table in tables().values():
        fields = {c.name: _json_type(c) for c in table.inputs if not c.is_pattern}
        patterns = {
            "^" + c.name.replace("*", ".+") + "$": _json_type(c)
            for c in table.inputs
            if c.is_pattern and c.name != "*"
        }
        record: dict[str, Any] = {
            "type": "object",
            "properties": fields,
            "required": [c.name for c in table.inputs if c.required and not c.is_pattern],
            "additionalProperties": any(c.name == "*" for c in table.columns)
            and {"type": "number"},
        }
        if patterns:
            record["patternProperties"] = patterns
        if table.name == "park":
            properties[table.name] = {**record, "description": table.description}
        else:
            properties[table.name] = {
                "type": "array",
                "description": table.description,
                "items": record,
            }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "symbionet park",
        "type": "object",
        "properties": properties,
        "required": [name for name, t in tables().items() if t.required],
        "additionalProperties": False,
    }


def markdown() -> str:
    """The park format reference, generated from the declarations."""
    lines = [
        "# Park format",
        "",
        "A park is a folder of plain files, or one Excel workbook with one sheet per file "
        "(sheet names as the file names without extension), or one JSON document "
        "(`symbionet convert` turns any of them into the others, losslessly). "
        "This page is generated from the column declarations in "
        "`src/symbionet/register/schema/`; the same declarations drive loading, "
        "validation, defaults and the JSON Schema (`docs/park.schema.json`).",
        "",
        "Quantities take any unit compatible with the resource (`t/day`, `kt/yr`, `GWh`, "
        "`GJ`, `m3/h`, `L/yr`, `MW`...); a quantity without a time unit is per year; a year "
        "has 365 days. Text cells may be left empty where a column is optional: the default "
        "applies. A column a table does not declare is an error (a misspelt column would "
        "otherwise be ignored).",
        "",
        "| file | required | what it holds |",
        "|---|---|---|",
    ]
    lines += [
        f"| `{t.file}` | {'yes' if t.required else 'no'} | {t.description} |"
        for t in tables().values()
    ]
    for table in tables().values():
        lines += ["", f"## `{table.file}`", "", table.description, ""]
        if table.name == "park":
            lines += ["A YAML mapping with these keys:", ""]
        lines += [
            "| column | type | unit | default | required | allowed / bounds | description |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in table.columns:
            bounds = c.allowed.replace("|", ", ") if c.type == "enum" else ""
            if c.type in {"ref", "route"}:
                bounds = f"{c.allowed} " + ("ids" if c.type == "ref" else "routes")
            if c.min is not None or c.max is not None:
                low = "" if c.min is None else f"{c.min:g} ≤ "
                high = "" if c.max is None else f" ≤ {c.max:g}"
                bounds = f"{low}value{high}"
            lines.append(
                f"| `{c.name}` | {c.type} | {c.unit} | {c.default} | "
                f"{'yes' if c.required else ''} | {bounds} | {c.description} |"
            )
    lines += ["", "## Types", "", "| type | meaning |", "|---|---|"]
    lines += [f"| {name} | {meaning} |" for name, meaning in TYPES.items()]
    lines += [
        "",
        "## Numbers",
        "",
        "Numbers take a decimal point and no thousands separators: `65000`, `1500.5`, "
        "`1.5e6`. Danish and other local forms (`65.000`, `1.500,5`, `1,5`) are refused "
        "with a hint rather than guessed, unless the thousands reading is out of the column's "
        "bounds (a latitude of `55.000` is 55). One dot and three decimals (`12.500`) is read "
        "as a decimal, with a warning that it may be Danish thousands. CSV files may be "
        "separated by commas, semicolons (as Excel writes them in Danish) or tabs, told apart "
        "by the header row; they must be UTF-8 (Excel: *CSV UTF-8*).",
        "",
        "## Files",
        "",
        "`park.yaml` and `catalogue.yaml` are plain YAML: anchors and aliases (`&name`, "
        f"`*name`) are refused, and so is nesting deeper than {MAX_DEPTH} levels (in JSON "
        "too). The files of a park folder may link only to files inside the folder. A "
        "workbook is read row by row whatever size its sheets claim to have, and every "
        "formula needs the value Excel saved with it: a workbook written by another program "
        "may have none, so open and save it in Excel first.",
        "",
        "## JSON documents and parks in memory",
        "",
        "A JSON park is one object: `park` holds the keys of `park.yaml`, every other table "
        "is a list of records (one object per row, its fields the columns) and `catalogue` "
        "holds the park's `catalogue.yaml`. A field holds one value: text, a number, true or "
        "false; `null` or a field left out is an empty cell, and a list or an object there is "
        "an error. `NaN` and `Infinity` are refused where they stand.",
        "",
        "From Python the same document is read without a file, and without writing one: "
        "`load_park(document)` takes it as a dict (`Park.to_document()` gives it, and reads "
        "back losslessly) or as UTF-8 bytes, and `park_from_document(text)` takes JSON text "
        "too (a str given to `load_park` is always a path). A dict is read exactly as the JSON "
        "file it stands for: the same checks, warnings and catalogue.",
        "",
        "Problems in a file are located as `file:row:column`: the line of a CSV file "
        "(`actors.csv:5:nace`), the row of a sheet (`park.xlsx[actors]:5:nace`) or the "
        "number of a record in a JSON file, counted from 1 (`park.json#actors:4:nace`). In a "
        "document in memory they are located by path, records counted from 0 as in JSON "
        "and Python: `actors[3].nace`, `park.year`, `catalogue.resources.steam.unit`, "
        "`plants` (a table the format does not have). `Problem.to_dict()` gives that "
        "`location`, and for a file also `file`, `row` and `column`.",
        "",
        "## Units",
        "",
        "Besides any unit pint reads, these spellings are read as meant; `ton` and `tons` "
        "are the metric tonne, never the US short ton. A year is 365 days.",
        "",
        "| unit | accepted spellings |",
        "|---|---|",
    ]
    lines += [
        f"| {unit} | {', '.join(f'`{s}`' for s in spellings)} |"
        for unit, spellings in ACCEPTED.items()
    ]
    lines += ["", "Refused as ambiguous:", ""]
    lines += [f"- `{word}`: {why}" for word, why in AMBIGUOUS.items()]
    lines += [
        "",
        "## Temperatures",
        "",
        "A stream's `temperature_c` must fit its resource; outside these ranges the stream "
        "is another resource, and the error names the one that fits.",
        "",
        "| resource | temperature | basis |",
        "|---|---|---|",
    ]
    lines += [f"| `{r.resource}` | {r.text} | {r.basis} |" for r in temperature_ranges().values()]
    return "\n".join(lines) + "\n"


def write_docs(folder: str = "docs") -> None:
    """Write ``park-format.md`` and ``park.schema.json`` into ``folder``."""
    out = Path(folder)
    (out / "park-format.md").write_text(markdown(), encoding="utf-8")
    (out / "park.schema.json").write_text(
        json.dumps(json_schema(), indent=2) + "\n", encoding="utf-8"
    )


__all__ = [
    "MAX_DEPTH",
    "NACE_PATTERN",
    "TYPES",
    "Column",
    "Table",
    "TemperatureRange",
    "json_schema",
    "markdown",
    "tables",
    "temperature_ranges",
    "write_docs",
]
