"""Contacts' personal data on request: everything the park holds about one person
(``export_contact``), and the park without it (``erase_contact``).

A contact is referred to by the rows of any table with a column that refers to
``contacts`` (a booking's ``contact``); erasing the person removes their row, empties
those references, and replaces their name, e-mail and telephone number wherever a text
cell of the park quotes them (a booking's purpose, a project's notes) by ``[erased]``.
Errors name the contact's id only, never the person.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pandas as pd

from symbionet.errors import Problem, SymbionetError
from symbionet.register.park import Park, park_from_document
from symbionet.register.schema import tables
from symbionet.register.write import park_document
from symbionet.results import plain, records

TABLE = "contacts"
ERASED = "[erased]"
"""What replaces the person's name, e-mail or telephone number quoted in a text cell."""
PERSONAL = ("name", "email", "phone")
"""The contact's fields that identify the person wherever they are quoted."""


def referring() -> Iterator[tuple[str, str]]:
    """(table, column) of every column that refers to a contact."""
    for name, table in tables().items():
        for column in table.columns:
            if column.type == "ref" and column.allowed == TABLE:
                yield name, column.name


def _row(park: Park, contact: str) -> pd.Series:
    contacts = park.table(TABLE)
    if contact not in contacts.index:
        raise SymbionetError([Problem("contacts.csv", None, "id", f"no contact {contact!r}")])
    row: pd.Series = contacts.loc[contact]
    return row


def identifying(park: Park, contact: str) -> list[str]:
    """The contact's name, e-mail and telephone number as given (the texts to erase)."""
    row = _row(park, contact)
    found = [str(row[c]).strip() for c in PERSONAL if c in row and pd.notna(row[c])]
    return [text for text in dict.fromkeys(found) if len(text) >= 3]


def export_contact(park: Park, contact: str) -> dict[str, Any]:
    """Everything the park holds about ``contact``: ``contact`` (its row), its
    ``organisation`` (id and name), and for each table that refers to it (``bookings``...)
    the rows that do, as plain data ready for JSON."""
    row = _row(park, contact)
    organisation = str(row["organisation"])
    names = park.actors["name"] if "name" in park.actors else pd.Series(dtype=object)
    exported: dict[str, Any] = {
        "contact": {"id": contact, **{str(k): plain(v) for k, v in row.items() if pd.notna(v)}},
        "organisation": {"id": organisation, "name": plain(names.get(organisation))},
    }
    for name, column in referring():
        if name in park.frames:
            frame = park.frames[name]
            exported[name] = records(frame[frame[column] == contact])
    return exported


def _scrub(value: Any, texts: list[str]) -> Any:
    if isinstance(value, str):
        for text in texts:
            value = value.replace(text, ERASED)
    return value


def erased_inputs(park: Park, contact: str) -> dict[str, pd.DataFrame]:
    """The park's tables as written to files, without ``contact``: its row removed (the
    table left out when it was the last), references to it emptied, its name, e-mail and
    telephone number replaced in every text cell."""
    texts = identifying(park, contact)
    inputs = park.inputs()
    contacts = inputs[TABLE]
    inputs[TABLE] = contacts[contacts["id"] != contact].reset_index(drop=True)
    if inputs[TABLE].empty:
        del inputs[TABLE]
    for name, column in referring():
        if name in inputs and column in inputs[name]:
            frame = inputs[name].copy()
            frame[column] = frame[column].astype(object).where(frame[column] != contact, None)
            inputs[name] = frame
    if texts:
        for name, frame in inputs.items():
            text_columns = [
                c
                for c in frame.columns
                if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])
            ]
            if text_columns:
                frame = frame.copy()
                for column in text_columns:
                    frame[column] = frame[column].map(lambda v: _scrub(v, texts))
                inputs[name] = frame
    return inputs


def erase_contact(park: Park, contact: str) -> Park:
    """The park without ``contact`` (see :func:`erased_inputs`), checked whole as a loaded
    park is; the park given is left as it was."""
    inputs = erased_inputs(park, contact)
    document = park_document(dict(park.meta), inputs, park.catalogue_extension)
    return replace(park_from_document(document), source=park.source)


def changed_tables(before: Park, after: Park) -> list[str]:
    """The tables whose rows differ between two parks, in the order of the schema, those
    that refer to others first reversed (a booking before the contact it no longer names)."""
    old, new = before.inputs(), after.inputs()
    changed = []
    for name in tables():
        if name not in old and name not in new:
            continue
        if name not in old or name not in new or not old[name].equals(new[name]):
            changed.append(name)
    return changed[::-1]


__all__ = [
    "ERASED",
    "PERSONAL",
    "changed_tables",
    "erase_contact",
    "erased_inputs",
    "export_contact",
    "identifying",
    "referring",
]
