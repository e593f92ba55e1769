"""Notes on a record page's Notes card: add (a textarea; Ctrl/Cmd+Enter or the button saves),
edit in place with the version seen (409 when someone saved first), pin to the top, delete.
A note is <li id="note-<id>"> in <ul id="note-list-<type>-<record id>">."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from crm_web.accounts.auth import current_actor, requires
from crm_web.activities import services
from crm_web.activities.display import assignee_name
from crm_web.activities.models import ENTITY_TYPES
from crm_web.activities.note_display import note_item, note_items
from crm_web.activities.note_text import note_html
from crm_web.core.errors import ConflictError, ValidationError
from crm_web.core.htmx import render, saved, wants_fragment
from crm_web.records import pages

bp = Blueprint("notes", __name__, url_prefix="/notes")

_RECORD_PAGES = {
    "contact": ("contacts.detail", "contact_id"),
    "company": ("companies.detail", "company_id"),
    "deal": ("deals.detail", "deal_id"),
}


def can_change_note(note) -> bool:
    """May the signed-in user edit, pin or delete `note` (services.may_change_note)?"""
    return current_user.is_authenticated and services.may_change_note(current_actor(), note)


bp.add_app_template_global(note_item, "note_item")
bp.add_app_template_global(note_items, "note_items")
bp.add_app_template_global(note_html, "note_html")
bp.add_app_template_global(assignee_name, "note_author_name")


def _record_url(entity_type, entity_id) -> str:
    endpoint, arg = _RECORD_PAGES[entity_type]
    return url_for(endpoint, **{arg: entity_id}) + "#notes"


@bp.post("/")
@requires("records.create")
def create():
    """Add a note: the record's list with it (below any pinned notes); the form again with its
    message (422). A plain form post goes back to the record page (303)."""
    data = {key: request.form.get(key, "") for key in ("content", "entity_type", "entity_id")}
    try:
        note = services.create_note(data, current_actor())
    except ValidationError as exc:
        if data["entity_type"] not in ENTITY_TYPES:
            abort(400)
        errors = [m for messages in exc.fields.values() for m in messages] or [exc.message]
        response = render("notes/_add.html", status=422, errors=errors, **data)
        # The form, not the list it adds to, shows the message.
        response.headers["HX-Retarget"] = "this"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    if not wants_fragment():
        return redirect(_record_url(note.entity_type, note.entity_id), 303)
    return saved(_list(note))


def _list(note, status=200, notice=None):
    """The list `note` is in, drawn again from its first page (hx-target: the list): a new or
    (un)pinned note takes its place among the pinned and the newest."""
    notes = services.record_list_page("notes", note.entity_type, note.entity_id, None)
    context = {"notes": notes, "entity_type": note.entity_type, "entity_id": note.entity_id}
    return render("notes/_list.html", status=status, notice=notice, **context)


@bp.get("/on/<any(contact, company, deal):entity_type>/<entity_id>")
@requires("records.read")
def on_record(entity_type, entity_id):
    """A record page's older notes ("Show more" in its Notes card, ?after=<cursor>): their
    items and the next "Show more", swapped over the button's own <li>."""
    after = request.args.get("after")
    page = pages.attached_page(entity_type, entity_id, "notes", current_actor(), after)
    context = {"entity_type": entity_type, "entity_id": entity_id}
    return render("notes/_more.html", notes=page, **context)


@bp.get("/<note_id>")
@requires("records.read")
def item(note_id):
    """A note as its card lists it (Cancel and Escape swap it back over the editor)."""
    return render("notes/_item.html", note=services.get_note(note_id))


@bp.get("/<note_id>/edit")
@requires("records.update")
def edit(note_id):
    """The note with a textarea instead of its text, swapped over its item."""
    note = services.get_note(note_id)
    if not can_change_note(note):
        abort(403)
    return render("notes/_item.html", note=note, editing=True)


@bp.post("/<note_id>")
@requires("records.update")
def update(note_id):
    """Save the text: the item (200), the editor with the message (422), or their text beside
    yours when someone else saved first (409)."""
    content, version = request.form.get("content", ""), request.form.get("version")
    try:
        note = services.update_note(note_id, {"content": content}, current_actor(), version)
    except ValidationError as exc:
        note = services.get_note(note_id)
        errors = exc.fields.get("content") or [exc.message]
        context = {"editing": True, "typed": content, "version": version, "errors": errors}
        return render("notes/_item.html", status=422, note=note, **context)
    except ConflictError:
        note = services.get_note(note_id)
        return render("notes/_item.html", status=409, note=note, editing=True, yours=content)
    return saved(render("notes/_item.html", note=note))


@bp.post("/<note_id>/pin")
@requires("records.update")
def pin(note_id):
    """Pin (pinned=1) or unpin (0): the record's whole list again, as the note moves."""
    wanted, version = request.form.get("pinned", ""), request.form.get("version")
    try:
        note = services.update_note(note_id, {"pinned": wanted}, current_actor(), version)
    except ConflictError:
        notice = "Someone else changed this note meanwhile; this is how the notes are now."
        return _list(services.get_note(note_id), status=409, notice=notice)
    return saved(_list(note))


@bp.post("/<note_id>/delete")
@requires("records.update")
def delete(note_id):
    """Delete a note: its item says so, with an Undo (notes.restore)."""
    note = services.get_note(note_id)
    services.delete_note(note_id, current_actor())
    return saved(render("notes/_deleted.html", note=note))


@bp.post("/<note_id>/restore")
@requires("records.update")
def restore(note_id):
    """Undo a deletion (only who deleted it): the record's list again, the note in its place."""
    return saved(_list(services.restore_note(note_id, current_actor())))
