"""Deals pages: the list, the record with click-to-edit fields, and the new-deal form.
The board and stage administration add their routes to the same blueprint."""

from __future__ import annotations

from flask import flash, redirect, request, session, url_for

from crm_web.accounts.auth import current_actor, requires
from crm_web.companies.services import company_name
from crm_web.core.errors import ConflictError, NotFoundError, ValidationError
from crm_web.core.forms import add_errors, list_columns
from crm_web.core.htmx import render, saved, wants_fragment
from crm_web.core.notices import changed_since_notice, option_shown
from crm_web.core.permissions import authorize_owner_change
from crm_web.core.replica import reads_replica
from crm_web.core.urls import fixed_url
from crm_web.custom_fields.services import list_definitions
from crm_web.deals import board_views, pipeline, services, stage_views  # noqa: F401 (routes)
from crm_web.deals.blueprint import bp
from crm_web.deals.display import (
    LIST_FIELDS_BY_NAME,
    board_cards,
    deal_compact,
    deal_display,
    deal_rows,
    print_rows,
)
from crm_web.deals.fields import FIELDS
from crm_web.deals.forms import (
    deal_form,
    field_form,
    filled_rows,
    flat_errors,
    row_errors,
    task_forms,
)
from crm_web.lists.state import list_state
from crm_web.records import operations, pages
from crm_web.records.record_views import (
    list_pickers,
    page_read_with_user,
    purge_record,
    register_history,
)

DEPENDENT_FIELDS = {
    "stage": ("probability",),
    "currency": ("value",),
    "company_id": ("contact_id",),
}

# The field list, for the record page, the editors and the create form (deal_fields[name]).
bp.add_app_template_global(FIELDS, "deal_fields")
bp.add_app_template_global(deal_rows, "deal_rows")
bp.add_app_template_global(board_cards, "board_cards")
bp.add_app_template_global(print_rows, "print_rows")
bp.add_app_template_global(deal_compact, "deal_compact")
bp.add_app_template_global(deal_display, "deal_display")


# The list's header (the bench's bare deals list shows the same columns: tests/test_bench.py).
LIST_COLUMNS = list_columns(FIELDS.values(), ("created", "Created"), linked=("title",))


def _list_state(args):
    filters = pipeline.clean_filters(args)
    return list_state(
        args,
        filters,
        sortable=pipeline.SORTS,
        default_sort="created",
        descending=pipeline.DESCENDING,
        path=fixed_url("deals.index"),
    )


def _list_context(state, notice=None):
    return {
        **pipeline.list_page(state, current_actor()),
        "state": state,
        "notice": notice or session.pop("deals_notice", None),
        # Filter pickers are drawn with the page only (a list swap keeps its filter form).
        **({"owners": [], "stages": []} if wants_fragment() else list_pickers()),
        "company_name": company_name(state.filters.get("company_id")),
        "columns": LIST_COLUMNS,
    }


@bp.get("/deals")
@requires("records.read")
@reads_replica
def index():
    """The deals list, paged by keyset cursors in the URL; a search, filter change, sort or page
    turn from HTMX gets only #deal_list."""
    state = _list_state(request.args)
    return render("deals/index.html", "deal_list", **_list_context(state))


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
    """The new-deal form (a company and its contact may be preselected with ?company_id= and
    ?contact_id=, as a company's or contact's "Add a deal" does)."""
    preselected = {name: request.args.get(name, "") for name in ("company_id", "contact_id")}
    form = deal_form(None, list_definitions("deal"), **preselected)
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
    rows = filled_rows(tasks)  # blank task rows are skipped
    try:
        deal = operations.create_deal_with_tasks(
            data, [tasks[n].data for n in rows], current_actor()
        )
    except ValidationError as exc:
        errors = row_errors(exc, rows)  # beside the row the user filled in
        add_errors(form, errors)  # the custom fields' rows show theirs
        return _form_page(form, tasks, errors, exc.message, status=422)
    return redirect(url_for("deals.detail", deal_id=deal.id), 303)


@bp.get("/deals/new/contacts")
@requires("records.create")
@reads_replica
def contact_options():
    """The contact <select> for the chosen company, swapped in when the company changes."""
    return render(
        "deals/_contact_select.html",
        contacts=pipeline.contact_choices(request.args.get("company_id")),
        selected="",
        errors=[],
    )


@bp.get("/deals/<deal_id>")
@requires("records.read")
def detail(deal_id):
    """The deal's record page; each field edits in place."""
    read = page_read_with_user("deal", deal_id)
    return render("deals/detail.html", None, **pages.deal_page(deal_id, current_actor(), read))


register_history(bp, "deal", "/deals/<deal_id>/history")


def _options(deal, name):
    """A select editor's (value, label) pairs; the contacts are the deal's company's only."""
    kind = FIELDS[name].kind
    if kind == "stage":
        return [(stage.name, stage.name) for stage in services.list_stages()]
    if kind == "owner":
        return [("", "Unassigned")] + [(str(u.id), u.name) for u in pipeline.owner_choices()]
    if kind == "contact":
        contacts = pipeline.contact_choices(deal.company_id)
        none = ("", "No contact" if contacts else "No contacts at this company")
        return [none] + [(str(c.id), f"{c.first_name} {c.last_name}") for c in contacts]
    return None


def _field(deal, name, status=200, **extra):
    """The field's fragment (templates/deals/_field.html): display, editor or conflict; with
    ?compact=1 (a list cell's: static/js/inline-edit.js), the value as the list cell shows it."""
    choosing = extra.get("editing") or extra.get("conflict")
    value = extra.get("value")
    return render(
        "deals/_field.html",
        status=status,
        deal=deal,
        name=name,
        compact=_compact(),
        options=_options(deal, name) if choosing else None,
        # The company editor and a conflict show company names (a refused choice's included).
        company_name=company_name(value or deal.company_id) if name == "company_id" else None,
        **extra,
    )


@bp.get("/deals/<deal_id>/fields/<name>")
@requires("records.read")
def field(deal_id, name):
    """A field's display (Escape and "keep theirs" swap it back over the editor)."""
    return _field(services.get_deal(deal_id), _editable(name))


@bp.get("/deals/<deal_id>/fields/<name>/edit")
@requires("records.update")
def field_edit(deal_id, name):
    """A field's editor, with the current value and version, swapped over its display; with
    ?seen=<version> (the display's), it says who changed the field since that was shown."""
    deal, name, actor = services.get_deal(deal_id), _editable(name), current_actor()
    if name == "owner_id":
        authorize_owner_change(actor, deal)  # the save would be refused: no editor
    change = services.field_change_since(deal, name, request.args.get("seen"), actor)
    options = _options(deal, name)
    notice = changed_since_notice(change, option_shown(options) if options else None)
    return _field(deal, name, editing=True, notice=notice)


@bp.route("/deals/<deal_id>/fields/<name>", methods=["PATCH", "PUT"])
@requires("records.update")
def field_update(deal_id, name):
    """Save one field with the version the editor showed: its display (200), the editor with
    the message (422: the field's form refused it, or the service), or both values side by
    side when someone else saved first (409)."""
    form = field_form(_editable(name), request.form)
    value, version = request.form.get("value", ""), request.form.get("version")
    try:
        if not form.validate():
            raise ValidationError({name: form.value.errors})
        deal = services.update_deal_field(deal_id, name, value, current_actor(), version)
    except ValidationError as exc:
        errors = exc.fields.get(name) or [m for ms in exc.fields.values() for m in ms]
        deal = services.get_deal(deal_id)
        extra = {"value": value, "version": version, "errors": errors or [exc.message]}
        return _field(deal, name, 422, editing=True, **extra)
    except ConflictError:
        return _field(services.get_deal(deal_id), name, 409, conflict=True, value=value)
    # Fields that follow the one saved (a stage sets the probability, …) are swapped out of
    # band on the record page (a list has none of them); the page's heading and Updated time
    # fetch themselves on the record-saved trigger.
    related = () if _compact() else DEPENDENT_FIELDS.get(name, ())
    return saved(_field(deal, name, related=related))


def _compact() -> bool:
    """Whether the field is a list cell's (?compact=1, or the editor's hidden compact=1)."""
    return request.values.get("compact") == "1"


def _editable(name: str) -> str:
    if name not in services.EDITABLE_FIELDS or name not in FIELDS:
        raise NotFoundError("deal field", name)
    if _compact() and name not in LIST_FIELDS_BY_NAME:
        raise NotFoundError("deal list column", name)  # a list cell shows only these
    return name


@bp.post("/deals/<deal_id>/archive")
@requires("records.archive_own")
def archive(deal_id):
    """Archive ("delete") a deal: it leaves the board, lists and totals, and can come back."""
    version = request.form.get("version")
    deal = services.archive_deal(deal_id, current_actor(), version, version_required=True)
    flash(f"Archived {deal.title}. It can be restored from its page.", "success")
    return redirect(url_for("deals.detail", deal_id=deal.id), 303)


@bp.post("/deals/<deal_id>/restore")
@requires("records.archive_own")
def restore(deal_id):
    """Bring an archived deal back to the board: from its page (back to it, 303), or from a
    row of the archived list (the list again, in #deal_list for HTMX)."""
    version = request.form.get("version")
    try:
        deal = services.restore_deal(
            deal_id, current_actor(), version, version_required=True, must_change=True
        )
        notice = {"kind": "success", "message": f"Restored {deal.title}."}
    except ValidationError as exc:
        if "archived_at" not in exc.fields:
            raise
        notice = {"kind": "error", "message": "This deal is not archived: nothing was restored."}
    if request.form.get("from") != "list":
        flash(notice["message"], notice["kind"])
        return redirect(url_for("deals.detail", deal_id=deal_id), 303)
    state = _list_state(request.form)
    if request.headers.get("HX-Request"):
        return render("deals/index.html", "deal_list", **_list_context(state, notice))
    session["deals_notice"] = notice
    return redirect(state.url(), 303)


@bp.post("/deals/<deal_id>/purge")
@requires("records.purge")
def purge(deal_id):
    """Delete for good, with its tasks and notes (admins)."""
    return purge_record(operations.delete_deal, deal_id, "deal", "deals.index")
