"""Connections to the database, and migrations that bring it to the current tables."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def open_database(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///park.db``, ``postgresql+psycopg://...``); SQLite
    connections write ahead (WAL), enforce foreign keys and wait up to ``BUSY_WAIT_S`` for
    each other's locks (writes to one park queue behind each other)."""
    engine = create_engine(url)
    if make_url(url).get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


BUSY_WAIT_S = 120


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_WAIT_S * 1000}")
    cursor.close()


def migrate(url: str, to: str = "head") -> None:
    """Bring the database at ``url`` to migration ``to`` (default: the newest), whatever
    migration it is at (an empty database gets every table)."""
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(files("symbionet.store") / "migrations"))
    script = ScriptDirectory.from_config(config)
    engine = open_database(url)
    try:
        with (
            engine.begin() as connection,
            EnvironmentContext(
                config,
                script,
                fn=lambda revision, _: script._upgrade_revs(to, revision),
                destination_rev=to,
            ) as environment,
        ):
            environment.configure(connection=connection)
            with environment.begin_transaction():
                environment.run_migrations()
    finally:
        engine.dispose()


__all__ = ["BUSY_WAIT_S", "migrate", "open_database"]
