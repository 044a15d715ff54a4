"""The languages reports are written in: their fixed texts, numbers, dates and tables.

Every fixed text of the park report and the partner report (headings, sentences, column
headings, the words of the product's vocabulary in table cells) is in
``symbionet/data/report_texts.yaml``, in English and Danish. Numbers follow the language:
``1,234,568`` and ``0.25`` in English, ``1.234.568`` and ``0,25`` in Danish, with the
decimals of :func:`symbionet.present.tables.number`; so do dates (``30 November 2026``,
``30. november 2026``). What users wrote (names, ids, descriptions) is never translated.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from symbionet.errors import SymbionetError
from symbionet.present.tables import Shown, html_rows, number, shown
from symbionet.results import plain

if TYPE_CHECKING:
    from symbionet.present.tables import Money

LANGUAGES = ("en", "da")
"""The languages of the reports, by their ISO 639-1 code."""
VOCABULARY = frozenset({"status", "kind", "mode", "role", "side", "objective"})
"""Columns whose cells hold words of the product's vocabulary, translated."""
UNIT_COLUMNS = frozenset({"unit", "replaced_unit"})
"""Columns whose cells hold units, their period translated (``t/yr``, ``t/år``)."""
_HEADER = re.compile(r"(?P<label>.*) \((?P<unit>[^()]*)\)")
_PERIODS = {"da": {"/yr": "/år"}}
_SWAPPED = str.maketrans(",.", ".,")


@cache
def _texts() -> dict[str, Any]:
    text = files("symbionet").joinpath("data/report_texts.yaml").read_text(encoding="utf-8")
    found: dict[str, Any] = yaml.safe_load(text)
    return found


def language_of(code: str) -> Language:
    """The language of ``code`` (``en`` or ``da``); any other is refused, naming those known."""
    if code not in LANGUAGES:
        raise SymbionetError(
            f"language: must be {' or '.join(LANGUAGES)} "
            f"({', '.join(_texts()['languages'].values())}), not {code!r}"
        )
    return Language(code)


@dataclass(frozen=True)
class Language:
    """One language of the reports: its texts, and numbers, dates and tables as it writes them."""

    code: str = "en"

    @property
    def english(self) -> bool:
        return self.code == "en"

    def text(self, key: str, **values: object) -> str:
        """The text ``key`` with its placeholders filled, as plain text."""
        return str(_texts()["texts"][key][self.code]).format(**values)

    def html(self, key: str, **values: object) -> str:
        """The text ``key`` as HTML: its own markup kept, the values filled in escaped."""
        template = str(_texts()["texts"][key][self.code])
        return template.format(**{k: html.escape(str(v)) for k, v in values.items()})

    def digits(self, text: str) -> str:
        """A number written in English (``1,234.5``) as this language writes it."""
        if self.english:
            return text
        return text.translate(_SWAPPED)

    def number(self, value: float) -> str:
        """A number with thousands separated and decimals by size (see ``tables.number``)."""
        return self.digits(number(value))

    def whole(self, value: int) -> str:
        """A whole number with thousands separated."""
        return self.digits(f"{int(value):,}")

    def percent(self, value: float) -> str:
        """A percentage given in percent (``12.5`` is ``12.5 %``)."""
        return f"{self.number(value)} %"

    def amount(self, money: Money, eur: float, period: str | None = None) -> str:
        """An amount in EUR as text in ``money``'s currency: ``1,234 DKK/yr``, ``1.234 DKK/år``."""
        return f"{self.number(eur * money.per_eur)} {self.unit(_per(money.currency, period))}"

    def date(self, day: date) -> str:
        """A date: ``05 November 2026``, ``5. november 2026``."""
        month = _texts()["months"][self.code][day.month - 1]
        return f"{day:%d} {month} {day.year}" if self.english else f"{day.day}. {month} {day.year}"

    def rate_note(self, money: Money) -> str | None:
        """The line that states the exchange rate, once per report; None for EUR."""
        if money.currency == "EUR":
            return None
        rate = self.digits(f"{money.per_eur:g}")
        return self.text("rate_note", currency=money.currency, rate=rate, source=money.source)

    def unit(self, text: str) -> str:
        """A unit as this language writes it (``t/yr`` is ``t/år`` in Danish)."""
        for english, translated in _PERIODS.get(self.code, {}).items():
            text = text.replace(english, translated)
        return text

    def label(self, words: str) -> str:
        """Column or row words (``net saving``) in this language; unknown words as they are."""
        if self.english:
            return words
        return str(_texts()["labels"].get(words, words))

    def known(self, words: str) -> bool:
        """Whether the column or row words have a translation."""
        return self.english or words in _texts()["labels"]

    def value(self, word: object) -> str:
        """A word of the product's vocabulary (``operating``, ``yes``) in this language."""
        text = str(word)
        return text if self.english else str(_texts()["values"].get(text, text))

    def figure_text(self, text: str) -> str:
        """A text of a figure (title, axis title, legend entry) in this language: known
        words, then known patterns (``km east of 11.080 E``), then the vocabulary."""
        if self.english:
            return text
        words = _texts()["figure_words"]
        if text in words:
            return str(words[text])
        for pattern, template in _texts()["figure_patterns"]:
            found = re.fullmatch(pattern, text, flags=re.S)
            if found:
                parts = {k: self._figure_part(v) for k, v in found.groupdict().items()}
                return str(template).format(**parts)
        return self.value(text)

    def _figure_part(self, text: str) -> str:
        return self.digits(text) if re.fullmatch(r"-?[0-9.,]+", text) else self.figure_text(text)

    def heading(self, header: str) -> str:
        """An English column heading with its unit (``net saving (DKK/yr)``) in this language."""
        if self.english:
            return header
        found = _HEADER.fullmatch(header)
        if found is None:
            return self.label(header)
        return f"{self.label(found['label'])} ({self.unit(found['unit'])})"

    def shown(
        self,
        frame: pd.DataFrame,
        index: bool = True,
        *,
        period: str | None = None,
        index_name: str | None = None,
        row_units: bool = False,
    ) -> Shown:
        """``frame`` as text in this language (see ``tables.shown``)."""
        text = shown(frame, index, period=period, index_name=index_name, row_units=row_units)
        if self.english:
            return text
        offset = len(text.headers) - len(frame.columns)
        translated = [self._translated(frame, c - offset) for c in range(len(text.headers))]
        units = [
            c >= offset and str(frame.columns[c - offset]) in UNIT_COLUMNS
            for c in range(len(text.headers))
        ]
        rows = []
        for row in text.rows:
            cells = []
            for c, cell in enumerate(row):
                if text.numeric[c]:
                    cells.append(self.digits(cell))
                elif c == 0 and row_units and offset:
                    cells.append(self.heading(cell))
                elif translated[c] and cell:
                    cells.append(self.value(cell))
                elif units[c]:
                    cells.append(self.unit(cell))
                else:
                    cells.append(cell)
            rows.append(cells)
        return Shown([self.heading(h) for h in text.headers], text.numeric, rows)

    def _translated(self, frame: pd.DataFrame, position: int) -> bool:
        """Whether the cells of column ``position`` (below 0: the index) are vocabulary."""
        if position < 0:
            return False
        column = frame.iloc[:, position]
        return bool(
            pd.api.types.is_bool_dtype(column) or str(frame.columns[position]) in VOCABULARY
        )

    def table(
        self,
        frame: pd.DataFrame,
        index: bool = True,
        *,
        period: str | None = None,
        index_name: str | None = None,
        row_units: bool = False,
    ) -> str:
        """A pandas table as an HTML table in this language; text cells have class ``text``."""
        text = self.shown(frame, index, period=period, index_name=index_name, row_units=row_units)
        return html_rows(text)

    def sheet(
        self,
        frame: pd.DataFrame,
        index: bool = True,
        *,
        period: str | None = None,
        index_name: str | None = None,
        row_units: bool = False,
    ) -> list[list[Any]]:
        """``frame`` as the rows of a worksheet: the headings of :meth:`table` first, then
        numbers as numbers and text as the table shows it (yes and no, the vocabulary)."""
        text = self.shown(frame, index, period=period, index_name=index_name, row_units=row_units)
        offset = len(text.headers) - len(frame.columns)
        flat = frame.reset_index() if offset else frame
        rows: list[list[Any]] = [text.headers]
        for values, cells in zip(flat.itertuples(index=False), text.rows, strict=True):
            row = []
            for c, (value, cell) in enumerate(zip(values, cells, strict=True)):
                number_cell = text.numeric[c] and not (c == 0 and row_units and offset)
                row.append(_plain_number(value) if number_cell else (cell or None))
            rows.append(row)
        return rows


def _per(unit: str, period: str | None) -> str:
    return f"{unit}/{period}" if period else unit


def _plain_number(value: object) -> object:
    """A number for a worksheet cell: a plain Python number, None for NaN."""
    found = plain(value)
    if isinstance(found, float) and not math.isfinite(found):
        return None
    return found


ENGLISH = Language("en")
"""The language of reports unless another is asked for."""

__all__ = [
    "ENGLISH",
    "LANGUAGES",
    "UNIT_COLUMNS",
    "VOCABULARY",
    "Language",
    "language_of",
]
