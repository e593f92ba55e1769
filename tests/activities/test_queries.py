"""The nav badge's count and the /tasks sections are served by migration 0009's partial index
on open tasks (assignee, due date): EXPLAIN says so on a table of many users' tasks."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import text

from crm_web.activities import repository as repo
from crm_web.companies.services import archive_company
from crm_web.core.db import db
from crm_web.lists.keyset import Explain, encode_cursor
from crm_web.lists.keyset import decode_cursor as keyset_values
from tests.plans import explained, statements_of
from tests.support import (
    ADMIN,
    counted,
    make_company,
    make_contact,
    make_deal,
    make_task,
    make_user,
    sign_in,
)

MANY_TASKS = """
INSERT INTO tasks (description, due_date, status, assignee_id, created_by, updated_by)
SELECT 'Task ' || n, CURRENT_DATE + (n % 40 - 20), CASE WHEN n % 7 = 0 THEN 'closed' ELSE 'open' END,
       u.id, 'test', 'test'
FROM generate_series(1, 20000) AS n
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM users WHERE id = ANY(:ids)) u
  ON u.i = n % 20
"""


def _indexes(plan) -> set[str]:
    found = set()
    if "Index Name" in plan:
        found.add(plan["Index Name"])
    for child in plan.get("Plans", []):
        found |= _indexes(child)
    return found


@pytest.fixture
def many_tasks(session):
    users = [make_user("rep") for _ in range(20)]
    # Spread over these 20 users only: other tests may have left users committed. A user gets
    # every 20th task and closes every 7th (coprime: each user has open and closed ones; with
    # every 5th, the users numbered 0, 5, 10 and 15 in id order had only closed tasks, and a
    # test asking about one of them failed one run in five).
    db.session.execute(text(MANY_TASKS), {"ids": [user.id for user in users]})
    db.session.execute(text("ANALYZE tasks"))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    return users


def test_the_badge_count_reads_the_open_tasks_index(many_tasks):
    query = repo.due_count_query(many_tasks[3].id, dt.date.today(), "Europe/Berlin")
    plan = json.loads(json.dumps(db.session.execute(Explain(query)).scalar()))[0]["Plan"]
    assert "idx_tasks_assignee_open_due" in _indexes(plan), plan
    # Every user of the fixture has open tasks overdue: whichever one a test picks counts some.
    assert all(repo.due_count(user.id, dt.date.today(), "UTC") > 0 for user in many_tasks)


def _first_statement(call):
    """The SQL and values of the first statement `call()` runs (a page of /tasks: its first
    section's)."""
    return statements_of(call)[0]


@pytest.mark.parametrize("whose", ["one assignee", "anyone"])
def test_a_page_of_my_tasks_reads_a_section_in_order_down_an_index(many_tasks, whose):
    now = dt.datetime.now(dt.UTC)
    assignee = many_tasks[3].id if whose == "one assignee" else None
    query = _first_statement(
        lambda: repo.task_page(
            {"assignee_id": assignee}, now.date(), now, "UTC", {"after": None, "before": None}
        )
    )
    plan = explained(query)
    # Overdue, the first section: the index of dated open tasks (no undated ones to step over).
    wanted = "idx_tasks_open_assignee_dated_order" if assignee else "idx_tasks_open_dated_order"
    assert wanted in _indexes(plan), plan
    assert '"Sort"' not in json.dumps(plan) or "Incremental" in json.dumps(plan), plan


UNDATED_LONG_AGO = """
INSERT INTO tasks (description, status, assignee_id, created_by, updated_by, created_at)
SELECT 'Someday ' || n, 'open', (SELECT id FROM users LIMIT 1), 'test', 'test',
       now() - interval '1 year' + n * interval '1 minute'
FROM generate_series(1, 5000) AS n
"""


def _removed_by_filter(plan) -> int:
    return plan.get("Rows Removed by Filter", 0) + sum(
        _removed_by_filter(child) for child in plan.get("Plans", [])
    )


def test_overdue_tasks_are_not_read_past_a_years_undated_ones(many_tasks):
    """Tasks without a due day sort by when they were made: they must not stand in Overdue's way
    (the first page of anyone's tasks stepped over every one of them)."""
    db.session.execute(text(UNDATED_LONG_AGO))
    db.session.execute(text("ANALYZE tasks"))
    now = dt.datetime.now(dt.UTC)
    query = _first_statement(
        lambda: repo.task_page({}, now.date(), now, "UTC", {"after": None, "before": None})
    )
    plan = explained(query, analyze=True)
    assert _removed_by_filter(plan) < 1000, plan


LAST_OVERDUE = """
SELECT coalesce(due_at, timezone('UTC', due_date::timestamp), created_at) AS key, id
FROM tasks WHERE status = 'open' AND due_date < :today AND assignee_id = ANY(:ids)
ORDER BY key DESC, id DESC LIMIT 3
"""


def test_the_page_where_overdue_ends_reads_no_further_than_the_sections_shown(many_tasks):
    """The page after the last overdue tasks but two: those two, then Today's first ones. Each
    section's scan stops at its end, never reading the later sections' tasks (anyone's: the
    Overdue scan read every open task due later, 0.8 s at 720,000)."""
    now = dt.datetime.now(dt.UTC)
    ids = [user.id for user in many_tasks]
    *_, third_last = db.session.execute(text(LAST_OVERDUE), {"today": now.date(), "ids": ids})
    cursor = {"after": encode_cursor((0, *third_last))}
    call = lambda: repo.task_page({}, now.date(), now, "UTC", cursor)  # noqa: E731
    rows, _, _ = call()
    sections = [repo.SECTIONS[row[len(repo.ROW_COLUMNS)]] for row in rows]
    assert sections[:2] == ["overdue", "overdue"] and set(sections[2:]) == {"today"}
    # Overdue's scan passes today's tasks due before now, Today's tomorrow's first hours: ~860
    # here (~430 open tasks a day). Without the bounds: 9,600, every open task due later.
    read = sum(_removed_by_filter(explained(s, analyze=True)) for s in statements_of(call))
    assert read < 2000, read


@pytest.mark.parametrize("term", ["zqxw", "zq"])
def test_a_search_nothing_matches_reads_the_titles_index_not_every_task(many_tasks, term):
    """Each section looks the term up in the titles' trigram index (a term of two characters:
    titles starting with it) rather than reading its tasks until a page is full, every one of
    them when nothing matches (2 s for anyone's at a million tasks)."""
    now = dt.datetime.now(dt.UTC)
    call = lambda: repo.task_page({"q": term}, now.date(), now, "UTC", {})  # noqa: E731
    assert call()[0] == []
    plans = [explained(s, analyze=True) for s in statements_of(call)]
    assert len(plans) == len(repo.SECTIONS)
    # Without the index: every one of the 20,000 tasks, 20,857 rows filtered out. With it a
    # section may still read its own short run where PostgreSQL finds that cheaper (Today's
    # ~860 by the sort key, the week's ~2,900 done ones), never every task.
    assert sum(map(_removed_by_filter, plans)) < 5000, plans
    assert any("idx_tasks_description_trgm" in _indexes(plan) for plan in plans), plans


def test_the_home_pages_due_tasks_read_the_open_tasks_index(many_tasks):
    today = dt.date.today()
    seen = _first_statement(lambda: repo.due_tasks(many_tasks[3].id, today, "Europe/Berlin", 21))
    plan = explained(seen)
    # Either partial index on the assignee's open tasks: their due range, or their order.
    assert {"idx_tasks_assignee_open_due", "idx_tasks_open_assignee_dated_order"} & _indexes(
        plan
    ), plan
    assert "Seq Scan" not in json.dumps(plan), plan
    rows = repo.due_tasks(many_tasks[3].id, today, "UTC", 21)
    assert len(rows) == 21 and all(row.due_date <= today for row in rows)


def _fill(count: int, assignee) -> None:
    """`count` tasks of `assignee` spread over the sections and the three kinds of record."""
    today = dt.date.today()
    contact, company = make_contact(), make_company()
    deal = make_deal(company_id=company.id)
    records = [("contact", contact.id), ("company", company.id), ("deal", deal.id), (None, None)]
    for n in range(count):
        kind, record_id = records[n % 4]
        due = today + dt.timedelta(days=n % 5 - 2) if n % 6 else None
        status = "closed" if n % 7 == 0 else "open"
        fields = {"due_date": due, "assignee_id": assignee, "status": status}
        make_task(kind, record_id, description=f"Follow up {n}", **fields)


def _page_statements(client, url: str) -> tuple[list, str]:
    db.session.expire_all()
    with counted() as statements:
        response = client.get(url)
    assert response.status_code == 200
    # The test's savepoints are not the page's.
    statements = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]
    return statements, response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/tasks/", "/tasks/?assignee=anyone", "/"])
def test_my_tasks_and_home_pages_run_a_few_statements_whatever_the_tasks_shown(client, url):
    manager = sign_in(client, "manager")
    _fill(5, manager.id)
    # The home page's rows are <li>s, /tasks' a grid's.
    row, link = ('class="task-item', 'class="task-record-link"')
    if url != "/":
        row, link = ("<tr data-id=", re.compile(r"(Contact|Company|Deal) <a href="))
    few, page = _page_statements(client, url)
    assert page.count(row) >= 2
    _fill(120, manager.id)
    many, page = _page_statements(client, url)
    # A full page: 50 rows on /tasks, the 20 due on the home page, each with its record's link.
    assert page.count(row) == (20 if url == "/" else 50)
    assert len(re.findall(link, page)) >= 10
    # One statement a section read: a full page may stop before the last sections.
    assert len(many) <= len(few) <= 10, "\n\n".join(few)


def test_my_tasks_names_the_later_sections_records_in_one_statement(client):
    """A record name's lookups cost PostgreSQL planning in a section's statement whenever it is
    planned anew, an empty section's too: the first section (which fills a long list's page)
    names its rows itself, the later ones read tasks alone and one statement names their
    records (an archived one too: its tasks still link to it)."""
    rep = sign_in(client, "rep")
    today = dt.date.today()
    company = make_company(name="Initech")
    due = {
        ("contact", make_contact(first_name="Grace", last_name="Hopper").id): today,
        ("company", company.id): today - dt.timedelta(days=1),
        ("deal", make_deal(title="Printer fleet", company_id=company.id).id): today,
    }
    for n, ((kind, record_id), day) in enumerate(due.items()):
        make_task(kind, record_id, description=f"Follow up {n}", assignee_id=rep.id, due_date=day)
    archive_company(company.id, ADMIN)
    statements, page = _page_statements(client, "/tasks/")
    sections = [s for s in statements if s.startswith("SELECT tasks.id")]
    assert len(sections) == 5  # no section fills the page: all five are read
    names_read = [bool(re.search(r"\b(contacts|companies|deals)\b", s)) for s in sections]
    assert names_read == [True, False, False, False, False]
    # Today's contact and deal, named together.
    named = [s for s in statements if re.search(r"\bFROM contacts\b", s) and s not in sections]
    assert len(named) == 1 and "FROM deals" in named[0] and "FROM companies" not in named[0]
    for name in ("Grace Hopper", "Initech", "Printer fleet"):
        assert f">{name}</a>" in page, name


# 20,000 tasks and 20,000 notes over 40 contacts: a third of the tasks done, a fifth undated,
# every 50th note pinned.
MANY_ATTACHED = """
INSERT INTO tasks (description, due_date, status, entity_type, entity_id, created_by, updated_by)
SELECT 'Task ' || n, CASE WHEN n % 5 = 0 THEN NULL ELSE CURRENT_DATE + n % 90 END,
       CASE WHEN n % 3 = 0 THEN 'closed' ELSE 'open' END, 'contact', c.id, 'test', 'test'
FROM generate_series(1, 20000) AS n
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM contacts WHERE id = ANY(:ids)) c
  ON c.i = n % 40;
INSERT INTO notes (content, pinned, entity_type, entity_id, created_by, updated_by)
SELECT 'Note ' || n, n % 50 = 0, 'contact', c.id, 'test', 'test'
FROM generate_series(1, 20000) AS n
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM contacts WHERE id = ANY(:ids)) c
  ON c.i = n % 40;
ANALYZE tasks; ANALYZE notes
"""
RECORD_INDEXES = {
    "open": "idx_tasks_record_open",
    "done": "idx_tasks_record_done",
    "notes": "idx_notes_record",
}


def _nodes(plan) -> list[str]:
    return [plan["Node Type"], *(n for child in plan.get("Plans", []) for n in _nodes(child))]


@pytest.fixture
def many_attached(session):
    contacts = [make_contact() for _ in range(40)]
    for statement in MANY_ATTACHED.split(";"):
        db.session.execute(text(statement), {"ids": [c.id for c in contacts]})
    return contacts


def test_a_record_page_reads_its_tasks_and_notes_down_their_own_indexes(many_attached):
    """The page's one statement (records.page_query) reads each card's first rows in order
    from an index: no sort of the record's 500 tasks or notes."""
    from crm_web.records import page_query

    statement = page_query.CONTACT[False].statement.params(id=many_attached[7].id)
    plan = json.loads(json.dumps(db.session.execute(Explain(statement)).scalar()))[0]["Plan"]
    assert set(RECORD_INDEXES.values()) <= _indexes(plan), _indexes(plan)


@pytest.mark.parametrize("name", list(RECORD_INDEXES))
def test_show_more_reads_the_next_rows_down_the_list_s_index_without_a_sort(many_attached, name):
    from crm_web.activities.services import RECORD_LISTS
    from crm_web.lists.keyset import _page_statement

    listed = RECORD_LISTS[name]
    record = many_attached[11]
    first, more = repo.record_list_page(name, "contact", record.id, None)
    assert more is not None
    bound = keyset_values(more, listed.key)
    query = _page_statement(
        listed.query("contact", record.id), listed.key, listed.descending, True, False, False, 20
    ).params({f"_bound{i}": value for i, value in enumerate(bound)})
    plan = json.loads(json.dumps(db.session.execute(Explain(query)).scalar()))[0]["Plan"]
    assert RECORD_INDEXES[name] in _indexes(plan) and "Sort" not in _nodes(plan), plan
    # And the page past the cursor starts right after the first page's last row.
    following, _ = repo.record_list_page(name, "contact", record.id, more)
    assert not {row.id for row in first} & {row.id for row in following}
