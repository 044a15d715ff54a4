"""Contacts' personal data: exported on request, erased everywhere, in park files and in
the database with its history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, select

import symbionet
from symbionet.errors import SymbionetError
from symbionet.hub.contacts import erase_contact, export_contact
from symbionet.store import contacts as stored
from symbionet.store import load_stored_park, park_history, read_stored_park, save_park, update_row
from tests.conftest import write_park

NAME, EMAIL, PHONE = "Jørgen Ølgaard", "jorgen@unibio.example", "+45 1234 5678"

HUB = {
    "actors.csv": (
        "id,name,kind,nace\npower,Power plant,utility,35.11\nboard,Board plant,company,23.62\n"
        "unibio,Gas startup,startup,\nlab,Pilot plant,facility,\n"
    ),
    "contacts.csv": (
        "id,organisation,name,email,phone,role,consent\n"
        f"c1,unibio,{NAME},{EMAIL},{PHONE},CEO,2025-01-01\n"
        "c2,board,Anna Berg,anna@board.example,,engineer,2025-02-01\n"
    ),
    "facilities.csv": "id,name,owner,kind,capacity,capacity_unit\nf1,Fermenter,lab,fermentation,300,L\n",
    "bookings.csv": (
        "id,facility,organisation,contact,start,end,purpose\n"
        f"b1,f1,unibio,c1,2026-02-01,2026-02-05,trial run (ask {NAME})\n"
        "b2,f1,board,c2,2026-03-01,2026-03-03,scale-up\n"
    ),
}


@pytest.fixture
def hub(tmp_path: Path) -> symbionet.Park:
    return symbionet.load_park(write_park(tmp_path / "hub", HUB))


def mentions(value: Any, texts: tuple[str, ...] = (NAME, EMAIL, PHONE)) -> bool:
    dumped = json.dumps(value, default=str)
    escaped = json.dumps(value, default=str, ensure_ascii=False)
    return any(t in dumped or t in escaped or json.dumps(t)[1:-1] in dumped for t in texts)


def test_an_export_holds_the_row_and_every_row_that_refers_to_it(hub: symbionet.Park) -> None:
    exported = export_contact(hub, "c1")
    assert exported["contact"] == {
        "id": "c1",
        "organisation": "unibio",
        "name": NAME,
        "email": EMAIL,
        "phone": PHONE,
        "role": "CEO",
        "consent": "2025-01-01",
    }
    assert exported["organisation"] == {"id": "unibio", "name": "Gas startup"}
    assert [b["id"] for b in exported["bookings"]] == ["b1"]
    json.dumps(exported)  # plain data


def test_an_erasure_removes_the_row_clears_references_and_quotes(hub: symbionet.Park) -> None:
    erased = erase_contact(hub, "c1")
    assert list(erased.table("contacts").index) == ["c2"]
    bookings = erased.table("bookings")
    assert bookings.loc["b1", "organisation"] == "unibio"  # the booking stays, without the person
    assert bookings.loc["b1", "contact"] is None or bookings["contact"].isna()["b1"]
    assert bookings.loc["b1", "purpose"] == "trial run (ask [erased])"
    assert bookings.loc["b2", "contact"] == "c2"
    assert not mentions(erased.to_document())
    assert mentions(hub.to_document())  # the park given is left as it was
    last = erase_contact(erase_contact(hub, "c1"), "c2")
    assert "contacts" not in last.frames


def test_an_unknown_contact_is_named_by_id_only(hub: symbionet.Park) -> None:
    with pytest.raises(SymbionetError) as raised:
        erase_contact(hub, "c9")
    assert str(raised.value) == "contacts.csv:id: no contact 'c9'"
    with pytest.raises(SymbionetError, match="no contact 'c9'"):
        export_contact(hub, "c9")


def everything(engine: Engine) -> list[Any]:
    """Every value of every table of the database."""
    reflected = MetaData()
    reflected.reflect(engine)
    values: list[Any] = []
    with engine.connect() as connection:
        for table in reflected.sorted_tables:
            for row in connection.execute(select(table)):
                values += [v.decode("latin-1") if isinstance(v, bytes) else v for v in row]
    return values


def test_the_database_forgets_the_person_history_included(engine: Engine, tmp_path: Path) -> None:
    park = symbionet.load_park(write_park(tmp_path / "hub", HUB))
    park_id = save_park(engine, park, "secretariat")
    rows = read_stored_park(engine, park_id).rows
    update_row(engine, park_id, "contacts", "c1", {"role": "CTO"}, rows["contacts"]["c1"], "x")
    update_row(
        engine, park_id, "bookings", "b1", {"end": "2026-02-06"}, rows["bookings"]["b1"], "x"
    )
    exported = stored.export_contact(engine, park_id, "c1")
    assert exported["contact"]["role"] == "CTO"
    assert [c["after"]["role"] for c in exported["history"]] == ["CEO", "CTO"]
    assert mentions(everything(engine))

    version = stored.erase_contact(engine, park_id, "c1", "secretariat")

    assert not mentions(everything(engine))
    loaded = load_stored_park(engine, park_id)
    assert list(loaded.table("contacts").index) == ["c2"]
    assert loaded.table("bookings").loc["b1", "purpose"] == "trial run (ask [erased])"
    assert read_stored_park(engine, park_id).version == version
    history = park_history(engine, park_id)
    ours = [c for c in history if c.table == "contacts" and c.row == "c1"]
    # added, changed and removed: the fact of each kept, nothing of the person
    assert [(c.before, c.after) for c in ours] == [
        (None, {"id": "c1"}),
        ({"id": "c1"}, {"id": "c1"}),
        ({"id": "c1"}, None),
    ]
    assert all("contact" not in (c.after or {}) for c in history if c.row == "b1")
    assert any(c.after and c.after.get("contact") == "c2" for c in history if c.row == "b2")
    with pytest.raises(SymbionetError, match="no contact 'c1'"):
        stored.export_contact(engine, park_id, "c1")


def test_an_erasure_that_fails_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    park = symbionet.load_park(write_park(tmp_path / "hub", HUB))
    park_id = save_park(engine, park, "secretariat")
    before = everything(engine)
    with pytest.raises(SymbionetError) as raised:
        stored.erase_contact(engine, park_id, "c9", "secretariat")
    assert "no contact 'c9'" in str(raised.value)
    assert everything(engine) == before
