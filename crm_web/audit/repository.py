from functools import cache

import sqlalchemy as sa
from sqlalchemy import bindparam, select

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


@cache
def _history_with_names(limit: int):
    return (
        select(AuditLog, User.name)
        .outerjoin(User, sa.cast(User.id, sa.String) == AuditLog.user_id)
        .where(AuditLog.entity_type == bindparam("type"), AuditLog.entity_id == bindparam("id"))
        .order_by(AuditLog.seq.desc())
        .limit(literal_limit(limit))
    )


def history_with_names(entity_type: str, entity_id, limit: int = 500) -> list[tuple]:
    """(entry, name of the user who made it) pairs, oldest first. The names come in the same
    query, deactivated users' included (user ids are text: "system" and the like have none)."""
    rows = db.session.execute(
        _history_with_names(limit), {"type": entity_type, "id": as_uuid(entity_id)}
    )
    return [tuple(row) for row in reversed(rows.all())]


def _of_entity(entity_type: str, entity_id):
    return (AuditLog.entity_type == entity_type) & (AuditLog.entity_id == as_uuid(entity_id))


def history_of_user(user_id: str, limit: int = 500) -> list[AuditLog]:
    return _latest_in_order(AuditLog.user_id == str(user_id), limit)
