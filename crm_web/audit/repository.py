from sqlalchemy import select

from crm_web.audit.models import AuditLog
from crm_web.core.db import db
from crm_web.core.repository import as_uuid


def history_of_entity(entity_type: str, entity_id, limit: int = 500) -> list[AuditLog]:
    query = (
        select(AuditLog)
        .where(AuditLog.entity_type == entity_type, AuditLog.entity_id == as_uuid(entity_id))
        .order_by(AuditLog.seq)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def history_of_user(user_id: str, limit: int = 500) -> list[AuditLog]:
    query = (
        select(AuditLog).where(AuditLog.user_id == str(user_id)).order_by(AuditLog.seq).limit(limit)
    )
    return list(db.session.scalars(query))
