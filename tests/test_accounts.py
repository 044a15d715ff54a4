"""Accounts: users and passwords, roles in parks, API tokens and the accounts' migration; on
SQLite and on PostgreSQL (``database_url``)."""

from __future__ import annotations

import time
from importlib.resources import files
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from argon2 import PasswordHasher
from sqlalchemy import Engine, select, update

import symbionet
import symbionet.store.accounts as accounts_module
from symbionet.register import schema
from symbionet.store import load_stored_park, migrate, open_database, save_park
from symbionet.store.accounts import (
    ROLES,
    Access,
    AccountError,
    authenticate,
    create_token,
    create_user,
    grant,
    revoke,
    revoke_token,
    roles_of,
    user_of_token,
)
from symbionet.store.model import metadata
from tests.conftest import write_park

PASSWORD = "correct horse battery staple"


@pytest.fixture
def park(engine: Engine, tiny: Path) -> int:
    """The tiny park (partners ``power`` and ``board``) saved in the database."""
    return save_park(engine, symbionet.load_park(tiny), "test")


def stored_text(engine: Engine) -> str:
    """Every value of every table, as one text."""
    with engine.connect() as connection:
        return "\n".join(
            repr(tuple(row))
            for table in metadata().tables.values()
            for row in connection.execute(select(table))
        )


def password_hash(engine: Engine, user: int) -> str:
    users = metadata().tables["users"]
    with engine.connect() as connection:
        stored: str = connection.execute(
            select(users.c.password_hash).where(users.c.id == user)
        ).scalar_one()
    return stored


def test_a_password_is_stored_as_an_argon2_hash_only(engine: Engine) -> None:
    user = create_user(engine, "  Ada@Example.COM ", "Ada Lovelace", PASSWORD)
    stored = password_hash(engine, user)
    assert stored.startswith("$argon2id$")
    assert PasswordHasher().verify(stored, PASSWORD)
    assert PASSWORD not in stored_text(engine)
    assert "ada@example.com" in stored_text(engine)  # the email is kept normalised
    assert authenticate(engine, "ada@example.com", PASSWORD) == user
    assert authenticate(engine, " ADA@example.com", PASSWORD) == user


def test_a_wrong_password_and_an_unknown_email_both_give_none(engine: Engine) -> None:
    create_user(engine, "ada@example.com", "Ada Lovelace", PASSWORD)
    assert authenticate(engine, "ada@example.com", PASSWORD + "!") is None
    assert authenticate(engine, "ada@example.com", "") is None
    assert authenticate(engine, "bob@example.com", PASSWORD) is None
    assert authenticate(engine, "not an email", PASSWORD) is None


def test_an_unknown_email_takes_about_as_long_as_a_wrong_password(engine: Engine) -> None:
    create_user(engine, "ada@example.com", "Ada Lovelace", PASSWORD)

    def fastest(email: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            authenticate(engine, email, "wrong password here")
            times.append(time.perf_counter() - start)
        return min(times)

    # Without verifying a hash an unknown email would take a few percent of the time.
    assert fastest("bob@example.com") > 0.25 * fastest("ada@example.com")


def test_a_hash_made_with_older_parameters_is_renewed_at_login(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the recommended parameters, as a server without SYMBIONET_ARGON2 has them
    monkeypatch.setattr(accounts_module, "_hasher", PasswordHasher())
    user = create_user(engine, "ada@example.com", "Ada Lovelace", PASSWORD)
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    users = metadata().tables["users"]
    with engine.begin() as connection:
        connection.execute(update(users).where(users.c.id == user).values(password_hash=old))
    assert authenticate(engine, "ada@example.com", PASSWORD + "x") is None
    assert password_hash(engine, user) == old  # a failed login changes nothing
    assert authenticate(engine, "ada@example.com", PASSWORD) == user
    renewed = password_hash(engine, user)
    assert renewed != old
    assert not PasswordHasher().check_needs_rehash(renewed)
    assert authenticate(engine, "ada@example.com", PASSWORD) == user


@pytest.mark.parametrize(
    ("email", "name", "password", "message"),
    [
        ("ada@example.com", "Ada", "", "at least 12 characters"),
        ("ada@example.com", "Ada", "short pass1", "at least 12 characters"),
        ("ada@example.com", "Ada", "abababababababab", "at least 5 different characters"),
        ("ada@example.com", "Ada Lovelace", "my name: Ada Lovelace", "name or email"),
        ("lovelace@example.com", "Ada", "xx LoveLace 2026 xx", "name or email"),
        ("ada.example.com", "Ada", PASSWORD, "not an email address"),
        ("ada@example", "Ada", PASSWORD, "not an email address"),
        ("ada @example.com", "Ada", PASSWORD, "not an email address"),
        ("ada@example.com", "  ", PASSWORD, "name is empty"),
    ],
)
def test_weak_passwords_and_bad_emails_are_refused_with_the_reason(
    engine: Engine, email: str, name: str, password: str, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        create_user(engine, email, name, password)
    assert stored_text(engine) == ""


def test_an_email_is_registered_once_whatever_its_case(engine: Engine) -> None:
    create_user(engine, "ada@example.com", "Ada Lovelace", PASSWORD)
    with pytest.raises(AccountError, match=r"ada@example\.com exists already"):
        create_user(engine, "ADA@Example.com", "Another Ada", "another long password")


def test_a_token_works_once_created_and_stops_when_revoked(engine: Engine) -> None:
    ada = create_user(engine, "ada@example.com", "Ada Lovelace", PASSWORD)
    bob = create_user(engine, "bob@example.com", "Bob Builder", PASSWORD)
    first, second, bobs = (
        create_token(engine, ada),
        create_token(engine, ada),
        create_token(engine, bob),
    )
    assert len({first, second, bobs}) == 3
    tokens = metadata().tables["tokens"]
    with engine.connect() as connection:
        assert connection.execute(select(tokens.c.last_used)).scalars().all() == [None] * 3
    assert user_of_token(engine, first) == ada
    assert user_of_token(engine, second) == ada
    assert user_of_token(engine, bobs) == bob
    with engine.connect() as connection:
        assert None not in connection.execute(select(tokens.c.last_used)).scalars().all()
    assert revoke_token(engine, first)
    assert not revoke_token(engine, first)  # revoked already
    assert user_of_token(engine, first) is None
    assert user_of_token(engine, second) == ada
    assert user_of_token(engine, first[:-1]) is None
    assert user_of_token(engine, "") is None
    with pytest.raises(AccountError, match="no user 999"):
        create_token(engine, 999)


def test_the_token_text_is_never_stored(engine: Engine) -> None:
    ada = create_user(engine, "ada@example.com", "Ada Lovelace", PASSWORD)
    token = create_token(engine, ada)
    user_of_token(engine, token)
    secret = token.removeprefix("sbn_")
    assert len(secret) >= 40
    text = stored_text(engine)
    assert "tokens" in metadata().tables and "digest" in metadata().tables["tokens"].c
    assert secret not in text
    assert secret[:16] not in text


# What each role may change, worked out by hand: rows of the partner the role acts for
# ("own", here partner "power"), of another partner ("other", "board") and of no single
# partner ("none": the park's settings, exchanges between two partners, profiles, plots).
MATRIX = """
table             secretariat   editor own/other/none   viewer own/other/none
park              yes           no  no  no              no no no
actors            yes           yes no  no              no no no
sites             yes           yes no  no              no no no
streams           yes           yes no  no              no no no
exchanges         yes           no  no  no              no no no
technologies      yes           yes no  no              no no no
profiles          yes           no  no  no              no no no
plots             yes           no  no  no              no no no
meters            yes           no  no  no              no no no
pipeline          yes           no  no  no              no no no
pipeline_log      yes           no  no  no              no no no
risks             yes           no  no  no              no no no
scenarios         yes           no  no  no              no no no
contacts          yes           no  no  no              no no no
facilities        yes           no  no  no              no no no
bookings          yes           no  no  no              no no no
projects          yes           no  no  no              no no no
project_partners  yes           no  no  no              no no no
calls             yes           no  no  no              no no no
call_rules        yes           no  no  no              no no no
programmes        yes           no  no  no              no no no
solutions         yes           no  no  no              no no no
"""


def test_the_role_matrix_says_who_may_change_which_rows() -> None:
    lines = MATRIX.strip().splitlines()[1:]
    assert [line.split()[0] for line in lines] == list(schema.tables())
    secretariat = Access(1, 1, "secretariat")
    editor = Access(1, 1, "editor", "power")
    viewer = Access(1, 1, "viewer", "power")
    for line in lines:
        table, boss, *partner = line.split()
        for row_actor in ("power", "board", None):
            assert secretariat.may_edit(table, row_actor) is (boss == "yes"), table
        for access, answers in ((editor, partner[:3]), (viewer, partner[3:])):
            got = [access.may_edit(table, a) for a in ("power", "board", None)]
            assert got == [answer == "yes" for answer in answers], (access.role, table)
    with pytest.raises(ValueError, match="no park table 'stream'"):
        editor.may_edit("stream", "power")


def test_only_the_secretariat_runs_jobs_and_partners_see_their_own_secrets() -> None:
    secretariat = Access(1, 1, "secretariat")
    editor = Access(1, 1, "editor", "power")
    viewer = Access(1, 1, "viewer", "board")
    assert [a.may_run_jobs() for a in (secretariat, editor, viewer)] == [True, False, False]
    assert [a.may_see_confidential_of("power") for a in (secretariat, editor, viewer)] == [
        True,
        True,
        False,
    ]
    assert [a.may_see_confidential_of("board") for a in (secretariat, editor, viewer)] == [
        True,
        False,
        True,
    ]


def test_a_user_holds_different_roles_in_two_parks(
    engine: Engine, park: int, tmp_path: Path
) -> None:
    other = save_park(
        engine,
        symbionet.load_park(
            write_park(
                tmp_path / "other",
                {"park.yaml": "name: Other park\ncountry: DK\nyear: 2023\ncurrency: DKK\n"},
            )
        ),
        "test",
    )
    ada = create_user(engine, "ada@example.com", "Ada Lovelace", PASSWORD)
    bob = create_user(engine, "bob@example.com", "Bob Builder", PASSWORD)
    assert grant(engine, ada, park, "secretariat") == Access(ada, park, "secretariat")
    grant(engine, ada, other, "editor", "board")
    grant(engine, ada, other, "viewer", "power")
    grant(engine, ada, other, "viewer", "power")  # held already: nothing changes
    grant(engine, bob, park, "viewer", "board")
    assert roles_of(engine, ada, park) == [Access(ada, park, "secretariat")]
    assert roles_of(engine, ada, other) == [
        Access(ada, other, "editor", "board"),
        Access(ada, other, "viewer", "power"),
    ]
    assert roles_of(engine, bob, park) == [Access(bob, park, "viewer", "board")]
    assert roles_of(engine, bob, other) == []
    assert revoke(engine, ada, other, "viewer", "power")
    assert not revoke(engine, ada, other, "viewer", "power")
    assert roles_of(engine, ada, other) == [Access(ada, other, "editor", "board")]
    assert roles_of(engine, ada, park) == [Access(ada, park, "secretariat")]


@pytest.mark.parametrize(
    ("role", "actor", "message"),
    [
        ("owner", None, "no role 'owner': one of secretariat, editor, viewer"),
        ("editor", None, "the editor role acts for one partner: give its actor id"),
        ("viewer", "", "the viewer role acts for one partner"),
        ("secretariat", "power", "the secretariat acts for no partner"),
        ("editor", "nobody", "has no actor 'nobody'"),
    ],
)
def test_a_role_is_granted_only_as_it_can_be_held(
    engine: Engine, park: int, role: str, actor: str | None, message: str
) -> None:
    ada = create_user(engine, "ada@example.com", "Ada Lovelace", PASSWORD)
    with pytest.raises(AccountError, match=message):
        grant(engine, ada, park, role, actor)
    assert roles_of(engine, ada, park) == []
    assert set(ROLES) == {"secretariat", "editor", "viewer"}


def test_roles_are_granted_in_existing_parks_to_existing_users(engine: Engine, park: int) -> None:
    ada = create_user(engine, "ada@example.com", "Ada Lovelace", PASSWORD)
    with pytest.raises(AccountError, match="no park 999"):
        grant(engine, ada, 999, "secretariat")
    with pytest.raises(AccountError, match="no user 999"):
        grant(engine, 999, park, "secretariat")


def config() -> Config:
    """The shipped migrations' configuration."""
    shipped = Config()
    shipped.set_main_option("script_location", str(files("symbionet.store") / "migrations"))
    return shipped


def downgrade_to(url: str, revision: str) -> None:
    """Run the shipped migrations' downgrades from the head back to ``revision``."""
    script = ScriptDirectory.from_config(config())
    engine = open_database(url)
    try:
        with (
            engine.begin() as connection,
            EnvironmentContext(
                config(),
                script,
                fn=lambda current, _: script._downgrade_revs(revision, current),
                destination_rev=revision,
            ) as environment,
        ):
            environment.configure(connection=connection)
            with environment.begin_transaction():
                environment.run_migrations()
    finally:
        engine.dispose()


def test_a_park_saved_under_the_first_schema_survives_every_migration(
    database_url: str, tiny: Path
) -> None:
    migrate(database_url)
    park = symbionet.load_park(tiny)
    engine = open_database(database_url)
    try:
        park_id = save_park(engine, park, "test")
        downgrade_to(database_url, "0001")
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == "0001"
            for table in ("users", "memberships", "tokens", "sessions", "jobs", "consents"):
                assert not engine.dialect.has_table(connection, table)
        migrate(database_url)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert (
                context.get_current_revision()
                == ScriptDirectory.from_config(config()).get_current_head()
            )
            assert compare_metadata(context, metadata()) == []
        assert load_stored_park(engine, park_id).to_document() == park.to_document()
        ada = create_user(engine, "ada@example.com", "Ada Lovelace", PASSWORD)
        assert grant(engine, ada, park_id, "editor", "power") == Access(
            ada, park_id, "editor", "power"
        )
    finally:
        engine.dispose()
