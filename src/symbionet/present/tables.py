"""Tables a person reads, shared by the command line, the HTML report and the web pages.

Numbers never appear in scientific notation: thousands are separated and the decimals
follow the size (36,096,700; 1,234.5; 24.13; 0.0123). Headers carry their unit, read from
the column name (``co2e_t`` is ``CO2e (t/yr)`` in a yearly table). Amounts, computed in
EUR, are shown in the park's currency with the rate stated once. Tables export to CSV or
to an Excel workbook with a sheet each, written whole or not at all.
"""

from __future__ import annotations

import html
import math
import os
import re
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from symbionet import Problem, SymbionetError
from symbionet.present.output import printable
from symbionet.register.write import add_sheet, csv_text, replacing, writable, write_text
from symbionet.results import plain
from symbionet.units import CURRENCY_RATES, convert

if TYPE_CHECKING:
    from symbionet import Park

DECIMALS = ((10_000.0, 0), (100.0, 1), (1.0, 2))
"""Decimals shown from each size up; below 1, three significant digits."""
SMALLEST_DECIMALS = 6
"""Most decimals shown: a number smaller than half a millionth shows as 0."""

UNITS: dict[str, tuple[str, bool]] = {
    "t": ("t", True),
    "m3": ("m³", True),
    "mwh": ("MWh", True),
    "gj": ("GJ", True),
    "km": ("km", False),
    "pct": ("%", False),
    "s": ("s", False),
    **{code.lower(): (code, True) for code in ("EUR", *CURRENCY_RATES)},
}
"""Unit of a column by the suffix of its name, and whether it is an amount per period."""
NAMES: dict[str, tuple[str, str | None, bool]] = {
    "km": ("distance", "km", False),
    "lat": ("latitude", "°", False),
    "lon": ("longitude", "°", False),
}
"""Columns named by their whole name: label, unit, whether it is an amount per period."""
FORMATS = {"year": ".0f", "lat": ".4f", "lon": ".4f"}
"""Number formats of columns whose numbers are no amounts, by name or last word of the name."""
STOCKS = frozenset({"capex", "distance", "investment"})
"""Quantities that are not amounts per period, although their unit could be."""
WORDS = {"co2e": "CO2e", "co2": "CO2", "nace": "NACE", "ewc": "EWC", "dh": "DH"}
"""Words of column names written as people spell them."""


def number(value: float) -> str:
    """A number as a person reads it: thousands separated, decimals by size, never in
    scientific notation; NaN blank, and a number under half a millionth 0."""
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    size = abs(value)
    if size >= 1:
        decimals = next(d for bound, d in DECIMALS if size >= bound)
    elif size > 0:
        decimals = min(SMALLEST_DECIMALS, 2 - math.floor(math.log10(size)))
    else:
        decimals = 0
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _cell(value: object, spec: str | None = None) -> str:
    """A table cell as text: numbers by :func:`number` or by the format ``spec``, yes/no,
    user text made printable."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, Real) and spec is not None:
        return "" if math.isnan(float(value)) else format(value, spec)
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real):
        return number(float(value))
    return printable(str(value))


def _spec(name: object) -> str | None:
    """The number format of a column, by its name or its name's last word (``start_year``)."""
    text = str(name)
    return FORMATS.get(text, FORMATS.get(text.rpartition("_")[2]))


def _quantity(name: str) -> tuple[str, str | None, bool]:
    """Label, unit and whether it is an amount per period, from a column name."""
    if name in NAMES:
        return NAMES[name]
    stem, _, suffix = name.rpartition("_")
    if stem and suffix.lower() in UNITS:
        unit, flow = UNITS[suffix.lower()]
        return stem, unit, flow and stem not in STOCKS
    return name, None, False


def unit(name: object, period: str | None = None) -> str | None:
    """The unit of a column from its name (``co2e_t`` with period ``yr``: ``t/yr``), or None."""
    _, found, flow = _quantity(str(name))
    return f"{found}/{period}" if found and flow and period else found


def heading(name: object, period: str | None = None) -> str:
    """A column name as a header with its unit: ``co2e_t`` with period ``yr`` is
    ``CO2e (t/yr)``, ``capex_dkk`` is ``capex (DKK)``; an unknown name is shown as words."""
    text = printable(str(name))
    label = _quantity(text)[0]
    words = " ".join(WORDS.get(word.lower(), word) for word in label.split("_"))
    shown_unit = unit(text, period)
    return f"{words} ({shown_unit})" if shown_unit else words


@dataclass(frozen=True)
class Money:
    """The currency amounts are shown in: ``per_eur`` units of it per EUR, the source of
    that rate (None for EUR, the currency symbionet computes in)."""

    currency: str = "EUR"
    per_eur: float = 1.0
    source: str | None = None

    @classmethod
    def of(cls, park: Park) -> Money:
        """The park's currency, at the rate the library converts its prices with."""
        code = park.currency
        if code == "EUR":
            return cls()
        if code not in CURRENCY_RATES:
            known = ", ".join(["EUR", *CURRENCY_RATES])
            raise SymbionetError(
                [Problem("park.yaml", None, "currency", f"{code!r} has no rate: use {known}")]
            )
        # the rate to 12 significant digits, without the float noise of the conversion
        per_eur = float(f"{convert(1.0, 'EUR', code):.12g}")
        return cls(code, per_eur, CURRENCY_RATES[code][1])

    def name(self, column: str) -> str:
        """A ``*_eur`` name in this currency (``net_saving_eur`` -> ``net_saving_dkk``);
        any other name as it is."""
        return column[: -len("eur")] + self.currency.lower() if _in_eur(column) else column

    def frame(self, frame: pd.DataFrame, rows: bool = False) -> pd.DataFrame:
        """``frame`` with its numeric ``*_eur`` columns in this currency and renamed; with
        ``rows``, also its ``*_eur`` rows (a table of quantities by row)."""
        if self.currency == "EUR":
            return frame
        shown = frame.copy()
        columns = [c for c in shown.columns if _in_eur(c) and _numeric(shown[c])]
        shown[columns] = shown[columns].astype(float) * self.per_eur
        shown = shown.rename(columns={c: self.name(c) for c in columns})
        if rows:
            keys = [k for k in shown.index if _in_eur(k)]
            numeric = [c for c in shown.columns if _numeric(shown[c])]
            shown[numeric] = shown[numeric].astype(float)
            shown.loc[keys, numeric] = shown.loc[keys, numeric] * self.per_eur
            shown = shown.rename(index={k: self.name(k) for k in keys})
        return shown

    def amount(self, eur: float, period: str | None = None) -> str:
        """An amount in EUR as text in this currency: ``1,234 DKK/yr``."""
        unit = f"{self.currency}/{period}" if period else self.currency
        return f"{number(eur * self.per_eur)} {unit}"

    def note(self) -> str | None:
        """The line that states the rate, once per output; None for EUR."""
        if self.currency == "EUR":
            return None
        return f"Amounts in {self.currency} at {self.per_eur:g} {self.currency}/EUR ({self.source})"

    def to_dict(self) -> dict[str, Any]:
        """The currency block of JSON output, whose amounts stay in EUR."""
        return {"code": self.currency, "per_eur": self.per_eur, "source": self.source}


def _in_eur(name: object) -> bool:
    return isinstance(name, str) and name.endswith("_eur")


def _numeric(column: pd.Series) -> bool:
    """Whether a column holds numbers (yes/no columns do not)."""
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


@dataclass(frozen=True)
class Shown:
    """A table as a person reads it: headers with units, cells as text, which are numbers."""

    headers: list[str]
    numeric: list[bool]
    rows: list[list[str]]


def shown(
    frame: pd.DataFrame,
    index: bool = True,
    *,
    period: str | None = None,
    index_name: str | None = None,
    row_units: bool = False,
) -> Shown:
    """``frame`` as text: its index first, named (``index_name``, its own name, or ``row``)
    unless it is the plain row count; with ``row_units``, the row keys are quantity names
    labelled like headers (``co2e_t`` -> ``CO2e (t/yr)``)."""
    table = frame
    with_index = index and (index_name is not None or _has_index(frame))
    if with_index:
        names = [index_name] if index_name else [n or "row" for n in frame.index.names]
        table = frame.rename_axis(names).reset_index()
    headers = [heading(name, period) for name in table.columns]
    numeric = [_numeric(table[c]) for c in table.columns]
    specs = [_spec(name) for name in table.columns]
    rows = [
        [_cell(v, spec) for v, spec in zip(row, specs, strict=True)]
        for row in table.itertuples(index=False)
    ]
    if row_units and with_index:
        for row, key in zip(rows, table.iloc[:, 0], strict=True):
            row[0] = heading(key, period)
    return Shown(headers, numeric, rows)


def _has_index(frame: pd.DataFrame) -> bool:
    """Whether the index says something: named, or more than the row count pandas gives."""
    counting = isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0
    return any(frame.index.names) or not (counting and frame.index.step == 1)


def rich_table(
    frame: pd.DataFrame,
    title: str | None = None,
    index: bool = True,
    *,
    period: str | None = None,
    index_name: str | None = None,
    row_units: bool = False,
) -> ReadableTable:
    """A pandas table for the terminal: numbers right-aligned, headers with units (see
    :func:`shown`), nothing cut (see :class:`ReadableTable`)."""
    text = shown(frame, index, period=period, index_name=index_name, row_units=row_units)
    return ReadableTable(text, title)


TEXT_ROOM = 6
"""Characters a text column keeps at least (or its widest cell) while numbers stay whole."""


@dataclass(frozen=True)
class ReadableTable:
    """A table laid out when printed, for the width it gets. Number columns are as wide as
    their widest number (or header word) while every text column keeps ``TEXT_ROOM``
    characters, so long text folds onto more lines; on a terminal narrower still, numbers
    fold too. Nothing is ever cut short."""

    text: Shown
    title: str | None = None

    def table(self, width: int) -> Table:
        """The rich table for ``width`` characters."""
        columns = list(zip(self.text.headers, self.text.numeric, strict=True))
        widths = [
            max(len(w) for w in [*header.split(), *(row[c] for row in self.text.rows), "0"])
            for c, (header, _) in enumerate(columns)
        ]
        room = sum(
            w if numeric else min(w, TEXT_ROOM)
            for w, (_, numeric) in zip(widths, columns, strict=True)
        )
        whole = room + 3 * len(columns) + 1 <= width  # each column: 2 padding, 1 border
        table = Table(title=self.title, title_justify="left", header_style="bold")
        for (header, numeric), needed in zip(columns, widths, strict=True):
            table.add_column(
                Text(header, overflow="fold"),
                justify="right" if numeric else "left",
                overflow="fold",
                width=needed if numeric and whole else None,
            )
        for row in self.text.rows:
            table.add_row(*(Text(cell, overflow="fold") for cell in row))
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.table(options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.table(options.max_width))


def html_table(
    frame: pd.DataFrame,
    index: bool = True,
    *,
    period: str | None = None,
    index_name: str | None = None,
    row_units: bool = False,
) -> str:
    """A pandas table as an HTML table (see :func:`shown`); text cells have class ``text``."""
    return html_rows(shown(frame, index, period=period, index_name=index_name, row_units=row_units))


def html_rows(text: Shown) -> str:
    """A table shown as text, as an HTML table; text cells have class ``text``."""
    kinds = ["" if numeric else ' class="text"' for numeric in text.numeric]
    head = "".join(
        f"<th{kind}>{html.escape(h)}</th>" for h, kind in zip(text.headers, kinds, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td{kind}>{html.escape(c)}</td>" for c, kind in zip(row, kinds, strict=True))
        + "</tr>"
        for row in text.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


EXPORTS = (".csv", ".xlsx")
"""File types tables export to."""
SHEET_NAME_LIMIT = 31
"""The most characters of an Excel sheet name."""
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")


def _refuse(target: Path, message: str) -> SymbionetError:
    return SymbionetError([Problem(str(target), None, None, message)])


def check_export(
    path: Path | str, force: bool = False, suffixes: tuple[str, ...] = EXPORTS
) -> Path:
    """The absolute path of an export, after checking it: a ``.csv`` or ``.xlsx`` file, not
    a folder or a symbolic link, that can be written; a file there is replaced only with
    ``force``."""
    target = Path(os.path.abspath(path))
    if target.suffix.lower() not in suffixes:
        raise _refuse(target, f"write a {' or '.join(suffixes)} file")
    try:
        if target.is_symlink():
            raise _refuse(target, "is a symbolic link: name the file itself")
        if target.is_dir():
            raise _refuse(target, "is a folder, not a file")
        if target.exists() and not force:
            raise _refuse(target, "exists: overwrite it with --force")
    except OSError as error:
        raise _refuse(target, f"cannot write: {error.strerror or error}") from error
    writable(target)
    return target


def sheet_names(names: list[str]) -> list[str]:
    """Excel sheet names for tables: characters Excel refuses replaced by ``_``, at most
    31 characters, unique regardless of case (``table (2)``...)."""
    taken: set[str] = set()
    found = []
    for name in names:
        base = _NOT_IN_SHEET_NAMES.sub("_", str(name)).strip("'") or "table"
        candidate, count = base[:SHEET_NAME_LIMIT], 1
        while candidate.lower() in taken:
            count += 1
            tail = f" ({count})"
            candidate = base[: SHEET_NAME_LIMIT - len(tail)] + tail
        taken.add(candidate.lower())
        found.append(candidate)
    return found


def _with_index(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with its index as its first columns, unless the index only counts rows."""
    return frame.reset_index() if _has_index(frame) else frame


def export_tables(tables: dict[str, pd.DataFrame], path: Path | str, force: bool = False) -> Path:
    """Write tables to ``path``: ``.csv`` the first one, ``.xlsx`` a sheet each (text never
    runs as a formula). The file is written whole or not at all; one there is replaced
    only with ``force``. Returns the absolute path written."""
    target = check_export(path, force)
    if not tables:
        raise _refuse(target, "no table to write")
    if target.suffix.lower() == ".csv":
        write_text(target, csv_text(_with_index(next(iter(tables.values())))))
        return target
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for sheet, frame in zip(sheet_names(list(tables)), tables.values(), strict=True):
        flat = _with_index(frame)
        rows = [[str(c) for c in flat.columns]]
        rows += [[plain(v) for v in row] for row in flat.itertuples(index=False)]
        add_sheet(book, sheet, f"{target}[{sheet}]", rows)
    with replacing(target) as staged:
        book.save(staged)
    return target


__all__ = [
    "Money",
    "ReadableTable",
    "Shown",
    "check_export",
    "export_tables",
    "heading",
    "html_rows",
    "html_table",
    "number",
    "rich_table",
    "sheet_names",
    "shown",
    "unit",
]
