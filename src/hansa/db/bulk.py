"""Bulk writes and keyed reads on the driver's own cursor, inside the caller's transaction.

For the few paths that move tens of thousands of rows in one unit of work (a supplier file):
SQLAlchemy Core's executemany builds and type-processes a parameter dict per row, which costs
more than the database's own work. These helpers take rows that are already in the driver's
form (tuples in column order; `db_value` turns a value of a typed column into that form once,
so a chunk's timestamp is converted once, not per row) and hand them to the DBAPI cursor's
executemany with the dialect's placeholder; on PostgreSQL they go in through COPY instead (an
update through COPY into a temporary table joined by one UPDATE). The SQL runs on the same
DBAPI connection as the SQLAlchemy `Connection`, so it belongs to the open transaction and
its savepoints.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

IN_BATCH = 2000  # keys per `IN (...)` list: well below SQLite's and PostgreSQL's limits
COPY_UPDATE_ROWS = 64  # PostgreSQL: fewer updates than this go as statements (a temporary
                       # table, COPY, UPDATE and DROP cost ~4 round trips for one row)


_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}  # SQLite's, psycopg's


def _mark(conn: Connection) -> str:
    """The driver's placeholder. Hansa's engines are SQLite and psycopg (`normalise_url`
    picks psycopg for every PostgreSQL URL); another driver is a configuration error."""
    try:
        return _MARKS[conn.dialect.paramstyle]
    except KeyError:
        raise ValueError(f"bulk writes take the qmark or (py)format parameter style, not "
                         f"{conn.dialect.paramstyle!r} of driver {conn.dialect.driver}") from None


def _name(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _cursor(conn: Connection) -> Any:
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


def db_value(conn: Connection, column: sa.Column[Any], value: Any) -> Any:
    """`value` as the driver takes it for `column` (the type's bind processing, once)."""
    return binder(conn, column)(value)


def binder(conn: Connection, column: sa.Column[Any]) -> Callable[[Any], Any]:
    """The function that turns a value of `column` into the driver's form (for many rows)."""
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return _same if process is None else process


def _same(value: Any) -> Any:
    return value


def upsert_many(conn: Connection, table: sa.Table, columns: Sequence[str],
                keys: Sequence[str], add: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT rows (driver's form, `columns` order); a row whose `keys` exist already adds its
    `add` columns to the stored ones (counters). One executemany, on both databases."""
    if not rows:
        return
    table_name = _name(conn, table.name)
    sql = (f"INSERT INTO {table_name} ({', '.join(_name(conn, c) for c in columns)}) "
           f"VALUES ({', '.join(_mark(conn) for _ in columns)}) "
           f"ON CONFLICT ({', '.join(_name(conn, k) for k in keys)}) DO UPDATE SET "
           + ", ".join(f"{_name(conn, c)} = {table_name}.{_name(conn, c)} + "
                       f"excluded.{_name(conn, c)}" for c in add))
    cursor = _cursor(conn)
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def insert_many(conn: Connection, table: sa.Table, columns: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """INSERT one row per tuple (values in `columns` order, in the driver's form)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, _name(conn, table.name), columns, rows)
        return
    mark = _mark(conn)
    sql = (f"INSERT INTO {_name(conn, table.name)} "
           f"({', '.join(_name(conn, c) for c in columns)}) "
           f"VALUES ({', '.join(mark for _ in columns)})")
    cursor = _cursor(conn)
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def update_many(conn: Connection, table: sa.Table, columns: Sequence[str], keys: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """UPDATE the row found by `keys` to `columns`; each tuple holds the new values in `columns`
    order, then the key values in `keys` order."""
    if not rows:
        return
    if conn.dialect.name == "postgresql" and len(rows) >= COPY_UPDATE_ROWS:
        _update_from_copy(conn, table, columns, keys, rows)
        return
    mark = _mark(conn)
    sql = (f"UPDATE {_name(conn, table.name)} SET "
           f"{', '.join(f'{_name(conn, c)} = {mark}' for c in columns)} WHERE "
           f"{' AND '.join(f'{_name(conn, k)} = {mark}' for k in keys)}")
    cursor = _cursor(conn)
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _copy(conn: Connection, target: str, columns: Sequence[str],
          rows: Iterable[Sequence[Any]]) -> None:
    """PostgreSQL: rows in through COPY (one stream, not a statement per row)."""
    cursor = _cursor(conn)
    try:
        with cursor.copy(f"COPY {target} ({', '.join(_name(conn, c) for c in columns)}) "
                         "FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def _update_from_copy(conn: Connection, table: sa.Table, columns: Sequence[str],
                      keys: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """PostgreSQL: the new values COPY into a temporary table of the same column types, then
    one UPDATE ... FROM joins it on the keys. A key given twice keeps its last values, as
    statements run one after the other would leave it."""
    width = len(columns)
    last = {tuple(row[width:]): row for row in rows}
    name, temp = _name(conn, table.name), _name(conn, f"bulk_{table.name}")
    wanted = [*columns, *keys]
    cursor = _cursor(conn)
    try:
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} AS SELECT "
                       f"{', '.join(_name(conn, c) for c in wanted)} FROM {name} WITH NO DATA")
        _copy(conn, temp, wanted, last.values())
        cursor.execute(f"UPDATE {name} AS t SET "
                       + ", ".join(f"{_name(conn, c)} = v.{_name(conn, c)}" for c in columns)
                       + f" FROM {temp} AS v WHERE "
                       + " AND ".join(f"t.{_name(conn, k)} = v.{_name(conn, k)}" for k in keys))
        cursor.execute(f"DROP TABLE {temp}")
    finally:
        cursor.close()


def select_in(conn: Connection, table: sa.Table, columns: Sequence[str],
              where: Iterable[tuple[str, Any]], key: str,
              values: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    """Rows of `columns` (raw driver values) where each `where` column equals its value and
    `key` (a text column) is one of `values`, fetched `IN_BATCH` keys at a time.

    On PostgreSQL the keys come as one array joined through `unnest`: a long `IN` list over a
    table filled in the same transaction (no statistics yet) is planned as a scan that tests
    every row against every key, seconds per chunk; a join is linear whatever the plan."""
    mark, fixed = _mark(conn), list(where)
    pg = conn.dialect.name == "postgresql"
    head = (f"SELECT {', '.join(f't.{_name(conn, c)}' for c in columns)} "
            f"FROM {_name(conn, table.name)} AS t "
            + (f"JOIN unnest({mark}::text[]) AS k(v) ON t.{_name(conn, key)} = k.v "
               if pg else "")
            + "WHERE "
            + "".join(f"t.{_name(conn, c)} = {mark} AND " for c, _v in fixed)
            + ("TRUE" if pg else f"t.{_name(conn, key)} IN ("))
    params = [v for _c, v in fixed]
    cursor = _cursor(conn)
    try:
        for start in range(0, len(values), IN_BATCH):
            batch = values[start:start + IN_BATCH]
            if pg:  # a key given twice must not return its row twice, as with IN
                cursor.execute(head, [list(dict.fromkeys(batch)), *params])
            else:
                cursor.execute(head + ", ".join(mark for _ in batch) + ")", [*params, *batch])
            yield from cursor.fetchall()
    finally:
        cursor.close()


def select_keys(conn: Connection, table: sa.Table, columns: Sequence[str],
                keys: Sequence[str], values: Iterable[tuple[str, ...]],
                since: tuple[str, Any] | None = None) -> Iterator[tuple[Any, ...]]:
    """Rows of `columns` (raw driver values) whose text columns `keys` equal one of the
    tuples in `values`, and, with `since` (column, driver value), whose column is at or
    after it; `IN_BATCH` tuples a statement.

    The tuples are joined as a table (SQLite: a `VALUES` list, PostgreSQL: `unnest` of one
    array per column), so each is a seek on an index that starts with `keys`. A row-value
    `IN` list is planned by SQLite as a scan of the whole table per statement."""
    mark = _mark(conn)
    pg = conn.dialect.name == "postgresql"
    wanted = list(dict.fromkeys(values))  # a tuple given twice returns its rows once
    on = " AND ".join(f"t.{_name(conn, k)} = k.c{i}" for i, k in enumerate(keys))
    tail = (f" JOIN {_name(conn, table.name)} AS t ON {on}"
            + (f" WHERE t.{_name(conn, since[0])} >= {mark}" if since else ""))
    head = f"SELECT {', '.join(f't.{_name(conn, c)}' for c in columns)} FROM "
    after = [since[1]] if since else []
    cursor = _cursor(conn)
    try:
        for start in range(0, len(wanted), IN_BATCH):
            batch = wanted[start:start + IN_BATCH]
            if pg:
                arrays = ", ".join(f"{mark}::text[]" for _ in keys)
                names = ", ".join(f"c{i}" for i in range(len(keys)))
                cursor.execute(f"{head}unnest({arrays}) AS k({names}){tail}",
                               [[v[i] for v in batch] for i in range(len(keys))] + after)
            else:
                row = "(" + ", ".join(mark for _ in keys) + ")"
                names = ", ".join(f"column{i + 1} AS c{i}" for i in range(len(keys)))
                cursor.execute(f"{head}(SELECT {names} FROM (VALUES "
                               f"{', '.join(row for _ in batch)})) AS k{tail}",
                               [x for v in batch for x in v] + after)
            yield from cursor.fetchall()
    finally:
        cursor.close()


def reader(conn: Connection, column: sa.Column[Any]) -> Callable[[Any], Any]:
    """The function that turns a raw driver value of `column` into its Python value."""
    process = column.type.dialect_impl(conn.dialect).result_processor(conn.dialect, None)
    return _same if process is None else process


class JsonCodec:
    """JSON text for a bulk write and values from a raw read, each distinct value converted
    once (a supplier file repeats a few attribute sets over thousands of rows). Only flat
    values whose text depends on nothing but their keys are remembered: dicts of strings and
    lists of [string, integer] pairs; anything else is converted every time. At most `size`
    of each are kept, so memory stays flat however long the file. Decoded values are shared
    between rows: read them, never change them in place."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._texts: dict[Any, str] = {}
        self._values: dict[str, Any] = {}

    def encode(self, value: Any) -> str:
        if not value and type(value) in (dict, list):
            return "{}" if type(value) is dict else "[]"
        key = _json_key(value)
        if key is None:
            return json.dumps(value)
        text = self._texts.get(key)
        if text is None:
            if len(self._texts) >= self.size:
                self._texts.clear()
            text = self._texts[key] = json.dumps(value)
        return text

    def decode(self, raw: Any) -> Any:
        """A raw driver value of a JSON column: text (SQLite) or already decoded (psycopg)."""
        if isinstance(raw, bytes):
            raw = raw.decode()
        if not isinstance(raw, str):
            return raw
        value = self._values.get(raw)
        if value is None:
            if len(self._values) >= self.size:
                self._values.clear()
            value = self._values[raw] = json.loads(raw)
        return value


def _json_key(value: Any) -> Any:
    if type(value) is dict:
        try:
            "".join(value.values())  # only strings (quick, and a TypeError otherwise)
        except TypeError:
            return None
        return ("d", *value.items())
    if type(value) is list and all(type(x) is list and len(x) == 2 and type(x[0]) is str
                                   and type(x[1]) is int for x in value):
        return ("l", *(tuple(x) for x in value))
    return None
