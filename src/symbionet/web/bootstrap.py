"""A new platform's first start: the park it serves saved, a secretariat account and one
account per partner, whose passwords are given once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from symbionet.register.park import load_park
from symbionet.store import accounts
from symbionet.store.repository import list_parks, save_park


@dataclass(frozen=True)
class Account:
    """An account made on the first start, with its password."""

    email: str
    password: str
    role: str
    actor: str | None


def _domain(name: str) -> str:
    return (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "park") + ".example"


def first_start(engine: Engine, park_path: Path | str) -> list[Account]:
    """On an empty database, save the park at ``park_path`` and make its accounts: the
    secretariat's and an editor's per partner; the accounts made (none when the database
    holds a park already)."""
    if list_parks(engine):
        return []
    park = load_park(park_path)
    park_id = save_park(engine, park, "first start")
    domain = _domain(park.name)
    made = []
    wanted = [("secretariat", "secretariat", None)] + [
        (str(actor), "editor", str(actor)) for actor in park.actors.index
    ]
    for local, role, actor in wanted:
        email = f"{re.sub(r'[^a-z0-9._-]+', '-', local.lower())}@{domain}"
        password = accounts.new_password()
        name = "Secretariat" if actor is None else str(park.actors.at[actor, "name"])
        user = accounts.create_user(engine, email, name, password)
        accounts.grant(engine, user, park_id, role, actor)
        made.append(Account(email, password, role, actor))
    return made


__all__ = ["Account", "first_start"]
