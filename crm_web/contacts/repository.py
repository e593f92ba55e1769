from sqlalchemy import or_, select

from crm_web.contacts.models import Contact
from crm_web.core.db import db
from crm_web.core.repository import as_uuid, get_by_id, page


def get_contact(contact_id, *, for_update: bool = False) -> Contact | None:
    return get_by_id(Contact, contact_id, for_update=for_update)


def contacts_query(filters: dict):
    query = select(Contact)
    if filters.get("archived"):
        query = query.where(Contact.archived_at.is_not(None))
    else:
        query = query.where(Contact.archived_at.is_(None))
    if "company_id" in filters:
        query = query.where(Contact.company_id == as_uuid(filters["company_id"]))
    if filters.get("owner_id"):
        query = query.where(Contact.owner_id == as_uuid(filters["owner_id"]))
    if filters.get("q"):
        term = f"%{filters['q']}%"
        query = query.where(or_(Contact.first_name.ilike(term), Contact.last_name.ilike(term)))
    return query


def list_contacts(filters: dict, limit: int = 50, offset: int = 0) -> list[Contact]:
    query = contacts_query(filters).order_by(Contact.created_at.desc(), Contact.id.desc())
    return page(query, limit, offset)


def contacts_of_company(company_id) -> list[Contact]:
    query = (
        select(Contact)
        .where(Contact.company_id == as_uuid(company_id), Contact.archived_at.is_(None))
        .order_by(Contact.last_name, Contact.first_name, Contact.id)
    )
    return list(db.session.scalars(query))


def contacts_with_company(company_id) -> list[Contact]:
    """Every contact linked to the company, archived or not (for unlinking on delete)."""
    return list(
        db.session.scalars(select(Contact).where(Contact.company_id == as_uuid(company_id)))
    )
