"""The board, list and print pages run a fixed number of SQL statements, however many deals,
and the list's and board's page queries are served by the indexes of migration 0004."""

import re
import uuid

import pytest
from flask import g
from sqlalchemy import text

from crm_web.core.db import db
from crm_web.deals import repository as repo
from tests.plans import cursors_to_check, plan_of, read_in_order, sorts, tree
from tests.support import counted, make_company, make_deal, sign_in


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


def _statements(client, url, headers=None):
    db.session.expire_all()
    g.pop("_login_user", None)  # as in a real request, each one reads the signed-in user
    with counted() as statements:
        assert client.get(url, headers=headers).status_code == 200
    return statements


def test_pages_do_not_query_per_deal(client):
    rep = sign_in(client, "rep")
    _fill(0, 4, rep.id)
    few = {
        url: _statements(client, url) for url in ("/deals/board", "/deals", "/deals/board/print")
    }
    _fill(4, 40, rep.id)
    for url, statements in few.items():
        assert len(_statements(client, url)) == len(statements), url
    board = _statements(client, "/deals/board")
    # Its totals: one read of the kept totals (migration 0020), no aggregate over the deals.
    assert sum("FROM deal_stage_totals" in s for s in board) == 1
    assert not any("GROUP BY deals.stage" in s for s in board)


def test_the_deals_list_reads_only_the_columns_it_shows(client):
    """Plain rows with the company's and owner's names joined in, not Deal objects with their
    company, contact and owner loaded (half of what the page cost, issue 16)."""
    rep = sign_in(client, "rep")
    _fill(0, 3, rep.id)
    rows = [s for s in _statements(client, "/deals") if "FROM deals" in s and "LIMIT" in s]
    assert len(rows) == 1, rows
    assert "custom_fields" not in rows[0] and "contacts" not in rows[0], rows[0]
    page = client.get("/deals").text
    assert "Company 2" in page and rep.name in page and "Deal 2" in page


def test_the_board_reads_its_stages_cards_totals_and_owners_in_one_statement(client):
    rep = sign_in(client, "rep", name="Robin Boardwatcher")
    _fill(0, 40, rep.id)
    statements = _statements(client, "/deals/board")
    html = client.get("/deals/board").get_data(as_text=True)
    # (besides it: the signed-in user, with the layout's due-tasks badge in the same statement)
    statements = [s for s in statements if "SAVEPOINT" not in s]  # (the test's, not the page's)
    reads = [s for s in statements if "FROM deals" in s or "pipeline_stages" in s]
    assert len(reads) == 1 and len(statements) <= 2, statements
    assert all(f">Deal {n}</a>" in html for n in range(40))  # every card, 10 a column
    assert ">Robin Boardwatcher</option>" in html  # the owner filter's choices


def test_the_list_page_reads_its_stage_and_owner_pickers_with_the_signed_in_user(client):
    """The filter form's stages and owners are read in the signed-in user's statement (with
    the nav badge's count): the page runs that and the list's own (three before), offering
    every stage in board order and every active user, the chosen ones selected; a list swap
    keeps the page's form and reads neither."""
    rep = sign_in(client, "rep", name="Riley Rep")
    _fill(0, 3, rep.id)
    url = f"/deals?stage=Qualified&owner_id={rep.id}"
    statements = [" ".join(s.split()) for s in _statements(client, url) if "SAVEPOINT" not in s]
    pickers = [s for s in statements if "pipeline_stages" in s or "users.active ORDER" in s]
    assert len(pickers) == 1 and "pipeline_stages" in pickers[0], statements
    assert "users.session_version" in pickers[0], statements  # the signed-in user's
    assert len(statements) == 2, statements  # the user (badge, pickers) and the rows
    html = client.get(url).get_data(as_text=True)
    stages = re.findall(r"<option(?: selected)?>([^<]+)</option>", html)
    assert stages == [stage.name for stage in repo.list_stages()]
    assert "<option selected>Qualified</option>" in html and "Deal 1" in html
    assert f'<option value="{rep.id}" selected>Riley Rep</option>' in html
    swap = _statements(client, url, headers={"HX-Request": "true"})
    assert not [s for s in swap if "pipeline_stages" in s or "users.active ORDER" in s]


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
    for cursor in cursors_to_check(lambda c, n: repo.search_deals(filters, sort, c, n), 300):
        plan = plan_of(lambda c=cursor: repo.search_deals(filters, sort, c, 50))
        # One stage's deals by title: (stage, title, id) serves that better than (title, id).
        by_stage = filters.get("stage") and sort == "title"
        assert read_in_order(plan, LIST_INDEXES["stage" if by_stage else sort]), tree(plan)
        # The stage sort orders by a column of pipeline_stages: it sorts the first page-full
        # of each stage (read in order from its index), not every deal.
        assert sorts(plan) == (sort == "stage"), tree(plan)


@pytest.mark.parametrize("filters", [{}, {"status": "open"}])
def test_the_print_view_reads_its_first_deals_from_the_index_of_migration_0029(many_deals, filters):
    """The printed pipeline's first deals, in order from their index: no sort of every
    matching deal, and no count of them all (a count(*) OVER () did both: 0.2 s at 50,000
    deals, growing with them; the sheet takes how many match from the board's totals)."""
    # (its 1,000 of 50,000 deals as 50 of these 2,700: the same share of the index)
    plan = plan_of(lambda: repo.printable_deals(filters, 50))
    assert read_in_order(plan, "idx_deals_print_keyset") and not sorts(plan), tree(plan)
    assert "WindowAgg" not in tree(plan), tree(plan)


@pytest.mark.parametrize("after", [None, (None, uuid.UUID(int=1))])
def test_a_board_column_reads_its_cards_from_the_index_of_migration_0004(many_deals, after):
    plan = plan_of(lambda: repo.column_deals("Lead", {}, after, 26))
    assert read_in_order(plan, "idx_deals_board_keyset") and not sorts(plan), tree(plan)
