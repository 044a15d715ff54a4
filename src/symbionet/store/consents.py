"""Partners' consent to be revealed on a candidate exchange: a candidate stays anonymous
to each side until both sides have agreed."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    MetaData,
    Table,
    Text,
    delete,
    insert,
    select,
)

from symbionet.store.model import park_column


def declare_tables(metadata: MetaData) -> None:
    """Add ``consents`` to ``metadata``."""
    Table(
        "consents",
        metadata,
        park_column(key=True),
        Column("actor", Text, primary_key=True),
        Column("supply", Text, primary_key=True),
        Column("demand", Text, primary_key=True),
        Column("author", Text, nullable=False),
        Column("at", DateTime, nullable=False),
    )


def _table() -> Table:
    from symbionet.store.model import metadata

    return metadata().tables["consents"]


def opt_in(engine: Engine, park_id: int, actor: str, pair: tuple[str, str], author: str) -> None:
    """Record that ``actor`` agrees to be revealed on the candidate ``pair`` (supply,
    demand); agreeing twice changes nothing."""
    consents = _table()
    key = {"park_id": park_id, "actor": actor, "supply": pair[0], "demand": pair[1]}
    with engine.begin() as connection:
        if connection.execute(select(consents.c.actor).filter_by(**key)).first() is None:
            connection.execute(
                insert(consents).values(
                    **key, author=author, at=datetime.now(UTC).replace(tzinfo=None)
                )
            )


def opt_out(engine: Engine, park_id: int, actor: str, pair: tuple[str, str]) -> None:
    """Withdraw ``actor``'s agreement on ``pair``."""
    consents = _table()
    with engine.begin() as connection:
        connection.execute(
            delete(consents).filter_by(park_id=park_id, actor=actor, supply=pair[0], demand=pair[1])
        )


def opted_in(engine: Engine, park_id: int) -> dict[str, set[tuple[str, str]]]:
    """For each actor of the park, the candidates it agrees to be revealed on."""
    consents = _table()
    with engine.connect() as connection:
        rows = connection.execute(
            select(consents.c.actor, consents.c.supply, consents.c.demand).where(
                consents.c.park_id == park_id
            )
        ).all()
    agreed: dict[str, set[tuple[str, str]]] = {}
    for actor, supply, demand in rows:
        agreed.setdefault(actor, set()).add((supply, demand))
    return agreed


__all__ = ["declare_tables", "opt_in", "opt_out", "opted_in"]
