"""/duplicates: the likely duplicate contacts found in the background, best first, with
"Not a duplicate" and "Compare and merge"; the side-by-side merge page and the merge.

Who may do what: everyone who reads records sees the list and the merge page; editors dismiss
a pair; the merge itself takes archiving rights on every contact merged (managers and admins
any, reps only their own: core.permissions.may_archive); admins start a full scan."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for

from crm_web.accounts.auth import current_actor, requires
from crm_web.contacts import duplicate_pairs
from crm_web.core.errors import ConflictError
from crm_web.core.htmx import render
from crm_web.jobs.queue import defer
from crm_web.records import merge, merge_undo

bp = Blueprint("duplicates", __name__, url_prefix="/duplicates")
PAGE = 50


@bp.get("/")
@requires("records.read")
def index():
    """The open pairs, best first, a page at a time (?page=)."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    pairs = duplicate_pairs.open_pairs(current_actor(), PAGE + 1, (page - 1) * PAGE)
    return render("duplicates/index.html", pairs=pairs[:PAGE], page=page, more=len(pairs) > PAGE)


@bp.post("/dismiss")
@requires("records.update")
def dismiss():
    """ "Not a duplicate": the pair leaves the list for good (HTMX removes its row)."""
    duplicate_pairs.dismiss_pair(request.form.get("a"), request.form.get("b"), current_actor())
    if request.headers.get("HX-Request"):
        return ""
    flash("Marked as not a duplicate.", "success")
    return redirect(url_for(".index"), 303)


@bp.post("/scan")
@requires("users.manage")
def scan():
    """Queue a full scan (admins); the nightly one runs anyway."""
    defer("duplicates_scan")
    flash("Looking for duplicates in the background; this list fills in as it goes.", "success")
    return redirect(url_for(".index"), 303)


@bp.get("/merge")
@requires("records.read")
def compare():
    """The contacts of ?ids= side by side, a choice per field; without two of them, the list
    to pick a pair from."""
    ids = request.args.getlist("ids")
    if len(ids) < 2:
        flash("Pick a pair below to compare them.", "info")
        return redirect(url_for(".index"))
    view = merge.merge_view(ids, current_actor())
    return render("duplicates/merge.html", **view, chosen={}, survivor=None)


@bp.post("/merge")
@requires("records.update")
def merge_records():
    """Merge, then the survivor's page (303); someone changed one meanwhile: the page again with
    the values as they are now (409)."""
    form = request.form
    ids = form.getlist("ids")
    survivor = form.get("survivor") or (ids[0] if ids else None)
    choices = {field: form.get(f"choose_{field}") for field in merge.MERGE_FIELDS}
    versions = {i: form.get(f"version_{i}") for i in ids}
    try:
        kept = merge.merge_contacts(survivor, ids, choices, versions, current_actor())
    except ConflictError:
        view = merge.merge_view(ids, current_actor())
        message = "One of these contacts changed since this page was shown: check the values again."
        return render(
            "duplicates/merge.html",
            status=409,
            **view,
            chosen=choices,
            survivor=survivor,
            message=message,
        )
    flash(f"Merged {len(ids) - 1} contact{'s' * (len(ids) > 2)} into {kept.full_name}.", "success")
    return redirect(url_for("contacts.detail", contact_id=kept.id), 303)


@bp.post("/merges/<uuid:merge_id>/undo")
@requires("records.update")
def undo(merge_id):
    """ "Undo this merge" (its timeline entry): the survivor's page (303); undone already, or
    something undo would overwrite changed since: why, with links (409)."""
    try:
        done = merge_undo.undo_merge(merge_id, current_actor())
    except merge_undo.UndoRefused as refused:
        return render("duplicates/undo_refused.html", status=409, refused=refused)
    names = ", ".join(contact.full_name for contact in done["restored"])
    kept = done["survivor"]
    flash(f"Undid the merge: {names} and {kept.full_name} are back as they were.", "success")
    return redirect(url_for("contacts.detail", contact_id=kept.id), 303)
