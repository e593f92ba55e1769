"""Record pages as the records layer reads them: a deal's notes; the History card, which
follows the permission table (audit.read: managers and admins) and pages back PAGE_SIZE (20)
at a time; and
each page's data read in one prebuilt statement (issue 16 point 3): the contact's, company's and
deal's pages run the same few statements whether they list one deal, task, note and timeline
entry or dozens, and still show them all."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import g
from sqlalchemy import text

from crm_web.activities.services import RECORD_LISTS
from crm_web.audit.services import history_page
from crm_web.contacts.services import update_contact
from crm_web.core.actor import Actor
from crm_web.core.db import db
from crm_web.core.errors import PermissionDenied
from crm_web.lists.keyset import encode_cursor
from crm_web.records import pages
from crm_web.records.timeline import PAGE_SIZE
from tests.support import (
    ADMIN,
    HX_REQUEST,
    counted,
    make_company,
    make_contact,
    make_deal,
    make_note,
    make_task,
    sign_in,
)

ENTRY = re.compile(r'<span class="history-who">')
OLDER = re.compile(r'hx-get="([^"]*\?before=[^"]*)"')


def _records():
    company = make_company(name="Initech")
    contact = make_contact(company_id=company.id)
    deal = make_deal(company_id=company.id, title="Renewal")
    return {
        f"/contacts/{contact.id}": contact,
        f"/companies/{company.id}": company,
        f"/deals/{deal.id}": deal,
    }


def test_a_deal_page_lists_the_deal_s_notes_beside_its_tasks(client):
    sign_in(client, "rep")
    deal = make_deal(title="Renewal")
    make_task("deal", deal.id, description="Send the quote")
    make_note("deal", deal.id, content="Asked for a 10% discount")
    make_note("contact", make_contact().id, content="Not this one")
    html = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    notes = html[html.index('id="notes"') :]
    assert "Asked for a 10% discount" in notes and "Not this one" not in html
    assert "Send the quote" in html
    assert [n.content for n in pages.deal_page(deal.id, ADMIN)["notes"].rows] == [
        "Asked for a 10% discount"
    ]


# (A test signs in once: its requests share the test's app context, and with it the user.)
@pytest.mark.parametrize(
    ("role", "sees_changes"),
    [("rep", False), ("viewer", False), ("manager", True), ("admin", True)],
)
def test_field_changes_are_for_managers_and_admins_only(client, role, sees_changes):
    """audit.read (crm_web/core/permissions.py): everyone who reads a record sees its Timeline
    card with its tasks' and notes' activity; only audit.read shows its own changes there, and
    only audit.read reads the raw history (the API's)."""
    sign_in(client, role)
    records = _records()
    for url in records:
        page = client.get(url).get_data(as_text=True)
        assert 'id="history"' in page
        assert ("created this record" in page) is sees_changes
        entries = client.get(f"{url}/history", headers=HX_REQUEST)
        assert entries.status_code == 200
        assert ("created this record" in entries.text) is sees_changes
    someone = Actor(id=f"user-{role}", role=role)
    contact = next(iter(records.values()))
    assert pages.contact_page(contact.id, someone)["history"]["activity_only"] is not sees_changes
    if not sees_changes:
        with pytest.raises(PermissionDenied):
            pages.history("contact", contact.id, someone)
        with pytest.raises(PermissionDenied):
            history_page("contact", contact.id, someone)
    else:
        deal = next(r for url, r in records.items() if url.startswith("/deals/"))
        assert pages.history("deal", deal.id, someone)["entries"]


def test_history_pages_back_a_page_at_a_time_newest_first(client):
    sign_in(client, "manager")
    contact = make_contact(last_name="Name 00")
    last = PAGE_SIZE + 10  # a page of changes, ten more, and the create
    for n in range(1, last + 1):
        update_contact(contact.id, {"last_name": f"Name {n:02}"}, ADMIN)
    html = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    card = html[html.index('id="history"') :]
    assert len(ENTRY.findall(card)) == PAGE_SIZE
    # Newest first: the last change leads, the 11 oldest entries are not on the first page.
    assert card.index(f"to <q>Name {last:02}</q>") < card.index(f"to <q>Name {last - 1:02}</q>")
    assert "to <q>Name 10</q>" not in card and "created this record" not in card
    older_url = OLDER.search(card).group(1)
    assert older_url.startswith(f"/contacts/{contact.id}/history?before=")

    older = client.get(older_url, headers=HX_REQUEST).get_data(as_text=True)
    assert len(ENTRY.findall(older)) == 11
    assert "<ol" not in older  # the <li>s that replace the "Show older" button
    assert older.index("to <q>Name 10</q>") < older.index("created this record")
    assert "to <q>Name 11</q>" not in older and "Show older" not in older


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!",
        encode_cursor(["not a time", 1]),
        encode_cursor(["2020-01-01T00:00:00+00:00", 10**40]),
        encode_cursor(["2020-01-01T00:00:00+00:00"]),
        encode_cursor([1, 2, 3]),
    ],
)
def test_a_forged_history_cursor_reads_as_the_first_page(client, cursor):
    sign_in(client, "manager")
    contact = make_contact(last_name="Name 00")
    last = PAGE_SIZE + 1
    for n in range(1, last + 1):
        update_contact(contact.id, {"last_name": f"Name {n:02}"}, ADMIN)
    response = client.get(f"/contacts/{contact.id}/history?before={cursor}", headers=HX_REQUEST)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(ENTRY.findall(html)) == PAGE_SIZE and "Show older" in html
    assert html.index(f"to <q>Name {last:02}</q>") < html.index(f"to <q>Name {last - 1:02}</q>")


# The page's statement, with the signed-in user's and the layout's due-tasks badge in it
# (records.page_query.PageWithUser).
MOST = 1
SAVEPOINTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def _fill(kind: str, record, company, contact, start: int, stop: int) -> None:
    for n in range(start, stop):
        make_task(kind, record.id, description=f"Task {n:02}", due_date=dt.date(2031, 1, n + 1))
        make_note(kind, record.id, content=f"Note {n:02}")
        if kind != "deal" and n < 20:  # a page lists 20 (then "All deals")
            make_deal(title=f"Deal {n:02}", company_id=company.id, contact_id=contact.id)
        if kind == "contact":
            update_contact(record.id, {"job_title": f"Title {n:02}"}, ADMIN)


def _statements(client, url: str) -> tuple[int, str]:
    with counted() as statements:
        response = client.get(url)
    assert response.status_code == 200
    # (the test session's savepoints are not the page's)
    sql = [statement for statement in statements if not statement.startswith(SAVEPOINTS)]
    return len(sql), response.get_data(as_text=True)


@pytest.mark.parametrize("kind", ["contact", "company", "deal"])
@pytest.mark.parametrize("role", ["manager", "rep"])
def test_a_record_page_runs_the_same_few_statements_for_one_item_of_each_kind_and_25(
    client, kind, role
):
    sign_in(client, role)
    company = make_company(name="Fewer Statements Ltd")
    contact = make_contact(company_id=company.id)
    record = {"contact": contact, "company": company}.get(kind) or make_deal(
        title="The big one", company_id=company.id, contact_id=contact.id
    )
    url = {"contact": "/contacts/", "company": "/companies/", "deal": "/deals/"}[kind]
    url += str(record.id)
    _fill(kind, record, company, contact, 0, 1)
    few, _ = _statements(client, url)
    _fill(kind, record, company, contact, 1, 25)
    many, html = _statements(client, url)
    assert many == few <= MOST, (few, many)
    # The Tasks card shows the 20 open tasks due soonest, the Notes card 10 notes, each list
    # with its "Show more" (tests/records/test_attached.py follows them).
    tasks = html[html.index('id="tasks"') : html.index('id="notes"')]
    notes = html[html.index('id="notes"') : html.index('id="history"')]
    for n in range(25):
        assert (f"Task {n:02}" in tasks) == (n < RECORD_LISTS["open"].size)
        assert kind == "deal" or n >= 20 or f"Deal {n:02}" in html
    assert sum(f"Note {n:02}" in notes for n in range(25)) == RECORD_LISTS["notes"].size
    assert "Show more open tasks" in tasks and "Show older notes" in notes
    assert 'datetime="2031-01-20"' in html  # the last shown task's due day, read back as a date
    # The Timeline card of the role, chosen in the same statement: a manager reads the audit
    # log (the contact's field changes among its entries), a rep the activity alone.
    history = html[html.index('id="history"') :]
    assert "Note 24" in history
    assert kind != "contact" or ("Title 24" in history) == (role == "manager")


def _record_url(kind: str) -> tuple[str, str]:
    """A new record of `kind`'s page and the name it shows."""
    company = make_company(name="Revoked Reading Ltd")
    if kind == "company":
        return f"/companies/{company.id}", company.name
    if kind == "contact":
        contact = make_contact(first_name="Rhoda", last_name="Revoked", company_id=company.id)
        return f"/contacts/{contact.id}", "Rhoda Revoked"
    deal = make_deal(title="Revoked Renewal", company_id=company.id)
    return f"/deals/{deal.id}", deal.title


@pytest.mark.parametrize("kind", ["contact", "company", "deal"])
@pytest.mark.parametrize("change", ["deactivated", "signed out elsewhere"])
def test_a_record_page_read_with_its_user_still_ends_a_revoked_session_at_once(
    client, kind, change
):
    """The page's statement reads the record with the signed-in user: a session ended since
    the last page (the user deactivated, or its version bumped) must still go to sign-in,
    and show none of the record it read."""
    user = sign_in(client, "rep")
    url, name = _record_url(kind)
    assert name in client.get(url).text
    column = (
        "active = false" if change == "deactivated" else "session_version = session_version + 1"
    )
    db.session.execute(text(f"UPDATE users SET {column} WHERE id = :id"), {"id": user.id})
    g.pop("_login_user", None)  # the test's app context outlives a request: see sign_in
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert name not in response.text


@pytest.mark.parametrize("kind", ["contact", "company", "deal"])
def test_a_record_page_of_no_record_is_404_with_its_user_read(client, kind):
    sign_in(client, "rep")
    prefix = {"contact": "/contacts/", "company": "/companies/", "deal": "/deals/"}[kind]
    for record_id in ("0f0e0d0c-0b0a-4908-8706-050403020100", "not-an-id"):
        response = client.get(prefix + record_id)
        assert response.status_code == 404, record_id
        assert "Sign out" in response.text  # the page frame, for the user read with it


def test_every_record_page_statement_is_prepared_not_rendered_on_each_run(app):
    """An IN list in a prebuilt statement is rendered anew on every run, unprepared, and
    PostgreSQL plans it each time: a rep's or viewer's record page (the activity-only
    Timeline's IN of tasks and notes) cost twice an admin's until it read = ANY of an array."""
    from crm_web.core.repository import _compiled
    from crm_web.records import page_query

    queries = [
        *page_query.CONTACT.values(),
        *page_query.COMPANY.values(),
        *page_query.DEAL.values(),
        *page_query.WITH_USER.values(),
    ]
    with app.app_context():
        for query in queries:
            assert "__[POSTCOMPILE_" not in _compiled(query.statement)[1]
