"""Custom field definitions, and checking the values records carry for them."""

from __future__ import annotations

import re
from types import SimpleNamespace

from sqlalchemy import inspect as sa_inspect

from crm_web.core import validation as v
from crm_web.core.actor import Actor
from crm_web.core.db import db, transaction
from crm_web.core.errors import NotFoundError, ValidationError
from crm_web.core.permissions import authorize
from crm_web.custom_fields import repository as repo
from crm_web.custom_fields.models import CUSTOMISABLE_ENTITIES, FIELD_TYPES, CustomFieldDefinition

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def create_definition(data: dict, actor: Actor) -> CustomFieldDefinition:
    """Define a custom field for contacts, companies or deals. Admins only."""
    authorize(actor, "custom_fields.manage")
    check = v.Checker(data)
    name = check.field("name", v.text, 100, required=True)
    if name and not NAME_PATTERN.match(name):
        check.fail("name", "Use lower-case letters, digits and _, starting with a letter.")
    check.field("label", v.text, 255, required=True)
    check.field("entity_type", v.choice, CUSTOMISABLE_ENTITIES, required=True)
    field_type = check.field("field_type", v.choice, FIELD_TYPES, required=True)
    enum_values = check.field("enum_values", v.listed, v.text, 255, max_items=200)
    if field_type == "enum" and not enum_values:
        check.fail("enum_values", "An enum field needs at least one value.")
    if field_type != "enum" and enum_values:
        check.fail("enum_values", "Only enum fields have values to choose from.")
    check.field("required", v.boolean)
    clean = check.done()
    clean.setdefault("required", False)
    clean["enum_values"] = enum_values if field_type == "enum" else None
    with transaction(actor) as session:
        definition = CustomFieldDefinition(**clean, created_by=actor.id)
        session.add(definition)
        session.flush()
    return definition


def list_definitions(entity_type: str) -> list[CustomFieldDefinition]:
    return repo.list_definitions(entity_type)


def plain_definitions(entity_type: str) -> list[SimpleNamespace]:
    """list_definitions as plain values: a commit does not expire them, so a thread checking a
    batch's rows (the import job's look-ahead) may read them while the session moves on."""
    return [
        SimpleNamespace(**{a.key: getattr(d, a.key) for a in sa_inspect(d).mapper.column_attrs})
        for d in list_definitions(entity_type)
    ]


def delete_definition(definition_id, actor: Actor) -> int:
    """Delete a definition and its values on every record, in one transaction; returns how many
    records lost a value. Admins only."""
    authorize(actor, "custom_fields.manage")
    with transaction(actor) as session:
        definition = repo.get_definition(definition_id)
        if definition is None:
            raise NotFoundError("custom_field_definition", definition_id)
        cleared = repo.remove_key_everywhere(definition.entity_type, definition.name, actor.id)
        session.delete(definition)
        session.flush()
    # The set-based UPDATE bypassed the identity map: reload records on next access.
    db.session.expire_all()
    return cleared


def check_value(definition: CustomFieldDefinition, value):
    """One value checked against its definition's type; the cleaned value or FieldError."""
    if definition.field_type == "text":
        return v.text(value, 10_000)
    if definition.field_type == "number":
        if isinstance(value, bool):
            raise v.FieldError("Must be a number.")
        if isinstance(value, int):
            return value
        if not isinstance(value, float):
            try:
                value = float(str(value).strip())
            except ValueError:
                raise v.FieldError(f"{value!r} is not a number.") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise v.FieldError("Must be a finite number.")
        # A whole number is stored as an int: JSONB keeps numbers as exact decimals and gives
        # 1e16 back as the integer 10000000000000000, so a float would not survive the trip.
        return int(value) if value.is_integer() else value
    if definition.field_type == "date":
        return v.date(value).isoformat()
    if definition.field_type == "enum":
        return v.choice(value, definition.enum_values or [])
    return v.boolean(value)


def checked_with_custom_fields(
    check: v.Checker, entity_type: str, data: dict, existing, definitions=None
) -> dict:
    """`check.done()` for a record's input, with its custom fields checked too (all of them on
    create, `existing` None): their messages come back together with the others', not after
    those are fixed. `definitions` (list_definitions) spares a batch one query per record."""
    custom = None
    if existing is None or "custom_fields" in data:
        current = existing.custom_fields if existing is not None else None
        custom = check.collect(
            clean_custom_fields, entity_type, data.get("custom_fields"), current, definitions
        )
    clean = check.done()
    if custom is not None:
        clean["custom_fields"] = custom
    return clean


def clean_custom_fields(
    entity_type: str, values, existing: dict | None = None, definitions=None
) -> dict:
    """Check `values` against the definitions for `entity_type`; returns the record's new
    custom_fields. On update (`existing` given) values merge into it, and None removes a key.
    Raises ValidationError keyed `custom_fields.<name>`."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationError({"custom_fields": ["Must be a set of named values."]})
    if definitions is None:
        definitions = repo.list_definitions(entity_type)
    definitions = {d.name: d for d in definitions}
    result = dict(existing or {})
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        key = f"custom_fields.{name}"
        definition = definitions.get(name)
        if definition is None:
            errors[key] = [f"There is no custom field {name!r} for {entity_type} records."]
        elif v.is_blank(value):
            result.pop(name, None)
        else:
            try:
                result[name] = check_value(definition, value)
            except v.FieldError as exc:
                errors[key] = [f"{definition.label}: {exc}"]
    for name, definition in definitions.items():
        touched = existing is None or name in values
        if (
            definition.required
            and touched
            and name not in result
            and f"custom_fields.{name}" not in errors
        ):
            errors[f"custom_fields.{name}"] = [f"{definition.label} is required."]
    if errors:
        raise ValidationError(errors)
    return result


def field_definition(entity_type: str, name: str) -> CustomFieldDefinition:
    """The definition of the custom field `name` of `entity_type` records; NotFoundError if none."""
    definition = next((d for d in repo.list_definitions(entity_type) if d.name == name), None)
    if definition is None:
        raise NotFoundError("custom_field", name)
    return definition


def record_fields(entity_type: str, record) -> list[tuple[CustomFieldDefinition, object]]:
    """Each definition for `entity_type` with `record`'s value for it (None when unset)."""
    values = record.custom_fields or {}
    return [(d, values.get(d.name)) for d in repo.list_definitions(entity_type)]
