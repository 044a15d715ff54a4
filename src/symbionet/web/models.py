"""The API's request bodies, made from the register's column declarations: a row of
each park table as a pydantic model, so that the API documents and checks the very
columns the files declare."""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from symbionet.register import schema
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
    kind: Literal["discover", "design", "pareto", "share", "stress", "targets", "assess"]
    options: dict[str, Any] = Field(default_factory=dict)


class Consent(BaseModel):
    agree: bool = True


class Invitation(BaseModel):
    email: str
    name: str
    role: Literal["secretariat", "editor", "viewer"]
    actor: str | None = None


TABLE = Literal[ROW_TABLES]  # type: ignore[valid-type]

__all__ = ["TABLE", "Consent", "Invitation", "JobRequest", "Login", "RowChange", "row_model"]
