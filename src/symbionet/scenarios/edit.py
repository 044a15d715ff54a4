"""A scenario applied to a park: a new, validated park with the changes in its numbers.

Each change edits the park's document (``Park.to_document()``) and the document is loaded
again, so that the changed park is checked and resolved exactly as a park read from files:
later steps (design, impact) read numbers and never know a scenario was applied.

Amounts are computed in EUR. A currency rate change restates every amount the park holds
in that currency at the library's reference rate (amount x reference rate / new rate), so
that the fixed conversion gives the EUR the new rate gives; amounts a scenario gives in a
currency are read at the scenario's rate.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from symbionet.errors import Problem, SymbionetError
from symbionet.register.baseline import canonical_per, per_unit, stream_baseline
from symbionet.register.catalogue import Factor
from symbionet.register.park import Park, park_from_document
from symbionet.register.schema import read_csv, tables
from symbionet.scenarios.changes import Change, Scenario, currency_of
from symbionet.units import CURRENCY_RATES, UnitProblem, convert

#: The tables design and assessment read: a scenario's park holds these (and the park's
#: own catalogue); the register's other tables (scenarios, pipeline, meters...) stay out.
MODEL_TABLES = (
    "park",
    "actors",
    "sites",
    "streams",
    "exchanges",
    "technologies",
    "profiles",
    "plots",
)
#: Tables a ``join`` or ``technology`` change may add rows to.
ROW_TABLES = frozenset(MODEL_TABLES) - {"park", "profiles"}
#: The reference the catalogue entries a scenario sets name.
REFERENCE = "scenario"


@dataclass
class Changed:
    """A park being changed: its document and the park it loads as, with the rate of each
    currency (units per EUR) in the scenario."""

    park: Park
    document: dict[str, Any]
    rates: dict[str, float] = field(
        default_factory=lambda: {code: rate for code, (rate, _) in CURRENCY_RATES.items()}
    )

    @property
    def currency(self) -> str:
        return self.park.currency

    def storage(self, eur: float) -> float:
        """An amount in EUR as the park stores amounts in its currency (at the library's
        reference rate, see the module's note)."""
        return eur * convert(1.0, "EUR", self.currency)

    def to_eur(self, change: Change, value: float, per: str) -> float:
        """A price ``value`` in the change's unit as EUR per ``per``, at the scenario's
        rate of the unit's currency."""
        unit = change.unit or ""
        try:
            eur = convert(value, unit, f"EUR / ({per})")
        except UnitProblem as error:
            raise change.error("unit", f"{error}: the target is counted in {per}") from None
        code = currency_of(unit)
        if code in CURRENCY_RATES:
            eur *= CURRENCY_RATES[code][0] / self.rates[code]
        return eur

    def reload(self, change: Change) -> None:
        """Load the edited document as the park; a problem it shows is the change's."""
        try:
            self.park = park_from_document(self.document)
        except SymbionetError as error:
            raise SymbionetError(
                [
                    change.problem(_column(change), f"the changed park: {p}")
                    for p in error.problems
                    if p.severity == "error"
                ]
            ) from None


def _column(change: Change) -> str:
    return "unit" if change.kind in ("capacity",) and change.mode == "set" else "target"


def base_document(park: Park) -> dict[str, Any]:
    """The park's document with the tables design and assessment read
    (``MODEL_TABLES``): what every scenario starts from."""
    document = park.to_document()
    return {k: v for k, v in document.items() if k in MODEL_TABLES or k == "catalogue"}


def normalised(park: Park) -> Park:
    """The park loaded again from its document, without its scenarios: the base a
    scenario is compared with, made exactly as a changed park is."""
    loaded = park_from_document(base_document(park))
    return replace(loaded, source=park.source)


def apply_scenario(park: Park, scenario: Scenario) -> Park:
    """``park`` with the changes of ``scenario``: currency rates first, then the others in
    order. Every problem is located at the change's row and field."""
    return changed_park(park, scenario).park


def changed_park(park: Park, scenario: Scenario) -> Changed:
    """The changed park of ``scenario`` with the currency rates it ends with."""
    state = Changed(park, base_document(park))
    state.park = park_from_document(state.document)
    for change in scenario.changes:
        if change.kind == "rate":
            _rate(state, change, park)
    for change in scenario.changes:
        if change.kind != "rate":
            APPLY[change.kind](state, change, park)
    state.park = replace(state.park, source=park.source)
    return state


# ---------------------------------------------------------------- currency rates


def _rate_currency(change: Change, park: Park) -> str:
    if change.unit and change.mode == "set":
        return change.unit.partition("/")[0].strip()
    if park.currency in CURRENCY_RATES:
        return park.currency
    raise change.error("target", "name the currency: the park's own currency is EUR")


def _rate(state: Changed, change: Change, park: Park) -> None:
    code = change.target or _rate_currency(change, park)
    if change.mode == "set" and change.unit and change.unit.partition("/")[0].strip() != code:
        raise change.error("unit", f"the rate of {code} is given in {code}/EUR")
    old = state.rates[code]
    new = old * change.factor() if change.mode != "set" else float(change.value or 0.0)
    if not new > 0:
        raise change.error("value", f"would make the rate of {code} {new:g}")
    state.rates[code] = new
    scale = old / new  # amounts in the currency, restated at the reference rate
    document = state.document
    if state.currency == code:
        for name, records in document.items():
            if name in ("park", "catalogue") or name not in tables():
                continue
            money = [c.name for c in tables()[name].columns if c.unit.startswith("currency")]
            for record in records:
                for column in money:
                    if isinstance(record.get(column), int | float):
                        record[column] = record[column] * scale
        if isinstance(document["park"].get("co2_price"), int | float):
            document["park"]["co2_price"] *= scale
    for entry in (document["park"].get("prices") or {}).values():
        if isinstance(entry, dict) and currency_of(str(entry.get("unit", ""))) == code:
            entry["value"] = entry["value"] * scale
    extension = document.setdefault("catalogue", {}) or {}
    document["catalogue"] = extension
    for where, factor in state.park.catalogue.factors():
        if currency_of(factor.unit) != code:
            continue
        section, key, kind = where.split(".")
        entry = extension.setdefault(section, {}).setdefault(key, {})
        restated = factor.model_dump(exclude_none=True)
        restated.pop("by_year", None)
        restated["value"] = factor.value * scale
        entry[kind] = restated
    state.reload(change)


# ---------------------------------------------------------------- prices and factors


def _which(change: Change, park: Park, kinds: tuple[str, ...]) -> tuple[str, str]:
    """(kind, id) of a change's target among ``kinds`` (resource, stream, technology):
    ``resource:ID`` and the like say which when an id is both."""
    text = change.target or ""
    prefix, _, rest = text.partition(":")
    if rest and prefix in kinds:
        found = _find(park, prefix, rest.strip())
        if found is None:
            raise change.error(
                "target", f"unknown {prefix} {rest.strip()!r}{_close(park, prefix, rest)}"
            )
        return prefix, found
    matches = [(kind, found) for kind in kinds if (found := _find(park, kind, text)) is not None]
    if len(matches) > 1:
        spelled = " or ".join(f"{kind}:{text}" for kind, _ in matches)
        raise change.error(
            "target", f"{text!r} is a {' and a '.join(k for k, _ in matches)}: write {spelled}"
        )
    if not matches:
        hints = "".join(_close(park, kind, text) for kind in kinds)
        raise change.error("target", f"{text!r} is no {' or '.join(kinds)} of the park{hints}")
    return matches[0]


def _find(park: Park, kind: str, text: str) -> str | None:
    if kind == "resource":
        return park.catalogue.resolve(text)
    table = {"stream": park.streams, "technology": park.technologies, "actor": park.actors}[kind]
    return text if text in table.index else None


def _close(park: Park, kind: str, text: str) -> str:
    if kind == "resource":
        close = park.catalogue.suggest(text)
    else:
        table = {"stream": park.streams, "technology": park.technologies, "actor": park.actors}
        close = get_close_matches(text, [str(i) for i in table[kind].index], n=3)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def _price(state: Changed, change: Change, park: Park) -> None:
    kind, target = _which(change, state.park, ("resource", "stream"))
    catalogue, streams = state.park.catalogue, state.park.streams
    if kind == "stream":
        resource = catalogue.resources[streams.at[target, "resource"]]
        stated = streams.at[target, "price"]
        current = (
            float(stated) / convert(1.0, "EUR", state.currency)
            if stated == stated
            else float(stream_baseline(state.park).at[target, "cost_eur"])
        )
        new = _new(state, change, current, resource.unit)
        _set(state.document["streams"], target, "price", state.storage(new))
        state.reload(change)
        return
    resource = catalogue.resources[target]
    current_price = catalogue.price_eur(target)
    if current_price is None and change.mode != "set":
        raise change.error(
            "unit", f"{target} has no price to change: give one, such as 50 EUR/{resource.unit}"
        )
    new = _new(state, change, current_price or 0.0, resource.unit)
    meta = state.document["park"]
    prices = {
        key: entry
        for key, entry in (meta.get("prices") or {}).items()
        if catalogue.resolve(str(key)) != target
    }
    prices[target] = {
        "value": new,
        "unit": f"EUR/{resource.unit}",
        "ref": f"scenario change {change.id}".strip(),
    }
    meta["prices"] = prices
    _follow_routes(state, change, target, "cost", new - (current_price or 0.0))
    # the streams of the resource that state their own price change with it
    to_storage = convert(1.0, "EUR", state.currency)
    for record in state.document["streams"]:
        if record.get("price") is None or catalogue.resolve(str(record["resource"])) != target:
            continue
        if change.mode == "set":
            record["price"] = new * to_storage
        else:
            record["price"] = record["price"] * change.factor()
    state.reload(change)


def _new(state: Changed, change: Change, current: float, per: str) -> float:
    """The new price in EUR per ``per``: the current one scaled, or the value given."""
    if change.mode != "set":
        return current * change.factor()
    assert change.value is not None
    return state.to_eur(change, change.value, per)


def _set(records: list[dict[str, Any]], key: str, column: str, value: Any) -> None:
    for record in records:
        if str(record.get("id")) == key:
            record[column] = value


def _co2_price(state: Changed, change: Change, park: Park) -> None:
    meta = state.document["park"]
    current = float(meta.get("co2_price") or 0.0)
    if change.mode != "set":
        meta["co2_price"] = current * change.factor()
    else:
        meta["co2_price"] = state.storage(state.to_eur(change, change.value or 0.0, "t"))
    state.reload(change)


def _emission(state: Changed, change: Change, park: Park) -> None:
    _, target = _which(change, state.park, ("resource",))
    catalogue = state.park.catalogue
    resource = catalogue.resources[target]
    if change.mode == "set":
        assert change.value is not None
        given = Factor(value=change.value, unit=change.unit or "", ref=REFERENCE)
        try:
            new = per_unit(given, resource, "t")
        except UnitProblem as error:
            raise change.error("unit", f"{error}: {target} is counted in {resource.unit}") from None
    else:
        current = catalogue.emission_t(target)
        if current is None:
            raise change.error(
                "unit", f"{target} has no emission factor to change: give one, in t/{resource.unit}"
            )
        new = current * change.factor()
    _follow_routes(
        state, change, target, "emission_factor", new - (catalogue.emission_t(target) or 0.0)
    )
    extension = _extension(state)
    extension.setdefault("resources", {}).setdefault(target, {})["emission_factor"] = {
        "value": new,
        "unit": f"t/{resource.unit}",
        "ref": REFERENCE,
        "year": catalogue.year,
        "basis": "set by a scenario",
        "note": f"change {change.id}: {change.label}",
    }
    state.reload(change)


def _extension(state: Changed) -> dict[str, Any]:
    """The park's own catalogue in the document, with the scenario's reference."""
    extension = state.document.get("catalogue") or {}
    state.document["catalogue"] = extension
    extension.setdefault("references", {})[REFERENCE] = {"title": "symbionet scenario"}
    return extension


def _follow_routes(state: Changed, change: Change, resource: str, kind: str, delta: float) -> None:
    """Move the cost or emission factor of each route that spends ``resource`` (a gas
    boiler, natural gas) by ``delta`` per canonical unit of it, over the route's
    efficiency: the route's own factor is per MWh it delivers."""
    catalogue = state.park.catalogue
    fuel = catalogue.resources[resource]
    if not delta or not fuel.mwh_per_unit:
        return
    numerator = "EUR" if kind == "cost" else "t"
    for key, route in catalogue.routes.items():
        factor = getattr(route, kind)
        if route.resource != resource or factor is None or not route.efficiency:
            continue
        try:
            current = convert(factor.value, factor.unit, f"{numerator}/MWh")
        except UnitProblem:
            continue  # a route counted per tonne or m3 of what it delivers
        moved = current + delta / fuel.mwh_per_unit / route.efficiency
        _extension(state).setdefault("routes", {}).setdefault(key, {})[kind] = {
            "value": moved,
            "unit": f"{numerator}/MWh",
            "ref": REFERENCE,
            "year": catalogue.year,
            "basis": f"{factor.basis}; {resource} changed by a scenario".lstrip("; "),
            "note": f"change {change.id}: {change.label}",
        }


# ---------------------------------------------------------------- partners and rows


def _leave(state: Changed, change: Change, park: Park) -> None:
    _, actor = _which(change, state.park, ("actor",))
    remove_rows(state.document, {"actors": {actor}})
    state.reload(change)


def remove_rows(document: dict[str, Any], removed: Mapping[str, set[str]]) -> None:
    """Remove the rows of ``removed`` (table -> ids) from ``document``, and every row that
    refers to a removed row, until none does."""
    gone = {name: set(ids) for name, ids in removed.items()}
    while True:
        more = False
        for name, table in tables().items():
            records = document.get(name)
            if name in ("park", "profiles") or not isinstance(records, list):
                continue
            refs = [(c.name, c.allowed) for c in table.columns if c.type == "ref"]
            kept = []
            for record in records:
                key = str(record.get(table.id_column or "id", ""))
                dropped = key in gone.get(name, set()) or any(
                    record.get(column) is not None and str(record[column]) in gone.get(to, set())
                    for column, to in refs
                )
                if dropped:
                    if key not in gone.setdefault(name, set()):
                        gone[name].add(key)
                        more = True
                else:
                    kept.append(record)
            document[name] = kept
        if not more:
            return


def _join(state: Changed, change: Change, park: Park) -> None:
    _add(state, change, park, None)


def _technology(state: Changed, change: Change, park: Park) -> None:
    target = change.target or ""
    if change.rows is None and target in state.park.technologies.index:
        remove_rows(state.document, {"technologies": {target}})
        state.reload(change)
        return
    _add(state, change, park, "technologies")


def _add(state: Changed, change: Change, park: Park, only: str | None) -> None:
    """Add the rows of a park fragment (a file, inline JSON or ``change.rows``)."""
    fragment = _fragment(change, park, only)
    if not any(fragment.tables.values()):
        raise change.error("target", "holds no rows to add")
    document = state.document
    starts = {name: len(document.get(name) or []) for name in fragment.tables}
    for name, records in fragment.tables.items():
        document[name] = [*(document.get(name) or []), *records]
    try:
        state.park = park_from_document(document)
    except SymbionetError as error:
        problems = []
        for problem in error.problems:
            if problem.severity != "error":
                continue
            start = starts.get(problem.file)
            if start is not None and problem.row is not None and problem.row >= start:
                problems.append(fragment.locate(problem, problem.row - start))
            else:
                problems.append(change.problem("target", f"the changed park: {problem}"))
        raise SymbionetError(problems) from None


@dataclass
class Fragment:
    """Rows to add, by table, and where each came from."""

    tables: dict[str, list[dict[str, Any]]]
    file: str
    rows: dict[str, list[int]]
    change: Change
    document: bool = False

    def locate(self, problem: Problem, position: int) -> Problem:
        name = problem.file
        if self.document:  # inline: the change's row, the fragment's path in the message
            where = f"{name}[{position}]" + (f".{problem.column}" if problem.column else "")
            return self.change.problem("target", f"{where}: {problem.message}")
        rows = self.rows.get(name) or []
        row = rows[position] if position < len(rows) else None
        return Problem(
            self.file.format(table=name, file=tables()[name].file),
            row,
            problem.column,
            problem.message,
        )


def _fragment(change: Change, park: Park, only: str | None) -> Fragment:
    if change.rows is not None:
        return _from_data(change, dict(change.rows), only, "", document=True)
    text = (change.target or "").strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise change.error("target", f"not valid JSON: {error}") from None
        return _from_data(change, data, only, "", document=True)
    path = _inside(change, park, text)
    if path.is_dir():
        found: dict[str, list[dict[str, Any]]] = {}
        rows: dict[str, list[int]] = {}
        for name in sorted(ROW_TABLES):
            file = path / tables()[name].file
            if file.is_file():
                found[name], rows[name] = _csv_records(change, file, text)
        extra = sorted(
            p.name for p in path.iterdir() if p.name not in {tables()[n].file for n in found}
        )
        if extra:
            raise change.error("target", f"{text}: {', '.join(extra)} is not a table to add")
        return _only(change, Fragment(found, f"{text}/{{file}}", rows, change), only)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise change.error("target", f"{text}: not a JSON document: {error}") from None
        return _from_data(change, data, only, f"{text}#{{table}}")
    if path.suffix.lower() == ".csv":
        table = only or next((n for n in ROW_TABLES if tables()[n].file == path.name), None)
        if table is None:
            raise change.error("target", f"{path.name} is not a table to add; name it as one")
        records, lines = _csv_records(change, path, text)
        return Fragment({table: records}, text, {table: lines}, change)
    raise change.error("target", f"{text}: give a folder, a .csv or a .json file, or JSON rows")


def _inside(change: Change, park: Park, text: str) -> Path:
    source = Path(park.source) if park.source else None
    if source is None or not source.exists():
        raise change.error(
            "target", "a park in memory has no folder to read files from: give the rows as JSON"
        )
    folder = source if source.is_dir() else source.parent
    path = folder / text
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        raise change.error("target", f"{text} lies outside the park's folder") from None
    if not path.exists():
        raise change.error("target", f"{text}: no such file or folder in the park's folder")
    return path


def _csv_records(change: Change, file: Path, text: str) -> tuple[list[dict[str, Any]], list[int]]:
    raw = read_csv(file)
    frame = raw.frame
    records = [
        {str(k): v for k, v in zip(frame.columns, row, strict=True) if v != ""}
        for row in frame.itertuples(index=False)
    ]
    return records, list(raw.rows)


def _from_data(
    change: Change, data: Any, only: str | None, file: str, document: bool = False
) -> Fragment:
    if not isinstance(data, dict):
        raise change.error("target", "the rows must be a JSON object of tables")
    found = {}
    for name, records in data.items():
        if name not in ROW_TABLES:
            raise change.error("target", f"{name!r} is not a table to add rows to")
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise change.error("target", f"{name} must be a list of records")
        found[name] = copy.deepcopy(records)
    rows = {name: list(range(1, len(records) + 1)) for name, records in found.items()}
    return _only(change, Fragment(found, file, rows, change, document=document), only)


def _only(change: Change, fragment: Fragment, only: str | None) -> Fragment:
    if only is not None and set(fragment.tables) - {only}:
        other = ", ".join(sorted(set(fragment.tables) - {only}))
        raise change.error("target", f"a technology change adds technologies only, not {other}")
    return fragment


# ---------------------------------------------------------------- capacities


def _capacity(state: Changed, change: Change, park: Park) -> None:
    kind, target = _which(change, state.park, ("stream", "technology"))
    document = state.document
    if kind == "technology":
        record = next(r for r in document["technologies"] if str(r["id"]) == target)
        if change.mode != "set":
            if record.get("capacity") is None:
                raise change.error("unit", f"{target} has no capacity to scale: give one")
            record["capacity"] = record["capacity"] * change.factor()
        else:
            record["capacity"], record["capacity_unit"] = change.value, change.unit
        state.reload(change)
        return
    record = next(r for r in document["streams"] if str(r["id"]) == target)
    current = float(state.park.streams.at[target, "annual_quantity"])
    if change.mode != "set":
        record["quantity"] = record["quantity"] * change.factor()
        annual = current * change.factor()
    else:
        resource = state.park.catalogue.resources[state.park.streams.at[target, "resource"]]
        try:
            annual = (change.value or 0.0) * canonical_per(change.unit or "", resource)
        except UnitProblem as error:
            raise change.error("unit", f"{error}: {target} is {resource.id}") from None
        record["quantity"], record["unit"] = change.value, change.unit
    _fit_exchanges(state, target, annual)
    state.reload(change)


def _fit_exchanges(state: Changed, stream: str, available: float) -> None:
    """Scale down the exchanges of ``stream`` in the document when together they move
    more than the ``available`` amount it will have (canonical units per year)."""
    park = state.park
    exchanges, streams = park.exchanges, park.streams
    side = "supply" if streams.at[stream, "direction"] == "supply" else "demand"
    mine = exchanges[exchanges[side] == stream]
    if mine.empty:
        return
    moved = mine["annual_quantity"]
    if side == "demand":  # in the demand's resource, through the substitution ratio
        ratios = [
            park.catalogue.ratio(streams.at[s, "resource"], streams.at[stream, "resource"]) or 1.0
            for s in mine["supply"]
        ]
        moved = moved * ratios
    total = float(moved.sum())
    if total <= available or total <= 0:
        return
    share = available / total
    for record in state.document.get("exchanges") or []:
        if str(record["id"]) in mine.index:
            record["quantity"] = record["quantity"] * share


APPLY = {
    "price": _price,
    "co2_price": _co2_price,
    "emission": _emission,
    "leave": _leave,
    "join": _join,
    "capacity": _capacity,
    "technology": _technology,
}


__all__ = ["Changed", "apply_scenario", "changed_park", "normalised", "remove_rows"]
