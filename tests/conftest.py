"""One app per test session, on a database built by running the migrations.

The database is the embedded cluster (database `crm_web_test`) unless TEST_DATABASE_URL names
another PostgreSQL. Each test gets a session whose changes are rolled back afterwards."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

os.environ["CRM_ENV"] = "test"
os.environ.pop("DATABASE_URL", None)


def _reset_schema(app) -> None:
    from flask_migrate import upgrade

    from crm_web.core.db import db

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def app():
    from crm_web import create_app

    config = {"TESTING": True, "EMBEDDED_DATABASE_NAME": "crm_web_test"}
    if os.environ.get("TEST_DATABASE_URL"):
        from crm_web.config import database_url

        config["SQLALCHEMY_DATABASE_URI"] = database_url(os.environ["TEST_DATABASE_URL"])
    application = create_app(config)
    _reset_schema(application)
    yield application
    cluster = application.extensions.get("embedded_db")
    if cluster is not None and cluster.started_here:
        from crm_web.core.db import db

        with application.app_context():
            db.engine.dispose()
        cluster.stop()


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
