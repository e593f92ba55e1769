"""Finding anything in a keystroke: the top bar's list as a person types, opened with the
keyboard; the Ctrl+K palette (a typo, Enter); markup in a name shown as text; a phone's look."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import (
    committed,
    committed_user,
    expect_error_status,
    login,
    screenshot,
)


def _records(app):
    from crm_web.companies.services import create_company
    from crm_web.contacts.services import create_contact
    from crm_web.deals.services import create_deal
    from tests.support import ADMIN

    def make():
        acme = create_company({"name": "ACME, Inc.", "website": "https://acme.example"}, ADMIN)
        john = create_contact(
            {
                "first_name": "John",
                "last_name": "Smith",
                "company_id": acme.id,
                "emails": ["john@acme.example"],
                "phones": ["(415) 555-0100"],
            },
            ADMIN,
        )
        create_contact({"first_name": "Mary", "last_name": "Jones"}, ADMIN)
        create_contact({"first_name": "<img src=x onerror=alert(1)>", "last_name": "Zed"}, ADMIN)
        create_deal(
            {"title": "Acme rockets", "value": "5000", "stage": "Lead", "company_id": acme.id},
            ADMIN,
        )
        return john.id

    return committed(app, make)


def test_type_in_the_top_bar_and_open_a_result_with_the_keyboard(app, page):
    john = _records(app)
    login(page, committed_user(app, email="rep@example.com"))
    box = page.get_by_role("combobox", name="Search")
    box.click()
    box.press_sequentially("acme", delay=120)
    results = page.locator("#global-search-results")
    expect(results).to_be_visible()
    for kind in ("Contacts", "Companies", "Deals"):
        expect(results.get_by_role("heading", name=re.compile(kind))).to_be_visible()
    expect(results.locator("mark", has_text=re.compile("^acme$", re.I)).first).to_be_visible()
    screenshot(page, "search-topbar-1366")
    # The first result is chosen; ArrowDown moves to the next, Enter opens it.
    expect(results.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page).to_have_url(re.compile(f"/contacts/{john}$"))
    expect(page.locator("main h1")).to_contain_text("John Smith")


def test_ctrl_k_a_misspelled_name_and_enter_opens_the_contact(app, page):
    john = _records(app)
    login(page, committed_user(app, email="rep@example.com"))
    page.keyboard.press("Control+k")
    dialog = page.get_by_role("dialog", name="Command palette")
    expect(dialog).to_be_visible()
    palette = dialog.get_by_role("combobox", name="Search records or run a command")
    expect(palette).to_be_focused()
    expect(dialog.get_by_role("option", name="New contact")).to_be_visible()  # actions at once
    palette.press_sequentially("jonh smiht", delay=120)
    expect(dialog.get_by_role("option").first).to_contain_text("John Smith")
    screenshot(page, "search-palette-1366")
    palette.press("Enter")
    expect(page).to_have_url(re.compile(f"/contacts/{john}$"))
    page.wait_for_load_state("domcontentloaded")  # its script records the visit for "Recent"
    # The record is remembered: the empty palette lists it under Recent; Escape gives the
    # focus back to where it was.
    page.keyboard.press("Control+k")
    expect(dialog.get_by_role("listbox", name="Recent")).to_contain_text("John Smith")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_markup_in_a_name_is_shown_as_text_on_the_results_page(app, page):
    _records(app)
    login(page, committed_user(app, email="rep@example.com"))
    page.goto("/search/?q=zed")
    expect(page.get_by_text("<img src=x onerror=alert(1)>")).to_be_visible()
    expect(page.locator("main img")).to_have_count(0)
    page.goto("/search/?q=415-555-0100")
    expect(page.locator("#search_results mark")).to_have_text(["+1 415-555-0100"])
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/search/?q=acme")
    screenshot(page, "search-page-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, "search-page-390")
    page.keyboard.press("Control+k")
    page.get_by_role("combobox", name="Search records or run a command").press_sequentially(
        "acme", delay=120
    )
    expect(page.get_by_role("dialog").get_by_role("option").first).to_contain_text("John Smith")
    screenshot(page, "search-palette-390")


def test_a_second_contact_with_the_same_email_in_another_case_is_warned(app, page):
    def make():
        from crm_web.contacts.services import create_contact
        from tests.support import ADMIN

        return create_contact(
            {"first_name": "Ada", "last_name": "Lovelace", "emails": ["ada@example.com"]}, ADMIN
        ).id

    ada = committed(app, make)
    login(page, committed_user(app, email="rep@example.com"))
    expect_error_status(page, 409)  # the refusal is a 409 page, on purpose
    page.goto("/contacts/new")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("King")
    page.get_by_role("textbox", name="Email 1").fill("Ada@Example.com")
    page.get_by_role("button", name="Create contact").click()
    warning = page.locator(".duplicate-refusal")
    expect(warning).to_contain_text("This may be someone already in the CRM")
    expect(warning.get_by_role("link", name="Ada Lovelace")).to_have_attribute(
        "href", f"/contacts/{ada}"
    )
    screenshot(page, "contact-duplicate-warning-1366")
    warning.get_by_label("Create anyway").check()
    page.get_by_role("button", name="Create contact").click()
    expect(page.locator("main h1")).to_contain_text("Ada King")
