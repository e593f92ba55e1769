"""`Idempotency-Key` on POST: the first request with a key runs, its answer is kept, and every
retry (same token, same key) gets that answer back instead of doing the work again. The key is
claimed before the work starts, on a connection of its own that commits at once, so a retry
sent while the first request still runs is told so (409) rather than run twice."""

from __future__ import annotations

import functools
import hashlib
import json

from flask import Response, request
from sqlalchemy import text

from crm_web.api.auth import api_token
from crm_web.api.problems import ApiProblem
from crm_web.core.db import db

HEADER = "Idempotency-Key"
KEPT_HEADERS = ("Content-Type", "Location", "ETag")
KEEP_HOURS = 24

_CLAIM = text(
    "INSERT INTO api_idempotency_keys (token_id, key, fingerprint) "
    "VALUES (:token, :key, :fingerprint) ON CONFLICT DO NOTHING RETURNING key"
)
_FIND = text(
    "SELECT fingerprint, status, body, headers FROM api_idempotency_keys "
    "WHERE token_id = :token AND key = :key"
)
_KEEP = text(
    "UPDATE api_idempotency_keys SET status = :status, body = :body, headers = :headers "
    "WHERE token_id = :token AND key = :key"
)
_RELEASE = text("DELETE FROM api_idempotency_keys WHERE token_id = :token AND key = :key")
_FORGET_OLD = text(
    "DELETE FROM api_idempotency_keys WHERE token_id = :token "
    "AND created_at < clock_timestamp() - make_interval(hours => :hours)"
)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string, request.get_data()):
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _run(statement, **params):
    with db.engine.begin() as conn:
        result = conn.execute(statement, params)
        return result.first() if result.returns_rows else None


def _replay(found, fingerprint: str) -> Response:
    if found.fingerprint != fingerprint:
        raise ApiProblem(
            422,
            "idempotency_key_reused",
            f"This {HEADER} was used for a different request: use a new key for a new request.",
        )
    if found.status is None:
        raise ApiProblem(
            409,
            "idempotency_key_in_use",
            f"A request with this {HEADER} is still running: retry in a moment.",
            {"Retry-After": "1"},
        )
    response = Response(found.body, found.status)
    for name, value in (found.headers or {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(view):
    """Make a POST view answer a retried request (same Idempotency-Key) with its first answer.
    An answer of 5xx, or an error raised, releases the key: nothing was made, so a retry runs."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not key.strip() or len(key) > 255:
            raise ApiProblem(400, "bad_idempotency_key", f"{HEADER} must be 1 to 255 characters.")
        ids = {"token": api_token().id, "key": key}
        fingerprint = _fingerprint()
        # The token's keys older than KEEP_HOURS go first, so an expired key is a new one.
        _run(_FORGET_OLD, token=ids["token"], hours=KEEP_HOURS)
        if _run(_CLAIM, fingerprint=fingerprint, **ids) is None:
            return _replay(_run(_FIND, **ids), fingerprint)
        try:
            response = view(*args, **kwargs)
        except BaseException:
            _run(_RELEASE, **ids)
            raise
        if response.status_code >= 500:
            _run(_RELEASE, **ids)
            return response
        kept = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
        body = response.get_data(as_text=True)
        _run(_KEEP, status=response.status_code, body=body, headers=json.dumps(kept), **ids)
        return response

    return wrapper
