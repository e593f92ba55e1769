"""Duplicates in a real Chromium: an edit to another contact's email is refused with a link
and "Save anyway"; a manager finds a pair on /duplicates and merges it."""

from playwright.sync_api import expect

from tests.browser.conftest import committed, screenshot
from tests.browser.helpers import open_as


def _contact(**fields):
    from crm_web.contacts.services import create_contact
    from crm_web.core.actor import SYSTEM

    return create_contact({"first_name": "Ada", "last_name": "Lovelace", **fields}, SYSTEM).id


def test_an_email_edited_to_another_contacts_is_refused_until_saved_anyway(app, page):
    ada = committed(app, lambda: _contact(emails=["ada@example.com"]))
    bob = committed(
        app, lambda: _contact(first_name="Bob", last_name="Smith", emails=["bob@example.com"])
    )
    open_as(app, page, f"/contacts/{bob}")
    page.get_by_role("button", name="Emails: bob@example.com, edit").click()
    second = page.get_by_label("Emails 2", exact=True)
    second.press_sequentially("Ada@Example.com", delay=120)
    second.press("Enter")
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("Already in the CRM: Ada Lovelace.")
    expect(refusal.get_by_role("link", name="Ada Lovelace")).to_have_attribute(
        "href", f"/contacts/{ada}"
    )
    screenshot(page, "duplicate-edit-refused")
    refusal.get_by_role("button", name="Save anyway").click()
    expect(page.get_by_role("link", name="Ada@Example.com")).to_be_visible()
    expect(page.get_by_role("button", name="Save anyway")).to_have_count(0)


def test_a_manager_merges_two_contacts_from_the_duplicates_page(app, page):
    from crm_web.contacts.duplicate_pairs import recheck_queued
    from tests.support import make_duplicate_twins

    def seed():
        ada, twin, _, _ = make_duplicate_twins()
        return ada.id, twin.id

    ada, twin = committed(app, seed)
    committed(app, recheck_queued)
    open_as(app, page, "/duplicates/", role="manager")
    row = page.get_by_role("row").filter(has_text="Augusta King")
    expect(row).to_contain_text("Same email")
    screenshot(page, "duplicates-list")
    row.get_by_role("link", name="Compare and merge").click()
    expect(page.get_by_role("heading", name="Merge contacts")).to_be_visible()
    expect(page.get_by_role("radio", name="Keep Ada Lovelace")).to_be_checked()
    page.get_by_role("radio", name="Countess").check()
    page.get_by_role("radio", name="Analytical Engines").check()
    screenshot(page, "duplicates-merge")
    page.get_by_role("button", name="Merge 2 contacts").click()

    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    expect(page.get_by_text("Merged 1 contact into Ada Lovelace.")).to_be_visible()
    for text in ("ada@example.com", "countess@example.com", "Countess", "Analytical Engines"):
        expect(page.get_by_role("main").get_by_text(text, exact=True).first).to_be_visible()
    expect(page.get_by_text("Difference engine").first).to_be_visible()
    expect(page.get_by_text("Send the notes on the engine").first).to_be_visible()
    expect(page.get_by_text("Translated Menabrea").first).to_be_visible()
    expect(page.get_by_text("Merged Augusta King into this contact").first).to_be_visible()
    screenshot(page, "duplicates-merged")

    page.goto(f"/contacts/{twin}")
    merged = page.locator(".merged-into")
    expect(merged).to_contain_text("Merged into Ada Lovelace")
    expect(merged.get_by_role("link", name="Ada Lovelace")).to_have_attribute(
        "href", f"/contacts/{ada}"
    )
    page.goto("/duplicates/")
    expect(page.get_by_text("No likely duplicates.")).to_be_visible()
