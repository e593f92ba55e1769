"""The pipeline board in Chromium: drag and keyboard moves, conflicts, totals, collapsing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import committed_user, expect_error_status, login, screenshot


def _deals(app, *specs):
    """Commit a company and deals (title, stage, value[, currency[, close_date]]);
    returns {title: id}."""
    from crm_web.core.db import db
    from tests.support import ADMIN, make_company, make_deal

    with app.app_context():
        company = make_company(name="Initech")
        ids = {}
        for title, stage, value, *rest in specs:
            extra = dict(zip(("currency", "close_date"), rest, strict=False))
            deal = make_deal(
                title=title, stage=stage, value=value, company_id=company.id, by=ADMIN, **extra
            )
            ids[title] = str(deal.id)
        db.session.remove()
    return ids


def _deal(app, deal_id):
    from crm_web.audit.services import history_of_entity
    from crm_web.core.db import db
    from crm_web.deals.services import get_deal

    with app.app_context():
        deal = get_deal(deal_id)
        found = (deal.stage, deal.version, [h.changes for h in history_of_entity("deal", deal_id)])
        db.session.remove()
    return found


def _column(page, stage):
    return page.locator(f'.column-cards[data-stage="{stage}"]')


def _head(page, stage):
    return page.locator(f'section.column[data-stage="{stage}"] .column-head')


def _drag(page, card, target):
    """A real pointer drag: press, move in steps (SortableJS needs movement), and release once
    the card shows in the target column, as a user would. SortableJS (forceFallback) looks at
    where the pointer is every 50 ms, not on each move: released sooner, the card stays put."""
    card_id = card.get_attribute("id")
    start, end = card.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + 20, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 30, steps=15)
    expect(target.locator(f"#{card_id}")).to_be_attached()
    page.mouse.up()


@pytest.fixture
def rep(app, page):
    committed_user(app, email="rep@example.com", name="Robin Rep")
    login(page, "rep@example.com")


def test_dragging_a_card_saves_the_stage_and_updates_both_columns_in_place(app, page, rep):
    ids = _deals(
        app,
        ("Widget rollout", "Lead", "1000.00"),
        ("Gadget pilot", "Lead", "500.00"),
        ("Euro deal", "Qualified", "300.00", "EUR"),
    )
    page.goto("/deals/board")
    page.evaluate("window.__boardMarker = 'still here'")
    expect(_head(page, "Lead")).to_contain_text("USD 1,500.00")
    screenshot(page, "board")
    # All six stages fit a 1280 px window: the last one's Collapse button is not cut off.
    assert page.viewport_size["width"] == 1280
    lost = page.locator('section.column[data-stage="Lost"] .collapse-toggle').bounding_box()
    assert lost["x"] + lost["width"] <= page.evaluate(
        "document.querySelector('.board').getBoundingClientRect().right"
    )
    assert page.evaluate("(b => b.scrollWidth <= b.clientWidth)(document.querySelector('.board'))")

    card = page.locator(f"#deal-{ids['Widget rollout']}")
    _drag(page, card, _column(page, "Qualified"))

    moved = _column(page, "Qualified").locator(f"#deal-{ids['Widget rollout']}")
    expect(moved).to_have_attribute("data-stage", "Qualified")
    expect(moved).to_have_attribute("data-version", "2")
    expect(_head(page, "Lead").locator(".count")).to_have_text("1")
    expect(_head(page, "Lead")).to_contain_text("USD 500.00")
    expect(_head(page, "Qualified").locator(".count")).to_have_text("2")
    # One line per currency: the dollar deal joins the euro one without being added to it.
    expect(_head(page, "Qualified")).to_contain_text("USD 1,000.00")
    expect(_head(page, "Qualified")).to_contain_text("weighted USD 250.00")
    expect(_head(page, "Qualified")).to_contain_text("EUR 300.00")
    expect(page.locator("#board-status")).to_have_text("Moved Widget rollout to Qualified.")
    assert page.evaluate("window.__boardMarker") == "still here"  # no reload happened

    stage, version, history = _deal(app, ids["Widget rollout"])
    assert (stage, version) == ("Qualified", 2)
    assert history[-1]["stage"] == ["Lead", "Qualified"]
    assert history[-1]["probability"] == [10, 25]
    screenshot(page, "board-after-drag")


def test_a_drag_on_a_stale_board_is_refused_and_nothing_is_overwritten(app, page, rep):
    from crm_web.core.db import db
    from crm_web.deals.services import update_deal
    from tests.support import ADMIN

    ids = _deals(app, ("Contested", "Lead", "800.00"))
    page.goto("/deals/board")
    card = page.locator(f"#deal-{ids['Contested']}")
    expect(card).to_have_attribute("data-version", "1")

    with app.app_context():  # someone else moves it after the board loaded
        update_deal(ids["Contested"], {"stage": "Proposal"}, ADMIN, expected_version=1)
        db.session.remove()

    _drag(page, card, _column(page, "Won"))

    back = _column(page, "Proposal").locator(f"#deal-{ids['Contested']}")
    expect(back).to_have_attribute("data-version", "2")
    expect(back.locator(".card-message")).to_contain_text("someone changed this deal")
    expect(_column(page, "Won").locator(".deal-card")).to_have_count(0)
    expect(_head(page, "Proposal").locator(".count")).to_have_text("1")
    expect(_head(page, "Won").locator(".count")).to_have_text("0")
    stage, version, history = _deal(app, ids["Contested"])
    assert (stage, version) == ("Proposal", 2)
    assert [h.get("stage") for h in history[1:]] == [["Lead", "Proposal"]]
    screenshot(page, "board-conflict")


def test_keys_move_a_focused_card_and_announce_it(app, page, rep):
    ids = _deals(app, ("Keyboard deal", "Qualified", "120.00"))
    page.goto("/deals/board")
    card = page.locator(f"#deal-{ids['Keyboard deal']}")
    card.focus()
    page.keyboard.press("Alt+ArrowRight")
    expect(_column(page, "Proposal").locator(f"#deal-{ids['Keyboard deal']}")).to_have_attribute(
        "data-version", "2"
    )
    expect(page.locator("#board-status")).to_have_text("Moved Keyboard deal to Proposal.")
    expect(page.locator(f"#deal-{ids['Keyboard deal']}")).to_be_focused()
    page.keyboard.press("[")
    page.keyboard.press("[")  # pressed while the first is saving: both steps are kept
    expect(_column(page, "Lead").locator(f"#deal-{ids['Keyboard deal']}")).to_have_attribute(
        "data-stage", "Lead"
    )
    expect(page.locator(f"#deal-{ids['Keyboard deal']}")).to_be_focused()
    expect(page.locator("#board-status")).to_have_text("Moved Keyboard deal to Lead.")
    page.keyboard.press("Alt+ArrowLeft")
    expect(page.locator("#board-status")).to_have_text("Already in the first stage.")
    assert _deal(app, ids["Keyboard deal"])[0] == "Lead"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Keyboard deal")


def test_a_card_moved_by_keys_into_a_collapsed_column_stays_in_sight(app, page, rep):
    ids = _deals(app, ("Closing", "Negotiation", "90.00"))
    page.goto("/deals/board")
    page.locator('section.column[data-stage="Won"]').get_by_role("button", name="Collapse").click()
    card = page.locator(f"#deal-{ids['Closing']}")
    card.focus()
    page.keyboard.press("]")
    expect(_column(page, "Won").locator(f"#deal-{ids['Closing']}")).to_have_attribute(
        "data-stage", "Won"
    )
    expect(page.locator(f"#deal-{ids['Closing']}")).to_be_focused()
    expect(page.locator(f"#deal-{ids['Closing']}")).to_be_visible()


def test_won_and_lost_columns_collapse_and_stay_collapsed(app, page, rep):
    _deals(app, ("Closed one", "Won", "50.00"))
    page.goto("/deals/board")
    won = page.locator('section.column[data-stage="Won"]')
    toggle = won.get_by_role("button", name="Collapse")
    toggle.click()
    expect(won.locator(".deal-card")).to_be_hidden()
    expect(won.get_by_role("button", name="Expand")).to_have_attribute("aria-expanded", "false")
    expect(won.locator(".count")).to_have_text("1")
    page.reload()
    expect(page.locator('section.column[data-stage="Won"] .deal-card')).to_be_hidden()
    screenshot(page, "board-collapsed")


def test_a_long_column_loads_more_cards_as_it_is_scrolled(app, page, rep):
    _deals(app, *[(f"Bulk {n:02d}", "Lead", "10.00") for n in range(60)])
    page.goto("/deals/board")
    lead = _column(page, "Lead")
    expect(lead.locator(".deal-card")).to_have_count(25)
    expect(_head(page, "Lead").locator(".count")).to_have_text("60")  # totals cover every deal
    expect(_head(page, "Lead")).to_contain_text("USD 600.00")
    lead.locator(".load-more").scroll_into_view_if_needed()
    expect(lead.locator(".deal-card")).to_have_count(50)
    lead.locator(".load-more").scroll_into_view_if_needed()
    expect(lead.locator(".deal-card")).to_have_count(60)
    expect(lead.locator(".load-more")).to_have_count(0)
    titles = lead.locator(".card-title").all_inner_texts()
    assert sorted(titles) == [f"Bulk {n:02d}" for n in range(60)]


def test_a_move_of_a_deal_deleted_meanwhile_puts_the_card_back(app, page, rep):
    from crm_web.core.db import db
    from crm_web.records.operations import delete_deal
    from tests.support import ADMIN

    ids = _deals(app, ("Ghost", "Lead", "5.00"))
    page.goto("/deals/board")
    with app.app_context():
        delete_deal(ids["Ghost"], ADMIN)
        db.session.remove()
    expect_error_status(page, 404)
    page.locator(f"#deal-{ids['Ghost']}").focus()
    page.keyboard.press("]")
    expect(page.locator("#board-status")).to_contain_text("could not be saved")
    expect(_column(page, "Lead").locator(f"#deal-{ids['Ghost']}")).to_be_visible()


def test_a_card_moved_into_a_long_column_is_not_shown_twice_when_more_load(app, page, rep):
    specs = [(f"Bulk {n:02d}", "Lead", "10.00", "USD", "2027-01-01") for n in range(30)]
    ids = _deals(app, *specs, ("Zed mover", "Qualified", "10.00"))
    page.goto("/deals/board")
    page.locator(f"#deal-{ids['Zed mover']}").focus()
    page.keyboard.press("[")  # undated, so it sorts last in Lead: on the column's second page
    lead = _column(page, "Lead")
    expect(lead.locator(f"#deal-{ids['Zed mover']}")).to_have_attribute("data-version", "2")
    lead.locator(".load-more").scroll_into_view_if_needed()
    expect(lead.locator(".load-more")).to_have_count(0)
    expect(lead.locator(".deal-card")).to_have_count(31)
    expect(page.locator(f"#deal-{ids['Zed mover']}")).to_have_count(1)
