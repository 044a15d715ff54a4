"""End-to-end fuzzing: corrupted parks and workbooks run through every command.

A case is a small valid park (tables of cells, ``park.yaml`` and an optional catalogue), one to
three mutations of kinds users make, rendered as a folder, an .xlsx workbook or a .json file.
Each command runs in-process through ``main()`` and its outcome is classified: ``ok`` (exit 0),
``error`` (a clear message, exit 1 or 2), ``traceback`` (any other exception), ``partial`` (a
written output that is not whole, or leftovers), ``destructive`` (a user's file or the input
changed) and ``silent`` (``check`` accepted without a word an input it must refuse or flag).

``tests/test_fuzz_commands.py`` asserts on it; ``benchmarks/fuzz_report.py`` prints its figures.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import hashlib
import io
import json
import math
import re
import sys
import tempfile
import time
import traceback
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TINY

FORMATS = ("folder", "xlsx", "json")
SUFFIX = {"folder": "", "xlsx": ".xlsx", "json": ".json"}

SMALL = {
    "park.yaml": (
        "name: Small park\ncountry: DK\nyear: 2023\ncurrency: EUR\nco2_price: 50\n"
        "discount_rate: 0.05\n"
    ),
    "actors.csv": (
        "id,name,kind,nace\n"
        "plant,Power plant,utility,35.11\ndairy,Dairy,company,10.51\n"
        "town,Town utility,municipality,36.00\n"
    ),
    "sites.csv": (
        "id,actor,name,lat,lon,port\n"
        "ps,plant,Power station,55.66,11.08,true\ndy,dairy,Dairy site,55.67,11.07,false\n"
        "tw,town,Waterworks,55.68,11.09,false\n"
    ),
    "streams.csv": (
        "id,site,direction,resource,quantity,unit,temperature_c,target_temp_c,ppm_cod,profile,"
        "fate,source,price,name\n"
        "heat,ps,supply,low_temp_heat,20,GWh/yr,60,30,,winter,cooling,,,Condenser heat\n"
        "dh,tw,demand,district_heat,15,GWh/yr,70,40,,winter,,natural_gas_boiler,,Town heat\n"
        "ww,dy,supply,industrial_wastewater,50000,m3/yr,25,,800,,discharge,,,Wash water\n"
        "cw,ps,demand,groundwater,80000,m3/yr,,,100,,,groundwater,,Cooling water\n"
        "lake,tw,supply,surface_water,90000,m3/yr,,,20,,,,,Lake water\n"
        "steam,ps,supply,steam_lp,5,GWh/yr,150,,,,,,,Spare steam\n"
        "dsteam,dy,demand,steam_lp,4,GWh/yr,150,,,,,natural_gas_boiler,,Dairy steam\n"
    ),
    "exchanges.csv": (
        "id,supply,demand,quantity,unit,mode,status,start_year,distance_km\n"
        "x1,steam,dsteam,3,GWh/yr,pipeline,operating,2015,1.5\n"
        "x2,lake,cw,60000,m3/yr,pipeline,operating,2018,\n"
    ),
    "technologies.csv": (
        "id,site,name,kind,input,output,efficiency,input2,ratio2,capacity,capacity_unit,status\n"
        "hp,tw,Heat pump,heat_pump,electricity,district_heat,3.3,low_temp_heat,2.3,2,MW,candidate\n"
    ),
    "profiles.csv": "period,winter\n"
    + "".join(f"{m},{w}\n" for m, w in enumerate([16, 14, 12, 8, 5, 3, 2, 2, 5, 9, 11, 13], 1)),
}
BASES = {"tiny": TINY, "small": SMALL}

# Columns by kind, for mutations that must land where they mean something.
NUMERIC = {
    "streams": ["quantity", "temperature_c", "target_temp_c", "ppm_cod", "price"],
    "exchanges": ["quantity", "start_year", "distance_km"],
    "sites": ["lat", "lon"],
    "technologies": ["efficiency", "ratio2", "capacity"],
    "profiles": ["winter"],
}
REFERENCES = {
    "sites": ["actor"],
    "streams": ["site", "profile"],
    "exchanges": ["supply", "demand"],
    "technologies": ["site"],
}
UNITS = {"streams": ["unit"], "exchanges": ["unit"], "technologies": ["capacity_unit"]}
TEXT = {"actors": ["name"], "sites": ["name"], "streams": ["name"], "technologies": ["name"]}
META_NUMBERS = ["year", "co2_price", "discount_rate"]

WRONG_TYPES = ["maybe", "12abc", "[1, 2]", "{a: 1}", "0x1F", "1/2", "yes please"]
HUGE = ["1e308", "1.7976931348623157e308", "1e400", "9" * 400, "1e-320"]
NEGATIVE = ["-1", "-1e9", "-0.0", "-273.16", "-1e308"]
NAN_INF = ["nan", "NaN", "inf", "-inf", "Infinity", ".nan", ".inf"]
DANISH = ["65.000", "1.500,5", "2,5", "1.234.567", "12.500"]
WRONG_UNITS = ["wombats", "kWh", "t", "m3", "MW", "ton", "tons", "short_ton", "kg/s/s", "°C", ""]
CONTROL = ["\x00", "\x1b[31mred\x1b[0m", "\r", "\x07", "\u202e", "\x0b", "\ufeff", "\udcff"]
FORMULAS = ["=1+2", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", '=HYPERLINK("http://x")']
LATIN1_NAMES = ["Ålborg Fjernvarme", "Nørre Ærø", "Skærbæk Værk"]


@dataclass
class Case:
    """A park to render: tables as rows of cells (header first), meta, catalogue, mutations."""

    base: str
    fmt: str
    tables: dict[str, list[list[Any]]]
    meta: Any
    catalogue: Any = None
    mutations: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)  # mutations check must refuse or warn of
    post: list[tuple[str, Any]] = field(default_factory=list)  # byte-level edits of the output
    target: str = "absent"  # state of the output target of writing commands
    commands: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return f"{self.base}/{self.fmt} {'+'.join(self.mutations)} -> {', '.join(self.commands)}"


def _rows(text: str) -> list[list[Any]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def base_case(base: str, fmt: str) -> Case:
    files = BASES[base]
    tables = {name[:-4]: _rows(text) for name, text in files.items() if name.endswith(".csv")}
    catalogue = None
    if base == "small":
        catalogue = {
            "version": "small-park",
            "references": {"own": {"title": "Own measurements", "year": 2023}},
            "resources": {
                "whey": {
                    "name": "Whey",
                    "class": "material",
                    "group": "organic residue",
                    "unit": "t",
                    "synonyms": ["acid whey"],
                }
            },
        }
    return Case(base, fmt, tables, yaml.safe_load(files["park.yaml"]), catalogue)


# --- mutations -----------------------------------------------------------------------------


def _cell_target(draw: st.DrawFn, case: Case, columns: dict[str, list[str]]) -> tuple | None:
    """A (table, row, column index) whose column is one of ``columns`` and has a data row."""
    options = [
        (table, name)
        for table, names in columns.items()
        for name in names
        if table in case.tables and len(case.tables[table]) > 1 and name in case.tables[table][0]
    ]
    if not options:
        return None
    table, name = draw(st.sampled_from(options))
    rows = case.tables[table]
    return table, draw(st.integers(1, len(rows) - 1)), rows[0].index(name)


def _set(draw: st.DrawFn, case: Case, columns: dict[str, list[str]], values: list[Any]) -> Any:
    """Set a cell of one of ``columns`` to one of ``values``; the value set, None if none."""
    target = _cell_target(draw, case, columns)
    if target is None:
        return None
    table, row, column = target
    line = case.tables[table][row]
    if column >= len(line):
        return None
    line[column] = draw(st.sampled_from(values))
    return line[column]


def _flag(case: Case, name: str, applied: Any, flag: bool = True) -> bool:
    """Note a mutation applied; ``flag``: check must refuse the park or warn of it."""
    if applied is None or applied is False:
        return False
    case.mutations.append(name)
    if flag:
        case.flagged.append(f"{name} {applied!r}" if isinstance(applied, str) else name)
    return True


def _yaml_scalar(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _in_meta(draw: st.DrawFn, case: Case) -> bool:
    return isinstance(case.meta, dict) and draw(st.integers(0, 4)) == 0


def m_wrong_type(draw: st.DrawFn, case: Case) -> bool:
    if case.fmt == "json" and draw(st.booleans()):
        return _flag(
            case,
            "wrong_type",
            _set(draw, case, {**NUMERIC, **REFERENCES}, [[1, 2], {"a": 1}, "12abc"]),
        )
    values = _set(draw, case, {**NUMERIC, "sites": ["port"]}, WRONG_TYPES)
    return _flag(case, "wrong_type", values)


def m_huge_number(draw: st.DrawFn, case: Case) -> bool:
    if _in_meta(draw, case):
        case.meta[draw(st.sampled_from(META_NUMBERS))] = _yaml_scalar(draw(st.sampled_from(HUGE)))
        return _flag(case, "huge_number", True, flag=False)
    return _flag(case, "huge_number", _set(draw, case, NUMERIC, HUGE), flag=False)


def m_negative_number(draw: st.DrawFn, case: Case) -> bool:
    return _flag(case, "negative_number", _set(draw, case, NUMERIC, NEGATIVE), flag=False)


def m_nan_number(draw: st.DrawFn, case: Case) -> bool:
    if _in_meta(draw, case):
        bad = float(draw(st.sampled_from(["nan", "inf"])))
        if draw(st.booleans()):
            case.meta["prices"] = {"electricity": {"value": bad, "unit": "EUR/MWh", "ref": "own"}}
        else:
            case.meta[draw(st.sampled_from(["co2_price", "discount_rate"]))] = bad
        return _flag(case, "nan_number", True)
    quantity = {t: ["quantity"] for t in ("streams", "exchanges")}
    if draw(st.booleans()):
        return _flag(case, "nan_number", _set(draw, case, quantity, NAN_INF))
    return _flag(case, "nan_number", _set(draw, case, NUMERIC, NAN_INF), flag=False)


def m_danish_number(draw: st.DrawFn, case: Case) -> bool:
    quantity = {t: ["quantity"] for t in ("streams", "exchanges")}
    return _flag(case, "danish_number", _set(draw, case, quantity, DANISH))


def m_wrong_unit(draw: st.DrawFn, case: Case) -> bool:
    unit = _set(draw, case, UNITS, WRONG_UNITS)
    return _flag(case, "wrong_unit", unit, flag=unit in {"wombats", "kg/s/s", "°C"})


def m_missing_column(draw: st.DrawFn, case: Case) -> bool:
    table = draw(st.sampled_from(sorted(case.tables)))
    rows = case.tables[table]
    column = draw(st.integers(0, len(rows[0]) - 1))
    case.tables[table] = [r[:column] + r[column + 1 :] for r in rows]
    return _flag(case, "missing_column", True, flag=False)


def m_extra_column(draw: st.DrawFn, case: Case) -> bool:
    table = draw(st.sampled_from(sorted(case.tables)))
    name = draw(st.sampled_from(["extra", "Quantity", "id", "notes ", "ppm_", "colour"]))
    value = draw(st.sampled_from(["x", "1", "", "=1+1"]))
    case.tables[table] = [[*case.tables[table][0], name]] + [
        [*r, value] for r in case.tables[table][1:]
    ]
    return _flag(case, "extra_column", True, flag=False)


def m_duplicate_id(draw: st.DrawFn, case: Case) -> bool:
    tables = [
        t for t in ("actors", "sites", "streams", "exchanges") if len(case.tables.get(t, [])) > 1
    ]
    if not tables:
        return False
    rows = case.tables[draw(st.sampled_from(tables))]
    row = draw(st.integers(1, len(rows) - 1))
    rows.insert(row, list(rows[row]))
    return _flag(case, "duplicate_id", True)


def m_dangling_reference(draw: st.DrawFn, case: Case) -> bool:
    return _flag(case, "dangling_reference", _set(draw, case, REFERENCES, ["nowhere", "ghost"]))


def m_empty_table(draw: st.DrawFn, case: Case) -> bool:
    table = draw(st.sampled_from(sorted(case.tables)))
    case.tables[table] = case.tables[table][:1]
    return _flag(case, "empty_table", True, flag=False)


def m_no_supply(draw: st.DrawFn, case: Case) -> bool:
    """Streams of one direction only, and no exchanges."""
    rows = case.tables.get("streams")
    if not rows or "direction" not in rows[0]:
        return False
    direction = rows[0].index("direction")
    keep = draw(st.sampled_from(["supply", "demand"]))
    case.tables["streams"] = [rows[0], *(r for r in rows[1:] if r[direction] == keep)]
    case.tables.pop("exchanges", None)
    return _flag(case, "no_supply", True, flag=False)


def m_missing_table(draw: st.DrawFn, case: Case) -> bool:
    del case.tables[draw(st.sampled_from(sorted(case.tables)))]
    return _flag(case, "missing_table", True, flag=False)


def m_control_characters(draw: st.DrawFn, case: Case) -> bool:
    char = draw(st.sampled_from(CONTROL))
    target = _cell_target(draw, case, {**TEXT, "actors": ["name", "id"]})
    if target is None:
        return False
    table, row, column = target
    line = case.tables[table][row]
    if column >= len(line):
        return False
    line[column] = f"{line[column]}{char}x"
    return _flag(case, "control_characters", True, flag=False)


def m_formula_text(draw: st.DrawFn, case: Case) -> bool:
    if _in_meta(draw, case):
        case.meta["name"] = draw(st.sampled_from(FORMULAS))
        return _flag(case, "formula_text", True, flag=False)
    text = _set(draw, case, {**TEXT, "actors": ["name", "id"]}, FORMULAS)
    return _flag(case, "formula_text", text, flag=False)


def m_latin1_bytes(draw: st.DrawFn, case: Case) -> bool:
    name = draw(st.sampled_from(LATIN1_NAMES))
    if case.fmt == "xlsx":  # a workbook stores unicode: only the names change
        actors = case.tables.get("actors")
        if not actors or len(actors) < 2 or "name" not in actors[0]:
            return False
        actors[1][actors[0].index("name")] = name
    else:
        if isinstance(case.meta, dict):
            case.meta["name"] = name
        case.post.append(("latin1", draw(st.sampled_from(["park.yaml", "actors.csv"]))))
    return _flag(case, "latin1_bytes", True, flag=False)


def m_deep_nesting(draw: st.DrawFn, case: Case) -> bool:
    depth = draw(st.sampled_from([100, 3_000, 20_000]))
    if case.fmt == "json":
        if any(kind == "deep_json" for kind, _ in case.post):
            return False
        case.post.append(("deep_json", depth))
    elif isinstance(case.meta, dict):
        case.meta["prices"] = "[" * depth + "]" * depth  # written as YAML flow text
        case.post.append(("raw_meta_key", "prices"))
    else:
        return False
    return _flag(case, "deep_nesting", True, flag=False)


def m_alias_bomb(draw: st.DrawFn, case: Case) -> bool:
    levels = draw(st.integers(2, 5))
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * 10) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    bomb = "\n".join(lines) + f"\nlast: *a{levels}\n"
    case.post.append((draw(st.sampled_from(["bomb_meta", "bomb_catalogue"])), bomb))
    return _flag(case, "alias_bomb", True, flag=False)


def m_implausible(draw: st.DrawFn, case: Case) -> bool:
    kind = draw(st.sampled_from(["end_before_start", "below_zero_k", "hot_low_temp", "id_clash"]))
    streams, exchanges = case.tables.get("streams", []), case.tables.get("exchanges", [])
    if kind == "end_before_start":
        if len(exchanges) < 2:
            return False
        header = exchanges[0]
        header.extend(c for c in ("start_year", "end_year") if c not in header)
        for row in exchanges[1:]:
            row.extend([""] * (len(header) - len(row)))
            row[header.index("start_year")], row[header.index("end_year")] = "2020", "2010"
        return _flag(case, "implausible", True)
    if kind == "below_zero_k":
        columns = {"streams": ["temperature_c", "target_temp_c"]}
        return _flag(case, "implausible", _set(draw, case, columns, ["-300", "-1e9"]))
    if kind == "hot_low_temp":
        if not streams or "temperature_c" not in streams[0]:
            return False
        hits = [r for r in streams[1:] if "low_temp_heat" in r]
        if not hits:
            return False
        hits[0][streams[0].index("temperature_c")] = "250"
        return _flag(case, "implausible", True)
    actors = case.tables.get("actors", [])
    if (
        len(actors) < 2
        or len(exchanges) < 2
        or exchanges[0][:1] != ["id"]
        or actors[0][:1] != ["id"]
    ):
        return False
    exchanges[1][0] = actors[1][0]
    return _flag(case, "implausible", True)


def m_stale_dimension(draw: st.DrawFn, case: Case) -> bool:
    case.post.append(("dimension", draw(st.sampled_from(["A1:B2", "A1:Z2", "A1:XFD1048576"]))))
    return _flag(case, "stale_dimension", True, flag=False)


def m_malformed_catalogue(draw: st.DrawFn, case: Case) -> bool:
    kinds = ["misspelt", "not_mapping", "nan_factor"] + (
        ["garbage"] if case.fmt == "folder" else []
    )
    kind = draw(st.sampled_from(kinds))
    catalogue = case.catalogue if isinstance(case.catalogue, dict) else {"version": "own"}
    resource = {"name": "Whey", "class": "material", "group": "organic residue", "unit": "t"}
    if kind == "misspelt":
        catalogue["resorces"] = {"whey": resource}
    elif kind == "not_mapping":
        catalogue = ["whey", "milk"]
    elif kind == "nan_factor":
        resource["emission_factor"] = {"value": float("nan"), "unit": "t/t", "ref": "own"}
        catalogue.setdefault("resources", {})["whey"] = resource
    else:
        case.post.append(("catalogue_text", "resources: {whey: [unclosed\n"))
    case.catalogue = catalogue
    return _flag(case, "malformed_catalogue", True)


def m_semicolon_csv(draw: st.DrawFn, case: Case) -> bool:
    case.post.append(("semicolon", draw(st.sampled_from(sorted(case.tables)))))
    return _flag(case, "semicolon_csv", True, flag=False)


def m_truncated_file(draw: st.DrawFn, case: Case) -> bool:
    case.post.append(("truncate", draw(st.floats(0.0, 0.99))))
    return _flag(case, "truncated_file", True, flag=False)


def m_garbage(draw: st.DrawFn, case: Case) -> bool:
    case.post.append(("garbage", draw(st.binary(max_size=60))))
    return _flag(case, "garbage", True, flag=False)


def m_blank_required(draw: st.DrawFn, case: Case) -> bool:
    required = {"actors": ["id", "name"], "sites": ["actor", "lat"], "streams": ["resource"]}
    blank = _set(draw, case, {**required, "exchanges": ["supply", "quantity"]}, ["", "  "])
    return _flag(case, "blank_required", blank)


Mutation = Callable[[st.DrawFn, Case], bool]
MUTATIONS: dict[str, tuple[Mutation, tuple[str, ...]]] = {
    # name: (mutation, formats it applies to)
    "wrong_type": (m_wrong_type, FORMATS),
    "huge_number": (m_huge_number, FORMATS),
    "negative_number": (m_negative_number, FORMATS),
    "nan_number": (m_nan_number, FORMATS),
    "danish_number": (m_danish_number, FORMATS),
    "wrong_unit": (m_wrong_unit, FORMATS),
    "missing_column": (m_missing_column, FORMATS),
    "extra_column": (m_extra_column, FORMATS),
    "duplicate_id": (m_duplicate_id, FORMATS),
    "dangling_reference": (m_dangling_reference, FORMATS),
    "empty_table": (m_empty_table, FORMATS),
    "no_supply": (m_no_supply, FORMATS),
    "missing_table": (m_missing_table, FORMATS),
    "control_characters": (m_control_characters, FORMATS),
    "formula_text": (m_formula_text, FORMATS),
    "latin1_bytes": (m_latin1_bytes, FORMATS),
    "deep_nesting": (m_deep_nesting, FORMATS),
    "alias_bomb": (m_alias_bomb, ("folder",)),
    "implausible": (m_implausible, FORMATS),
    "stale_dimension": (m_stale_dimension, ("xlsx",)),
    "malformed_catalogue": (m_malformed_catalogue, FORMATS),
    "semicolon_csv": (m_semicolon_csv, ("folder",)),
    "truncated_file": (m_truncated_file, FORMATS),
    "garbage": (m_garbage, FORMATS),
    "blank_required": (m_blank_required, FORMATS),
}


REMOVING = {"missing_table", "empty_table", "no_supply", "missing_column"}
FLAGGING = {
    "wrong_type",
    "nan_number",
    "danish_number",
    "wrong_unit",
    "duplicate_id",
    "dangling_reference",
    "implausible",
    "malformed_catalogue",
    "blank_required",
}


def _order(name: str) -> int:
    """Rows and columns removed first, cells that check must flag set last: no later mutation
    undoes what check is expected to flag."""
    return 0 if name in REMOVING else 2 if name in FLAGGING else 1


# --- rendering -----------------------------------------------------------------------------


def _as_number(cell: Any) -> Any:
    """A cell as a spreadsheet or JSON would hold it: numbers as numbers, Danish forms as the
    text a Danish export holds."""
    if (
        not isinstance(cell, str)
        or cell in DANISH
        or not re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", cell)
    ):
        return cell
    number = float(cell)
    return (
        int(number)
        if number.is_integer() and "." not in cell and "e" not in cell.lower()
        else number
    )


def _csv_text(rows: list[list[Any]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(
        [["" if c is None else str(c) for c in r] for r in rows]
    )
    return out.getvalue()


def _meta_text(case: Case) -> str:
    if not isinstance(case.meta, dict) or ("raw_meta_key", "prices") not in case.post:
        return yaml.safe_dump(case.meta, sort_keys=False, allow_unicode=True)
    meta = {k: v for k, v in case.meta.items() if k != "prices"}
    return (
        yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
        + f"prices: {case.meta['prices']}\n"
    )


def _write(path: Path, text: str) -> None:
    """Write text as UTF-8; a lone surrogate becomes the invalid byte it stands for."""
    path.write_bytes(text.encode("utf-8", "surrogateescape"))


def render(case: Case, folder: Path) -> Path:
    """Write the case as a park in ``folder``; return the path to give the commands."""
    path = folder / f"park{SUFFIX[case.fmt]}"
    if case.fmt == "folder":
        path.mkdir()
        _write(path / "park.yaml", _meta_text(case))
        for name, rows in case.tables.items():
            _write(path / f"{name}.csv", _csv_text(rows))
        if case.catalogue is not None:
            (path / "catalogue.yaml").write_text(yaml.safe_dump(case.catalogue), encoding="utf-8")
    elif case.fmt == "json":
        document: dict[str, Any] = {"park": case.meta}
        for name, rows in case.tables.items():
            header = [str(h) for h in rows[0]]
            document[name] = [
                {h: _as_number(c) for h, c in zip(header, r, strict=False) if c != ""}
                for r in rows[1:]
            ]
        if case.catalogue is not None:
            document["catalogue"] = case.catalogue
        _write(path, json.dumps(document, ensure_ascii=False))
    else:
        _write_workbook(case, path)
    for kind, value in sorted(case.post, key=lambda edit: edit[0] in {"truncate", "garbage"}):
        _post(kind, value, path, case)
    return path


def _excel_cell(cell: Any) -> Any:
    """A cell as Excel would hold it: numbers it can store as numbers, the rest as text."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = _as_number(cell)
    if (isinstance(value, int) and abs(value) < 10**15) or (
        isinstance(value, float) and math.isfinite(value)
    ):
        return value
    text = "" if value is None else str(cell)
    return ILLEGAL_CHARACTERS_RE.sub("", text.encode("utf-8", "replace").decode("utf-8"))


def _write_workbook(case: Case, path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "park"
    sheet.append(["key", "value"])
    if isinstance(case.meta, dict):
        for key, value in case.meta.items():
            mapping = isinstance(value, dict | list)
            text = yaml.safe_dump(value, default_flow_style=True).strip() if mapping else value
            sheet.append([key, _excel_cell(text)])
    for name, rows in case.tables.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append([_excel_cell(c) for c in row])
    if case.catalogue is not None:
        book.create_sheet("catalogue").append([yaml.safe_dump(case.catalogue)])
    book.save(path)


def _post(kind: str, value: Any, path: Path, case: Case) -> None:
    """Byte-level damage after rendering."""
    if kind == "latin1" and case.fmt == "folder":
        file = path / value
        if file.exists():
            text = file.read_bytes().decode("utf-8", "surrogateescape")
            if value == "actors.csv":
                text = text.replace("Power plant", LATIN1_NAMES[1]).replace(
                    "Board plant", LATIN1_NAMES[2]
                )
            file.write_bytes(text.encode("latin-1", "replace"))
    elif kind == "latin1" and case.fmt == "json":
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        path.write_bytes(text.encode("latin-1", "replace"))
    elif kind == "deep_json":
        document = json.loads(path.read_bytes().decode("utf-8", "surrogateescape"))
        document["park"]["prices"] = "DEEP"
        _write(path, json.dumps(document).replace('"DEEP"', "[" * value + "]" * value))
    elif kind == "bomb_meta" and case.fmt == "folder":
        with (path / "park.yaml").open("a", encoding="utf-8") as meta:
            meta.write("transport:\n" + "".join(f"  {line}\n" for line in value.splitlines()))
    elif kind in {"bomb_catalogue", "catalogue_text"} and case.fmt == "folder":
        _write(path / "catalogue.yaml", value)
    elif kind == "dimension":
        _stale_dimension(path, value)
    elif kind == "semicolon" and case.fmt == "folder":
        rows = case.tables.get(value)
        if rows is not None:
            danish = [[str(c).replace(".", ",") for c in r] for r in rows]
            _write(path / f"{value}.csv", _csv_text(danish, ";"))
    elif kind == "truncate":
        file = _a_file(path, value)
        data = file.read_bytes()
        file.write_bytes(data[: int(len(data) * value)])
    elif kind == "garbage":
        _a_file(path, len(value) / 61).write_bytes(value)


def _a_file(path: Path, fraction: float) -> Path:
    if path.is_file():
        return path
    files = sorted(path.iterdir())
    return files[min(int(fraction * len(files)), len(files) - 1)]


def _stale_dimension(path: Path, ref: str) -> None:
    """Rewrite the stored dimension record of every table sheet of a workbook."""
    with zipfile.ZipFile(path) as book:
        entries = [(info, book.read(info)) for info in book.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for info, data in entries:
            if (
                info.filename.startswith("xl/worksheets/sheet")
                and info.filename != "xl/worksheets/sheet1.xml"
            ):
                data = re.sub(
                    rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), data
                )
            book.writestr(info, data)


# --- strategies ----------------------------------------------------------------------------

COMMANDS = {
    # name: (arguments, output written: None, "folder", "xlsx", "json", "csv" or "report")
    "check": (["check", "{park}"], None),
    "show": (["show", "{park}"], None),
    "show --json": (["show", "{park}", "--json"], None),
    "convert folder": (["convert", "{park}", "{out}"], "folder"),
    "convert folder --force": (["convert", "{park}", "{out}", "--force"], "folder"),
    "convert xlsx": (["convert", "{park}", "{out}.xlsx"], "xlsx"),
    "convert json": (["convert", "{park}", "{out}.json"], "json"),
    "discover": (["discover", "{park}"], None),
    "discover --screen": (["discover", "{park}", "--screen"], None),
    "discover --csv": (["discover", "{park}", "--csv", "{out}.csv"], "csv"),
    "impact": (["impact", "{park}"], None),
    "impact --json": (
        ["impact", "{park}", "--json", "--status", "operating", "--status", "idea"],
        None,
    ),
    "target site": (["target", "site", "{park}"], None),
    "share": (["share", "{park}"], None),
    "stress": (["stress", "{park}", "--all-single"], None),
    "design": (["design", "{park}", "--time-limit", "20"], None),
    "report": (["report", "{park}", "--out", "{out}"], "report"),
}
COSTLY = ("share", "stress", "design", "report")
CHEAP = tuple(name for name in COMMANDS if name not in COSTLY)
TARGETS = ("absent", "user_folder", "under_a_file", "a_park", "the_input")


@st.composite
def cases(draw: st.DrawFn, fmt: str) -> Case:
    """A corrupted park in format ``fmt``, with the commands to run on it."""
    case = base_case(draw(st.sampled_from(sorted(BASES))), fmt)
    kinds = [name for name, (_, formats) in MUTATIONS.items() if fmt in formats]
    names = [draw(st.sampled_from(kinds)) for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3])))]
    for name in sorted(names, key=_order):
        MUTATIONS[name][0](draw, case)
    # one cheap command; check where it must refuse or flag; one case in eight a costly one
    case.commands = [draw(st.sampled_from(CHEAP))]
    if (case.flagged or "stale_dimension" in case.mutations) and case.commands != ["check"]:
        case.commands.insert(0, "check")
    if draw(st.integers(0, 7)) == 0:
        case.commands.append(draw(st.sampled_from(COSTLY)))
    case.target = draw(st.sampled_from(TARGETS))
    return case


# --- running -------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one command did with one case."""

    command: str
    kind: str  # ok, error, traceback, partial, destructive, silent
    exit: int | str
    detail: str = ""
    seconds: float = 0.0


def invoke(args: list[str], cwd: Path | None = None) -> tuple[int | str, str, str]:
    """Run ``symbionet ARGS`` in-process: (exit code or exception name, output, traceback)."""
    from symbionet.present.cli import main

    out = io.StringIO()
    argv, code, trace = sys.argv, 0, ""
    sys.argv = ["symbionet", *args]
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(out),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("error")  # as under pytest: a warning is a failure
            main()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException as error:  # a traceback is what is measured
        if isinstance(error, KeyboardInterrupt):
            raise
        code, trace = type(error).__name__, traceback.format_exc()
    finally:
        sys.argv = argv
    return code, out.getvalue(), trace


def _digest(path: Path) -> str:
    """A hash of a file or of every file under a folder."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    hashed = hashlib.sha256()
    for file in files:
        hashed.update(str(file.relative_to(path.parent)).encode())
        hashed.update(file.read_bytes())
    return hashed.hexdigest()


def _whole(kind: str, target: Path) -> str:
    """'' when the written ``target`` is whole, else what is wrong with it."""
    if kind in {"folder", "xlsx", "json"}:
        from symbionet import SymbionetError, load_park

        try:
            load_park(target)
        except SymbionetError as error:
            return f"written park does not load: {error.problems[0]}"
        except Exception as error:
            return f"written park does not load: {type(error).__name__}: {error}"
        return ""
    if kind == "csv":
        text = target.read_bytes().decode("utf-8", "surrogateescape")
        if not text.endswith("\n") or len(list(csv.reader(io.StringIO(text)))) < 1:
            return "CSV truncated"
        return ""
    html = target / "report.html"
    if not html.exists():
        return "report folder without report.html"
    if not html.read_bytes().decode("utf-8", "surrogateescape").rstrip().endswith("</html>"):
        return "report.html truncated"
    return ""


def _prepare_target(state: str, scratch: Path, park: Path, kind: str) -> str:
    """The output path for a writing command, set up in ``state``; suffix added by COMMANDS."""
    out = scratch / "out"
    if state == "under_a_file":
        (scratch / "afile").write_text("not a folder\n", encoding="utf-8")
        return str(scratch / "afile" / "out")
    if state == "user_folder" and kind in {"folder", "report"}:
        out.mkdir()
        (out / "notes.txt").write_text("the user's own notes\n", encoding="utf-8")
    if state == "a_park" and kind in SUFFIX:
        existing = render(base_case("tiny", kind), _mkdir(scratch / "existing"))
        existing.rename(out.with_name(out.name + SUFFIX[kind]))
    if state == "the_input" and kind in SUFFIX:
        return str(park.with_suffix(""))
    return str(out)


def run_command(name: str, case: Case, park: Path, scratch: Path) -> Outcome:
    """Run one command on a rendered case and classify what it did, timed."""
    start = time.perf_counter()
    outcome = _classify(name, case, park, scratch)
    outcome.seconds = time.perf_counter() - start
    return outcome


def _classify(name: str, case: Case, park: Path, scratch: Path) -> Outcome:
    args, writes = COMMANDS[name]
    out = _prepare_target(case.target, scratch, park, writes or "")
    arguments = [a.format(park=park, out=out) for a in args]
    target = next((a.format(out=out) for a in args if "{out}" in a), "")
    written = Path(out if writes == "report" else target)
    before = _digest(park)
    target_before = _digest(written) if writes and written.exists() else None
    code, output, trace = invoke(arguments)
    if trace or "Traceback (most recent call last)" in output:
        return Outcome(name, "traceback", code, trace or output)
    if not park.exists() or _digest(park) != before:
        return Outcome(name, "destructive", code, "the input park changed")
    notes = scratch / "out" / "notes.txt"
    if case.target == "user_folder" and writes in {"folder", "report"} and not notes.exists():
        return Outcome(name, "destructive", code, "a file in the target folder was deleted")
    overwritten = target_before is not None and writes in SUFFIX and "--force" not in args
    if overwritten and (not written.exists() or _digest(written) != target_before):
        return Outcome(name, "destructive", code, "a park overwritten without --force")
    leftovers = [
        p.name
        for p in (scratch, park.parent, scratch / "out")
        if p.is_dir()
        for p in p.iterdir()
        if p.name.startswith(".symbionet-")
    ]
    if leftovers:
        return Outcome(name, "partial", code, f"leftovers {leftovers}")
    if writes:
        exists = written.exists() if writes != "report" else (written / "report.html").exists()
        if exists and (target_before is None or _digest(written) != target_before):
            problem = _whole(writes, written)
            if problem:
                return Outcome(name, "partial", code, problem)
        elif not exists and code == 0:
            return Outcome(name, "partial", code, "exit 0 but nothing written")
    if code not in (0, 1, 2) or (code != 0 and not output.strip()):
        return Outcome(name, "traceback", code, f"exit {code} with output {output[-300:]!r}")
    if code != 0:
        return Outcome(name, "error", code, output.strip().splitlines()[0][:200])
    if name == "check" and case.flagged and "warning" not in output.lower():
        return Outcome(name, "silent", code, f"accepted without a word: {', '.join(case.flagged)}")
    if name == "check" and "stale_dimension" in case.mutations and not _full_counts(case, output):
        return Outcome(name, "silent", code, f"rows dropped: {output.strip()[:200]}")
    return Outcome(name, "ok", code)


def _full_counts(case: Case, output: str) -> bool:
    for table in ("streams", "exchanges"):
        rows = case.tables.get(table, [])
        expected = sum(1 for r in rows[1:] if any(str(c).strip() for c in r))
        if expected and f"{expected} {table}" not in output:
            return False
    return True


def run_case(case: Case) -> list[Outcome]:
    """Render a case in a scratch folder and run each of its commands there."""
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="symbionet-fuzz-") as scratch:
        root = Path(scratch)
        park = render(case, _mkdir(root / "input"))
        for name in case.commands:
            work = _mkdir(root / name.replace(" ", "_").replace("-", ""))
            outcomes.append(run_command(name, case, park, work))
    return outcomes


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def fuzz(fmt: str, examples: int, record: Callable[[Case, list[Outcome]], None]) -> None:
    """Run ``examples`` cases in format ``fmt`` (the same ones on every run) through ``record``."""

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases(fmt))
    def one(case: Case) -> None:
        record(case, run_case(copy.deepcopy(case)))

    one()
