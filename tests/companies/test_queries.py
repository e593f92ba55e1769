"""The company list page's statement: what it reads, and how PostgreSQL reads it."""

from sqlalchemy import text

from crm_web.companies import services
from crm_web.companies.views import SORTABLE
from crm_web.contacts.services import archive_contact
from crm_web.core.db import db
from crm_web.lists.state import record_list_state
from tests.plans import plan_of, tree
from tests.support import ADMIN, make_company, make_contact


def _scans(node: dict):
    yield node
    for child in node.get("Plans", ()):
        yield from _scans(child)


def _page(**args):
    return services.list_page(record_list_state(args, SORTABLE), ADMIN, cells=True)


def test_the_list_counts_live_contacts_from_the_index_alone(session):
    """Each row's number of contacts is an index-only scan of (company_id, archived_at) (migration
    0024): through (company_id) it read every contact's row to see whether it was archived."""
    acme = make_company(name="Acme")
    make_contact(company_id=acme.id)
    archive_contact(make_contact(company_id=acme.id).id, ADMIN)
    make_company(name="Bare")
    db.session.execute(text("ANALYZE contacts, companies"))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a test table is tiny
    db.session.execute(text("SET LOCAL enable_bitmapscan = off"))
    plan = plan_of(lambda: _page())
    counts = [
        node
        for node in _scans(plan)
        if node.get("Relation Name") == "contacts"
        or node.get("Index Name", "").startswith("idx_contacts")
    ]
    assert [(n["Node Type"], n.get("Index Name")) for n in counts] == [
        ("Index Only Scan", "idx_contacts_company_archived")
    ], tree(plan)
    # The archived contact is not counted; a company without contacts has 0.
    assert [(row.name, row.contact_count) for row in _page()["rows"]] == [("Acme", 1), ("Bare", 0)]


def test_the_list_reads_the_city_and_country_as_text_not_the_address(session):
    """The address JSON, decoded per row by the driver, was a third of reading a page: the list
    reads the two parts it shows as text, and nothing it does not show."""
    make_company(name="Acme", address={"city": "Paris", "country": "FR", "street": "1 Rue"})
    row = _page()["rows"][0]
    assert (row.city, row.country) == ("Paris", "FR")
    assert not {"address", "website", "phone", "custom_fields"} & set(row._fields)
