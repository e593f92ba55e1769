"""A record page reads its data in one prebuilt statement (issue 16 point 3): the contact's,
company's and deal's pages run the same few statements whether they list one deal, task, note
and timeline entry or dozens, and still show them all."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_web.contacts.services import update_contact
from tests.support import (
    ADMIN,
    counted,
    make_company,
    make_contact,
    make_deal,
    make_note,
    make_task,
    sign_in,
)

# The signed-in user, the page's statement, and the layout's due-tasks badge (two).
MOST = 4
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
    for n in range(25):
        assert f"Task {n:02}" in html and f"Note {n:02}" in html
        assert kind == "deal" or n >= 20 or f"Deal {n:02}" in html
    assert 'datetime="2031-01-25"' in html  # the last task's due day, read back as a date
