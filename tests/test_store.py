"""The database: parks saved and read back whole, changed row by row under optimistic
locking, every change logged; on SQLite and on PostgreSQL (``database_url``)."""

from __future__ import annotations

import copy
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, Text, cast, delete, event, exc, func, insert, select, text

import symbionet
from symbionet.errors import SymbionetError
from symbionet.register.park import Park, park_from_document
from symbionet.store import (
    ConflictError,
    load_stored_park,
    migrate,
    open_database,
    park_at,
    park_history,
    read_stored_park,
    repository,
    save_park,
    update_row,
)
from symbionet.store.model import ROW_TABLES, metadata
from tests.conftest import EXAMPLES

PARKS = [EXAMPLES / "kalundborg", EXAMPLES / "kalundborg-2010", EXAMPLES / "targeting/food-park"]


def contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a fixed order."""
    with engine.connect() as connection:
        return {
            name: sorted(
                (tuple(map(repr, row)) for row in connection.execute(select(table))),
            )
            for name, table in metadata().tables.items()
        }


def row_version(engine: Engine, park_id: int, table: str, row: str) -> int:
    return read_stored_park(engine, park_id).rows[table][row]


def test_migrations_make_the_tables_of_the_register(database_url: str) -> None:
    migrate(database_url)
    migrate(database_url)  # at head already: nothing to do
    engine = open_database(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata())
    engine.dispose()
    assert differences == []
    streams = metadata().tables["streams"]
    assert {"park_id", "id", "quantity", "temperature_c", "version", "extra"} <= set(
        streams.c.keys()
    )
    assert "annual_quantity" not in streams.c  # derived on load, never stored
    assert [c.name for c in streams.primary_key] == ["park_id", "id"]


def test_sqlite_writes_ahead_and_enforces_foreign_keys(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'parks.sqlite'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


@pytest.mark.parametrize("folder", PARKS, ids=lambda p: p.name)
def test_every_example_park_comes_back_whole(engine: Engine, folder: Path) -> None:
    park = symbionet.load_park(folder)
    park_id = save_park(engine, park, "ane")
    assert load_stored_park(engine, park_id).to_document() == park.to_document()


def test_a_tiny_park_with_empty_table_and_profiles_comes_back_whole(
    engine: Engine, tiny: Path
) -> None:
    (tiny / "plots.csv").write_text("id,lat,lon,area_m2\n", encoding="utf-8")
    (tiny / "profiles.csv").write_text("period,winter\n1,0.75\n2,0.25\n", encoding="utf-8")
    park = symbionet.load_park(tiny)
    document = park.to_document()
    assert document["plots"] == []
    assert document["profiles"] == [{"period": 1, "winter": 0.75}, {"period": 2, "winter": 0.25}]
    park_id = save_park(engine, park, "ane")
    assert load_stored_park(engine, park_id).to_document() == document


def test_a_park_of_the_same_name_is_replaced_only_when_asked(engine: Engine, tiny: Path) -> None:
    park = symbionet.load_park(tiny)
    park_id = save_park(engine, park, "ane")
    before = contents(engine)
    with pytest.raises(
        SymbionetError, match=r"'Tiny park' is saved already \(id \d+\): replace it explicitly"
    ):
        save_park(engine, park, "bo")
    assert contents(engine) == before
    document = park.to_document()
    document["actors"][1]["name"] = "Board plant, renamed"
    assert save_park(engine, park_from_document(document), "bo", replace=True) == park_id
    assert load_stored_park(engine, park_id).to_document() == document
    last = park_history(engine, park_id)[-1]
    assert (last.author, last.version) == ("bo", 2)


def test_an_invalid_change_is_refused_and_changes_nothing(engine: Engine, tiny: Path) -> None:
    park_id = save_park(engine, symbionet.load_park(tiny), "ane")
    before = contents(engine)
    with pytest.raises(SymbionetError) as refused:
        update_row(engine, park_id, "streams", "gyp", {"quantity": -5}, 1, "bo")
    assert sorted(str(refused.value).splitlines()) == [
        "streams[gyp].quantity: -5 is below 0",
        "streams[gyp].quantity: operating and agreed exchanges take 50,000 t/yr of this supply, "
        "more than its -1,825",
    ]
    with pytest.raises(SymbionetError) as refused:
        update_row(engine, park_id, "actors", "power", {"colour": "red", "id": "x"}, 1, "bo")
    assert str(refused.value) == (
        "actors[power].colour: not a column of actors\nactors[power].id: a row's id cannot be changed"
    )
    with pytest.raises(SymbionetError, match=r"streams\[nope\]: no such row in park"):
        update_row(engine, park_id, "streams", "nope", {"quantity": 5}, 1, "bo")
    with pytest.raises(SymbionetError, match="'plants' is not a park table"):
        update_row(engine, park_id, "plants", "p", {"name": "x"}, 1, "bo")
    with pytest.raises(SymbionetError, match="no park with id 99"):
        update_row(engine, 99, "streams", "gyp", {"quantity": 5}, 1, "bo")
    assert contents(engine) == before


def test_a_change_is_stored_as_the_register_reads_it(engine: Engine, tiny: Path) -> None:
    park_id = save_park(engine, symbionet.load_park(tiny), "ane")
    values = {"quantity": "150", "resource": "gypsum", "confidence": None}
    update_row(engine, park_id, "streams", "gyp", values, 1, "bo")
    after = park_history(engine, park_id)[-1].after
    assert after is not None
    assert (after["quantity"], after["resource"], after["confidence"]) == (
        150.0,
        "natural_gypsum",
        "medium",
    )
    stored = load_stored_park(engine, park_id).to_document()["streams"][0]
    assert stored == after


def test_a_stale_version_is_a_conflict(engine: Engine, tiny: Path) -> None:
    park_id = save_park(engine, symbionet.load_park(tiny), "ane")
    assert update_row(engine, park_id, "streams", "gyp", {"quantity": 150}, 1, "ane") == 2
    before = contents(engine)
    with pytest.raises(
        ConflictError, match=r"streams\[gyp\]: changed since version 1 was read \(now version 2\)"
    ):
        update_row(engine, park_id, "streams", "gyp", {"quantity": 100}, 1, "bo")
    assert contents(engine) == before
    park = load_stored_park(engine, park_id)
    assert park.streams.loc["gyp", "quantity"] == 150
    # another row's change moves the park on, not this row
    assert update_row(engine, park_id, "streams", "nat", {"name": "Gypsum"}, 1, "bo") == 3
    assert row_version(engine, park_id, "streams", "gyp") == 2
    assert update_row(engine, park_id, "streams", "gyp", {"quantity": 160}, 2, "bo") == 4


def test_of_changes_made_at_once_from_one_version_one_is_saved(engine: Engine, tiny: Path) -> None:
    park_id = save_park(engine, symbionet.load_park(tiny), "ane")
    start = threading.Barrier(4)

    def change(quantity: float) -> str:
        start.wait()
        try:
            update_row(engine, park_id, "streams", "gyp", {"quantity": quantity}, 1, "bo")
        except ConflictError:
            return "conflict"
        return "saved"

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(change, [150, 160, 170, 180]))
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "saved"]
    saved = [c for c in park_history(engine, park_id) if c.version == 2]
    assert len(saved) == 1 and saved[0].after is not None
    park = load_stored_park(engine, park_id)
    assert park.streams.loc["gyp", "quantity"] == saved[0].after["quantity"]
    assert row_version(engine, park_id, "streams", "gyp") == 2


def test_a_park_is_read_as_of_one_version_while_it_is_replaced(
    database_url: str, engine: Engine, tiny: Path
) -> None:
    document = symbionet.load_park(tiny).to_document()
    other = copy.deepcopy(document)  # the same park with other stream ids
    for stream in other["streams"]:
        stream["id"] += "_2"
    for exchange in other["exchanges"]:
        exchange["supply"] += "_2"
        exchange["demand"] += "_2"
    park_id = save_park(engine, park_from_document(document), "ane")
    writer = open_database(database_url)
    replaced: list[int] = []

    def replace_before_exchanges_are_read(*args: Any) -> None:
        if "FROM exchanges" in args[2] and not replaced:
            replaced.append(save_park(writer, park_from_document(other), "bo", replace=True))

    event.listen(engine, "before_cursor_execute", replace_before_exchanges_are_read)
    try:
        read = read_stored_park(engine, park_id)
    finally:
        event.remove(engine, "before_cursor_execute", replace_before_exchanges_are_read)
        writer.dispose()
    assert replaced == [park_id]
    assert read.park.to_document() == other
    assert read.version == 2
    assert read.rows["streams"] == {"gyp_2": 2, "nat_2": 2, "water_2": 2}


def test_the_log_keeps_every_change_and_gives_earlier_states(engine: Engine, tiny: Path) -> None:
    before_saving = datetime.now(UTC)
    time.sleep(0.01)
    park = symbionet.load_park(tiny)
    park_id = save_park(engine, park, "ane")
    saved = datetime.now(UTC)
    time.sleep(0.01)
    update_row(engine, park_id, "streams", "gyp", {"quantity": 150, "temperature_c": None}, 1, "bo")
    update_row(engine, park_id, "actors", "board", {"nace": "23.62", "website": "x.dk"}, 1, "cy")
    history = park_history(engine, park_id)
    assert len(history) == 1 + 2 + 2 + 3 + 1 + 2  # the park, its rows, two changes
    first, *_, gyp, board = history
    assert (first.table, first.row, first.before, first.author) == ("park", None, None, "ane")
    assert (gyp.table, gyp.row, gyp.author, gyp.version) == ("streams", "gyp", "bo", 2)
    assert gyp.before is not None and gyp.after is not None
    assert (gyp.before["quantity"], gyp.after["quantity"]) == (200.0, 150)
    assert {k: v for k, v in gyp.before.items() if k != "quantity"} == {
        k: v for k, v in gyp.after.items() if k != "quantity"
    }
    assert board.after == {**(board.before or {}), "website": "x.dk"}
    assert saved <= gyp.at <= board.at <= datetime.now(UTC)
    assert park_at(engine, park_id, saved).to_document() == park.to_document()
    now = park_at(engine, park_id, datetime.now(UTC))
    assert now.to_document() == load_stored_park(engine, park_id).to_document()
    assert now.streams.loc["gyp", "quantity"] == 150
    with pytest.raises(SymbionetError, match=f"park {park_id} was not saved yet"):
        park_at(engine, park_id, before_saving)
    with pytest.raises(SymbionetError, match="time zone"):
        park_at(engine, park_id, datetime.now())


def test_the_log_gives_the_park_before_it_was_replaced(engine: Engine, tiny: Path) -> None:
    park = symbionet.load_park(tiny)
    park_id = save_park(engine, park, "ane")
    saved = datetime.now(UTC)
    time.sleep(0.01)
    document = park.to_document()
    document["streams"].reverse()
    del document["exchanges"]
    save_park(engine, park_from_document(document), "bo", replace=True)
    assert park_at(engine, park_id, saved).to_document() == park.to_document()
    assert park_at(engine, park_id, datetime.now(UTC)).to_document() == document
    assert contents(engine)["exchanges"] == []
    save_park(engine, park, "cy", replace=True)  # the exchanges again, under the same ids
    assert load_stored_park(engine, park_id).to_document() == park.to_document()
    removed = [(c.version, c.table) for c in park_history(engine, park_id) if c.after is None]
    assert removed.count((2, "exchanges")) == 1  # g1, and with it 2 actors, 2 sites, 3 streams
    assert removed.count((3, "exchanges")) == 0
    assert [len(removed), removed.count((2, "streams")), removed.count((3, "streams"))] == [
        15,
        3,
        3,
    ]


def test_an_import_failing_half_way_leaves_nothing(engine: Engine, tiny: Path) -> None:
    park = symbionet.load_park(tiny)
    streams = park.frames["streams"]
    park.frames["streams"] = pd.concat([streams, streams.iloc[[-1]]])  # a second "water"
    empty = contents(engine)
    with pytest.raises(exc.IntegrityError):
        save_park(engine, park, "ane")
    assert contents(engine) == empty
    with engine.connect() as connection:
        parks = metadata().tables["parks"]
        assert connection.execute(select(func.count()).select_from(parks)).scalar() == 0


def test_text_a_database_cannot_hold_is_refused_with_its_place(engine: Engine, tiny: Path) -> None:
    document = symbionet.load_park(tiny).to_document()
    document["actors"][1]["name"] = "Board\x00plant"
    with pytest.raises(SymbionetError) as refused:
        save_park(engine, park_from_document(document), "ane")
    assert str(refused.value) == "actors[1].name: text holds a NUL character"
    assert contents(engine) == {name: [] for name in metadata().tables}
    park_id = save_park(engine, symbionet.load_park(tiny), "ane")
    with pytest.raises(SymbionetError) as refused:
        update_row(engine, park_id, "actors", "board", {"name": "Board\ud800"}, 1, "ane")
    assert str(refused.value) == "actors[board].name: text is not valid Unicode"


NAMES = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)
QUANTITIES = st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(quantities=st.lists(QUANTITIES, min_size=3, max_size=3), names=st.lists(NAMES, min_size=3))
def test_stream_quantities_and_names_come_back_exactly(
    engine: Engine, quantities: list[float], names: list[str]
) -> None:
    document = symbionet.load_park(EXAMPLES / "targeting/food-park").to_document()
    for stream, quantity, name in zip(document["streams"], quantities, names, strict=False):
        stream["quantity"] = quantity
        stream["name"] = name
    park: Park = park_from_document(document)
    park_id = save_park(engine, park, "ane", replace=True)
    back = load_stored_park(engine, park_id)
    assert back.to_document() == park.to_document()
    assert list(back.streams["quantity"])[:3] == quantities


def stored_text(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every value of every park table and of the log as the database holds it (JSON as
    its text, a JSON null apart from an empty cell), without ids and times that differ
    from one save to the next."""
    tables = ["changes", *ROW_TABLES]
    found = {}
    with engine.connect() as connection:
        for name in tables:
            table = metadata().tables[name]
            left_out = ("id", "park_id", "at") if name == "changes" else ("park_id",)
            columns = [c for c in table.c if c.name not in left_out]
            rows = connection.execute(select(*(cast(c, Text) for c in columns))).all()
            found[name] = sorted(tuple("<empty>" if v is None else v for v in row) for row in rows)
    return found


def test_a_park_is_stored_as_a_row_by_row_insert_stores_it(
    engine: Engine, tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tiny / "profiles.csv").write_text("period,winter\n1,0.75\n2,0.25\n", encoding="utf-8")
    document = symbionet.load_park(tiny).to_document()
    document["actors"][0]["name"] = "Board \\u0000 plant ø"  # a backslash, not a NUL
    park = park_from_document(document)
    for inserts in ("batched", "row by row"):
        if inserts == "row by row":
            monkeypatch.setattr(
                repository, "_insert_many", lambda c, table, rows: c.execute(insert(table), rows)
            )
        park_id = save_park(engine, park, "ane")
        save_park(engine, park, "ane", replace=True)  # the log holds rows before and after
        stored = stored_text(engine)
        assert load_stored_park(engine, park_id).to_document() == park.to_document()
        if inserts == "batched":
            batched = stored
            with engine.begin() as connection:
                connection.execute(delete(metadata().tables["parks"]))
                connection.execute(delete(metadata().tables["changes"]))
    assert stored == batched
