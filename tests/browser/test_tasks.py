"""Tasks as a rep uses them: add one from a contact page with Enter, tick it done and undo,
see overdue ones stand out, work through /tasks by section and assignee, the nav badge; a
viewer reads tasks but is offered nothing to change them."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.conftest import committed_user, login, screenshot
from tests.browser.helpers import committed_contact, committed_task, utc_today


def test_a_rep_adds_a_task_from_a_contact_page_with_enter(page, app):
    rep = committed_user(app, "rep")
    contact_id = committed_contact(app, rep)
    login(page, rep)
    page.goto(f"/contacts/{contact_id}")
    tasks = page.locator("#tasks")
    title = tasks.get_by_label("New task")
    title.press_sequentially("Call back about renewal", delay=120)
    tasks.get_by_label("Due day").fill((utc_today() + timedelta(days=1)).isoformat())
    tasks.get_by_label("Due day").press("Enter")

    row = tasks.locator(".task-item", has_text="Call back about renewal")
    expect(row).to_be_visible()
    expect(row).to_contain_text("tomorrow")
    expect(row).to_contain_text(rep.name)
    expect(title).to_have_value("")  # ready for the next one
    expect(title).to_be_focused()

    page.get_by_role("link", name="Tasks").first.click()
    upcoming = page.locator(".task-section", has=page.get_by_role("heading", name="Upcoming"))
    expect(upcoming).to_contain_text("Call back about renewal")
    expect(upcoming.get_by_role("link", name="Peter Gibbons")).to_have_attribute(
        "href", f"/contacts/{contact_id}"
    )


def test_ticking_a_task_marks_it_done_and_undo_brings_it_back(page, app):
    rep = committed_user(app, "rep")
    contact_id = committed_contact(app, rep)
    committed_task(app, rep, "Send the TPS report", utc_today(), ("contact", contact_id))
    login(page, rep)
    page.goto(f"/contacts/{contact_id}")
    row = page.locator(".task-item", has_text="Send the TPS report")
    expect(row).to_contain_text("Today")

    row.get_by_role("checkbox", name="Complete: Send the TPS report").click()
    expect(row).to_have_class("task-item task-done")
    expect(row.get_by_role("status")).to_contain_text("Done.")
    expect(row.get_by_role("button", name="Undo")).to_be_visible()
    expect(row.locator(".task-description")).to_have_css("text-decoration-line", "line-through")

    row.get_by_role("button", name="Undo").click()
    expect(row.get_by_role("status")).to_contain_text("Reopened.")
    expect(row.get_by_role("checkbox", name="Complete: Send the TPS report")).not_to_be_checked()
    page.reload()
    expect(page.locator(".task-item", has_text="Send the TPS report")).not_to_have_class(
        "task-item task-done"
    )


def test_overdue_tasks_look_overdue_and_the_badge_counts_them(page, app):
    rep = committed_user(app, "rep")
    committed_task(app, rep, "Chase the invoice", utc_today() - timedelta(days=3))
    committed_task(app, rep, "Book the venue", utc_today())
    committed_task(app, rep, "Plan Q3", utc_today() + timedelta(days=9))
    committed_task(app, rep, "Read the handbook")
    login(page, rep)
    expect(page.locator("#task-badge")).to_have_text("2 overdue or due today")
    page.goto("/tasks/")
    headings = page.locator(".task-section h2")
    expect(headings).to_have_text(["Overdue 1", "Today 1", "Upcoming 1", "No date 1"])
    late = page.locator("#task_sections tr", has_text="Chase the invoice")
    expect(late.locator("time")).to_have_css("color", "rgb(192, 53, 43)")

    late.get_by_role("checkbox", name="Complete: Chase the invoice").click()
    done = page.locator(".task-section", has=page.get_by_role("heading", name="Done recently"))
    ticked = done.locator("tr", has_text="Chase the invoice")
    expect(ticked.locator("td").nth(1)).to_have_css("text-decoration-line", "line-through")
    expect(page.get_by_role("heading", name="Overdue")).to_have_count(0)
    expect(page.locator("#task-badge")).to_have_text("1 overdue or due today")  # at once
    page.reload()
    expect(page.locator("#task-badge")).to_have_text("1 overdue or due today")
    done = page.locator(".task-section", has=page.get_by_role("heading", name="Done recently"))
    expect(done).to_contain_text("Chase the invoice")
    for width, name in ((1366, "tasks-1366"), (390, "tasks-390")):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, name)


def test_a_manager_filters_tasks_by_assignee_and_the_url_keeps_it(page, app):
    rep = committed_user(app, "rep", name="Rita Rep")
    manager = committed_user(app, "manager")
    committed_task(app, rep, "Rita's renewal call", utc_today())
    committed_task(app, manager, "Manager's review", utc_today())
    login(page, manager)
    page.goto("/tasks/")
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    expect(page.locator("#task_sections")).to_contain_text("Manager's review")
    expect(page.locator("#task_sections")).not_to_contain_text("Rita's renewal call")

    page.get_by_role("combobox", name="Assignee").select_option(label="Rita Rep")
    expect(page.locator("#task_sections")).to_contain_text("Rita's renewal call")
    expect(page.locator("#task_sections")).not_to_contain_text("Manager's review")
    expect(page).to_have_url(re.compile(f"assignee={rep.id}"))
    page.reload()
    expect(page.locator("#task_sections")).to_contain_text("Rita's renewal call")

    page.get_by_label("Search tasks").press_sequentially("renewal", delay=120)
    expect(page).to_have_url(re.compile("q=renewal"))


def test_a_title_is_edited_in_place(page, app):
    rep = committed_user(app, "rep")
    committed_task(app, rep, "Draft the propsal", utc_today())
    login(page, rep)
    page.goto("/tasks/")
    page.get_by_role("gridcell", name="Draft the propsal", exact=True).click()
    editor = page.get_by_role("textbox", name="Title")
    expect(editor).to_be_focused()
    editor.fill("Draft the proposal")
    editor.press("Enter")
    title = page.get_by_role("gridcell", name="Draft the proposal", exact=True)
    expect(title).to_be_focused()  # back on the cell, to go on from the keyboard

    # The checkbox is named after the new title, and ticking moves the task to Done.
    page.get_by_role("checkbox", name="Complete: Draft the proposal").click()
    done = page.locator(".task-section", has=page.get_by_role("heading", name="Done recently"))
    expect(done.locator("tr", has_text="Draft the proposal")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Marked “Draft the proposal” done. Undo")
    today = page.locator(".task-section", has=page.get_by_role("heading", name="Today"))
    expect(today).to_have_count(0)


def test_my_tasks_is_a_grid_worked_from_the_keyboard_add_edit_delete_and_undo(page, app):
    rep = committed_user(app, "rep")
    committed_task(app, rep, "Ring the supplier", utc_today())
    login(page, rep)
    page.goto("/tasks/")
    page.wait_for_load_state("domcontentloaded")

    # Added with Enter: the sections come back with it under its due day, marked.
    title = page.get_by_label("New task")
    title.press_sequentially("Send the deck", delay=80)
    page.get_by_label("Due day").fill((utc_today() + timedelta(days=3)).isoformat())
    page.get_by_label("Due day").press("Enter")
    upcoming = page.locator(".task-section", has=page.get_by_role("heading", name="Upcoming"))
    expect(upcoming.locator("tr.task-changed")).to_contain_text("Send the deck")
    expect(page.get_by_role("status")).to_have_text("Added “Send the deck”.")
    expect(title).to_have_value("")
    expect(title).to_be_focused()

    # Tab reaches one cell of a grid; the arrows move; Enter opens the editor; a choice saves.
    cell = page.get_by_role("gridcell", name="Ring the supplier", exact=True)
    cell.focus()
    for key in ("ArrowRight", "ArrowRight"):
        page.keyboard.press(key)
    priority = page.locator("#task_sections tr", has_text="Ring the supplier").locator("td").nth(3)
    expect(priority).to_be_focused()
    page.keyboard.press("Enter")
    choice = page.get_by_role("combobox", name="Priority")
    expect(choice).to_be_focused()
    choice.select_option(label="High")
    expect(priority).to_have_text("High")
    page.reload()
    expect(page.locator("#task_sections tr", has_text="Ring the supplier")).to_contain_text("High")

    # Ticked with Space: it moves to Done, and the focus with it (not lost in the redraw).
    page.get_by_role("checkbox", name="Complete: Ring the supplier").focus()
    page.keyboard.press("Space")
    reopen = page.get_by_role("checkbox", name="Reopen: Ring the supplier")
    expect(reopen).to_be_focused()
    expect(page.locator(".task-section", has=reopen)).to_contain_text("Done recently")

    # Deleted with its × from the keyboard: said above the sections, the focus on the Undo,
    # which brings it back.
    page.get_by_role("button", name="Delete task: Send the deck").focus()
    page.keyboard.press("Enter")
    said = page.locator("#task_sections").get_by_role("status")
    expect(said).to_have_text("Deleted “Send the deck”. Undo")
    expect(page.locator("#task_sections tr", has_text="Send the deck")).to_have_count(0)
    expect(said.get_by_role("button", name="Undo")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Restored “Send the deck”.")
    expect(upcoming.get_by_role("checkbox", name="Complete: Send the deck")).to_be_focused()
    screenshot(page, "tasks-grid-restored")


def test_a_viewer_sees_tasks_but_no_way_to_change_them(page, app):
    viewer = committed_user(app, "viewer")
    rep = committed_user(app, "rep")
    contact_id = committed_contact(app, rep)
    committed_task(app, rep, "Call Peter", utc_today(), ("contact", contact_id))
    login(page, viewer)
    page.goto(f"/contacts/{contact_id}")
    tasks = page.locator("#tasks")
    expect(tasks).to_contain_text("Call Peter")
    expect(tasks.get_by_role("checkbox")).to_have_count(0)
    expect(tasks.get_by_role("button")).to_have_count(0)
    expect(tasks.get_by_label("New task")).to_have_count(0)


def test_screenshots_of_a_contact_page_with_tasks(page, app):
    rep = committed_user(app, "rep")
    contact_id = committed_contact(app, rep)
    entity = ("contact", contact_id)
    committed_task(app, rep, "Chase the signed order form", utc_today() - timedelta(days=2), entity)
    committed_task(app, rep, "Call back about renewal", utc_today() + timedelta(days=1), entity)
    committed_task(app, rep, "Send the brochure", None, entity)
    login(page, rep)
    page.goto(f"/contacts/{contact_id}")
    expect(page.locator(".task-item")).to_have_count(3)
    for width, name in ((1366, "contact-tasks-1366"), (390, "contact-tasks-390")):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, name)


def test_a_due_day_and_time_are_set_in_place_and_the_task_stops_being_overdue(page, app):
    rep = committed_user(app, "rep")
    committed_task(app, rep, "Prepare the demo", utc_today() - timedelta(days=1))
    login(page, rep)
    page.goto("/tasks/")
    row = page.locator("#task_sections tr", has_text="Prepare the demo")
    expect(row.locator("time")).to_have_class("due-overdue")
    row.get_by_role("gridcell", name="yesterday").click()
    row.get_by_label("Due day").fill((utc_today() + timedelta(days=2)).isoformat())
    row.get_by_label("Due time (optional)").fill("14:30")
    row.get_by_label("Due time (optional)").press("Enter")
    # It moves to Upcoming, marked, said above the sections; the focus goes with it.
    upcoming = page.locator(".task-section", has=page.get_by_role("heading", name="Upcoming"))
    expect(upcoming.locator("tr.task-changed")).to_contain_text("Prepare the demo")
    expect(page.get_by_role("status")).to_have_text(
        re.compile(r"“Prepare the demo” is now due \d+ \w+ \d{4}, 14:30\.")
    )
    expect(page.get_by_role("heading", name="Overdue")).to_have_count(0)
    expect(row.get_by_role("checkbox", name="Complete: Prepare the demo")).to_be_focused()
    due = row.locator("time")
    expect(due).to_have_attribute("title", re.compile(r", 14:30 "))
    expect(due).not_to_have_class("due-overdue")
    expect(due).not_to_have_css("color", "rgb(192, 53, 43)")
    screenshot(page, "tasks-due-edited")


def test_a_task_field_on_a_record_page_opens_by_click_and_by_enter_and_saves(page, app):
    # The row's fields carry no hx-get: static/js/inline-edit.js opens them from data-field.
    rep = committed_user(app, "rep")
    contact_id = committed_contact(app, rep)
    task_id = committed_task(app, rep, "Send the brochure", None, ("contact", contact_id))
    login(page, rep)
    page.goto(f"/contacts/{contact_id}")
    page.wait_for_load_state("domcontentloaded")
    row = page.locator(f"#task-{task_id}")
    row.get_by_role("button", name="Title: Send the brochure, edit").click()
    title = row.get_by_role("textbox", name="Title")
    expect(title).to_be_focused()
    title.fill("Send the new brochure")
    title.press("Enter")
    expect(row.get_by_role("button", name="Title: Send the new brochure, edit")).to_be_visible()
    # From the keyboard: the field is tabbable, Enter opens its editor, a choice saves it.
    row.get_by_role("button", name="Priority: Normal, edit").focus()
    page.keyboard.press("Enter")
    priority = row.get_by_role("combobox", name="Priority")
    expect(priority).to_be_focused()
    priority.select_option(label="High")
    expect(row.get_by_role("button", name="Priority: High, edit")).to_be_visible()
    page.reload()
    expect(page.locator(f"#task-{task_id}")).to_contain_text("Send the new brochure")
    expect(page.locator(f"#task-{task_id} .task-priority")).to_have_text("High")
