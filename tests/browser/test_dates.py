"""A new user's browser time zone is stored, and pages then show times in it; the home page."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems, committed_user, login, screenshot


def _records(app, user):
    """A contact and two deals owned by `user`, committed for the live server."""
    from crm_web.accounts.services import get_user
    from crm_web.companies.services import create_company
    from crm_web.contacts.services import create_contact
    from crm_web.core.db import db
    from crm_web.deals.services import create_deal

    with app.app_context():
        me = get_user(user.id).as_actor()
        contact = create_contact({"first_name": "Grace", "last_name": "Hopper"}, me)
        company = create_company({"name": "Initech"}, me)
        # Close dates are calendar days, counted from today where the user is (Tokyo): near
        # midnight UTC, Tokyo is already a day ahead of the server.
        today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
        soon = (today + timedelta(days=3)).isoformat()
        later = (today + timedelta(days=20)).isoformat()
        for title, close in (("Renewal 2027", soon), ("Big rollout", later)):
            create_deal(
                {
                    "title": title,
                    "value": "4800",
                    "stage": "Lead",
                    "company_id": company.id,
                    "close_date": close,
                },
                me,
            )
        ids = contact.id, contact.created_at
        db.session.remove()
    return ids


def _zone_of(app, user):
    from crm_web.accounts.services import get_user
    from crm_web.core.db import db

    with app.app_context():
        name = get_user(user.id).time_zone
        db.session.remove()
    return name


@pytest.fixture
def tokyo_page(chromium, live_server, clean_db):
    """A page whose browser lives in Tokyo; fails on console errors like `page`."""
    context = chromium.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 900}, timezone_id="Asia/Tokyo"
    )
    page = context.new_page()
    problems = PageProblems(page)
    yield page
    context.close()
    assert problems.messages == [], "\n".join(problems.messages)


def test_a_new_users_browser_time_zone_is_stored_and_used(app, tokyo_page):
    page = tokyo_page
    user = committed_user(app, "rep", name="Kenji Sato")
    contact_id, created = _records(app, user)
    assert _zone_of(app, user) is None

    with page.expect_response(lambda r: r.url.endswith("/profile/time-zone/detected")) as sent:
        login(page, user)
    assert sent.value.status == 204
    assert _zone_of(app, user) == "Asia/Tokyo"

    page.goto(f"/contacts/{contact_id}")
    local = created.astimezone(ZoneInfo("Asia/Tokyo"))
    created_time = page.locator("dt:text-is('Created') + dd time")
    expect(created_time).to_have_attribute("title", f"{local.day} {local:%b %Y}, {local:%H:%M} JST")
    expect(created_time).to_have_text("just now")

    page.goto("/")
    soonest = page.locator("h3:text-is('Closing soonest') + ul li").first
    expect(soonest).to_contain_text("Renewal 2027")
    expect(soonest).to_contain_text("closes in 3 days")
    expect(page.get_by_role("link", name="Grace Hopper")).to_be_visible()
    expect(page.get_by_role("link", name="New deal")).to_be_visible()
    screenshot(page, "home-rep")

    page.goto("/profile")
    expect(page.get_by_label("Show times in")).to_have_value("Asia/Tokyo")
    screenshot(page, "profile-time-zone")
