"""Global search on a GET, where plain reads run in autocommit (core/db.py): its typo matching
relies on a threshold set for the transaction, so its statements must share one connection."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from crm_web.core.db import read_without_transaction
from crm_web.search import repository


@pytest.fixture
def own_app(app):
    """An app with sessions of its own (reads really autocommit), on the suite's database, and a
    committed John Smith, removed afterwards."""
    from crm_web import create_app
    from crm_web.core.db import db

    application = create_app(
        {"TESTING": True, **{"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}}
    )
    with application.app_context(), db.engine.begin() as conn:
        contact = conn.execute(
            text(
                "INSERT INTO contacts (first_name, last_name, created_by, updated_by) "
                "VALUES ('John', 'Smithereens', 'test', 'test') RETURNING id"
            )
        ).scalar()
    yield application
    with application.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_logs WHERE entity_id = :id"), {"id": contact})
            conn.execute(text("DELETE FROM contacts WHERE id = :id"), {"id": contact})
        db.engine.dispose()


def test_a_misspelled_name_is_found_on_a_get_as_in_a_transaction(own_app):
    with own_app.test_request_context("/search/", method="GET"):
        read_without_transaction()
        rows, count = repository.search_all("jonh smithereenz")["contacts"]
    assert ("John", "Smithereens") in [(row.first_name, row.last_name) for row in rows]
    assert count >= 1
