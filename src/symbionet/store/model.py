"""The tables of the database, generated from the register's column declarations."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Double,
    ForeignKey,
    Integer,
    MetaData,
    Table,
    Text,
)
from sqlalchemy.types import TypeEngine

from symbionet.register import schema

TYPES: dict[str, type[TypeEngine[Any]]] = {
    "float": Double,
    "int": BigInteger,
    "year": BigInteger,
    "bool": Boolean,
}
"""Column type for each declared type; every other declared type is text."""

EXTRA = "extra"
"""The JSON column holding the values of pattern columns (``ppm_*``, a profile's columns)."""

BOOKKEEPING = ("park_id", "position", "version", EXTRA)
"""Columns every park row table has besides the declared ones."""

ROW_TABLES = tuple(name for name in schema.tables() if name != "park")
"""The park tables stored one row per record, in the order data flows through a park."""


def reference_column(name: str, target: str, key: bool = False) -> Column[int]:
    """A column ``name`` referring to ``target`` (``parks.id``), whose rows go with the row
    they refer to: part of the primary key (``key``) or an index."""
    reference = ForeignKey(target, ondelete="CASCADE")
    if key:
        return Column(name, Integer, reference, primary_key=True)
    return Column(name, Integer, reference, nullable=False, index=True)


def park_column(key: bool = False) -> Column[int]:
    """The ``park_id`` column of a table of parks' data (see :func:`reference_column`)."""
    return reference_column("park_id", "parks.id", key)


def key_column(table: str) -> str:
    """The declared column that identifies a row of ``table`` within its park."""
    key = "period" if table == "profiles" else schema.tables()[table].id_column
    if key is None:
        raise ValueError(f"table {table} declares no id column")
    return key


def stored_columns(table: str) -> list[schema.Column]:
    """The declared columns of ``table`` held in columns of their own: not derived, not a
    pattern."""
    declared = schema.tables()[table]
    columns = [c for c in declared.inputs if not c.is_pattern]
    clash = {c.name for c in columns} & set(BOOKKEEPING)
    if clash:
        raise ValueError(f"table {table} declares columns the database reserves: {sorted(clash)}")
    return columns


def _row_table(metadata: MetaData, table: str) -> Table:
    key = key_column(table)
    declared = [
        Column(
            c.name,
            TYPES.get(c.type, Text)(),
            primary_key=c.name == key,
            nullable=c.name != key and not c.required,
        )
        for c in stored_columns(table)
    ]
    return Table(
        table,
        metadata,
        park_column(key=True),
        *declared,
        Column("position", Integer, nullable=False),
        Column("version", Integer, nullable=False),
        Column(EXTRA, JSON, nullable=True),
    )


@cache
def metadata() -> MetaData:
    """Every table of the database: ``parks``, ``changes``, one table per park table and
    the tables of accounts, jobs, consents and metered readings (``symbionet.store.accounts``,
    ``.jobs``, ``.consents``, ``.readings``)."""
    result = MetaData()
    Table(
        "parks",
        result,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", Text, nullable=False, unique=True),
        Column("meta", JSON, nullable=False),
        Column("catalogue", JSON, nullable=True),
        Column("tables", JSON, nullable=False),
        Column("version", Integer, nullable=False),
    )
    Table(
        "changes",
        result,
        Column("id", Integer, primary_key=True, autoincrement=True),
        park_column(),
        Column("version", Integer, nullable=False),
        Column("at", DateTime, nullable=False),
        Column("author", Text, nullable=False),
        Column("table_name", Text, nullable=False),
        Column("row_id", Text, nullable=True),
        Column("before", JSON, nullable=True),
        Column("after", JSON, nullable=True),
    )
    for table in ROW_TABLES:
        _row_table(result, table)
    from symbionet.store import accounts, consents, jobs, readings

    for part in (accounts, jobs, consents, readings):
        part.declare_tables(result)
    return result


__all__ = [
    "BOOKKEEPING",
    "EXTRA",
    "ROW_TABLES",
    "TYPES",
    "key_column",
    "metadata",
    "park_column",
    "reference_column",
    "stored_columns",
]
