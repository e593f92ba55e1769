"""Request ids and the one JSON log line per request: on the `crm_web.requests` logger, or
straight to stderr when nothing configured logging (log_request).

The id comes from the caller's X-Request-ID when it is short and plain (a proxy's), otherwise a
new one; it goes back in the X-Request-ID header and on error pages ("Reference: …"), so a
person's report finds the log line. The line never holds the query string, the body, cookies or
headers: only what says who asked for which route and how it went."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import threading
import time
import uuid

from flask import Flask, g, request
from sqlalchemy import inspect

from crm_web.core.db import Base

log = logging.getLogger("crm_web.requests")
log.setLevel(logging.INFO)
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


def request_id() -> str:
    """This request's id, chosen on first use (an error page may need it before any hook ran)."""
    if "request_id" not in g:
        g.request_id = chosen_request_id(request.headers.get("X-Request-ID", ""))
    return g.request_id


def chosen_request_id(incoming: str) -> str:
    """The caller's X-Request-ID when it is short and plain, otherwise a new id."""
    return incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def _start() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _user_id() -> str | None:
    """The signed-in user's id if Flask-Login already loaded it: never a query of its own (after
    a rollback the user's columns are expired, and the database may be what failed)."""
    user = g.get("_login_user")
    if user is None:
        return None
    if not isinstance(user, Base):  # auth.load_user's plain columns, or the anonymous user
        user_id = getattr(user, "id", None)
        return str(user_id) if user_id is not None else None
    identity = inspect(user).identity  # the User signed in during this request
    return str(identity[0]) if identity else None


def _finish(response):
    response.headers["X-Request-ID"] = request_id()
    route = request.url_rule.rule if request.url_rule else None
    log_request(
        request_id(), _user_id(), request.method, route, response.status_code,
        g.get("request_started"),
    )  # fmt: skip
    return response


# Whether the lines go to stderr directly (init_app: nobody configured logging) rather than
# through the logging module, whose path for one line (a LogRecord, the caller's frame looked
# up, a handler's lock, format and flush) cost every request ~0.1 ms of CPU under gunicorn,
# a twentieth of a list page.
_to_stderr = False
_stderr_lock = threading.Lock()


def log_request(request_id, user_id, method, route, status, started) -> None:
    """The request's line (`started`: its perf_counter() at the start, or None)."""
    if not log.isEnabledFor(logging.INFO):
        return
    line = {
        "request_id": request_id,
        "user_id": user_id,
        "method": method,
        "route": route,
        "status": status,
        "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
    }
    if not _to_stderr:
        log.info(json.dumps(line))
        return
    # As a logging handler would: a line that cannot be written (no stderr, a full disk, a
    # closed pipe) never fails the request.
    with _stderr_lock, contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(json.dumps(line) + "\n")  # (line-buffered: written at once, whole)


def init_app(app: Flask) -> None:
    """Call first among the hooks, so even a request refused by another hook has its id."""
    app.before_request(_start)
    app.after_request(_finish)
    app.context_processor(lambda: {"request_id": request_id()})
    # Nobody configured logging (a bare gunicorn): the lines go to stderr, one JSON per line.
    global _to_stderr
    _to_stderr = not log.handlers and not logging.getLogger().handlers
