"""Record pages speak one language (issue 15 point 6): a breadcrumb back to the list, ✎ on
what can be edited, Enter saves, and the page's heading and Updated time follow an inline save
at once, without a reload. The company is shown once on a contact's page, and a company's
"Add a contact" starts the form with that company chosen."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.sync_api import expect
from sqlalchemy import update

from tests.browser.conftest import committed, screenshot
from tests.browser.helpers import fill_in, open_as

LONG_AGO = datetime(2020, 1, 2, 3, 4, tzinfo=UTC)


def _last_updated_long_ago(app, model, record_id):
    """So a save shows a different Updated time even within the same minute."""
    from crm_web.core.db import db

    def make():
        db.session.execute(update(model).where(model.id == record_id).values(updated_at=LONG_AGO))

    committed(app, make)


def _mark_page(page):
    """A marker on the window: gone after any reload, so its presence proves there was none."""
    page.evaluate("window.__notReloaded = true")


def _not_reloaded(page):
    assert page.evaluate("window.__notReloaded === true")


def test_a_deal_page_has_a_breadcrumb_pencils_and_its_heading_follows_a_save(app, page):
    from crm_web.deals.models import Deal
    from tests.support import make_deal

    deal_id = committed(app, lambda: str(make_deal(title="Hooli box").id))
    _last_updated_long_ago(app, Deal, deal_id)
    open_as(app, page, f"/deals/{deal_id}", email="rep@example.com", name="Robin Rep")
    heading = page.get_by_role("heading", level=1)
    updated = page.locator("#record-updated")
    expect(heading).to_have_text("Hooli box")
    expect(updated).to_have_text("2 Jan 2020")

    # Every editable value carries the pencil, as on contact and company pages.
    title = page.locator(f"#deal-{deal_id}-title")
    pencil = title.evaluate("el => getComputedStyle(el, '::after').content")
    assert pencil == '"✎"'
    screenshot(page, "deal-record-breadcrumb")

    _mark_page(page)
    title.focus()
    title.press("Enter")
    editor = title.locator("input[name=value]")
    expect(editor).to_be_focused()
    editor.fill("")
    editor.press_sequentially("Hooli server", delay=120)
    editor.press("Enter")
    expect(title).to_have_text("Hooli server")
    expect(heading).to_have_text("Hooli server")
    expect(updated).not_to_have_text("2 Jan 2020")
    _not_reloaded(page)
    screenshot(page, "deal-record-heading-after-save")

    # A second save still refreshes the heading (the swapped-in heading keeps listening).
    value = page.locator(f"#deal-{deal_id}-value")
    value.click()
    value.locator("input[name=value]").fill("4500")
    value.locator("input[name=value]").press("Enter")
    expect(value).to_have_text("USD 4,500.00")
    expect(heading).to_have_text("Hooli server")

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Deals").click()
    page.wait_for_url("**/deals")
    expect(page.get_by_role("link", name="Hooli server")).to_be_visible()


def test_a_contact_page_shows_the_new_name_in_its_heading_without_a_reload(app, page):
    from crm_web.contacts.models import Contact
    from tests.support import make_company, make_contact

    def make():
        hooli = make_company(name="Hooli")
        return str(make_contact(company_id=hooli.id, first_name="Ada", last_name="Lovelace").id)

    contact_id = committed(app, make)
    _last_updated_long_ago(app, Contact, contact_id)
    open_as(app, page, f"/contacts/{contact_id}", email="rep@example.com", name="Robin Rep")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Ada Lovelace")
    # The company is shown once: its field (a link to it), not again in a card of its own.
    expect(page.locator("main").get_by_role("link", name="Hooli")).to_have_count(1)
    expect(page.get_by_role("heading", name="Company")).to_have_count(0)

    _mark_page(page)
    field = page.locator(f"#contact-{contact_id}-last_name")
    field.click()
    editor = page.get_by_role("textbox", name="Last name")
    editor.fill("")
    editor.press_sequentially("King", delay=120)
    editor.press("Enter")
    expect(field).to_have_text("King")
    expect(heading).to_have_text("Ada King")
    expect(page.locator("#record-updated")).not_to_have_text("2 Jan 2020")
    _not_reloaded(page)
    screenshot(page, "contact-record-heading-after-save")


def test_a_company_page_heading_follows_a_save_and_add_a_contact_chooses_it(app, page):
    from crm_web.companies.models import Company
    from tests.support import make_company

    company_id = committed(app, lambda: str(make_company(name="Initech").id))
    _last_updated_long_ago(app, Company, company_id)
    open_as(app, page, f"/companies/{company_id}", email="rep@example.com", name="Robin Rep")
    heading = page.get_by_role("heading", level=1)
    expect(page.locator("#record-updated")).to_have_text("2 Jan 2020")

    _mark_page(page)
    name = page.locator(f"#company-{company_id}-name")
    name.click()
    editor = page.get_by_role("textbox", name="Name")
    editor.fill("Initrode")
    editor.press("Enter")
    expect(heading).to_have_text("Initrode")
    expect(page.locator("#record-updated")).not_to_have_text("2 Jan 2020")
    _not_reloaded(page)

    page.get_by_role("link", name="Add a contact").click()
    page.wait_for_url("**/contacts/new?company_id=*")
    expect(page.get_by_role("searchbox", name="Company")).to_have_value("Initrode")
    fill_in(page, {"First name": "Peter", "Last name": "Gibbons"})
    screenshot(page, "contact-new-from-company")
    page.get_by_role("button", name="Create contact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Peter Gibbons")
    expect(page.locator("main").get_by_role("link", name="Initrode")).to_have_count(1)


def test_a_value_that_is_a_link_opens_its_record_and_its_pencil_edits_it(app, page):
    """A value holding a link (the company, a phone) is not itself a button: the link opens the
    record, its own ✎ button opens the editor, by keyboard as by mouse."""
    from tests.support import make_company, make_contact

    def make():
        hooli = make_company(name="Hooli")
        contact = make_contact(company_id=hooli.id, phones=["+14155550101"])
        return str(hooli.id), str(contact.id)

    company_id, contact_id = committed(app, make)
    open_as(app, page, f"/contacts/{contact_id}", email="rep@example.com", name="Robin Rep")
    expect(page.get_by_role("link", name="+1 415-555-0101")).to_have_attribute(
        "href", "tel:+14155550101"
    )
    pencil = page.get_by_role("button", name="Company: Hooli, edit")
    pencil.focus()
    page.keyboard.press("Enter")
    picker = page.get_by_role("searchbox", name="Company")
    expect(picker).to_be_focused()
    picker.press("Escape")
    expect(pencil).to_be_visible()
    screenshot(page, "contact-linked-values")

    page.locator("main").get_by_role("link", name="Hooli").click()
    page.wait_for_url(f"**/companies/{company_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hooli")
