"""The migrations, on a scratch database of their own: upgrade to head, down to base and up
again, and the migrated schema is exactly what the models describe."""

from __future__ import annotations

import os

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from tests.support import SEEDED_STAGES

SCRATCH = "crm_test_migrations"
# Tables that migrations create for libraries rather than for our models (e.g. the job queue).
FOREIGN_TABLE_PREFIXES = ("procrastinate_",)


def _scratch_app(app):
    """A second app on the scratch database, on the same server as the test database."""
    from crm_web import create_app

    if os.environ.get("TEST_DATABASE_URL"):
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        admin = url.set(drivername="postgresql", database="postgres")
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
            if not conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (SCRATCH,)
            ).fetchone():
                conn.execute(f'CREATE DATABASE "{SCRATCH}"')
        return create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": url.set(database=SCRATCH).render_as_string(
                    hide_password=False
                ),
            }
        )
    return create_app({"TESTING": True, "EMBEDDED_DATABASE_NAME": SCRATCH})


@pytest.fixture(scope="module")
def scratch(app):
    from crm_web.core.db import db

    scratch_app = _scratch_app(app)
    with scratch_app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        yield scratch_app
        db.engine.dispose()


def _tables(db) -> set[str]:
    return set(inspect(db.engine).get_table_names())


def _diff(db) -> list:
    def include_name(name, type_, parent_names):
        if type_ == "table":
            return name != "alembic_version" and not name.startswith(FOREIGN_TABLE_PREFIXES)
        return True

    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": False,
                "include_name": include_name,
            },
        )
        return compare_metadata(context, db.metadata)


def test_upgrade_downgrade_upgrade_round_trip(scratch):
    from flask_migrate import downgrade, upgrade

    from crm_web.core.db import db

    upgrade()
    model_tables = set(db.metadata.tables)
    assert model_tables <= _tables(db)

    downgrade(revision="base")
    assert _tables(db) <= {"alembic_version"}, "downgrade to base left tables behind"
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 0

    upgrade()
    assert model_tables <= _tables(db)
    with db.engine.connect() as conn:
        stages = conn.execute(text("SELECT name FROM pipeline_stages ORDER BY position")).all()
    assert [s.name for s in stages] == SEEDED_STAGES


def test_the_migrated_schema_matches_the_models(scratch):
    from flask_migrate import upgrade

    from crm_web.core.db import db

    upgrade()
    assert _diff(db) == []


def test_there_is_one_head(scratch):
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
