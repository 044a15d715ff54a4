"""Metered readings in the database: one row per meter and time, stored per park.

A frame of readings has the columns ``meter`` (text), ``at`` (UTC timestamps, the start of
each reading's interval), ``value`` (the reading's amount in the canonical unit of what
the meter measures; NaN when the meter gave none) and ``flag`` (a small integer: 0 for a
reading without a flag, else one bit per flag of ``symbionet.metering.FLAGS``, see
:func:`flag_bits`; a reading counts unless it holds a bit of ``EXCLUDING``).

Storing readings replaces, for each meter of the frame, every stored reading from its first
to its last time in the frame, in one transaction: an upload repeated changes nothing, and
an upload that fails at any point leaves the readings stored before it exactly as they were.

PostgreSQL gets the rows with ``COPY ... (FORMAT BINARY)``, written by numpy in large
chunks (no Python work per row); SQLite gets them with ``executemany`` in large batches.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Double,
    Engine,
    Integer,
    MetaData,
    SmallInteger,
    Table,
    Text,
    exc,
)

from symbionet.errors import SymbionetError

if TYPE_CHECKING:
    from symbionet.metering.flagging import FlaggedReadings
    from symbionet.metering.verification import VerifiedResult
    from symbionet.register.park import Park

COLUMNS = ("meter", "at", "value", "flag")
"""The columns of a frame of readings, in order."""

VALID = 0
"""The flag of a reading without any flag."""

CHUNK_ROWS = 1_000_000
"""Rows written to PostgreSQL's COPY in one piece of bytes."""

BATCH_ROWS = 100_000
"""Rows given to SQLite's ``executemany`` at once."""

REFILL_ROWS = 1_000_000
"""A load of at least this many rows, and of at least half the rows a park's partition
holds, empties the partition and fills it again instead of deleting row by row."""

_EPOCH_2000_US = 946_684_800_000_000
"""PostgreSQL's binary timestamps count microseconds from 2000-01-01 UTC."""

_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)

_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
"""How SQLite holds a time (as SQLAlchemy's ``DateTime`` writes it): sorts as it reads."""


def declare_tables(metadata: MetaData) -> None:
    """Add ``readings`` to ``metadata``: keyed by park, meter and time, which serves both
    reading a park's meters over a year and replacing a meter's readings over a range.

    A park's readings go with the park as a foreign key with ``ON DELETE CASCADE`` would
    take them, but without one: a trigger of the migration deletes them with their park,
    and :func:`store_readings` locks the park's row while it stores (``FOR KEY SHARE``, the
    lock a foreign key takes), refusing a park that does not exist. A foreign key would
    check each of the 35 million rows of a year of 1,000 meters on its own: 4.6 times the
    server's work of the COPY and the key together (docs/benchmarks.md).

    On PostgreSQL the table is partitioned by park (:func:`partition_name`): a park's
    first load fills a table of its own, keyed once at the end, instead of adding each
    row to the key of every park's readings."""
    Table(
        "readings",
        metadata,
        Column("park_id", Integer, primary_key=True),
        Column("meter", Text, primary_key=True),
        Column("at", DateTime(timezone=True), primary_key=True),
        Column("value", Double, nullable=True),
        Column("flag", SmallInteger, nullable=False),
        postgresql_partition_by="LIST (park_id)",
    )


class _Prepared:
    """A frame of readings checked and held as numpy arrays: meter codes into ``names``
    (sorted), times in microseconds since 1970 UTC, values (NaN for none) and flags."""

    def __init__(self, frame: pd.DataFrame) -> None:
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise SymbionetError(f"readings lack the columns {', '.join(missing)}")
        meter = frame["meter"]
        if meter.isna().any():
            raise SymbionetError("readings name no meter in some rows")
        codes, names = pd.factorize(meter, sort=True)
        self.names = [str(name) for name in names]
        for name in self.names:
            if "\x00" in name:
                raise SymbionetError(f"meter {name!r} holds a NUL character")
        self.codes = np.asarray(codes, dtype=np.int64)
        self.at = _microseconds(frame["at"])
        value = pd.to_numeric(frame["value"], errors="coerce")
        bad = value.isna() & frame["value"].notna()
        if bad.any():
            raise SymbionetError(
                f"reading of meter {meter[bad].iloc[0]!r} holds {frame['value'][bad].iloc[0]!r}, "
                "not a number"
            )
        self.value = value.to_numpy(dtype=np.float64, na_value=np.nan)
        self.flag = _flags(frame["flag"])
        self._sort()

    def __len__(self) -> int:
        return len(self.codes)

    def _sort(self) -> None:
        """Order the rows by meter and time, as the table's key: rows then go into the
        key's index in order. Frames in that order already are left as they are."""
        codes, at = self.codes, self.at
        same = codes[1:] == codes[:-1]
        if bool(np.all((codes[1:] > codes[:-1]) | (same & (at[1:] >= at[:-1])))):
            return
        order = np.lexsort((at, codes))
        self.codes, self.at = codes[order], at[order]
        self.value, self.flag = self.value[order], self.flag[order]

    def ranges(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Each meter with its first and last time (microseconds), rows being sorted."""
        starts = np.flatnonzero(np.r_[True, self.codes[1:] != self.codes[:-1]])
        ends = np.r_[starts[1:], len(self.codes)] - 1
        return [self.names[c] for c in self.codes[starts]], self.at[starts], self.at[ends]


def _microseconds(at: pd.Series) -> np.ndarray:
    """UTC times as integer microseconds since 1970; naive times are refused."""
    if not isinstance(at.dtype, pd.DatetimeTZDtype):
        try:
            at = pd.to_datetime(at, utc=False)
        except (ValueError, TypeError) as error:
            raise SymbionetError(f"reading times are not times: {error}") from None
        if not isinstance(at.dtype, pd.DatetimeTZDtype):
            raise SymbionetError("reading times must give their time zone (UTC)")
    if at.isna().any():
        raise SymbionetError("readings lack their time in some rows")
    utc = at.dt.tz_convert("UTC").dt.as_unit("us")
    return utc.to_numpy(dtype="datetime64[us]").view(np.int64)


def _flags(flag: pd.Series) -> np.ndarray:
    if isinstance(flag.dtype, pd.CategoricalDtype):
        flag = flag.astype(flag.cat.categories.dtype)
    numbers = pd.to_numeric(flag, errors="coerce")
    ok = numbers.notna() & (numbers == np.round(numbers))
    ok &= (numbers >= np.iinfo(np.int16).min) & (numbers <= np.iinfo(np.int16).max)
    if not ok.all():
        raise SymbionetError(f"reading flag {flag[~ok].iloc[0]!r} is not a small whole number")
    return numbers.to_numpy(dtype=np.int16)


def store_readings(engine: Engine, park_id: int, frame: pd.DataFrame) -> int:
    """Store ``frame``'s readings for park ``park_id`` and give the number of rows stored.
    Each meter's stored readings from its first to its last time in ``frame`` are replaced
    (all of it in one transaction: on any error, the stored readings are left unchanged)."""
    readings = _Prepared(frame)
    if not len(readings):
        return 0
    meters, starts, ends = readings.ranges()
    try:
        with engine.begin() as connection:
            _claim_park(connection, park_id)
            if connection.dialect.name == "postgresql":
                _replace_postgresql(connection, park_id, readings, meters, starts, ends)
            else:
                _replace_sqlite(connection, park_id, readings, meters, starts, ends)
    except (exc.IntegrityError, _driver_integrity_error()) as error:
        detail = getattr(error, "orig", None) or error
        raise SymbionetError(
            f"readings of park {park_id} could not be stored (a meter read twice at the same "
            f"time): {str(detail).splitlines()[0]}"
        ) from None
    return len(readings)


def _claim_park(connection: Connection, park_id: int) -> None:
    """Refuse a park that does not exist; on PostgreSQL lock its row until the transaction
    ends, so that it cannot be deleted meanwhile (as a foreign key would lock it)."""
    lock = " FOR KEY SHARE" if connection.dialect.name == "postgresql" else ""
    found = connection.exec_driver_sql(
        f"SELECT id FROM parks WHERE id = {'%s' if lock else '?'}{lock}", (park_id,)
    ).first()
    if found is None:
        raise SymbionetError(f"no park with id {park_id} is saved")


def _driver_integrity_error() -> type[Exception]:
    """The error psycopg raises for a broken key when used directly (as COPY is)."""
    try:
        from psycopg.errors import IntegrityError
    except ImportError:  # no PostgreSQL driver: only SQLAlchemy's error can occur
        return exc.IntegrityError
    return IntegrityError


def partition_name(park_id: int) -> str:
    """The PostgreSQL table holding the readings of park ``park_id``: ``readings`` is
    partitioned by park, one partition made by the park's first load."""
    return f"readings_{int(park_id)}"


_LOADING = 0x5EAD
"""First key of the advisory lock that lets one load of a park's readings run at a time."""


def _replace_postgresql(
    connection: Connection,
    park_id: int,
    readings: _Prepared,
    meters: list[str],
    starts: np.ndarray,
    ends: np.ndarray,
) -> None:
    """A park's first load makes its partition: a new table filled by ``COPY ... FREEZE``
    (its rows written once, already visible to all), keyed afterwards in one sorted pass
    and attached to ``readings``; all of it unseen by others until the commit. Later loads
    delete each meter's range from the partition and copy the rows into it; a load of most
    of the partition (``REFILL_ROWS``) empties it and fills it again with the rows kept and
    the new ones (the partition's readers wait for the commit meanwhile)."""
    from psycopg import sql

    raw = connection.connection.driver_connection
    assert raw is not None
    partition = sql.Identifier(partition_name(park_id))
    columns = sql.SQL("(park_id, meter, at, value, flag)")
    with raw.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOADING, park_id))
        cursor.execute(
            "SELECT 1 FROM pg_inherits WHERE inhparent = 'readings'::regclass "
            "AND inhrelid = to_regclass(%s)",
            (partition_name(park_id),),
        )
        first = cursor.fetchone() is None
        ranges = (meters, _datetimes(starts), _datetimes(ends))
        anew = first or _most_of(cursor, park_id, len(readings))
        if first:
            cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(partition))
            cursor.execute(sql.SQL("CREATE TABLE {} (LIKE readings)").format(partition))
        elif anew:
            # most of the partition replaced: keep aside the rows outside the ranges, empty
            # the partition and fill it again (in order), rather than delete row by row
            cursor.execute(
                sql.SQL(
                    "CREATE TEMPORARY TABLE readings_kept ON COMMIT DROP AS "
                    "SELECT r.* FROM {} AS r LEFT JOIN unnest(%s::text[], %s::timestamptz[], "
                    "%s::timestamptz[]) AS x(meter, first, last) ON r.meter = x.meter "
                    "AND r.at BETWEEN x.first AND x.last WHERE x.meter IS NULL"
                ).format(partition),
                ranges,
            )
            cursor.execute(sql.SQL("TRUNCATE {}").format(partition))
            cursor.execute(
                sql.SQL("INSERT INTO {} SELECT * FROM readings_kept ORDER BY meter, at").format(
                    partition
                )
            )
            cursor.execute("DROP TABLE readings_kept")
        else:
            cursor.execute(
                sql.SQL(
                    "DELETE FROM {} AS r USING unnest(%s::text[], %s::timestamptz[], "
                    "%s::timestamptz[]) AS x(meter, first, last) WHERE r.meter = x.meter "
                    "AND r.at BETWEEN x.first AND x.last"
                ).format(partition),
                ranges,
            )
        freeze = sql.SQL(", FREEZE" if anew else "")
        with cursor.copy(
            sql.SQL("COPY {} {} FROM STDIN (FORMAT BINARY{})").format(partition, columns, freeze)
        ) as copy:
            for chunk in _copy_chunks(park_id, readings):
                copy.write(chunk)
        if first:
            cursor.execute(
                sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (park_id, meter, at)").format(partition)
            )
            cursor.execute(
                sql.SQL("ALTER TABLE readings ATTACH PARTITION {} FOR VALUES IN ({})").format(
                    partition, sql.Literal(int(park_id))
                )
            )
        if anew:
            # the planner's statistics of the rows now: without them it guesses a few rows
            # and reads a year of a park through the key, five times slower than a scan
            cursor.execute(sql.SQL("ANALYZE {}").format(partition))


def _most_of(cursor: Any, park_id: int, rows: int) -> bool:
    """Whether a load of ``rows`` rows is large and at least half as many rows as the
    park's partition holds (as PostgreSQL last counted them)."""
    if rows < REFILL_ROWS:
        return False
    cursor.execute(
        "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", (partition_name(park_id),)
    )
    found = cursor.fetchone()
    return found is not None and rows >= float(found[0]) / 2


def _datetimes(microseconds: np.ndarray) -> list[datetime]:
    return list(pd.to_datetime(microseconds, unit="us", utc=True).to_pydatetime())


def _copy_chunks(park_id: int, readings: _Prepared) -> Iterator[bytes]:
    """The rows in PostgreSQL's binary COPY format, a chunk of at most ``CHUNK_ROWS`` rows
    at a time: each row is a fixed-width numpy record for its meter name's length and
    whether its value is null, so rows of one kind are written in one go."""
    encoded = [name.encode() for name in readings.names]
    lengths = np.array([len(name) for name in encoded], dtype=np.int64)
    row_length = lengths[readings.codes]
    empty = np.isnan(readings.value)
    by_size = {
        size: np.array([n if len(n) == size else b"" for n in encoded], dtype=f"S{size}")
        for size in {len(n) for n in encoded}
    }
    yield _COPY_HEADER
    for start in range(0, len(readings), CHUNK_ROWS):
        part = slice(start, start + CHUNK_ROWS)
        kinds = row_length[part] * 2 + empty[part]
        pieces = []
        for kind in np.unique(kinds):
            size, null = divmod(int(kind), 2)
            rows = np.flatnonzero(kinds == kind) + start
            names = by_size[size]
            pieces.append(_records(park_id, readings, rows, names, size, bool(null)).tobytes())
        yield b"".join(pieces)
    yield _COPY_TRAILER


def _records(
    park_id: int, readings: _Prepared, rows: np.ndarray, names: np.ndarray, size: int, null: bool
) -> np.ndarray:
    fields: list[tuple[str, str]] = [
        ("count", ">i2"),
        ("park_size", ">i4"),
        ("park", ">i4"),
        ("meter_size", ">i4"),
    ]
    if size:
        fields.append(("meter", f"S{size}"))
    fields += [("at_size", ">i4"), ("at", ">i8"), ("value_size", ">i4")]
    if not null:
        fields.append(("value", ">f8"))
    fields += [("flag_size", ">i4"), ("flag", ">i2")]
    records = np.empty(len(rows), dtype=np.dtype(fields))
    records["count"] = 5
    records["park_size"] = 4
    records["park"] = park_id
    records["meter_size"] = size
    if size:
        records["meter"] = names[readings.codes[rows]]
    records["at_size"] = 8
    records["at"] = readings.at[rows] - _EPOCH_2000_US
    if null:
        records["value_size"] = -1
    else:
        records["value_size"] = 8
        records["value"] = readings.value[rows]
    records["flag_size"] = 2
    records["flag"] = readings.flag[rows]
    return records


def _sqlite_times(microseconds: np.ndarray) -> np.ndarray:
    text = np.datetime_as_string(microseconds.astype("datetime64[us]"), unit="us")
    return np.char.replace(text, "T", " ")


def _replace_sqlite(
    connection: Connection,
    park_id: int,
    readings: _Prepared,
    meters: list[str],
    starts: np.ndarray,
    ends: np.ndarray,
) -> None:
    connection.exec_driver_sql(
        "DELETE FROM readings WHERE park_id = ? AND meter = ? AND at BETWEEN ? AND ?",
        [
            (park_id, meter, first, last)
            for meter, first, last in zip(
                meters, _sqlite_times(starts).tolist(), _sqlite_times(ends).tolist(), strict=True
            )
        ],
    )
    names = np.array(readings.names, dtype=object)
    for start in range(0, len(readings), BATCH_ROWS):
        connection.exec_driver_sql(
            "INSERT INTO readings (park_id, meter, at, value, flag) VALUES (?, ?, ?, ?, ?)",
            _sqlite_rows(park_id, readings, names, slice(start, start + BATCH_ROWS)),
        )


def _sqlite_rows(
    park_id: int, readings: _Prepared, names: np.ndarray, part: slice
) -> list[tuple[Any, ...]]:
    value = readings.value[part].astype(object)
    value[np.isnan(readings.value[part])] = None
    return list(
        zip(
            [park_id] * len(value),
            names[readings.codes[part]].tolist(),
            _sqlite_times(readings.at[part]).tolist(),
            value.tolist(),
            readings.flag[part].tolist(),
            strict=True,
        )
    )


def read_readings(
    engine: Engine,
    park_id: int,
    meters: Sequence[str] | None = None,
    start: datetime | pd.Timestamp | None = None,
    end: datetime | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The stored readings of park ``park_id`` (of ``meters`` only when given, from
    ``start`` included to ``end`` excluded when given), ordered by meter and time, as a
    frame of ``COLUMNS``: times in UTC, a missing value as NaN, flags as small integers."""
    bounds = [None if t is None else _utc(t) for t in (start, end)]
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            frame = _read_postgresql(connection, park_id, meters, bounds[0], bounds[1])
        else:
            frame = _read_sqlite(connection, park_id, meters, bounds[0], bounds[1])
    return frame


def _utc(moment: datetime | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is None:
        raise SymbionetError(f"{moment} gives no time zone: give times in UTC")
    return stamp.tz_convert("UTC")


def _frame(
    meter: Any, microseconds: np.ndarray, value: np.ndarray, flag: np.ndarray
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "meter": pd.Series(meter, dtype="str"),
            "at": pd.to_datetime(microseconds, unit="us", utc=True).as_unit("ns"),
            "value": np.asarray(value, dtype=np.float64),
            "flag": np.asarray(flag, dtype=np.int16),
        }
    )


def _where_sql(
    placeholder: str,
    park_id: int,
    meters: Sequence[str] | None,
    start: Any,
    end: Any,
    many: bool,
) -> tuple[str, list[Any]]:
    clauses = [f"park_id = {placeholder}"]
    params: list[Any] = [park_id]
    if meters is not None:
        meters = [str(m) for m in meters]
        if many:
            clauses.append(f"meter = ANY({placeholder}::text[])")
            params.append(meters)
        else:
            clauses.append(f"meter IN ({', '.join(placeholder for _ in meters) or 'NULL'})")
            params += meters
    if start is not None:
        clauses.append(f"at >= {placeholder}")
        params.append(start)
    if end is not None:
        clauses.append(f"at < {placeholder}")
        params.append(end)
    return " AND ".join(clauses), params


def _read_postgresql(
    connection: Connection,
    park_id: int,
    meters: Sequence[str] | None,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    where, params = _where_sql(
        "%s",
        park_id,
        meters,
        None if start is None else start.to_pydatetime(),
        None if end is None else end.to_pydatetime(),
        many=True,
    )
    raw = connection.connection.driver_connection
    assert raw is not None
    data = bytearray()
    with raw.cursor() as cursor:
        # the time as whole microseconds since 1970, which no time zone setting changes
        statement = (
            "COPY (SELECT meter, (extract(epoch FROM at) * 1000000)::bigint, value, flag "
            f"FROM readings WHERE {where} ORDER BY meter, at) TO STDOUT (FORMAT csv)"
        )
        with cursor.copy(statement, params) as copy:
            for block in copy:
                data += block
    if not data:
        return _frame([], np.empty(0, np.int64), np.empty(0), np.empty(0))
    table = pacsv.read_csv(
        pa.py_buffer(bytes(data)),
        read_options=pacsv.ReadOptions(column_names=list(COLUMNS)),
        convert_options=pacsv.ConvertOptions(
            column_types={
                "meter": pa.string(),
                "at": pa.int64(),
                "value": pa.float64(),
                "flag": pa.int16(),
            },
            quoted_strings_can_be_null=False,
        ),
    )
    value = table["value"].to_numpy()
    return _frame(
        table["meter"].to_pylist(),
        table["at"].to_numpy(),
        np.asarray(value, dtype=np.float64),
        table["flag"].to_numpy(),
    )


def _read_sqlite(
    connection: Connection,
    park_id: int,
    meters: Sequence[str] | None,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> pd.DataFrame:
    where, params = _where_sql(
        "?",
        park_id,
        meters,
        None if start is None else start.strftime(_SQLITE_TIME),
        None if end is None else end.strftime(_SQLITE_TIME),
        many=False,
    )
    rows = connection.exec_driver_sql(
        f"SELECT meter, at, value, flag FROM readings WHERE {where} ORDER BY meter, at",
        tuple(params),
    ).all()
    if not rows:
        return _frame([], np.empty(0, np.int64), np.empty(0), np.empty(0))
    meter, at, value, flag = zip(*rows, strict=True)
    microseconds = np.array(at, dtype="datetime64[us]").view(np.int64)
    values = np.array([np.nan if v is None else v for v in value], dtype=np.float64)
    return _frame(list(meter), microseconds, values, np.array(flag))


def meter_totals(
    engine: Engine,
    park_id: int,
    start: datetime | pd.Timestamp,
    end: datetime | pd.Timestamp,
    meters: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per meter of park ``park_id`` (of ``meters`` when given) with readings from
    ``start`` included to ``end`` excluded, summed in the database: ``readings`` (how
    many), ``valid`` (with a value and no excluding flag), ``total`` (the sum of the valid
    values), ``first`` and ``last`` (the times of the first and last reading, UTC), and
    how many readings hold each flag (a column per flag). Indexed by meter, in order; a
    meter without readings there has no row."""
    bounds = (_utc(start), _utc(end))
    with engine.connect() as connection:
        postgresql = connection.dialect.name == "postgresql"
        if postgresql:
            limits: tuple[Any, Any] = (bounds[0].to_pydatetime(), bounds[1].to_pydatetime())
        else:
            limits = (bounds[0].strftime(_SQLITE_TIME), bounds[1].strftime(_SQLITE_TIME))
        where, params = _where_sql(
            "%s" if postgresql else "?", park_id, meters, *limits, many=postgresql
        )
        # one group per meter and flag value (a few per meter): counts and sums of the
        # readings with a value, the rest worked out from those few rows
        statement = (
            "SELECT meter, flag, count(*), count(value), coalesce(sum(value), 0), min(at), "
            f"max(at) FROM readings WHERE {where} GROUP BY meter, flag"
        )
        rows = connection.exec_driver_sql(statement, tuple(params)).all()
    groups = pd.DataFrame(
        [tuple(row) for row in rows],
        columns=["meter", "flag", "readings", "valued", "total", "first", "last"],
    ).astype({"meter": "str", "flag": np.int64, "readings": np.int64, "valued": np.int64})
    groups["total"] = groups["total"].astype(np.float64)
    for column in ("first", "last"):
        groups[column] = pd.to_datetime(groups[column], utc=True).dt.as_unit("ns")
    bits = flag_bits()
    excluded = sum(bits[name] for name in _excluding())
    counted = (groups["flag"] & excluded) == 0
    groups["valid"] = groups["valued"].where(counted, 0)
    groups["total"] = groups["total"].where(counted, 0.0)
    for name, bit in bits.items():
        groups[name] = groups["readings"].where((groups["flag"] & bit) != 0, 0)
    by_meter = groups.groupby("meter", sort=True)
    found = by_meter[["readings", "valid", "total", *bits]].sum()
    found["first"] = by_meter["first"].min()
    found["last"] = by_meter["last"].max()
    found = found[["readings", "valid", "total", "first", "last", *bits]]
    return found.astype({c: np.int64 for c in ["readings", "valid", *bits]})


def flag_bits() -> dict[str, int]:
    """The bit of each flag of the metering library (``gap`` 1, ``duplicate`` 2, ...) in the
    ``flag`` column: a reading's flag is the sum of the bits of its flags."""
    from symbionet.metering.flagging import FLAGS

    return {name: 1 << number for number, name in enumerate(FLAGS)}


def _excluding() -> tuple[str, ...]:
    from symbionet.metering.flagging import EXCLUDING

    return tuple(EXCLUDING)


def readings_of(flagged: FlaggedReadings) -> pd.DataFrame:
    """The frame to store of readings converted and flagged by the metering library: each
    valid amount at the start of its interval, in the canonical unit, without a flag.
    Excluded readings are not amounts; their flags stay in ``flagged.flags``."""
    amounts = flagged.amounts
    return pd.DataFrame(
        {
            "meter": amounts["meter"],
            "at": pd.to_datetime(amounts["start"].to_numpy(np.int64), unit="s", utc=True),
            "value": amounts["amount"].to_numpy(np.float64),
            "flag": np.zeros(len(amounts), np.int16),
        }
    )


def verified_account(
    engine: Engine,
    park_id: int,
    park: Park,
    year: int,
    meters: pd.DataFrame | None = None,
) -> VerifiedResult:
    """The verified quantities of ``year`` (a calendar year in each meter's time zone) from
    the readings stored for park ``park_id``, as ``symbionet.metering.verify`` gives them
    from readings in memory: summed per meter in the database (:func:`meter_totals`), then
    per exchange and metered stream by the metering library. ``meters`` replaces the
    park's meters.csv. A reading counts in the year its interval starts in; a meter's
    coverage is its valid readings times its interval (declared, else the mean spacing of
    its readings) over the year's hours; ``flags`` is empty (flags are counted per reading
    in ``meters``)."""
    from symbionet.metering.flagging import DEFAULT_INTERVAL_S, FLAGS
    from symbionet.metering.meters import meter_table
    from symbionet.metering.verification import verified_from_meters

    resolved = meter_table(park, meters)
    parts = []
    zones = resolved.groupby("timezone", sort=True)
    for zone, group in zones:
        start = pd.Timestamp(year=year, month=1, day=1, tz=str(zone))
        end = pd.Timestamp(year=year + 1, month=1, day=1, tz=str(zone))
        # one time zone (as usual): every meter at once, without a test of each row's meter
        chosen = None if len(zones) == 1 else list(group.index)
        found = meter_totals(engine, park_id, start, end, chosen)
        parts.append(found[found.index.isin(group.index)])
    if not parts:  # no meters: no readings to sum, the frame of the sums all the same
        utc = pd.Timestamp(year=year, month=1, day=1, tz="UTC")
        parts.append(meter_totals(engine, park_id, utc, utc, []))
    totals = pd.concat(parts)
    totals = totals.reindex(resolved.index)
    counts = ["readings", "valid", *FLAGS]
    totals[counts] = totals[counts].fillna(0).astype(np.int64)
    totals["total"] = totals["total"].fillna(0.0)
    span = (totals["last"] - totals["first"]).dt.total_seconds()
    interval = resolved["interval_s"].to_numpy(dtype=float).copy()
    guessed = (span / (totals["readings"] - 1)).where(totals["readings"] > 1).to_numpy(float)
    interval = np.where(np.isnan(interval), guessed, interval)
    interval = np.where(np.isnan(interval), DEFAULT_INTERVAL_S, interval)
    hours = pd.Timestamp(year=year + 1, month=1, day=1) - pd.Timestamp(year=year, month=1, day=1)
    per_meter = pd.DataFrame(
        index=pd.MultiIndex.from_product([resolved.index, [year]], names=["meter", "year"])
    )
    per_meter["target"] = resolved["target"].to_numpy(dtype=object)
    per_meter["target_type"] = resolved["target_type"].to_numpy(dtype=object)
    per_meter["measured"] = totals["total"].to_numpy(float)
    seconds = totals["valid"].to_numpy(float) * interval
    per_meter["coverage"] = np.minimum(seconds / hours.total_seconds(), 1.0)
    per_meter["unit"] = resolved["canonical"].to_numpy(dtype=object)
    per_meter["readings"] = totals["valid"].to_numpy(np.int64)
    for name in FLAGS:
        per_meter[name] = totals[name].to_numpy(np.int64)
    no_flags = pd.DataFrame({"meter": [], "start": [], "end": [], "flag": [], "detail": []})
    return verified_from_meters(park, per_meter, [year], no_flags)


__all__ = [
    "COLUMNS",
    "VALID",
    "declare_tables",
    "flag_bits",
    "meter_totals",
    "partition_name",
    "read_readings",
    "readings_of",
    "store_readings",
    "verified_account",
]
