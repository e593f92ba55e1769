"""Company pages: the list, the record, inline field editing, create, archive, the picker."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, session, url_for

from crm_web.accounts.auth import current_actor, requires
from crm_web.companies import services
from crm_web.companies.display import company_display, company_rows
from crm_web.companies.fields import FIELDS
from crm_web.companies.forms import company_data, company_form, field_form
from crm_web.contacts.services import list_choices
from crm_web.core.errors import ConflictError, PermissionDenied, ValidationError
from crm_web.core.forms import add_errors, list_columns
from crm_web.core.htmx import render, saved, wants_fragment
from crm_web.core.notices import NOT_RESTORED, changed_since_notice, owner_shown
from crm_web.custom_fields.services import list_definitions
from crm_web.lists.state import record_list_state
from crm_web.records import operations, pages

bp = Blueprint("companies", __name__, url_prefix="/companies")
bp.add_app_template_global(company_display, "company_display")
bp.add_app_template_global(company_rows, "company_rows")
bp.add_app_template_global(FIELDS, "company_fields")
SORTABLE = ("name", "city", "country", "owner", "updated")


def _list_state(args):
    return record_list_state(args, SORTABLE, path=url_for(".index"))


def _list_context(state):
    return {
        **services.list_page(state, current_actor()),
        # The owner filter is outside the list: a list swap has no use for the owners.
        "owners": [] if wants_fragment() else list_choices()["owners"],
        "state": state,
        "notice": session.pop("companies_notice", None),
        "columns": list_columns(FIELDS.values(), ("", "Contacts"), ("updated", "Updated")),
    }


@bp.get("/")
@requires("records.read")
def index():
    """The company list; HTMX requests get only #company_list."""
    state = _list_state(request.args)
    return render("companies/index.html", "company_list", **_list_context(state))


@bp.get("/picker")
@requires("records.read")
def picker():
    """Options for a company picker (search as you type), swapped into its .picker-options."""
    options = services.picker_options(request.args.get("company_q", ""), current_actor())
    return render(
        "companies/_picker.html", options=options, required=request.args.get("required") == "1"
    )


@bp.get("/<company_id>")
@requires("records.read")
def detail(company_id):
    """The record page: fields editable in place, its contacts, sections, history."""
    return render("companies/detail.html", **pages.company_page(company_id, current_actor()))


@bp.get("/<company_id>/history")
@requires("audit.read")
def history(company_id):
    """The History card's entries, fetched again after a save on the record page; with
    ?before=<cursor>, the older page that "Show older" appends."""
    before = request.args.get("before")
    page = pages.history("company", company_id, current_actor(), before=before)
    url = url_for(".history", company_id=company_id)
    return render("audit/history.html", history=page, url=url, older_page=before is not None)


def _field_context(company, field, **extra):
    if field not in FIELDS:
        abort(404)
    compact = request.values.get("compact") == "1"
    return {"company": company, "field": field, "compact": compact, **list_choices(), **extra}


@bp.get("/<company_id>/fields/<field>")
@requires("records.read")
def field(company_id, field):
    """A field's display (Escape and "keep theirs")."""
    company = services.company_view(company_id, current_actor())
    return render("companies/_field.html", **_field_context(company, field))


@bp.get("/<company_id>/fields/<field>/edit")
@requires("records.update")
def field_edit(company_id, field):
    """A field's editor, swapped over its display; with ?seen=<version> (the display's), it
    says who changed the field since that version was shown."""
    actor = current_actor()
    company = services.company_view(company_id, actor)
    context = _field_context(company, field, editing=True)
    change = services.field_change_since(company, field, request.args.get("seen"), actor)
    shown = owner_shown(context["owners"]) if field == "owner_id" else None
    notice = changed_since_notice(change, shown)
    return render("companies/_field.html", notice=notice, **context)


@bp.route("/<company_id>/fields/<field>", methods=["PATCH", "PUT"])
@requires("records.update")
def field_update(company_id, field):
    """Save one field: display (200), editor with the message (422), conflict (409)."""
    form = field_form(field, request.form) or abort(404)
    value, version = form.value.data, request.form.get("version")
    try:
        if not form.validate():
            raise ValidationError({field: form.value.errors})
        company = services.update_company_field(company_id, field, value, version, current_actor())
    except ValidationError as exc:
        company = services.company_view(company_id, current_actor())
        errors = exc.fields.get(field) or [exc.message]
        context = _field_context(company, field, editing=True, value=value, errors=errors)
        return render("companies/_field.html", status=422, version=version, **context)
    except ConflictError as exc:
        context = _field_context(exc.current, field, conflict=True, yours=value)
        return render("companies/_field.html", status=409, **context)
    return saved(render("companies/_field.html", **_field_context(company, field)))


def _form_page(form, status=200, message=None):
    return render("companies/new.html", status=status, form=form, message=message, **list_choices())


@bp.get("/new")
@requires("records.create")
def new():
    """The create form (with the custom fields defined for companies)."""
    return _form_page(company_form(definitions=list_definitions("company")))


@bp.post("/")
@requires("records.create")
def create():
    """Create, then show the record (303); the form again with messages beside fields (422)."""
    form = company_form(request.form, list_definitions("company"))
    if form.validate():
        try:
            company = services.create_company(company_data(form), current_actor())
        except ValidationError as exc:
            return _form_page(form, 422, " ".join(add_errors(form, exc.fields)))
        flash(f"Created {company.name}.", "success")
        return redirect(url_for(".detail", company_id=company.id), 303)
    return _form_page(form, 422)


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
    if notice["kind"] == "success":
        # The service restores only what was archived: no id back means nothing came back,
        # because it is not archived, or it is gone (then this is the 404 page).
        if not notice["ids"]:
            services.get_company(company_id)
        notice = (
            {"kind": "success", "message": "Company restored."}
            if notice["ids"]
            else {"kind": "error", "message": NOT_RESTORED.format(entity="company")}
        )
    flash(notice["message"], notice["kind"])
    return redirect(url_for(".detail", company_id=company_id), 303)


@bp.post("/<company_id>/purge")
@requires("records.purge")
def purge(company_id):
    """Delete for good (admins)."""
    operations.delete_company(company_id, current_actor())
    flash("Company deleted for good.", "success")
    return redirect(url_for(".index", archived="1"), 303)
