"""A note as its record page lists it (templates/notes/_macros.html's item calls note_item).
A contact's page draws 20 notes: through a Jinja macro, with three url_for and a permission
check each, that was a fifth of the page's cost; built here with f-strings, once a request
for what every note shares, as the task rows are (display.py). Its Pin, Edit and Delete carry
no request of their own: static/js/notes.js sends them from the note's id and version and the
list's data-notes-url (each note's three URLs and htmx attributes were ~0.5 KB a note)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g
from markupsafe import Markup

from crm_web.accounts.auth import signed_in_actor
from crm_web.activities.display import assignee_choices, escape
from crm_web.activities.note_text import note_html
from crm_web.activities.services import may_change_note
from crm_web.core.actor import Actor
from crm_web.core.display import KeptRows


@dataclass(frozen=True, slots=True)
class _Notes:
    """What every note of a request shares: the user and the authors' names."""

    actor: Actor | None
    authors: dict


def _notes_context() -> _Notes:
    if "note_context" not in g:
        g.note_context = _Notes(signed_in_actor(), dict(assignee_choices()))
    return g.note_context


def _key(note, ctx: _Notes) -> tuple:
    """All that a note's item shows but its time (notes are kept drawn: _notes)."""
    author = ctx.authors.get(str(note.created_by or ""), "") or "Someone"
    changeable = ctx.actor is not None and may_change_note(ctx.actor, note)
    return (str(note.id), note.pinned, author, note.version, note.content, changeable)


def _item(key, page) -> tuple[str, str]:
    """A note's <li> before and after its time (core.display.KeptRows)."""
    note_id, pinned, author, version, content, changeable = key
    flag = '<span class="note-flag">Pinned</span>\n' if pinned else ""
    actions = ""
    if changeable:
        actions = (
            '\n<span class="note-actions">\n'
            f'<button type="button" class="link-button note-pin">'
            f"{'Unpin' if pinned else 'Pin to top'}</button>\n"
            '<button type="button" class="link-button note-edit">Edit</button>\n'
            '<button type="button" class="link-button note-delete">Delete</button>\n</span>'
        )
    return (
        f'<li class="note-item{" note-pinned" if pinned else ""}" id="note-{note_id}" '
        f'data-version="{version}">\n'
        f'<div class="note-head">\n{flag}<span class="note-author">{escape(author)}</span>\n'
        '<span class="note-when">',
        f'</span>{actions}\n</div>\n<div class="note-content">{note_html(content)}</div>\n</li>',
    )


# Notes kept drawn by all they show (a record page draws 20), their times drawn every time.
_notes = KeptRows(_item)


def note_item(note) -> Markup:
    """<li id="note-<id>">: who wrote it and when, Pin/Edit/Delete for those who may change it
    (services.may_change_note), its text (note_text.note_html: escaped, safe links)."""
    return note_items([note])


def note_items(notes) -> Markup:
    """The <li>s of a record's notes, in the order given (pinned first: the page's query)."""
    ctx = _notes_context()
    keys = [_key(note, ctx) for note in notes]
    return _notes(keys, [note.created_at for note in notes], ())
