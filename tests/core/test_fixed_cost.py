"""What every request pays (issue 16 point 2): the signed-in user read as plain columns, not an
ORM load; a connection the server closed replaced at checkout without a pre-ping."""

from __future__ import annotations

import datetime as dt
import re

import psycopg
import pytest
import sqlalchemy as sa
from flask import g
from psycopg import _queries
from sqlalchemy import create_engine, event, func, select, text

from crm_web.activities.models import Task
from crm_web.core.db import db, one_connection
from crm_web.core.repository import read
from tests.plans import statements_of
from tests.support import cluster_conninfo, embedded_cluster, make_contact, make_task, sign_in


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
    user = sign_in(client, "rep")
    assert client.get("/contacts/").status_code == 200
    # Only the flag, as an admin's tool or SQL might: the session version stays the same.
    db.session.execute(text("UPDATE users SET active = false WHERE id = :id"), {"id": user.id})
    g.pop("_login_user", None)  # the test's app context outlives a request: see sign_in
    response = client.get("/contacts/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_changed_name_shows_on_the_next_page(client, session):
    user = sign_in(client, "rep")
    db.session.execute(
        text("UPDATE users SET name = 'Renamed Person' WHERE id = :id"), {"id": user.id}
    )
    assert "Renamed Person" in client.get("/profile").text


def test_a_connection_the_server_closed_is_replaced_at_checkout(app):
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


def _csrf_token(page: str) -> str:
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


def test_the_csrf_token_is_signed_once_per_session(client, session, monkeypatch):
    from itsdangerous.timed import TimestampSigner

    sign_in(client, "rep")
    first = _csrf_token(client.get("/contacts/").text)
    later = TimestampSigner.get_timestamp(TimestampSigner(b"k")) + 120
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    g.pop("csrf_token", None)  # the test's app context outlives a request: see sign_in
    page = client.get("/contacts/new").text
    assert _csrf_token(page) == first
    # Still the token this session's forms need.
    response = client.post("/logout", headers={"X-CSRFToken": first})
    assert response.status_code == 303


BACKEND_PID = select(func.pg_backend_pid().label("pid"))


@pytest.fixture(scope="module")
def own_app(app):
    """An app whose sessions are its own (not the tests' rolled-back outer transaction), on the
    suite's database, with a probe: is the connection a read ran on left in a transaction?"""
    from crm_web import create_app
    from crm_web.accounts.auth import public
    from crm_web.accounts.models import User

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    application = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "WTF_CSRF_ENABLED": False}
    )

    def status_after_a_read():
        db.session.scalar(select(func.count()).select_from(User))
        connection = db.session.connection(bind_arguments={"clause": select(User.id)})
        return connection.connection.driver_connection.info.transaction_status.name

    @application.route("/test/read-status", methods=["GET", "POST"])
    @public
    def read_status():
        return status_after_a_read()

    @application.route("/test/union-read-status")
    @public
    def union_read_status():
        # A prebuilt UNION (the home page's and /tasks' record names are one) read on a GET:
        # is the primary's connection, which a write would use, left in a transaction?
        read(sa.union_all(select(User.id), select(User.id)))
        primary = db.session.connection().connection.driver_connection
        return primary.info.transaction_status.name

    @application.route("/test/prepared-after-a-search")
    @public
    def prepared_after_a_search():
        # A search's reads (one_connection: a transaction on the primary), a prepared one among
        # them; then the request's end (the session rolls back): is it still prepared there?
        with one_connection():
            read(select(User.id).where(User.email == sa.bindparam("email", type_=sa.String)))
        primary = db.session.connection().connection.driver_connection
        db.session.rollback()
        count = primary.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0]
        primary.rollback()  # back to the pool as it was lent
        return str(count)

    @application.route("/test/backend")
    @public
    def backend():
        return str(read(BACKEND_PID)[0].pid)

    @application.route("/test/session-made")
    @public
    def session_made():
        # A page's prebuilt reads only: did the request make a SQLAlchemy session?
        read(BACKEND_PID)
        return str(db.session.registry.has())

    yield application
    with application.app_context():
        db.engine.dispose()


def test_a_page_read_runs_without_a_transaction_and_a_form_post_within_one(own_app):
    client = own_app.test_client()
    assert client.get("/test/read-status").text == "IDLE"
    assert client.post("/test/read-status").text == "INTRANS"


def test_a_search_s_transaction_leaves_the_connection_s_prepared_statements(own_app):
    """psycopg deallocates every prepared statement of a connection on ROLLBACK: a search
    (reads in a transaction of their own) would empty one of the pool's connections each time."""
    assert int(own_app.test_client().get("/test/prepared-after-a-search").text) >= 1


def test_a_union_read_on_a_page_runs_without_a_transaction_too(own_app):
    assert own_app.test_client().get("/test/union-read-status").text == "IDLE"


def test_the_constants_of_a_prebuilt_statement_are_written_into_its_sql(session):
    """core.repository.read writes the values a statement's code holds (status == "open", a
    quote, a percent sign, a number) into its SQL and sends only the named values: as
    parameters, they kept PostgreSQL from reusing a generic plan (the partial index on open
    tasks can't serve `status = $1`), so it planned the statement again on every run."""
    statement = select(
        func.count().label("open_tasks"),
        sa.literal("it's 50% done").label("quoted"),
        (sa.bindparam("n", type_=sa.Integer) + 1).label("next"),
    ).where(Task.status == "open", Task.version > 0)
    [row] = read(statement, {"n": 41})
    assert (row.quoted, row.next) == ("it's 50% done", 42)
    seen = statements_of(lambda: read(statement, {"n": 41}))
    [(sql, parameters)] = [(sql, values) for sql, values in seen if "open_tasks" in sql]
    assert "'open'" in sql and "'it''s 50%% done'" in sql and "> 0" in sql
    assert set(parameters) == {"n"}
    # Without any value to send (psycopg then reads the SQL as it is), watched or not.
    alone = select(sa.literal("50% off").label("said"))
    assert read(alone)[0].said == "50% off"
    watched = []
    seen = statements_of(lambda: watched.extend(read(alone)))
    assert watched[0].said == "50% off"
    assert any("'50%% off'" in sql for sql, _ in seen)


def test_a_statement_longer_than_psycopg_s_parse_cache_is_not_parsed_on_each_run(
    session, monkeypatch
):
    """core.repository.read sends a statement's SQL with its values by position (psycopg's
    RawCursor): given %(name)s, psycopg parses a query on every run once it is longer than
    4 kB, as a record page's is (~11 kB: ~35 µs a view). A value used twice is sent once; a
    percent sign in the SQL stays one."""
    columns = [(sa.bindparam("n", type_=sa.Integer) + i).label(f"plus_{i:03d}") for i in range(300)]
    statement = select(*columns, sa.literal("100% sure").label("said"))
    assert len(str(statement.compile(dialect=db.engine.dialect))) > 4096
    read(statement, {"n": 1})  # compiled and prepared
    parses = []
    parse = _queries._query2pg_nocache
    monkeypatch.setattr(_queries, "_query2pg_nocache", lambda *a: parses.append(a) or parse(*a))
    [row] = read(statement, {"n": 41})
    assert (row.plus_000, row.plus_001, row.plus_299, row.said) == (41, 42, 340, "100% sure")
    assert parses == []


def test_the_app_s_connections_keep_time_in_utc_whatever_the_server_s_zone(session):
    """Set on each connection, not left to the server (this one's is "Etc/UTC"): a server in
    another zone would shift every date PostgreSQL casts from a time, and psycopg converts each
    timestamp it reads to a ZoneInfo zone, but reads UTC's directly (a third of a list's row
    decoding)."""
    assert db.session.execute(text("SHOW TimeZone")).scalar() == "UTC"
    [row] = read(select(func.now().label("now")))
    assert row.now.tzinfo is dt.UTC


def test_a_page_s_reads_borrow_no_pooled_connection(own_app):
    """A GET's reads run on the process's kept autocommit connection (core.db.kept_reader):
    the pool's checkout and the session's bookkeeping around it cost a list page about a
    tenth of its CPU."""
    client = own_app.test_client()
    first = client.get("/test/backend").text  # the kept connection is made on first use
    with own_app.app_context():
        pool = db.engine.pool
    checkouts = []

    def count(*args):
        checkouts.append(args)

    event.listen(pool, "checkout", count)
    try:
        seen = {client.get("/test/backend").text for _ in range(3)}
    finally:
        event.remove(pool, "checkout", count)
    assert seen == {first}
    assert checkouts == []


def test_a_page_whose_reads_are_all_prebuilt_makes_no_orm_session(own_app):
    """core.db.read_without_transaction keeps the autocommit reader in `g`: a page read
    entirely on the kept connection never makes (nor tears down) a SQLAlchemy session, ~2 % of
    a list page. One that does make one still reads without a transaction (above)."""
    client = own_app.test_client()
    assert client.get("/test/session-made").text == "False"
    assert client.get("/test/read-status").text == "IDLE"


def test_a_kept_connection_the_server_closed_is_replaced(own_app):
    client = own_app.test_client()
    first = client.get("/test/backend").text
    with own_app.app_context(), db.engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": int(first)})
    response = client.get("/test/backend")
    assert response.status_code == 200
    assert response.text != first


def test_the_signed_in_header_is_drawn_once_for_pages_that_show_the_same(app, client, session):
    """The top bar and palette (templates/_header.html) were a tenth of a list page's CPU, drawn
    anew on every page. A drawing is kept by all it shows (web.signed_in_header, web.kept): the next page
    under the same navigation item reuses it, and any change to what it shows draws it again."""
    import datetime as dt

    user = sign_in(client, "rep")
    app.extensions["kept_drawings"].pop(("_header.html", "signed_in"), None)
    first = client.get("/contacts/").text
    drawings = app.extensions["kept_drawings"]["_header.html", "signed_in"]
    again = client.get("/contacts/?sort=updated").text
    assert (drawings.cache_info().misses, drawings.cache_info().hits) == (1, 1)
    assert '<a href="/contacts/" aria-current="page">Contacts' in first
    assert '<a href="/contacts/" aria-current="page">Contacts' in again
    # Another section is current on its own pages.
    assert '<a href="/companies/" aria-current="page">Companies' in client.get("/companies/").text
    # A task due today: the badge counts it on the next page.
    contact = make_contact(owner_id=user.id)
    make_task("contact", contact.id, user.as_actor(), due_date=dt.date.today(), assignee_id=user.id)
    g.pop("_login_user", None)  # the test's app context outlives a request: see sign_in
    assert '<span class="nav-badge" id="task-badge">1<' in client.get("/contacts/").text
    # A new name: the next page's user menu says it.
    db.session.execute(
        text("UPDATE users SET name = 'Renamed Rep' WHERE id = :id"), {"id": user.id}
    )
    g.pop("_login_user", None)
    assert '<span class="user-name">Renamed Rep</span>' in client.get("/contacts/").text


def test_flask_asks_once_whether_each_hook_and_view_is_a_coroutine(client, session, monkeypatch):
    """crm_web.App.ensure_sync: inspect's answer for each hook and view is kept, not asked
    again on every request (fourteen times a page); an async view would still be run."""
    import flask.app

    sign_in(client, "rep")
    assert client.get("/profile").status_code == 200
    asked = []

    def counting(func):
        asked.append(func)
        return False

    monkeypatch.setattr(flask.app, "iscoroutinefunction", counting)
    assert client.get("/profile").status_code == 200
    assert asked == []
