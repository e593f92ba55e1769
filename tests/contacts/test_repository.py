import pytest
from sqlalchemy import text

from crm_web.contacts import services
from crm_web.contacts.views import SORTABLE
from crm_web.core.db import db
from crm_web.lists.state import record_list_state
from tests.support import ADMIN, make_company, make_contact


def _page(**args):
    return services.list_page(record_list_state(args, SORTABLE), ADMIN)


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


def test_search_finds_names_with_or_without_their_accents(session):
    make_contact(first_name="José", last_name="Müller")
    make_contact(first_name="Jane", last_name="Mullins")
    assert _names(_page(q="muller")) == ["José Müller"]
    assert _names(_page(q="MÜLL", sort="name")) == ["Jane Mullins", "José Müller"]
    assert _names(_page(q="josé")) == ["José Müller"]


def test_keyset_pages_walk_forward_backward_and_to_the_last_page(session):
    for i in range(7):
        make_contact(first_name=f"P{i}", last_name=f"Name{i:02d}")
    from crm_web.contacts import repository as repo

    filters = record_list_state({}, SORTABLE).filters
    rows, nxt, prev = repo.list_page(
        filters, "name", False, {"after": None, "before": None, "last": False}, limit=3
    )
    assert [r.last_name for r in rows] == ["Name00", "Name01", "Name02"] and prev is None
    rows, nxt2, prev2 = repo.list_page(
        filters, "name", False, {"after": nxt, "before": None, "last": False}, limit=3
    )
    assert [r.last_name for r in rows] == ["Name03", "Name04", "Name05"]
    rows, _, _ = repo.list_page(
        filters, "name", False, {"after": None, "before": prev2, "last": False}, limit=3
    )
    assert [r.last_name for r in rows] == ["Name00", "Name01", "Name02"]
    rows, nxt3, prev3 = repo.list_page(
        filters, "name", False, {"after": None, "before": None, "last": True}, limit=3
    )
    assert [r.last_name for r in rows] == ["Name04", "Name05", "Name06"] and nxt3 is None and prev3
    rows, _, _ = repo.list_page(
        filters, "name", True, {"after": None, "before": None, "last": False}, limit=3
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

    filters = record_list_state({}, SORTABLE).filters
    seen, cursor = [], None
    while True:
        rows, cursor, _ = repo.list_page(
            filters,
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
                "EXPLAIN SELECT id FROM contacts WHERE crm_contact_search(first_name, "
                "last_name, emails, phones) LIKE '%smi%'"
            )
        )
    )
    # The list's search shares global search's accent-free trigram index (migration 0023).
    assert "idx_contacts_search_unaccent_trgm" in plan


def test_past_the_threshold_a_filtered_total_is_the_planners_estimate(session):
    from sqlalchemy import select

    from crm_web.contacts.models import Contact
    from crm_web.lists.keyset import estimate_total

    for i in range(3):
        make_contact(last_name=f"Smith{i}")
    query = select(Contact.id).where(Contact.last_name.like("Smith%"))
    total, estimated = estimate_total(query, "contacts", unfiltered=False, exact_up_to=1)
    assert estimated and total >= 2
    assert estimate_total(query, "contacts", unfiltered=False, exact_up_to=1000) == (3, False)


def _insert_contacts(n: int, last_name: str) -> None:
    """n contacts with an email and a phone, in one statement (the service would take seconds)."""
    db.session.execute(
        text(
            "INSERT INTO contacts (id, first_name, last_name, emails, phones, created_by, "
            "updated_by) SELECT gen_random_uuid(), 'Bulk', :last || i, ARRAY['b' || i || '@x.test'], "
            "ARRAY['+14155550100'], 'system', 'system' "
            "FROM generate_series(1, :n) AS i"
        ),
        {"n": n, "last": last_name},
    )
    db.session.execute(text("ANALYZE contacts"))  # counts this transaction's own rows


def _explains(statements) -> int:
    return sum(1 for s in statements if s.startswith("EXPLAIN"))


def test_an_estimated_total_is_asked_of_the_planner_once_a_minute(session):
    from tests.contacts.test_queries import counted

    _insert_contacts(1200, "Bulk")
    with counted() as statements:
        first = _page(has_phone="1")
    assert first["total_is_estimate"] and first["total"] > 1000
    assert _explains(statements) == 1
    with counted() as statements:
        again = _page(has_phone="1", after=first["next_cursor"])
    assert (again["total"], again["total_is_estimate"]) == (first["total"], True)
    assert _explains(statements) == 0
    with counted() as statements:
        _page(has_phone="1", has_email="1")  # other filters: asked anew
    assert _explains(statements) == 1


def test_an_exact_total_is_counted_on_every_page_view(session):
    _insert_contacts(60, "Smith")
    assert (_page(q="smith")["total"], _page(q="smith")["total_is_estimate"]) == (60, False)
    _insert_contacts(1, "Smith")
    assert (_page(q="smith")["total"], _page(q="smith")["total_is_estimate"]) == (61, False)


def test_a_search_sorted_by_a_column_pages_through_at_most_the_first_cap_matches(
    session, monkeypatch
):
    from crm_web.contacts import repository as repo

    monkeypatch.setattr(repo, "SEARCH_CAP", 3)
    for i in range(5):
        make_contact(last_name=f"Smith{i}")
        make_contact(last_name=f"Jones{i}", emails=[f"j{i}@smith.example"])
    assert len(_page(q="smith", sort="name")["rows"]) == 3
    # Best matches first: every name starting with the term, then at most 3 other matches.
    names = [r.last_name for r in _page(q="smith")["rows"]]
    assert names[:5] == [f"Smith{i}" for i in range(5)] and len(names) == 8
    assert len(_page()["rows"]) == 10


def _insert(people):
    """Contacts stored in this order (one INSERT, past the services: hundreds in a test)."""
    from sqlalchemy import insert

    from crm_web.contacts.models import Contact

    rows = [
        {"created_by": "test", "updated_by": "test", "emails": [], **person} for person in people
    ]
    db.session.execute(insert(Contact), rows)


def _walk(q, **args):
    """Every page of a search, following Next; checks that Previous walks the same pages back
    and that the last page is the last rows."""
    pages, cursor = [], None
    while True:
        page = _page(q=q, after=cursor, **args)
        pages.append(_names(page))
        if not (cursor := page["next_cursor"]):
            break
    back, cursor = [pages[-1]], page["prev_cursor"]
    while cursor:
        page = _page(q=q, before=cursor, **args)
        back.insert(0, _names(page))
        cursor = page["prev_cursor"]
    assert back == pages
    assert _names(_page(q=q, last="1", **args)) == sum(pages, [])[-50:]
    return pages


def test_a_common_prefix_lists_the_first_matching_names_then_pages_into_the_other_matches(
    session,
):
    farm = make_company(name="Smithfield Farms")
    smiths = [{"first_name": f"P{i:03d}", "last_name": "Smith"} for i in range(400)]
    starting = [
        *reversed(smiths),  # the alphabetically first Smiths stored last
        {"first_name": "Ann", "last_name": "SMITHERS"},
        {"first_name": "bob", "last_name": "smithson"},
    ]
    elsewhere = [
        {"first_name": "Smita", "last_name": "Adams"},  # only the first name starts with it
        *[
            {"first_name": "Cara", "last_name": f"Jones{i:02d}", "emails": [f"c{i}@smithy.example"]}
            for i in range(20)
        ],
        *[{"first_name": "Dan", "last_name": f"Field{i}", "company_id": farm.id} for i in range(5)],
    ]
    _insert([*elsewhere[:7], *starting, *elsewhere[7:], {"first_name": "Eve", "last_name": "Bo"}])

    def in_order(people):
        people = sorted(people, key=lambda p: (p["last_name"].lower(), p["first_name"].lower()))
        return [f"{p['first_name']} {p['last_name']}" for p in people]

    pages = _walk("smi")
    assert pages[0] == in_order(starting)[:50]
    assert pages[0][:3] == ["P000 Smith", "P001 Smith", "P002 Smith"]
    assert all(len(page) == 50 for page in pages[:-1])
    assert sum(pages, []) == in_order(starting) + in_order(elsewhere)


def test_a_full_name_lists_first_last_prefixes_first(session):
    _insert(
        [
            {"first_name": "Bada", "last_name": "Turner"},  # contains "ada tur"
            {"first_name": "Ada", "last_name": "Turner"},
            {"first_name": "ADA", "last_name": "Turing"},
            {"first_name": "Ada", "last_name": "Tyler"},
            {"first_name": "Mary Ann", "last_name": "Smith"},
            {"first_name": "Mary", "last_name": "Ann Smithers"},
            {"first_name": "Mary", "last_name": "Annsmith"},  # no "mary ann s" in it
        ]
    )
    assert _walk("ada tur") == [["ADA Turing", "Ada Turner", "Bada Turner"]]
    assert _walk("Mary Ann S") == [["Mary Ann Smithers", "Mary Ann Smith"]]


def test_the_prefix_tier_of_a_search_is_read_in_order_from_the_indexes_of_migration_0005(
    session,
):
    from sqlalchemy import event

    _insert([{"first_name": f"P{i}", "last_name": "Smith"} for i in range(20)])
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    connection = db.session.connection()
    event.listen(connection, "before_cursor_execute", capture)
    try:
        _page(q="ada tur")
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    statement, parameters = statements[0]  # the names starting with the term
    plan = "\n".join(r[0] for r in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters))
    assert "Index Scan using idx_contacts_last_first_lower" in plan


def test_a_term_too_short_for_trigrams_matches_last_names_starting_with_it(session):
    """Two letters can't use the trigram index: a contains-match would read every contact
    (seconds at a million, for a term nobody matches), so they match last names from an index."""
    from crm_web.contacts.models import Contact
    from crm_web.contacts.repository import count_contacts, filtered

    _insert(
        [
            {"first_name": "Ann", "last_name": "Jones"},
            {"first_name": "Joe", "last_name": "Bojo"},  # contains it, first name starts with it
            {"first_name": "Kim", "last_name": "Wu", "emails": ["jo@example.com"]},
        ]
    )
    for sort in ("relevance", "name", "updated"):
        assert _names(_page(q="jo", sort=sort)) == ["Ann Jones"]
    assert count_contacts({"q": "jo"}) == (1, False)

    from sqlalchemy import select
    from sqlalchemy.dialects import postgresql

    query = filtered(select(Contact.id), {"q": "zq"})
    sql = query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(row[0] for row in db.session.execute(text(f"EXPLAIN {sql}")))
    assert "idx_contacts_last_first_lower" in plan and "trgm" not in plan


def test_an_imports_match_finds_holders_without_walking_contacts_by_age(session):
    from crm_web.contacts import repository as repo

    for n in range(3):
        make_contact(last_name=f"Holder{n}", emails=[f"holder{n}@example.com"])
    ada = make_contact(first_name="Ada", emails=["Ada@example.com"], phones=["+14155550123"])
    found = repo.contacts_holding(["ADA@example.com", "nobody@example.com"], ["+14155550123"])
    assert found == {"ada@example.com": ada.id, "+14155550123": ada.id}
    for column in ("emails", "phones"):
        statement = repo._HOLDERS[column].text.replace("CAST(:values AS text[])", "ARRAY['x']")
        plan = "\n".join(r[0] for r in db.session.execute(text(f"EXPLAIN {statement}")))
        # An aggregate over the matches (the GIN index's, at scale), never "the first contact
        # by age that holds it": walking contacts by age reads them all for a new value.
        assert "Limit" not in plan and "created_at" not in plan, plan
