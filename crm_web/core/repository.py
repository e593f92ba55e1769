"""Query helpers every area's repository shares. They never commit.

The fixed statements a page runs on every view (a record, its history, its tasks) are built
once, at import, with `bindparam`s for the values: building a statement costs ~250 µs of
Python, more than PostgreSQL takes to run one of these, and a reused statement's cache key is
computed once too. Lists, whose shape follows the filters, still build theirs per request."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import psycopg
import sqlalchemy as sa
from psycopg import RawCursor
from psycopg.rows import namedtuple_row
from sqlalchemy import select

from crm_web.core.db import db, kept_reader
from crm_web.core.errors import ConflictError, ValidationError


def as_uuid(value) -> uuid.UUID | None:
    """An id from a URL or JSON; None when it is not a UUID at all (so lookups find nothing)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def text_id(column):
    """A UUID column read as the text PostgreSQL writes (canonical: nothing to escape), under
    its own name. For the list pages' rows, whose ids are only printed into URLs and compared as
    text (permissions.RecordRights): a uuid.UUID made per id and turned back into text per use
    cost a 50-row list ~0.1 ms of its ~3."""
    return sa.cast(column, sa.Text).label(column.key)


def get_by_id(model, record_id, *, for_update: bool = False):
    key = as_uuid(record_id)
    if key is None:
        return None
    if for_update:
        return db.session.scalars(select(model).where(model.id == key).with_for_update()).first()
    return db.session.get(model, key)


def row_by_id(statement, record_id):
    """The first row of `statement` (built once, its record's id a bindparam named "id") for
    `record_id`; None when there is none or the id is not a UUID."""
    key = as_uuid(record_id)
    if key is None:
        return None
    return db.session.execute(statement, {"id": key}).first()


# id(statement) -> (statement, its SQL, the values its own bindparams hold): see read().
_COMPILED: dict = {}
# The constants read() writes into a statement's SQL rather than send as parameters.
INLINED_TYPES = (str, int, bool)


def _compiled(statement) -> tuple:
    kept = _COMPILED.get(id(statement))
    if kept is None or kept[0] is not statement:
        compiled = statement.compile(dialect=db.engine.dialect)
        sql, defaults = str(compiled), {}
        for name, bind in compiled.binds.items():
            literal = _constant_literal(bind, compiled.dialect)
            if literal is not None:
                # A value written in the code (status == "open", an entity type, a number):
                # in the SQL itself. As a parameter, a prepared statement's generic plan
                # could not use a partial index (WHERE status = 'open') nor estimate with it,
                # so PostgreSQL planned it again on every run (the signed-in user's statement:
                # 0.33 ms a request, 0.1 with its constants written in).
                sql = sql.replace(f"%({name})s", literal)  # a % in it comes doubled
            else:
                # The values bindparams were built with (None for those given when it runs).
                defaults[name] = bind.effective_value
        kept = _COMPILED[id(statement)] = (statement, sql, defaults, *_positional(sql))
    return kept


# A named placeholder of SQLAlchemy's psycopg dialect (pyformat), or a percent sign it doubled.
_PLACEHOLDER = re.compile(r"%%|%\(([^)]+)\)s")


def _positional(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """`sql` as psycopg's RawCursor sends it (its %(name)s as $1, $2…, a name used twice one
    number; %% as %), and the names in their numbers' order. A cursor given %(name)s parses
    the query on every run once it is longer than psycopg caches the parse for (4 kB): a record
    page's statement, ~11 kB, took ~35 µs a view to parse, ~0.1 ms of CPU under gunicorn."""
    names: list[str] = []

    def number(match) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _PLACEHOLDER.sub(number, sql).encode(), tuple(names)


def _constant_literal(bind, dialect) -> str | None:
    """An anonymous bind's value (a literal in an expression, never a named bindparam a caller
    fills) of a plain type, as the dialect writes it in SQL; None for any other bind."""
    if not (bind.unique and bind.key.startswith("%(") and bind.callable is None):
        return None
    if type(bind.value) not in INLINED_TYPES:
        return None
    processor = bind.type.literal_processor(dialect)
    return processor(bind.value) if processor is not None else None


def read(statement, params: dict | None = None) -> list:
    """The rows (named tuples: by attribute, index or `_asdict()`) of `statement`, a SELECT built once (at import, or once per shape:
    never a statement built per request, which would fill the cache), its values in `params` by
    bindparam name. Its SQL is compiled once and run on the driver's raw cursor (its values by
    position: _positional), prepared, on the connection the session routes it to (on a GET the
    autocommit reader, no BEGIN/ROLLBACK):
    SQLAlchemy's execution context and Row objects cost more CPU than PostgreSQL takes to run
    a page's statement (a 50-row list: 1.3 ms through Core, 0.6 on the driver). The driver
    returns the same Python values (UUID, datetime, Decimal, lists, JSON as dicts), but no
    TypeDecorator runs: keep to plain column types here. Should the driver fail, the statement
    runs again through SQLAlchemy, so its error is handled as any other (a dropped connection
    invalidated, the error wrapped for the app's handlers). On a GET it runs on the process's
    kept connection (core.db.kept_reader): no pooled connection, no session bookkeeping."""
    _, sql, defaults, raw, names = _compiled(statement)
    values = {**defaults, **params} if params else defaults
    ordered = [values[name] for name in names]
    kept = kept_reader(statement) if "__[POSTCOMPILE_" not in sql else None
    if kept is not None:
        try:
            with (
                kept.use() as connection,
                RawCursor(connection, row_factory=namedtuple_row) as cursor,
            ):
                return cursor.execute(raw, ordered, prepare=True).fetchall()
        except psycopg.Error:
            pass  # again through SQLAlchemy below, which reports the error as any other
    connection = db.session.connection(bind_arguments={"clause": statement})
    if "__[POSTCOMPILE_" in sql:
        # An IN list (expanding parameters): only SQLAlchemy renders it, on every run.
        return connection.execute(statement, params or {}).all()
    if (
        connection.dispatch.before_cursor_execute
        or connection.engine.dispatch.before_cursor_execute
    ):
        # Something watches the statements run (the tests count them): the same SQL, seen.
        return connection.exec_driver_sql(sql, values).all()
    try:
        driver = connection.connection.driver_connection
        with RawCursor(driver, row_factory=namedtuple_row) as cursor:
            return cursor.execute(raw, ordered, prepare=True).fetchall()
    except psycopg.Error:
        return connection.exec_driver_sql(sql, values).all()


# About 64 kB a chunk: large enough that passing it on costs nothing a row, small enough that
# memory stays flat whatever the number of rows.
COPY_CHUNK_BYTES = 1 << 16


def copy_csv(statement) -> Iterator[tuple[int, bytes]]:
    """The rows of `statement` as CSV written by PostgreSQL itself (COPY … TO STDOUT WITH
    (FORMAT csv)): no Python object per row or cell. Streamed as (rows, bytes) chunks of about
    COPY_CHUNK_BYTES, each row ending in CRLF, as csv.writer ends it (COPY writes LF).

    COPY takes no server-side parameters: psycopg binds `statement`'s values into the text
    client-side, quoted as literals. One statement however many rows, so it runs on the
    primary in a transaction of its own without the statement timeout; rolled back at the end,
    also when the reader stops early."""
    compiled = statement.compile(
        dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    session = db.session
    try:
        connection = session.connection().connection.driver_connection
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 0")
            copy_sql = f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)"
            with cursor.copy(copy_sql, compiled.params) as copy:
                chunk, rows = bytearray(), 0
                for row in copy:  # one row a message
                    chunk += row[:-1]
                    chunk += b"\r\n"
                    rows += 1
                    if len(chunk) >= COPY_CHUNK_BYTES:
                        yield rows, bytes(chunk)
                        chunk, rows = bytearray(), 0
                yield rows, bytes(chunk)
    finally:
        session.rollback()


def get_by_ids(model, ids, *, for_update: bool = False) -> list:
    """The `model` rows of these ids (those that are UUIDs), in id order (a lock order that
    cannot deadlock with another caller's)."""
    keys = [k for k in (as_uuid(i) for i in ids) if k is not None]
    query = select(model).where(model.id.in_(keys)).order_by(model.id)
    if for_update:
        query = query.with_for_update()
    return list(db.session.scalars(query))


def latest_owned(model, owner_id, limit: int) -> list:
    """An owner's live `model` records, last updated first (the index on its owner_id)."""
    query = (
        select(model)
        .where(model.owner_id == as_uuid(owner_id), model.archived_at.is_(None))
        .order_by(model.updated_at.desc(), model.id)
        .limit(literal_limit(limit))
    )
    return list(db.session.scalars(query))


def archived_or_live(query, model, archived) -> sa.Select:
    """Only the archived `model` records (a list's "Archived" filter), or else only live ones."""
    if archived:
        return query.where(model.archived_at.is_not(None))
    return query.where(model.archived_at.is_(None))


def literal_limit(n: int):
    """A LIMIT written into the SQL, not sent as a parameter. PostgreSQL re-plans a prepared
    statement for every execution when its LIMIT is a parameter (a generic plan can't know the
    row count, so it never wins); with the number in the text, the cached plan is reused: the
    list query's 0.5 ms of planning per page is gone. Each number is its own statement shape,
    compiled once (a handful: the page sizes). int() keeps anything but digits out."""
    return sa.literal_column(str(int(n)), sa.Integer)


def page(query, limit: int, offset: int = 0):
    return list(db.session.scalars(query.limit(literal_limit(limit)).offset(offset)))


def check_version(record, expected_version) -> None:
    """Optimistic locking: the caller saw `expected_version`; anything else means someone else
    changed the record meanwhile. None skips the check (internal callers)."""
    if expected_version is None or expected_version == "":
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError({"version": ["Must be a whole number."]}) from None
    if expected != record.version:
        raise ConflictError(record)


def list_extras(model, ids) -> dict:
    """What a list row leaves out (custom field values, created and archived times) of the
    records `ids`, in one query: {id: row}. The API's list items carry them."""
    keys = [key for key in map(as_uuid, ids) if key is not None]
    if not keys:
        return {}
    query = select(model.id, model.custom_fields, model.created_at, model.archived_at).where(
        model.id == sa.any_(sa.literal(keys, sa.ARRAY(sa.Uuid)))
    )
    return {row.id: row for row in db.session.execute(query)}


def archived_before(model, cutoff, after, limit: int) -> list:
    """Ids of `model` records archived before `cutoff`, in id order, after the id `after`
    (None: from the first): the batches retention purges."""
    query = select(model.id).where(model.archived_at < cutoff).order_by(model.id).limit(limit)
    if after is not None:
        query = query.where(model.id > as_uuid(after))
    return list(db.session.scalars(query))
