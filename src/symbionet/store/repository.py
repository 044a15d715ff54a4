"""Parks in the database: saved whole, read back through the register's validation, changed
row by row under optimistic locking, every change logged with what it replaced."""

from __future__ import annotations

import dataclasses
import json
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, Connection, Engine, Row, Table, func, insert, select, text, update

from symbionet.errors import Problem, SymbionetError
from symbionet.register import schema
from symbionet.register.park import Park, park_from_document
from symbionet.store.model import EXTRA, ROW_TABLES, key_column, metadata, stored_columns

PARK = "park"
"""The ``table`` of a change to the park itself: its settings, catalogue and tables."""


@dataclass(frozen=True)
class Change:
    """One logged change: a row added (no ``before``), changed, or removed (no ``after``);
    a change of table ``park`` (row ``None``) holds the park's settings, catalogue and
    tables. ``version`` is the park's version the change made."""

    id: int
    park_id: int
    version: int
    at: datetime
    author: str
    table: str
    row: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ConflictError(SymbionetError):
    """A row was changed by someone else since the version given was read."""


def _table(name: str) -> Table:
    return metadata().tables[name]


def _now() -> datetime:
    """The time now in UTC, as the database stores it (without a time zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


@cache
def _fixed(table: str) -> frozenset[str]:
    return frozenset(c.name for c in stored_columns(table))


def _columns(table: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """A record's values by database column: declared columns, the rest in ``extra``."""
    fixed = _fixed(table)
    values = {name: record.get(name) for name in fixed}
    values[EXTRA] = {k: v for k, v in record.items() if k not in fixed} or None
    return values


def _record(table: str, row: Row[Any]) -> dict[str, Any]:
    """A database row as the record of a park document: empty cells left out."""
    values = row._mapping
    record = {c.name: values[c.name] for c in stored_columns(table) if values[c.name] is not None}
    return {**record, **(values[EXTRA] or {})}


def _unstorable(value: Any, file: str, row: int | None, path: str) -> Iterator[Problem]:
    """Problems with text a database cannot store, anywhere in ``value``."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _unstorable(key, file, row, path)
            yield from _unstorable(item, file, row, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unstorable(item, file, row, f"{path}[{index}]")
    elif isinstance(value, str):
        if "\x00" in value:
            yield Problem(file, row, path, "text holds a NUL character", document=True)
        elif not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                yield Problem(file, row, path, "text is not valid Unicode", document=True)


def _surely_storable(document: Mapping[str, Any]) -> bool:
    """True when no text of ``document`` holds a NUL or is invalid Unicode, found at once
    from its JSON text; False when it may (each value is then looked at)."""
    try:
        dumped = json.dumps(document, ensure_ascii=False)
        dumped.encode("utf-8")
    except (TypeError, ValueError):
        return False
    return "\\u0000" not in dumped


def _check_storable(document: Mapping[str, Any]) -> None:
    if _surely_storable(document):
        return
    problems: list[Problem] = []
    for part, content in document.items():
        if part in ROW_TABLES:
            for index, record in enumerate(content):
                problems += _unstorable(record, part, index, "")
        else:
            problems += _unstorable(content, part, None, "")
    if problems:
        raise SymbionetError(problems)


def save_park(engine: Engine, park: Park, user: str, replace: bool = False) -> int:
    """Save ``park`` in one transaction and give its id: all of it or, on any error, nothing.
    A park of the same name is refused unless ``replace``, which keeps its id and history."""
    document = park.to_document()
    _check_storable(document)
    parks = _table("parks")
    settings = {
        "meta": document.pop(PARK),
        "catalogue": document.pop("catalogue", None),
        "tables": list(document),
    }
    now = _now()
    with engine.begin() as connection:
        claimed = connection.execute(
            update(parks)
            .where(parks.c.name == park.name)
            .values(version=parks.c.version + 1)
            .returning(parks.c.id, parks.c.version, parks.c.meta, parks.c.catalogue, parks.c.tables)
        ).first()
        if claimed is not None and not replace:
            raise SymbionetError(
                f"a park named {park.name!r} is saved already (id {claimed.id}): "
                "replace it explicitly (replace=True)"
            )
        log: list[dict[str, Any]] = []
        if claimed is None:
            version, before = 1, None
            park_id = connection.execute(
                insert(parks)
                .values(name=park.name, version=version, **settings)
                .returning(parks.c.id)
            ).scalar_one()
        else:
            park_id, version = claimed.id, claimed.version
            before = {
                "meta": claimed.meta,
                "catalogue": claimed.catalogue,
                "tables": claimed.tables,
            }
            old = _read(connection, park_id)[0]
            for table in claimed.tables:
                key, records = key_column(table), old[table]
                log += [_change(table, str(r[key]), r, None) for r in records]
                connection.execute(_table(table).delete().where(_table(table).c.park_id == park_id))
            connection.execute(update(parks).where(parks.c.id == park_id).values(**settings))
        log.append(_change(PARK, None, before, settings))
        for table, records in document.items():
            key = key_column(table)
            if records:
                _insert_many(
                    connection,
                    _table(table),
                    [
                        {
                            **_columns(table, r),
                            "park_id": park_id,
                            "position": i,
                            "version": version,
                        }
                        for i, r in enumerate(records)
                    ],
                )
            log += [_change(table, str(r[key]), None, r) for r in records]
        _log(connection, park_id, version, now, user, log)
    return int(park_id)


def _change(
    table: str, row: str | None, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> dict[str, Any]:
    return {"table_name": table, "row_id": row, "before": before, "after": after}


def _log(
    connection: Connection,
    park_id: int,
    version: int,
    at: datetime,
    user: str,
    changes: list[dict[str, Any]],
) -> None:
    _insert_many(
        connection,
        _table("changes"),
        [
            {**change, "park_id": park_id, "version": version, "at": at, "author": user}
            for change in changes
        ],
    )


BATCH = 20_000
"""Rows sent to PostgreSQL in one statement by :func:`_insert_many`."""


def _insert_many(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys). PostgreSQL gets them in batches as one
    JSON text each that the server unpacks (``json_populate_recordset``), which takes a
    fraction of the time of a statement per row; each value is stored as the row by row
    insert would store it (a JSON column's ``None`` as JSON ``null``)."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    quote = connection.dialect.identifier_preparer.quote
    names = list(rows[0])
    selected = ", ".join(
        f"coalesce({quote(name)}, 'null'::json)"
        if isinstance(table.c[name].type, JSON)
        else quote(name)
        for name in names
    )
    statement = text(
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)}) "
        f"SELECT {selected} FROM json_populate_recordset(NULL::{quote(table.name)}, "
        "CAST(:rows AS json))"
    )
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        try:
            data = json.dumps(batch, allow_nan=False, default=_json_value)
        except (TypeError, ValueError):  # what JSON cannot hold: row by row
            connection.execute(insert(table), batch)
            continue
        connection.execute(statement, {"rows": data})


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _settings(connection: Connection, park_id: int) -> Row[Any]:
    parks = _table("parks")
    found = connection.execute(select(parks).where(parks.c.id == park_id)).first()
    if found is None:
        raise _unknown(park_id)
    return found


def _unknown(park_id: int) -> SymbionetError:
    return SymbionetError(f"no park with id {park_id} is saved")


def _read(
    connection: Connection, park_id: int
) -> tuple[dict[str, Any], int, dict[str, dict[str, int]]]:
    """The park's document, its version and each row's version by table and row id, all as
    of one version of the park: read again when a change was saved meanwhile."""
    while True:
        settings = _settings(connection, park_id)
        document: dict[str, Any] = {PARK: settings.meta}
        versions = {}
        for name in settings.tables:
            table, key = _table(name), key_column(name)
            found = connection.execute(
                select(table).where(table.c.park_id == park_id).order_by(table.c.position)
            ).all()
            document[name] = [_record(name, row) for row in found]
            versions[name] = {str(row._mapping[key]): row.version for row in found}
        if settings.catalogue is not None:
            document["catalogue"] = settings.catalogue
        if _settings(connection, park_id).version == settings.version:
            return document, settings.version, versions


@dataclass(frozen=True)
class StoredPark:
    """A saved park as read at one ``version``, with the version of each of its rows (by
    table, then row id) that ``update_row`` expects."""

    id: int
    version: int
    park: Park
    rows: dict[str, dict[str, int]]


def read_stored_park(engine: Engine, park_id: int) -> StoredPark:
    """The saved park ``park_id`` with its versions, checked by the register as a park
    document is."""
    with engine.connect() as connection:
        document, version, rows = _read(connection, park_id)
    return StoredPark(park_id, version, _park_of(document), rows)


def load_stored_park(engine: Engine, park_id: int) -> Park:
    """The saved park ``park_id``, checked by the register as a park document is."""
    return read_stored_park(engine, park_id).park


def _by_row(error: SymbionetError, document: Mapping[str, Any]) -> SymbionetError:
    """The error with its problems located by table, row id and field, not record index:
    ``streams[tisso_raw].quantity``."""
    problems = []
    for problem in error.problems:
        if problem.file in ROW_TABLES and problem.row is not None:
            row = document[problem.file][problem.row][key_column(problem.file)]
            problem = dataclasses.replace(problem, file=f"{problem.file}[{row}]", row=None)
        problems.append(problem)
    return SymbionetError(problems)


_READ: OrderedDict[str, Park] = OrderedDict()
"""Parks read from documents lately, by the document's text: a park is read once, whichever
of its readers (an edit, a page, the edit after it) comes first."""


def _park_of(document: Mapping[str, Any]) -> Park:
    """The park a document describes, read by the register (or taken from the parks read
    lately: reading a park validates all of it, the costliest part of an edit)."""
    key = json.dumps(document, sort_keys=True, default=str)
    park = _READ.get(key)
    if park is None:
        park = _READ[key] = park_from_document(document)
        while len(_READ) > 8:
            _READ.popitem(last=False)
    _READ.move_to_end(key)
    return park


def _checked(document: dict[str, Any]) -> dict[str, Any]:
    """The changed park's document as the register reads it, or its problems by row."""
    try:
        _check_storable(document)
        return _park_of(document).to_document()
    except SymbionetError as error:
        raise _by_row(error, document) from None


def _check_table(table: str) -> None:
    if table not in ROW_TABLES:
        raise SymbionetError(f"{table!r} is not a park table: one of {', '.join(ROW_TABLES)}")


def _check_fields(table: str, row_id: str | int, values: Mapping[str, Any]) -> None:
    _check_table(table)
    declared = schema.tables()[table]
    problems = []
    for field in values:
        column = declared.column(field)
        if field == key_column(table):
            message = "a row's id cannot be changed"
        elif column is None or column.type == "derived":
            message = f"not a column of {table}"
        else:
            continue
        problems.append(Problem(f"{table}[{row_id}]", None, field, message, document=True))
    if problems:
        raise SymbionetError(problems)


def update_row(
    engine: Engine,
    park_id: int,
    table: str,
    row_id: str | int,
    values: Mapping[str, Any],
    expected_version: int,
    user: str,
) -> int:
    """Change fields of one row (``None`` empties a field: its default applies) and give the
    row's new version; the row is stored as the register reads it.

    The park with the change must pass the register's checks, or nothing changes and the
    error names table, row and field (``streams[tisso_raw].quantity``). The row must still
    be at ``expected_version``, the version it was read at, or ``ConflictError`` is raised.
    """
    _check_fields(table, row_id, values)
    rows = _table(table)
    with engine.begin() as connection:
        version = _claim(connection, park_id)  # first: holds the park till the end
        document, _, versions = _read(connection, park_id)
        current = versions.get(table, {}).get(str(row_id))
        if current is None:
            raise SymbionetError(f"{table}[{row_id}]: no such row in park {park_id}")
        key = key_column(table)
        records = document[table]
        index = next(i for i, r in enumerate(records) if str(r[key]) == str(row_id))
        where = (rows.c.park_id == park_id) & (rows.c[key] == records[index][key])
        if current != expected_version:
            raise ConflictError(
                f"{table}[{row_id}]: changed since version {expected_version} was read "
                f"(now version {current}); read it again and redo the change"
            )
        before = records[index]
        records[index] = {k: v for k, v in {**before, **values}.items() if v is not None}
        after = _checked(document)[table][index]  # as the register reads it: numbers, ids...
        connection.execute(
            update(rows)
            .where(where & (rows.c.version == expected_version))
            .values(**_columns(table, after), version=version)
        )
        _log(
            connection, park_id, version, _now(), user, [_change(table, str(row_id), before, after)]
        )
    return int(version)


def _claim(connection: Connection, park_id: int) -> int:
    """The park's next version, holding the park until the transaction ends."""
    parks = _table("parks")
    version = connection.execute(
        update(parks)
        .where(parks.c.id == park_id)
        .values(version=parks.c.version + 1)
        .returning(parks.c.version)
    ).scalar()
    if version is None:
        raise _unknown(park_id)
    return int(version)


def add_row(engine: Engine, park_id: int, table: str, record: Mapping[str, Any], user: str) -> int:
    """Add a row to a table of the park (one the park has or not) and give its version; the
    park with it must pass the register's checks, or nothing changes."""
    _check_table(table)
    key = key_column(table)
    row_id = record.get(key)
    if row_id is None or str(row_id).strip() == "":
        raise SymbionetError([Problem(table, None, key, "a new row needs an id", document=True)])
    with engine.begin() as connection:
        version = _claim(connection, park_id)
        document, _, versions = _read(connection, park_id)
        if str(row_id) in versions.get(table, {}):
            raise SymbionetError(
                [
                    Problem(
                        f"{table}[{row_id}]", None, key, "this id is taken already", document=True
                    )
                ]
            )
        records = document.setdefault(table, [])
        records.append({k: v for k, v in record.items() if v is not None})
        after = _checked(document)[table][-1]
        parks = _table("parks")
        tables = _settings(connection, park_id).tables
        if table not in tables:
            connection.execute(
                update(parks).where(parks.c.id == park_id).values(tables=[*tables, table])
            )
        position = connection.execute(
            select(func.coalesce(func.max(_table(table).c.position), -1) + 1).where(
                _table(table).c.park_id == park_id
            )
        ).scalar_one()
        connection.execute(
            insert(_table(table)).values(
                **_columns(table, after), park_id=park_id, position=position, version=version
            )
        )
        _log(connection, park_id, version, _now(), user, [_change(table, str(row_id), None, after)])
    return version


def edit_park(engine: Engine, park_id: int, edit: Callable[[Park], Park], user: str) -> int:
    """Apply ``edit`` (a library function from a park to the changed park, such as moving
    a synergy project) to the park as saved now, and store the rows it added, changed and
    removed, each logged, in one transaction that holds the park: nobody's change made
    meanwhile is lost. Give the park's new version (its version when nothing changed)."""
    try:
        with engine.begin() as connection:
            version = _claim(connection, park_id)
            park = _park_of(_read(connection, park_id)[0])
            before, after = park.to_document(), _checked(edit(park).to_document())
            log = []
            for name in ROW_TABLES:
                log += _store_rows(connection, park_id, version, name, before, after)
            if not log:
                raise _Unchanged(version - 1)
            tables = [name for name in ROW_TABLES if after.get(name)]
            parks = _table("parks")
            connection.execute(update(parks).where(parks.c.id == park_id).values(tables=tables))
            _log(connection, park_id, version, _now(), user, log)
    except _Unchanged as unchanged:  # the claimed version is rolled back
        return unchanged.version
    return version


class _Unchanged(Exception):
    def __init__(self, version: int) -> None:
        self.version = version


def _store_rows(
    connection: Connection,
    park_id: int,
    version: int,
    name: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """Store the rows of table ``name`` that differ between two documents; their changes."""
    key, rows = key_column(name), _table(name)
    old = {str(r[key]): r for r in before.get(name, [])}
    new = {str(r[key]): r for r in after.get(name, [])}
    changes = []
    for row_id, record in old.items():
        if row_id in new and new[row_id] == record:
            continue
        where = (rows.c.park_id == park_id) & (rows.c[key] == record[key])
        if row_id in new:
            connection.execute(
                update(rows).where(where).values(**_columns(name, new[row_id]), version=version)
            )
        else:
            connection.execute(rows.delete().where(where))
        changes.append(_change(name, row_id, record, new.get(row_id)))
    added = [record for row_id, record in new.items() if row_id not in old]
    if added:
        position = connection.execute(
            select(func.coalesce(func.max(rows.c.position), -1) + 1).where(
                rows.c.park_id == park_id
            )
        ).scalar_one()
        _insert_many(
            connection,
            rows,
            [
                {
                    **_columns(name, r),
                    "park_id": park_id,
                    "position": position + i,
                    "version": version,
                }
                for i, r in enumerate(added)
            ],
        )
        changes += [_change(name, str(r[key]), None, r) for r in added]
    return changes


def delete_row(
    engine: Engine,
    park_id: int,
    table: str,
    row_id: str | int,
    expected_version: int,
    user: str,
) -> int:
    """Remove a row read at ``expected_version`` and give the park's new version; the park
    without it must pass the register's checks (no exchange left pointing at a removed
    stream), or nothing changes."""
    _check_table(table)
    rows, key = _table(table), key_column(table)
    with engine.begin() as connection:
        version = _claim(connection, park_id)
        document, _, versions = _read(connection, park_id)
        current = versions.get(table, {}).get(str(row_id))
        if current is None:
            raise SymbionetError(f"{table}[{row_id}]: no such row in park {park_id}")
        if current != expected_version:
            raise ConflictError(
                f"{table}[{row_id}]: changed since version {expected_version} was read "
                f"(now version {current}); read it again and redo the change"
            )
        records = document[table]
        index = next(i for i, r in enumerate(records) if str(r[key]) == str(row_id))
        before = records.pop(index)
        _checked(document)
        connection.execute(
            rows.delete().where((rows.c.park_id == park_id) & (rows.c[key] == before[key]))
        )
        _log(
            connection, park_id, version, _now(), user, [_change(table, str(row_id), before, None)]
        )
    return version


def list_parks(engine: Engine) -> list[dict[str, Any]]:
    """Every saved park: id, name and version."""
    parks = _table("parks")
    with engine.connect() as connection:
        rows = connection.execute(
            select(parks.c.id, parks.c.name, parks.c.version).order_by(parks.c.id)
        ).all()
    return [dict(row._mapping) for row in rows]


def park_version(engine: Engine, park_id: int) -> int:
    """The park's version now (one small query: for caches)."""
    with engine.connect() as connection:
        return int(_settings(connection, park_id).version)


def park_history(engine: Engine, park_id: int) -> list[Change]:
    """Every change to park ``park_id``, oldest first."""
    changes = _table("changes")
    with engine.connect() as connection:
        _settings(connection, park_id)
        found = connection.execute(
            select(changes).where(changes.c.park_id == park_id).order_by(changes.c.id)
        )
        return [
            Change(
                id=c.id,
                park_id=c.park_id,
                version=c.version,
                at=c.at.replace(tzinfo=UTC),
                author=c.author,
                table=c.table_name,
                row=c.row_id,
                before=c.before,
                after=c.after,
            )
            for c in found
        ]


def park_at(engine: Engine, park_id: int, when: datetime) -> Park:
    """Park ``park_id`` as it was at ``when`` (a time with its time zone), rebuilt from the
    log of changes and checked by the register."""
    if when.tzinfo is None:
        raise SymbionetError("give the time with its time zone, such as datetime.now(UTC)")
    moment = when.astimezone(UTC)
    settings: dict[str, Any] | None = None
    rows: dict[str, dict[str | None, dict[str, Any]]] = {}
    for change in park_history(engine, park_id):
        if change.at > moment:
            break
        if change.table == PARK:
            settings = change.after
        elif change.after is None:
            del rows[change.table][change.row]
        else:
            rows.setdefault(change.table, {})[change.row] = change.after
    if settings is None:
        raise SymbionetError(f"park {park_id} was not saved yet at {when.isoformat()}")
    document: dict[str, Any] = {PARK: settings["meta"]}
    document.update({name: list(rows.get(name, {}).values()) for name in settings["tables"]})
    if settings["catalogue"] is not None:
        document["catalogue"] = settings["catalogue"]
    return park_from_document(document)


__all__ = [
    "Change",
    "ConflictError",
    "StoredPark",
    "add_row",
    "delete_row",
    "edit_park",
    "list_parks",
    "load_stored_park",
    "park_at",
    "park_history",
    "park_version",
    "read_stored_park",
    "save_park",
    "update_row",
]
