"""Notes as a rep writes them: two paragraphs and a link on a deal, kept as written with a safe
link, edited in place and pinned; hostile text shows as text and runs nothing; a viewer reads
notes only. Keyboard: `t` and `n` on a record page, `?` lists the shortcuts."""

from playwright.sync_api import expect

from tests.browser.conftest import (
    committed,
    committed_user,
    expect_error_status,
    login,
    screenshot,
)
from tests.browser.helpers import actor_of, committed_contact, type_task_after_t

TWO_PARAGRAPHS = (
    "Spoke with Ann about the renewal.\n\n"
    "She wants the pricing page first: https://example.com/pricing?plan=team."
)


def _deal(app, user):
    from tests.support import make_deal

    return committed(app, lambda: make_deal(actor_of(user), title="Initech renewal").id)


def _note(app, user, entity, content):
    from crm_web.activities.services import create_note

    data = {"content": content, "entity_type": entity[0], "entity_id": entity[1]}
    return committed(app, lambda: create_note(data, actor_of(user)).id)


def _add_note(page, text):
    box = page.get_by_label("New note")
    box.fill(text)
    box.press("Control+Enter")


def test_a_note_with_two_paragraphs_and_a_link_is_added_edited_and_pinned(page, app):
    rep = committed_user(app, "rep")
    deal_id = _deal(app, rep)
    login(page, rep)
    page.goto(f"/deals/{deal_id}")
    notes = page.locator("#notes")
    _add_note(page, TWO_PARAGRAPHS)

    note = notes.locator(".note-item", has_text="Spoke with Ann")
    expect(note).to_be_visible()
    expect(page.get_by_label("New note")).to_have_value("")  # ready for the next one
    shown = note.locator(".note-content").inner_text()
    assert "renewal.\n\nShe wants" in shown  # the blank line between the paragraphs stays
    link = note.get_by_role("link", name="https://example.com/pricing?plan=team")
    expect(link).to_have_attribute("href", "https://example.com/pricing?plan=team")
    expect(link).to_have_attribute("rel", "noopener nofollow")
    expect(note).to_contain_text("plan=team.")  # the full stop is the sentence's, not the link's

    note.get_by_role("button", name="Edit").click()
    editor = note.get_by_label("Note")
    expect(editor).to_be_focused()
    editor.fill(TWO_PARAGRAPHS + "\nCall her Friday.")
    note.get_by_role("button", name="Save").click()
    expect(note.locator(".note-content")).to_contain_text("Call her Friday.")
    expect(note.get_by_label("Note")).to_have_count(0)

    _note(app, rep, ("deal", deal_id), "A newer note from the demo")
    page.reload()
    expect(notes.locator(".note-item").first).to_contain_text("A newer note")
    notes.locator(".note-item", has_text="Spoke with Ann").get_by_role(
        "button", name="Pin to top"
    ).click()
    first = notes.locator(".note-item").first
    expect(first).to_contain_text("Spoke with Ann")
    expect(first.locator(".note-flag")).to_have_text("Pinned")
    page.reload()  # pinned for good, not only on this page
    expect(notes.locator(".note-item").first).to_contain_text("Spoke with Ann")
    newer = notes.locator(".note-item", has_text="A newer note")
    newer.get_by_role("button", name="Delete").press("Enter")  # from the keyboard, too
    expect(notes.locator(".note-removed")).to_contain_text("Note deleted.")
    expect(notes).not_to_contain_text("A newer note")
    notes.get_by_role("button", name="Undo").click()
    expect(newer).to_be_visible()
    notes.locator(".note-item", has_text="Spoke with Ann").get_by_role(
        "button", name="Unpin"
    ).click()
    expect(notes.locator(".note-item").first).to_contain_text("A newer note")
    expect(notes.locator(".note-flag")).to_have_count(0)
    for width, name in ((1366, "deal-notes-1366"), (390, "deal-notes-390")):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, name)


def test_a_note_holding_a_script_and_javascript_links_shows_as_text_and_runs_nothing(page, app):
    rep = committed_user(app, "rep")
    deal_id = _deal(app, rep)
    login(page, rep)
    page.goto(f"/deals/{deal_id}")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    hostile = (
        "<script>alert(1)</script>\n"
        '<a href="javascript:alert(2)">click</a> javascript:alert(3) '
        "<img src=x onerror=alert(4)>"
    )
    _add_note(page, hostile)
    note = page.locator("#notes .note-item").first
    expect(note.locator(".note-content")).to_have_text(hostile)
    expect(note.locator(".note-content a, .note-content img, .note-content script")).to_have_count(
        0
    )
    page.reload()
    expect(page.locator("#notes .note-content").first).to_have_text(hostile)
    assert dialogs == []


def test_a_viewer_reads_notes_but_cannot_add_or_change_them(page, app):
    rep = committed_user(app, "rep")
    viewer = committed_user(app, "viewer")
    deal_id = _deal(app, rep)
    _note(app, rep, ("deal", deal_id), "Budget approved in March")
    login(page, viewer)
    page.goto(f"/deals/{deal_id}")
    notes = page.locator("#notes")
    expect(notes).to_contain_text("Budget approved in March")
    expect(notes.get_by_label("New note")).to_have_count(0)
    expect(notes.get_by_role("button")).to_have_count(0)
    expect(page.get_by_role("button", name="Keyboard shortcuts")).to_have_count(0)
    screenshot(page, "deal-notes-viewer-1366")

    expect_error_status(page, 403)
    # As if a stale or hand-made form posted a note anyway: the server refuses it.
    status = page.evaluate(
        """async (id) => {
            const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
            const body = new URLSearchParams({content: "forged", entity_type: "deal", entity_id: id});
            const response = await fetch("/notes/", {method: "POST", body, headers: {"X-CSRFToken": token}});
            return response.status;
        }""",
        str(deal_id),
    )
    assert status == 403
    page.reload()
    expect(notes).not_to_contain_text("forged")


def test_keys_t_and_n_add_a_task_and_a_note_and_question_mark_lists_them(page, app):
    rep = committed_user(app, "rep")
    contact_id = committed_contact(app, rep)
    login(page, rep)
    page.goto(f"/contacts/{contact_id}")

    type_task_after_t(page, "Call back about renewal").press("Enter")
    expect(page.locator("#tasks .task-item", has_text="Call back about renewal")).to_be_visible()

    page.get_by_role("heading", level=1).click()  # out of the field: keys are shortcuts again
    page.keyboard.press("n")
    box = page.get_by_label("New note")
    expect(box).to_be_focused()
    expect(box).to_have_value("")  # the `n` itself was not typed
    box.press_sequentially("Left a voicemail, trying again tomorrow", delay=120)
    box.press("Control+Enter")
    expect(page.locator("#notes .note-item", has_text="Left a voicemail")).to_be_visible()

    page.get_by_role("heading", level=1).click()
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Add a task")
    expect(help_dialog.get_by_role("button", name="Close")).to_be_focused()
    page.set_viewport_size({"width": 390, "height": 800})
    screenshot(page, "shortcuts-help-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    screenshot(page, "shortcuts-help-1366")
    expect(help_dialog).to_be_visible()
    page.keyboard.press("t")  # the page behind is inert while the list is open
    expect(page.get_by_label("New task")).not_to_be_focused()
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    # From the button beside the cards, focus comes back to it when the list closes.
    opener = page.get_by_role("button", name="Keyboard shortcuts")
    opener.click()
    expect(help_dialog).to_be_visible()
    help_dialog.get_by_role("button", name="Close").click()
    expect(opener).to_be_focused()
