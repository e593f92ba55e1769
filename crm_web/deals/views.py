"""Deals pages: the list, the record with click-to-edit fields, and the new-deal form.
The board and stage administration add their routes to the same blueprint."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for

from crm_web.accounts.auth import current_actor, requires
from crm_web.companies.services import company_name
from crm_web.core.errors import ConflictError, ValidationError
from crm_web.core.forms import add_errors
from crm_web.core.htmx import render, saved
from crm_web.custom_fields.services import list_definitions
from crm_web.deals import board_views, pipeline, services, stage_views  # noqa: F401 (routes)
from crm_web.deals.blueprint import bp
from crm_web.deals.forms import deal_form, flat_errors, task_forms

DEPENDENT_FIELDS = {
    "stage": ("probability",),
    "currency": ("value",),
    "company_id": ("contact_id",),
}


@bp.get("/deals")
@requires("records.read")
def index():
    """The deals list, paged by keyset cursors in the URL; a search, filter change or page turn
    from HTMX gets only the `deal_rows` block."""
    filters = pipeline.clean_filters(request.args)
    sort = request.args.get("sort")
    sort = sort if sort in pipeline.SORTS else "created"
    cursor = {
        "after": request.args.get("after") or None,
        "before": request.args.get("before") or None,
        "last": request.args.get("last") == "1",
    }
    deals, next_cursor, prev_cursor = pipeline.list_page(filters, sort, cursor, current_actor())
    return render(
        "deals/index.html",
        "deal_rows",
        deals=deals,
        next_cursor=next_cursor,
        prev_cursor=prev_cursor,
        sort=sort,
        filter_args=pipeline.filter_args(filters),
        owners=pipeline.owner_choices(),
        stages=services.list_stages(),
        company_name=company_name(filters.get("company_id")),
    )


def _form_page(form, tasks, errors=None, message=None, status=200):
    deal = {name: form[name].data for name in form._fields if name != "custom_fields"}
    return render(
        "deals/new.html",
        None,
        status=status,
        form=form,
        deal=deal,
        tasks=[task.data for task in tasks],
        errors=errors or {},
        message=message,
        company_name=company_name(deal.get("company_id")),
        contacts=pipeline.contact_choices(deal.get("company_id")),
        stages=services.list_stages(),
    )


@bp.get("/deals/new")
@requires("records.create")
def new():
    """The new-deal form (a company may be preselected with ?company_id=)."""
    company_id = request.args.get("company_id", "")
    form = deal_form(None, list_definitions("deal"), company_id=company_id)
    form.currency.data, form.stage.data = "USD", "Lead"
    return _form_page(form, task_forms())


@bp.post("/deals")
@requires("records.create")
def create():
    """Create the deal and its follow-up tasks together; 422 with messages beside the fields."""
    form, tasks = deal_form(request.form, list_definitions("deal")), task_forms(request.form)
    if not all([form.validate(), *(task.validate() for task in tasks)]):
        return _form_page(form, tasks, flat_errors(form, tasks), status=422)
    data = {name: value for name, value in form.data.items() if value is not None}
    try:
        deal = services.create_deal_from_form(data, [t.data for t in tasks], current_actor())
    except ValidationError as exc:
        add_errors(form, exc.fields)  # the custom fields' rows show theirs
        return _form_page(form, tasks, exc.fields, exc.message, status=422)
    return redirect(url_for("deals.detail", deal_id=deal.id), 303)


@bp.get("/deals/new/contacts")
@requires("records.create")
def contact_options():
    """The contact <select> for the chosen company, swapped in when the company changes."""
    return render_template(
        "deals/_contact_select.html",
        contacts=pipeline.contact_choices(request.args.get("company_id")),
        selected="",
        errors=[],
    )


@bp.get("/deals/<deal_id>")
@requires("records.read")
def detail(deal_id):
    """The deal's record page; each field edits in place."""
    return render("deals/detail.html", None, **services.deal_page(deal_id, current_actor()))


@bp.get("/deals/<deal_id>/history")
@requires("records.read")
def history(deal_id):
    """The History card's entries, fetched again after a save on the record page."""
    return render("audit/history.html", history=services.history(deal_id, current_actor()))


def _field(deal, name, mode="display", **extra):
    return render_template(
        "deals/_field.html",
        deal=deal,
        name=name,
        mode=mode,
        stages=services.list_stages(),
        owners=pipeline.owner_choices() if name == "owner_id" else [],
        contacts=pipeline.contact_choices(deal.company_id) if name == "contact_id" else [],
        # The company editor shows the name of the company it holds (a refused choice included).
        company_name=company_name(extra.get("value") or deal.company_id)
        if name == "company_id"
        else None,
        **extra,
    )


@bp.get("/deals/<deal_id>/fields/<name>")
@requires("records.read")
def field(deal_id, name):
    """A field's display fragment (what Cancel and Escape go back to)."""
    return _field(services.get_deal(deal_id), _editable(name))


@bp.get("/deals/<deal_id>/fields/<name>/edit")
@requires("records.update")
def field_edit(deal_id, name):
    """A field's editor, with the current value and version."""
    return _field(services.get_deal(deal_id), _editable(name), "edit")


@bp.patch("/deals/<deal_id>/fields/<name>")
@requires("records.update")
def field_update(deal_id, name):
    """Save one field with the version the editor showed: display (200), editor with the
    message (422), or both values side by side (409)."""
    value, version = request.form.get("value", ""), request.form.get("version")
    try:
        deal = services.update_deal_field(deal_id, _editable(name), value, current_actor(), version)
    except ValidationError as exc:
        errors = exc.fields.get(name) or [m for ms in exc.fields.values() for m in ms]
        deal = services.get_deal(deal_id)
        return _field(deal, name, "edit", value=value, errors=errors or [exc.message]), 422
    except ConflictError:
        deal = services.get_deal(deal_id)
        return _field(deal, name, "conflict", value=value), 409
    # Fields that follow the one saved (a stage sets the probability, …) are swapped out of band.
    related = [_field(deal, other, oob=True) for other in DEPENDENT_FIELDS.get(name, ())]
    heading = render_template("deals/_heading.html", deal=deal) if name == "title" else ""
    return saved(make_response("".join([_field(deal, name), *related, heading])))


def _editable(name: str) -> str:
    from crm_web.core.errors import NotFoundError

    if name not in services.EDITABLE_FIELDS:
        raise NotFoundError("deal field", name)
    return name


@bp.post("/deals/<deal_id>/archive")
@requires("records.archive_own")
def archive(deal_id):
    """Archive ("delete") a deal: it leaves the board, lists and totals, and can come back."""
    deal = services.archive_deal(deal_id, current_actor(), request.form.get("version"))
    flash(f"Archived {deal.title}. It can be restored from its page.", "success")
    return redirect(url_for("deals.detail", deal_id=deal.id), 303)


@bp.post("/deals/<deal_id>/restore")
@requires("records.archive_own")
def restore(deal_id):
    """Bring an archived deal back to the board."""
    deal = services.restore_deal(deal_id, current_actor(), request.form.get("version"))
    flash(f"Restored {deal.title}.", "success")
    return redirect(url_for("deals.detail", deal_id=deal.id), 303)
