"""What every request of the platform starts from: the database, the signed-in user, the
user's role in the park asked for, and the park as that role may see it (read once per
version of the park and kept)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from sqlalchemy import Engine

from symbionet.errors import SymbionetError
from symbionet.register.park import Park
from symbionet.store import accounts
from symbionet.store.accounts import Access, Session
from symbionet.store.repository import StoredPark, park_version, read_stored_park

SESSION_COOKIE = "symbionet_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
RANK = {"secretariat": 0, "editor": 1, "viewer": 2}
#: the largest id of a stored row (the database's 32-bit integer column)
MAX_ID = 2**31 - 1

T = TypeVar("T")


@dataclass(frozen=True)
class User:
    """The signed-in user of a request, and how: a browser ``session`` or an API token."""

    id: int
    email: str
    name: str
    session: Session | None = None


class ParkCache:
    """Parks and what is computed from them, by park, version and key, for the newest
    versions only: a request reads the park's version (one small query) and reuses the
    rest. A value missing is made by one thread while the others asking for it wait."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self.items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.lock = threading.Lock()
        self.making: dict[tuple[Any, ...], threading.Lock] = {}

    def _found(self, key: tuple[Any, ...]) -> tuple[bool, Any]:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return True, self.items[key]
            return False, self.making.setdefault(key, threading.Lock())

    def get(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        found, value = self._found(key)
        if found:
            return value
        with value:  # the key's lock: one thread makes the value
            found, made = self._found(key)
            if found:
                return made
            try:
                made = make()
                with self.lock:
                    self.items[key] = made
                    while len(self.items) > self.size:
                        self.items.popitem(last=False)
            finally:
                with self.lock:
                    self.making.pop(key, None)
        return made


def storable_id(value: int) -> bool:
    """Whether ``value`` may be the id of a stored park or job: any other number names
    none, and is not one to send to the database, which refuses it."""
    return 1 <= value <= MAX_ID


@dataclass
class Platform:
    """The state of one server process: its database and caches."""

    engine: Engine
    cache: ParkCache = field(default_factory=ParkCache)
    secure_cookies: bool = False

    def stored(self, park_id: int) -> StoredPark:
        """The park as saved now."""
        if not storable_id(park_id):
            raise HTTPException(404, f"no park {park_id}")
        try:
            version = park_version(self.engine, park_id)
        except SymbionetError:
            raise HTTPException(404, f"no park {park_id}") from None
        return self.cache.get(
            ("park", park_id, version), lambda: read_stored_park(self.engine, park_id)
        )

    def computed(self, stored: StoredPark, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        """Something computed from a version of a park, kept with it."""
        return self.cache.get((stored.id, stored.version, *key), make)


def platform(request: Request) -> Platform:
    found: Platform = request.app.state.platform
    return found


def current_user(request: Request) -> User | None:
    """The user of a request: by ``Authorization: Bearer <token>``, else by session cookie."""
    engine = platform(request).engine
    header = request.headers.get("authorization", "")
    session = None
    if header.lower().startswith("bearer "):
        user_id = accounts.user_of_token(engine, header[7:].strip())
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        session = accounts.session_of(engine, cookie) if cookie else None
        user_id = session.user if session else None
    if user_id is None:
        return None
    record = accounts.user_record(engine, user_id)
    if record is None:
        return None
    return User(user_id, str(record["email"]), str(record["name"]), session)


def signed_in(request: Request) -> User:
    """The user of a request, or 401."""
    user = current_user(request)
    if user is None:
        raise HTTPException(401, "sign in first", headers={"WWW-Authenticate": "Bearer"})
    return user


def role_in(request: Request, user: User, park_id: int) -> Access:
    """The user's strongest role in the park (the secretariat over an editor over a
    viewer), or 404 for a park the user has no role in, whether it exists or not."""
    if not storable_id(park_id):
        raise HTTPException(404, f"no park {park_id} of yours")
    roles = accounts.roles_of(platform(request).engine, user.id, park_id)
    if not roles:
        raise HTTPException(404, f"no park {park_id} of yours")
    return min(roles, key=lambda access: RANK[access.role])


def secretariat(access: Access) -> None:
    """403 unless the role is the park's secretariat."""
    if access.role != "secretariat":
        raise HTTPException(403, "only the park's secretariat may do this")


def visible_park(stored: StoredPark, access: Access, cache: Platform) -> Park:
    """The park as ``access`` may see it: whole for the secretariat, without other
    partners' confidential streams for a partner."""
    if access.actor is None:
        return stored.park
    actor = access.actor
    return cache.computed(stored, ("visible", actor), lambda: stored.park.visible_to(actor))


__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "ParkCache",
    "Platform",
    "User",
    "current_user",
    "platform",
    "role_in",
    "secretariat",
    "signed_in",
    "storable_id",
    "visible_park",
]
