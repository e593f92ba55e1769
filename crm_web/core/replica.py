"""The read replica: with DATABASE_REPLICA_URL set, the read-only pages marked `@reads_replica`
(lists, search, the board, the print view) read from a streaming standby.

They read the primary instead when the person wrote in the last READ_YOUR_WRITES_S seconds
(a "wrote at" time in their signed session cookie, so they see their own change at once), when
the standby is more than REPLICA_MAX_LAG_S behind, or when it cannot be reached. Without the
setting, the decorator only looks up one config value.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from contextlib import suppress
from functools import wraps

from flask import current_app, has_request_context
from flask import session as cookie
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from crm_web.core.db import RoutedSession, db
from crm_web.core.errors import DatabaseError

BIND = "replica"
WROTE_AT = "wrote_at"
# How long one process trusts its last look at the standby's lag.
RECHECK_S = 1.0
# Seconds behind the primary. Caught up when everything received is replayed: on an idle
# primary the last replayed transaction grows old without the standby falling behind.
# Not in recovery (a promoted standby) is caught up too.
LAG = text(
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0"
    " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 'Infinity')"
    " END"
)

log = logging.getLogger(__name__)


def configure(app) -> None:
    """Add the replica's engine as a Flask-SQLAlchemy bind (before db.init_app), if set."""
    url = app.config.get("DATABASE_REPLICA_URL")
    if not url:
        return
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    connect_args = dict(options.get("connect_args", {}))
    # A standby that does not answer must not hold a page up for long: the primary will do.
    connect_args["connect_timeout"] = 2
    app.config["SQLALCHEMY_BINDS"] = {BIND: {"url": url, **options, "connect_args": connect_args}}
    app.extensions["replica_health"] = Health()


class Health:
    """This process's last look at the standby: usable or not, and when it looked."""

    def __init__(self):
        self.checked_at = -math.inf
        self.usable = False
        self.lock = threading.Lock()

    def usable_now(self, engine, max_lag: float) -> bool:
        """At most one look per RECHECK_S; meanwhile, and while another thread looks, the last
        answer stands."""
        if time.monotonic() - self.checked_at < RECHECK_S or not self.lock.acquire(False):
            return self.usable
        try:
            self.usable = _lag(engine) <= max_lag
            self.checked_at = time.monotonic()
        finally:
            self.lock.release()
        return self.usable

    def forget(self) -> None:
        self.checked_at = -math.inf


def _lag(engine) -> float:
    try:
        with engine.connect() as conn:
            return float(conn.execute(LAG).scalar())
    except (DBAPIError, DatabaseError) as exc:
        log.warning("read replica unusable, reading the primary: %s", exc)
        return math.inf


def wrote_recently() -> bool:
    wrote_at = cookie.get(WROTE_AT)
    if not isinstance(wrote_at, int | float):
        return False
    return time.time() - wrote_at < current_app.config["READ_YOUR_WRITES_S"]


def replica_engine():
    """The standby's engine if this request may read from it, else None (read the primary)."""
    health = current_app.extensions.get("replica_health")
    if health is None or wrote_recently():
        return None
    engine = db.engines[BIND]
    return engine if health.usable_now(engine, current_app.config["REPLICA_MAX_LAG_S"]) else None


def reads_replica(view):
    """Mark a read-only page (it must change nothing) as one the standby may serve. Put it
    under @requires: the signed-in user is then loaded from the primary."""

    @wraps(view)
    def routed(*args, **kwargs):
        engine = replica_engine()
        if engine is None:
            return view(*args, **kwargs)
        session = db.session
        session.info["replica"] = engine
        try:
            return view(*args, **kwargs)
        except (DBAPIError, DatabaseError):
            # The standby died under this request (or the primary failed, which fails again):
            # look at it afresh next time, and read the page again from the primary.
            current_app.extensions["replica_health"].forget()
            session.info.pop("replica", None)
            with suppress(DBAPIError, DatabaseError):
                session.rollback()
            return view(*args, **kwargs)
        finally:
            session.info.pop("replica", None)

    return routed


@event.listens_for(RoutedSession, "after_flush")
def _note_write(session, _context):
    if session.new or session.dirty or session.deleted:
        session.info["wrote"] = True


@event.listens_for(RoutedSession, "after_commit")
def _remember_write(session):
    """A committed change: this person reads the primary for the next READ_YOUR_WRITES_S."""
    wrote = session.info.pop("wrote", False)
    if wrote and has_request_context() and "replica_health" in current_app.extensions:
        cookie[WROTE_AT] = time.time()


@event.listens_for(RoutedSession, "after_rollback")
def _forget_write(session):
    session.info.pop("wrote", None)
