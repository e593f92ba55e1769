"""Inline editing of one custom field on a record page. It reads and saves the record through
its own area's services, so it lives above them (custom_fields only defines fields and checks
their values)."""

from __future__ import annotations

from crm_web.audit.services import change_since
from crm_web.companies.services import get_company, update_company
from crm_web.contacts.services import get_contact, update_contact
from crm_web.core.actor import Actor
from crm_web.core.db import db
from crm_web.core.errors import ConflictError, NotFoundError, ValidationError
from crm_web.core.permissions import authorize
from crm_web.custom_fields.services import field_definition
from crm_web.deals.services import get_deal, update_deal

# (get, update) for the records of each type that has custom fields.
_RECORDS = {
    "contact": (get_contact, update_contact),
    "company": (get_company, update_company),
    "deal": (get_deal, update_deal),
}


def _services(entity_type: str):
    if entity_type not in _RECORDS:
        raise NotFoundError("entity_type", entity_type)
    return _RECORDS[entity_type]


def record_field(entity_type: str, record_id, name: str, actor: Actor):
    """The record and the definition of its custom field `name`, to show or edit it."""
    authorize(actor, "records.read")
    get, _ = _services(entity_type)
    definition = field_definition(entity_type, name)
    return get(record_id), definition


def field_change_since(entity_type: str, record, name: str, seen, actor: Actor) -> dict | None:
    """How the custom field `name` of `record` changed since the version `seen` a page was
    drawn from (audit.services.change_since); None if it did not. Readers."""
    authorize(actor, "records.read")
    return change_since(entity_type, record.id, seen, record.version, ("custom_fields", name))


def update_record_field(entity_type: str, record_id, name: str, value, expected_version, actor):
    """Inline edit of one custom field (blank removes the value); returns the record and the
    field's definition. Errors are keyed `custom_fields.<name>`; a stale version raises
    ConflictError carrying the record now."""
    record, definition = record_field(entity_type, record_id, name, actor)
    get, update = _services(entity_type)
    if expected_version in (None, ""):
        # Never a blind write: an edit must say which version of the record it changes.
        message = "This edit is missing the version it changes; reload the page."
        raise ValidationError({f"custom_fields.{name}": [message]})
    try:
        return update(
            record.id, {"custom_fields": {name: value}}, actor, expected_version
        ), definition
    except ConflictError as exc:
        db.session.expire_all()
        raise ConflictError(get(record_id)) from exc
