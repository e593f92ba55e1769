"""A record page's add forms for tasks and notes are drawn once and kept
(activities.display.record_add_form): each page's must still name its own record and carry its
own session's CSRF token."""

from __future__ import annotations

import re

from tests.support import HX_REQUEST, make_contact, sign_in

FORM = re.compile(r'<form class="(?:task-add|note-form note-add)".*?</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def test_each_record_page_adds_to_its_own_record_with_its_own_sessions_token(
    app, client, monkeypatch
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    ada = make_contact(first_name="Ada", last_name="Lovelace")
    alan = make_contact(first_name="Alan", last_name="Turing")
    tokens = set()
    for role in ("rep", "manager"):
        sign_in(client, role)
        for contact in (ada, alan):
            page = client.get(f"/contacts/{contact.id}").text
            token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
            tokens.add(token)
            task_form, note_form = FORM.findall(page)
            for form in (task_form, note_form):
                fields = dict(HIDDEN.findall(form))
                assert fields["entity_id"] == str(contact.id)
                assert fields["csrf_token"] == token
            assert f'hx-target="#task-list-contact-{contact.id}"' in task_form
            assert f'hx-target="#note-list-contact-{contact.id}"' in note_form
            fields = dict(HIDDEN.findall(task_form))
            said = f"Call {contact.first_name} ({role})"
            response = client.post("/tasks/", data={**fields, "description": said})
            assert response.status_code == 200  # the token was accepted
            assert said in response.text
    assert len(tokens) == 2  # one a session: the rep's page never drew the manager's token
    for contact in (ada, alan):
        shown = client.get(f"/contacts/{contact.id}", headers=HX_REQUEST).text
        assert f"Call {contact.first_name} (rep)" in shown
        assert f"Call {contact.first_name} (manager)" in shown
        other = "Alan" if contact is ada else "Ada"
        assert f"Call {other}" not in shown
