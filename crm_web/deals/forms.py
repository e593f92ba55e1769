"""The new-deal form: the deal, up to three follow-up tasks (tasks-<n>-description,
tasks-<n>-due_date) and the custom fields defined for deals. Shape and types only: the service
checks the company, contact and stage exist, and everything else again."""

from __future__ import annotations

import wtforms

from crm_web.core import validation as v
from crm_web.core.forms import Check, Required, with_custom_fields
from crm_web.custom_fields.services import check_value

TASK_ROWS = 3


class TaskForm(wtforms.Form):
    """One follow-up task row; a blank row is skipped (create_deal_from_form)."""

    description = wtforms.StringField("Description", [Check(v.text, 10_000)])
    due_date = wtforms.StringField("Due", [Check(v.date)])


class DealForm(wtforms.Form):
    title = wtforms.StringField("Title", [Required(), Check(v.text, 255)])
    company_id = wtforms.StringField("Company", [Required(), Check(v.uuid_value)])
    contact_id = wtforms.StringField("Contact", [Check(v.uuid_value)])
    value = wtforms.StringField("Value", [Required(), Check(v.money)])
    currency = wtforms.StringField("Currency", [Check(v.currency)])
    stage = wtforms.StringField("Stage", [Required(), Check(v.text, 100)])
    close_date = wtforms.StringField("Expected close date", [Check(v.date)])


def deal_form(formdata=None, definitions=(), **data):
    """The new-deal form, with an input per custom field in `definitions`."""
    return with_custom_fields(DealForm, definitions, check_value)(formdata, data=data)


def task_forms(formdata=None) -> list[TaskForm]:
    """The task rows' forms, row n's inputs named tasks-<n>-description and tasks-<n>-due_date."""
    return [TaskForm(formdata, prefix=f"tasks-{n}-") for n in range(TASK_ROWS)]


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
