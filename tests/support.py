"""Test helpers: an isolated database session per test (or per Hypothesis example), plain
factory functions that build records through the services, and the one way to make a user and
sign the test client in."""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager

import pytest
import wtforms
from flask import g, has_app_context
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from crm_web.core.actor import SYSTEM, Actor
from crm_web.core.db import db
from crm_web.core.embedded_db import PORT, SUPERUSER

ADMIN = Actor(id="user-admin", role="admin", name="Test Admin")
# The pipeline the migrations seed, in board order.
SEEDED_STAGES = ["Lead", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]
TEST_PASSWORD = "correct horse battery"
NAMES = {"admin": "Ada Admin", "manager": "Mia Manager", "rep": "Robin Rep", "viewer": "Vic Viewer"}


def reset_schema(app) -> None:
    """Empty the app's database and migrate it to head, as a fresh install would be."""
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()


def embedded_cluster(app, why: str):
    """The suite's embedded PostgreSQL cluster; the test is skipped, saying why it needs that
    cluster, when TEST_DATABASE_URL names another server."""
    cluster = app.extensions.get("embedded_db")
    if cluster is None:
        pytest.skip(why)
    return cluster


def cluster_conninfo(cluster, database: str) -> str:
    """A psycopg connection string to one database of the embedded cluster, as its superuser."""
    return f"host={cluster.socket_dir} port={PORT} user={SUPERUSER} dbname={database}"


@contextmanager
def isolated_session():
    """Everything done inside is rolled back at the end, even code that commits: the session
    joins an outer transaction and turns its own commits into savepoints."""
    connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint", class_=Session)
    )
    try:
        yield db.session
    finally:
        db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()


def actor(role: str = "admin") -> Actor:
    return Actor(id=f"user-{uuid.uuid4().hex[:8]}", role=role, name=f"Test {role}")


def new_email(role: str = "user") -> str:
    """An address no other test user has. From uuid4: id(object()) repeats as soon as the object
    is freed, so two users of one test could get the same address."""
    return f"{role}-{uuid.uuid4().hex}@example.com"


def make_user(role: str = "rep", *, email=None, name=None, password=TEST_PASSWORD):
    """A user of `role` made by the accounts service (a fresh email unless given). The service
    commits: under the `session` fixture that is a savepoint, rolled back after the test."""
    from crm_web.accounts.services import create_user

    name = name or NAMES.get(role, role.title())
    data = {"email": email or new_email(role), "name": name, "role": role, "password": password}
    return create_user(data, SYSTEM)


def sign_in(client, user_or_role="rep", **fields):
    """Sign the test client in as `user_or_role`: a user, or a role to make a fresh user of
    (`fields` go to make_user). Returns the user.

    Stores what the login view's _start_session stores, without posting the form (so CSRF and
    throttling stay out of it; tests/accounts test the form itself)."""
    user = make_user(user_or_role, **fields) if isinstance(user_or_role, str) else user_or_role
    with client.session_transaction() as cookie_session:
        cookie_session.clear()
        cookie_session.permanent = True
        cookie_session["_user_id"] = user.get_id()
        cookie_session["_fresh"] = True
    if has_app_context():
        # The `session` fixture keeps one app context for the whole test, and requests reuse its
        # `g`: forget what an earlier request kept there for its user (Flask-Login's user, the
        # task rows' and notes' actor).
        vars(g).clear()
    return user


# What each create form needs before anything else is checked, so that a test names only the
# fields it is about: post_form fills these in unless the test gives them.
REQUIRED_FIELDS = {
    "/contacts/": {"first_name": "Grace", "last_name": "Hopper"},
    "/companies/": {"name": "Initech"},
}
HX_REQUEST = {"HX-Request": "true"}


def post_form(client, url: str, **fields):
    """Post the create form at `url` with `fields` (a dotted name such as custom_fields.region
    goes as **{...}) over REQUIRED_FIELDS, as the browser sends it (not through HTMX)."""
    return client.post(url, data={**REQUIRED_FIELDS.get(url, {}), **fields})


def message_beside(html: str, name: str) -> str:
    """The message beside input `name` of a form that came back 422, which is marked invalid
    and points at it (aria-describedby)."""
    input_tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html).group(0)
    key = name.replace(".", "-")
    assert 'aria-invalid="true"' in input_tag and f'aria-describedby="err-{key}"' in input_tag
    return re.search(rf'id="err-{re.escape(key)}"[^>]*>([^<]*)<', html).group(1)


def patch_field(client, url: str, value, version=1):
    """Save one field through its click-to-edit form: the HTMX PATCH of the value and the
    record's version that the editor was opened at."""
    return client.patch(url, data={"value": value, "version": str(version)}, headers=HX_REQUEST)


def assert_inline_editors(client, record_url: str, fields, field_form) -> None:
    """Every field in an area's field list has its WTForms inline form, and the record's
    editor for it (record_url/fields/NAME/edit, through HTMX) renders with a `value` input."""
    for name in fields:
        assert isinstance(field_form(name), wtforms.Form), name
        editor = client.get(f"{record_url}/fields/{name}/edit", headers=HX_REQUEST)
        assert editor.status_code == 200 and 'name="value"' in editor.get_data(as_text=True)


def make_company(by: Actor = ADMIN, **overrides):
    from crm_web.companies.services import create_company

    return create_company({"name": "Acme Ltd", **overrides}, by)


def make_contact(by: Actor = ADMIN, **overrides):
    from crm_web.contacts.services import create_contact

    return create_contact({"first_name": "Ada", "last_name": "Lovelace", **overrides}, by)


def make_deal(by: Actor = ADMIN, **overrides):
    from crm_web.deals.services import create_deal

    data = {"title": "Annual licence", "value": "1200.00", "stage": "Lead", **overrides}
    if "company_id" not in data:
        data["company_id"] = make_company(by).id
    return create_deal(data, by)


def make_task(entity_type: str, entity_id, by: Actor = ADMIN, **overrides):
    from crm_web.activities.services import create_task

    data = {"description": "Call back", "entity_type": entity_type, "entity_id": entity_id}
    return create_task({**data, **overrides}, by)


def make_note(entity_type: str, entity_id, by: Actor = ADMIN, **overrides):
    from crm_web.activities.services import create_note

    data = {"content": "Met at the fair", "entity_type": entity_type, "entity_id": entity_id}
    return create_note({**data, **overrides}, by)


def make_duplicate_twins():
    """Ada Lovelace and her likely duplicate Augusta King (the same email in another case), who
    brings a job title, a company, a deal, a task and a note to a merge: (ada, twin, company, deal)."""
    engines = make_company(name="Analytical Engines")
    ada = make_contact(emails=["ada@example.com"], phones=["+14155550100"])
    twin = make_contact(
        first_name="Augusta",
        last_name="King",
        job_title="Countess",
        company_id=engines.id,
        emails=["ADA@example.com", "countess@example.com"],
        phones=["+14155550199"],
    )
    deal = make_deal(title="Difference engine", company_id=engines.id, contact_id=twin.id)
    make_task("contact", twin.id, description="Send the notes on the engine")
    make_note("contact", twin.id, content="Translated Menabrea")
    return ada, twin, engines, deal


@contextmanager
def counted():
    """The SQL statements run inside the block (a page's query count is part of its speed)."""
    from sqlalchemy import event

    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    if has_app_context():
        # Requests reuse the test's app context: without this, only the first counted request
        # would read the signed-in user (every real request reads it, in one statement).
        g.pop("_login_user", None)
    engine = db.session.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def list_row(listing: str, record_id) -> str:
    """The <tr>…</tr> of `record_id` in a list: its id is the row's data-id, or, in a row the
    user may edit, its bulk checkbox's value (crm_web/core/display.py row_start)."""
    rows = re.findall(r"<tr data-(?:id|version)=.*?</tr>", listing, re.S)
    [row] = [
        row
        for row in rows
        if row.startswith(f'<tr data-id="{record_id}"') or f'name="ids" value="{record_id}"' in row
    ]
    return row


def list_cells(listing: str, record_id) -> dict[str, str]:
    """{field: the cell's inner HTML} of the list row of `record_id` that open an editor, as
    static/js/inline-edit.js finds them: the cells of the columns whose header names a field
    (<th data-field>), but those marked <td data-locked>."""
    head = re.search(r"<thead\b.*?</thead>", listing, re.S)[0]
    fields = [
        (re.search(r'data-field="(\w+)"', th) or [None, None])[1]
        for th in re.findall(r"<th\b[^>]*>", head)
    ]
    row = list_row(listing, record_id)
    cells = re.findall(r"<t[dh]\b([^>]*)>(.*?)</t[dh]>", row[row.index(">") + 1 :], re.S)
    return {
        field: inner
        for field, (attributes, inner) in zip(fields, cells, strict=False)
        if field and "data-locked" not in attributes
    }
