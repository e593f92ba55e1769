"""Task inputs: the one-line add form and the inline editors' forms."""

from __future__ import annotations

import wtforms

from crm_web.activities.fields import FIELDS
from crm_web.core import validation as v
from crm_web.core.forms import Check, form_class, value_form

# Title, due day, priority, assignee, plus the time of day and the record it hangs on.
TaskForm: type[wtforms.Form] = form_class(
    "TaskForm",
    FIELDS.values(),
    base=type(
        "TaskFormBase",
        (wtforms.Form,),
        {
            # The service reads the time (on the user's clock) and says what is wrong with it.
            "due_time": wtforms.StringField("Time", render_kw={"type": "time"}),
            "entity_type": wtforms.StringField("Record type"),
            "entity_id": wtforms.StringField("Record", [Check(v.uuid_value)]),
        },
    ),
)


def field_form(name: str, formdata=None) -> wtforms.Form | None:
    """The inline editor's one-field form for `name` (its input is "value"); None if no field."""
    field = FIELDS.get(name)
    return value_form(field)(formdata) if field else None
