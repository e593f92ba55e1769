"""Company pages: the list, the record, inline field editing, create, archive, the picker."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, session, url_for

from crm_web.accounts.auth import current_actor, requires
from crm_web.companies import services
from crm_web.companies.display import company_details, company_display, company_rows
from crm_web.companies.fields import FIELDS
from crm_web.companies.forms import company_data, company_form, field_form
from crm_web.contacts.services import list_choices
from crm_web.core.errors import PermissionDenied
from crm_web.core.forms import list_columns
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

bp = Blueprint("companies", __name__, url_prefix="/companies")
bp.add_app_template_global(company_display, "company_display")
bp.add_app_template_global(company_details, "company_details")
bp.add_app_template_global(company_rows, "company_rows")
bp.add_app_template_global(FIELDS, "company_fields")
SORTABLE = ("name", "city", "country", "owner", "updated")


# The list's header (the bench's bare company list shows the same columns: tests/test_bench.py).
LIST_COLUMNS = list_columns(
    FIELDS.values(), ("", "Contacts"), ("updated", "Updated"), linked=("name",)
)


def _list_state(args):
    return record_list_state(args, SORTABLE, path=fixed_url("companies.index"))


def _list_context(state):
    return {
        **services.list_page(state, current_actor(), cells=True),
        # The owner filter is outside the list: a list swap has no use for the owners.
        "owners": [] if wants_fragment() else list_pickers()["owners"],
        "state": state,
        "notice": session.pop("companies_notice", None),
        "columns": LIST_COLUMNS,
    }


@bp.get("/")
@requires("records.read")
@reads_replica
def index():
    """The company list; HTMX requests get only #company_list."""
    state = _list_state(request.args)
    return render("companies/index.html", "company_list", **_list_context(state))


@bp.get("/picker")
@requires("records.read")
@reads_replica
def picker():
    """Options for a company picker (search as you type), swapped into its .picker-options."""
    options = services.picker_options(request.args.get("company_q", ""), current_actor())
    return render(
        "companies/_picker.html", options=options, required=request.args.get("required") == "1"
    )


@bp.get("/<company_id>")
@requires("records.read")
def detail(company_id):
    """The record page: fields editable in place, its contacts, sections, timeline (?timeline=all:
    with its contacts' and deals' activity)."""
    related = pages.related_timeline(request.args)
    read = page_read_with_user("company", company_id, related)
    return render(
        "companies/detail.html", **pages.company_page(company_id, current_actor(), related, read)
    )


register_history(bp, "company", "/<company_id>/history")


FieldRoutes(
    entity="company",
    template="companies/_field.html",
    fields=FIELDS,
    field_form=field_form,
    view=services.company_view,
    update=services.update_company_field,
    change_since=services.field_change_since,
).register(bp)


def _form_page(form, status=200, message=None, refused=None):
    # `refused`: the duplicates a save was refused for, with a "Create anyway" box to tick.
    return render(
        "companies/new.html",
        status=status,
        form=form,
        message=message,
        refused=refused,
        **list_choices(),
    )


@bp.get("/new")
@requires("records.create")
def new():
    """The create form (with the custom fields defined for companies)."""
    return _form_page(company_form(definitions=list_definitions("company")))


@bp.post("/")
@requires("records.create")
def create():
    """Create, then show the record (303); the form again with messages beside fields (422) or
    listing likely duplicates, with a "Create anyway" box (409)."""
    form = company_form(request.form, list_definitions("company"))
    if not form.validate():
        return _form_page(form, 422)
    return create_record(form, _form_page, _create, "another company has its name or website")


def _create(form, refuse_duplicates: bool) -> tuple[str, str]:
    """Create_record's save: the new company's name and URL."""
    company = services.create_company(
        company_data(form), current_actor(), refuse_duplicates=refuse_duplicates
    )
    return company.name, url_for(".detail", company_id=company.id)


def _bulk(ids: list, restore: bool = False) -> dict:
    """Archive or restore `ids`; the notice the list shows for it (with an undo)."""
    if not ids:
        return {"message": "Select at least one company first.", "kind": "error"}
    try:
        changed = services.bulk_archive(ids, current_actor(), restore=restore)
    except PermissionDenied as exc:
        return {"message": f"{exc.message} Nothing was changed.", "kind": "error"}
    n = len(changed)
    verb = "Restored" if restore else "Archived"
    return {
        "message": f"{verb} {n} compan{'ies' if n != 1 else 'y'}.",
        "kind": "success",
        "undo": None if restore else "restore",
        "ids": changed,
    }


@bp.post("/bulk")
@requires("records.update")
def bulk():
    """Archive or restore the selected companies in one transaction (service checks each)."""
    state = _list_state(request.form)
    one = request.form.get("one")
    restore = bool(one) or request.form.get("action") == "restore"
    ids = [one] if one else request.form.getlist("ids")
    notice = _bulk(ids, restore=restore)
    if request.headers.get("HX-Request"):
        context = _list_context(state)
        return render("companies/index.html", "company_list", **{**context, "notice": notice})
    session["companies_notice"] = notice
    return redirect(state.url(), 303)


@bp.post("/<company_id>/archive")
@requires("records.archive_own")
def archive(company_id):
    """Archive from the record page; the list then offers an undo."""
    session["companies_notice"] = _bulk([company_id])
    return redirect(url_for(".index"), 303)


@bp.post("/<company_id>/restore")
@requires("records.archive_own")
def restore(company_id):
    """Bring an archived company back."""
    notice = _bulk([company_id], restore=True)
    if notice["kind"] == "success" and not notice["ids"]:
        services.get_company(company_id)  # gone (purged): the 404 page
    flash(*restored_notice(notice, "company"))
    return redirect(url_for(".detail", company_id=company_id), 303)


@bp.post("/<company_id>/purge")
@requires("records.purge")
def purge(company_id):
    """Delete for good (admins)."""
    return purge_record(operations.delete_company, company_id, "company", "companies.index")
