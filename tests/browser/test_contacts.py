"""Journeys through the contact pages in a real Chromium."""

import re

from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser.conftest import committed_user, login, screenshot
from tests.browser.helpers import fill_in, list_row, open_as


def _contact(app, **fields):
    from crm_web.contacts.services import create_contact
    from crm_web.core.actor import SYSTEM
    from crm_web.core.db import db

    with app.app_context():
        data = {"first_name": "Ada", "last_name": "Lovelace", **fields}
        contact_id = create_contact(data, SYSTEM).id
        db.session.remove()
    return contact_id


def _stored(app, contact_id):
    from crm_web.contacts.services import get_contact
    from crm_web.core.db import db

    with app.app_context():
        contact = get_contact(contact_id)
        values = {
            "last_name": contact.last_name,
            "emails": contact.emails,
            "phones": contact.phones,
            "archived": contact.archived_at is not None,
            "owner_id": contact.owner_id,
        }
        db.session.remove()
    return values


def test_create_contact_with_two_emails_and_a_us_phone(app, page):
    open_as(app, page, "/contacts/new", email="rep@example.com")
    fill_in(page, {"First name": "Grace", "Last name": "Hopper"})
    page.get_by_label("Email 1", exact=True).fill("not-an-email")
    page.get_by_role("button", name="Create contact").click()
    expect(page.locator("#err-emails")).to_contain_text("not a valid email")
    screenshot(page, "contact-new-invalid")
    page.get_by_label("Email 1", exact=True).fill("grace@example.com")
    page.get_by_label("Email 2", exact=True).fill("hopper@navy.example")
    page.get_by_label("Phone 1", exact=True).fill("(415) 555-0100")
    page.get_by_role("button", name="Create contact").click()
    expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()
    expect(page.get_by_role("link", name="+1 415-555-0100")).to_have_attribute(
        "href", "tel:+14155550100"
    )
    expect(page.get_by_role("link", name="hopper@navy.example")).to_have_attribute(
        "href", "mailto:hopper@navy.example"
    )
    screenshot(page, "contact-record")
    with app.app_context():
        from crm_web.core.db import db

        rows = db.session.execute(text("SELECT phones FROM contacts")).all()
        db.session.remove()
    assert [r.phones for r in rows] == [["+14155550100"]]


def test_edit_a_list_cell_and_the_record_escape_cancels(app, page):
    # A manager: the record page's History card is for those who may read the audit trail.
    contact_id = _contact(app, job_title="Analyst")
    open_as(app, page, "/contacts/", "manager", email="manager@example.com", name="Mia Manager")
    row = list_row(page, contact_id)
    cell = row.locator('td[data-field="job_title"]')
    cell.click()
    editor = page.get_by_role("textbox", name="Job title")
    # The editor opens in its cell: the row and the rest of the list stay.
    expect(row.get_by_role("textbox", name="Job title")).to_be_visible()
    expect(page.locator("#contact_list tbody tr")).to_have_count(1)
    editor.fill("Typo")
    editor.press("Escape")
    expect(cell).to_have_text("Analyst")
    cell.focus()
    cell.press("Enter")
    editor.fill("Engineer")
    editor.press("Enter")
    expect(cell).to_have_text("Engineer")
    expect(row).to_contain_text("Ada")  # still a row of the list, not the list replaced
    assert page.url.endswith("/contacts/")
    screenshot(page, "contacts-list")

    page.goto(f"/contacts/{contact_id}")
    field = page.locator(f"#contact-{contact_id}-last_name")
    field.click()
    page.get_by_role("textbox", name="Last name").fill("Byron")
    page.get_by_role("heading", name="Details").click()  # leaving the editor saves
    expect(field).to_have_text("Byron")
    field.click()
    editor = page.get_by_role("textbox", name="Last name")
    editor.fill("Typo")
    editor.press("Escape")
    expect(field).to_have_text("Byron")
    field.click()
    page.get_by_role("textbox", name="Last name").fill("King")
    page.get_by_role("heading", name="Details").click()
    expect(field).to_have_text("King")
    assert _stored(app, contact_id)["last_name"] == "King"
    # The History card catches up without a reload.
    expect(page.locator("#history")).to_contain_text("from Byron to King")


def test_emails_are_added_and_removed_inline_and_a_bad_one_is_refused(app, page):
    contact_id = _contact(app, emails=["ada@example.com"])
    open_as(app, page, f"/contacts/{contact_id}", email="rep@example.com")
    emails = page.locator(f"#contact-{contact_id}-emails")
    box = emails.bounding_box()
    emails.click(position={"x": box["width"] - 6, "y": box["height"] / 2})  # the pencil
    page.get_by_role("button", name="+ Add").click()
    page.get_by_label("Emails 2", exact=True).fill("broken@")
    page.get_by_label("Emails 2", exact=True).press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("not a valid email")
    assert _stored(app, contact_id)["emails"] == ["ada@example.com"]
    screenshot(page, "contact-inline-invalid")
    page.get_by_label("Emails 2", exact=True).fill("ada@work.example")
    page.get_by_role("button", name="Remove emails 1").click()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(f"#contact-{contact_id}-emails")).to_have_text("ada@work.example")
    assert _stored(app, contact_id)["emails"] == ["ada@work.example"]


def test_two_sessions_editing_the_same_field_get_a_conflict_and_lose_nothing(
    app, page, chromium, live_server
):
    committed_user(app, email="rep@example.com")
    contact_id = _contact(app)
    login(page, "rep@example.com")
    other = chromium.new_context(base_url=live_server).new_page()
    login(other, "rep@example.com")
    for tab in (page, other):
        tab.goto(f"/contacts/{contact_id}")
        tab.locator(f"#contact-{contact_id}-last_name").click()
        # The editor is open, so it holds the version read before the other tab saves.
        expect(tab.get_by_role("textbox", name="Last name")).to_have_value("Lovelace")
    other.get_by_role("textbox", name="Last name").fill("Theirs")
    other.get_by_role("textbox", name="Last name").press("Enter")
    expect(other.locator(f"#contact-{contact_id}-last_name")).to_have_text("Theirs")

    page.get_by_role("textbox", name="Last name").fill("Mine")
    page.get_by_role("textbox", name="Last name").press("Enter")
    conflict = page.locator(".ie-conflict")
    expect(conflict).to_contain_text("Theirs")
    expect(conflict).to_contain_text("Mine")
    assert _stored(app, contact_id)["last_name"] == "Theirs"
    screenshot(page, "contact-conflict")
    page.get_by_role("button", name="Overwrite with mine").click()
    expect(page.locator(f"#contact-{contact_id}-last_name")).to_have_text("Mine")
    assert _stored(app, contact_id)["last_name"] == "Mine"
    other.context.close()


def test_archived_contacts_leave_list_and_search_and_come_back_on_restore(app, page):
    committed_user(app, "manager", email="rep@example.com", name="Mia Manager")
    keep = _contact(app, last_name="Keeper")
    gone = _contact(app, last_name="Goner")
    login(page, "rep@example.com")
    page.goto("/contacts/")
    hint = page.get_by_text("Tick contacts to assign an owner or archive them.")
    expect(hint).to_be_visible()  # the band above the table says what it is for
    screenshot(page, "contacts-bulk-hint")
    expect(page.get_by_role("button", name="Archive")).to_be_hidden()
    page.get_by_label("Select Ada Goner").check()
    expect(hint).to_be_hidden()
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_role("status").filter(has_text="Archived 1 contact.")).to_be_visible()
    expect(page.locator("#contact_list")).not_to_contain_text("Goner")
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#contact_list")).to_contain_text("Goner")

    page.get_by_label("Select Ada Goner").check()
    page.get_by_role("button", name="Archive").click()
    expect(page.locator("#contact_list")).not_to_contain_text("Goner")
    page.get_by_role("searchbox", name="Search contacts").fill("goner")
    expect(page.locator("#list-count")).to_contain_text("0 contacts")
    page.get_by_role("searchbox", name="Search contacts").fill("")
    expect(page).not_to_have_url(re.compile(r"q=goner"))  # the debounced search has run
    page.get_by_label("Archived").check()
    expect(page).to_have_url(re.compile(r"archived=1"))
    expect(page.locator("#contact_list")).to_contain_text("Goner")
    screenshot(page, "contacts-archived")
    page.get_by_role("button", name="Restore Ada Goner").click()
    expect(page.locator("#contact_list")).to_contain_text("Restored 1 contact.")
    assert not _stored(app, gone)["archived"] and not _stored(app, keep)["archived"]
    page.goto("/contacts/?q=goner")
    expect(page.locator("#contact_list")).to_contain_text("Goner")


def test_bulk_assign_still_offers_every_owner_after_the_list_is_swapped(app, page):
    """List swaps (search, the archived view and back) send the owner picker empty and
    hx-preserve keeps the one drawn with the page: it must still list every owner."""
    committed_user(app, "manager", email="rep@example.com", name="Mia Manager")
    olive = committed_user(app, email="olive@example.com", name="Olive Owner").id
    contact = _contact(app, last_name="Assignee")
    login(page, "rep@example.com")
    page.goto("/contacts/")
    page.get_by_role("searchbox", name="Search contacts").fill("assignee")
    expect(page).to_have_url(re.compile(r"q=assignee"))
    page.get_by_label("Archived").check()
    expect(page.locator("#list-count")).to_contain_text("0 archived contacts")
    expect(page.locator("#bulk-owner")).to_be_hidden()
    page.get_by_label("Archived").uncheck()
    expect(page.locator("#list-count")).to_contain_text("1 contact")
    page.get_by_label("Select Ada Assignee").check()
    page.locator("#bulk-owner").select_option(label="Olive Owner")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator("#contact_list tbody")).to_contain_text("Olive Owner")  # the row
    assert _stored(app, contact)["owner_id"] == olive


def test_a_slow_search_answer_never_lands_over_a_later_filter_change(app, page):
    """The search box and the filters are two htmx elements: without hx-sync on the form, a
    search still running when a filter is ticked answered last and pushed its URL (without the
    filter) over the filtered list, so a reload showed another list than the one on screen."""
    committed_user(app, "manager", email="rep@example.com", name="Mia Manager")
    _contact(app, last_name="Goner")
    _contact(app, last_name="Gonzo")
    login(page, "rep@example.com")
    page.goto("/contacts/")
    page.get_by_label("Select Ada Goner").check()
    page.get_by_role("button", name="Archive").click()
    expect(page.locator("#contact_list")).not_to_contain_text("Goner")
    # The search for "gon" is slow: its answer is held until the filter change is done with.
    held = []
    page.route(
        re.compile(r"/contacts/\?.*q=gon"), lambda r: r.continue_() if held else held.append(r)
    )
    search = page.get_by_role("searchbox", name="Search contacts")
    filters = page.locator("#list-filters")
    in_flight = re.compile(r"\bhtmx-request\b")
    search.fill("gon")
    expect(search).to_have_class(in_flight)  # the debounced search has been sent, and is held
    page.get_by_label("Archived").check()
    # What the filter change sent has come back (or waits its turn): now the search answers.
    expect(filters).not_to_have_class(in_flight)
    held[0].continue_()
    expect(search).not_to_have_class(in_flight)
    expect(filters).not_to_have_class(in_flight)
    expect(page.locator("#list-count")).to_contain_text("1 archived contact")
    expect(page).to_have_url(re.compile(r"q=gon.*archived=1"))


def test_typing_smi_in_a_seeded_database_shows_the_smiths(app, page):
    from crm_web.tools.demo import seed_demo

    committed_user(app, email="rep@example.com")
    with app.app_context():
        seed_demo(contacts=3000, companies=60, echo=lambda *_: None)
    login(page, "rep@example.com")
    page.goto("/contacts/")
    page.get_by_role("searchbox", name="Search contacts").press_sequentially("smi")
    expect(page).to_have_url(re.compile(r"q=smi"))
    rows = page.locator("#contact_list tbody tr")
    expect(rows.first).to_contain_text(re.compile("smi", re.I))
    texts = rows.all_inner_texts()
    assert len(texts) == 50 and all("smi" in t.lower() for t in texts)
    assert sum("Smith" in t for t in texts) > 25
    # Best matches first: the Smiths lead, not the staff of a company called "Smith …".
    expect(rows.first.get_by_role("rowheader")).to_have_text(re.compile(r"^\S+ Smi"))
    screenshot(page, "contacts-search-smi")
    page.reload()
    expect(page.get_by_role("searchbox", name="Search contacts")).to_have_value("smi")


def test_a_contact_page_lists_its_deals_tasks_and_notes_and_leads_to_the_deal(app, page):
    from crm_web.activities.services import create_note, create_task
    from crm_web.core.db import db
    from tests.support import ADMIN, make_company, make_deal

    with app.app_context():
        initech = make_company(name="Initech")
        contact_id = _contact(app, first_name="Peter", last_name="Gibbons", company_id=initech.id)
        make_deal(title="TPS reports", company_id=initech.id, contact_id=contact_id, value="4500")
        task = {"description": "Call Peter about the cover sheets", "due_date": "2026-12-10"}
        create_task({**task, "entity_type": "contact", "entity_id": contact_id}, ADMIN)
        note = {"content": "Prefers calls after ten.\nHates Mondays."}
        create_note({**note, "entity_type": "contact", "entity_id": contact_id}, ADMIN)
        db.session.commit()
        db.session.remove()
    open_as(app, page, f"/contacts/{contact_id}", email="rep@example.com")
    deals = page.locator("#deals")
    expect(deals.get_by_role("link", name="TPS reports")).to_be_visible()
    expect(deals).to_contain_text("Lead · USD 4,500.00")
    expect(page.locator("#tasks")).to_contain_text("Call Peter about the cover sheets")
    # Relative to today ("due in 6 days"), the exact date on hover.
    expect(page.locator("#tasks time")).to_have_attribute("title", "10 Dec 2026")
    expect(page.locator("#notes")).to_contain_text("Hates Mondays.")
    screenshot(page, "contact-record-related")
    deals.get_by_role("link", name="TPS reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("TPS reports")


def test_an_editor_opened_on_an_out_of_date_page_says_who_changed_the_field(app, page, chromium):
    """Two users: A has the contact open, B renames it, A opens the first name's editor."""
    contact_id = _contact(app, first_name="Ada", last_name="Lovelace")
    open_as(app, page, f"/contacts/{contact_id}", "rep")
    first_name = page.locator(f"#contact-{contact_id}-first_name")
    expect(first_name).to_have_text("Ada")

    other = chromium.new_context(base_url=page.url.split("/contacts")[0])
    mia = other.new_page()
    login(mia, committed_user(app, "manager", name="Mia Manager"))
    mia.goto(f"/contacts/{contact_id}")
    mia.locator(f"#contact-{contact_id}-first_name").click()
    mia.get_by_role("textbox", name="First name").fill("Adah")
    mia.get_by_role("textbox", name="First name").press("Enter")
    expect(mia.locator(f"#contact-{contact_id}-first_name")).to_have_text("Adah")
    other.close()

    first_name.click()
    editor = page.get_by_role("form", name="Edit First name")
    expect(editor.get_by_role("status")).to_have_text(
        re.compile(
            r"^Changed since you opened this page: Mia Manager changed it from “Ada” to "
            r"“Adah” at \d\d:\d\d\.$"
        )
    )
    expect(editor.get_by_role("textbox", name="First name")).to_have_value("Adah")
    screenshot(page, "contact-editor-changed-since")
    # The last name, which nobody changed, opens without a notice.
    page.keyboard.press("Escape")
    page.locator(f"#contact-{contact_id}-last_name").click()
    last = page.get_by_role("form", name="Edit Last name")
    expect(last.get_by_role("textbox", name="Last name")).to_be_focused()
    expect(last.get_by_role("status")).to_have_count(0)


def test_typing_a_name_without_its_accents_finds_the_contact(app, page):
    committed_user(app, email="accents@example.com")
    _contact(app, first_name="José", last_name="Müllerová")
    login(page, "accents@example.com")
    page.goto("/contacts/")
    page.get_by_role("searchbox", name="Search contacts").press_sequentially("mullerova", delay=120)
    expect(page).to_have_url(re.compile(r"q=mullerova"))
    rows = page.locator("#contact_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Müllerová")
    screenshot(page, "contacts-search-without-accents")
