"""Contacts: create, read, update, archive and delete, with validation and permissions."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app

from crm_web.contacts import repository as repo
from crm_web.contacts.models import Contact
from crm_web.core import validation as v
from crm_web.core.actor import Actor
from crm_web.core.db import transaction
from crm_web.core.errors import NotFoundError
from crm_web.core.permissions import authorize, authorize_archive
from crm_web.core.repository import check_version
from crm_web.custom_fields.services import clean_custom_fields


def _clean(data: dict, existing: Contact | None = None) -> dict:
    """Validated values for the fields present in `data` (all required ones on create)."""
    from crm_web.accounts.services import check_user_id
    from crm_web.companies.services import check_company_id

    creating = existing is None
    check = v.Checker(data)
    for name in ("first_name", "last_name"):
        if creating or check.has(name):
            check.field(name, v.text, 255, required=True)
    check.field("emails", v.listed, v.email)
    region = current_app.config.get("DEFAULT_PHONE_REGION", "US")
    check.field("phones", v.listed, v.phone, region)
    check.field("company_id", check_company_id)
    check.field("owner_id", check_user_id)
    clean = check.done()
    if creating or "custom_fields" in data:
        current = existing.custom_fields if existing else None
        clean["custom_fields"] = clean_custom_fields("contact", data.get("custom_fields"), current)
    return clean


def create_contact(data: dict, actor: Actor) -> Contact:
    """Create a contact. Editors (admin, manager, rep)."""
    authorize(actor, "records.create")
    clean = _clean(data)
    clean.setdefault("owner_id", _actor_user_id(actor))
    with transaction(actor) as session:
        contact = Contact(**clean, created_by=actor.id, updated_by=actor.id)
        session.add(contact)
        session.flush()
    return contact


def get_contact(contact_id) -> Contact:
    contact = repo.get_contact(contact_id)
    if contact is None:
        raise NotFoundError("contact", contact_id)
    return contact


def list_contacts(filters: dict | None = None, limit: int = 50, offset: int = 0) -> list[Contact]:
    return repo.list_contacts(filters or {}, limit, offset)


def get_contacts_by_company(company_id) -> list[Contact]:
    return repo.contacts_of_company(company_id)


def update_contact(contact_id, data: dict, actor: Actor, expected_version=None) -> Contact:
    """Change the fields present in `data`; a stale `expected_version` raises ConflictError."""
    authorize(actor, "records.update")
    with transaction(actor) as session:
        contact = _locked(contact_id)
        check_version(contact, expected_version)
        for name, value in _clean(data, contact).items():
            setattr(contact, name, value)
        contact.updated_by = actor.id
        session.flush()
    return contact


def archive_contact(contact_id, actor: Actor, expected_version=None) -> Contact:
    """Hide a contact from lists and search; it can be restored."""
    return _set_archived(contact_id, actor, datetime.now(UTC), expected_version)


def restore_contact(contact_id, actor: Actor, expected_version=None) -> Contact:
    return _set_archived(contact_id, actor, None, expected_version)


def delete_contact(contact_id, actor: Actor) -> None:
    """Delete for good: its tasks and notes go, its deals lose the link. Admins only."""
    from crm_web.activities.services import delete_attachments
    from crm_web.deals.services import unlink_contact

    authorize(actor, "records.purge")
    with transaction(actor) as session:
        contact = _locked(contact_id)
        delete_attachments("contact", [contact.id])
        unlink_contact(contact.id, actor)
        session.delete(contact)
        session.flush()


def _set_archived(contact_id, actor: Actor, when, expected_version) -> Contact:
    with transaction(actor) as session:
        contact = _locked(contact_id)
        authorize_archive(actor, contact)
        check_version(contact, expected_version)
        contact.archived_at = when
        contact.updated_by = actor.id
        session.flush()
    return contact


def _locked(contact_id) -> Contact:
    contact = repo.get_contact(contact_id, for_update=True)
    if contact is None:
        raise NotFoundError("contact", contact_id)
    return contact


def _actor_user_id(actor: Actor):
    from crm_web.accounts.services import owner_id_for

    return owner_id_for(actor)


def check_contact_id(value):
    """Field check for references to a contact."""
    contact = repo.get_contact(value)
    if contact is None:
        raise v.FieldError("No such contact.")
    return contact.id
