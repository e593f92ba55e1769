"""A record page's weight: its task rows' fields carry no request attributes, the row says
where their editors are (<li data-fields>) and one listener (static/js/inline-edit.js) builds
each editor's URL, so a page with 20 tasks stays light (issues 11 and 16)."""

import datetime as dt
import re

from tests.support import HX_REQUEST, make_contact, make_task, sign_in

# Each row: its checkbox form, five click-to-edit fields (their ids, names and accessible
# names) and its delete button. About 2.5 KB a row while every field carried its own hx-get,
# hx-target and hx-swap.
MAX_TASK_ROW_BYTES = 2_200


def _tasks_of(html: str) -> str:
    return html[html.index('<ul class="task-list"') : html.index('<li class="task-empty')]


def test_a_contact_page_with_20_tasks_stays_light(client):
    sign_in(client, "admin")  # every field editable
    contact = make_contact()
    for n in range(20):
        make_task(
            "contact", contact.id, description=f"Call back {n}", due_date=dt.date(2030, 1, n + 1)
        )
    tasks = _tasks_of(client.get(f"/contacts/{contact.id}").get_data(as_text=True))
    assert tasks.count('<li class="task-item') == 20
    # Every field still opens its editor by click or Enter, and says what it is.
    assert tasks.count('tabindex="0" role="button" aria-label="') == 100
    assert "hx-get" not in tasks
    assert len(tasks.encode()) / 20 <= MAX_TASK_ROW_BYTES


def test_a_task_row_says_where_its_fields_editors_are(client):
    sign_in(client, "admin")
    contact = make_contact()
    task = make_task("contact", contact.id, description="Send the quote")
    tasks = _tasks_of(client.get(f"/contacts/{contact.id}").get_data(as_text=True))
    fields = re.search(rf'id="task-{task.id}" data-fields="([^"]+)"', tasks).group(1)
    name = re.search(rf'id="task-{task.id}-priority" data-field="([^"]+)"', tasks).group(1)
    # What inline-edit.js asks for: the row's data-fields, the field's data-field, "/edit".
    editor = client.get(f"{fields}{name}/edit", headers=HX_REQUEST)
    assert editor.status_code == 200
    assert f'id="task-{task.id}-priority"' in editor.get_data(as_text=True)


def test_a_viewer_s_task_fields_are_plain_text(client):
    sign_in(client, "viewer")
    contact = make_contact()
    make_task("contact", contact.id, description="Send the quote")
    tasks = _tasks_of(client.get(f"/contacts/{contact.id}").get_data(as_text=True))
    assert "Send the quote" in tasks
    assert "data-field" not in tasks and 'role="button"' not in tasks
