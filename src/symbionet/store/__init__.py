"""The database: parks saved whole, changed row by row, every change logged.

Tables come from the register's column declarations (``symbionet.store.model``); the
migrations shipped here bring any database to them (``migrate``).
"""

from symbionet.store.contacts import erase_contact, export_contact
from symbionet.store.database import migrate, open_database
from symbionet.store.repository import (
    Change,
    ConflictError,
    StoredPark,
    add_row,
    delete_row,
    list_parks,
    load_stored_park,
    park_at,
    park_history,
    park_version,
    read_stored_park,
    save_park,
    update_row,
)

__all__ = [
    "Change",
    "ConflictError",
    "StoredPark",
    "add_row",
    "delete_row",
    "erase_contact",
    "export_contact",
    "list_parks",
    "load_stored_park",
    "migrate",
    "open_database",
    "park_at",
    "park_history",
    "park_version",
    "read_stored_park",
    "save_park",
    "update_row",
]
