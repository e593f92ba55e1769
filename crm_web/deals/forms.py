"""Deal inputs, made from fields.FIELDS: the new-deal form (the deal, up to three follow-up
tasks named tasks-<n>-description and tasks-<n>-due_date, and the custom fields defined for
deals) and the inline editors' one-field forms. Shape and types only: the service checks the
company, contact and stage exist, and everything else again."""

from __future__ import annotations

import wtforms

from crm_web.core import validation as v
from crm_web.core.errors import ValidationError
from crm_web.core.forms import Check, form_class, value_form, with_custom_fields
from crm_web.custom_fields.services import check_value
from crm_web.deals.fields import FIELDS

TASK_ROWS = 3

# The create form: a wtforms.Form with a field per entry of FIELDS the create page asks.
DealForm: type[wtforms.Form] = form_class("DealForm", FIELDS.values())


class TaskForm(wtforms.Form):
    """One follow-up task row; a blank row is skipped (filled_rows)."""

    description = wtforms.StringField("Description", [Check(v.text, 10_000)])
    due_date = wtforms.StringField("Due", [Check(v.date)])


def deal_form(formdata=None, definitions=(), **data):
    """The new-deal form, with an input per custom field in `definitions`."""
    return with_custom_fields(DealForm, definitions, check_value)(formdata, data=data)


def field_form(name: str, formdata=None) -> wtforms.Form | None:
    """The inline editor's one-field form for `name` (its input is "value"); None if no field."""
    field = FIELDS.get(name)
    return value_form(field)(formdata) if field else None


def task_forms(formdata=None) -> list[TaskForm]:
    """The task rows' forms, row n's inputs named tasks-<n>-description and tasks-<n>-due_date."""
    return [TaskForm(formdata, prefix=f"tasks-{n}-") for n in range(TASK_ROWS)]


def filled_rows(tasks) -> list[int]:
    """The numbers of the task rows the user filled in (blank rows are not tasks)."""
    return [n for n, task in enumerate(tasks) if not all(map(v.is_blank, task.data.values()))]


def row_errors(exc: ValidationError, rows: list[int]) -> dict[str, list[str]]:
    """A service's errors with each task's index (`tasks.<i>.<field>`, i counting only the tasks
    sent) turned back into the row the user saw (`rows[i]`)."""
    fields = {}
    for key, messages in exc.fields.items():
        if key.startswith("tasks."):
            _, index, name = key.split(".", 2)
            key = f"tasks.{rows[int(index)]}.{name}"
        fields[key] = messages
    return fields


def flat_errors(form, tasks=()) -> dict[str, list[str]]:
    """The forms' messages keyed as the services key theirs: `custom_fields.<name>`,
    `tasks.<n>.<field>`."""
    errors: dict[str, list[str]] = {}
    for name, messages in form.errors.items():
        if isinstance(messages, dict):  # the custom fields' sub-form
            errors.update({f"{name}.{key}": value for key, value in messages.items()})
        else:
            errors[name] = list(messages)
    for n, task in enumerate(tasks):
        errors.update({f"tasks.{n}.{key}": value for key, value in task.errors.items()})
    return errors
