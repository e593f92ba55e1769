"""What a task row needs beside the task: how it looks (overdue, due today, done) on the
signed-in user's clock, the assignees to choose from and who may change it. Template globals,
registered by the tasks blueprint; computed once a request (a list draws 50 rows)."""

from __future__ import annotations

import datetime as dt

from flask import g
from flask_login import current_user

from crm_web.accounts.services import active_users
from crm_web.activities.services import may_change_task, record_name, record_names
from crm_web.core.dates import user_zone


def _clock() -> tuple[dt.datetime, dt.date]:
    if "task_clock" not in g:
        now = dt.datetime.now(dt.UTC)
        g.task_clock = (now, now.astimezone(user_zone()).date())
    return g.task_clock


def task_look(task) -> str:
    """ "done", "overdue", "today" or "" (upcoming or no date): the row's class."""
    if task.status == "closed":
        return "done"
    now, today = _clock()
    if task.due_at is not None:
        day = task.due_at.astimezone(user_zone()).date()
        return "overdue" if task.due_at < now else ("today" if day == today else "")
    if task.due_date is None:
        return ""
    return "overdue" if task.due_date < today else ("today" if task.due_date == today else "")


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
    return current_user.is_authenticated and may_change_task(current_user.as_actor(), task)


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
    name = record_names([(kind, record_id)], current_user.as_actor()).get((kind, record_id))
    return f"{kind.capitalize()} {name or '(gone)'}"


TEMPLATE_GLOBALS = {
    "task_look": task_look,
    "task_assignees": assignee_choices,
    "task_assignee_name": assignee_name,
    "can_change_task": can_change_task,
    "task_local_time": local_time,
    "task_record_name": record_name,
    "task_record_label": record_label,
}
