"""A task's fields, in order: the one list the quick-add form, the inline editors and the rows
are made from (the view layer's; services keep the rules)."""

from __future__ import annotations

from crm_web.activities.models import ENTITY_TYPES, PRIORITIES
from crm_web.core import validation as v
from crm_web.core.forms import Field


def record_ref(value) -> tuple:
    """ "contact:<id>" (a record picker's value) as ("contact", id); "" as (None, None)."""
    if v.is_blank(value):
        return (None, None)
    kind, _, record_id = str(value).partition(":")
    if kind not in ENTITY_TYPES:
        raise v.FieldError("Choose a contact, company or deal.")
    return (kind, v.uuid_value(record_id))


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
        # The record it is on, "<type>:<id>" ("" none), picked by searching (tasks.record_picker).
        Field("record", "Record", "record", checks=(record_ref,), create=False, empty="None"),
    )
}
