"""Task pages: the one-line add, click-to-edit with versions and conflicts, complete with
Undo, /tasks sections and filters, the nav badge, and what a viewer is offered."""

from __future__ import annotations

import datetime as dt

from crm_web.activities.services import delete_task, get_task, update_task
from tests.support import (
    HX_REQUEST,
    counted,
    make_contact,
    make_deal,
    make_task,
    make_user,
    sign_in,
)


def _today():
    return dt.datetime.now(dt.UTC).date()


def test_adding_from_a_contact_page_returns_the_new_row(client, rep):
    contact = make_contact()
    page = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert 'name="description"' in page and "Add task" in page

    response = client.post(
        "/tasks/",
        data={
            "description": "Call back about renewal",
            "due_date": _today().isoformat(),
            "entity_type": "contact",
            "entity_id": str(contact.id),
        },
        headers=HX_REQUEST,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Call back about renewal" in body and "task-today" in body
    assert "Robin Rep" in body  # assigned to me


def test_a_blank_title_is_refused_beside_the_form(client, rep):
    response = client.post("/tasks/", data={"description": " "}, headers=HX_REQUEST)
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "this"


def test_completing_shows_done_with_undo_and_undo_reopens(client, rep):
    task = make_task(None, None, rep.as_actor(), description="Send quote")
    seen = task.version
    response = client.post(
        f"/tasks/{task.id}/status",
        data={"status": "closed", "version": seen},
        headers=HX_REQUEST,
    )
    body = response.get_data(as_text=True)
    assert "task-done" in body and "Done." in body and ">Undo</button>" in body
    again = client.post(
        f"/tasks/{task.id}/status",
        data={"status": "open", "version": seen + 1},
        headers=HX_REQUEST,
    )
    assert "Reopened." in again.get_data(as_text=True)
    assert get_task(task.id).status == "open"


def test_editing_a_field_that_changed_meanwhile_shows_the_conflict(client, rep):
    task = make_task(None, None, rep.as_actor(), description="Old title")
    seen = task.version
    update_task(task.id, {"description": "Their title"}, rep.as_actor(), seen)
    response = client.patch(
        f"/tasks/{task.id}/fields/description",
        data={"value": "My title", "version": seen},
        headers=HX_REQUEST,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Their title" in body and "My title" in body


def test_saving_the_due_day_redraws_the_row_overdue(client, rep):
    task = make_task(None, None, rep.as_actor(), description="Chase invoice")
    yesterday = (_today() - dt.timedelta(days=2)).isoformat()
    response = client.patch(
        f"/tasks/{task.id}/fields/due_date",
        data={"value": yesterday, "due_time": "", "version": task.version},
        headers=HX_REQUEST,
    )
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == f"#task-{task.id}"
    body = response.get_data(as_text=True)
    assert "task-overdue" in body and "Overdue" in body


def test_my_tasks_page_has_sections_and_the_badge_counts(client, rep):
    me = rep.as_actor()
    make_task(None, None, me, description="Late one", due_date=(_today() - dt.timedelta(3)))
    make_task(None, None, me, description="Today's", due_date=_today())
    make_task(None, None, me, description="Later", due_date=_today() + dt.timedelta(5))
    body = client.get("/tasks/").get_data(as_text=True)
    for heading in ("Overdue", "Today", "Upcoming"):
        assert f">{heading} <span" in body
    assert 'id="task-badge">2<' in body
    searched = client.get("/tasks/?q=one", headers=HX_REQUEST).get_data(as_text=True)
    assert "Late one" in searched and "Later" not in searched.replace("Late one", "")


def test_a_search_shorter_than_three_characters_matches_titles_that_start_with_it(client, rep):
    me = rep.as_actor()
    make_task(None, None, me, description="Zq report", due_date=_today())
    make_task(None, None, me, description="Send the zq figures", due_date=_today())
    short = client.get("/tasks/?q=zq", headers=HX_REQUEST).get_data(as_text=True)
    assert "Zq report" in short and "Send the zq figures" not in short
    assert "Titles starting with “zq”; type 3 characters or more" in short
    inside = client.get("/tasks/?q=zq+f", headers=HX_REQUEST).get_data(as_text=True)
    assert "Send the zq figures" in inside and "Titles starting" not in inside


def test_a_full_page_counts_the_badge_in_the_statement_that_reads_the_signed_in_user(client, rep):
    me = rep.as_actor()
    make_task(None, None, me, description="Late one", due_date=(_today() - dt.timedelta(3)))
    make_task(None, None, me, description="Later", due_date=_today() + dt.timedelta(5))
    with counted() as statements:
        body = client.get("/contacts/").get_data(as_text=True)
    assert 'id="task-badge">1<' in body
    counts = [s for s in statements if "count(*)" in s and "tasks.assignee_id" in s]
    assert len(counts) == 1 and "users.session_version" in counts[0], statements
    # An HTMX request draws no navigation: it reads the user alone.
    with counted() as statements:
        client.get("/contacts/?q=zz", headers=HX_REQUEST)
    assert not any("tasks.assignee_id" in s for s in statements), statements


def test_a_viewer_sees_tasks_without_controls_and_a_forged_post_is_refused(client, no_csrf):
    contact = make_contact()
    task = make_task("contact", contact.id, description="Read only")
    sign_in(client, "viewer")
    page = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert "Read only" in page
    assert "Add task" not in page and "task-checkbox" not in page and "task-delete" not in page
    forged = client.post(f"/tasks/{task.id}/status", data={"status": "closed"})
    assert forged.status_code == 403
    mine = client.get("/tasks/").get_data(as_text=True)
    assert "Nothing to do here." in mine and "Add task" not in mine


def test_managers_filter_by_assignee(client, no_csrf):
    rep = make_user("rep", name="Rita Rep")
    make_task(None, None, rep.as_actor(), description="Rita's call")
    sign_in(client, "manager")
    mine = client.get("/tasks/").get_data(as_text=True)
    assert "Rita's call" not in mine.replace("&#39;", "'")
    theirs = client.get(f"/tasks/?assignee={rep.id}").get_data(as_text=True)
    assert "Rita&#39;s call" in theirs and "Tasks of Rita Rep" in theirs


def test_deleting_says_so_with_an_undo_that_brings_the_task_back(client, rep):
    contact = make_contact()
    mine = make_task("contact", contact.id, rep.as_actor(), description="Drop me")
    response = client.post(f"/tasks/{mine.id}/delete", headers=HX_REQUEST)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Deleted “Drop me”." in body and ">Undo<" in body
    assert "Drop me" not in client.get("/tasks/").get_data(as_text=True)

    undone = client.post(f"/tasks/{mine.id}/restore", headers=HX_REQUEST)
    assert undone.status_code == 200 and "Restored." in undone.get_data(as_text=True)
    back = get_task(mine.id)
    assert (back.description, back.entity_id, back.created_by) == (
        "Drop me",
        contact.id,
        str(rep.id),
    )
    # Audited: deleted, then added again, on the contact's timeline.
    timeline = client.get(f"/contacts/{contact.id}/history").get_data(as_text=True)
    assert "deleted the task" in timeline and timeline.count("added the task") == 2
    other = make_task(None, None, make_user("rep").as_actor(), description="Not yours")
    assert client.post(f"/tasks/{other.id}/delete", headers=HX_REQUEST).status_code == 403


def test_only_who_deleted_a_task_may_undo_it(client, rep):
    task = make_task(None, None, rep.as_actor(), description="Mine, deleted by a manager")
    delete_task(task.id, make_user("manager").as_actor())
    forged = client.post(f"/tasks/{task.id}/restore", headers=HX_REQUEST)
    assert forged.status_code == 403
    assert client.post(f"/tasks/{task.id}/restore").status_code == 403
    assert "Mine, deleted" not in client.get("/tasks/").get_data(as_text=True)
    live = make_task(None, None, rep.as_actor(), description="Still here")
    assert client.post(f"/tasks/{live.id}/restore", headers=HX_REQUEST).status_code == 404


def test_completing_on_my_tasks_moves_the_task_to_done_with_the_counts(client, rep):
    task = make_task(None, None, rep.as_actor(), description="Ring Bob", due_date=_today())
    make_task(None, None, rep.as_actor(), description="Ring Ann", due_date=_today())
    seen = task.version
    headers = {**HX_REQUEST, "HX-Current-URL": "http://localhost/tasks/?q=Ring"}
    data = {"status": "closed", "version": seen, "list": "1", "view": "tasks"}
    response = client.post(f"/tasks/{task.id}/status", data=data, headers=headers)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and '<div id="task_sections"' in body
    said, sections = body.split('id="section-today"')
    today, done = sections.split('id="section-done"')
    # What happened is said above the sections, with its Undo; the row is in Done, marked.
    assert "Marked “Ring Bob” done." in said and ">Undo</button>" in said
    assert (
        "Ring Ann" in today and "Ring Bob" not in today and '>Today <span class="count">1<' in body
    )
    [row] = [row for row in done.split("<tr ")[1:] if "Ring Bob" in row]
    assert 'class="task-done task-changed"' in row and " checked " in row
    assert response.headers["HX-Trigger"] == "record-saved"  # the nav badge counts again

    data = {"status": "open", "version": seen + 1, "list": "1", "view": "tasks"}
    body = client.post(f"/tasks/{task.id}/status", data=data, headers=headers).get_data(
        as_text=True
    )
    assert "Reopened “Ring Bob”." in body, body
    assert 'id="section-done"' not in body
    assert '>Today <span class="count">2<' in body


def test_a_task_moves_to_another_record_and_both_timelines_say_so(client, rep):
    contact, deal = make_contact(), make_deal(title="Big order")
    task = make_task("contact", contact.id, rep.as_actor(), description="Send the quote")
    seen = task.version
    editor = client.get(f"/tasks/{task.id}/fields/record/edit", headers=HX_REQUEST)
    assert "Search contacts, companies, deals" in editor.get_data(as_text=True)
    picked = client.get("/tasks/record-picker?record_q=Big order", headers=HX_REQUEST)
    assert f'data-value="deal:{deal.id}"' in picked.get_data(as_text=True)

    data = {"value": f"deal:{deal.id}", "version": seen}
    response = client.patch(f"/tasks/{task.id}/fields/record", data=data, headers=HX_REQUEST)
    assert response.status_code == 200 and "Big order" in response.get_data(as_text=True)
    assert (get_task(task.id).entity_type, get_task(task.id).entity_id) == ("deal", deal.id)
    left = client.get(f"/contacts/{contact.id}/history").get_data(as_text=True)
    arrived = client.get(f"/deals/{deal.id}/history").get_data(as_text=True)
    assert (
        "Send the quote" in left and f'to the deal <a href="/deals/{deal.id}">Big order</a>' in left
    )
    assert "Send the quote" in arrived
    assert f'here from the contact <a href="/contacts/{contact.id}">Ada Lovelace</a>' in arrived

    stale = client.patch(f"/tasks/{task.id}/fields/record", data=data, headers=HX_REQUEST)
    assert stale.status_code == 409 and "Overwrite with mine" in stale.get_data(as_text=True)
    data = {"value": "", "version": seen + 1}
    response = client.patch(f"/tasks/{task.id}/fields/record", data=data, headers=HX_REQUEST)
    assert response.status_code == 200 and get_task(task.id).entity_id is None
    data = {"value": "deal:not-an-id", "version": seen + 2}
    response = client.patch(f"/tasks/{task.id}/fields/record", data=data, headers=HX_REQUEST)
    assert response.status_code == 422


def test_adding_on_my_tasks_page_makes_an_unlinked_task_of_mine(client, rep):
    response = client.post(
        "/tasks/",
        data={"description": "Plan the week", "due_date": "", "list": "1"},
        headers=HX_REQUEST,
    )
    assert response.status_code == 200
    body = client.get("/tasks/").get_data(as_text=True)
    assert ">No date <span" in body and "Plan the week" in body


def test_my_tasks_rows_are_grid_rows_carrying_their_version_and_no_request_attributes(client, rep):
    """/tasks lists fifty rows: each a grid row holding its id and version once (the columns'
    headers name the fields; static/js/inline-edit.js opens a cell's editor, tasks.js sends the
    checkbox and ×), not a form and buttons' worth of hx-post, targets, values and labels."""
    for n in range(3):
        make_task(None, None, rep.as_actor(), description=f"Follow up {n}")
    edited = make_task(None, None, rep.as_actor(), description="Edited once")
    update_task(edited.id, {"priority": "high"}, rep.as_actor(), edited.version)
    page = client.get("/tasks/").get_data(as_text=True)
    assert 'data-edit-url="/tasks/"' in page and 'aria-describedby="task_sections-help"' in page
    for field in ("description", "due_date", "priority", "assignee_id", "record"):
        assert f'<th scope="col" data-field="{field}">' in page
    rows = page.split("<tr data-id=")[1:]
    assert len(rows) == 4
    for row in rows:
        row = row[: row.index("</tr>")]
        assert "hx-" not in row and "<form" not in row and "tabindex" not in row
        assert 'type="checkbox" class="task-checkbox"' in row and 'class="task-delete"' in row
    [row] = [row for row in rows if "Edited once" in row]
    assert row.startswith(f'"{edited.id}" data-version="2">')
    assert "<td>High</td><td>Robin Rep</td><td></td>" in row  # no record: an empty cell


def test_a_grid_cell_edits_in_place_and_answers_with_its_value(client, rep):
    """A cell of /tasks asks for its editor with ?compact=1; the save answers with the value as
    the cell shows it and the row's new version, not the record page's row."""
    task = make_task(None, None, rep.as_actor(), description="Chase invoice")
    base = f"/tasks/{task.id}/fields/priority"
    editor = client.get(f"{base}/edit?compact=1&seen=1", headers=HX_REQUEST)
    html = editor.get_data(as_text=True)
    assert editor.status_code == 200 and f'id="task-{task.id}-priority-c"' in html
    assert 'name="compact" value="1"' in html and f'data-display-url="{base}?compact=1"' in html

    data = {"value": "high", "version": task.version, "compact": "1"}
    response = client.patch(base, data=data, headers=HX_REQUEST)
    body = response.get_data(as_text=True).strip()
    assert response.status_code == 200 and "HX-Retarget" not in response.headers
    assert body.startswith(
        f'<span class="ie-display" id="task-{task.id}-priority-c" data-version="2">High</span>'
    )
    assert "<li" not in body

    stale = {"value": "Chase it", "version": 1, "compact": "1"}
    conflict = client.patch(f"/tasks/{task.id}/fields/description", data=stale, headers=HX_REQUEST)
    assert conflict.status_code == 409
    assert f"/tasks/{task.id}/fields/description?compact=1" in conflict.get_data(as_text=True)
    blank = {"value": " ", "version": 2, "compact": "1"}
    refused = client.patch(f"/tasks/{task.id}/fields/description", data=blank, headers=HX_REQUEST)
    assert refused.status_code == 422 and 'name="compact" value="1"' in refused.get_data(
        as_text=True
    )
    assert get_task(task.id).description == "Chase invoice"


def test_a_due_day_or_assignee_saved_in_a_grid_cell_moves_the_task_where_it_now_belongs(
    client, rep
):
    """A due day decides a task's section, and on "Mine" its assignee whether it is listed: their
    cells' saves answer with the sections, the task marked where it now is, said above them."""
    task = make_task(None, None, rep.as_actor(), description="Chase <invoice>", due_date=_today())
    other = make_user("rep", name="Robin Other")
    headers = {**HX_REQUEST, "HX-Current-URL": "http://localhost/tasks/"}
    two_days_ago = _today() - dt.timedelta(days=2)
    data = {"value": two_days_ago.isoformat(), "due_time": "", "version": 1, "compact": "1"}
    response = client.patch(f"/tasks/{task.id}/fields/due_date", data=data, headers=headers)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#task_sections"
    assert response.headers["HX-Reswap"] == "outerHTML"
    day = f"{two_days_ago.day} {two_days_ago:%b} {two_days_ago.year}"
    assert f"“Chase &lt;invoice&gt;” is now due {day}." in body
    overdue = body.split('id="section-overdue"')[1].split('id="section-')[0]
    assert "Chase &lt;invoice&gt;" in overdue and "task-changed" in overdue
    assert 'id="section-today"' not in body  # it was the only task due today

    data = {"value": str(other.id), "version": 2, "compact": "1"}
    response = client.patch(f"/tasks/{task.id}/fields/assignee_id", data=data, headers=headers)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "“Chase &lt;invoice&gt;” is now for Robin Other." in body
    assert 'id="section-overdue"' not in body  # off "Mine": no longer listed
    assert get_task(task.id).assignee_id == other.id
    data = {"value": "", "version": 3, "compact": "1"}
    response = client.patch(f"/tasks/{task.id}/fields/assignee_id", data=data, headers=headers)
    assert "“Chase &lt;invoice&gt;” is now unassigned." in response.get_data(as_text=True)


def test_adding_on_my_tasks_redraws_the_sections_with_the_task_in_its_own(client, rep):
    make_task(None, None, rep.as_actor(), description="Already here", due_date=_today())
    page = client.get("/tasks/").get_data(as_text=True)
    assert 'hx-target="#task_sections" hx-swap="outerHTML"' in page
    assert '<input type="hidden" name="view" value="tasks">' in page
    tomorrow = (_today() + dt.timedelta(days=1)).isoformat()
    title = "Send the deck & <notes>"
    data = {"description": title, "due_date": tomorrow, "list": "1", "view": "tasks"}
    headers = {**HX_REQUEST, "HX-Current-URL": "http://localhost/tasks/"}
    response = client.post("/tasks/", data=data, headers=headers)
    body = response.get_data(as_text=True)
    escaped = "Send the deck &amp; &lt;notes&gt;"
    assert response.status_code == 200 and f"Added “{escaped}”." in body
    assert "<notes>" not in body
    upcoming = body.split('id="section-upcoming"')[1]
    assert escaped in upcoming and "task-changed" in upcoming
    assert "Already here" in body.split('id="section-today"')[1].split('id="section-upcoming"')[0]
    refused = client.post("/tasks/", data={**data, "description": ""}, headers=headers)
    assert refused.status_code == 422 and refused.headers["HX-Retarget"] == "this"
    assert 'hx-target="#task_sections"' in refused.get_data(as_text=True)


def test_a_viewers_task_grid_has_no_editable_columns(client, no_csrf):
    viewer = sign_in(client, "viewer")
    make_task(None, None, description="Read me", assignee_id=viewer.id)
    page = client.get("/tasks/").get_data(as_text=True)
    assert "Read me" in page and "<tr data-id=" in page
    assert "data-edit-url" not in page and "data-field" not in page
    assert "task-checkbox" not in page and "task-delete" not in page and "Add task" not in page
