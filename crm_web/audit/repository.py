from sqlalchemy import select

from crm_web.audit.models import AuditLog
from crm_web.core.db import db
from crm_web.core.repository import as_uuid


def _latest_in_order(condition, limit: int) -> list[AuditLog]:
    """The newest `limit` rows, oldest first: a long history shows its recent end, in order."""
    rows = db.session.scalars(
        select(AuditLog).where(condition).order_by(AuditLog.seq.desc()).limit(limit)
    )
    return list(reversed(rows.all()))


def history_of_entity(entity_type: str, entity_id, limit: int = 500) -> list[AuditLog]:
    condition = (AuditLog.entity_type == entity_type) & (AuditLog.entity_id == as_uuid(entity_id))
    return _latest_in_order(condition, limit)


def history_of_user(user_id: str, limit: int = 500) -> list[AuditLog]:
    return _latest_in_order(AuditLog.user_id == str(user_id), limit)
