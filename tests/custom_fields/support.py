"""Shared by the custom fields tests: define a field."""

from __future__ import annotations

from crm_web.custom_fields.services import create_definition
from tests.support import ADMIN


def define(entity_type, label, field_type, **extra):
    name = extra.pop("name", label.lower())
    data = {"entity_type": entity_type, "label": label, "name": name, "field_type": field_type}
    return create_definition({**data, **extra}, ADMIN)
