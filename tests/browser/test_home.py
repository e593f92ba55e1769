"""The home page as a rep starts the day there: what is overdue and due today, ticked off in
place with an Undo; a rep with nothing yet is told how to start."""

from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.conftest import committed_user, login, screenshot
from tests.browser.helpers import committed_contact, committed_task, utc_today


def _task(app, user, title, due):
    """A task of `user`'s due on `due`, on a contact of its own."""
    contact_id = committed_contact(app, user)
    return committed_task(app, user, title, due, ("contact", contact_id))


def test_a_rep_ticks_off_a_task_due_today_on_the_home_page(page, app):
    rep = committed_user(app, "rep")
    today = utc_today()
    _task(app, rep, "Send the overdue quote", today - timedelta(days=2))
    _task(app, rep, "Call back about renewal", today)
    _task(app, rep, "Plan next quarter", today + timedelta(days=5))
    login(page, rep)
    page.goto("/")

    due = page.locator("#home-task-list")
    overdue = due.locator(".task-item", has_text="Send the overdue quote")
    today_row = due.locator(".task-item", has_text="Call back about renewal")
    expect(overdue).to_contain_text("Overdue")
    expect(today_row).to_contain_text("Today")
    expect(today_row).to_contain_text("Peter Gibbons")
    expect(due).not_to_contain_text("Plan next quarter")

    today_row.get_by_role("checkbox", name="Complete: Call back about renewal").click()
    expect(today_row).to_contain_text("Done.")
    expect(today_row).to_have_class("task-item task-done")
    today_row.get_by_role("button", name="Undo").click()
    expect(today_row).to_contain_text("Reopened.")
    expect(today_row.get_by_role("checkbox")).not_to_be_checked()

    page.reload()  # completed for good this time: tomorrow's home no longer lists it
    due.locator(".task-item", has_text="Call back about renewal").get_by_role("checkbox").click()
    expect(due.locator(".task-item", has_text="Call back about renewal")).to_contain_text("Done.")
    page.reload()
    expect(due).not_to_contain_text("Call back about renewal")
    expect(due).to_contain_text("Send the overdue quote")
    for width, name in ((1366, "home-1366"), (390, "home-390")):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, name)


def test_a_new_reps_home_says_how_to_start(page, app):
    rep = committed_user(app, "rep")
    login(page, rep)
    page.goto("/")
    start = page.get_by_role("region", name="Start your day here")
    expect(start).to_contain_text("Add a contact")
    expect(page.get_by_role("heading", name="Your open deals")).to_have_count(0)
    start.get_by_role("link", name="Add a contact").click()
    expect(page).to_have_url("/contacts/new")
    page.go_back()
    for width, name in ((1366, "home-new-1366"), (390, "home-new-390")):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, name)
