"""Fixtures shared by the tasks' and notes' page tests."""

import pytest

from tests.support import sign_in


@pytest.fixture
def rep(client, no_csrf):
    """The test client signed in as a sales rep, with CSRF checks off."""
    return sign_in(client, "rep")
