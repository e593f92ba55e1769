"""What a task row needs beside the task: how it looks (overdue, due today, done) on the
signed-in user's clock, the assignees to choose from and who may change it. Template globals,
registered by the tasks blueprint; computed once a request (a list draws 50 rows)."""

from __future__ import annotations

import datetime as dt
import uuid
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlencode

from flask import current_app, g, get_template_attribute, request
from markupsafe import Markup

from crm_web.accounts.auth import current_actor, signed_in_actor
from crm_web.accounts.services import active_users
from crm_web.activities.fields import FIELDS, PRIORITY_LABELS
from crm_web.activities.services import may_change_task, record_names
from crm_web.activities.services import record_name as find_record_name
from crm_web.core.actor import Actor
from crm_web.core.dates import relative, time_html, user_zone
from crm_web.core.display import LOCKED_CELL, ROWS_KEPT, field_display
from crm_web.core.permissions import allowed
from crm_web.core.security import csrf_token
from crm_web.core.urls import fixed_url


def _clock() -> tuple[dt.datetime, dt.date]:
    if "task_clock" not in g:
        now = dt.datetime.now(dt.UTC)
        g.task_clock = (now, now.astimezone(user_zone()).date())
    return g.task_clock


def task_look(task) -> str:
    """ "done", "overdue", "today" or "" (upcoming or no date): the row's class."""
    now, today = _clock()
    return _look(task, now, today, user_zone())


def assignee_choices() -> list[tuple[str, str]]:
    """(id, name) of the users a task may be assigned to."""
    if "assignee_choices" not in g:
        g.assignee_choices = [(str(user.id), user.name) for user in active_users()]
    return g.assignee_choices


def remember_assignees(choices: list[tuple[str, str]]) -> None:
    """(id, name) of the active users as a page already read them (records.page_query), so
    its task rows and notes name people without reading the users again."""
    g.assignee_choices = choices


def assignee_name(assignee_id) -> str:
    return dict(assignee_choices()).get(str(assignee_id or ""), "")


def can_change_task(task) -> bool:
    """May the signed-in user edit, complete or delete `task` (services.may_change_task)?"""
    actor = signed_in_actor()
    return actor is not None and may_change_task(actor, task)


def local_time(task) -> str:
    """The due time's value for a time input ("14:30") on the user's clock; "" without one."""
    if task.due_at is None:
        return ""
    return task.due_at.astimezone(user_zone()).strftime("%H:%M")


def record_label(value: str) -> str:
    """A record picker's value ("deal:<id>") as the user reads it ("Deal Big order")."""
    kind, _, record_id = (value or "").partition(":")
    if not record_id:
        return "None"
    name = record_names([(kind, record_id)], current_actor()).get((kind, record_id))
    return f"{kind.capitalize()} {name or '(gone)'}"


# A task row as HTML (templates/tasks/_macros.html's row and field call these). /tasks and the
# home page draw 50 rows of five click-to-edit fields: through Jinja macros that was most of the
# page's cost; built here with f-strings, as the contact list builds its rows
# (crm_web/contacts/display.py), it is a fraction.
MUTED = '<span class="muted">{}</span>'
RECORD_PAGES = {
    "contact": ("contacts.detail", "contact_id"),
    "company": ("companies.detail", "company_id"),
    "deal": ("deals.detail", "deal_id"),
}
_SAMPLE_ID = uuid.UUID(int=0)
_SAMPLE = str(_SAMPLE_ID)  # where an id goes in a URL or form drawn once for any record


def escape(value: str) -> str:
    """markupsafe's escaping (the same entities the templates write), as a plain str: no
    Markup object per value."""
    return (
        value.replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


@dataclass(frozen=True, slots=True)
class _Rows:
    """What every row of a request shares: the clock, the user, the URLs' roots."""

    now: dt.datetime
    today: dt.date
    tz: dt.tzinfo
    actor: Actor | None
    assignees: dict
    tasks_root: str
    record_roots: dict
    may_update: bool  # the role edits records: /tasks' grid has editable columns


def _rows_context() -> _Rows:
    if "task_rows" not in g:
        now, today = _clock()
        actor = signed_in_actor()
        g.task_rows = _Rows(
            now,
            today,
            user_zone(),
            actor,
            _by_id_and_text(assignee_choices()),
            fixed_url("tasks.index"),
            _record_roots(),
            actor is not None and allowed(actor, "records.update"),
        )
    return g.task_rows


def _by_id_and_text(choices) -> dict:
    """{id: name} by the id's text and by the UUID itself: a row's assignee_id is looked up
    without turning it into text (UUID.__str__ costs ~1.7 µs; a /tasks page did it 400 times).
    Read only; kept for the same users (a UUID made of text costs ~2 µs each)."""
    return _names_by_id(tuple(choices))


@lru_cache(maxsize=64)
def _names_by_id(choices: tuple) -> dict:
    names = dict(choices)
    for key, name in list(names.items()):
        with suppress(ValueError):
            names[uuid.UUID(key)] = name
    return names


def _record_roots() -> dict:
    """ "/contacts/" and the like: RECORD_PAGES' URLs without the id, built once per mount point."""
    return _roots_under(request.script_root)


@lru_cache(maxsize=16)
def _roots_under(script_root: str) -> dict:
    roots = {}
    for kind, (endpoint, argument) in RECORD_PAGES.items():
        sample = fixed_url(endpoint, **{argument: _SAMPLE_ID})
        roots[kind] = sample[: -len(_SAMPLE)]
    return roots


def more_url(endpoint: str, entity_type: str, entity_id, after: str, **words) -> str:
    """url_for of a record's "Show more" (tasks.on_record, notes.on_record) with its cursor
    `after`, without a url_for each (~20 µs; a record page draws three): the path is built once
    per endpoint, record type and `words` (which tasks), then the record's id put in."""
    path = fixed_url(endpoint, entity_type=entity_type, entity_id=_SAMPLE_ID, **words)
    query = urlencode({"after": after})
    return f"{path.replace(_SAMPLE, str(entity_id))}?{query}"


def record_url(kind: str, record_id) -> str:
    """The page of a contact, company or deal (RECORD_PAGES) by its id, without a url_for
    each: a page links dozens."""
    return f"{_record_roots()[kind]}{record_id}"


def _look(task, now: dt.datetime, today: dt.date, tz: dt.tzinfo) -> str:
    if task.status == "closed":
        return "done"
    if task.due_at is not None:
        day = task.due_at.astimezone(tz).date()
        return "overdue" if task.due_at < now else ("today" if day == today else "")
    if task.due_date is None:
        return ""
    return "overdue" if task.due_date < today else ("today" if task.due_date == today else "")


class _Shown(NamedTuple):
    """All that a task's row shows, the clock's reading (look, due) and the user's rights
    included: a row is kept drawn by it (_kept_row)."""

    id: str
    status: str
    description: str
    version: int
    priority: str
    assignee: str
    entity_type: str | None
    record_href: str | None  # the record's page
    record_name: str | None  # None on the record's own page (not in a list)
    look: str
    due: tuple[str, str] | None  # (HTML, words)
    changeable: bool


def _shown(task, ctx: _Rows, record_name=None) -> _Shown:
    when = task.due_at if task.due_at is not None else task.due_date
    kind = task.entity_type
    return _Shown(
        str(task.id),
        task.status,
        task.description or "",
        task.version,
        task.priority,
        ctx.assignees.get(task.assignee_id) or "Nobody",
        kind,
        f"{ctx.record_roots[kind]}{task.entity_id}" if kind else None,
        record_name,
        _look(task, ctx.now, ctx.today, ctx.tz),
        None
        if when is None
        else (time_html(when, ctx.now, ctx.tz, ctx.today), relative(when, ctx.now, ctx.tz)),
        ctx.actor is not None and may_change_task(ctx.actor, task),
    )


def _value(task: _Shown, name: str, in_list: bool) -> tuple[str, str]:
    """(HTML, words) of a field's value: the display's content and its accessible name."""
    if name == "due_date":
        return task.due or (MUTED.format("No date"), "No date")
    if name == "priority":
        words = PRIORITY_LABELS.get(task.priority, task.priority or "")
    elif name == "assignee_id":
        words = task.assignee
    elif name == "record":
        return _record_value(task, in_list)
    else:
        words = task.description
    return escape(words), " ".join(words.split())


def _record_value(task: _Shown, in_list: bool) -> tuple[str, str]:
    """The record a task is on: its kind and a link to it; on that record's own page (no name,
    not in a list) just "This contact", as the page is that record."""
    kind, name = task.entity_type, task.record_name
    if not kind:
        return MUTED.format("No record"), "No record"
    if not name and not in_list:
        return f"This {kind}", f"This {kind}"
    name = name or "(gone)"
    # The href: a UUID, or its text: nothing to escape.
    link = f'<a class="task-record-link" href="{task.record_href}">{escape(name)}</a>'
    return f"{kind.capitalize()} {link}", " ".join(f"{kind.capitalize()} {name}".split())


def _field(task: _Shown, name: str, in_list: bool) -> str:
    """A field's click-to-edit display (templates/_macros/fields.html's display, by hand): its
    row (<li data-fields>) holds the fields' URL, and click or Enter (static/js/inline-edit.js)
    asks for the editor of its `data-field` when the user may change the task: no request
    attributes per field."""
    inner, words = _value(task, name, in_list)
    # The id: inline-edit.js finds the swapped editor, then the saved display, by it.
    element = f'class="ie-display{{}} task-{name}" id="task-{task.id}-{name}"'
    if not task.changeable:
        return f"<span {element.format('')}>{inner}</span>"
    label = escape(f"{FIELDS[name].label}: {words}, edit")
    if "<a " in inner:  # a button may not hold a link: its own ✎ button beside it
        return (
            f'<span {element.format(" ie-linked")} data-field="{name}">{inner}'
            f'<button type="button" class="ie-edit" aria-label="{label}"></button></span>'
        )
    return (
        f'<span {element.format("")} data-field="{name}" tabindex="0" role="button" '
        f'aria-label="{label}">{inner}</span>'
    )


def task_field(task, name: str, in_list: bool = False, record_name=None) -> Markup:
    """One field's display, as a fragment or in a row (templates/tasks/_macros.html field)."""
    if name not in FIELDS:
        raise ValueError(f"no display for {name!r}")
    shown = _shown(task, _rows_context(), record_name)
    return Markup(_field(shown, name, in_list))  # noqa: S704


def task_value(task, name: str, in_list: bool = False, record_name=None) -> Markup:
    """A field's value alone (the conflict view's "theirs")."""
    shown = _shown(task, _rows_context(), record_name)
    return Markup(_value(shown, name, in_list)[0])  # noqa: S704


def _target(view) -> str:
    """Where a completion, an undo or a deletion swaps its answer: /tasks' sections or the home
    page's list (the task moves to where it now belongs), else the row itself."""
    if view == "tasks":
        return 'hx-target="#task_sections" hx-swap="outerHTML"'
    if view == "home":
        return 'hx-target="#home-task-list" hx-swap="outerHTML"'
    return 'hx-target="closest li" hx-swap="outerHTML"'


def status_target(view) -> Markup:
    """_target for the templates' Undo buttons (tasks/_macros.html)."""
    return Markup(_target(view))  # noqa: S704 - fixed attributes


def button_vals(task, in_list: bool, view, status=None) -> Markup:
    """_vals for the templates' Undo buttons (tasks/_macros.html)."""
    return Markup(_vals(task, in_list, view, status))  # noqa: S704 - digits and fixed words


def _vals(task, in_list: bool, view, status=None) -> str:
    """hx-vals of a button acting on `task`: JSON of digits and fixed words (quote-free),
    keys sorted, written directly (json.dumps cost 7 µs a button)."""
    values = ['"list": "1"'] if in_list else []
    if status:
        values.append(f'"status": "{status}"')
    values.append(f'"version": "{int(task.version)}"')
    if view in VIEWS:
        values.append(f'"view": "{view}"')
    return "{" + ", ".join(values) + "}"


# The pages that redraw their whole list after a change (activities/views.py _redrawn).
VIEWS = ("tasks", "home")


def _row(task: _Shown, tasks_root, in_list, view, notice=None, notice_kind="", undo=False) -> str:
    look, changeable = task.look, task.changeable
    done = task.status == "closed"
    task_id, title = task.id, escape(task.description)
    target = _target(view)
    root = f"{tasks_root}{task_id}"
    if changeable:
        # Its change and the × below are sent by static/js/tasks.js, from the row's data.
        check = (
            f'<span class="task-check"><input type="checkbox" class="task-checkbox"'
            f"{' checked' if done else ''} "
            f'aria-label="{"Reopen" if done else "Complete"}: {title}"></span>'
        )
    else:
        check = f'<span class="task-state" aria-hidden="true">{"✓" if done else "○"}</span>'
    flag = (
        '<span class="task-flag">Overdue</span>'
        if look == "overdue"
        else ('<span class="task-flag task-flag-today">Today</span>' if look == "today" else "")
    )
    meta = "".join(
        f'<span class="task-meta-item"><span class="task-label">{label}</span> '
        f"{_field(task, name, in_list)}</span>"
        for label, name in (("Due", "due_date"), ("Priority", "priority"))
        + (("For", "assignee_id"), ("On", "record"))
    )
    said = ""
    if notice:
        button = ""
        if undo and changeable:
            vals = _vals(task, in_list, view, status="open")
            button = (
                f'<button type="button" class="link-button" hx-post="{root}/status" '
                f"hx-vals='{vals}' {target}>Undo</button>"
            )
        said = (
            f'<p class="task-notice task-notice-{escape(notice_kind)}" role="status">'
            f"{escape(str(notice))}{' ' if button else ''}{button}</p>"
        )
    delete = (
        f'<button type="button" class="task-delete" aria-label="Delete task: {title}">×</button>'
        if changeable
        else ""
    )
    description = _field(task, "description", in_list)
    # Where the fields' editors are (static/js/inline-edit.js adds "<field>/edit"; tasks.js
    # posts to "status" and "delete" beside them, with the version).
    fields = (
        f' data-fields="{root}/fields/" data-version="{task.version}"'
        f"{' data-list' if in_list else ''}"
        if changeable
        else ""
    )
    done_words = '<span class="visually-hidden"> (done)</span>' if done else ""
    return (
        f'<li class="task-item{f" task-{look}" if look else ""}" id="task-{task_id}"{fields}>{check}'
        f'<div class="task-body"><div class="task-title">{description}{done_words}</div>'
        f'<div class="task-meta">{flag}{meta}</div>{said}</div>{delete}</li>'
    )


# Rows kept drawn by all they show (_Shown): /tasks, the home page and a record's Tasks card
# draw the same rows page after page. A row saying what just happened to it is drawn anew.
_kept_row = lru_cache(maxsize=ROWS_KEPT)(_row)


def task_row(
    task,
    in_list=False,
    notice=None,
    notice_kind="success",
    undo=False,
    record_name=None,
    view=None,
) -> Markup:
    """<li id="task-<id>">: its checkbox (complete/reopen), its click-to-edit fields, what just
    happened (`notice`, with an Undo), its delete button; view "home" on the home page."""
    ctx = _rows_context()
    if in_list and record_name is None and task.entity_type:  # one row: its record's name
        record_name = getattr(task, "record_name", None) or find_record_name(task)
    shown = _shown(task, ctx, record_name)
    html = _row(shown, ctx.tasks_root, in_list, view, notice, notice_kind, undo)
    return Markup(html)  # noqa: S704 - every value escaped above


def task_rows(rows, in_list=True, view=None, notice_task=None, note=None) -> Markup:
    """The rows of a list (/tasks' section, the home page's), each with its `record_name`
    column, or of a record page (not `in_list`: the tasks are on that record);
    `notice_task`'s row says `note` (notice, notice_kind, undo). One Python loop."""
    ctx = _rows_context()
    noticed = notice_task.id if notice_task is not None else None
    html = []
    for row in rows:
        shown = _shown(row, ctx, row.record_name if in_list else None)
        said = note if note and row.id == noticed else None
        if said:
            html.append(
                _row(
                    shown,
                    ctx.tasks_root,
                    in_list,
                    view,
                    said.get("notice"),
                    said.get("notice_kind") or "success",
                    said.get("undo", False),
                )
            )
        else:
            html.append(_kept_row(shown, ctx.tasks_root, in_list, view))
    return Markup("".join(html))  # noqa: S704 - every value escaped in _row


# /tasks draws each section as a grid, as the contact list draws its rows: <tr data-id
# data-version>, a plain cell per field, named by its column's header (<th data-field>), whose
# editor static/js/inline-edit.js opens; tasks.js sends the checkbox and the ×. A row is ~500
# bytes where the <li> of a record page, each field its own labelled button, is ~2 KB.
GRID_COLUMNS = (
    ("", "Task", "description"),
    ("", "Due", "due_date"),
    ("", "Priority", "priority"),
    ("", "Assignee", "assignee_id"),
    ("", "Record", "record"),
)
GRID_FIELDS = tuple(field for _, _, field in GRID_COLUMNS)


def _cell(task: _Shown, name: str) -> str:
    """A field's value in its grid cell; empty (the stylesheet draws a dash) when it has none.
    A due day that is past or today says so in colour; its section says so in words."""
    if name == "due_date":
        if task.due is None:
            return ""
        if task.look in ("overdue", "today"):
            return task.due[0].replace("<time ", f'<time class="due-{task.look}" ', 1)
        return task.due[0]
    if name == "record":
        if not task.entity_type:
            return ""
        link = f'<a href="{task.record_href}">{escape(task.record_name or "(gone)")}</a>'
        return f"{task.entity_type.capitalize()} {link}"
    if name == "priority":
        return escape(PRIORITY_LABELS.get(task.priority, task.priority or ""))
    if name == "assignee_id":
        return escape(task.assignee)
    return escape(task.description)


def _grid_row(task: _Shown, may_update: bool, changed: bool = False) -> str:
    done = task.status == "closed"
    title = escape(task.description)
    if task.changeable:
        check = (
            f'<td><input type="checkbox" class="task-checkbox"'
            f'{" checked" if done else ""} aria-label="{"Reopen" if done else "Complete"}: '
            f'{title}"></td>'
        )
        delete = (
            f'<td><button type="button" class="task-delete" '
            f'aria-label="Delete task: {title}">×</button></td>'
        )
        cell = "<td>"
    else:
        mark = "✓" if done else "○"
        check = f'<td><span class="task-state" aria-hidden="true">{mark}</span></td>'
        delete = "<td></td>" if may_update else ""
        cell = LOCKED_CELL if may_update else "<td>"
    cells = "".join(f"{cell}{_cell(task, name)}</td>" for name in GRID_FIELDS)
    classes = " ".join(name for name, on in (("task-done", done), ("task-changed", changed)) if on)
    marked = f' class="{classes}"' if classes else ""
    return (
        f'<tr data-id="{task.id}" data-version="{task.version}"{marked}>{check}{cells}{delete}</tr>'
    )


_kept_grid_row = lru_cache(maxsize=ROWS_KEPT)(_grid_row)


def task_grid_rows(rows, changed_id=None) -> Markup:
    """A /tasks section's <tr>s (rows with their record_name); `changed_id`'s row is marked as
    the one just changed (it flashes)."""
    ctx = _rows_context()
    html = []
    for row in rows:
        shown = _shown(row, ctx, row.record_name)
        if changed_id is not None and row.id == changed_id:
            html.append(_grid_row(shown, ctx.may_update, True))
        else:
            html.append(_kept_grid_row(shown, ctx.may_update))
    return Markup("".join(html))  # noqa: S704 - every value escaped in _cell and _grid_row


def task_compact(task, name: str, record_name=None) -> Markup:
    """A field as its /tasks grid cell shows it, which the cell's editor swaps back to after a
    save or Escape (id "task-<id>-<name>-c"; data-version: the row's version now)."""
    shown = _shown(task, _rows_context(), record_name)
    html = field_display("task", shown.id, name, task.version, _cell(shown, name), True, "")
    return Markup(html)  # noqa: S704 - escaped by _cell


def record_add_form(kind: str, entity_type: str, entity_id) -> Markup:
    """A record page's empty add form for its tasks (`kind` "task": tasks/_macros.html add_form)
    or notes ("note": notes/_macros.html). It shows the record type, the record's id (five to
    eight times), the session's CSRF token and the mount point's URLs and nothing else, so it is
    drawn once per type, token and mount point for a stand-in record, then given the record's
    id: drawn anew on every page, the two forms were 5 % of a contact page's instructions."""
    record_id = escape(str(entity_id))
    if current_app.jinja_env.auto_reload:  # templates reloading (debug): drawn every time
        return _draw_add_form(kind, entity_type, record_id)
    drawn = _kept_add_form(kind, entity_type, csrf_token(), request.script_root)
    return Markup(drawn.replace(_SAMPLE, record_id))  # noqa: S704 - drawn by the macro


@lru_cache(maxsize=256)
def _kept_add_form(kind: str, entity_type: str, _csrf: str, _script_root: str) -> str:
    # The token and the mount point are what the macro reads of the request: the key holds them.
    return str(_draw_add_form(kind, entity_type, _SAMPLE))


def _draw_add_form(kind: str, entity_type: str, entity_id: str) -> Markup:
    if kind == "task":
        add_form = get_template_attribute("tasks/_macros.html", "add_form")
        return add_form(entity_type, entity_id, f"task-list-{entity_type}-{entity_id}")
    return get_template_attribute("notes/_macros.html", "add_form")(entity_type, entity_id)


TEMPLATE_GLOBALS = {
    "record_add_form": record_add_form,
    "more_url": more_url,
    "task_look": task_look,
    "task_assignees": assignee_choices,
    "task_assignee_name": assignee_name,
    "can_change_task": can_change_task,
    "task_local_time": local_time,
    "task_record_name": find_record_name,
    "task_record_label": record_label,
    "task_row": task_row,
    "task_rows": task_rows,
    "task_grid_rows": task_grid_rows,
    "task_grid_columns": GRID_COLUMNS,
    "task_compact": task_compact,
    "task_status_target": status_target,
    "task_button_vals": button_vals,
    "task_field": task_field,
    "task_value": task_value,
}
