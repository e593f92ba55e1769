"""A 304 for an API client revalidating one record, answered before Flask builds a request.

A `GET`/`HEAD /api/v1/<contacts|customers>/<id>` with `If-None-Match` and a bearer token costs
little beside the fixed cost of a request through Flask and the app's hooks, which was most of
a 304's CPU. `Revalidation` wraps the app's WSGI callable: it runs what the API's hooks and view
would run for such a call (the token's statement with the record's versions, the services' rules
on what it found, the rate limit), and answers 304 with the headers and log line the app gives
one. Anything not plainly a 304 (no such header, an unknown or refused token, a token due its
last-used stamp, no such record, a stale ETag, the limit reached, a query string beyond plain
words, a database error) goes on to Flask untouched, so every error is the app's own."""

from __future__ import annotations

import re
import time
from contextlib import nullcontext

import psycopg
from flask import current_app, has_app_context
from sqlalchemy.exc import SQLAlchemyError

from crm_web.accounts.tokens import authenticate_on
from crm_web.api import limits
from crm_web.api.auth import bearer_secret
from crm_web.api.catalog import RESOURCES
from crm_web.core.db import KeptConnection, db
from crm_web.core.errors import CRMError
from crm_web.core.request_log import chosen_request_id, log_request
from crm_web.core.security import SECURITY_HEADERS

CACHE_CONTROL = "private, no-cache"  # keep it, but revalidate (If-None-Match) before use
ENDPOINT = "api.detail"
# The records whose token statement reads their versions (a `probe`), by a plain id: anything
# else in the path (NUL, escapes, a slash) is Flask's to refuse.
PATH = re.compile(
    r"/api/v1/("
    + "|".join(re.escape(name) for name, resource in RESOURCES.items() if resource.probe)
    + r")/([0-9A-Fa-f-]{32,36})"
)
# The detail view reads no query parameter; one of plain words is let through (Flask's input
# guard would pass it too), anything else goes to Flask.
PLAIN_QUERY = re.compile(r"[A-Za-z0-9_.=&-]{0,100}")


def entity_tags(header: str | None) -> set[str]:
    """The entity tags of an If-Match/If-None-Match header (weak or strong alike)."""
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


class Revalidation:
    """`app.wsgi_app = Revalidation(app)`: 304s of plain revalidations, the rest to Flask."""

    def __init__(self, app):
        self.app = app
        self.flask_wsgi_app = app.wsgi_app
        self._made = None  # (kept connection, rate counter's engine, route): _make

    def _make(self):
        """The connection the token's statement runs on, the rate counter's engine and the
        detail view's rule as the log line names it, made on first use in the app's context:
        the one pushed (a test's, whose session a context of our own would end), or our own."""
        pushed = has_app_context() and current_app._get_current_object() is self.app
        with nullcontext() if pushed else self.app.app_context():
            recycle = self.app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_recycle", 1800)
            rule = next(self.app.url_map.iter_rules(ENDPOINT)).rule
            self._made = (KeptConnection(db.engine, recycle), limits.counter_engine(), rule)
        return self._made

    @property
    def kept(self) -> KeptConnection:
        return (self._made or self._make())[0]

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        answer = self._not_modified(environ, started)
        if answer is None:
            return self.flask_wsgi_app(environ, start_response)
        start_response("304 NOT MODIFIED", answer)
        return []

    def _not_modified(self, environ, started):
        """The 304's headers, or None: Flask answers."""
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD"):
            return None
        path = PATH.fullmatch(environ.get("PATH_INFO", ""))
        known = entity_tags(environ.get("HTTP_IF_NONE_MATCH"))
        secret = bearer_secret(environ.get("HTTP_AUTHORIZATION", ""))
        query = environ.get("QUERY_STRING", "")
        if not (path and known and secret and PLAIN_QUERY.fullmatch(query)):
            return None
        resource, record_id = RESOURCES[path[1]], path[2]
        kept, counter, route = self._made or self._make()
        # What the API's hooks and detail view run for this call (api/views.py), outside an
        # app context: the token's statement on the process's kept connection.
        try:
            found = authenticate_on(kept, secret, resource.probe(record_id, True))
            if found is None:
                return None
            actor, token, probed = found
            etag = resource.etag_probed(probed, record_id, actor)
            if etag not in known:
                return None
            # Last: once counted, the call is answered here. Past the limit, Flask counts it
            # again and answers 429 (a refused call counted twice changes nothing).
            limit, left, reset = limits.count(token.id, *limits.settings(self.app.config), counter)
        except (CRMError, SQLAlchemyError, psycopg.Error):
            return None
        if left < 0:
            return None
        request_id = chosen_request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        # The same headers, in the same order, as the app's 304 (views._not_modified, then its
        # after_request hooks: the API's rate headers, security headers, the request id).
        headers = [("ETag", etag), ("Cache-Control", CACHE_CONTROL)]
        headers += limits.headers(limit, left, reset).items()
        headers += [*SECURITY_HEADERS.items(), ("X-Request-ID", request_id)]
        log_request(request_id, None, method, route, 304, started)
        return headers
