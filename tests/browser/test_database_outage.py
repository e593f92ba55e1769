"""What a person sees when the connection to PostgreSQL breaks while their change commits."""

import re
from contextlib import contextmanager

from playwright.sync_api import expect
from sqlalchemy import event, text

from tests.browser.conftest import committed_user, expect_error_status, login, screenshot

MAYBE_SAVED = "Your change may have been saved: reload to check."


@contextmanager
def next_commit_cut_off(app):
    """The server drops the connection of the next COMMIT just before it goes out: whether the
    change was saved, the app cannot know (here it was not)."""
    from crm_web.core.db import db

    with app.app_context():
        engine = db.engine
    cut = []

    def drop(conn):
        if cut:
            return
        cut.append(conn.connection.dbapi_connection.info.backend_pid)
        with engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": cut[0]})

    event.listen(engine, "commit", drop)
    try:
        yield cut
    finally:
        event.remove(engine, "commit", drop)


def _contact(app):
    from crm_web.contacts.services import create_contact
    from crm_web.core.actor import SYSTEM
    from crm_web.core.db import db

    with app.app_context():
        contact_id = create_contact({"first_name": "Ada", "last_name": "Lovelace"}, SYSTEM).id
        db.session.remove()
    return contact_id


def test_a_change_whose_commit_was_cut_off_says_it_may_have_been_saved(app, page):
    expect_error_status(page, 503)
    login(page, committed_user(app, "manager"))
    contact_id = _contact(app)

    page.goto(f"/contacts/{contact_id}")
    field = page.locator(f"#contact-{contact_id}-last_name")
    field.click()
    editor = page.get_by_role("textbox", name="Last name")
    editor.fill("Byron")
    with next_commit_cut_off(app) as cut:
        editor.press("Enter")
        expect(page.get_by_role("alert")).to_have_text(
            re.compile(rf"^{re.escape(MAYBE_SAVED)} Reference: \w+$")
        )
    assert cut
    screenshot(page, "commit-cut-off-inline")
    page.reload()  # as the message says: the page tells what was saved
    expect(field).to_have_text("Lovelace")

    page.goto("/contacts/new")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    with next_commit_cut_off(app):
        page.get_by_role("button", name="Create contact").click()
        expect(page.get_by_role("heading", name="The database is not answering")).to_be_visible()
    expect(page.locator("#error-message")).to_contain_text(MAYBE_SAVED)
    expect(page.get_by_text("Reference:")).to_be_visible()
    screenshot(page, "commit-cut-off-page")
