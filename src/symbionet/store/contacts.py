"""Contacts' personal data in the database: exported on request, or erased everywhere,
the history of changes included.

Erasing a contact is one transaction that holds the park: the contact's row is removed and
the rows that referred to it no longer do (as :func:`symbionet.hub.contacts.erase_contact`
changes a park), the change is logged without the person's data, and the log of earlier
changes is scrubbed: each change of the contact's row keeps only its id, and in every
change of the park the reference to the contact is emptied and the person's name, e-mail
and telephone number are replaced by ``[erased]``. Results of the park's jobs that quote
them lose their result and artifact, and their messages are scrubbed likewise. On
SQLite the space the old rows held is zeroed (``secure_delete``) and the write-ahead log
checkpointed and emptied; PostgreSQL keeps dead row versions until ``VACUUM`` reclaims
them, and backups keep what they hold.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, Engine, String, cast, or_, select, update

from symbionet.register.park import park_from_document
from symbionet.store.model import ROW_TABLES, metadata
from symbionet.store.repository import (
    PARK,
    _change,
    _checked,
    _claim,
    _log,
    _now,
    _read,
    _store_rows,
    load_stored_park,
    park_history,
)

TABLE = "contacts"
ERASED = "[erased]"
"""What replaces the person's name, e-mail or telephone number quoted in a text."""


def _patterns(texts: list[str]) -> list[str]:
    """Each text as stored in JSON, as given and with non-ASCII letters escaped."""
    forms = []
    for text in texts:
        forms += [text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]]
    return list(dict.fromkeys(forms))


def _scrubbed(value: Any, texts: list[str], refs: Collection[str] = (), contact: str = "") -> Any:
    """A logged record (or any JSON value) without the contact: its fields ``refs`` that
    name the contact left out, the person's texts replaced."""
    if isinstance(value, dict):
        return {
            k: _scrubbed(v, texts, refs, contact)
            for k, v in value.items()
            if not (k in refs and v == contact)
        }
    if isinstance(value, list):
        return [_scrubbed(v, texts, refs, contact) for v in value]
    if isinstance(value, str):
        for text in texts:
            value = value.replace(text, ERASED)
    return value


def _scrub_history(connection: Connection, park_id: int, contact: str, texts: list[str]) -> int:
    """Scrub the park's log of changes; the number of changes rewritten."""
    from symbionet.hub.contacts import referring

    changes = metadata().tables["changes"]
    refs = dict(referring())
    quoted = [
        cast(column, String).contains(pattern, autoescape=True)
        for column in (changes.c.before, changes.c.after)
        for pattern in _patterns(texts)
    ]
    found = connection.execute(
        select(
            changes.c.id, changes.c.table_name, changes.c.row_id, changes.c.before, changes.c.after
        ).where(
            (changes.c.park_id == park_id)
            & or_(
                changes.c.table_name == TABLE,
                changes.c.table_name.in_(list(refs)),
                *quoted,
            )
        )
    ).all()
    rewritten = 0
    for change in found:
        if change.table_name == TABLE and change.row_id == contact:
            before = None if change.before is None else {"id": contact}
            after = None if change.after is None else {"id": contact}
        else:
            columns = () if change.table_name == PARK else set(refs.values())
            before = _scrubbed(change.before, texts, columns, contact)
            after = _scrubbed(change.after, texts, columns, contact)
        if before != change.before or after != change.after:
            connection.execute(
                update(changes).where(changes.c.id == change.id).values(before=before, after=after)
            )
            rewritten += 1
    return rewritten


def _scrub_jobs(connection: Connection, park_id: int, texts: list[str]) -> None:
    """Drop the results of the park's jobs that quote the person; scrub their messages."""
    jobs = metadata().tables["jobs"]
    patterns = _patterns(texts)
    found = connection.execute(
        select(
            jobs.c.id, jobs.c.options, jobs.c.result, jobs.c.artifact, jobs.c.message, jobs.c.error
        ).where(jobs.c.park_id == park_id)
    ).all()
    for job in found:
        text = json.dumps([job.options, job.result, job.message, job.error])
        quoted = any(p in text for p in patterns)
        artifact = job.artifact is not None and any(
            t.encode("utf-8") in job.artifact for t in texts
        )
        if not quoted and not artifact:
            continue
        connection.execute(
            update(jobs)
            .where(jobs.c.id == job.id)
            .values(
                options=_scrubbed(job.options, texts),
                result=None if job.result is not None and quoted else job.result,
                artifact=None,
                message=_scrubbed(job.message, texts),
                error=_scrubbed(job.error, texts),
            )
        )


def erase_contact(engine: Engine, park_id: int, contact: str, author: str) -> int:
    """Erase ``contact`` from park ``park_id`` everywhere in the database, its history
    included, in one transaction; give the park's new version. Raises SymbionetError naming
    the contact's id (never the person) when the park has no such contact."""
    from symbionet.hub import contacts as park_contacts

    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as connection:
        if sqlite:  # the freed space zeroed, not left holding the old bytes
            connection.exec_driver_sql("PRAGMA secure_delete = ON")
        version = _claim(connection, park_id)
        park = park_from_document(_read(connection, park_id)[0])
        texts = park_contacts.identifying(park, contact)  # refuses an unknown contact
        before = park.to_document()
        after = _checked(park_contacts.erase_contact(park, contact).to_document())
        log = []
        for name in ROW_TABLES:
            log += _store_rows(connection, park_id, version, name, before, after)
        tables = [name for name in ROW_TABLES if after.get(name)]
        parks = metadata().tables["parks"]
        connection.execute(update(parks).where(parks.c.id == park_id).values(tables=tables))
        _scrub_history(connection, park_id, contact, texts)
        columns = {column for _, column in park_contacts.referring()}
        logged = []
        for entry in log:
            if entry["table_name"] == TABLE and entry["row_id"] == contact:
                entry = _change(TABLE, contact, {"id": contact}, None)
            else:
                entry = {
                    **entry,
                    "before": _scrubbed(entry["before"], texts, columns, contact),
                    "after": _scrubbed(entry["after"], texts, columns, contact),
                }
            logged.append(entry)
        _log(connection, park_id, version, _now(), author, logged)
        _scrub_jobs(connection, park_id, texts)
    if sqlite:  # the write-ahead log's copies of the old pages written back and emptied
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return version


def export_contact(engine: Engine, park_id: int, contact: str) -> dict[str, Any]:
    """Everything the database holds about ``contact`` in park ``park_id``: as
    :func:`symbionet.hub.contacts.export_contact` gives it from the park, and ``history``,
    the logged changes of the contact's row (when, by whom, before and after)."""
    from symbionet.hub.contacts import export_contact as from_park

    exported = from_park(load_stored_park(engine, park_id), contact)
    exported["history"] = [
        {
            "at": change.at.isoformat(),
            "author": change.author,
            "version": change.version,
            "before": change.before,
            "after": change.after,
        }
        for change in park_history(engine, park_id)
        if change.table == TABLE and change.row == contact
    ]
    return exported


__all__ = ["erase_contact", "export_contact"]
