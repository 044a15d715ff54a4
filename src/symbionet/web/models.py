"""The API's request bodies, made from the register's column declarations: a row of
each park table as a pydantic model, so that the API documents and checks the very
columns the files declare."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from symbionet.analyses import ANALYSES
from symbionet.register import schema
from symbionet.register.stages import STAGES
from symbionet.store.model import ROW_TABLES

TYPES: dict[str, Any] = {
    "float": float,
    "int": int,
    "year": int,
    "bool": bool,
    "mapping": dict[str, Any],
}


def _field_type(column: schema.Column) -> Any:
    if column.type == "enum":
        return Literal[tuple(column.choices)]
    return TYPES.get(column.type, str)


@cache
def row_model(table: str, new: bool) -> type[BaseModel]:
    """A row of ``table``: every declared column optional but, for a ``new`` row, its id;
    other names allowed (``ppm_cod`` of ``ppm_*``, extra columns) and checked by the
    register."""
    key = "period" if table == "profiles" else schema.tables()[table].id_column
    fields: dict[str, Any] = {}
    for column in schema.tables()[table].columns:
        if column.is_pattern or column.type == "derived":
            continue
        kind = _field_type(column)
        required = new and column.name == key
        fields[column.name] = (
            kind if required else kind | None,
            Field(... if required else None, description=column.description),
        )
    return create_model(
        f"{table.title()}{'New' if new else 'Change'}",
        __config__=ConfigDict(extra="allow"),
        **fields,
    )


class RowChange(BaseModel):
    """Fields of a row to change (``null`` empties one) and the version it was read at."""

    version: int = Field(description="the row's version when it was read (_version)")
    values: dict[str, Any] = Field(description="column -> new value; null empties it")


class Login(BaseModel):
    email: str
    password: str


class JobRequest(BaseModel):
    kind: Literal[tuple(ANALYSES)]  # type: ignore[valid-type]
    options: dict[str, Any] = Field(default_factory=dict)


class Consent(BaseModel):
    agree: bool = True


class Invitation(BaseModel):
    email: str
    name: str
    role: Literal["secretariat", "editor", "viewer"]
    actor: str | None = None


#: the fields of a synergy a proposal may set besides its title
PROPOSAL_FIELDS = (
    "owner",
    "partners",
    "supply",
    "demand",
    "resource",
    "quantity",
    "unit",
    "co2e_t",
    "water_m3",
    "materials_t",
    "saving",
    "readiness",
    "barriers",
    "next_step",
    "due",
    "proposed",
    "documents",
    "reference",
    "notes",
)


def _declared(table: str, name: str) -> tuple[Any, Any]:
    column = schema.tables()[table].column(name)
    assert column is not None, name
    return _field_type(column) | None, Field(None, description=column.description)


_PROPOSED: dict[str, Any] = {name: _declared("pipeline", name) for name in PROPOSAL_FIELDS}
Proposal = create_model(
    "Proposal", title=(str, Field(description="Short name of the synergy.")), **_PROPOSED
)
"""A synergy proposed into the pipeline at the idea stage."""


class Move(BaseModel):
    """A synergy project's move to another stage, with what the move needs."""

    stage: Literal[STAGES]  # type: ignore[valid-type]
    on: date | None = Field(None, description="date of the move (today)")
    reason: str | None = Field(None, description="why: logged; needed to reject or go back")
    agreement_date: date | None = Field(None, description="needed to reach agreement")
    start_date: date | None = Field(None, description="needed to operate")
    end_date: date | None = Field(None, description="needed to end")
    exchange: str | None = Field(None, description="the register's exchange it becomes")
    next_step: str | None = None
    due: date | None = None


TABLE = Literal[ROW_TABLES]  # type: ignore[valid-type]

__all__ = [
    "PROPOSAL_FIELDS",
    "TABLE",
    "Consent",
    "Invitation",
    "JobRequest",
    "Login",
    "Move",
    "Proposal",
    "RowChange",
    "row_model",
]
