"""Deals view tests use Flask's test client on an isolated session, signed in with
tests.support.sign_in. CSRF is off (the test client sends no token) except where a test turns
it on."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _csrf_off(no_csrf):
    pass
