"""No N+1: the number of SQL statements a list page runs does not grow with its rows."""

import re

import pytest
from sqlalchemy import text, update

from crm_web.accounts.services import set_active
from crm_web.contacts.models import Contact
from crm_web.core.db import db
from tests.support import ADMIN, counted, make_company, make_contact, make_user, sign_in


def _fill(n, start):
    for i in range(start, n):
        company = make_company(name=f"Company {i}", address={"city": "Paris"})
        make_contact(
            last_name=f"Person {i:03d}",
            company_id=company.id,
            emails=[f"p{i}@x.example"],
            phones=["+14155550100"],
        )


@pytest.mark.parametrize(
    "url",
    [
        "/contacts/",
        "/contacts/?q=person",
        "/companies/",
        "/contacts/?sort=company",
        "/companies/?sort=owner",
    ],
)
def test_list_pages_run_the_same_number_of_queries_for_3_and_40_rows(client, no_csrf, url):
    sign_in(client)
    _fill(3, 0)
    with counted() as few:
        assert client.get(url).status_code == 200
    _fill(40, 3)
    with counted() as many:
        page = client.get(url)
    expected = "Company 39" if "companies" in url else "Person 039"
    assert page.status_code == 200 and expected in page.get_data(as_text=True)
    assert len(many) == len(few), many


def test_record_page_query_count_does_not_grow_with_history(client, no_csrf):
    from crm_web.contacts.services import update_contact

    sign_in(client, "manager")  # who sees the History card
    contact = make_contact()
    with counted() as before:
        client.get(f"/contacts/{contact.id}")
    for i in range(10):
        update_contact(contact.id, {"last_name": f"Name {i}"}, ADMIN)
    with counted() as after:
        client.get(f"/contacts/{contact.id}")
    assert len(after) == len(before)


def test_deleting_a_contact_finds_those_merged_into_it_down_an_index(session):
    """Its foreign key's ON DELETE SET NULL looks up contacts by merged_into_id: without the
    index each deleted contact read the whole table (a 10,000-contact clean-up timed out)."""
    survivor = make_contact(last_name="Survivor")
    merged = [make_contact(last_name=f"Merged {i}").id for i in range(30)]
    db.session.execute(
        update(Contact).where(Contact.id.in_(merged)).values(merged_into_id=survivor.id)
    )
    db.session.execute(text("ANALYZE contacts"))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = db.session.execute(
        text("EXPLAIN UPDATE contacts SET merged_into_id = NULL WHERE merged_into_id = :id"),
        {"id": survivor.id},
    ).scalars()
    plan = "\n".join(plan)
    assert "idx_contacts_merged_into" in plan, plan


@pytest.mark.parametrize("url", ["/contacts/", "/companies/"])
def test_a_list_page_reads_its_owner_filter_with_the_signed_in_user(client, url):
    """The Owner filter's users are read in the signed-in user's statement: the page runs that
    and the list's own (three before). Every active user is offered, by name, and one who was
    deactivated is no longer (the pickers are read afresh for each page, never kept)."""
    sign_in(client, "manager", name="Mona Manager")
    leaving = make_user("rep", name="Lee Leaving")
    with counted() as statements:
        page = client.get(url).get_data(as_text=True)
    reads = [s for s in statements if "SAVEPOINT" not in s]
    assert len(reads) == 2 and "users.session_version" in reads[0], reads
    # (the contact list offers them twice: its filter and its bulk owner change)
    offered = list(dict.fromkeys(re.findall(r'<option value="[0-9a-f-]{36}">([^<]+)<', page)))
    assert {"Mona Manager", "Lee Leaving"} <= set(offered) and offered == sorted(offered)
    set_active(leaving.id, False, ADMIN)
    assert "Lee Leaving" not in client.get(url).get_data(as_text=True)
