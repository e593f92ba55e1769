"""Deals view tests use Flask's test client on an isolated session, signed in through the real
login form. CSRF is off (the test client sends no token) except where a test turns it on."""

from __future__ import annotations

import pytest

from tests.browser.conftest import TEST_PASSWORD


@pytest.fixture(autouse=True)
def _no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def make_user(role="rep", email=None, name=None):
    from crm_web.accounts.services import create_user
    from crm_web.core.actor import SYSTEM

    email = email or f"{role}@example.com"
    name = name or f"{role.capitalize()} User"
    data = {"email": email, "name": name, "role": role, "password": TEST_PASSWORD}
    return create_user(data, SYSTEM)


@pytest.fixture
def sign_in(client):
    """sign_in(role) -> the user, with the client signed in as them."""

    def sign(role="rep", **kwargs):
        user = make_user(role, **kwargs)
        response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 303, response.text
        return user

    return sign
