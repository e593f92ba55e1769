"""The nav badge's count and the /tasks sections are served by migration 0009's partial index
on open tasks (assignee, due date): EXPLAIN says so on a table of many users' tasks."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text

from crm_web.activities import repository as repo
from crm_web.core.db import db
from crm_web.lists.keyset import Explain
from tests.support import make_user

MANY_TASKS = """
INSERT INTO tasks (description, due_date, status, assignee_id, created_by, updated_by)
SELECT 'Task ' || n, CURRENT_DATE + (n % 40 - 20), CASE WHEN n % 5 = 0 THEN 'closed' ELSE 'open' END,
       u.id, 'test', 'test'
FROM generate_series(1, 20000) AS n
JOIN (SELECT id, row_number() OVER () - 1 AS i FROM users) u ON u.i = n % 20
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
    db.session.execute(text(MANY_TASKS))
    db.session.execute(text("ANALYZE tasks"))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    return users


def test_the_badge_count_reads_the_open_tasks_index(many_tasks):
    query = repo.due_count_query(many_tasks[3].id, dt.date.today(), "Europe/Berlin")
    plan = json.loads(json.dumps(db.session.execute(Explain(query)).scalar()))[0]["Plan"]
    assert "idx_tasks_assignee_open_due" in _indexes(plan), plan
    assert repo.due_count(many_tasks[3].id, dt.date.today(), "UTC") > 0


def _first_statement(call):
    """The first statement `call()` runs (a page of /tasks: its first section's ids)."""
    seen = []
    execute = db.session.execute

    def spy(statement, *args, **kwargs):
        seen.append(statement)
        return execute(statement, *args, **kwargs)

    db.session.execute = spy
    try:
        call()
    finally:
        db.session.execute = execute
    return seen[0]


@pytest.mark.parametrize("whose", ["one assignee", "anyone"])
def test_a_page_of_my_tasks_reads_a_section_in_order_down_an_index(many_tasks, whose):
    now = dt.datetime.now(dt.UTC)
    assignee = many_tasks[3].id if whose == "one assignee" else None
    query = _first_statement(
        lambda: repo.task_page(
            {"assignee_id": assignee}, now.date(), now, "UTC", {"after": None, "before": None}
        )
    )
    plan = json.loads(json.dumps(db.session.execute(Explain(query)).scalar()))[0]["Plan"]
    wanted = "idx_tasks_open_assignee_order" if assignee else "idx_tasks_open_order"
    assert wanted in _indexes(plan), plan
    assert '"Sort"' not in json.dumps(plan) or "Incremental" in json.dumps(plan), plan
