"""Contact pages: the list, the record, inline field editing, create, archive, bulk actions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, session, url_for

from crm_web.accounts.auth import current_actor, requires
from crm_web.companies.services import company_name
from crm_web.contacts import services
from crm_web.contacts.display import contact_display, contact_rows, readable_phone
from crm_web.contacts.forms import contact_data
from crm_web.core.errors import ConflictError, ValidationError
from crm_web.core.htmx import render, saved, wants_fragment
from crm_web.lists.state import record_list_state
from crm_web.records import operations, pages

bp = Blueprint("contacts", __name__, url_prefix="/contacts")


# Jinja helpers for every template: `{{ "+14155550100" | phone }}`, `contact_display(...)`.
bp.add_app_template_filter(readable_phone, "phone")
bp.add_app_template_global(contact_display, "contact_display")
bp.add_app_template_global(contact_rows, "contact_rows")


SORTABLE = ("name", "company", "email", "phone", "owner", "updated", "relevance")


def _list_state(args):
    return record_list_state(args, SORTABLE, path=url_for(".index"))


def _list_context(state):
    page = services.list_page(state, current_actor())
    notice = session.pop("contacts_notice", None)
    return {
        **page,
        # Owner pickers are drawn with the page only (a list swap keeps them: hx-preserve).
        "owners": [] if wants_fragment() else services.list_choices()["owners"],
        "state": state,
        "notice": notice,
    }


@bp.get("/")
@requires("records.read")
def index():
    """The contact list; HTMX requests (search, filters, sort, pages) get only #contact_list."""
    state = _list_state(request.args)
    return render("contacts/index.html", "contact_list", **_list_context(state))


@bp.get("/_baseline")
@requires("records.read")
def baseline():
    """The benchmark's yardstick: one indexed query, the same 50 rows, a minimal template."""
    return render("contacts/_baseline.html", rows=services.baseline_rows(current_actor()))


@bp.get("/<contact_id>")
@requires("records.read")
def detail(contact_id):
    """The record page: every field editable in place, the company, sections, history."""
    return render("contacts/detail.html", **pages.contact_page(contact_id, current_actor()))


@bp.get("/<contact_id>/history")
@requires("audit.read")
def history(contact_id):
    """The History card's entries, fetched again after a save on the record page; with
    ?before=<cursor>, the older page that "Show older" appends."""
    before = request.args.get("before")
    page = pages.history("contact", contact_id, current_actor(), before=before)
    url = url_for(".history", contact_id=contact_id)
    return render("audit/history.html", history=page, url=url, older_page=before is not None)


def _field_context(contact, field, **extra):
    if field not in services.FIELDS:
        abort(404)
    label, kind = services.FIELDS[field]
    compact = request.values.get("compact") == "1"
    return {
        "contact": contact,
        "field": field,
        "label": label,
        "kind": kind,
        "compact": compact,
        **services.list_choices(),
        **extra,
    }


@bp.get("/<contact_id>/fields/<field>")
@requires("records.read")
def field(contact_id, field):
    """A field's display (Escape and "keep theirs" swap it back over the editor)."""
    contact = services.contact_view(contact_id, current_actor())
    return render("contacts/_field.html", **_field_context(contact, field))


@bp.get("/<contact_id>/fields/<field>/edit")
@requires("records.update")
def field_edit(contact_id, field):
    """A field's editor, swapped over its display."""
    contact = services.contact_view(contact_id, current_actor())
    return render("contacts/_field.html", **_field_context(contact, field, editing=True))


@bp.route("/<contact_id>/fields/<field>", methods=["PATCH", "PUT"])
@requires("records.update")
def field_update(contact_id, field):
    """Save one field: its display (200), the editor with the message (422), or both values
    side by side when someone else saved first (409)."""
    value = _submitted(field)
    version = request.form.get("version")
    try:
        contact = services.update_contact_field(contact_id, field, value, version, current_actor())
    except ValidationError as exc:
        contact = services.contact_view(contact_id, current_actor())
        context = _field_context(
            contact,
            field,
            editing=True,
            value=value,
            version=version,
            errors=exc.fields.get(field) or [exc.message],
            invalid=services.invalid_items(field, value) if field in ("emails", "phones") else None,
        )
        return render("contacts/_field.html", status=422, **context)
    except ConflictError as exc:
        # "Yours" shows the chosen company's name, not its id.
        label = company_name(value) if field == "company_id" and value else None
        context = _field_context(exc.current, field, conflict=True, yours=value, yours_label=label)
        return render("contacts/_field.html", status=409, **context)
    return saved(render("contacts/_field.html", **_field_context(contact, field)))


def _submitted(field):
    values = [v for v in request.form.getlist("value")]
    if field in ("emails", "phones"):
        return [v for v in values if v.strip()]
    return values[0] if values else ""


@bp.get("/new")
@requires("records.create")
def new():
    """The create form."""
    return render("contacts/new.html", data={}, errors={}, invalid={}, **services.list_choices())


@bp.post("/")
@requires("records.create")
def create():
    """Create, then show the record (303); the form again with messages (422)."""
    data = contact_data(request.form)
    try:
        contact = services.create_contact(data, current_actor())
    except ValidationError as exc:
        invalid = {k: services.invalid_items(k, data.get(k)) for k in ("emails", "phones")}
        context = {
            "data": data,
            "errors": exc.fields,
            "invalid": invalid,
            **services.list_choices(),
        }
        return render("contacts/new.html", status=422, **context)
    flash(f"Created {contact.full_name}.", "success")
    return redirect(url_for(".detail", contact_id=contact.id), 303)


@bp.get("/duplicates")
@requires("records.read")
def duplicates():
    """Who already has the typed emails or phones (the warning under the create form)."""
    found = services.find_duplicates(request.args.getlist("emails"), request.args.getlist("phones"))
    # A plain GET (no HTMX) gets the whole create form, not a 500 for missing context.
    choices = services.list_choices()
    return render(
        "contacts/new.html", "duplicates", duplicates=found, data={}, errors={}, **choices
    )


@bp.post("/bulk")
@requires("records.update")
def bulk():
    """Assign, archive or restore the selected rows in one transaction, then the list again
    (with an undo) in #contact_list; each record's permission is checked by the service."""
    state = _list_state(request.form)
    # A row's own Restore button sends "one"; the bulk bar sends the ticked "ids".
    one = request.form.get("one")
    action = "restore" if one else request.form.get("action", "")
    ids = [one] if one else request.form.getlist("ids")
    notice = services.bulk_action(action, ids, request.form.get("owner_id"), current_actor())
    if request.headers.get("HX-Request"):
        context = _list_context(state)
        return render("contacts/index.html", "contact_list", **{**context, "notice": notice})
    session["contacts_notice"] = notice
    return redirect(state.url(), 303)


@bp.post("/<contact_id>/archive")
@requires("records.archive_own")
def archive(contact_id):
    """Archive from the record page; the list then offers an undo."""
    session["contacts_notice"] = services.bulk_action(
        "archive", [contact_id], None, current_actor()
    )
    return redirect(url_for(".index"), 303)


@bp.post("/<contact_id>/restore")
@requires("records.archive_own")
def restore(contact_id):
    """Bring an archived contact back."""
    services.bulk_action("restore", [contact_id], None, current_actor())
    flash("Contact restored.", "success")
    return redirect(url_for(".detail", contact_id=contact_id), 303)


@bp.post("/<contact_id>/purge")
@requires("records.purge")
def purge(contact_id):
    """Delete for good (admins)."""
    operations.delete_contact(contact_id, current_actor())
    flash("Contact deleted for good.", "success")
    return redirect(url_for(".index", archived="1"), 303)
