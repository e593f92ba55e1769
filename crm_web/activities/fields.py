"""A task's fields, in order: the one list the quick-add form, the inline editors and the rows
are made from (the view layer's; services keep the rules)."""

from __future__ import annotations

from crm_web.activities.models import PRIORITIES
from crm_web.core import validation as v
from crm_web.core.forms import Field

PRIORITY_LABELS = {"low": "Low", "normal": "Normal", "high": "High"}
assert tuple(PRIORITY_LABELS) == PRIORITIES

FIELDS = {
    field.name: field
    for field in (
        Field("description", "Title", checks=((v.text, 10_000),), required=True),
        # The due editor has two inputs: "value" (the day) and "due_time" (optional).
        Field("due_date", "Due", "due", checks=(v.date,), input_type="date", empty="No date"),
        Field("priority", "Priority", "priority"),
        Field("assignee_id", "Assignee", "assignee", checks=(v.uuid_value,), empty="Nobody"),
    )
}
