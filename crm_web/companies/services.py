"""Companies: create, read, update, archive and delete, with validation and permissions."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_web.companies import repository as repo
from crm_web.companies.models import Company
from crm_web.core import validation as v
from crm_web.core.actor import Actor
from crm_web.core.db import transaction
from crm_web.core.errors import NotFoundError
from crm_web.core.permissions import authorize, authorize_archive
from crm_web.core.repository import check_version
from crm_web.custom_fields.services import clean_custom_fields

ADDRESS_PARTS = ("street", "city", "state", "postal_code", "country")


def _address(value) -> dict | None:
    """{street, city, state, postal_code, country}, each optional text; empty parts dropped."""
    value = v.mapping(value)
    unknown = set(value) - set(ADDRESS_PARTS)
    if unknown:
        raise v.FieldError(f"Unknown address parts: {', '.join(sorted(unknown))}.")
    address = {}
    for part in ADDRESS_PARTS:
        if not v.is_blank(value.get(part)):
            address[part] = v.text(value[part], 255)
    return address or None


def _clean(data: dict, existing: Company | None = None) -> dict:
    from crm_web.accounts.services import check_user_id

    creating = existing is None
    check = v.Checker(data)
    if creating or check.has("name"):
        check.field("name", v.text, 255, required=True)
    check.field("address", _address)
    check.field("owner_id", check_user_id)
    clean = check.done()
    if creating or "custom_fields" in data:
        current = existing.custom_fields if existing else None
        clean["custom_fields"] = clean_custom_fields("company", data.get("custom_fields"), current)
    return clean


def create_company(data: dict, actor: Actor) -> Company:
    """Create a company. Editors."""
    from crm_web.accounts.services import owner_id_for

    authorize(actor, "records.create")
    clean = _clean(data)
    clean.setdefault("owner_id", owner_id_for(actor))
    with transaction(actor) as session:
        company = Company(**clean, created_by=actor.id, updated_by=actor.id)
        session.add(company)
        session.flush()
    return company


def get_company(company_id) -> Company:
    company = repo.get_company(company_id)
    if company is None:
        raise NotFoundError("company", company_id)
    return company


def list_companies(filters: dict | None = None, limit: int = 50, offset: int = 0) -> list[Company]:
    return repo.list_companies(filters or {}, limit, offset)


def update_company(company_id, data: dict, actor: Actor, expected_version=None) -> Company:
    """Change the fields present in `data`; a stale `expected_version` raises ConflictError."""
    authorize(actor, "records.update")
    with transaction(actor) as session:
        company = _locked(company_id)
        check_version(company, expected_version)
        for name, value in _clean(data, company).items():
            setattr(company, name, value)
        company.updated_by = actor.id
        session.flush()
    return company


def archive_company(company_id, actor: Actor, expected_version=None) -> Company:
    return _set_archived(company_id, actor, datetime.now(UTC), expected_version)


def restore_company(company_id, actor: Actor, expected_version=None) -> Company:
    return _set_archived(company_id, actor, None, expected_version)


def delete_company(company_id, actor: Actor) -> None:
    """Delete for good: its deals (and their tasks and notes) go with it, its contacts stay
    without a company. Every change is audited. Admins only."""
    from crm_web.activities.services import delete_attachments
    from crm_web.contacts.repository import contacts_with_company
    from crm_web.deals.services import delete_deals_of_company

    authorize(actor, "records.purge")
    with transaction(actor) as session:
        company = _locked(company_id)
        delete_deals_of_company(company.id, actor)
        for contact in contacts_with_company(company.id):
            contact.company_id = None
            contact.updated_by = actor.id
        delete_attachments("company", [company.id])
        session.flush()
        session.delete(company)
        session.flush()


def _set_archived(company_id, actor: Actor, when, expected_version) -> Company:
    with transaction(actor) as session:
        company = _locked(company_id)
        authorize_archive(actor, company)
        check_version(company, expected_version)
        company.archived_at = when
        company.updated_by = actor.id
        session.flush()
    return company


def _locked(company_id) -> Company:
    company = repo.get_company(company_id, for_update=True)
    if company is None:
        raise NotFoundError("company", company_id)
    return company


def check_company_id(value):
    """Field check for references to a company."""
    company = repo.get_company(value)
    if company is None:
        raise v.FieldError("No such company.")
    return company.id
