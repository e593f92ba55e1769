"""Issue 11's "Done when" journeys, walked as a rep would: a task added with `t` from a contact
page comes due (a due date of today: the next day's view) under Today on /tasks and at home,
and ticking it moves it to Done recently, with an Undo that brings it back, without a reload;
a task or a note deleted comes back with Undo; a task moves to a deal; two pages change the
same task and the second gets the conflict view; a viewer is offered nothing and a forged POST
is refused."""

from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.conftest import (
    committed,
    committed_user,
    expect_error_status,
    login,
    screenshot,
)
from tests.browser.helpers import (
    actor_of,
    committed_contact,
    committed_task,
    type_task_after_t,
    utc_today,
)


def _section(page, name):
    return page.locator(".task-section", has=page.get_by_role("heading", name=name))


def test_a_task_added_with_t_comes_due_today_and_ticking_it_moves_it_to_done(page, app):
    rep = committed_user(app, "rep", name="Rita Rep")
    contact_id = committed_contact(app, rep)
    committed_task(app, rep, "Chase the invoice", utc_today())
    login(page, rep)
    page.goto(f"/contacts/{contact_id}")

    type_task_after_t(page, "Call back about renewal")
    due = page.locator("#tasks").get_by_label("Due day")
    due.fill((utc_today() + timedelta(days=1)).isoformat())
    due.press("Enter")
    row = page.locator("#tasks .task-item", has_text="Call back about renewal")
    expect(row).to_contain_text("tomorrow")
    expect(page.locator("#history")).to_contain_text(
        "Rita Rep added the task Call back about renewal"
    )
    page.get_by_role("link", name="Tasks").first.click()
    expect(_section(page, "Upcoming")).to_contain_text("Call back about renewal")
    # Shown is not ready: a click before the page's deferred scripts have run is lost.
    page.wait_for_load_state("domcontentloaded")
    expect(page.locator("#task-badge")).to_have_text("1 overdue or due today")

    # The next day: its due date is today (set in place, as the rep would on the day).
    upcoming_row = page.locator("#task_sections tr", has_text="Call back about renewal")
    upcoming_row.get_by_role("gridcell", name="tomorrow").click()
    upcoming_row.get_by_label("Due day").fill(utc_today().isoformat())
    upcoming_row.get_by_label("Due day").press("Enter")
    expect(upcoming_row.locator("time")).to_have_class("due-today")
    expect(upcoming_row.locator("time")).to_have_text("today")
    page.goto("/")
    home_row = page.locator("#home-task-list .task-item", has_text="Call back about renewal")
    expect(home_row).to_contain_text("Peter Gibbons")
    page.goto("/tasks/")
    today = _section(page, "Today")
    expect(today.locator("h2")).to_have_text("Today 2")
    expect(today).to_contain_text("Call back about renewal")
    expect(page.locator("#task-badge")).to_have_text("2 overdue or due today")

    # Ticked: it moves to Done recently at once, the counts and the badge with it.
    page.get_by_role("checkbox", name="Complete: Call back about renewal").click()
    done = _section(page, "Done recently")
    moved = done.locator("tr", has_text="Call back about renewal")
    expect(moved).to_have_class("task-done task-changed")
    said = page.locator("#task_sections").get_by_role("status")
    expect(said).to_have_text("Marked “Call back about renewal” done. Undo")
    expect(today.locator("h2")).to_have_text("Today 1")
    expect(today).not_to_contain_text("Call back about renewal")
    expect(page.locator("#task-badge")).to_have_text("1 overdue or due today")
    screenshot(page, "tasks-ticked-moves-to-done")

    said.get_by_role("button", name="Undo").click()
    expect(said).to_have_text("Reopened “Call back about renewal”.")
    expect(today.locator("tr.task-changed")).to_contain_text("Call back about renewal")
    expect(today.locator("h2")).to_have_text("Today 2")
    expect(page.get_by_role("heading", name="Done recently")).to_have_count(0)
    expect(page.locator("#task-badge")).to_have_text("2 overdue or due today")
    page.reload()
    expect(_section(page, "Today")).to_contain_text("Call back about renewal")

    # At home the same tick moves it below what is still due, with its Undo.
    page.goto("/")
    home = page.locator("#home-task-list")
    home.get_by_role("checkbox", name="Complete: Call back about renewal").click()
    ticked = home.locator(".task-item", has_text="Call back about renewal")
    expect(ticked).to_have_class("task-item task-done")
    expect(home.locator(".task-item").last).to_contain_text("Call back about renewal")
    expect(page.locator("#task-badge")).to_have_text("1 overdue or due today")
    ticked.get_by_role("button", name="Undo").click()
    expect(home.locator(".task-item", has_text="Call back about renewal")).to_contain_text(
        "Reopened."
    )
    expect(page.locator("#task-badge")).to_have_text("2 overdue or due today")
    screenshot(page, "home-after-undo")


def test_a_deleted_task_and_note_come_back_with_undo(page, app):
    from crm_web.activities.services import create_note

    rep = committed_user(app, "rep")
    contact_id = committed_contact(app, rep)
    committed_task(app, rep, "Send the brochure", utc_today(), ("contact", contact_id))
    data = {"content": "Prefers email", "entity_type": "contact", "entity_id": contact_id}
    committed(app, lambda: create_note(data, actor_of(rep)).id)
    login(page, rep)
    page.goto(f"/contacts/{contact_id}")

    page.get_by_role("button", name="Delete task: Send the brochure").click()
    gone = page.locator("#tasks").get_by_role("status")
    expect(gone).to_have_text("Deleted “Send the brochure”. Undo")
    expect(page.locator("#task-badge")).to_have_count(0)
    screenshot(page, "task-deleted-undo")
    gone.get_by_role("button", name="Undo").click()
    row = page.locator("#tasks .task-item", has_text="Send the brochure")
    expect(row.get_by_role("status")).to_have_text("Restored.")
    expect(page.locator("#task-badge")).to_have_text("1 overdue or due today")

    notes = page.locator("#notes")
    notes.locator(".note-item", has_text="Prefers email").get_by_role(
        "button", name="Delete"
    ).click()
    expect(notes.get_by_role("status")).to_contain_text("Note deleted.")
    expect(notes).not_to_contain_text("Prefers email")
    notes.get_by_role("button", name="Undo").click()
    expect(notes.locator(".note-item", has_text="Prefers email")).to_be_visible()
    page.reload()
    expect(page.locator("#tasks")).to_contain_text("Send the brochure")
    expect(page.locator("#notes")).to_contain_text("Prefers email")


def test_a_task_moves_to_a_deal_and_both_timelines_show_it(page, app):
    from tests.support import make_deal

    rep = committed_user(app, "rep", name="Rita Rep")
    contact_id = committed_contact(app, rep)
    deal_id = committed(app, lambda: make_deal(actor_of(rep), title="Initech renewal").id)
    task_id = committed_task(app, rep, "Send the quote", utc_today(), ("contact", contact_id))
    login(page, rep)
    page.goto(f"/contacts/{contact_id}")

    row = page.locator(f"#task-{task_id}")  # its title is in an input while editing
    row.get_by_role("button", name="Record: This contact, edit").click()
    search = row.get_by_role("searchbox", name="Move to record")
    search.press_sequentially("Initech", delay=120)
    option = row.get_by_role("option", name="Deal Initech renewal")
    screenshot(page, "task-record-picker")
    option.click()
    expect(row.get_by_role("link", name="Initech renewal")).to_be_visible()
    expect(page.locator("#history")).to_contain_text(
        "moved the task Send the quote to the deal Initech renewal"
    )

    row.get_by_role("link", name="Initech renewal").click()
    expect(page).to_have_url(f"/deals/{deal_id}")
    expect(page.locator("#tasks")).to_contain_text("Send the quote")
    expect(page.locator("#history")).to_contain_text(
        "Rita Rep moved the task Send the quote here from the contact Peter Gibbons"
    )


def test_two_pages_change_the_same_task_and_the_second_gets_the_conflict_view(page, app):
    rep = committed_user(app, "rep")
    task_id = committed_task(app, rep, "Draft the proposal", utc_today())
    login(page, rep)
    page.goto("/tasks/")
    other = page.context.new_page()
    other.goto("/tasks/")

    # The second page opens the title's editor; meanwhile the first completes the task.
    row = other.locator(f'tr[data-id="{task_id}"]')
    row.get_by_role("gridcell", name="Draft the proposal", exact=True).click()
    editor = row.get_by_role("textbox", name="Title")
    expect(editor).to_be_focused()
    page.get_by_role("checkbox", name="Complete: Draft the proposal").click()
    expect(_section(page, "Done recently")).to_contain_text("Draft the proposal")

    expect_error_status(page, 409)
    editor.press("End")
    editor.press_sequentially(" v2", delay=120)
    editor.press("Enter")
    conflict = other.get_by_role("alert")
    expect(conflict).to_contain_text("Someone else changed title while you were editing.")
    expect(conflict).to_contain_text("Draft the proposal v2")
    screenshot(other, "task-conflict")
    conflict.get_by_role("button", name="Overwrite with mine").click()
    expect(row.get_by_role("gridcell", name="Draft the proposal v2", exact=True)).to_be_visible()

    # The stale checkbox of the second page: told the task changed, shown as it is now.
    other.reload()
    page.reload()
    page.get_by_role("checkbox", name="Reopen: Draft the proposal v2").click()
    expect(_section(page, "Today")).to_contain_text("Draft the proposal v2")
    stale = other.get_by_role("checkbox", name="Reopen: Draft the proposal v2")
    stale.click()
    expect(other.locator("#task_sections").get_by_role("status")).to_contain_text(
        "Someone else changed “Draft the proposal v2” meanwhile; this is how it is now."
    )
    other.close()


def test_a_viewer_sees_tasks_and_notes_without_controls_and_a_forged_post_is_refused(page, app):
    from crm_web.activities.services import create_note

    rep = committed_user(app, "rep")
    viewer = committed_user(app, "viewer")
    contact_id = committed_contact(app, rep)
    task_id = committed_task(app, rep, "Call Peter", utc_today(), ("contact", contact_id))
    data = {"content": "Met at the fair", "entity_type": "contact", "entity_id": contact_id}
    committed(app, lambda: create_note(data, actor_of(rep)).id)
    login(page, viewer)
    page.goto(f"/contacts/{contact_id}")
    for card in ("#tasks", "#notes"):
        expect(page.locator(card).get_by_role("button")).to_have_count(0)
        expect(page.locator(card).get_by_role("checkbox")).to_have_count(0)
        expect(page.locator(card).get_by_role("textbox")).to_have_count(0)
    expect(page.locator("#tasks")).to_contain_text("Call Peter")
    expect(page.locator("#notes")).to_contain_text("Met at the fair")

    # The same requests the rep's buttons send, with the viewer's own session and token.
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
    headers = {"X-CSRFToken": token, "HX-Request": "true"}
    for url, form in (
        (f"/tasks/{task_id}/status", {"status": "closed", "version": "1"}),
        (f"/tasks/{task_id}/delete", {}),
        (
            "/tasks/",
            {"description": "Sneaky", "entity_type": "contact", "entity_id": str(contact_id)},
        ),
        ("/notes/", {"content": "Sneaky", "entity_type": "contact", "entity_id": str(contact_id)}),
    ):
        assert page.request.post(url, form=form, headers=headers).status == 403, url
    page.reload()
    expect(page.locator("#tasks .task-item")).to_have_count(1)
    expect(page.locator("#tasks .task-item")).not_to_have_class("task-item task-done")
    expect(page.locator("#notes")).not_to_contain_text("Sneaky")
