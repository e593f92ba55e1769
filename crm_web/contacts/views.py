"""Contact pages: the list, the record, inline field editing, create, archive, bulk actions."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, session, url_for

from crm_web.accounts.auth import current_actor, requires
from crm_web.companies.services import company_name
from crm_web.contacts import services
from crm_web.contacts.display import contact_details, contact_display, contact_rows
from crm_web.contacts.fields import FIELDS
from crm_web.contacts.forms import contact_form, field_form
from crm_web.core.display import readable_phone
from crm_web.core.errors import PermissionDenied, ValidationError
from crm_web.core.forms import list_columns, service_data
from crm_web.core.htmx import render, wants_fragment
from crm_web.core.notices import restored_notice
from crm_web.core.replica import reads_replica
from crm_web.core.urls import fixed_url
from crm_web.custom_fields.services import list_definitions
from crm_web.lists.state import record_list_state
from crm_web.records import operations, pages
from crm_web.records.record_views import (
    FieldRoutes,
    create_record,
    list_pickers,
    page_read_with_user,
    purge_record,
    register_history,
)

bp = Blueprint("contacts", __name__, url_prefix="/contacts")


# Jinja helpers for every template: `{{ "+14155550100" | phone }}`, `contact_display(...)`.
bp.add_app_template_filter(readable_phone, "phone")
bp.add_app_template_global(contact_display, "contact_display")
bp.add_app_template_global(contact_details, "contact_details")
bp.add_app_template_global(contact_rows, "contact_rows")
bp.add_app_template_global(FIELDS, "contact_fields")


SORTABLE = ("name", "company", "email", "phone", "owner", "updated", "relevance")


# The list's header (the bench's bare contact list shows the same columns: tests/test_bench.py).
# The name as one column linking to the record, sorted by last name, as CRMs list people.
LIST_COLUMNS = (("name", "Name", ""), *list_columns(FIELDS.values(), ("updated", "Updated")))


def _list_state(args):
    return record_list_state(args, SORTABLE, path=fixed_url("contacts.index"))


def _list_context(state):
    page = services.list_page(state, current_actor())
    notice = session.pop("contacts_notice", None)
    return {
        **page,
        # Owner pickers are drawn with the page only (a list swap keeps them: hx-preserve).
        "owners": [] if wants_fragment() else list_pickers()["owners"],
        "state": state,
        "notice": notice,
        "columns": LIST_COLUMNS,
    }


@bp.get("/")
@requires("records.read")
@reads_replica
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
    read = page_read_with_user("contact", contact_id)
    return render("contacts/detail.html", **pages.contact_page(contact_id, current_actor(), read))


register_history(bp, "contact", "/<contact_id>/history")


def _yours_label(field, value):
    """A conflict shows the chosen company's name, not its id."""
    return company_name(value) if field == "company_id" and value else None


FieldRoutes(
    entity="contact",
    template="contacts/_field.html",
    fields=FIELDS,
    field_form=field_form,
    view=services.contact_view,
    update=services.update_contact_field,
    change_since=services.field_change_since,
    yours_label=_yours_label,
).register(bp)


def _form_page(form, status=200, message=None, refused=None):
    company = form.company_id.data
    return render(
        "contacts/new.html",
        status=status,
        form=form,
        message=message,
        # Duplicates the save was refused for: listed, with a "Create anyway" box to tick.
        refused=refused,
        company_name=company_name(company) if company else None,
        **services.list_choices(),
    )


@bp.get("/new")
@requires("records.create")
def new():
    """The create form (with the custom fields defined for contacts); a company page's "Add a
    contact" preselects its company with ?company_id=."""
    company_id = request.args.get("company_id", "")
    return _form_page(contact_form(definitions=list_definitions("contact"), company_id=company_id))


@bp.post("/")
@requires("records.create")
def create():
    """Create, then show the record (303); the form again with messages beside fields (422) or
    listing likely duplicates, with a "Create anyway" box (409)."""
    form = contact_form(request.form, list_definitions("contact"))
    if not form.validate():
        return _form_page(form, 422)
    return create_record(form, _form_page, _create, "another contact has its email or phone")


def _create(form, refuse_duplicates: bool) -> tuple[str, str]:
    """Create_record's save: the new contact's name and URL."""
    contact = services.create_contact(
        service_data(form), current_actor(), refuse_duplicates=refuse_duplicates
    )
    return contact.full_name, url_for(".detail", contact_id=contact.id)


@bp.get("/duplicates")
@requires("records.read")
def duplicates():
    """Who already has the typed emails or phones (the warning under the create form)."""
    found = services.find_duplicates(request.args.getlist("emails"), request.args.getlist("phones"))
    # A plain GET (no HTMX) gets the whole create form, not a 500 for missing context.
    form = contact_form(definitions=list_definitions("contact"))
    choices = services.list_choices()
    return render("contacts/new.html", "duplicates", duplicates=found, form=form, **choices)


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
    notice = _bulk(action, ids, request.form.get("owner_id"))
    if request.headers.get("HX-Request"):
        context = _list_context(state)
        return render("contacts/index.html", "contact_list", **{**context, "notice": notice})
    session["contacts_notice"] = notice
    return redirect(state.url(), 303)


BULK_DONE = {
    "assign": "Assigned {n} contact{s}.",
    "archive": "Archived {n} contact{s}.",
    "restore": "Restored {n} contact{s}.",
}


def _bulk(action: str, ids: list, owner_id=None) -> dict:
    """Run a bulk action; the notice the list shows for it (with the undo of an archive)."""
    if not ids:
        return {"message": "Select at least one contact first.", "kind": "error"}
    try:
        done = services.bulk_action(action, ids, owner_id, current_actor())
    except PermissionDenied as exc:
        return {"message": f"{exc.message} Nothing was changed.", "kind": "error"}
    except ValidationError as exc:
        message = "Choose an owner to assign." if "owner_id" in exc.fields else exc.message
        return {"message": " ".join(exc.fields.get("action", [message])), "kind": "error"}
    n = done["count"]
    return {
        "message": BULK_DONE[action].format(n=n, s="s" * (n != 1)),
        "kind": "success",
        "undo": "restore" if action == "archive" else None,
        "ids": done["ids"],
    }


@bp.post("/<contact_id>/archive")
@requires("records.archive_own")
def archive(contact_id):
    """Archive from the record page; the list then offers an undo."""
    session["contacts_notice"] = _bulk("archive", [contact_id])
    return redirect(url_for(".index"), 303)


@bp.post("/<contact_id>/restore")
@requires("records.archive_own")
def restore(contact_id):
    """Bring an archived contact back."""
    notice = _bulk("restore", [contact_id])
    if notice["kind"] == "success" and not notice["ids"]:
        services.get_contact(contact_id)  # gone (purged): the 404 page
    flash(*restored_notice(notice, "contact"))
    return redirect(url_for(".detail", contact_id=contact_id), 303)


@bp.post("/<contact_id>/purge")
@requires("records.purge")
def purge(contact_id):
    """Delete for good (admins)."""
    return purge_record(operations.delete_contact, contact_id, "contact", "contacts.index")
