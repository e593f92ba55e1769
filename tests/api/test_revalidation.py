"""A revalidation's 304 answered before Flask builds a request (api/revalidation.py): the same
answer, headers, count and log line as through Flask, and every other case left to Flask.

Committed rows, as in production: the 304 is answered on a connection of its own, which sees
no test's open transaction."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from flask import g, request_started
from sqlalchemy import text

from crm_web.accounts.services import set_active
from crm_web.accounts.tokens import revoke_token
from crm_web.core.db import db
from tests.api.test_api import auth, token_for
from tests.support import ADMIN, make_contact

PROBLEM = "application/problem+json"


@pytest.fixture
def committed(app_ctx):
    """Make committed users, tokens and contacts (`make(role, **token_fields)` gives a user, its
    token, its secret, and a contact); all of it goes afterwards."""
    made = []

    def make(role="rep", **fields):
        user, token, secret = token_for(role, **fields)
        contact = make_contact()
        made.append((user.id, token.id, contact.id))
        return user, token, secret, contact

    yield make
    db.session.remove()
    with db.engine.begin() as conn:
        for user_id, token_id, contact_id in made:
            conn.execute(text("DELETE FROM contacts WHERE id = :c"), {"c": contact_id})
            conn.execute(text("DELETE FROM api_rate_counts WHERE token_id = :t"), {"t": token_id})
            conn.execute(text("DELETE FROM api_tokens WHERE id = :t"), {"t": token_id})
            conn.execute(text("DELETE FROM users WHERE id = :u"), {"u": user_id})


@pytest.fixture
def flask_requests(app):
    """The requests Flask itself handled (its request_started signal)."""
    seen = []

    def started(sender, **extra):
        seen.append(True)

    request_started.connect(started, app)
    yield seen
    request_started.disconnect(started, app)


def _revalidated(client, url, secret, etag, **headers):
    """A revalidation, after the first call of the token (Flask stamps its last use)."""
    return client.get(url, headers=auth(secret, **{"If-None-Match": etag, **headers}))


def _read(client, url, secret):
    full = client.get(url, headers=auth(secret))
    assert full.status_code == 200
    return full.headers["ETag"]


def test_a_304_before_flask_carries_what_flasks_304_carried(app, committed, flask_requests, caplog):
    """Same status, no body, the same headers in the same order (the request id sent back, the
    rate count one lower: the same counter), for GET and HEAD, and the same log line."""
    _, _, secret, contact = committed("rep")
    client = app.test_client()
    for kind in ("contacts", "customers"):
        url = f"/api/v1/{kind}/{contact.id}"
        etag = _read(client, url, secret)
        for method in ("get", "head"):
            answers, lines, handled = [], [], []
            for wsgi_app in (app.wsgi_app.flask_wsgi_app, app.wsgi_app):  # Flask's, then ours
                flask_requests.clear()
                caplog.clear()
                with caplog.at_level(logging.INFO, "crm_web.requests"):
                    answers.append(_through(app, wsgi_app, method, url, secret, etag))
                lines.append([json.loads(r.getMessage()) for r in caplog.records])
                handled.append(len(flask_requests))
            assert handled == [1, 0]  # the second never reached Flask
            flasks, ours = answers
            assert ours.status == flasks.status == "304 NOT MODIFIED"
            assert ours.data == flasks.data == b""
            assert [k for k, _ in ours.headers] == [k for k, _ in flasks.headers]
            changing = ("RateLimit-Remaining", "RateLimit-Reset")
            assert {k: v for k, v in ours.headers if k not in changing} == {
                k: v for k, v in flasks.headers if k not in changing
            }
            assert ours.headers["X-Request-ID"] == "r-1" and ours.headers["ETag"] == etag
            left = int(flasks.headers["RateLimit-Remaining"])
            assert int(ours.headers["RateLimit-Remaining"]) == left - 1
            (flask_line,), (our_line,) = lines
            assert {**our_line, "ms": None} == {**flask_line, "ms": None}
            assert our_line["status"] == 304 and our_line["method"] == method.upper()


def _through(app, wsgi_app, method, url, secret, etag):
    """The request through `wsgi_app` (Flask's own, without the wrapper)."""
    g.pop("request_id", None)  # the test's app context outlives a request: not its request id
    ours = app.wsgi_app
    app.wsgi_app = wsgi_app
    try:
        return getattr(app.test_client(), method)(
            url, headers=auth(secret, **{"If-None-Match": etag, "X-Request-ID": "r-1"})
        )
    finally:
        app.wsgi_app = ours


def test_a_revoked_expired_or_deactivated_users_token_gets_401_despite_the_etag(
    app, committed, flask_requests
):
    client = app.test_client()
    refused = []
    for role, refuse in (
        ("rep", lambda user, token: revoke_token(token.id, ADMIN)),
        ("rep", lambda user, token: _expire(token.id)),
        ("rep", lambda user, token: set_active(user.id, False, ADMIN)),
    ):
        user, token, secret, contact = committed(role)
        url = f"/api/v1/contacts/{contact.id}"
        etag = _read(client, url, secret)
        flask_requests.clear()
        assert _revalidated(client, url, secret, etag).status_code == 304
        assert flask_requests == []  # answered before Flask
        refuse(user, token)
        refused.append(_revalidated(client, url, secret, etag))
    for answer in refused:
        assert answer.status_code == 401 and answer.mimetype == PROBLEM
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def _expire(token_id) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE api_tokens SET expires_at = :t WHERE id = :id"),
            {"t": datetime.now(UTC) - timedelta(seconds=1), "id": token_id},
        )


def test_a_revalidation_of_a_record_the_token_cannot_see_is_404_not_304(app, committed):
    """Every role reads every live or archived contact (core.permissions); what a rep's token
    cannot see is a contact that is gone, or an id that names none: 404 with its old ETag."""
    _, _, secret, contact = committed("rep")
    client = app.test_client()
    url = f"/api/v1/contacts/{contact.id}"
    etag = _read(client, url, secret)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM contacts WHERE id = :id"), {"id": contact.id})
    for gone in (url, "/api/v1/customers/00000000-0000-4000-8000-000000000000"):
        answer = _revalidated(client, gone, secret, etag)
        assert answer.status_code == 404 and answer.mimetype == PROBLEM


def test_a_read_scope_token_still_gets_its_304_and_a_stale_etag_the_record(
    app, committed, flask_requests
):
    _, _, secret, contact = committed("viewer", scope="read")
    client = app.test_client()
    url = f"/api/v1/contacts/{contact.id}"
    etag = _read(client, url, secret)
    flask_requests.clear()
    assert _revalidated(client, url, secret, etag).status_code == 304
    assert _revalidated(client, url, secret, f'W/"x", {etag}').status_code == 304
    assert flask_requests == []
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE contacts SET version = version + 1, job_title = 'Chief' WHERE id = :id"),
            {"id": contact.id},
        )
    stale = _revalidated(client, url, secret, etag)
    assert stale.status_code == 200 and stale.json["job_title"] == "Chief"
    assert stale.headers["ETag"] != etag
    assert _revalidated(client, url, secret, stale.headers["ETag"]).status_code == 304


def test_revalidations_count_against_the_rate_limit(app, committed, monkeypatch, flask_requests):
    _, _, secret, contact = committed("rep")
    client = app.test_client()
    url = f"/api/v1/customers/{contact.id}"
    etag = _read(client, url, secret)  # the window's first call
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 4)
    flask_requests.clear()
    answers = [_revalidated(client, url, secret, etag) for _ in range(3)]
    assert [a.status_code for a in answers] == [304] * 3
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    assert flask_requests == []
    limited = _revalidated(client, url, secret, etag)
    assert limited.status_code == 429 and limited.mimetype == PROBLEM
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["RateLimit-Remaining"] == "0"


def test_hostile_paths_and_headers_get_a_4xx_never_a_5xx(app, committed):
    _, _, secret, contact = committed("rep")
    client = app.test_client()
    url = f"/api/v1/contacts/{contact.id}"
    etag = _read(client, url, secret)
    paths = {
        "/api/v1/contacts/%00": 400,
        f"/api/v1/contacts/{contact.id}%00": 400,
        "/api/v1/contacts/%ED%A0%80": 404,  # a lone surrogate's UTF-8: decoded as U+FFFD
        "/api/v1/contacts/" + "a" * 10_000: 404,
        "/api/v1/contacts/" + "f" * 36: 404,
        "/api/v1/contacts/ffffffff-ffff-ffff-ffff-ffffffffffff": 404,
        "/api/v1/contacts/" + "-" * 36: 404,
        f"/api/v1/contacts/{contact.id}?q=%00": 400,
        f"/api/v1/contacts/{contact.id}?q=%ED%A0%80": 304,  # decoded as U+FFFD: a plain query
    }
    for path, status in paths.items():
        answer = _revalidated(client, path, secret, etag)
        assert answer.status_code == status, (path[:60], answer.status_code)
    headers = [
        ({"Authorization": "Bearer crm_" + "x" * 10_000, "If-None-Match": etag}, 401),
        ({"Authorization": "Bearer " + secret + "\x00", "If-None-Match": etag}, 401),
        ({"Authorization": "Basic " + secret, "If-None-Match": etag}, 401),
    ]
    for sent, status in headers:
        answer = client.get(url, headers=sent)
        assert answer.status_code == status and answer.mimetype == PROBLEM
    # A 10 KB If-None-Match is a list of tags like any other: the record's among them is a 304,
    # none of them the record itself.
    many = ", ".join(f'"x{n}"' for n in range(1_500))
    assert _revalidated(client, url, secret, many).status_code == 200
    assert _revalidated(client, url, secret, many + ", " + etag).status_code == 304


def test_a_kept_connection_the_server_closed_is_replaced(app, committed):
    """The 304's statement runs on a connection the process keeps; when the server drops it,
    the call goes to Flask (which answers it) and the next one connects anew."""
    _, _, secret, contact = committed("rep")
    client = app.test_client()
    url = f"/api/v1/contacts/{contact.id}"
    etag = _read(client, url, secret)
    assert _revalidated(client, url, secret, etag).status_code == 304
    with app.wsgi_app.kept.use() as connection:
        backend = connection.info.backend_pid
    with db.engine.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    answers = [_revalidated(client, url, secret, etag) for _ in range(2)]
    assert [a.status_code for a in answers] == [304, 304]
    with app.wsgi_app.kept.use() as connection:
        assert connection.info.backend_pid != backend
