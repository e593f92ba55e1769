"""A note as its record page lists it (templates/notes/_macros.html's item calls note_item).
A contact's page draws 20 notes: through a Jinja macro, with three url_for and a permission
check each, that was a fifth of the page's cost; built here with f-strings, once a request
for what every note shares, as the task rows are (display.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from flask import g
from flask_login import current_user
from markupsafe import Markup

from crm_web.activities.display import assignee_choices, escape
from crm_web.activities.note_text import note_html
from crm_web.activities.services import may_change_note
from crm_web.core.actor import Actor
from crm_web.core.dates import time_html, user_zone
from crm_web.core.urls import fixed_url

_SAMPLE_ID = uuid.UUID(int=0)


@dataclass(frozen=True, slots=True)
class _Notes:
    """What every note of a request shares: the clock, the user, the authors' names and the
    URLs of a note's buttons (with the sample id where the note's goes)."""

    now: dt.datetime
    tz: dt.tzinfo
    today: dt.date
    actor: Actor | None
    authors: dict
    pin: str
    edit: str
    delete: str


def _notes_context() -> _Notes:
    if "note_context" not in g:
        actor = current_user.as_actor() if current_user.is_authenticated else None
        now, tz = dt.datetime.now(dt.UTC), user_zone()
        g.note_context = _Notes(
            now,
            tz,
            now.astimezone(tz).date(),
            actor,
            dict(assignee_choices()),
            *(fixed_url(f"notes.{name}", note_id=_SAMPLE_ID) for name in ("pin", "edit", "delete")),
        )
    return g.note_context


def _item(note, ctx: _Notes) -> str:
    note_id = str(note.id)
    flag = '<span class="note-flag">Pinned</span>\n' if note.pinned else ""
    author = escape(ctx.authors.get(str(note.created_by or ""), "") or "Someone")
    actions = ""
    if ctx.actor is not None and may_change_note(ctx.actor, note):
        sample = str(_SAMPLE_ID)
        pin, edit, delete = (
            url.replace(sample, note_id) for url in (ctx.pin, ctx.edit, ctx.delete)
        )
        vals = f'{{"pinned": "{0 if note.pinned else 1}", "version": "{note.version}"}}'
        actions = (
            '\n<span class="note-actions">\n'
            f'<button type="button" class="link-button note-pin" hx-post="{pin}" '
            f'hx-vals=\'{vals}\' hx-target="closest ul" hx-swap="outerHTML">'
            f"{'Unpin' if note.pinned else 'Pin to top'}</button>\n"
            f'<button type="button" class="link-button note-edit" hx-get="{edit}" '
            'hx-target="closest li" hx-swap="outerHTML">Edit</button>\n'
            f'<button type="button" class="link-button note-delete" hx-post="{delete}" '
            'hx-target="closest li" hx-swap="outerHTML">Delete</button>\n</span>'
        )
    when = time_html(note.created_at, ctx.now, ctx.tz, ctx.today) if note.created_at else ""
    return (
        f'<li class="note-item{" note-pinned" if note.pinned else ""}" id="note-{note_id}">\n'
        f'<div class="note-head">\n{flag}<span class="note-author">{author}</span>\n'
        f'<span class="note-when">{when}</span>{actions}\n</div>\n'
        f'<div class="note-content">{note_html(note.content)}</div>\n</li>'
    )


def note_item(note) -> Markup:
    """<li id="note-<id>">: who wrote it and when, Pin/Edit/Delete for those who may change it
    (services.may_change_note), its text (note_text.note_html: escaped, safe links)."""
    return Markup(_item(note, _notes_context()))  # noqa: S704 - every value escaped in _item


def note_items(notes) -> Markup:
    """The <li>s of a record's notes, in the order given (pinned first: the page's query)."""
    ctx = _notes_context()
    return Markup("\n".join(_item(note, ctx) for note in notes))  # noqa: S704 - see _item
