"""A new platform's first start: the park it serves saved, a secretariat account and one
account per partner, whose passwords are given once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from symbionet.register.park import load_park
from symbionet.store import accounts
from symbionet.store.repository import list_parks, load_stored_park, save_park


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
    """On a database without a secretariat, save the park at ``park_path`` (unless it holds
    parks already) and make the accounts of its first park: an editor's per partner, then
    the secretariat's; the accounts made, each with a new password (none when some park
    has a secretariat). A first start stopped half-way is thus made again, whole, by the
    next: accounts it made already get new passwords, as nobody was shown the old ones."""
    if accounts.has_secretariat(engine):
        return []
    if not list_parks(engine):
        save_park(engine, load_park(park_path), "first start")
    first = list_parks(engine)[0]
    park = load_stored_park(engine, first["id"])
    domain = _domain(park.name)
    wanted = [(str(actor), "editor", str(actor)) for actor in park.actors.index]
    made = []
    for local, role, actor in [*wanted, ("secretariat", "secretariat", None)]:
        email = f"{re.sub(r'[^a-z0-9._-]+', '-', local.lower())}@{domain}"
        password = accounts.new_password()
        user = accounts.user_by_email(engine, email)
        if user is None:
            name = "Secretariat" if actor is None else str(park.actors.at[actor, "name"])
            user = accounts.create_user(engine, email, name, password)
        else:
            accounts.set_password(engine, user, password)
        accounts.grant(engine, user, first["id"], role, actor)
        made.append(Account(email, password, role, actor))
    return [made[-1], *made[:-1]]


__all__ = ["Account", "first_start"]
