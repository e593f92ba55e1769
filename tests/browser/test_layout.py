"""The layout in a real Chromium: board cards at a laptop's width, every main page on a phone,
the axe-core accessibility check on every main page, and screenshots of the busiest pages."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import committed_user, login, screenshot

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
AXE = "/static/vendor/axe-core-4.14.1.min.js"
LONG_COMPANY = "Globex International Holdings"


def _records(app) -> dict:
    """A company with a long name, a contact at it, deals in every kind of stage (dated), and a
    task and a note: the record pages show all their panels. Returns the ids as strings."""
    from crm_web.core.db import db
    from tests.support import make_company, make_contact, make_deal, make_note, make_task

    with app.app_context():
        # Links in values (website, tel:, mailto:, the company) sit beside their ✎ button.
        company = make_company(
            name=LONG_COMPANY, industry="Manufacturing",
            website="https://globex.example", phone="+14155550100",
        )  # fmt: skip
        contact = make_contact(
            first_name="Ada", last_name="Lovelace", emails=["ada@globex.example"],
            phones=["+14155550101"], company_id=company.id, job_title="Head of Procurement",
        )  # fmt: skip
        deals = [
            make_deal(
                title=title,
                stage=stage,
                value=value,
                company_id=company.id,
                contact_id=contact.id,
                close_date=date(2027, 9, 30),
            )  # fmt: skip
            for title, stage, value in (
                ("Annual licence renewal", "Lead", "340000"),
                ("Support plan", "Proposal", "12000"),
                ("Pilot", "Won", "5000"),
                ("Old tender", "Lost", "80000"),
            )
        ]
        make_task("contact", contact.id, description="Call back about the renewal")
        make_note("contact", contact.id, content="Met at the fair")
        ids = {"company": str(company.id), "contact": str(contact.id), "deal": str(deals[0].id)}
        db.session.remove()
    return ids


def _main_pages(ids) -> list[tuple[str, str]]:
    return [
        ("home", "/"),
        ("contacts-list", "/contacts/"),
        ("contact", f"/contacts/{ids['contact']}"),
        ("companies-list", "/companies/"),
        ("company", f"/companies/{ids['company']}"),
        ("deals-list", "/deals"),
        ("deal", f"/deals/{ids['deal']}"),
        ("board", "/deals/board"),
        ("tasks", "/tasks/"),
        ("admin-users", "/admin/users"),
    ]


@pytest.fixture
def admin(app, page):
    committed_user(app, "admin", email="ada@example.com", name="Ada Admin")
    ids = _records(app)
    login(page, "ada@example.com")
    return ids


def _cut_off(locator) -> list[str]:
    """The texts of these elements that do not fit their box (cut off, or an ellipsis)."""
    return locator.evaluate_all(
        "els => els.filter(e => e.scrollWidth > e.clientWidth || e.scrollHeight > e.clientHeight)"
        ".map(e => e.textContent)"
    )


def test_board_cards_show_the_company_and_close_date_in_full_at_1366px(page, admin):
    page.set_viewport_size(LAPTOP)
    page.goto("/deals/board")
    card = page.locator(".deal-card", has_text="Annual licence renewal")
    expect(card.locator(".card-company")).to_have_text(LONG_COMPANY)
    expect(card.locator(".card-close")).to_have_text("Closes 30 Sep 2027")
    for part in (".card-company", ".card-close", ".card-title", ".card-value", ".card-owner"):
        assert _cut_off(page.locator(f".deal-card {part}")) == [], part
    # Every card's lines lie inside the card, and the card inside its column.
    for name in (".card-company", ".card-close"):
        inner, outer = card.locator(name).bounding_box(), card.bounding_box()
        assert inner["x"] + inner["width"] <= outer["x"] + outer["width"], name
    # The board is as wide as the page: the page itself does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    expect(page.locator("#grand-totals")).to_contain_text("Open: 2 deals")
    expect(page.locator("#grand-totals")).to_contain_text("Won: 1 · Lost: 1")


def _nav_reachable(page) -> list[str]:
    """Every main navigation entry, seen directly or by opening the Menu button; returns the
    labels. The menu is closed again afterwards."""
    # By CSS, not by role: a folded menu is out of the accessibility tree until opened.
    links = page.locator('nav[aria-label="Main"] a')
    labels = [text.strip() for text in links.all_text_contents()]
    toggle = page.get_by_role("button", name="Menu")
    if not links.first.is_visible():
        expect(toggle).to_have_attribute("aria-expanded", "false")
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
    for link in links.all():
        expect(link).to_be_in_viewport()
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") == "true":
        page.keyboard.press("Escape")
        expect(toggle).to_be_focused()
        expect(links.first).to_be_hidden()
    return labels


def test_every_main_page_fits_a_phone_and_its_menu_reaches_every_entry(page, admin):
    page.set_viewport_size(PHONE)
    for name, path in _main_pages(admin):
        page.goto(path)
        expect(page.locator("main h1").first).to_be_visible()
        screenshot(page, f"phone-{name}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
        labels = _nav_reachable(page)
        assert "Admin" in labels and len(labels) >= 5, labels
        # Opening the menu does not widen the page either.
        page.get_by_role("button", name="Menu").click()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        page.get_by_role("button", name="Menu").click()
    page.goto("/")
    page.get_by_role("button", name="Menu").click()
    screenshot(page, "menu-open-390")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Users", exact=False).first).to_be_visible()


def test_on_a_laptop_the_navigation_is_in_view_without_a_menu_button(page, admin):
    page.set_viewport_size(LAPTOP)
    page.goto("/")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    for link in page.get_by_role("navigation", name="Main").get_by_role("link").all():
        expect(link).to_be_visible()


def _serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page, one line per rule."""
    page.add_script_tag(url=AXE)
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
              .filter(v => v.impact === "serious" || v.impact === "critical")
              .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(" ")).join(", ")}`);
        }"""
    )


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "390"])
def test_main_pages_have_no_serious_accessibility_violations(page, admin, viewport):
    page.set_viewport_size(viewport)
    pages = [
        *_main_pages(admin),
        ("print", "/deals/board/print"),
        ("custom-fields", "/admin/custom-fields"),
        ("stages", "/deals/stages"),
        ("profile", "/profile"),
    ]
    found = {}
    for name, path in pages:
        page.goto(path)
        expect(page.locator("main")).to_be_visible()
        violations = _serious_violations(page)
        if violations:
            found[name] = violations
    # Signed out: the sign-in page.
    page.context.clear_cookies()
    page.goto("/login")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    if violations := _serious_violations(page):
        found["login"] = violations
    assert found == {}, "\n".join(f"{name}: {v}" for name, v in found.items())


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "390"])
def test_screenshots_of_the_busiest_pages(page, admin, viewport):
    page.set_viewport_size(viewport)
    shots = {
        "contacts-list": "/contacts/",
        "contact": f"/contacts/{admin['contact']}",
        "board": "/deals/board",
        "home": "/",
    }
    for name, path in shots.items():
        page.goto(path)
        expect(page.locator("main h1").first).to_be_visible()
        path = screenshot(page, f"{name}-{viewport['width']}")
        assert path.stat().st_size > 0
