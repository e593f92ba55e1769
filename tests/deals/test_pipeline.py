"""Board and print queries: per-stage, per-currency totals; keyset paging of columns; moves."""

from datetime import date
from decimal import Decimal
from types import MappingProxyType

import pytest

from crm_web.audit.services import history_of_entity
from crm_web.core.errors import ConflictError
from crm_web.deals import pipeline
from crm_web.deals.services import get_deal, move_deal, update_deal
from crm_web.lists.state import ListState
from tests.support import ADMIN, SEEDED_STAGES, make_company, make_deal


def _list_page(filters, sort, cursor, actor):
    """(rows, next cursor, prev cursor) of the deals list, as its URL state would ask."""
    direction = "desc" if sort in pipeline.DESCENDING else "asc"
    state = ListState(MappingProxyType(filters), sort, direction, **cursor)
    page = pipeline.list_page(state, actor)
    return page["rows"], page["next_cursor"], page["prev_cursor"]


def _line(totals, currency):
    return totals.lines[currency]


def test_column_totals_are_per_currency_and_weighted_by_probability(session):
    company = make_company()
    make_deal(company_id=company.id, value="1000.00", stage="Proposal")  # 50 %
    make_deal(company_id=company.id, value="200.00", stage="Proposal", probability=25)
    make_deal(company_id=company.id, value="300.00", stage="Proposal", currency="EUR")
    make_deal(company_id=company.id, value="999.00", stage="Lead")  # 10 %

    board = pipeline.get_board({}, ADMIN)
    proposal = next(c for c in board.columns if c.stage.name == "Proposal")
    assert proposal.totals.count == 3
    usd, eur = _line(proposal.totals, "USD"), _line(proposal.totals, "EUR")
    assert (usd.count, usd.total, usd.weighted) == (2, Decimal("1200.00"), Decimal("550"))
    assert (eur.count, eur.total, eur.weighted) == (1, Decimal("300.00"), Decimal("150"))
    assert [m.currency for m in board.totals.per_currency] == ["EUR", "USD"]
    assert _line(board.totals, "USD").total == Decimal("2199.00")
    assert _line(board.totals, "USD").weighted == Decimal("649.9")


def test_board_columns_follow_stage_order_and_filters_apply_to_cards_and_totals(session):
    company = make_company()
    make_deal(company_id=company.id, stage="Lead", close_date="2026-01-10", value="10")
    make_deal(company_id=company.id, stage="Lead", close_date="2026-03-10", value="20")
    filters = pipeline.clean_filters({"close_from": "2026-02-01", "close_to": "not a date"})
    assert filters == {"close_from": date(2026, 2, 1)}
    board = pipeline.get_board(filters, ADMIN)
    assert [c.stage.name for c in board.columns] == SEEDED_STAGES
    lead = board.columns[0]
    assert [d.value for d in lead.deals] == [Decimal("20.00")]
    assert lead.totals.count == 1


def test_a_column_loads_in_pages_with_every_deal_exactly_once(session):
    company = make_company()
    for n in range(60):
        day = None if n % 7 == 0 else f"2026-05-{1 + n % 28:02d}"
        make_deal(company_id=company.id, title=f"D{n}", stage="Qualified", close_date=day)
    seen, cursor, pages = [], None, 0
    while True:
        deals, cursor = pipeline.column_page("Qualified", {}, cursor)
        seen += [d.title for d in deals]
        pages += 1
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(f"D{n}" for n in range(60))
    assert seen[-1] in {f"D{n}" for n in range(0, 60, 7)}  # undated cards come last


def test_moving_a_deal_takes_the_stage_probability_and_is_audited(session):
    deal = make_deal(stage="Lead")
    moved = move_deal(deal.id, "Negotiation", ADMIN, expected_version=deal.version)
    assert (moved.stage, moved.probability) == ("Negotiation", 75)
    last = history_of_entity("deal", deal.id)[-1]
    assert last.action == "update"
    assert last.changes["stage"] == ["Lead", "Negotiation"]


def test_a_move_with_a_stale_version_changes_nothing(session):
    deal = make_deal(stage="Lead")
    seen = deal.version
    update_deal(deal.id, {"title": "Renamed elsewhere"}, ADMIN, expected_version=seen)
    with pytest.raises(ConflictError):
        move_deal(deal.id, "Won", ADMIN, expected_version=seen)
    fresh = get_deal(deal.id)
    assert (fresh.stage, fresh.title) == ("Lead", "Renamed elsewhere")


def test_list_filters_by_status_search_and_sorts(session):
    company = make_company()
    make_deal(company_id=company.id, title="Alpha 100% off", stage="Won", value="5")
    make_deal(company_id=company.id, title="Beta", stage="Lost", value="7")
    make_deal(company_id=company.id, title="Gamma", stage="Lead", value="9")
    titles = lambda deals: [d.title for d in deals]  # noqa: E731
    deals, next_cursor, prev_cursor = _list_page({"status": "open"}, "title", {}, ADMIN)
    assert (titles(deals), next_cursor, prev_cursor) == (["Gamma"], None, None)
    assert titles(_list_page({"status": "won"}, "title", {}, ADMIN)[0]) == ["Alpha 100% off"]
    assert titles(_list_page({"q": "100%"}, "title", {}, ADMIN)[0]) == ["Alpha 100% off"]
    assert titles(_list_page({"q": "a%"}, "title", {}, ADMIN)[0]) == []
    assert titles(_list_page({}, "value", {}, ADMIN)[0]) == [
        "Gamma",
        "Beta",
        "Alpha 100% off",
    ]
    assert titles(_list_page({}, "stage", {}, ADMIN)[0]) == [
        "Gamma",
        "Alpha 100% off",
        "Beta",
    ]


# The deals list pages by keyset cursors: each sort, in the order the page shows it.
LIST_ORDERS = {
    "title": (lambda deal, position: (deal.title, deal.id), False),
    "value": (lambda deal, position: (deal.value, deal.id), True),
    "close_date": (
        lambda deal, position: (deal.close_date is None, deal.close_date or date.min, deal.id),
        False,
    ),
    "stage": (lambda deal, position: (position[deal.stage], deal.title, deal.id), False),
    "created": (lambda deal, position: (deal.created_at, deal.id), True),
}


def _many_deals(count=120):
    """`count` deals with repeated titles, values, close dates (some none) and stages."""
    position = {stage.name: stage.position for stage in pipeline.repo.list_stages()}
    names = sorted(position)
    company = make_company()
    deals = [
        make_deal(
            company_id=company.id,
            title=f"Deal {n % 40:03d}",
            value=f"{n % 13 * 100}.00",
            stage=names[n % len(names)],
            close_date=None if n % 7 == 0 else f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}",
        )
        for n in range(count)
    ]
    return deals, position


def _expected(sort, deals, position):
    order, descending = LIST_ORDERS[sort]
    return [str(d.id) for d in sorted(deals, key=lambda d: order(d, position), reverse=descending)]


@pytest.mark.parametrize("sort", sorted(LIST_ORDERS))
def test_the_list_walks_every_deal_once_in_order_and_back(session, sort):
    deals, position = _many_deals()
    expected = _expected(sort, deals, position)
    pages, cursor = [], {}
    while True:
        rows, next_cursor, prev_cursor = _list_page({}, sort, cursor, ADMIN)
        assert (prev_cursor is None) == (not pages)
        pages.append([str(d.id) for d in rows])
        if next_cursor is None:
            break
        cursor = {"after": next_cursor}
    assert [len(p) for p in pages] == [50, 50, 20]
    assert [i for p in pages for i in p] == expected

    back = []
    while prev_cursor is not None:
        rows, next_cursor, prev_cursor = _list_page({}, sort, {"before": prev_cursor}, ADMIN)
        assert next_cursor is not None
        back.append([str(d.id) for d in rows])
    assert back == pages[-2::-1]

    rows, next_cursor, prev_cursor = _list_page({}, sort, {"last": True}, ADMIN)
    assert [str(d.id) for d in rows] == expected[-50:]
    assert next_cursor is None and prev_cursor is not None


def test_the_list_keeps_its_filters_while_paging(session):
    deals, position = _many_deals()
    filters = {"status": "open", "q": "Deal 0"}
    expected = [
        i
        for i in _expected("value", deals, position)
        if next(d for d in deals if str(d.id) == i).stage not in ("Won", "Lost")
    ]
    seen, cursor = [], {}
    while True:
        rows, next_cursor, _ = _list_page(filters, "value", cursor, ADMIN)
        seen += [str(d.id) for d in rows]
        if next_cursor is None:
            break
        cursor = {"after": next_cursor}
    assert seen == expected and len(seen) > 50


def _walk(filters, sort):
    """Every page forwards, then back from the last: (ids forwards, ids backwards)."""
    forwards, cursor = [], {}
    while True:
        rows, next_cursor, prev_cursor = _list_page(filters, sort, cursor, ADMIN)
        forwards += [str(d.id) for d in rows]
        if next_cursor is None:
            break
        cursor = {"after": next_cursor}
    backwards = [str(d.id) for d in rows]
    while prev_cursor is not None:
        rows, _, prev_cursor = _list_page(filters, sort, {"before": prev_cursor}, ADMIN)
        backwards = [str(d.id) for d in rows] + backwards
    return forwards, backwards


@pytest.mark.parametrize(
    "filters, keep",
    [
        ({}, lambda deal: True),
        ({"status": "open"}, lambda deal: deal.stage not in ("Won", "Lost")),
        ({"stage": "Qualified"}, lambda deal: deal.stage == "Qualified"),
        ({"q": "deal 01"}, lambda deal: deal.title.startswith("Deal 01")),
    ],
)
def test_the_stage_sort_pages_through_filters_and_stages_sharing_a_position(session, filters, keep):
    """The stage sort reads each stage's deals apart, a page-full at most: more than a page in
    one stage, and two stages at one position (their deals interleave by title)."""
    from sqlalchemy import insert, select, update

    from crm_web.core.db import db
    from crm_web.deals.models import Deal, PipelineStage

    db.session.execute(
        update(PipelineStage).where(PipelineStage.name == "Proposal").values(position=2)
    )
    position = {stage.name: stage.position for stage in pipeline.repo.list_stages()}
    assert position["Proposal"] == position["Qualified"]
    company = make_company()
    # 60 deals each in Qualified and Proposal, 10 in each of Lead, Won and Lost (a plain insert:
    # services would take seconds, and audit nothing this test reads).
    stages = ("Qualified", "Proposal", "Qualified", "Proposal", None)
    rows = [
        {
            "title": f"Deal {n % 70:03d}",
            "company_id": company.id,
            "value": 100,
            "stage": stages[n % 5] or ("Lead", "Won", "Lost")[n % 3],
            "probability": 10,
            "created_by": "test",
            "updated_by": "test",
        }
        for n in range(150)
    ]
    db.session.execute(insert(Deal.__table__), rows)
    deals = list(db.session.scalars(select(Deal)))
    expected = [i for i in _expected("stage", deals, position) if keep(_by_id(deals, i))]
    assert _walk(filters, "stage") == (expected, expected)
    rows, _, _ = _list_page(filters, "stage", {"last": True}, ADMIN)
    assert [str(d.id) for d in rows] == expected[-50:]


def _by_id(deals, deal_id):
    return next(d for d in deals if str(d.id) == deal_id)
