"""What every request pays (issue 16 point 2): the signed-in user read as plain columns, not an
ORM load; a connection the server closed replaced at checkout without a pre-ping."""

from __future__ import annotations

import psycopg
from flask import g
from sqlalchemy import create_engine, event, text

from tests.support import cluster_conninfo, embedded_cluster, sign_in


def test_pages_do_not_load_the_signed_in_user_through_the_orm(client, session):
    from crm_web.accounts.models import User

    user = sign_in(client, "rep")
    loaded = []

    def count(target, context):
        loaded.append(target)

    event.listen(User, "load", count)
    try:
        response = client.get("/profile")
    finally:
        event.remove(User, "load", count)
    assert response.status_code == 200
    assert user.email in response.text
    assert loaded == []


def test_deactivating_a_signed_in_user_ends_their_session_at_once(client, session):
    from crm_web.core.db import db

    user = sign_in(client, "rep")
    assert client.get("/contacts/").status_code == 200
    # Only the flag, as an admin's tool or SQL might: the session version stays the same.
    db.session.execute(text("UPDATE users SET active = false WHERE id = :id"), {"id": user.id})
    g.pop("_login_user", None)  # the test's app context outlives a request: see sign_in
    response = client.get("/contacts/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_changed_name_shows_on_the_next_page(client, session):
    from crm_web.core.db import db

    user = sign_in(client, "rep")
    db.session.execute(
        text("UPDATE users SET name = 'Renamed Person' WHERE id = :id"), {"id": user.id}
    )
    assert "Renamed Person" in client.get("/profile").text


def test_a_connection_the_server_closed_is_replaced_at_checkout(app):
    from crm_web.core.db import db

    cluster = embedded_cluster(app, "terminates a backend of the embedded cluster")
    with app.app_context():
        url = db.engine.url
    engine = create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=False)
    try:
        with engine.connect() as connection:
            first = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with psycopg.connect(cluster_conninfo(cluster, url.database), autocommit=True) as other:
            # Waits (up to 5 s) until the backend is gone, as after a server restart.
            other.execute("SELECT pg_terminate_backend(%s, 5000)", (first,))
        with engine.connect() as connection:
            second = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        assert second != first
    finally:
        engine.dispose()
