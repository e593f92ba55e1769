"""Property tests build their own isolated session per Hypothesis example, so the only fixture
they take is an app context that outlives the test function (no per-example fixture reuse)."""

import pytest


@pytest.fixture(scope="module")
def app_ctx(app):
    with app.app_context():
        yield app
