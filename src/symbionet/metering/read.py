"""Reading meter data: CSV, Excel or Parquet exports of energy management and SCADA systems,
or a table posted by a script, into one tidy table of readings.

A file holds one reading a row (timestamp, meter, value and optionally unit, the columns
named in several common ways, Danish or English) or one column per meter beside the
timestamp. Timestamps with an offset (``2024-03-31T03:00+02:00``, ``Z``) are exact;
timestamps without one are local time of the meter's time zone: in the autumn hour that
repeats, the first reading of a meter at a repeated time is summer time and the second
winter time. A local time that does not exist (the spring hour that is skipped) is an
error, as are unknown meters, unreadable timestamps or values, and units that cannot be
read or do not fit the meter, each named with its file, row and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from symbionet.errors import Problem, SymbionetError
from symbionet.metering.meters import meter_table, reading_factor
from symbionet.units import UnitProblem

if TYPE_CHECKING:
    from symbionet.register.park import Park

MAX_PROBLEMS = 20
"""Rows reported for one kind of problem in one file; the rest are counted."""

ALIASES = {
    "time": (
        "timestamp",
        "time",
        "datetime",
        "dateandtime",
        "datotid",
        "tid",
        "tidspunkt",
        "tidsstempel",
        "ts",
        "date",
        "dato",
        "periode",
        "period",
        "starttime",
        "start",
        "fra",
        "from",
        "localtime",
        "utctime",
        "timeutc",
    ),
    "meter": (
        "meter",
        "meterid",
        "meterno",
        "meternumber",
        "metername",
        "maaler",
        "måler",
        "målerid",
        "maalerid",
        "målernummer",
        "maalernummer",
        "målepunkt",
        "maalepunkt",
        "tag",
        "tagname",
        "point",
        "pointid",
        "sensor",
        "sensorid",
        "channel",
        "kanal",
        "id",
    ),
    "value": (
        "value",
        "værdi",
        "vaerdi",
        "reading",
        "aflæsning",
        "aflaesning",
        "måling",
        "maaling",
        "measurement",
        "measuredvalue",
        "måleværdi",
        "maalevaerdi",
        "quantity",
        "mængde",
        "maengde",
        "amount",
        "val",
        "forbrug",
        "consumption",
    ),
    "unit": ("unit", "units", "enhed", "uom", "unitofmeasure", "måleenhed", "maaleenhed"),
}
_BRACKETED = re.compile(r"^(.*?)\s*[\[(]\s*([^\])]+?)\s*[\])]\s*$")
_NA_TEXT = ["", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "-", "--", "#N/A"]
_TIME_FORMATS = [
    "%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S",
    "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y",
]  # fmt: skip


def _normal(header: str) -> str:
    return re.sub(r"[\s_\-./]+", "", str(header).strip().lower())


DATES = ("date", "dato")
CLOCKS = ("time", "tid", "klokkeslæt", "klokkeslaet", "kl", "clock", "hour", "time of day")


def _columns(headers: Sequence[str]) -> tuple[dict[str, str], str | None]:
    """The columns found, by role (time, meter, value, unit), and a unit written in the value
    column's header (``Value [m3]``, ``værdi (MWh)``). A date column beside a clock column
    (``Dato``, ``Tid``) are found as ``date`` and ``clock``, their text joined as the time."""
    found: dict[str, str] = {}
    header_unit = None
    date = next((h for h in headers if _normal(h) in DATES), None)
    clock = next((h for h in headers if _normal(h) in {_normal(c) for c in CLOCKS}), None)
    if date is not None and clock is not None:
        found |= {"date": date, "clock": clock, "time": date}
    for role, names in ALIASES.items():
        for header in headers:
            bare, unit = header, None
            if match := _BRACKETED.match(str(header)):
                bare, unit = match.group(1), match.group(2)
            taken = header in found.values() or header == found.get("clock")
            if _normal(bare) in names and role not in found and not taken:
                found[role] = header
                if role == "value" and unit:
                    header_unit = unit
    return found, header_unit


def _sniff(path: Path) -> tuple[str, str, str]:
    """Delimiter, decimal mark and encoding of a CSV file, from its beginning."""
    with path.open("rb") as handle:
        head = handle.read(65536)
    try:
        text, encoding = head.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        if error.start > len(head) - 4:  # a character cut by the sample's end
            text, encoding = head[: error.start].decode("utf-8"), "utf-8"
        else:
            text, encoding = head.decode("cp1252"), "cp1252"
    text = text.lstrip("\ufeff")
    first = text.splitlines()[0] if text else ""
    delimiter = max([";", "\t", ","], key=first.count) if first else ","
    if not first or first.count(delimiter) == 0:
        delimiter = ","
    decimal = "."
    if delimiter != ",":
        body = text.splitlines()[1:200]
        cells = [c for line in body for c in line.split(delimiter)]
        if any(re.fullmatch(r"[+-]?\d+,\d+", c.strip().strip('"')) for c in cells):
            decimal = ","
    return delimiter, decimal, encoding


def _read_csv(path: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    delimiter, decimal, encoding = _sniff(path)
    with path.open(encoding=encoding, errors="replace") as handle:
        header = next(csv.reader(handle, delimiter=delimiter), [])
    header = [h.lstrip("\ufeff") for h in header]
    found, _ = _columns(header)
    types: dict[str, Any] = {
        found[r]: pa.dictionary(pa.int32(), pa.string()) for r in ("meter", "unit") if r in found
    }
    options = pacsv.ConvertOptions(
        decimal_point=decimal,
        timestamp_parsers=[pacsv.ISO8601, *_TIME_FORMATS],
        null_values=_NA_TEXT,
        strings_can_be_null=True,
        column_types=types,
    )
    read = pacsv.ReadOptions(encoding=encoding, block_size=1 << 24)
    parse = pacsv.ParseOptions(delimiter=delimiter)
    try:
        table = pacsv.read_csv(
            path, read_options=read, parse_options=parse, convert_options=options
        )
    except pa.ArrowInvalid as error:
        raise SymbionetError(
            [Problem(str(path), None, None, f"cannot be read as CSV: {error}")]
        ) from None
    frame = table.to_pandas()
    frame.columns = [str(c).lstrip("\ufeff") for c in frame.columns]
    if decimal == "," and "value" in found:
        frame.attrs["decimal"] = ","
    return frame


def _read_file(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise SymbionetError([Problem(str(path), None, None, "no such file")])
    suffix = path.suffix.lower()
    try:
        if suffix in {".xlsx", ".xlsm"}:
            return pd.read_excel(path, sheet_name=0, engine="openpyxl")
        if suffix == ".parquet":
            return pd.read_parquet(path)
    except Exception as error:  # openpyxl and pyarrow raise many kinds of errors
        kind = "Excel workbook" if suffix != ".parquet" else "Parquet file"
        raise SymbionetError(
            [Problem(str(path), None, None, f"cannot be read as an {kind}: {error}")]
        ) from None
    if suffix == ".xls":
        raise SymbionetError([Problem(str(path), None, None, "save it as .xlsx or CSV UTF-8")])
    return _read_csv(path)


def _located(
    problems: list[Problem], file: str, mask: np.ndarray, column: str | None, messages: Any
) -> None:
    """Problems at the rows where ``mask`` holds (line = position + 2), the first
    MAX_PROBLEMS of them, then how many more rows have the same problem."""
    positions = np.flatnonzero(mask)
    texts = [messages] * len(positions) if isinstance(messages, str) else list(messages)
    for position, text in zip(positions[:MAX_PROBLEMS], texts[:MAX_PROBLEMS], strict=False):
        problems.append(Problem(file, int(position) + 2, column, text))
    if len(positions) > MAX_PROBLEMS:
        more = len(positions) - MAX_PROBLEMS
        problems.append(Problem(file, None, column, f"and {more} more rows with the same problem"))


def _wide(frame: pd.DataFrame, time: str, meters: pd.DataFrame) -> pd.DataFrame | None:
    """A table with one column per meter beside the timestamp, as rows of readings."""
    columns = {}
    for header in frame.columns:
        if header == time:
            continue
        bare, unit = str(header), None
        if match := _BRACKETED.match(str(header)):
            bare, unit = match.group(1), match.group(2)
        if bare.strip() in meters.index:
            columns[header] = (bare.strip(), unit)
    if not columns:
        return None
    parts = []
    for header, (meter, unit) in columns.items():
        part = pd.DataFrame(
            {
                "time": frame[time].to_numpy(),
                "meter": meter,
                "value": frame[header].to_numpy(),
                "unit": unit,
                "position": np.arange(len(frame)),
            }
        )
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _joined(date: pd.Series, clock: pd.Series) -> pd.Series:
    """A date column and a clock column as one text timestamp (``2024-01-31 13:15``)."""
    if pd.api.types.is_datetime64_any_dtype(date.dtype):
        day = date.dt.strftime("%Y-%m-%d")
    else:
        day = pd.Series([_text(d, date_only=True) for d in date], index=date.index, dtype=object)
    hour = pd.Series([_text(t) for t in clock], index=clock.index, dtype=object)
    joined = day.astype(object) + " " + hour
    return joined.where(day.notna() & hour.notna())


def _text(value: Any, date_only: bool = False) -> str | None:
    """A date or clock cell as text: dates as ISO, times as HH:MM:SS."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d}" if date_only else f"{value:%H:%M:%S}"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta | pd.Timedelta):  # a clock read as a duration
        seconds = int(pd.Timedelta(value).total_seconds())
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(value).strip()


def _values(text: pd.Series, decimal_comma: bool) -> pd.Series:
    """Numbers from text cells: a decimal comma or point, thousands separated by the other
    mark or a space."""
    cleaned = (
        text.astype("str")
        .str.strip()
        .str.replace(r"[\s']", "", regex=True)
        .str.replace("\u00a0", "", regex=False)
    )
    if decimal_comma or cleaned.str.fullmatch(r"[+-]?[\d.]*,\d+").any():
        cleaned = cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        cleaned = cleaned.str.replace(",", "", regex=False)
    return pd.to_numeric(cleaned, errors="coerce")


def _times(column: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Timestamps from a column, and where they are unreadable; tz-aware in UTC when every
    given one has an offset, naive (local) otherwise."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return column.dt.tz_convert("UTC"), np.zeros(len(column), bool)
    if pd.api.types.is_datetime64_dtype(column.dtype):
        return column, np.zeros(len(column), bool)
    text = column.astype("str").str.strip()
    missing = column.isna().to_numpy()
    offset = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True, na=False).to_numpy()
    if offset.any() and (offset | missing).all():
        parsed = pd.to_datetime(text.where(~missing), format="ISO8601", utc=True, errors="coerce")
        return parsed, (parsed.isna() & ~missing).to_numpy()
    fewer = np.zeros(len(column), bool)
    if offset.any():  # some with an offset, some without: the fewer are refused
        without = ~offset & ~missing
        fewer = offset if offset.sum() <= without.sum() else without
    missing_or_refused = missing | fewer
    best = pd.to_datetime(text.where(~missing_or_refused), format="ISO8601", errors="coerce")
    for fmt in _TIME_FORMATS:
        wanted = best.isna() & ~missing_or_refused
        if not wanted.any():
            break
        best = best.fillna(pd.to_datetime(text.where(wanted), format=fmt, errors="coerce"))
    return best, (best.isna().to_numpy() & ~missing) | fewer


def _mixed(column: pd.Series) -> np.ndarray:
    """Where a text timestamp stands among others of the other form (with an offset or
    without): all False unless the column mixes them."""
    if not pd.api.types.is_string_dtype(column.dtype) and column.dtype != object:
        return np.zeros(len(column), bool)
    text = column.astype("str").str.strip()
    offset = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True, na=False).to_numpy()
    given = column.notna().to_numpy()
    if not (offset.any() and (given & ~offset).any()):
        return np.zeros(len(column), bool)
    return given


def _localize(
    naive: np.ndarray,
    codes: np.ndarray,
    zones: np.ndarray,
    where_in_file: tuple[str, str, np.ndarray],
    problems: list[Problem],
) -> np.ndarray:
    """UTC seconds of naive local times, each in its meter's time zone. In the autumn hour
    that repeats, a meter's first reading of a repeated time is summer time, later ones
    winter time; a time that does not exist (spring) is a problem, located by
    ``where_in_file``: the file, the column and the position of each time in the file."""
    file, column, positions = where_in_file
    seconds = np.zeros(len(naive), dtype=np.int64)
    for zone in np.unique(zones[codes]):
        rows = np.flatnonzero(zones[codes] == zone)
        local = pd.DatetimeIndex(naive[rows])
        exact = local.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
        undecided = np.asarray(exact.isna())
        if undecided.any():
            summer = local[undecided].tz_localize(zone, ambiguous=True, nonexistent="NaT")
            gone = np.asarray(summer.isna())
            if gone.any():
                missing = rows[np.flatnonzero(undecided)[gone]]
                where = np.zeros(int(positions.max()) + 1, bool)
                where[positions[missing]] = True
                _located(
                    problems,
                    file,
                    where,
                    column,
                    [
                        f"{pd.Timestamp(t):%Y-%m-%d %H:%M} does not exist in {zone} (clocks "
                        "skip that hour): if the system writes standard time all year, give "
                        "the meter a fixed time zone such as Etc/GMT-1"
                        for t in naive[missing[np.argsort(positions[missing], kind="stable")]]
                    ],
                )
            twice = pd.DataFrame({"code": codes[rows][undecided], "time": local[undecided]})
            first = (twice.groupby(["code", "time"], sort=False).cumcount() == 0).to_numpy()
            decided = local[undecided].tz_localize(zone, ambiguous=first, nonexistent="NaT")
            exact = exact.to_series().copy()
            exact.iloc[np.flatnonzero(undecided)] = decided
            exact = pd.DatetimeIndex(exact)
        seconds[rows] = _seconds(exact.tz_convert("UTC").tz_localize(None))
    return seconds


def _seconds(times: Any) -> np.ndarray:
    """Seconds since 1970 of naive UTC times (NaT: 0)."""
    values = np.asarray(times, dtype="datetime64[s]")
    return np.where(np.isnat(values), 0, values.astype(np.int64))


def _tidy(frame: pd.DataFrame, file: str, meters: pd.DataFrame, resources: Any) -> pd.DataFrame:
    """Readings of one table: meter, time (UTC), value and unit, or every problem raised."""
    problems: list[Problem] = []
    found, header_unit = _columns([str(c) for c in frame.columns])
    if "clock" in found:
        frame = frame.assign(
            **{found["date"]: _joined(frame[found["date"]], frame[found["clock"]])}
        )
    if "time" not in found:
        names = ", ".join(ALIASES["time"][:6])
        raise SymbionetError([Problem(file, 1, None, f"no timestamp column ({names}...)")])
    positions = np.arange(len(frame))
    if "meter" not in found or "value" not in found:
        wide = _wide(frame, found["time"], meters)
        if wide is None:
            missing = "meter" if "meter" not in found else "value"
            names = ", ".join(ALIASES[missing][:6])
            raise SymbionetError(
                [
                    Problem(
                        file,
                        1,
                        None,
                        f"no {missing} column ({names}...), and no column named after a meter",
                    )
                ]
            )
        positions = wide.pop("position").to_numpy()
        frame, found = wide, {"time": "time", "meter": "meter", "value": "value", "unit": "unit"}
        header_unit = None
    meter_codes, meter_names = _categories(frame[found["meter"]])
    codes = np.asarray(meters.index.get_indexer(meter_names), dtype=np.int32)
    codes = np.where(meter_codes >= 0, codes[np.maximum(meter_codes, 0)], -1).astype(np.int32)
    unknown = codes < 0
    where = np.zeros(len(frame), bool)
    if unknown.any():
        known = (
            "meters.csv has " + ", ".join(meters.index[:8]) + (", ..." if len(meters) > 8 else "")
            if len(meters)
            else "the park has no meters: declare them in meters.csv"
        )
        where[positions[unknown]] = True
        given = meter_names.to_numpy(dtype=object)
        _located(
            problems,
            file,
            where,
            found["meter"],
            [
                f"unknown meter {given[m]!r} ({known})" if m >= 0 else "no meter given"
                for m in meter_codes[unknown]
            ],
        )
    times, bad_time = _times(frame[found["time"]])
    missing_time = frame[found["time"]].isna().to_numpy()
    if bad_time.any():
        where = np.zeros(len(frame), bool)
        where[positions[bad_time]] = True
        _located(
            problems,
            file,
            where,
            found["time"],
            [
                f"{t!r} is not a timestamp: write 2024-12-31 23:45 (ISO, with an offset "
                "or in the meter's time zone) or 31-12-2024 23:45 (the day first)"
                if pd.isna(t) or not mixed
                else f"{t!r}: give every timestamp of a file an offset (+01:00, Z) or none"
                for t, mixed in zip(
                    frame[found["time"]][bad_time],
                    _mixed(frame[found["time"]])[bad_time],
                    strict=True,
                )
            ],
        )
    values = frame[found["value"]]
    unreadable = np.zeros(len(frame), bool)
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values):
        blank = values.isna() | values.astype("str").str.strip().isin(_NA_TEXT)
        text = values.where(~blank)  # NA, -, #N/A and the like: no reading
        values = _values(text, frame.attrs.get("decimal") == ",")
        unreadable = (values.isna() & text.notna()).to_numpy()
        if unreadable.any():
            where = np.zeros(len(frame), bool)
            where[positions[unreadable]] = True
            _located(
                problems,
                file,
                where,
                found["value"],
                [f"{v!r} is not a number" for v in text[unreadable]],
            )
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    units = _units(frame, found, header_unit, codes, meters)
    _check_units(units, codes, meters, resources, positions, file, found, problems)
    if problems:
        raise SymbionetError(problems)
    keep = ~(np.isnan(numbers) | missing_time)  # an empty cell is no reading: a gap
    zones = meters["timezone"].to_numpy()
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        seconds = _seconds(times.dt.tz_localize(None))
    else:
        seconds = _localize(
            np.asarray(times, dtype="datetime64[s]")[keep],
            codes[keep],
            zones,
            (file, found["time"], positions[keep]),
            problems,
        )
        if problems:
            raise SymbionetError(problems)
        full = np.zeros(len(frame), np.int64)
        full[keep] = seconds
        seconds = full
    return _frame(codes[keep], seconds[keep], numbers[keep], units[keep], meters)


def _categories(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes of a text column's values (-1 where empty) and the values, stripped: computed
    once per distinct value, not per row."""
    category = (
        column if isinstance(column.dtype, pd.CategoricalDtype) else column.astype("category")
    )
    names = pd.Index([str(c).strip() for c in category.cat.categories], dtype=object)
    codes = category.cat.codes.to_numpy(dtype=np.int64)
    empty = np.flatnonzero(names == "")
    if len(empty):
        codes = np.where(np.isin(codes, empty), -1, codes)
    return codes, names


def _units(
    frame: pd.DataFrame,
    found: dict[str, str],
    header_unit: str | None,
    codes: np.ndarray,
    meters: pd.DataFrame,
) -> pd.Categorical:
    """The unit of each reading: its own, the one in the value column's header, or the
    meter's declared unit."""
    declared = pd.Index(meters["unit"].astype("str").to_numpy(dtype=object))
    if "unit" in found:
        given, names = _categories(frame[found["unit"]])
    elif header_unit is not None:
        given, names = np.zeros(len(frame), np.int64), pd.Index([header_unit], dtype=object)
    else:
        given, names = np.full(len(frame), -1, np.int64), pd.Index([], dtype=object)
    every = pd.Index(pd.unique(np.r_[names.to_numpy(dtype=object), declared.to_numpy()]))
    from_given = every.get_indexer(names)
    from_meter = every.get_indexer(declared)
    unit_codes = np.where(
        given >= 0,
        from_given[np.maximum(given, 0)] if len(from_given) else -1,
        from_meter[np.maximum(codes, 0)] if len(from_meter) else -1,
    )
    return pd.Categorical.from_codes(unit_codes, categories=every)


def _check_units(
    units: pd.Categorical,
    codes: np.ndarray,
    meters: pd.DataFrame,
    resources: Any,
    positions: np.ndarray,
    file: str,
    found: dict[str, str],
    problems: list[Problem],
) -> None:
    """Every (meter, unit) pair converts to the meter's canonical amount."""
    n_units = len(units.categories)
    unit_codes = np.asarray(units.codes, dtype=np.int64)
    known = codes >= 0
    key = codes[known].astype(np.int64) * n_units + unit_codes[known]
    present = np.flatnonzero(np.bincount(key, minlength=len(meters) * n_units))
    reasons: dict[tuple[int, int], str] = {}
    for pair in present:
        code, unit_code = divmod(int(pair), n_units)
        meter = meters.iloc[code]
        try:
            reading_factor(units.categories[unit_code], meter["kind"], resources[meter["resource"]])
        except UnitProblem as error:
            reasons[(code, unit_code)] = f"meter {meters.index[code]!r}: {error}"
    if not reasons:
        return
    column = found.get("unit") or found.get("value")
    for (code, unit_code), reason in reasons.items():
        mask = (codes == code) & (unit_codes == unit_code)
        where = np.zeros(int(positions.max()) + 1, bool)
        where[positions[mask]] = True
        _located(problems, file, where, column, reason)


def _frame(
    codes: np.ndarray,
    seconds: np.ndarray,
    values: np.ndarray,
    units: pd.Categorical,
    meters: pd.DataFrame,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "meter": pd.Categorical.from_codes(codes, categories=meters.index),
            "time": pd.to_datetime(seconds, unit="s", utc=True),
            "value": values,
            "unit": units,
        }
    )


def read_readings(
    sources: str | Path | pd.DataFrame | Iterable[str | Path | pd.DataFrame],
    park: Park,
    meters: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Readings from files (CSV, .xlsx, .parquet) or tables, checked against the park's
    meters (or ``meters``, a table like meters.csv): one row per reading with ``meter``
    (categorical over the meter ids), ``time`` (the timestamp in UTC), ``value`` (as read)
    and ``unit`` (as given in the file, or the meter's). Raises SymbionetError naming the
    file, row and column of every problem; nothing is returned half read."""
    resolved = meter_table(park, meters)
    items = [sources] if isinstance(sources, str | Path | pd.DataFrame) else list(sources)
    parts, problems = [], []
    for number, item in enumerate(items):
        if isinstance(item, pd.DataFrame):
            file, frame = f"table {number + 1}", item
        else:
            file = str(item)
            try:
                frame = _read_file(Path(item))
            except SymbionetError as error:
                problems += error.problems
                continue
        try:
            parts.append(_tidy(frame, file, resolved, park.catalogue.resources))
        except SymbionetError as error:
            problems += error.problems
    if problems:
        raise SymbionetError(problems)
    if not parts:
        return _frame(
            np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0), pd.Categorical([]), resolved
        )
    units = union_categoricals([part["unit"].array for part in parts])
    readings = pd.concat([part.drop(columns="unit") for part in parts], ignore_index=True)
    readings["unit"] = units
    return readings


__all__ = ["ALIASES", "read_readings"]
