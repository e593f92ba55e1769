"""The SQLAlchemy handle, the model base, and the one way services open a transaction."""

from __future__ import annotations

import logging
import re
import select
import threading
import time
import uuid
from contextlib import contextmanager, suppress
from datetime import datetime

import psycopg
import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from psycopg import pq
from sqlalchemy import MetaData, event, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import Pool

from crm_web.core.errors import (
    CommitUnknownError,
    ConflictError,
    ConstraintViolationError,
    DatabaseError,
)

# Stable constraint names, so migrations and error mapping can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def plain_read(clause) -> bool:
    """A SELECT (a UNION too) that locks nothing: what may go to a replica or the reader."""
    return isinstance(clause, sa.Select | sa.CompoundSelect) and clause._for_update_arg is None


class RoutedSession(FlaskSession):
    """A session that sends plain SELECTs to the read replica while `session.info["replica"]`
    holds its engine (core/replica.py sets it around the read-only pages), or else, outside
    `transaction()`, to `session.info["reader"]` (an autocommit view of the primary engine,
    for GET requests: reads without BEGIN/ROLLBACK round trips; a session made during such a
    request takes it from read_without_transaction). Writes, flushes, everything inside
    `transaction()`, SELECT … FOR UPDATE and raw SQL always go to the primary."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        reader = g.get("autocommit_reader") if has_request_context() else None
        if reader is not None:
            self.info["reader"] = reader

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and not self._flushing and plain_read(clause):
            replica = self.info.get("replica")
            if replica is not None:
                return replica
            reader = self.info.get("reader")
            if reader is not None and not self.info.get("tx_depth"):
                return reader
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def read_without_transaction() -> None:
    """Before a GET or HEAD request: its plain reads run in autocommit (one round trip each, no
    BEGIN before nor ROLLBACK after); a write it makes still runs in `transaction()` on a
    connection of its own. READS_AUTOCOMMIT=False turns it off. Kept in `g`, which the
    request's session takes when one is made: a page whose reads all run on the kept
    connection (kept_reader) makes none, and its set-up and teardown cost a list page ~2 %."""
    reader = _autocommit_reader()
    g.autocommit_reader = reader
    registry = db.session.registry
    if reader is not None and registry.has():
        # A session made before the request (a test's app context outlives its requests).
        registry().info["reader"] = reader


def _autocommit_reader():
    """The autocommit view of the primary engine for this request's reads, or None."""
    if request.method not in ("GET", "HEAD") or request.endpoint == "static":
        return None
    app = current_app
    if not app.config.get("READS_AUTOCOMMIT", True):
        return None
    reader = app.extensions.get("autocommit_reader")
    if reader is None:
        # Shares the engine's pool; the isolation level is set and reset client-side.
        reader = app.extensions["autocommit_reader"] = db.engine.execution_options(
            isolation_level="AUTOCOMMIT"
        )
    return reader


db = SQLAlchemy(model_class=Base, session_options={"class_": RoutedSession})


def kept_reader(statement):
    """The process's kept autocommit connection (KeptConnection), where the session would send
    `statement` to the autocommit reader (a plain read on a GET, outside `transaction()`, no
    replica) and nothing watches the statements run (the tests' counters); else None. A page's
    reads then borrow no pooled connection and the session never takes one: the checkout, its
    isolation level set and reset, and the session's bookkeeping around it cost a list page
    about a tenth of its CPU."""
    registry = db.session.registry
    if registry.has():
        session = registry()
        reader = session.info.get("reader")
        if reader is None or session.get_bind(clause=statement) is not reader:
            return None
    # No session yet: no transaction open and no replica chosen (reads_replica makes one).
    elif g.get("autocommit_reader") is None or not plain_read(statement):
        return None
    engine = db.engine
    if engine.dispatch.before_cursor_execute:
        return None
    kept = current_app.extensions.get("kept_reader")
    if kept is None:
        recycle = current_app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_recycle", 1800)
        kept = current_app.extensions["kept_reader"] = KeptConnection(engine, recycle)
    return kept


@contextmanager
def one_connection():
    """Inside, every statement runs on the session's own connection (the primary, in one
    transaction), never the autocommit reader or a replica: for reads whose statements rely on
    a setting an earlier one made for the transaction (`set_config(…, true)`).
    A transaction these reads began ends with COMMIT, not the ROLLBACK the request's end would
    send: on ROLLBACK psycopg forgets every statement it prepared on the connection
    (DEALLOCATE ALL), so each search emptied a pooled connection of the prepared statements
    every other page reuses, and they were planned again."""
    session = db.session
    routes = {key: session.info.pop(key) for key in ("reader", "replica") if key in session.info}
    primary = session.connection().connection.driver_connection
    began_here = primary.info.transaction_status == pq.TransactionStatus.IDLE
    try:
        yield session
    finally:
        session.info.update(routes)
    if began_here:  # reads only (an error skips this: the request's end rolls back)
        primary.commit()


@contextmanager
def autocommit_driver_connection(engine: Engine):
    """A connection of `engine`'s pool as the driver's (psycopg) connection, in autocommit, for
    a statement run outside any session or app context (KeptConnection): none of a SQLAlchemy
    Connection's bookkeeping. A driver error drops the connection, so the pool never lends it
    out again."""
    borrowed = engine.raw_connection()
    connection = borrowed.driver_connection
    try:
        connection.autocommit = True
        try:
            yield connection
        finally:
            connection.autocommit = False  # as the pool lends its connections
    except psycopg.Error:
        borrowed.invalidate()
        raise
    finally:
        borrowed.close()


class KeptConnection:
    """One connection of `engine`'s, taken out of its pool and kept in autocommit, for
    statements run outside any session or app context, one at a time (api/revalidation.py):
    a checkout from the pool and back cost a 304 a tenth of its CPU. Made on first use (in the
    process that serves, after gunicorn forked), again after a driver error closed it or
    `recycle` seconds (pool_recycle's); a thread that finds it in use borrows from the pool."""

    def __init__(self, engine: Engine, recycle: float):
        self.engine, self.recycle = engine, recycle
        self._lock = threading.Lock()
        self._kept = None  # (the pool's connection, detached; when it was made)

    @contextmanager
    def use(self):
        if not self._lock.acquire(blocking=False):
            with autocommit_driver_connection(self.engine) as connection:
                yield connection
            return
        try:
            connection = self._connection()
            try:
                yield connection
            except psycopg.Error:
                self._close()
                raise
        finally:
            self._lock.release()

    def _connection(self):
        if self._kept is not None and (
            time.monotonic() - self._kept[1] > self.recycle
            or closed_by_server(self._kept[0].dbapi_connection)
        ):
            self._close()
        if self._kept is None:
            borrowed = self.engine.raw_connection()  # connected as the pool connects
            connection = borrowed.driver_connection
            borrowed.detach()
            connection.autocommit = True
            self._kept = (borrowed, time.monotonic())
        return self._kept[0].dbapi_connection

    def _close(self):
        kept, self._kept = self._kept, None
        with suppress(Exception):  # it may be broken already: it is dropped either way
            kept[0].close()


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(
        UUID(as_uuid=True),
        primary_key=True,
        default=uuid.uuid4,
        server_default=func.gen_random_uuid(),
    )


class TimestampedMixin:
    """created/updated stamps. clock_timestamp(), not now(): several writes in one transaction
    must still get increasing times."""

    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=func.clock_timestamp(),
        onupdate=func.clock_timestamp(),
    )
    created_by: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    updated_by: Mapped[str] = mapped_column(sa.String(255), nullable=False)


class VersionedMixin:
    """Optimistic locking: SQLAlchemy adds `WHERE version = :seen` to every UPDATE."""

    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.version}


# Which input field a named constraint concerns, and what to tell the person, when the
# derivation in `_describe` is not good enough. Areas may add entries.
CONSTRAINT_FIELDS: dict[str, tuple[str, str]] = {
    "uq_users_email_lower": ("email", "A user with this email already exists."),
    "uq_custom_field_definitions_entity_name": (
        "name",
        "A custom field with this name already exists for these records.",
    ),
}

_QUOTED = re.compile(r"'(?:[^']|'')*'")
_WORD = re.compile(r"[a-z_][a-z0-9_]*")


def _constraint(name: str):
    for table in db.metadata.tables.values():
        for constraint in table.constraints:
            if constraint.name == name:
                return table, constraint
    return None, None


def _describe(name: str, sqlstate: str | None, detail: str | None) -> tuple[str | None, str]:
    """(field, message) for a constraint of the models: the column it covers, and what it wants.

    Checks name no column, so the field is the one column their condition mentions."""
    table, constraint = _constraint(name)
    if constraint is None:
        return None, detail or "The change breaks a database rule."
    columns = [c.name for c in constraint.columns]
    if isinstance(constraint, sa.CheckConstraint):
        condition = str(constraint.sqltext)
        mentioned = set(_WORD.findall(_QUOTED.sub("", condition))) & set(table.columns.keys())
        field = mentioned.pop() if len(mentioned) == 1 else None
        return field, f"Must satisfy: {condition}."
    field = columns[-1] if columns else None
    if isinstance(constraint, sa.ForeignKeyConstraint):
        if sqlstate == "23503" and detail and "still referenced" in detail:
            return field, "It is still in use by other records, so it cannot be removed."
        return field, f"No such record in {constraint.referred_table.name}."
    if isinstance(constraint, sa.UniqueConstraint):
        return field, "This value is already taken."
    return field, detail or "The change breaks a database rule."


def constraint_error(exc: IntegrityError) -> ConstraintViolationError:
    """Turn the database's refusal into a typed error naming the field it concerns."""
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None) or "unknown"
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if name in CONSTRAINT_FIELDS:
        field, message = CONSTRAINT_FIELDS[name]
    elif sqlstate == "23502":  # not null: no constraint name, but the column is known
        field, message = getattr(diag, "column_name", None), "This field is required."
    else:
        field, message = _describe(name, sqlstate, getattr(diag, "message_detail", None))
    return ConstraintViolationError(name, message, field)


_log = logging.getLogger(__name__)
DATABASE_FAILED = "The database could not complete the request."


@event.listens_for(Engine, "handle_error")
def _typed_database_error(context):
    """Whatever statement the database fails — a read as much as a write — surfaces as a
    DatabaseError, logged with its cause. Not a broken rule (IntegrityError: transaction() turns
    it into a ConstraintViolationError naming the field), nor a failed pre-ping (the pool needs
    it to replace a dead connection)."""
    error = context.sqlalchemy_exception
    if context.is_pre_ping or error is None or isinstance(error, IntegrityError):
        return None
    _log.error("database error: %s", error.orig, exc_info=error)
    return DatabaseError(DATABASE_FAILED, error)


def closed_by_server(dbapi_connection) -> bool:
    """Has the server closed this idle connection (restart, crash, pg_terminate_backend, idle
    timeout)? Asked of the socket without a round trip: an idle pooled connection has nothing
    to read (the app never LISTENs on one) unless the server said goodbye."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return False
    if dbapi_connection.closed or pgconn.status != pq.ConnStatus.OK:
        return True
    try:
        readable, _, _ = select.select([pgconn.socket], [], [], 0)
    except Exception:  # noqa: BLE001 - a socket that cannot be asked is unusable
        return True
    return bool(readable)


@event.listens_for(Pool, "checkout")
def _replace_closed_connection(dbapi_connection, connection_record, connection_proxy):
    """In place of the pool's pre-ping (a SELECT 1 round trip per checkout): a connection the
    server closed is dropped as it is checked out and the pool tries another one, or a new one
    (SQLAlchemy's documented DisconnectionError protocol). Connections also never outlive
    pool_recycle (crm_web/__init__.py)."""
    if closed_by_server(dbapi_connection):
        raise DisconnectionError("the server closed this connection")


def discard_session(session=None) -> None:
    """Roll back the session's transaction, never raising: on a connection the database dropped
    the rollback fails too, and that must not turn the answer already chosen (the 503 page) into
    an empty 500. The dead connection is invalidated so the pool never lends it out again."""
    session = session if session is not None else db.session
    try:
        session.rollback()
    except Exception:  # noqa: BLE001 - the request's own error is the one to report
        _log.warning("rollback failed; dropping the connection", exc_info=True)
        with suppress(Exception):
            session.invalidate()


def release_session(exc: BaseException | None = None) -> None:
    """Teardown: end the request's session (Flask-SQLAlchemy's own teardown then finds nothing
    to do). A rollback on a dead connection is logged, never raised after the response.
    The autocommit reader ends with it: a streamed response's reads (errors.csv, an export)
    run after this, in a session of their own on the primary, where a server-side cursor has
    the transaction it needs."""
    g.pop("autocommit_reader", None)
    try:
        db.session.remove()
    except Exception:  # noqa: BLE001 - the response is already chosen; see discard_session
        _log.warning("closing the session failed; dropping the connection", exc_info=True)
        with suppress(Exception):
            db.session.invalidate()
        db.session.registry.clear()


def _connection_lost(exc: DatabaseError) -> bool:
    """Did the connection break (rather than the server refusing)? Then a COMMIT's fate is
    unknown: the server may have committed before the answer was lost."""
    original = exc.original
    if getattr(original, "connection_invalidated", False):
        return True
    return getattr(getattr(original, "orig", original), "sqlstate", None) is None


@contextmanager
def transaction(actor):
    """One unit of work by `actor`: commit when the outermost block ends, roll back on any error.

    Services nest freely (create_deal_with_tasks calls create_deal); only the outermost block
    commits, so a failure anywhere leaves nothing behind. When the connection breaks during the
    COMMIT itself, nobody knows whether it happened: CommitUnknownError says so.
    """
    session = db.session
    depth = session.info.get("tx_depth", 0)
    session.info["tx_depth"] = depth + 1
    committing = False
    if depth == 0:
        # Read by the audit hook (core/audit.py) to name who made each change.
        session.info["actor_id"] = actor.id
        session.info["actor_via"] = getattr(actor, "via", "") or None
    try:
        yield session
        if depth == 0:
            # Flushed first, so a failure from here on is the COMMIT's, whose outcome is unknown.
            session.flush()
            committing = True
            session.commit()
    except IntegrityError as exc:
        if depth == 0:
            discard_session(session)
            raise constraint_error(exc) from exc
        raise
    except StaleDataError as exc:
        if depth == 0:
            discard_session(session)
            raise ConflictError(None) from exc
        raise
    except DBAPIError as exc:
        if depth == 0:
            discard_session(session)
            raise DatabaseError(DATABASE_FAILED, exc) from exc
        raise
    except DatabaseError as exc:
        if depth == 0:
            discard_session(session)
            if committing and _connection_lost(exc):
                raise CommitUnknownError(exc.original) from exc
        raise
    except BaseException:
        if depth == 0:
            discard_session(session)
        raise
    finally:
        session.info["tx_depth"] = depth
        if depth == 0:
            session.info.pop("actor_id", None)
            session.info.pop("actor_via", None)
