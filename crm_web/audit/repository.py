import sqlalchemy as sa
from sqlalchemy import select

from crm_web.accounts.models import User
from crm_web.audit.models import AuditLog
from crm_web.core.db import db
from crm_web.core.repository import as_uuid, literal_limit


def _latest_in_order(condition, limit: int) -> list[AuditLog]:
    """The newest `limit` rows, oldest first: a long history shows its recent end, in order."""
    rows = db.session.scalars(
        select(AuditLog).where(condition).order_by(AuditLog.seq.desc()).limit(literal_limit(limit))
    )
    return list(reversed(rows.all()))


def history_of_entity(entity_type: str, entity_id, limit: int = 500) -> list[AuditLog]:
    return _latest_in_order(_of_entity(entity_type, entity_id), limit)


def history_with_names(entity_type: str, entity_id, limit: int = 500) -> list[tuple]:
    """(entry, name of the user who made it) pairs, oldest first. The names come in the same
    query, deactivated users' included (user ids are text: "system" and the like have none)."""
    rows = db.session.execute(
        select(AuditLog, User.name)
        .outerjoin(User, sa.cast(User.id, sa.String) == AuditLog.user_id)
        .where(_of_entity(entity_type, entity_id))
        .order_by(AuditLog.seq.desc())
        .limit(literal_limit(limit))
    )
    return [tuple(row) for row in reversed(rows.all())]


def _of_entity(entity_type: str, entity_id):
    return (AuditLog.entity_type == entity_type) & (AuditLog.entity_id == as_uuid(entity_id))


def history_of_user(user_id: str, limit: int = 500) -> list[AuditLog]:
    return _latest_in_order(AuditLog.user_id == str(user_id), limit)
