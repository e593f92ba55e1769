"""Board and print queries: per-stage, per-currency totals; keyset paging of columns; moves."""

from datetime import date
from decimal import Decimal

import pytest

from crm_web.audit.services import history_of_entity
from crm_web.core.errors import ConflictError
from crm_web.deals import pipeline
from crm_web.deals.services import get_deal, move_deal, update_deal
from tests.support import ADMIN, make_company, make_deal


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
    assert [c.stage.name for c in board.columns] == [
        "Lead",
        "Qualified",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
    ]
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
    deals, more = pipeline.list_page({"status": "open"}, "title", 1, ADMIN)
    assert (titles(deals), more) == (["Gamma"], False)
    assert titles(pipeline.list_page({"status": "won"}, "title", 1, ADMIN)[0]) == ["Alpha 100% off"]
    assert titles(pipeline.list_page({"q": "100%"}, "title", 1, ADMIN)[0]) == ["Alpha 100% off"]
    assert titles(pipeline.list_page({"q": "a%"}, "title", 1, ADMIN)[0]) == []
    assert titles(pipeline.list_page({}, "value", 1, ADMIN)[0]) == [
        "Gamma",
        "Beta",
        "Alpha 100% off",
    ]
    assert titles(pipeline.list_page({}, "stage", 1, ADMIN)[0]) == [
        "Gamma",
        "Alpha 100% off",
        "Beta",
    ]


def test_the_company_picker_always_offers_the_deal_s_own_company(session):
    old = make_company(name="Oldest Co")
    for n in range(3):
        make_company(name=f"Newer {n}")
    names = [c.name for c in pipeline.company_choices(limit=2)]
    assert "Oldest Co" not in names
    names = [c.name for c in pipeline.company_choices(old.id, limit=2)]
    assert "Oldest Co" in names and names == sorted(names, key=str.lower)
