"""The resource catalogue: a versioned, sourced taxonomy of resources and baseline routes.

The catalogue ships as ``symbionet/data/catalogue.yaml``; a park may extend or override
it with a ``catalogue.yaml`` of the same shape in its folder. Every price, emission
factor and substitution names a reference, so every number the product prints can be
traced to its source.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from rapidfuzz import process as fuzzy

from symbionet.errors import Problem, SymbionetError
from symbionet.units import UnitProblem, convert, parse_unit, ureg

ResourceClass = Literal["water", "energy", "material"]
CLASSES: tuple[str, ...] = ("water", "energy", "material")
_EWC = re.compile(r"^\d{2} \d{2} \d{2}\*?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Reference(_Strict):
    """A source of data: publication, web page, standard or dataset."""

    title: str
    url: str | None = None
    year: int | None = None
    publisher: str | None = None


class Factor(_Strict):
    """A sourced number with its unit: a price, an emission factor, a cost."""

    value: float
    unit: str
    ref: str
    year: int | None = None
    note: str = ""


class Substitution(_Strict):
    """One unit of the resource can replace ``ratio`` units of ``resource``."""

    resource: str
    ratio: float = Field(1.0, gt=0)
    conditions: str = ""
    ref: str


class Resource(_Strict):
    """An entry of the catalogue."""

    id: str = ""
    name: str
    resource_class: ResourceClass = Field(alias="class")
    group: str
    unit: str
    description: str = ""
    ewc: str | None = None
    synonyms: tuple[str, ...] = ()
    quality: tuple[str, ...] = ()
    typical: dict[str, float] = Field(default_factory=dict)
    density_t_per_m3: float | None = Field(None, gt=0)
    energy_mwh_per_unit: float | None = Field(None, gt=0)
    energy_mwh_per_m3: float | None = Field(None, gt=0)
    price: Factor | None = None
    emission_factor: Factor | None = None
    substitutes: tuple[Substitution, ...] = ()

    @model_validator(mode="after")
    def _check_ewc(self) -> Resource:
        if self.ewc is not None and not _EWC.match(self.ewc):
            raise ValueError(f"EWC code {self.ewc!r} is not of the form '10 01 05' or '10 01 05*'")
        return self


class Route(_Strict):
    """A baseline route: what a surplus does today (fate) or how a demand is met (source)."""

    id: str = ""
    name: str
    kind: Literal["fate", "source"]
    classes: tuple[ResourceClass, ...]
    description: str = ""
    resource: str | None = None
    efficiency: float | None = Field(None, gt=0)
    cost: Factor | None = None
    emission_factor: Factor | None = None


class Catalogue(_Strict):
    """Resources, routes and the references behind their numbers."""

    version: str
    description: str = ""
    references: dict[str, Reference]
    resources: dict[str, Resource]
    routes: dict[str, Route] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _ids_from_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = dict(data)
            for section in ("resources", "routes"):
                entries = data.get(section) or {}
                if isinstance(entries, Mapping):
                    data[section] = {
                        key: {**value, "id": key} if isinstance(value, Mapping) else value
                        for key, value in entries.items()
                    }
        return data

    def problems(self, file: str) -> list[Problem]:
        """Check references, substitutions and units across the whole catalogue."""
        found: list[Problem] = []

        def check_factor(where: str, factor: Factor | None, per: str | None, kind: str) -> None:
            if factor is None:
                return
            if factor.ref not in self.references:
                found.append(Problem(file, None, where, f"unknown reference {factor.ref!r}"))
            target = {"price": "EUR", "emission": "t", "cost": "EUR"}[kind]
            per = per or factor.unit.partition("/")[2]
            if not per:
                found.append(Problem(file, None, where, f"{kind} unit must be per an amount"))
                return
            target = f"{target} / ({per})"
            try:
                convert(1.0, factor.unit, target)
            except UnitProblem as error:
                found.append(Problem(file, None, where, f"{kind} unit: {error}"))

        for key, resource in self.resources.items():
            where = f"resources.{key}"
            try:
                parse_unit(resource.unit)
            except UnitProblem as error:
                found.append(Problem(file, None, f"{where}.unit", str(error)))
                continue
            check_factor(f"{where}.price", resource.price, resource.unit, "price")
            check_factor(
                f"{where}.emission_factor", resource.emission_factor, resource.unit, "emission"
            )
            for sub in resource.substitutes:
                if sub.resource not in self.resources:
                    found.append(
                        Problem(file, None, f"{where}.substitutes", f"unknown {sub.resource!r}")
                    )
                if sub.ref not in self.references:
                    found.append(
                        Problem(
                            file, None, f"{where}.substitutes", f"unknown reference {sub.ref!r}"
                        )
                    )
        owner: dict[str, str] = {}
        for key, resource in self.resources.items():
            for name in dict.fromkeys(_normal(n) for n in (key, resource.name, *resource.synonyms)):
                if owner.setdefault(name, key) != key:
                    found.append(
                        Problem(
                            file,
                            None,
                            f"resources.{key}.synonyms",
                            f"{name!r} already names {owner[name]}",
                        )
                    )
        for key, route in self.routes.items():
            where = f"routes.{key}"
            if route.resource is not None and route.resource not in self.resources:
                found.append(
                    Problem(file, None, f"{where}.resource", f"unknown {route.resource!r}")
                )
            check_factor(f"{where}.cost", route.cost, None, "cost")
            check_factor(f"{where}.emission_factor", route.emission_factor, None, "emission")
        return found

    def merged(self, extension: Mapping[str, Any]) -> Catalogue:
        """This catalogue with a park's own entries added or replacing those of the same id."""
        data = self.model_dump(by_alias=True, exclude_none=True)
        for section in ("references", "resources", "routes"):
            data[section].update(extension.get(section) or {})
        if "version" in extension:
            data["version"] = f"{self.version}+{extension['version']}"
        return Catalogue.model_validate(data)

    def with_prices(self, prices: Mapping[str, Any], source: str) -> Catalogue:
        """This catalogue with a park's own prices ({resource: {value, unit, ref}})."""
        data = self.model_dump(by_alias=True, exclude_none=True)
        data["references"]["park"] = {"title": source}
        for name, entry in prices.items():
            key = self.resolve(str(name)) or str(name)
            note = str(entry.get("ref", "")) or "given in park.yaml"
            data["resources"][key]["price"] = {
                "value": float(entry["value"]),
                "unit": str(entry["unit"]),
                "ref": "park",
                "note": note,
            }
        return Catalogue.model_validate(data)

    @cached_property
    def _names(self) -> dict[str, str]:
        """Every spelling a user may write for a resource, lower-cased, to its id."""
        names: dict[str, str] = {}
        for key, resource in self.resources.items():
            for name in (key, resource.name, *resource.synonyms):
                names.setdefault(_normal(name), key)
            if resource.ewc:
                names.setdefault(_normal(resource.ewc), key)
                names.setdefault(resource.ewc.replace(" ", "").rstrip("*"), key)
        return names

    def resolve(self, name: str) -> str | None:
        """The id for a catalogue id, name, synonym or EWC code; None if unknown."""
        text = _normal(str(name))
        return self._names.get(text) or self._names.get(text.replace(" ", "").rstrip("*"))

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """The closest catalogue ids to a misspelt name."""
        matches = fuzzy.extract(_normal(str(name)), list(self._names), limit=limit * 3)
        ids = dict.fromkeys(self._names[match] for match, _, _ in matches)
        return list(ids)[:limit]

    def ratio(self, supply: str, demand: str) -> float | None:
        """Units of ``demand`` that one unit of ``supply`` replaces; None if it cannot."""
        if supply == demand:
            return 1.0
        entry = self.resources.get(supply)
        return (
            next((s.ratio for s in entry.substitutes if s.resource == demand), None)
            if entry
            else None
        )

    def table(self) -> pd.DataFrame:
        """One row per resource, with its factors and their sources."""
        rows = []
        for key, r in self.resources.items():
            rows.append(
                {
                    "id": key,
                    "name": r.name,
                    "class": r.resource_class,
                    "group": r.group,
                    "unit": r.unit,
                    "ewc": r.ewc,
                    "price": r.price.value if r.price else None,
                    "price_unit": r.price.unit if r.price else None,
                    "emission_factor": r.emission_factor.value if r.emission_factor else None,
                    "emission_unit": r.emission_factor.unit if r.emission_factor else None,
                    "substitutes": ", ".join(f"{s.resource} ({s.ratio:g})" for s in r.substitutes),
                    "synonyms": ", ".join(r.synonyms),
                    "sources": ", ".join(
                        dict.fromkeys(
                            f.ref
                            for f in (r.price, r.emission_factor, *r.substitutes)
                            if f is not None
                        )
                    ),
                }
            )
        return pd.DataFrame(rows).set_index("id")

    def search(self, query: str = "") -> pd.DataFrame:
        """Resources whose id, name, class, group, EWC code or synonyms contain every word."""
        table = self.table()
        if not query.strip():
            return table
        text = (
            table.index.to_series()
            + " "
            + table[["name", "class", "group", "ewc", "synonyms"]].fillna("").agg(" ".join, axis=1)
        ).str.lower()
        mask = pd.Series(True, index=table.index)
        for word in query.lower().split():
            mask &= text.str.contains(word, regex=False)
        return table[mask]

    def price_eur(self, resource: str) -> float | None:
        """Default price in EUR per canonical unit, or None."""
        r = self.resources[resource]
        return convert(r.price.value, r.price.unit, f"EUR / ({r.unit})") if r.price else None

    def emission_t(self, resource: str) -> float | None:
        """Emission factor in t CO2e per canonical unit of supplying it the usual way, or None."""
        r = self.resources[resource]
        if r.emission_factor is None:
            return None
        return convert(r.emission_factor.value, r.emission_factor.unit, f"t / ({r.unit})")


def _normal(name: str) -> str:
    return " ".join(name.lower().replace("_", " ").replace("-", " ").split())


def _read_yaml(path: Path | str, text: str) -> Any:
    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise SymbionetError([Problem(str(path), row, None, f"not valid YAML: {error}")]) from None


def _validation_problems(path: str, error: ValidationError) -> list[Problem]:
    return [
        Problem(path, None, ".".join(str(p) for p in e["loc"]), e["msg"]) for e in error.errors()
    ]


def parse_catalogue(data: Mapping[str, Any], file: str, base: Catalogue | None = None) -> Catalogue:
    """Validate catalogue data (or an extension of ``base``) and return the catalogue."""
    try:
        catalogue = base.merged(data) if base else Catalogue.model_validate(data)
    except ValidationError as error:
        raise SymbionetError(_validation_problems(file, error)) from None
    problems = catalogue.problems(file)
    if problems:
        raise SymbionetError(problems)
    return catalogue


_default: Catalogue | None = None


def default_catalogue() -> Catalogue:
    """The catalogue shipped with symbionet (read once)."""
    global _default
    if _default is None:
        resource = files("symbionet") / "data" / "catalogue.yaml"
        _default = parse_catalogue(
            _read_yaml(str(resource), resource.read_text()), "catalogue.yaml"
        )
    return _default


def load_catalogue(extension: Path | str | None = None) -> Catalogue:
    """The shipped catalogue, extended by a park's ``catalogue.yaml`` when given."""
    base = default_catalogue()
    if extension is None:
        return base
    path = Path(extension)
    return parse_catalogue(_read_yaml(path, path.read_text()), str(path), base)


__all__ = [
    "CLASSES",
    "Catalogue",
    "Factor",
    "Reference",
    "Resource",
    "Route",
    "Substitution",
    "default_catalogue",
    "load_catalogue",
    "ureg",
]
