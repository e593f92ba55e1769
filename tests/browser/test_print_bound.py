"""A print view past its bound (issue 16 point 5) says, on screen and on paper, how many of the
matching deals it lists, while its totals count them all."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import committed_user, login, screenshot


def test_a_bounded_print_view_says_how_many_deals_it_holds(app, page, monkeypatch):
    from crm_web.core.db import db
    from crm_web.deals import pipeline
    from tests.support import ADMIN, make_company, make_deal

    monkeypatch.setattr(pipeline, "PRINT_LIMIT", 5)
    owner = committed_user(app, "rep", name="Bounded Owner")
    with app.app_context():
        company = make_company(name="Bound Ltd").id
        for n in range(12):
            make_deal(
                by=ADMIN, title=f"BD-{n:02d}", value="1000", stage="Lead",
                company_id=company, owner_id=str(owner.id), close_date=f"2027-01-{n + 1:02d}",
            )  # fmt: skip
        db.session.remove()
    login(page, owner)
    page.goto(f"/deals/board/print?owner_id={owner.id}")
    note = page.locator("#print-bound")
    expect(note).to_contain_text("the first 5 of 12 matching deals")
    expect(page.get_by_role("cell", name="BD-04")).to_be_visible()
    expect(page.get_by_role("cell", name="BD-05")).to_have_count(0)
    expect(page.get_by_role("heading", name="Lead · 12 deals (5 listed) · 10%")).to_be_visible()
    screenshot(page, "print-view-bounded")
    page.emulate_media(media="print")
    expect(note).to_be_visible()
    screenshot(page, "print-view-bounded-print-media")
