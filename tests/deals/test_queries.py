"""The board, list and print pages run a fixed number of SQL statements, however many deals,
and the list's and board's page queries are served by the indexes of migration 0004."""

import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from crm_web.core.db import db
from crm_web.deals import repository as repo
from tests.support import make_company, make_deal


@contextmanager
def counted():
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.session.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _fill(start, end, owner_id):
    stages = ["Lead", "Qualified", "Proposal", "Won"]
    for n in range(start, end):
        company = make_company(name=f"Company {n}")
        make_deal(
            company_id=company.id,
            title=f"Deal {n}",
            stage=stages[n % 4],
            currency="EUR" if n % 3 else "USD",
            owner_id=owner_id,
        )


def _statements(client, url):
    db.session.expire_all()
    with counted() as statements:
        assert client.get(url).status_code == 200
    return statements


def test_pages_do_not_query_per_deal(client, sign_in):
    rep = sign_in("rep")
    _fill(0, 4, rep.id)
    few = {
        url: _statements(client, url) for url in ("/deals/board", "/deals", "/deals/board/print")
    }
    _fill(4, 40, rep.id)
    for url, statements in few.items():
        assert len(_statements(client, url)) == len(statements), url
    board = _statements(client, "/deals/board")
    assert sum("GROUP BY deals.stage, deals.currency" in s for s in board) == 1


def _plan(run) -> dict:
    """The JSON plan of the one statement `run()` executes, with its parameters."""
    captured = []

    def keep(conn, cursor, statement, parameters, *args):
        captured.append((statement, parameters))

    engine = db.session.get_bind().engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert len(captured) == 1
    explain = db.session.connection().exec_driver_sql(
        f"EXPLAIN (FORMAT JSON) {captured[0][0]}", captured[0][1]
    )
    return explain.scalar()[0]["Plan"]


def _paths_to(node: dict, index: str, above=()):
    """For each scan of `index`, the node types above it (outermost first)."""
    if node.get("Index Name") == index:
        yield above
    for child in node.get("Plans", ()):
        yield from _paths_to(child, index, (*above, node["Node Type"]))


def _tree(node: dict, depth=0) -> str:
    """The plan as indented lines, for a failure's message."""
    line = " ".join(str(node.get(k, "")) for k in ("Node Type", "Index Name", "Index Cond"))
    children = "".join(_tree(child, depth + 1) for child in node.get("Plans", ()))
    return f"\n{'  ' * depth}{line} rows={node['Plan Rows']}{children}"


def _sorts(node: dict) -> int:
    return ("Sort" in node["Node Type"]) + sum(map(_sorts, node.get("Plans", ())))


def _read_in_order(plan: dict, index: str) -> bool:
    """Some scan of `index` feeds a Limit with no Sort in between: it reads about a page of
    index entries, in key order, never every matching deal."""
    for above in _paths_to(plan, index):
        if "Limit" in above:
            below_limit = above[len(above) - above[::-1].index("Limit") :]
            if not any("Sort" in node for node in below_limit):
                return True
    return False


LIST_INDEXES = {
    "title": "idx_deals_title_keyset",
    "value": "idx_deals_value_keyset",
    "close_date": "idx_deals_close_keyset",
    "stage": "idx_deals_stage_keyset",
    "created": "idx_deals_created_keyset",
}


def test_every_list_sort_has_an_index():
    assert set(LIST_INDEXES) == set(repo.LIST_SORTS)


# 3,000 deals over every stage, a tenth archived and a tenth undated, and fresh statistics:
# the plans of an empty table (whatever the rolled-back rows of earlier tests left) say nothing.
MANY_DEALS = """
INSERT INTO deals (title, company_id, value, stage, probability, close_date, archived_at,
                   created_by, updated_by)
SELECT 'Deal ' || md5(g::text), :company_id, g % 1000, s.names[1 + g % 6], 10,
       CASE WHEN g % 10 <> 0 THEN date '2026-01-01' + g % 400 END,
       CASE WHEN g % 10 = 3 THEN now() END, 'test', 'test'
FROM generate_series(1, 3000) g,
     (SELECT array_agg(name ORDER BY position) AS names FROM pipeline_stages) s
"""


@pytest.fixture
def many_deals(session):
    db.session.execute(text(MANY_DEALS), {"company_id": make_company().id})
    db.session.execute(text("ANALYZE deals, pipeline_stages"))
    # As the contacts test of migration 0003 does: an index whenever one can serve at all.
    db.session.execute(text("SET LOCAL enable_seqscan = off"))


# Every sort, unfiltered and with the status filter (a set of stages, checked per row read).
# One stage's deals are a sixth of them: sorted by title or stage they come in order from
# (stage, title, id); by another key, reading that stage's deals by the key's index or
# fetching them by stage and sorting them are both fine, and the planner picks by size.
LIST_CASES = [
    *[(sort, filters) for sort in sorted(LIST_INDEXES) for filters in ({}, {"status": "open"})],
    ("title", {"stage": "Qualified"}),
    ("stage", {"stage": "Qualified"}),
]


@pytest.mark.parametrize("sort, filters", LIST_CASES)
def test_list_queries_use_the_indexes_of_migration_0004(many_deals, sort, filters):
    first = {"after": None, "before": None, "last": False}
    _, deep, _ = repo.search_deals(filters, sort, first, 300)
    _, _, before = repo.search_deals(filters, sort, {**first, "after": deep}, 1)
    assert deep and before
    for cursor in (
        first,
        {**first, "after": deep},
        {**first, "before": before},
        {**first, "last": True},
    ):
        plan = _plan(lambda c=cursor: repo.search_deals(filters, sort, c, 50))
        # One stage's deals by title: (stage, title, id) serves that better than (title, id).
        by_stage = filters.get("stage") and sort == "title"
        assert _read_in_order(plan, LIST_INDEXES["stage" if by_stage else sort]), _tree(plan)
        # The stage sort orders by a column of pipeline_stages: it sorts the first page-full
        # of each stage (read in order from its index), not every deal.
        assert _sorts(plan) == (sort == "stage"), _tree(plan)


@pytest.mark.parametrize("after", [None, (None, uuid.UUID(int=1))])
def test_a_board_column_reads_its_cards_from_the_index_of_migration_0004(many_deals, after):
    plan = _plan(lambda: repo.column_deals("Lead", {}, after, 26))
    assert _read_in_order(plan, "idx_deals_board_keyset") and not _sorts(plan), _tree(plan)
