"""Task pages: "My tasks" (/tasks), the one-line add, click-to-edit fields, complete/reopen
and delete. A task row is <li id="task-<id>">; every change answers with that row again."""

from __future__ import annotations

from flask import Blueprint, abort, request, url_for

from crm_web.accounts.auth import current_actor, requires
from crm_web.activities import services
from crm_web.activities.display import TEMPLATE_GLOBALS
from crm_web.activities.fields import FIELDS, PRIORITY_LABELS
from crm_web.activities.forms import TaskForm, field_form
from crm_web.core.errors import ConflictError, ValidationError
from crm_web.core.forms import add_errors
from crm_web.core.htmx import render, saved
from crm_web.lists.state import list_state

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

for _name, _function in TEMPLATE_GLOBALS.items():
    bp.add_app_template_global(_function, _name)
bp.add_app_template_global(FIELDS, "task_fields")
bp.add_app_template_global(PRIORITY_LABELS, "task_priorities")


def _state(args):
    filters = {"q": (args.get("q") or "").strip()[:100], "assignee": args.get("assignee") or ""}
    return list_state(args, filters, sortable=("due",), default_sort="due", path=url_for(".index"))


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
        )
        # The form, not the list it adds to, shows the messages.
        response.headers["HX-Retarget"] = "this"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    return saved(_row(task))


def _field_context(task, field, **extra):
    if field not in FIELDS:
        abort(404)
    return {"task": task, "field": field, "in_list": request.values.get("list") == "1", **extra}


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
    """Save one field: the whole row again (200: it may now look overdue), the editor with the
    message (422), or both values side by side when someone else saved first (409)."""
    form = field_form(field, request.form) or abort(404)
    value, version = form.value.data, request.form.get("version")
    data = {field: value}
    if field == "due_date":
        data["due_time"] = request.form.get("due_time", "")
    try:
        if not form.validate():
            raise ValidationError({field: form.value.errors})
        task = services.update_task(task_id, data, current_actor(), version)
    except ValidationError as exc:
        task = services.get_task(task_id)
        errors = [m for key in (field, "due_time") for m in exc.fields.get(key, [])]
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
    response = saved(_row(task))
    # The row, not the field: its look (overdue, done) may change with the value.
    response.headers["HX-Retarget"] = f"#task-{task.id}"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.post("/<task_id>/status")
@requires("records.update")
def status(task_id):
    """Complete (status=closed) or reopen (open) with one click: the row, saying what happened
    with an Undo; someone else's change first (409): the row as it is now, saying so."""
    wanted = request.form.get("status", "")
    try:
        task = services.update_task(
            task_id, {"status": wanted}, current_actor(), request.form.get("version")
        )
    except ConflictError:
        task = services.get_task(task_id)
        notice = "Someone else changed this task meanwhile; this is how it is now."
        return _row(task, status=409, notice=notice, notice_kind="error")
    done = task.status == "closed"
    return saved(_row(task, notice="Done." if done else "Reopened.", undo=done))


@bp.post("/<task_id>/delete")
@requires("records.update")
def delete(task_id):
    """Delete a task (after the browser's confirm): the row goes (an empty 200 swaps it out)."""
    services.delete_task(task_id, current_actor())
    return saved(render("tasks/_deleted.html"))
