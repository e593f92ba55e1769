"""How global search reads: on a GET, where plain reads run in autocommit (core/db.py), its typo
matching relies on a threshold set for the transaction, so its statements share one connection;
it never plans a sequential scan; each kind is ranked and counted in one statement."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from crm_web.core.db import read_without_transaction
from crm_web.search import repository
from tests.support import HX_REQUEST, counted, make_contact, sign_in


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


def test_search_reads_every_kind_down_its_indexes_never_a_scan(session, monkeypatch):
    """A kind's candidates are capped, so the planner would bet that a scan meets them early:
    for a word no note holds, that read all 1,000,000 notes of the bench (5 s a keystroke)."""
    settings = []
    run = repository._run

    def recording(connection, query, params):
        settings.append(connection.execute(text("SHOW enable_seqscan")).scalar())
        return run(connection, query, params)

    monkeypatch.setattr(repository, "_run", recording)
    repository.search_all("turing")
    assert settings == ["off"] * 5


def test_each_kind_is_found_ranked_and_counted_in_one_statement(client):
    """The count beside a kind ("6 contacts") comes with its rows: a second statement found
    every candidate again (28 ms of a 60 ms search at a million contacts)."""
    sign_in(client)
    for n in range(6):
        make_contact(first_name=f"Ada{n}", last_name="Turing")
    with counted() as statements:  # as the top bar asks: 3 of each kind, and the count
        page = client.get("/search/suggestions?q=turing", headers=HX_REQUEST)
    assert page.get_data(as_text=True).count("<mark>Turing</mark>") == 3  # 3 of the 6 shown
    kinds = [s for s in statements if s.startswith("WITH")]
    assert len(kinds) == 5, kinds  # contacts, companies, deals, notes, tasks
