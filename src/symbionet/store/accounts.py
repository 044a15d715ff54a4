"""Accounts: users with argon2 password hashes, their roles in parks, API tokens and browser
sessions.

A user holds roles park by park: ``secretariat`` (runs the park), ``editor`` (keeps one
partner's records) or ``viewer`` (reads as one partner). ``Access`` says what a role allows.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Literal, cast, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    Text,
    delete,
    exc,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine

from symbionet.errors import SymbionetError
from symbionet.register import schema
from symbionet.store.model import park_column, reference_column

Role = Literal["secretariat", "editor", "viewer"]
ROLES: tuple[Role, ...] = get_args(Role)

PARTNER_TABLES = ("actors", "sites", "streams", "technologies")
"""The tables whose rows belong to one partner, which its editors may change."""

MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "sbn_"
SESSION_HOURS = 12


def _password_hasher() -> PasswordHasher:
    """Argon2id with its recommended parameters, or with the time and memory cost
    ``SYMBIONET_ARGON2`` gives as ``TIME,MEMORY_KIB`` (a throw-away test database)."""
    given = os.environ.get("SYMBIONET_ARGON2")
    if not given:
        return PasswordHasher()
    time_cost, memory_cost = (int(part) for part in given.split(","))
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)


_hasher = _password_hasher()


class AccountError(SymbionetError):
    """Raised for an account request that cannot be met (weak password, taken email...)."""


def declare_tables(metadata: MetaData) -> None:
    """Add ``users``, ``memberships``, ``tokens`` and ``sessions`` to ``metadata``."""
    Table(
        "users",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("email", Text, nullable=False, unique=True),
        Column("name", Text, nullable=False),
        Column("password_hash", Text, nullable=False),
        Column("created", DateTime, nullable=False),
    )
    Table(
        "memberships",
        metadata,
        reference_column("user_id", "users.id", key=True),
        park_column(key=True),
        Column("role", Text, primary_key=True),
        # The partner an editor or viewer acts for; "" for the secretariat.
        Column("actor", Text, primary_key=True),
    )
    Table(
        "tokens",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        reference_column("user_id", "users.id"),
        Column("digest", Text, nullable=False, unique=True),
        Column("created", DateTime, nullable=False),
        Column("last_used", DateTime, nullable=True),
        Column("revoked", DateTime, nullable=True),
    )
    Table(
        "sessions",
        metadata,
        Column("digest", Text, primary_key=True),
        reference_column("user_id", "users.id"),
        Column("csrf", Text, nullable=False),
        Column("expires", DateTime, nullable=False),
    )


@dataclass(frozen=True, order=True)
class Access:
    """One role of a user in a park; ``actor`` is the partner of an editor or viewer."""

    user: int
    park: int
    role: Role
    actor: str | None = None

    def may_edit(self, table: str, row_actor: str | None) -> bool:
        """Whether this role may change a row of ``table`` belonging to ``row_actor``
        (``None`` for rows of no single partner): the secretariat every row, an editor its
        own partner's actors, sites, streams and technologies rows, a viewer none."""
        if table not in schema.tables():
            raise ValueError(f"no park table {table!r}: one of {', '.join(schema.tables())}")
        if self.role == "secretariat":
            return True
        return (
            self.role == "editor"
            and table in PARTNER_TABLES
            and row_actor is not None
            and row_actor == self.actor
        )

    def may_run_jobs(self) -> bool:
        """Whether this role may start analyses of the park (the secretariat only)."""
        return self.role == "secretariat"

    def may_see_confidential_of(self, actor: str) -> bool:
        """Whether this role sees ``actor``'s confidential data: the secretariat, or a role
        acting for that same partner."""
        return self.role == "secretariat" or actor == self.actor


def _table(name: str) -> Table:
    from symbionet.store.model import metadata

    return metadata().tables[name]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def normal_email(email: str) -> str:
    """``email`` as stored: Unicode NFKC, stripped, lower case; refused unless it has the
    form name@domain."""
    normal = unicodedata.normalize("NFKC", email).strip().lower()
    local, at, domain = normal.rpartition("@")
    if not at or not local or "." not in domain.strip(".") or any(c.isspace() for c in normal):
        raise AccountError(f"{email!r} is not an email address (name@domain)")
    return normal


def _check_password(password: str, email: str, name: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(set(password)) < 5:
        raise AccountError("the password must have at least 5 different characters")
    lowered = password.lower()
    for part in (email.partition("@")[0], name.strip().lower()):
        if len(part) >= 3 and part in lowered:
            raise AccountError("the password must not contain the user's name or email")


def new_password() -> str:
    """A strong random password for a new account (16 characters, 8 different at least)."""
    password = secrets.token_urlsafe(12)
    while len(set(password)) < 8:
        password = secrets.token_urlsafe(12)
    return password


def create_user(engine: Engine, email: str, name: str, password: str) -> int:
    """Register a user and give its id; the email is normalised (``normal_email``) and must
    be new, the name not empty, and the password at least 12 characters of which 5
    different, without the name or email in it."""
    email = normal_email(email)
    if not name.strip():
        raise AccountError("the user's name is empty")
    _check_password(password, email, name)
    users = _table("users")
    try:
        with engine.begin() as connection:
            return int(
                connection.execute(
                    insert(users)
                    .values(
                        email=email,
                        name=name.strip(),
                        password_hash=_hasher.hash(password),
                        created=_now(),
                    )
                    .returning(users.c.id)
                ).scalar_one()
            )
    except exc.IntegrityError:
        raise AccountError(f"a user with email {email} exists already") from None


def set_password(engine: Engine, user: int, password: str) -> None:
    """Give ``user`` a new password, checked as ``create_user`` checks one."""
    users = _table("users")
    with engine.begin() as connection:
        found = connection.execute(
            select(users.c.email, users.c.name).where(users.c.id == user)
        ).first()
        if found is None:
            raise AccountError(f"no user {user}")
        _check_password(password, found.email, found.name)
        connection.execute(
            update(users).where(users.c.id == user).values(password_hash=_hasher.hash(password))
        )


def has_secretariat(engine: Engine) -> bool:
    """Whether any park has a secretariat member."""
    memberships = _table("memberships")
    with engine.connect() as connection:
        found = connection.execute(
            select(memberships.c.user_id).where(memberships.c.role == "secretariat").limit(1)
        ).first()
    return found is not None


@cache
def _decoy_hash() -> str:
    """A hash verified when the email is unknown, so that both cases take as long."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(engine: Engine, email: str, password: str) -> int | None:
    """The id of the user with ``email`` and ``password``, or ``None`` for a wrong password
    or an unknown email alike; a hash made with older parameters is renewed."""
    try:
        email = normal_email(email)
    except AccountError:
        email = ""
    users = _table("users")
    with engine.connect() as connection:
        found = connection.execute(
            select(users.c.id, users.c.password_hash).where(users.c.email == email)
        ).one_or_none()
    if found is None:
        _verify(_decoy_hash(), password)
        return None
    user, stored = found
    if not _verify(stored, password):
        return None
    if _hasher.check_needs_rehash(stored):
        with engine.begin() as connection:
            connection.execute(
                update(users)
                .where(users.c.id == user, users.c.password_hash == stored)
                .values(password_hash=_hasher.hash(password))
            )
    return int(user)


def _membership(user: int, park_id: int, role: str, actor: str | None) -> dict[str, object]:
    if role not in ROLES:
        raise AccountError(f"no role {role!r}: one of {', '.join(ROLES)}")
    if role == "secretariat" and actor is not None:
        raise AccountError("the secretariat acts for no partner: give no actor")
    if role != "secretariat" and not actor:
        raise AccountError(f"the {role} role acts for one partner: give its actor id")
    return {"user_id": user, "park_id": park_id, "role": role, "actor": actor or ""}


def _check_grant(connection: Connection, user: int, park_id: int, actor: str | None) -> None:
    users = _table("users")
    if connection.execute(select(users.c.id).where(users.c.id == user)).first() is None:
        raise AccountError(f"no user {user}")
    parks = _table("parks")
    if connection.execute(select(parks.c.id).where(parks.c.id == park_id)).first() is None:
        raise AccountError(f"no park {park_id}")
    actors = _table("actors")
    if actor is not None and (
        connection.execute(
            select(actors.c.id).where(actors.c.park_id == park_id, actors.c.id == actor)
        ).first()
        is None
    ):
        raise AccountError(f"park {park_id} has no actor {actor!r}")


def grant(engine: Engine, user: int, park_id: int, role: str, actor: str | None = None) -> Access:
    """Give ``user`` a role in a park (``actor``: the partner of an editor or viewer, which
    the park must have); granting a role held already changes nothing."""
    values = _membership(user, park_id, role, actor)
    memberships = _table("memberships")
    with engine.begin() as connection:
        _check_grant(connection, user, park_id, actor)
        held = connection.execute(select(memberships.c.user_id).filter_by(**values)).first()
        if held is None:
            connection.execute(insert(memberships).values(**values))
    return Access(user, park_id, cast(Role, role), actor)


def revoke(engine: Engine, user: int, park_id: int, role: str, actor: str | None = None) -> bool:
    """Take a role in a park from ``user``; whether it held that role."""
    values = _membership(user, park_id, role, actor)
    memberships = _table("memberships")
    with engine.begin() as connection:
        removed = connection.execute(delete(memberships).filter_by(**values)).rowcount
    return removed > 0


def roles_of(engine: Engine, user: int, park_id: int) -> list[Access]:
    """Every role ``user`` holds in a park, in a fixed order (none: an empty list)."""
    memberships = _table("memberships")
    with engine.connect() as connection:
        rows = connection.execute(
            select(memberships.c.role, memberships.c.actor).where(
                memberships.c.user_id == user, memberships.c.park_id == park_id
            )
        ).all()
    return sorted(Access(user, park_id, role, actor or None) for role, actor in rows)


def _digest(token: str) -> str:
    """What is stored of a token: its SHA-256 (a random token needs no slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(engine: Engine, user: int) -> str:
    """A new API token for ``user``: its text is given here once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tokens = _table("tokens")
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(tokens).values(user_id=user, digest=_digest(token), created=_now())
            )
    except exc.IntegrityError:
        raise AccountError(f"no user {user}") from None
    return token


def user_of_token(engine: Engine, token: str) -> int | None:
    """The user of a token that has not been revoked, noting when it was used (to the
    minute: a script's every request is no write); else ``None``."""
    tokens = _table("tokens")
    working = (tokens.c.digest == _digest(token)) & tokens.c.revoked.is_(None)
    with engine.connect() as connection:
        found = connection.execute(
            select(tokens.c.user_id, tokens.c.last_used).where(working)
        ).first()
    if found is None:
        return None
    now = _now()
    if found.last_used is None or now - found.last_used > timedelta(minutes=1):
        with engine.begin() as connection:
            connection.execute(update(tokens).where(working).values(last_used=now))
    return int(found.user_id)


def revoke_token(engine: Engine, token: str) -> bool:
    """Stop a token from working; whether it was working until now."""
    tokens = _table("tokens")
    with engine.begin() as connection:
        revoked = connection.execute(
            update(tokens)
            .where(tokens.c.digest == _digest(token), tokens.c.revoked.is_(None))
            .values(revoked=_now())
        ).rowcount
    return revoked > 0


@dataclass(frozen=True)
class Session:
    """A signed-in browser: its user and the token its forms must send back (CSRF)."""

    user: int
    csrf: str


def open_session(engine: Engine, user: int) -> tuple[str, Session]:
    """A new browser session for ``user``, valid for :data:`SESSION_HOURS`: its cookie
    text (given here once, stored as a digest) and the session."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = _now() + timedelta(hours=SESSION_HOURS)
    with engine.begin() as connection:
        connection.execute(
            insert(_table("sessions")).values(
                digest=_digest(token), user_id=user, csrf=csrf, expires=expires
            )
        )
    return token, Session(user, csrf)


def session_of(engine: Engine, token: str) -> Session | None:
    """The session of a cookie, unless it has expired or was closed."""
    sessions = _table("sessions")
    with engine.connect() as connection:
        found = connection.execute(
            select(sessions.c.user_id, sessions.c.csrf).where(
                sessions.c.digest == _digest(token), sessions.c.expires > _now()
            )
        ).first()
    return None if found is None else Session(int(found.user_id), found.csrf)


def close_session(engine: Engine, token: str) -> None:
    """End a session (signing out), and drop every expired one."""
    sessions = _table("sessions")
    with engine.begin() as connection:
        connection.execute(
            delete(sessions).where(
                (sessions.c.digest == _digest(token)) | (sessions.c.expires <= _now())
            )
        )


def user_record(engine: Engine, user: int) -> dict[str, object] | None:
    """A user's id, email and name."""
    users = _table("users")
    with engine.connect() as connection:
        found = connection.execute(
            select(users.c.id, users.c.email, users.c.name).where(users.c.id == user)
        ).first()
    return None if found is None else dict(found._mapping)


def memberships_of(engine: Engine, user: int) -> list[Access]:
    """Every role ``user`` holds, in every park."""
    memberships = _table("memberships")
    with engine.connect() as connection:
        rows = connection.execute(
            select(memberships.c.park_id, memberships.c.role, memberships.c.actor).where(
                memberships.c.user_id == user
            )
        ).all()
    return sorted(Access(user, park, role, actor or None) for park, role, actor in rows)


def members_of(engine: Engine, park_id: int) -> list[dict[str, object]]:
    """The park's members: user id, email, name, role and partner."""
    memberships, users = _table("memberships"), _table("users")
    with engine.connect() as connection:
        rows = connection.execute(
            select(users.c.id, users.c.email, users.c.name, memberships.c.role, memberships.c.actor)
            .join(users, users.c.id == memberships.c.user_id)
            .where(memberships.c.park_id == park_id)
            .order_by(memberships.c.role, memberships.c.actor, users.c.email)
        ).all()
    return [{**row._mapping, "actor": row.actor or None} for row in rows]


def user_by_email(engine: Engine, email: str) -> int | None:
    """The id of the user with ``email``, if any."""
    users = _table("users")
    with engine.connect() as connection:
        found = connection.execute(
            select(users.c.id).where(users.c.email == normal_email(email))
        ).scalar()
    return None if found is None else int(found)


__all__ = [
    "PARTNER_TABLES",
    "ROLES",
    "Access",
    "AccountError",
    "Role",
    "Session",
    "authenticate",
    "close_session",
    "create_token",
    "create_user",
    "declare_tables",
    "grant",
    "has_secretariat",
    "members_of",
    "memberships_of",
    "new_password",
    "normal_email",
    "open_session",
    "revoke",
    "revoke_token",
    "roles_of",
    "session_of",
    "set_password",
    "user_by_email",
    "user_of_token",
    "user_record",
]
