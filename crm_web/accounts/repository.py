"""Queries about users and failed sign-ins. Never commits."""

import uuid

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import bindparam, delete, func, select, text, true, update

from crm_web.accounts.models import ApiToken, LoginAttempt, SignedInUser, User
from crm_web.core.db import KeptConnection, db
from crm_web.core.repository import get_by_id, read

_users = User.__table__


def signed_in_query(*columns):
    """The session's user (SignedInUser's columns, then `columns`, which may refer to the
    users table) while active and at the session's version: bindparams user_id and
    session_version. Build it once: its compiled form is kept (core.repository.read)."""
    return select(
        _users.c.id,
        _users.c.email,
        _users.c.name,
        _users.c.role,
        _users.c.time_zone,
        _users.c.last_login_at,
        _users.c.session_version,
        *columns,
    ).where(
        _users.c.id == bindparam("user_id"),
        _users.c.active,
        _users.c.session_version == bindparam("session_version"),
    )


_SIGNED_IN = signed_in_query()


def get_user(user_id) -> User | None:
    return get_by_id(User, user_id)


def get_signed_in_row(user_id, session_version: int, query=_SIGNED_IN, params: dict | None = None):
    """The row of `query` (one of signed_in_query's, its extra bindparams' values in `params`)
    for the session's user while active and at this session version, or None: plain columns
    on the session's connection (Core, not an ORM load: every request pays for it)."""
    try:
        user_id = uuid.UUID(str(user_id))
    except ValueError:
        return None
    values = {"user_id": user_id, "session_version": session_version, **(params or {})}
    rows = read(query, values)
    return rows[0] if rows else None


def get_signed_in_user(
    user_id, session_version: int, query=_SIGNED_IN, params: dict | None = None
) -> SignedInUser | None:
    """get_signed_in_row as a SignedInUser (its columns, then any of due_count's)."""
    row = get_signed_in_row(user_id, session_version, query, params)
    return SignedInUser(*row) if row else None


def get_user_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(func.lower(User.email) == email.lower())).first()


# Owner pickers and filters on every list page: built once, run through Core.
_ACTIVE_USERS = (
    select(_users.c.id, _users.c.name).where(_users.c.active).order_by(_users.c.name, _users.c.id)
)


def active_users() -> list:
    """(id, name) rows of the users who can sign in, by name."""
    return read(_ACTIVE_USERS)


_ACTIVE_USER_KEYS = select(_users.c.id, _users.c.email, _users.c.name).where(_users.c.active)


def active_user_keys() -> list:
    """(id, email, name) rows of the users who can sign in."""
    return read(_ACTIVE_USER_KEYS)


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.name, User.email)))


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def count_active_admins() -> int:
    query = select(func.count()).select_from(User).where(User.role == "admin", User.active)
    return db.session.scalar(query)


def lock(key: str) -> None:
    """A transaction-scoped advisory lock: callers using the same key run one at a time."""
    db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def count_recent_failures(*, seconds: int, email: str | None = None, address: str | None = None):
    """Failed sign-ins for this email (or from this address) in the last `seconds`, by the
    database's clock so every web worker agrees."""
    since = func.clock_timestamp() - func.make_interval(0, 0, 0, 0, 0, 0, seconds)
    query = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.attempted_at > since)
    if email is not None:
        query = query.where(LoginAttempt.email == email)
    if address is not None:
        query = query.where(LoginAttempt.address == address)
    return db.session.scalar(query)


def add_login_failure(email: str, address: str) -> None:
    db.session.add(LoginAttempt(email=email, address=address))
    # Old rows of the same keys have served their purpose; the indexes make this cheap.
    old = func.clock_timestamp() - func.make_interval(0, 0, 0, 1)
    db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.attempted_at < old)
    )
    db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.address == address, LoginAttempt.attempted_at < old)
    )


def clear_login_failures(email: str) -> None:
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))


def get_token(token_id, *, for_update: bool = False) -> ApiToken | None:
    return get_by_id(ApiToken, token_id, for_update=for_update)


_tokens = ApiToken.__table__
# Every API call's lookup: the few columns it needs, by the unique hash, no ORM objects; a
# revoked or expired token, or one of an inactive user, is no row at all.
_LIVE_TOKEN = (
    select(
        _tokens.c.id,
        _tokens.c.name,
        _tokens.c.scope,
        _tokens.c.expires_at,
        _tokens.c.last_used_at,
        _users.c.id.label("user_id"),
        _users.c.role,
        _users.c.name.label("user_name"),
    )
    .join(_users, _users.c.id == _tokens.c.user_id)
    .where(
        _tokens.c.token_hash == bindparam("token_hash"),
        _tokens.c.revoked_at.is_(None),
        _users.c.active,
        (_tokens.c.expires_at.is_(None)) | (_tokens.c.expires_at > func.clock_timestamp()),
    )
)


def _prepared(statement, dialect=None) -> str:
    """`statement`'s SQL for the database's driver, compiled once. An API call's statement runs
    as this text (_run_prepared): a Core execute would rebuild the cache key of the whole
    statement on every call, which cost a 304 more than the database did."""
    return str(statement.compile(dialect=dialect or db.engine.dialect))


def _run_prepared(sql: str, params: dict, *, alone: bool = False):
    """The first row of `sql` (from _prepared), on the connection a plain SELECT of the session
    gets (on a GET the autocommit reader: no BEGIN, no ROLLBACK; see core.db.RoutedSession), as
    a named tuple. Run on the driver's cursor, prepared at once: SQLAlchemy's execution context
    and result were a tenth of a 304's CPU. Should the driver fail, the statement runs again
    through SQLAlchemy, so its error is handled as any other (a dropped connection invalidated,
    the error wrapped for the app's handlers).

    `alone`: the request needs no other statement (an API read of one record), so on the
    autocommit reader it borrows a pooled connection for this one statement, outside the ORM
    session, whose transaction bookkeeping around it cost a 304 a tenth of its CPU."""
    session = db.session
    bind = session.get_bind(clause=_LIVE_TOKEN)
    if alone and bind is session.info.get("reader"):
        with bind.connect() as connection:
            return _fetch_first(connection, sql, params)
    return _fetch_first(session.connection(bind_arguments={"clause": _LIVE_TOKEN}), sql, params)


def _fetch_first(connection, sql: str, params: dict):
    try:
        with connection.connection.driver_connection.cursor(row_factory=namedtuple_row) as cursor:
            return cursor.execute(sql, params, prepare=True).fetchone()
    except psycopg.Error:
        return connection.exec_driver_sql(sql, params).first()


_LIVE_TOKEN_SQL: list = []


def live_token(token_hash: str):
    """The usable token with a secret's hash and its user's id, role and name, or None: one
    indexed query per API call."""
    if not _LIVE_TOKEN_SQL:
        _LIVE_TOKEN_SQL.append(_prepared(_LIVE_TOKEN))
    return _run_prepared(_LIVE_TOKEN_SQL[0], {"token_hash": token_hash})


PROBE_PREFIX = "probe_"
# id(probe statement) -> (probe statement, the combined statement's SQL): a probe is a
# module-level statement, so a handful at most.
_WITH_PROBE: dict = {}


def live_token_with(token_hash: str, probe, params: dict):
    """live_token and, beside it in the same statement, the one row `probe` (a statement built
    once, its parameters in `params`) finds: the token's columns first, then the probe's, then
    `probe_found` (true when the probe found its row), each named `probe_<name>`. One round
    trip where an API call would make two; no row at all when the token is not usable, as
    live_token."""
    return _run_prepared(_with_probe(probe), {"token_hash": token_hash, **params}, alone=True)


def live_token_with_on(kept: KeptConnection, token_hash: str, probe, params: dict):
    """live_token_with outside any request (no session, no app context), on `kept`."""
    sql = _with_probe(probe, kept.engine.dialect)
    params = {"token_hash": token_hash, **params}
    with kept.use() as connection:
        cursor = connection.cursor(row_factory=namedtuple_row)
        return cursor.execute(sql, params, prepare=True).fetchone()


def _with_probe(probe, dialect=None) -> str:
    """The SQL of live_token with `probe` beside it, built once per probe."""
    combined = _WITH_PROBE.get(id(probe))
    if combined is None or combined[0] is not probe:
        found = probe.add_columns(true().label("probe_found")).lateral("probe")
        # Prefixed: the probe's `id` (and any other name) must not shadow the token's.
        columns = [column.label(PROBE_PREFIX + column.name) for column in found.c]
        statement = _LIVE_TOKEN.outerjoin(found, true()).add_columns(*columns)
        combined = _WITH_PROBE[id(probe)] = (probe, _prepared(statement, dialect))
    return combined[1]


def tokens_of_user(user_id) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user_id)
    return list(db.session.scalars(query.order_by(ApiToken.created_at.desc())))


def live_tokens(except_user_id) -> list:
    """(token, user name) of every token not revoked but those of `except_user_id` (listed as
    theirs), for the admins' list."""
    query = select(ApiToken, User.name).join(User, User.id == ApiToken.user_id)
    query = query.where(ApiToken.revoked_at.is_(None), ApiToken.user_id != except_user_id)
    return list(db.session.execute(query.order_by(User.name, ApiToken.created_at.desc())))


def touch_token(token_id) -> None:
    """Stamp the token used, unless it was within the last minute. A plain UPDATE: the stamp is
    bookkeeping, not a change anyone audits, and it must not bump anything."""
    recent = func.clock_timestamp() - func.make_interval(0, 0, 0, 0, 0, 1)
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id)
        .where((ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < recent))
        .values(last_used_at=func.clock_timestamp())
        .execution_options(synchronize_session=False)
    )
