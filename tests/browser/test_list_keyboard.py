"""A list's cells edited from the keyboard alone: one cell of the grid is in the Tab order, the
arrow keys move between cells, Enter opens the editor and saves, Escape cancels."""

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.helpers import list_row, open_as


def _contacts(app):
    from crm_web.contacts.services import create_contact
    from crm_web.core.actor import SYSTEM
    from crm_web.core.db import db

    with app.app_context():
        ids = [
            str(
                create_contact(
                    {"first_name": first, "last_name": last, "job_title": job}, SYSTEM
                ).id
            )
            for first, last, job in (("Ada", "Lovelace", "Analyst"), ("Grace", "Hopper", "Admiral"))
        ]
        db.session.remove()
    return ids


def test_edit_a_list_cell_with_the_keyboard_alone(app, page):
    ada, grace = _contacts(app)
    open_as(app, page, "/contacts/", "rep", email="rep@example.com")
    page.wait_for_load_state("domcontentloaded")

    def cell(contact_id, field):
        return list_row(page, contact_id).locator(f'td[data-field="{field}"]')

    # Tab from the first row's name reaches the first editable cell: its job title.
    list_row(page, grace).get_by_role("link", name="Hopper").focus()
    page.keyboard.press("Tab")
    expect(cell(grace, "job_title")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(cell(ada, "job_title")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(cell(ada, "company_id")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(cell(ada, "job_title")).to_be_focused()
    # One cell of the grid is in the Tab order, the one the arrows moved to.
    expect(page.locator("td[data-field][tabindex='0']")).to_have_count(1)

    page.keyboard.press("Enter")
    editor = page.get_by_role("textbox", name="Job title")
    expect(editor).to_be_focused()
    page.keyboard.press("Control+a")
    editor.press_sequentially("Countess", delay=120)
    screenshot(page, "contacts-list-keyboard-editor")
    page.keyboard.press("Escape")  # cancels: the value stays, the focus comes back to the cell
    expect(cell(ada, "job_title")).to_have_text("Analyst")
    expect(cell(ada, "job_title")).to_be_focused()

    page.keyboard.press("Enter")
    expect(editor).to_be_focused()
    page.keyboard.press("Control+a")
    editor.press_sequentially("Mathematician", delay=120)
    page.keyboard.press("Enter")  # saves
    expect(cell(ada, "job_title")).to_have_text("Mathematician")
    expect(cell(ada, "job_title")).to_be_focused()
    screenshot(page, "contacts-list-keyboard-saved")
    # Edited again at once: the row knows its new version, so the editor reports no change
    # by someone else since the list was drawn.
    page.keyboard.press("Enter")
    expect(editor).to_have_value("Mathematician")
    expect(page.locator(".ie-notice")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(cell(ada, "job_title")).to_be_focused()

    page.reload()
    expect(cell(ada, "job_title")).to_have_text("Mathematician")
    expect(cell(grace, "job_title")).to_have_text("Admiral")


def test_a_list_cell_saved_over_someone_elses_change_shows_both_then_keeps_theirs(app, page):
    from crm_web.contacts.services import update_contact
    from crm_web.core.actor import SYSTEM
    from crm_web.core.db import db

    ada, _ = _contacts(app)
    open_as(app, page, "/contacts/", "rep", email="rep@example.com")
    cell = list_row(page, ada).locator('td[data-field="job_title"]')
    cell.click()
    editor = page.get_by_role("textbox", name="Job title")
    expect(editor).to_be_focused()
    with app.app_context():  # a colleague saves first
        update_contact(ada, {"job_title": "Countess"}, SYSTEM, 1)
        db.session.commit()
        db.session.remove()
    editor.fill("Mathematician")
    editor.press("Enter")
    expect(cell.get_by_role("alert")).to_contain_text("Someone else changed job title")
    screenshot(page, "contacts-list-cell-conflict")
    cell.get_by_role("button", name="Keep theirs").click()
    expect(cell).to_have_text("Countess")
    # The row took the version it shows: the next edit saves without a conflict.
    cell.click()
    editor.fill("Mathematician")
    editor.press("Enter")
    expect(cell).to_have_text("Mathematician")
