"""Operations: one JSON log line per request, request ids, and the health probes."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.support import TEST_PASSWORD, make_user, sign_in


def _request_lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "crm_web.requests"]


def test_each_request_logs_one_json_line_saying_who_did_what(client, caplog):
    user = sign_in(client, "rep")
    with caplog.at_level(logging.INFO, logger="crm_web.requests"):
        response = client.get("/contacts/?q=secret-search-term", headers={"X-Request-ID": "lb-42"})
    assert response.status_code == 200
    [line] = _request_lines(caplog)
    assert line["request_id"] == "lb-42"
    assert line["user_id"] == str(user.id)
    assert line["method"] == "GET"
    assert line["route"] == "/contacts/"
    assert line["status"] == 200
    assert isinstance(line["ms"], float) and line["ms"] >= 0
    assert "secret-search-term" not in caplog.text


def test_the_log_line_never_holds_passwords_tokens_or_cookies(client, session, caplog, no_csrf):
    user = make_user("rep", email="logged@example.com")
    client.set_cookie("tracking", "cookie-value-123")
    with caplog.at_level(logging.INFO, logger="crm_web.requests"):
        response = client.post(
            "/login?token=query-token-456",
            data={"email": "logged@example.com", "password": TEST_PASSWORD},
        )
    assert response.status_code in (302, 303)
    [line] = _request_lines(caplog)
    assert line["route"] == "/login" and line["method"] == "POST"
    assert line["user_id"] == str(user.id)  # the user who signed in, by id only
    for secret in (TEST_PASSWORD, "query-token-456", "cookie-value-123", "logged@example.com"):
        assert secret not in caplog.text


@pytest.mark.parametrize(
    "incoming", ["", "x" * 65, "spaces are not ok", "tab\there", "semi;colon", "ünïcode"]
)
def test_an_unusable_incoming_request_id_is_replaced_by_a_new_one(client, session, incoming):
    response = client.get("/login", headers={"X-Request-ID": incoming})
    sent = response.headers["X-Request-ID"]
    assert sent != incoming
    assert len(sent) == 32 and all(c in "0123456789abcdef" for c in sent)


def test_a_sane_incoming_request_id_is_kept(client, session):
    response = client.get("/login", headers={"X-Request-ID": "abc-123-DEF"})
    assert response.headers["X-Request-ID"] == "abc-123-DEF"


def test_error_pages_show_the_request_id_as_their_reference(client, session):
    sign_in(client, "rep")
    response = client.get("/contacts/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    reference = response.headers["X-Request-ID"]
    assert f"Reference: <code>{reference}</code>" in response.text


def test_healthz_is_open_to_everyone_and_needs_no_database(client, session):
    response = client.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok")
    assert response.headers["X-Request-ID"]


def test_readyz_answers_200_when_the_database_is_migrated_to_head(client, session):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}


def test_readyz_answers_503_when_the_migrations_are_behind(client, session):
    """The row is changed inside the test's transaction, rolled back afterwards."""
    session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert list(body["problems"]) == ["migrations"]
    assert "The database is at 0001" in body["problems"]["migrations"]


def test_unconfigured_logging_writes_each_line_straight_to_stderr(app):
    """Served as gunicorn serves it (wsgi.py, nobody configured logging): each request's line
    is on stderr, one JSON line, written without the logging module's record-making (a
    LogRecord, a frame lookup, a handler's lock and flush cost every request ~0.1 ms of CPU
    under gunicorn); and, as with a logging handler, a line that cannot be written fails no
    request."""
    root = Path(__file__).resolve().parents[1]
    environ = {
        **os.environ,
        "CRM_ENV": "production",
        "SECRET_KEY": "k" * 40,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
    }
    code = """
import logging, sys, wsgi
made = []
make = logging.Logger.makeRecord
def watched(self, name, *args, **kwargs):
    made.append(name)
    return make(self, name, *args, **kwargs)
logging.Logger.makeRecord = watched
client = wsgi.app.test_client()
for _ in range(2):
    assert client.get("/healthz", headers={"X-Request-ID": "probe-7"}).status_code == 200
print(made)
# A line that cannot be written (no stderr, a closed one) does not fail the request.
real, closed = sys.stderr, open("/dev/null", "w")
closed.close()
for stream in (None, closed):
    sys.stderr = stream
    print(client.get("/healthz").status_code)
sys.stderr = real
"""
    served = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=environ, capture_output=True, text=True
    )
    assert served.returncode == 0, served.stderr
    made, *statuses = served.stdout.split()
    assert "crm_web.requests" not in made, served.stdout
    assert statuses == ["200", "200"], served.stdout
    lines = [json.loads(line) for line in served.stderr.splitlines() if "probe-7" in line]
    assert len(lines) == 2, served.stderr
    assert {(line["route"], line["status"], line["method"]) for line in lines} == {
        ("/healthz", 200, "GET")
    }
