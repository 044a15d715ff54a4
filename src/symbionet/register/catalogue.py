"""The resource catalogue: a versioned, sourced taxonomy of resources and baseline routes.

The catalogue ships as ``symbionet/data/catalogue.yaml``; a park may extend or override
it with a ``catalogue.yaml`` of the same shape in its folder. Every price, emission
factor and substitution names a reference, so every number the product prints can be
traced to its source. Every factor says the year and basis it holds for; a factor may
give other years' values (``by_year``), and a park's year selects among them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from rapidfuzz import process as fuzzy

from symbionet.errors import Problem, SymbionetError
from symbionet.units import UnitProblem, convert, parse_unit, ureg

ResourceClass = Literal["water", "energy", "material"]
CLASSES: tuple[str, ...] = ("water", "energy", "material")
_EWC = re.compile(r"^\d{2} \d{2} \d{2}\*?$")
SECTIONS: tuple[str, ...] = ("references", "resources", "routes")
TOP_KEYS: tuple[str, ...] = ("version", "description", *SECTIONS)
#: The fields of resources and routes that hold factors.
FACTOR_KINDS = {"resources": ("price", "emission_factor"), "routes": ("cost", "emission_factor")}

#: A number that must be finite: NaN and infinity are refused.
Finite = Annotated[float, Field(allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Reference(_Strict):
    """A source of data: publication, web page, standard or dataset."""

    title: str
    url: str | None = None
    year: int | None = None
    publisher: str | None = None


class YearValue(_Strict):
    """A factor's value for another year, with its own source."""

    value: Finite
    ref: str
    basis: str = ""
    checked: bool = False
    note: str = ""


class Factor(_Strict):
    """A sourced number with its unit: a price, an emission factor, a cost.

    ``year`` and ``basis`` say what the value holds for (the year of the data; taxes,
    tariff, calorific value, allocation...); ``checked`` whether it was compared with the
    source text. ``by_year`` gives the values for other years.
    """

    value: Finite
    unit: str
    ref: str
    year: int | None = None
    basis: str = ""
    checked: bool = False
    note: str = ""
    by_year: dict[int, YearValue] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _year_of_by_year(self) -> Factor:
        if self.by_year and self.year is None:
            raise ValueError("a factor with values by_year needs its own year")
        return self

    def years(self) -> dict[int | None, Factor]:
        """Every year on record, each as a plain factor (this one under its own year)."""
        plain = self.model_copy(update={"by_year": {}})
        found: dict[int | None, Factor] = {self.year: plain}
        for year, entry in self.by_year.items():
            found[year] = plain.model_copy(
                update={**entry.model_dump(), "year": year, "basis": entry.basis or self.basis}
            )
        return dict(sorted(found.items(), key=lambda item: item[0] or 0))

    def for_year(self, year: int) -> Factor:
        """The value that holds in ``year``: the latest at or before it, else the earliest
        on record, with a note saying so."""
        if not self.by_year:
            return self
        years = self.years()
        earlier = [y for y in years if y is not None and y <= year]
        if earlier:
            return years[earlier[-1]]
        first = next(iter(years.values()))
        note = f"{first.year} value, the earliest on record, used for {year}"
        return first.model_copy(update={"note": "; ".join(filter(None, (note, first.note)))})


class Substitution(_Strict):
    """One unit of the resource can replace ``ratio`` units of ``resource``."""

    resource: str
    ratio: Finite = Field(1.0, gt=0)
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
    typical: dict[str, Finite] = Field(default_factory=dict)
    density_t_per_m3: Finite | None = Field(None, gt=0)
    energy_mwh_per_unit: Finite | None = Field(None, gt=0)
    energy_mwh_per_m3: Finite | None = Field(None, gt=0)
    price: Factor | None = None
    emission_factor: Factor | None = None
    substitutes: tuple[Substitution, ...] = ()

    @property
    def mwh_per_unit(self) -> float | None:
        """Energy in one canonical unit (1 for a resource measured in MWh), if known."""
        return 1.0 if self.unit == "MWh" else self.energy_mwh_per_unit

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
    efficiency: Finite | None = Field(None, gt=0)
    cost: Factor | None = None
    emission_factor: Factor | None = None


class Catalogue(_Strict):
    """Resources, routes and the references behind their numbers.

    ``year`` is the year the factors were selected for (None: each factor's own value);
    ``overrides`` names what a park changed, as ``section.id.field`` (``section.id`` for
    an entry it added), with ``(park.yaml)`` for the prices given there.
    """

    version: str
    description: str = ""
    references: dict[str, Reference]
    resources: dict[str, Resource]
    routes: dict[str, Route] = Field(default_factory=dict)
    year: int | None = None
    overrides: tuple[str, ...] = ()

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
            for ref in dict.fromkeys(f.ref for f in factor.years().values()):
                if ref not in self.references:
                    found.append(Problem(file, None, where, f"unknown reference {ref!r}"))
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
        """This catalogue with a park's own entries added, or merged field by field into
        those of the same id (a field given replaces that field, the rest is kept)."""
        data = self.model_dump(by_alias=True, exclude_none=True)
        changed = list(self.overrides)
        for section in SECTIONS:
            for key, entry in (extension.get(section) or {}).items():
                old = data[section].get(key)
                if section != "references" and isinstance(old, dict) and isinstance(entry, dict):
                    data[section][key] = {**old, **entry}
                    changed += [f"{section}.{key}.{field}" for field in entry]
                else:
                    data[section][key] = entry
                    changed.append(f"{section}.{key}")
        if "version" in extension:
            data["version"] = f"{self.version}+{extension['version']}"
        data["overrides"] = tuple(dict.fromkeys(changed))
        return Catalogue.model_validate(data)

    def with_prices(
        self, prices: Mapping[str, Any], source: str, file: str = "park.yaml"
    ) -> Catalogue:
        """This catalogue with a park's own prices ({resource: {value, unit, ref}})."""
        data = self.model_dump(by_alias=True, exclude_none=True)
        data["references"]["park"] = {"title": source}
        changed = list(self.overrides)
        problems = []
        for name, entry in prices.items():
            key = self.resolve(str(name)) or str(name)
            price = {
                "value": entry["value"],
                "unit": str(entry["unit"]),
                "ref": "park",
                "year": self.year,
                "basis": "given by the park",
                "note": str(entry.get("ref", "")) or "given in park.yaml",
            }
            try:
                Factor.model_validate(price)
            except ValidationError as error:
                problems += _validation_problems(file, error, f"prices.{name}")
            data["resources"][key]["price"] = price
            changed.append(f"resources.{key}.price (park.yaml)")
        if problems:
            raise SymbionetError(problems)
        data["overrides"] = tuple(dict.fromkeys(changed))
        return Catalogue.model_validate(data)

    def for_year(self, year: int | None) -> Catalogue:
        """This catalogue with each factor's value for ``year`` (see ``Factor.for_year``)."""
        if year is None:
            return self
        data = self.model_dump(by_alias=True, exclude_none=True)
        for where, factor in self.factors():
            section, key, kind = where.split(".")
            data[section][key][kind] = factor.for_year(year).model_dump(exclude_none=True)
        data["year"] = year
        return Catalogue.model_validate(data)

    def factors(self) -> list[tuple[str, Factor]]:
        """Every price, emission factor and route cost, with where it sits (``section.id.kind``)."""
        return [
            (f"{section}.{key}.{kind}", factor)
            for section, kinds in FACTOR_KINDS.items()
            for key, entry in getattr(self, section).items()
            for kind in kinds
            if (factor := getattr(entry, kind)) is not None
        ]

    @property
    def label(self) -> str:
        """Version, factor year and park overrides in one line, for outputs."""
        parts = [f"catalogue {self.version}"]
        if self.year is not None:
            parts.append(f"factors for {self.year}")
        if self.overrides:
            parts.append("park overrides: " + ", ".join(self.overrides))
        return "; ".join(parts)

    @cached_property
    def _by_ewc(self) -> dict[str, tuple[str, ...]]:
        """Each EWC code (digits only, without the hazard star) to the resources that give it."""
        found: dict[str, list[str]] = {}
        for key, resource in self.resources.items():
            if resource.ewc:
                found.setdefault(_ewc_digits(resource.ewc), []).append(key)
        return {code: tuple(keys) for code, keys in found.items()}

    @cached_property
    def _names(self) -> dict[str, str]:
        """Every spelling a user may write for a resource, lower-cased, to its id. An EWC
        code names a resource only where no other resource gives the same code."""
        names: dict[str, str] = {}
        for key, resource in self.resources.items():
            for name in (key, resource.name, *resource.synonyms):
                names.setdefault(_normal(name), key)
            if resource.ewc and len(self._by_ewc[_ewc_digits(resource.ewc)]) == 1:
                names.setdefault(_normal(resource.ewc), key)
                names.setdefault(_ewc_digits(resource.ewc), key)
        return names

    def resolve(self, name: str) -> str | None:
        """The id for a catalogue id, name, synonym or EWC code; None if unknown (or an
        EWC code that several resources share: :meth:`sharing_ewc` lists them)."""
        text = _normal(str(name))
        return self._names.get(text) or self._names.get(_ewc_digits(text))

    def sharing_ewc(self, name: str) -> tuple[str, ...]:
        """The resources whose EWC code ``name`` is, where more than one share it."""
        shared = self._by_ewc.get(_ewc_digits(_normal(str(name))), ())
        return shared if len(shared) > 1 else ()

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """The closest catalogue ids to a misspelt name (every resource of a shared EWC
        code first)."""
        shared = list(self.sharing_ewc(name))
        matches = fuzzy.extract(_normal(str(name)), list(self._names), limit=limit * 3)
        ids = dict.fromkeys([*shared, *(self._names[match] for match, _, _ in matches)])
        return list(ids)[: max(limit, len(shared))]

    def members(self, resource: str) -> dict[str, float]:
        """The resources that substitute ``resource``, each with its ratio (a residue
        class's members with their yields: Nm3 of methane, t of feed dry matter or MWh of
        heat value per unit of the residue)."""
        return {
            key: sub.ratio
            for key, entry in self.resources.items()
            for sub in entry.substitutes
            if sub.resource == resource
        }

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

    def factor_table(self) -> pd.DataFrame:
        """One row per factor and year on record: value, unit, year, basis, source, checked;
        ``default`` marks the value used when a park gives no year."""
        rows = [
            {
                "factor": where,
                "value": f.value,
                "unit": f.unit,
                "year": f.year,
                "basis": f.basis,
                "ref": f.ref,
                "checked": f.checked,
                "default": year == factor.year,
            }
            for where, factor in self.factors()
            for year, f in factor.years().items()
        ]
        return pd.DataFrame(rows)

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


def _ewc_digits(code: str) -> str:
    """An EWC code as its digits alone: '02 07 04*' and '020704' both give '020704'."""
    return code.replace(" ", "").rstrip("*")


def _read_yaml(path: Path | str, text: str) -> Any:
    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise SymbionetError([Problem(str(path), row, None, f"not valid YAML: {error}")]) from None


def _validation_problems(path: str, error: ValidationError, prefix: str = "") -> list[Problem]:
    """Pydantic's errors as problems, each located by its dotted field path."""
    return [
        Problem(
            path, None, ".".join(map(str, (prefix, *e["loc"]) if prefix else e["loc"])), e["msg"]
        )
        for e in error.errors()
    ]


def _shape_problems(data: Any, file: str) -> list[Problem]:
    """A catalogue file that is not a mapping, a misspelt top-level key, or a section
    that is not a mapping of ids to entries."""
    if not isinstance(data, Mapping):
        return [Problem(file, None, None, f"must be a mapping with keys {', '.join(TOP_KEYS)}")]
    found = []
    for key in data:
        if key not in TOP_KEYS:
            close = fuzzy.extractOne(str(key), TOP_KEYS)
            hint = f"; did you mean {close[0]!r}?" if close and close[1] >= 60 else ""
            found.append(
                Problem(file, None, str(key), f"unknown key (expected {', '.join(TOP_KEYS)}){hint}")
            )
    for section in SECTIONS:
        entries = data.get(section)
        if entries is not None and not isinstance(entries, Mapping):
            found.append(Problem(file, None, section, "must be a mapping of ids to entries"))
        elif entries:
            found += [
                Problem(file, None, f"{section}.{key}", "must be a mapping of fields")
                for key, entry in entries.items()
                if not isinstance(entry, Mapping)
            ]
    return found


def parse_catalogue(data: Any, file: str, base: Catalogue | None = None) -> Catalogue:
    """Validate catalogue data (or an extension of ``base``) and return the catalogue."""
    shape = _shape_problems(data, file)
    if shape:
        raise SymbionetError(shape)
    try:
        catalogue = base.merged(data) if base else Catalogue.model_validate(data)
    except ValidationError as error:
        raise SymbionetError(_validation_problems(file, error)) from None
    problems = catalogue.problems(file)
    if problems:
        raise SymbionetError(problems)
    return catalogue


FACTOR_DOC_START = (
    "<!-- generated from catalogue.yaml by symbionet.register.catalogue.write_factor_docs:"
    " do not edit by hand -->"
)
FACTOR_DOC_END = "<!-- end of generated factor list -->"


def factor_markdown(catalogue: Catalogue | None = None) -> str:
    """The list of every factor with its source, year, basis and check, for the docs."""
    cat = catalogue or default_catalogue()
    table = cat.factor_table()
    counts = table.groupby("default")["checked"].agg(["size", "sum"]).loc[True]
    lines = [
        FACTOR_DOC_START,
        "",
        f"{counts['size']} factors, {counts['sum']} of them checked against the source text; "
        f"{int((~table['default']).sum())} more values for other years.",
        "",
        "| factor | value | year | basis | source | checked |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{row.factor}`{'' if row.default else ' (other year)'} | {row.value:g} {row.unit} "
        f"| {row.year or 'n.d.'} | {str(row.basis).replace('|', '/')} | `{row.ref}` "
        f"| {'yes' if row.checked else 'no'} |"
        for row in table.itertuples()
    ]
    lines += ["", "| source | title | year | publisher |", "|---|---|---|---|"]
    lines += [
        f"| `{key}` | {ref.title.replace('|', '/')}{f' <{ref.url}>' if ref.url else ''} "
        f"| {ref.year or 'n.d.'} | {ref.publisher or ''} |"
        for key, ref in cat.references.items()
        if key in set(table["ref"])
    ]
    return "\n".join([*lines, "", FACTOR_DOC_END])


def write_factor_docs(path: Path | str = "docs/catalogue.md") -> None:
    """Replace the generated factor list in the catalogue documentation."""
    target = Path(path)
    text = target.read_text(encoding="utf-8")
    head, _, rest = text.partition(FACTOR_DOC_START)
    tail = rest.partition(FACTOR_DOC_END)[2]
    target.write_text(head + factor_markdown() + tail, encoding="utf-8")


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
    "factor_markdown",
    "load_catalogue",
    "ureg",
    "write_factor_docs",
]
