"""Task pages: "My tasks" (/tasks), the one-line add, click-to-edit fields, complete/reopen
and delete. On a record page a task row is <li id="task-<id>">, and every change answers with
that row again; on /tasks a row of a section's grid, whose cells answer with their value
(?compact=1) and whose add, completion and deletion redraw the sections."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, abort, request
from werkzeug.datastructures import MultiDict

from crm_web.accounts.auth import current_actor, requires
from crm_web.activities import services
from crm_web.activities.display import TEMPLATE_GLOBALS, VIEWS
from crm_web.activities.fields import FIELDS, PRIORITY_LABELS
from crm_web.activities.forms import TaskForm, field_form
from crm_web.core.errors import ConflictError, ValidationError
from crm_web.core.forms import add_errors
from crm_web.core.htmx import render, saved
from crm_web.core.urls import fixed_url
from crm_web.lists.state import list_state
from crm_web.records import pages
from crm_web.search import services as search_services

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

for _name, _function in TEMPLATE_GLOBALS.items():
    bp.add_app_template_global(_function, _name)
bp.add_app_template_global(FIELDS, "task_fields")
bp.add_app_template_global(PRIORITY_LABELS, "task_priorities")


def _state(args):
    filters = {"q": (args.get("q") or "").strip()[:100], "assignee": args.get("assignee") or ""}
    return list_state(
        args, filters, sortable=("due",), default_sort="due", path=fixed_url("tasks.index")
    )


@bp.get("/")
@requires("records.read")
def index():
    """My tasks, in sections; HTMX requests (search, assignee, pages) get only #task_sections."""
    state = _state(request.args)
    tasks = services.task_list(state.filters, state.cursor, current_actor())
    return render("tasks/index.html", "task_sections", tasks=tasks, state=state, form=TaskForm())


@bp.get("/badge")
@requires("records.read")
def badge():
    """The nav's count, fetched again after a task is saved (into #task-badge-slot)."""
    return render("tasks/_badge.html")


def _row(task, status=200, **extra):
    """The task's row; `list=1` (from /tasks) adds the link to its record."""
    in_list = request.values.get("list") == "1"
    return render("tasks/_row.html", status=status, task=task, in_list=in_list, **extra)


@bp.post("/")
@requires("records.create")
def create():
    """Add a task (the one-line form: title and due, Enter saves): its row, prepended to the
    list the form names (hx-target); the form again with its messages (422)."""
    form = TaskForm(request.form)
    data = {k: v for k, v in form.data.items() if v not in ("", None)}
    try:
        if not form.validate():
            raise ValidationError({k: list(v) for k, v in form.errors.items()})
        task = services.create_task(data, current_actor())
    except ValidationError as exc:
        messages = add_errors(form, exc.fields)
        response = render(
            "tasks/_add.html",
            status=422,
            form=form,
            messages=messages,
            entity_type=request.form.get("entity_type") or None,
            entity_id=request.form.get("entity_id") or None,
            in_list=request.values.get("list") == "1",
            view=request.form.get("view") if request.form.get("view") in VIEWS else None,
        )
        # The form, not the list it adds to, shows the messages.
        response.headers["HX-Retarget"] = "this"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    if request.form.get("view") == "tasks":  # /tasks: the sections, with it in its own
        return saved(_redrawn("tasks", task, 200, {}, "added"))
    return saved(_row(task))


# The /tasks grid's cells whose save redraws the sections (field_update).
SECTION_FIELDS = ("due_date", "assignee_id")


def _compact() -> bool:
    """Whether the field is a /tasks grid cell's (?compact=1, or the editor's hidden compact=1)."""
    return request.values.get("compact") == "1"


def _field_context(task, field, **extra):
    if field not in FIELDS:
        abort(404)
    in_list = request.values.get("list") == "1"
    return {"task": task, "field": field, "in_list": in_list, "compact": _compact(), **extra}


@bp.get("/<task_id>/fields/<field>")
@requires("records.read")
def field(task_id, field):
    """A field's display (Escape and "keep theirs" swap it back over the editor)."""
    task = services.get_task(task_id)
    return render("tasks/_field.html", **_field_context(task, field))


@bp.get("/<task_id>/fields/<field>/edit")
@requires("records.update")
def field_edit(task_id, field):
    """A field's editor, swapped over its display."""
    task = services.get_task(task_id)
    return render("tasks/_field.html", **_field_context(task, field, editing=True))


@bp.route("/<task_id>/fields/<field>", methods=["PATCH", "PUT"])
@requires("records.update")
def field_update(task_id, field):
    """Save one field: the whole row again (200: it may now look overdue), on /tasks the cell's
    value or, for a due day or an assignee, the sections again (SECTION_FIELDS); the editor with
    the message (422), or both values side by side when someone else saved first (409)."""
    form = field_form(field, request.form) or abort(404)
    value, version = form.value.data, request.form.get("version")
    data = {field: value}
    if field == "due_date":
        data["due_time"] = request.form.get("due_time", "")
    if field == "record":
        kind, _, record_id = (value or "").partition(":")
        data = {"entity_type": kind, "entity_id": record_id}
    try:
        if not form.validate():
            raise ValidationError({field: form.value.errors})
        task = services.update_task(task_id, data, current_actor(), version)
    except ValidationError as exc:
        task = services.get_task(task_id)
        keys = (field, "due_time", "entity_type", "entity_id")
        errors = [m for key in keys for m in exc.fields.get(key, [])]
        context = _field_context(
            task,
            field,
            editing=True,
            value=value,
            version=version,
            errors=errors or [exc.message],
            typed_time=data.get("due_time"),
        )
        return render("tasks/_field.html", status=422, **context)
    except ConflictError:
        task = services.get_task(task_id)
        context = _field_context(
            task, field, conflict=True, yours=value, yours_time=data.get("due_time")
        )
        return render("tasks/_field.html", status=409, **context)
    # A moved task names its new record, wherever the row is.
    moved = {"record_name": services.record_name(task)} if field == "record" else {}
    if _compact() and field in SECTION_FIELDS:
        # The task's section (its due day), or whether the list still shows it (its assignee,
        # on "Mine"), may change: the sections again, with the task marked where it now is.
        response = _redrawn("tasks", task, 200, {}, field)
        response.headers["HX-Retarget"] = "#task_sections"
        response.headers["HX-Reswap"] = "outerHTML"
        return saved(response)
    if _compact():  # a grid cell: its value
        return saved(render("tasks/_field.html", **_field_context(task, field, **moved)))
    response = saved(_row(task, **moved))
    # The row, not the field: its look (overdue, done) may change with the value.
    response.headers["HX-Retarget"] = f"#task-{task.id}"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.get("/record-picker")
@requires("records.read")
def record_picker():
    """Options of a task's record picker (search as you type), swapped into its .picker-options:
    the contacts, companies and deals matching `record_q`."""
    found = search_services.search(request.args.get("record_q", ""), current_actor(), limit=5)
    kinds = {"contacts": "contact", "companies": "company", "deals": "deal"}
    options = [
        (kinds[group["kind"]], result["record"][1], result["title"].striptags())
        for group in found["groups"]
        if group["kind"] in kinds
        for result in group["results"]
    ]
    return render("tasks/_record_picker.html", options=options)


@bp.get("/on/<any(contact, company, deal):entity_type>/<entity_id>/<any(open, done):which>")
@requires("records.read")
def on_record(entity_type, entity_id, which):
    """A record page's next open or done tasks ("Show more" in its Tasks card, ?after=<cursor>):
    their rows and the next "Show more", swapped over the button's own <li>."""
    after = request.args.get("after")
    page = pages.attached_page(entity_type, entity_id, which, current_actor(), after)
    context = {"entity_type": entity_type, "entity_id": entity_id, "which": which}
    return render("tasks/_more.html", page=page, **context)


# The home page's list of my tasks due (crm_web/records/home.py shows as many).
HOME_SHOWN = 20


@bp.post("/<task_id>/status")
@requires("records.update")
def status(task_id):
    """Complete (status=closed) or reopen (open) with one click, saying what happened with an
    Undo; someone else's change first (409): the row as it is now, saying so. `view=tasks`
    (/tasks) redraws #task_sections and `view=home` #home-tasks, so the task moves to its
    section and the counts follow; otherwise the row alone."""
    wanted = request.form.get("status", "")
    try:
        task = services.update_task(
            task_id, {"status": wanted}, current_actor(), request.form.get("version")
        )
        done = task.status == "closed"
        notice = {"notice": "Done." if done else "Reopened.", "undo": done}
        event, code = "done" if done else "reopened", 200
    except ConflictError:
        task = services.get_task(task_id)
        text = "Someone else changed this task meanwhile; this is how it is now."
        notice, code = {"notice": text, "notice_kind": "error"}, 409
        event = "conflict"
    view = request.form.get("view")
    if view in VIEWS:
        response = _redrawn(view, task, code, notice, event)
    else:
        response = _row(task, status=code, **notice)
    return saved(response) if code == 200 else response


def _redrawn(view: str, task, code: int, notice: dict, event: str):
    """/tasks' sections (in the state its URL holds), saying `event` above them ("done",
    "deleted", …: tasks/_macros.html banner) with `task`'s row marked wherever it now is; or
    the home page's list, with `notice` on `task`'s row (or below it, when it left)."""
    if view == "home":
        tasks = services.my_due_tasks(current_actor(), HOME_SHOWN + 1)
        more = len(tasks) > HOME_SHOWN
        context = {"notice_task": task, "notice_kind": "success", **notice}
        return render(
            "tasks/_home_list.html",
            status=code,
            tasks=tasks[:HOME_SHOWN],
            more_tasks=more,
            **context,
        )
    # The page's URL (HTMX sends it) holds its search, assignee and page.
    query = urlsplit(request.headers.get("HX-Current-URL", "")).query
    state = _state(MultiDict(parse_qsl(query)))
    tasks = services.task_list(state.filters, state.cursor, current_actor())
    return render(
        "tasks/index.html",
        "task_sections",
        status=code,
        tasks=tasks,
        state=state,
        notice_task=task,
        event=event,
    )


@bp.post("/<task_id>/delete")
@requires("records.update")
def delete(task_id):
    """Delete a task: where it was, "Deleted" with an Undo (tasks.restore); on /tasks and the
    home page their list again, without it."""
    task = services.get_task(task_id)
    services.delete_task(task_id, current_actor())
    view = request.form.get("view")
    if view in VIEWS:
        return saved(_redrawn(view, task, 200, {"removed": True}, "deleted"))
    in_list = request.values.get("list") == "1"
    return saved(render("tasks/_deleted.html", task=task, in_list=in_list))


@bp.post("/<task_id>/restore")
@requires("records.update")
def restore(task_id):
    """Undo a deletion (only who deleted it): the row back where it was, saying so."""
    task = services.restore_task(task_id, current_actor())
    notice = {"notice": "Restored."}
    view = request.form.get("view")
    if view in VIEWS:
        return saved(_redrawn(view, task, 200, notice, "restored"))
    return saved(_row(task, **notice))
