"""Lists sorted by a related name (a contact's company or owner, a company's owner) or by a
company's city, country or last update: in the right order after renames and moves, and each
page read in order from its index (migration 0006) instead of sorting every row."""

import pytest
from sqlalchemy import text

from crm_web.companies import repository as company_repo
from crm_web.companies.services import update_company
from crm_web.contacts import repository as contact_repo
from crm_web.contacts.services import update_contact
from crm_web.core.db import db
from tests.plans import cursors_to_check, plan_of, read_in_order, sorts, tree
from tests.support import ADMIN, make_company, make_contact, make_user

FIRST = {"after": None, "before": None, "last": False}
LIVE = {"q": "", "owner_id": "", "company_id": "", "archived": False}


def _contacts(sort, descending=False):
    rows, _, _ = contact_repo.list_page(LIVE, sort, descending, FIRST)
    return [row.last_name for row in rows]


def _companies(sort, descending=False):
    rows, _, _ = company_repo.list_page(LIVE, sort, descending, FIRST)
    return [row.name for row in rows]


def test_contacts_sorted_by_company_follow_renames_and_moves(session):
    beta, alpha = make_company(name="Beta"), make_company(name="Alpha")
    make_contact(last_name="AtBeta", company_id=beta.id)
    moving = make_contact(last_name="AtAlpha", company_id=alpha.id)
    make_contact(last_name="Nowhere")
    assert _contacts("company") == ["AtAlpha", "AtBeta", "Nowhere"]  # no company: last
    assert _contacts("company", descending=True) == ["Nowhere", "AtBeta", "AtAlpha"]
    update_company(alpha.id, {"name": "Zulu"}, ADMIN)
    assert _contacts("company") == ["AtBeta", "AtAlpha", "Nowhere"]
    update_contact(moving.id, {"company_id": None}, ADMIN)
    assert _contacts("company") == ["AtBeta", "AtAlpha", "Nowhere"]  # both without, by name
    update_contact(moving.id, {"company_id": str(beta.id)}, ADMIN)
    assert _contacts("company") == ["AtAlpha", "AtBeta", "Nowhere"]  # two at Beta, by name


def test_contacts_and_companies_sorted_by_owner_follow_reassignment_and_renames(session):
    bea, al = make_user(name="Bea"), make_user(name="Al")
    make_contact(last_name="OfBea", owner_id=bea.id)
    reassigned = make_contact(last_name="OfAl", owner_id=al.id)
    make_contact(last_name="Unowned")
    make_company(name="Bea's", owner_id=bea.id)
    make_company(name="Al's", owner_id=al.id)
    make_company(name="Nobody's")
    assert _contacts("owner") == ["OfAl", "OfBea", "Unowned"]
    assert _companies("owner") == ["Al's", "Bea's", "Nobody's"]
    # No page renames users yet; however it happens, the sorts follow.
    db.session.execute(text("UPDATE users SET name = 'Zed' WHERE id = :id"), {"id": al.id})
    assert _contacts("owner") == ["OfBea", "OfAl", "Unowned"]
    assert _companies("owner") == ["Bea's", "Al's", "Nobody's"]
    update_contact(reassigned.id, {"owner_id": str(bea.id)}, ADMIN)
    assert _contacts("owner") == ["OfAl", "OfBea", "Unowned"]  # both Bea's, by name


def test_companies_sorted_by_city_and_country_list_those_without_last(session):
    make_company(name="Lyon Co", address={"city": "Lyon", "country": "FR"})
    make_company(name="Austin Co", address={"city": "Austin", "country": "US"})
    make_company(name="Nowhere Co")
    assert _companies("city") == ["Austin Co", "Lyon Co", "Nowhere Co"]
    assert _companies("country") == ["Lyon Co", "Austin Co", "Nowhere Co"]
    assert _companies("city", descending=True) == ["Nowhere Co", "Lyon Co", "Austin Co"]


# 3,000 contacts over 3,000 companies and 3 owners (a tenth without either), and fresh
# statistics: the plans of a near-empty table say nothing.
MANY = """
INSERT INTO companies (name, address, owner_id, created_by, updated_by)
SELECT 'Company ' || md5(g::text),
       CASE WHEN g % 10 <> 0 THEN jsonb_build_object('city', 'City ' || g % 40,
                                                     'country', 'C' || g % 7) END,
       CASE WHEN g % 10 <> 0 THEN (CAST(:owners AS uuid[]))[1 + g % 3] END, 'test', 'test'
FROM generate_series(1, 3000) g;
INSERT INTO contacts (first_name, last_name, company_id, owner_id, created_by, updated_by)
SELECT 'First', 'Last ' || md5(g::text),
       CASE WHEN g % 10 <> 0 THEN (SELECT array_agg(id) FROM companies)[1 + g % 3000] END,
       CASE WHEN g % 10 <> 0 THEN (CAST(:owners AS uuid[]))[1 + g % 3] END, 'test', 'test'
FROM generate_series(1, 3000) g;
ANALYZE contacts, companies, users;
"""


@pytest.fixture
def many(session):
    owners = [str(make_user(name=name).id) for name in ("Ann", "Bo", "Cy")]
    for statement in MANY.split(";")[:-1]:
        db.session.execute(text(statement), {"owners": owners})
    db.session.execute(text("SET LOCAL enable_seqscan = off"))  # as migration 0003's test


CASES = [
    (contact_repo, "company", "idx_contacts_company_keyset"),
    (contact_repo, "owner", "idx_contacts_owner_keyset"),
    (company_repo, "city", "idx_companies_city_keyset"),
    (company_repo, "country", "idx_companies_country_keyset"),
    (company_repo, "owner", "idx_companies_owner_keyset"),
    (company_repo, "updated", "idx_companies_updated_keyset"),
]


@pytest.mark.parametrize("repo, sort, index", CASES)
def test_pages_are_read_in_order_from_the_indexes_of_migration_0006(many, repo, sort, index):
    for cursor in cursors_to_check(lambda c, n: repo.list_page(LIVE, sort, False, c, n), 120):
        plan = plan_of(lambda c=cursor: repo.list_page(LIVE, sort, False, c))
        assert read_in_order(plan, index) and not sorts(plan), tree(plan)
