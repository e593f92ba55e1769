from sqlalchemy import select

from crm_web.core.db import db
from crm_web.core.repository import as_uuid, get_by_id, page
from crm_web.deals.models import Deal, PipelineStage


def get_deal(deal_id, *, for_update: bool = False) -> Deal | None:
    return get_by_id(Deal, deal_id, for_update=for_update)


def get_stage_by_name(name: str) -> PipelineStage | None:
    return db.session.scalars(select(PipelineStage).where(PipelineStage.name == name)).first()


def list_stages() -> list[PipelineStage]:
    return list(db.session.scalars(select(PipelineStage).order_by(PipelineStage.position)))


def deals_query(filters: dict):
    query = select(Deal)
    if filters.get("archived"):
        query = query.where(Deal.archived_at.is_not(None))
    else:
        query = query.where(Deal.archived_at.is_(None))
    if filters.get("company_id"):
        query = query.where(Deal.company_id == as_uuid(filters["company_id"]))
    if filters.get("contact_id"):
        query = query.where(Deal.contact_id == as_uuid(filters["contact_id"]))
    if filters.get("owner_id"):
        query = query.where(Deal.owner_id == as_uuid(filters["owner_id"]))
    if filters.get("stage"):
        query = query.where(Deal.stage == filters["stage"])
    return query


def list_deals(filters: dict, limit: int = 50, offset: int = 0) -> list[Deal]:
    query = deals_query(filters).order_by(Deal.created_at.desc(), Deal.id.desc())
    return page(query, limit, offset)


def deals_of_company(company_id, *, include_archived: bool = False) -> list[Deal]:
    query = select(Deal).where(Deal.company_id == as_uuid(company_id))
    if not include_archived:
        query = query.where(Deal.archived_at.is_(None))
    return list(db.session.scalars(query.order_by(Deal.created_at, Deal.id)))


def deals_of_contact(contact_id) -> list[Deal]:
    return list(db.session.scalars(select(Deal).where(Deal.contact_id == as_uuid(contact_id))))
