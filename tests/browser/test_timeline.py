"""A record's Timeline as people use it: what a rep does on a contact (a task added and ticked
done, a field edited) is on the contact's timeline, newest first: the task for everyone who
reads the record, the field change for those who may read the audit trail (audit.read: managers
and admins); "Show older" appends the page before; a company's
timeline takes in its contacts' and deals' activity with a toggle the URL keeps."""

import re

from playwright.sync_api import expect

from crm_web.records.timeline import PAGE_SIZE
from tests.browser.conftest import committed, committed_user, login, screenshot
from tests.browser.helpers import edit_in_place


def _contact_with_a_long_past(app, user, changes: int):
    """A contact of `user`'s whose job title they changed `changes` times."""
    from crm_web.accounts.services import get_user
    from crm_web.contacts.services import create_contact, update_contact

    def make():
        by = get_user(user.id).as_actor()
        contact = create_contact({"first_name": "Peter", "last_name": "Gibbons"}, by)
        for n in range(changes):
            update_contact(contact.id, {"job_title": f"Step {n:02}"}, by)
        return contact.id

    return committed(app, make)


def test_a_rep_s_task_and_edit_lead_the_contact_s_timeline_and_older_pages_append(page, app):
    rep = committed_user(app, "rep", name="Rita Rep")
    manager = committed_user(app, "manager", name="Mia Manager")
    contact_id = _contact_with_a_long_past(app, rep, PAGE_SIZE + 5)
    login(page, rep)
    page.goto(f"/contacts/{contact_id}")
    tasks = page.locator("#tasks")
    title = tasks.get_by_label("New task")
    title.press_sequentially("Call back about renewal", delay=120)
    title.press("Enter")
    row = tasks.locator(".task-item", has_text="Call back about renewal")
    row.get_by_role("checkbox", name="Complete: Call back about renewal").click()
    expect(row).to_have_class("task-item task-done")
    field = page.locator(f"#contact-{contact_id}-last_name")
    edit_in_place(page, field, "Last name", "Bolton")
    expect(field).to_have_text("Bolton")
    # The rep's timeline has the task's activity; field changes are for audit.read (managers).
    mine = page.locator("#history .timeline-item")
    expect(mine.nth(0)).to_contain_text("Rita Rep completed the task Call back about renewal")
    expect(mine.nth(1)).to_contain_text("Rita Rep added the task Call back about renewal")
    expect(mine).to_have_count(2)
    expect(page.locator("#history")).not_to_contain_text("changed last name")

    page.locator("summary", has_text="Rita Rep").click()  # the account menu
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    login(page, manager)
    page.goto(f"/contacts/{contact_id}")
    card = page.locator("#history")
    expect(card.get_by_role("heading", name="Timeline")).to_be_visible()
    items = card.locator(".timeline-item")
    expect(items).to_have_count(PAGE_SIZE)
    expect(items.nth(0)).to_contain_text("Rita Rep changed last name from Gibbons to Bolton")
    expect(items.nth(1)).to_contain_text("Rita Rep completed the task Call back about renewal")
    expect(items.nth(2)).to_contain_text("Rita Rep added the task Call back about renewal")
    expect(items.nth(3)).to_contain_text(
        f"job title from Step {PAGE_SIZE + 3} to Step {PAGE_SIZE + 4}"
    )
    for width, name in ((1366, "timeline-1366"), (390, "timeline-390")):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, name)

    card.get_by_role("button", name="Show older").click()
    expect(items).to_have_count(PAGE_SIZE + 9)  # 3 + the changes + the create, a page kept above
    expect(items.nth(0)).to_contain_text("from Gibbons to Bolton")
    expect(items.last).to_contain_text("Rita Rep created this record")
    expect(card.get_by_role("button", name="Show older")).to_have_count(0)


def _company_with_a_contact(app, user):
    from crm_web.accounts.services import get_user
    from crm_web.activities.services import create_note, create_task
    from crm_web.companies.services import create_company
    from crm_web.contacts.services import create_contact

    def make():
        by = get_user(user.id).as_actor()
        company = create_company({"name": "Initech"}, by)
        contact = create_contact(
            {"first_name": "Zoe", "last_name": "Zed", "company_id": company.id}, by
        )
        create_task(
            {"description": "Call Zoe", "entity_type": "contact", "entity_id": contact.id}, by
        )
        create_note(
            {"content": "HQ moved to Austin", "entity_type": "company", "entity_id": company.id}, by
        )
        return company.id, contact.id

    return committed(app, make)


def test_a_company_s_timeline_takes_in_its_contacts_with_a_toggle_the_url_keeps(page, app):
    manager = committed_user(app, "manager", name="Mia Manager")
    company_id, contact_id = _company_with_a_contact(app, manager)
    login(page, manager)
    page.goto(f"/companies/{company_id}")
    card = page.locator("#history")
    expect(card).to_contain_text("added a note HQ moved to Austin")
    expect(card).not_to_contain_text("Call Zoe")
    toggle = card.get_by_role("switch", name="With its contacts and deals")
    expect(toggle).to_have_attribute("aria-checked", "false")

    toggle.click()
    card = page.locator("#history")
    expect(card).to_contain_text("added the task Call Zoe on the contact Zoe Zed")
    expect(page).to_have_url(re.compile(r"\?timeline=all$"))
    expect(card.get_by_role("switch")).to_have_attribute("aria-checked", "true")
    screenshot(page, "timeline-company-related")
    page.reload()
    expect(page.locator("#history")).to_contain_text("Call Zoe")
    page.locator("#history").get_by_role("link", name="Zoe Zed").first.click()
    expect(page).to_have_url(re.compile(f"/contacts/{contact_id}$"))


def _moved_deal(app, user):
    from crm_web.accounts.services import get_user
    from crm_web.activities.services import create_note
    from crm_web.companies.services import create_company
    from crm_web.deals.services import create_deal, move_deal

    def make():
        by = get_user(user.id).as_actor()
        company = create_company({"name": "Hooli"}, by)
        deal = create_deal(
            {"title": "Hooli box", "value": "1200.00", "stage": "Lead", "company_id": company.id},
            by,
        )
        note = {"content": "Wants it before Q3.\nCall Gavin first.", "entity_type": "deal"}
        create_note({**note, "entity_id": deal.id}, by)
        move_deal(deal.id, "Proposal", by, deal.version)
        return deal.id

    return committed(app, make)


def test_a_deal_s_timeline_says_where_it_moved_and_keeps_a_note_s_lines(page, app):
    manager = committed_user(app, "manager", name="Mia Manager")
    deal_id = _moved_deal(app, manager)
    login(page, manager)
    page.goto(f"/deals/{deal_id}")
    items = page.locator("#history .timeline-item")
    expect(items.nth(0)).to_contain_text("Mia Manager moved this deal from Lead to Proposal")
    expect(items.nth(1).locator(".timeline-text")).to_have_text(
        "Wants it before Q3.\nCall Gavin first."
    )
    screenshot(page, "timeline-deal")
