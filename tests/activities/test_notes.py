"""Notes on a record page: add, edit with versions and conflicts, pin to the top, delete;
who may (author, managers; viewers read only); the text shown safely with its links."""

from __future__ import annotations

import pytest

from crm_web.activities.note_text import note_html
from crm_web.activities.services import delete_note, get_note, notes_for, update_note
from crm_web.core.errors import PermissionDenied
from tests.support import HX_REQUEST, make_deal, make_note, make_user, sign_in


def test_adding_a_note_to_a_deal_lists_it_with_breaks_and_a_safe_link(client, rep):
    deal = make_deal()
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "Add note" in page and 'name="content"' in page
    text = "First paragraph.\n\nSecond one: https://example.com/pricing?a=1&b=2."
    response = client.post(
        "/notes/",
        data={"content": text, "entity_type": "deal", "entity_id": str(deal.id)},
        headers=HX_REQUEST,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "record-saved"
    assert "First paragraph.\n\nSecond one: " in body
    assert (
        '<a href="https://example.com/pricing?a=1&amp;b=2" rel="noopener nofollow"'
        ' target="_blank">https://example.com/pricing?a=1&amp;b=2</a>.'
    ) in body
    assert f'id="note-list-deal-{deal.id}"' in body


def test_a_plain_form_post_goes_back_to_the_record_page(client, rep):
    deal = make_deal()
    response = client.post(
        "/notes/", data={"content": "Hi", "entity_type": "deal", "entity_id": str(deal.id)}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/deals/{deal.id}#notes")


def test_a_blank_note_is_refused_beside_the_form(client, rep):
    deal = make_deal()
    response = client.post(
        "/notes/",
        data={"content": "  ", "entity_type": "deal", "entity_id": str(deal.id)},
        headers=HX_REQUEST,
    )
    assert response.status_code == 422 and response.headers["HX-Retarget"] == "this"
    assert "This field is required." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "text, shown",
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ('<a href="javascript:alert(1)">x</a>', "&lt;a href=&#34;javascript:alert(1)&#34;&gt;"),
        ('http://x.y/"onmouseover=alert(1)', '">http://x.y/</a>&#34;onmouseover=alert(1)'),
        ("mail mailto:ann@example.com.", '<a href="mailto:ann@example.com" rel="noopener'),
        ("(see https://w.org/wiki/A_(b))", 'href="https://w.org/wiki/A_(b)"'),
    ],
)
def test_note_text_is_escaped_and_only_web_and_mail_addresses_become_links(text, shown):
    html = str(note_html(text))
    assert shown in html
    assert "<script" not in html and 'href="javascript' not in html


def test_editing_saves_and_a_stale_version_shows_theirs_and_yours(client, rep):
    deal = make_deal()
    note = make_note("deal", deal.id, rep.as_actor(), content="Old")
    seen = note.version
    ok = client.post(
        f"/notes/{note.id}", data={"content": "New", "version": seen}, headers=HX_REQUEST
    )
    assert ok.status_code == 200 and "New" in ok.get_data(as_text=True)
    stale = client.post(
        f"/notes/{note.id}", data={"content": "Mine", "version": seen}, headers=HX_REQUEST
    )
    body = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Someone else changed this note" in body and "New" in body and ">Mine</textarea>" in body
    assert get_note(note.id).content == "New"


def _item(page: str, note_id) -> str:
    """The <li> of the note `note_id` on `page`."""
    return page.split(f'id="note-{note_id}"', 1)[1].split("</li>", 1)[0]


def test_a_notes_buttons_carry_no_request_of_their_own(client, rep):
    # static/js/notes.js sends Pin, Edit and Delete from the note's id and version and the
    # list's URL: each note's three URLs and htmx attributes were ~0.5 KB a note.
    deal = make_deal()
    note = make_note("deal", deal.id, rep.as_actor(), content="Call back")
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    item = _item(page, note.id)
    assert f'data-version="{note.version}"' in item
    assert all(f'class="link-button note-{name}"' in item for name in ("pin", "edit", "delete"))
    assert "hx-" not in item and "/notes/" not in item
    assert f'id="note-list-deal-{deal.id}" aria-label="Notes" data-notes-url="/notes/"' in page


def test_pinning_moves_a_note_to_the_top(client, rep):
    deal = make_deal()
    older = make_note("deal", deal.id, rep.as_actor(), content="Older note")
    make_note("deal", deal.id, rep.as_actor(), content="Newer note")
    response = client.post(
        f"/notes/{older.id}/pin", data={"pinned": "1", "version": older.version}, headers=HX_REQUEST
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.index("Older note") < body.index("Newer note") and "Pinned" in body
    assert [n.content for n in notes_for("deal", deal.id)] == ["Older note", "Newer note"]


def test_a_rep_changes_only_their_own_notes_and_a_manager_any(client, rep):
    deal = make_deal()
    theirs = make_note("deal", deal.id, make_user("rep").as_actor(), content="A colleague's")
    mine = make_note("deal", deal.id, rep.as_actor(), content="Mine")
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "A colleague&#39;s" in page
    assert "note-edit" not in _item(page, theirs.id) and "note-delete" not in _item(page, theirs.id)
    assert "note-edit" in _item(page, mine.id) and "note-delete" in _item(page, mine.id)
    forged = client.post(f"/notes/{theirs.id}", data={"content": "x", "version": 1})
    assert forged.status_code == 403
    assert client.post(f"/notes/{theirs.id}/delete").status_code == 403
    manager = make_user("manager").as_actor()
    assert update_note(theirs.id, {"pinned": True}, manager, theirs.version).pinned


def test_a_viewer_reads_notes_but_is_offered_nothing_and_a_forged_post_is_refused(client, no_csrf):
    deal = make_deal()
    note = make_note("deal", deal.id, content="Visible to all")
    sign_in(client, "viewer")
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "Visible to all" in page
    assert "Add note" not in page and "Pin to top" not in page and "note-edit" not in page
    forged = client.post(
        "/notes/", data={"content": "x", "entity_type": "deal", "entity_id": str(deal.id)}
    )
    assert forged.status_code == 403
    assert client.post(f"/notes/{note.id}/pin", data={"pinned": "1"}).status_code == 403
    with pytest.raises(PermissionDenied):
        update_note(note.id, {"content": "x"}, make_user("viewer").as_actor())


def test_deleting_a_note_says_so_with_an_undo_only_its_deleter_may_use(client, rep):
    deal = make_deal()
    note = make_note("deal", deal.id, rep.as_actor(), content="Gone soon")
    response = client.post(f"/notes/{note.id}/delete", headers=HX_REQUEST)
    body = response.get_data(as_text=True)
    assert "Note deleted." in body and ">Undo<" in body and "Gone soon" not in body
    assert f'id="note-{note.id}"' not in client.get(f"/deals/{deal.id}").get_data(as_text=True)
    undone = client.post(f"/notes/{note.id}/restore", headers=HX_REQUEST)
    assert undone.status_code == 200 and "Gone soon" in undone.get_data(as_text=True)
    assert f'id="note-{note.id}"' in client.get(f"/deals/{deal.id}").get_data(as_text=True)

    theirs = make_note("deal", deal.id, rep.as_actor(), content="Deleted by a manager")
    delete_note(theirs.id, make_user("manager").as_actor())
    assert client.post(f"/notes/{theirs.id}/restore", headers=HX_REQUEST).status_code == 403
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert f'id="note-{theirs.id}"' not in page
