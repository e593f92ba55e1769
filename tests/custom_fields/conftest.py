import pytest


@pytest.fixture(autouse=True)
def _csrf_off(no_csrf):
    """The test client sends no CSRF token (tests/accounts proves the token is required)."""
