from sqlalchemy import select

from crm_web.companies.models import Company
from crm_web.core.repository import as_uuid, get_by_id, page


def get_company(company_id, *, for_update: bool = False) -> Company | None:
    return get_by_id(Company, company_id, for_update=for_update)


def companies_query(filters: dict):
    query = select(Company)
    if filters.get("archived"):
        query = query.where(Company.archived_at.is_not(None))
    else:
        query = query.where(Company.archived_at.is_(None))
    if filters.get("owner_id"):
        query = query.where(Company.owner_id == as_uuid(filters["owner_id"]))
    if filters.get("q"):
        query = query.where(Company.name.ilike(f"%{filters['q']}%"))
    return query


def list_companies(filters: dict, limit: int = 50, offset: int = 0) -> list[Company]:
    query = companies_query(filters).order_by(Company.created_at.desc(), Company.id.desc())
    return page(query, limit, offset)
