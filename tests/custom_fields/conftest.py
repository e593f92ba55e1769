import pytest


@pytest.fixture(autouse=True)
def _no_csrf(app, monkeypatch):
    """The test client sends no CSRF token (tests/accounts proves the token is required)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
