"""A busy contact's page as a rep sees it: the Tasks card opens on the open tasks due soonest and
the Notes card on the newest notes; "Show more" brings the rest below them, and a task shown so
is completed like any other."""

import datetime as dt

from playwright.sync_api import expect

from tests.browser.conftest import committed, committed_user, login, screenshot
from tests.browser.helpers import actor_of, committed_contact

OPEN_TASKS, NOTES = 23, 12


def _fill(app, user, contact_id) -> None:
    from crm_web.activities.services import create_note, create_task

    def make():
        by = actor_of(user)
        for n in range(OPEN_TASKS):
            due = dt.date(2031, 1, 1) + dt.timedelta(days=n)
            data = {"description": f"Follow-up {n + 1:02}", "due_date": due.isoformat()}
            create_task({**data, "entity_type": "contact", "entity_id": contact_id}, by)
        for n in range(NOTES):
            data = {"content": f"Call notes {n + 1:02}", "entity_type": "contact"}
            create_note({**data, "entity_id": contact_id}, by)

    committed(app, make)


def test_a_rep_shows_more_tasks_and_notes_and_completes_one_shown_so(page, app):
    from crm_web.activities.services import RECORD_LISTS

    rep = committed_user(app, "rep")
    contact_id = committed_contact(app, rep)
    _fill(app, rep, contact_id)
    login(page, rep)
    page.goto(f"/contacts/{contact_id}")

    tasks, notes = page.locator("#tasks"), page.locator("#notes")
    expect(tasks.locator(".task-item")).to_have_count(RECORD_LISTS["open"].size)
    expect(tasks.locator(".task-item").first).to_contain_text("Follow-up 01")
    expect(notes.locator(".note-item")).to_have_count(RECORD_LISTS["notes"].size)
    screenshot(page, "record_cards_first")

    tasks.get_by_role("button", name="Show more open tasks").click()
    expect(tasks.locator(".task-item")).to_have_count(OPEN_TASKS)
    expect(tasks.get_by_role("button", name="Show more open tasks")).to_have_count(0)
    expect(tasks.locator(".task-item").last).to_contain_text(f"Follow-up {OPEN_TASKS:02}")

    notes.get_by_role("button", name="Show older notes").click()
    expect(notes.locator(".note-item")).to_have_count(NOTES)
    expect(notes.get_by_role("button", name="Show older notes")).to_have_count(0)

    last = f"Follow-up {OPEN_TASKS:02}"
    tasks.get_by_role("checkbox", name=f"Complete: {last}").click()
    row = tasks.locator(".task-item", has_text=last)
    expect(row).to_contain_text("Done.")
    expect(row.get_by_role("checkbox")).to_be_checked()
    screenshot(page, "record_cards_more")
