"""Connections to the database, and migrations that bring it to the current tables."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def open_database(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///park.db``, ``postgresql+psycopg://...``); SQLite
    connections write ahead (WAL), enforce foreign keys and wait for each other's locks."""
    engine = create_engine(url)
    if make_url(url).get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the current tables, whatever migration it is at (an
    empty database gets every table)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("symbionet.store") / "migrations"))
    engine = open_database(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


__all__ = ["migrate", "open_database"]
