"""One app per test session, on a database built by running the migrations.

The database is the embedded cluster (database `crm_web_test`) unless TEST_DATABASE_URL names
another PostgreSQL. The cluster is left running, as after `make run`; `make db-stop` stops it.
Each test gets a session whose changes are rolled back afterwards."""

from __future__ import annotations

import os

import pytest

os.environ["CRM_ENV"] = "test"
os.environ.pop("DATABASE_URL", None)


# The longest files first: pytest-xdist (`make test`, --dist loadfile) keeps a file on one
# worker and hands files out in this order, so a long file dealt last kept one worker busy for
# minutes while the other sat idle.
LONGEST_FIRST = (
    "tests/test_hostile_input.py",
    "tests/test_hostile_input_more.py",
    "tests/api/test_schemathesis.py",
    "tests/properties/",
    "tests/browser/test_shell.py",
)


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        prefixes = enumerate(LONGEST_FIRST)
        return next((i for i, prefix in prefixes if item.nodeid.startswith(prefix)), 99)

    items.sort(key=rank)  # stable: the rest keep their order


@pytest.fixture(scope="session")
def app():
    from crm_web import create_app
    from tests.support import reset_schema

    # CRM_TEST_DATABASE lets two suites share the embedded cluster without clobbering each other;
    # each pytest-xdist worker (`make test`) gets its own database the same way.
    name = os.environ.get("CRM_TEST_DATABASE", "crm_web_test")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        name = f"{name}_{worker}"
    # A one-round hash: scrypt costs ~0.2 s of CPU a user made (tests/accounts/test_passwords.py
    # checks that the app itself hashes with scrypt).
    config = {
        "TESTING": True,
        "EMBEDDED_DATABASE_NAME": name,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
    }
    if os.environ.get("TEST_DATABASE_URL"):
        from crm_web.config import database_url

        config["SQLALCHEMY_DATABASE_URI"] = database_url(os.environ["TEST_DATABASE_URL"])
    application = create_app(config)
    reset_schema(application)
    return application


@pytest.fixture(autouse=True)
def _no_kept_estimates():
    """Estimated totals are kept a minute (lists.keyset.ESTIMATES): not from one test's rows
    to the next's."""
    from crm_web.lists.keyset import ESTIMATES

    ESTIMATES.clear()


@pytest.fixture
def no_csrf(app, monkeypatch):
    """CSRF off for one test: the test client sends no token (tests/accounts/test_security.py
    proves one is required)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def session(app_ctx):
    from tests.support import isolated_session

    with isolated_session() as db_session:
        yield db_session


@pytest.fixture
def client(app, session):
    return app.test_client()
