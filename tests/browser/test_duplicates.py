"""Duplicates in a real Chromium: an edit to another contact's email is refused with a link
and "Save anyway"; a manager finds a pair on /duplicates, merges it, and undoes the merge from
the survivor's timeline."""

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
    expect(page.locator("#history .timeline-merge")).to_contain_text(
        "merged this contact into Ada Lovelace"
    )
    page.goto("/duplicates/")
    expect(page.get_by_text("No likely duplicates.")).to_be_visible()

    # A viewer sees the merge on the survivor's timeline, with the contact it took in, and
    # no way to undo it.
    page.context.clear_cookies()
    open_as(app, page, f"/contacts/{ada}", role="viewer")
    entry = page.locator("#history .timeline-merge")
    expect(entry).to_contain_text("merged Augusta King into this contact")
    expect(entry.get_by_role("button", name="Undo this merge")).to_have_count(0)
    screenshot(page, "duplicates-merge-timeline-viewer")

    # The manager undoes it from the survivor's timeline: both are back as they were.
    page.context.clear_cookies()
    open_as(app, page, f"/contacts/{ada}", role="manager")
    timeline = page.locator("#history")
    entry = timeline.locator(".timeline-merge")
    expect(entry.get_by_role("link", name="Augusta King")).to_have_attribute(
        "href", f"/contacts/{twin}"
    )
    expect(timeline).to_contain_text("here from the contact Augusta King")
    screenshot(page, "duplicates-merge-timeline")
    entry.get_by_role("button", name="Undo this merge").click()

    expect(page.get_by_text("Augusta King and Ada Lovelace are back as they were.")).to_be_visible()
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    # Its cards (not the timeline, which tells the story) show only what was Ada's own.
    cards = main.locator(".record-grid > :not(#history)")
    expect(cards.get_by_text("ada@example.com", exact=True)).to_be_visible()
    for text in ("countess@example.com", "Countess", "Analytical Engines", "Difference engine"):
        expect(cards.get_by_text(text, exact=True)).to_have_count(0)
    expect(cards.get_by_text("Send the notes on the engine", exact=True)).to_have_count(0)
    expect(cards.get_by_text("Translated Menabrea", exact=True)).to_have_count(0)
    expect(cards.get_by_text("Merged Augusta King into this contact")).to_have_count(0)
    expect(timeline.locator(".timeline-merge").first).to_contain_text("Undone")
    screenshot(page, "duplicates-merge-undone")

    page.goto(f"/contacts/{twin}")
    expect(page.get_by_role("heading", name="Augusta King")).to_be_visible()
    expect(page.locator(".merged-into")).to_have_count(0)
    for text in ("countess@example.com", "Countess", "Analytical Engines", "Difference engine"):
        expect(main.get_by_text(text, exact=True).first).to_be_visible()
    expect(main.get_by_text("Send the notes on the engine").first).to_be_visible()
    expect(main.get_by_text("Translated Menabrea").first).to_be_visible()
    screenshot(page, "duplicates-merge-undone-merged-contact")


def test_undoing_a_merge_after_the_survivor_changed_says_what_changed(app, page):
    from crm_web.contacts.services import get_contact, update_contact
    from crm_web.core.actor import SYSTEM
    from crm_web.records.merge import merge_contacts

    def seed():
        ada = _contact(emails=["ada@example.com"])
        twin = _contact(first_name="Augusta", last_name="King", job_title="Countess")
        versions = {str(c.id): c.version for c in (get_contact(ada), get_contact(twin))}
        merge_contacts(ada, [twin], {"job_title": twin}, versions, SYSTEM)
        return ada, twin

    ada, twin = committed(app, seed)
    open_as(app, page, f"/contacts/{ada}", role="manager")
    undo = page.locator("#history .timeline-merge").get_by_role("button", name="Undo this merge")
    expect(undo).to_be_visible()
    committed(app, lambda: update_contact(ada, {"job_title": "Analyst"}, SYSTEM))
    undo.click()

    expect(page.get_by_role("heading", name="This merge can't be undone")).to_be_visible()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("Ada Lovelace’s job title is now “Analyst”")
    screenshot(page, "duplicates-merge-undo-refused")
    page.get_by_role("link", name="Back to Ada Lovelace").click()
    expect(page.locator("#history .timeline-merge")).to_contain_text("merged Augusta King")
    page.goto(f"/contacts/{twin}")
    expect(page.locator(".merged-into")).to_contain_text("Merged into Ada Lovelace")
