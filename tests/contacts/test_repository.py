import pytest
from sqlalchemy import text

from crm_web.contacts import services
from crm_web.contacts.forms import list_params
from crm_web.core.db import db
from tests.support import ADMIN, make_company, make_contact


def _page(**args):
    return services.list_page(list_params(args), ADMIN)


def _names(page):
    return [f"{r.first_name} {r.last_name}" for r in page["rows"]]


def test_search_matches_name_email_phone_in_any_format_and_company(session):
    acme = make_company(name="Initech")
    make_contact(first_name="Jane", last_name="Smith", emails=["jane@corp.example"])
    make_contact(first_name="Bob", last_name="Jones", phones=["(415) 555-0100"])
    make_contact(first_name="Carl", last_name="Wu", company_id=acme.id)
    make_contact(first_name="Dora", last_name="Lee", emails=["dora@smi.example"])
    assert _names(_page(q="smi")) == ["Jane Smith", "Dora Lee"]  # name matches first
    assert _names(_page(q="smi", sort="name")) == ["Dora Lee", "Jane Smith"]
    assert _names(_page(q="Jane Smith")) == ["Jane Smith"]
    assert _names(_page(q="415-555-0100")) == ["Bob Jones"]
    assert _names(_page(q="+1 415 555 0100")) == ["Bob Jones"]
    assert _names(_page(q="initech")) == ["Carl Wu"]
    assert _names(_page(q="100%")) == []


def test_keyset_pages_walk_forward_backward_and_to_the_last_page(session):
    for i in range(7):
        make_contact(first_name=f"P{i}", last_name=f"Name{i:02d}")
    from crm_web.contacts import repository as repo

    params = list_params({})
    rows, nxt, prev = repo.list_page(
        params["filters"], "name", False, {"after": None, "before": None, "last": False}, limit=3
    )
    assert [r.last_name for r in rows] == ["Name00", "Name01", "Name02"] and prev is None
    rows, nxt2, prev2 = repo.list_page(
        params["filters"], "name", False, {"after": nxt, "before": None, "last": False}, limit=3
    )
    assert [r.last_name for r in rows] == ["Name03", "Name04", "Name05"]
    rows, _, _ = repo.list_page(
        params["filters"], "name", False, {"after": None, "before": prev2, "last": False}, limit=3
    )
    assert [r.last_name for r in rows] == ["Name00", "Name01", "Name02"]
    rows, nxt3, prev3 = repo.list_page(
        params["filters"], "name", False, {"after": None, "before": None, "last": True}, limit=3
    )
    assert [r.last_name for r in rows] == ["Name04", "Name05", "Name06"] and nxt3 is None and prev3
    rows, _, _ = repo.list_page(
        params["filters"], "name", True, {"after": None, "before": None, "last": False}, limit=3
    )
    assert [r.last_name for r in rows] == ["Name06", "Name05", "Name04"]


@pytest.mark.parametrize("sort", ["name", "email", "phone", "updated", "company", "owner"])
def test_every_sort_pages_through_all_rows_exactly_once(session, sort):
    company = make_company(name="Zeta")
    for i in range(5):
        extra = {"emails": [f"p{i}@x.example"]} if i % 2 else {"phones": [f"+1415555010{i}"]}
        if i == 3:
            extra["company_id"] = company.id
        make_contact(first_name="P", last_name=f"N{i}", **extra)
    from crm_web.contacts import repository as repo

    params = list_params({})
    seen, cursor = [], None
    while True:
        rows, cursor, _ = repo.list_page(
            params["filters"],
            sort,
            False,
            {"after": cursor, "before": None, "last": False},
            limit=2,
        )
        seen += [r.last_name for r in rows]
        if cursor is None:
            break
    assert sorted(seen) == [f"N{i}" for i in range(5)]


def test_totals_are_exact_when_small(session):
    make_contact()
    make_contact(last_name="Smith")
    page = _page(q="smith")
    assert (page["total"], page["total_is_estimate"]) == (1, False)


def test_list_and_search_queries_use_the_indexes_of_migration_0003(session):
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(
        r[0]
        for r in db.session.execute(
            text(
                "EXPLAIN SELECT id FROM contacts WHERE crm_contact_search_text(first_name, "
                "last_name, emails, phones) LIKE '%smi%'"
            )
        )
    )
    assert "idx_contacts_search_trgm" in plan


def test_past_the_threshold_a_filtered_total_is_the_planners_estimate(session):
    from sqlalchemy import select

    from crm_web.contacts.models import Contact
    from crm_web.search.keyset import estimate_total

    for i in range(3):
        make_contact(last_name=f"Smith{i}")
    query = select(Contact.id).where(Contact.last_name.like("Smith%"))
    total, estimated = estimate_total(query, "contacts", unfiltered=False, exact_up_to=1)
    assert estimated and total >= 2
    assert estimate_total(query, "contacts", unfiltered=False, exact_up_to=1000) == (3, False)


def test_a_broad_search_pages_through_at_most_the_first_cap_matches(session, monkeypatch):
    from crm_web.contacts import repository as repo

    monkeypatch.setattr(repo, "SEARCH_CAP", 3)
    for i in range(5):
        make_contact(last_name=f"Smith{i}")
    assert len(_page(q="smith")["rows"]) == 3
    assert len(_page()["rows"]) == 5
