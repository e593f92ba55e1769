"""Accounts tests drive the app through Flask's test client on an isolated session.

The test client sends no CSRF token, so CSRF is switched off here; tests that prove the token
is required switch it back on with the `csrf_on` fixture. Users come from tests.support.make_user;
these tests sign in by posting the login form (`submit_login`), which is what they test."""

from __future__ import annotations

import pytest
from flask import g
from flask.testing import FlaskClient

from crm_web.core.db import db
from tests.support import TEST_PASSWORD

PASSWORD = TEST_PASSWORD


@pytest.fixture(autouse=True)
def _csrf_off(no_csrf):
    pass


class FreshRequestClient(FlaskClient):
    """The `session` fixture keeps one app context open for the whole test, so Flask reuses it
    (and its `g`) for every request: Flask-Login would keep the user it loaded for the first
    request, Flask-WTF the first CSRF token. Start each request with an empty `g`, as in
    production."""

    def open(self, *args, **kwargs):
        for name in list(g):
            g.pop(name)
        db.session.expire_all()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app, session):
    """Like the shared client, but each request loads the signed-in user afresh."""
    return FreshRequestClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def submit_login(client, email="rep@example.com", password=PASSWORD, **kwargs):
    """Post the login form; the response."""
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie was set"
    return cookie.value
