from functools import cache

import sqlalchemy as sa
from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql

from crm_web.accounts.models import User
from crm_web.audit.models import AuditLog
from crm_web.core.db import db
from crm_web.core.repository import as_uuid, literal_limit, read
from crm_web.lists.keyset import SortKey

# A record's history is read newest first, a page at a time, by keyset on (timestamp, seq):
# when the change was written, then the identity that orders changes of the same microsecond.
# seq is a bigint: its cursor value is decoded as a decimal (keyset's "int" stops at int4).
HISTORY_KEY = SortKey((AuditLog.timestamp, AuditLog.seq), ("datetime", "decimal"))
BIGINT = range(-(2**63), 2**63)


def _latest_in_order(condition, limit: int) -> list[AuditLog]:
    """The newest `limit` rows, oldest first: a long history shows its recent end, in order."""
    rows = db.session.scalars(
        select(AuditLog).where(condition).order_by(AuditLog.seq.desc()).limit(literal_limit(limit))
    )
    return list(reversed(rows.all()))


def history_of_entity(entity_type: str, entity_id, limit: int = 500) -> list[AuditLog]:
    return _latest_in_order(_of_entity(entity_type, entity_id), limit)


@cache
def _history_page(limit: int, older: bool):
    """Built once per shape (see core.repository): the first page, or the page older than a
    (timestamp, seq) bound."""
    query = (
        select(AuditLog, User.name)
        .outerjoin(User, sa.cast(User.id, sa.String) == AuditLog.user_id)
        .where(AuditLog.entity_type == bindparam("type"), AuditLog.entity_id == bindparam("id"))
    )
    if older:
        bound = sa.tuple_(
            bindparam("timestamp", type_=sa.DateTime(timezone=True)),
            bindparam("seq", type_=sa.BigInteger),
        )
        query = query.where(sa.tuple_(AuditLog.timestamp, AuditLog.seq) < bound)
    order = (AuditLog.timestamp.desc(), AuditLog.seq.desc())
    return query.order_by(*order).limit(literal_limit(limit))


def history_page(entity_type: str, entity_id, before: list | None, limit: int) -> list[tuple]:
    """Up to `limit` (entry, name of the user who made it) pairs, newest first, older than
    `before` (HISTORY_KEY values; None or out of range: the newest). The names come in the same
    query, deactivated users' included (user ids are text: "system" and the like have none)."""
    params = {"type": entity_type, "id": as_uuid(entity_id)}
    if before is not None and int(before[1]) in BIGINT:
        params.update(timestamp=before[0], seq=int(before[1]))
    rows = db.session.execute(_history_page(limit, "seq" in params), params)
    return [tuple(row) for row in rows]


def _of_entity(entity_type: str, entity_id):
    return (AuditLog.entity_type == entity_type) & (AuditLog.entity_id == as_uuid(entity_id))


def history_of_user(user_id: str, limit: int = 500) -> list[AuditLog]:
    return _latest_in_order(AuditLog.user_id == str(user_id), limit)


def entries_before(cutoff, after_seq, limit: int) -> list[int]:
    """The `seq`s of audit entries written before `cutoff`, in order, after `after_seq`."""
    query = select(AuditLog.seq).where(AuditLog.timestamp < cutoff).order_by(AuditLog.seq)
    if after_seq is not None:
        query = query.where(AuditLog.seq > after_seq)
    return list(db.session.scalars(query.limit(limit)))


def delete_entries(seqs: list[int]) -> int:
    return db.session.execute(delete(AuditLog).where(AuditLog.seq.in_(seqs))).rowcount


def recently_changed_by(user_id: str, entity_types: tuple, limit: int, scan: int = 200) -> list:
    """(entity_type, entity_id, last change) of the records `user_id` changed last, newest
    first: the newest `scan` entries of theirs (idx_audit_logs_user_id), grouped by record.
    Built once per limit and scan (the home page reads it on every view)."""
    statement = _RECENTLY_CHANGED.get((limit, scan))
    if statement is None:
        statement = _RECENTLY_CHANGED[limit, scan] = _recently_changed(limit, scan)
    values = {"user_id": str(user_id), "entity_types": list(entity_types)}
    return [tuple(row) for row in read(statement, values)]


_RECENTLY_CHANGED: dict = {}


def _recently_changed(limit: int, scan: int):
    types = bindparam("entity_types", type_=postgresql.ARRAY(sa.String))
    mine = (
        select(AuditLog.entity_type, AuditLog.entity_id, AuditLog.timestamp)
        .where(
            AuditLog.user_id == bindparam("user_id", type_=sa.String),
            AuditLog.entity_type == sa.any_(types),
        )
        .order_by(AuditLog.seq.desc())
        .limit(literal_limit(scan))
        .subquery()
    )
    last = sa.func.max(mine.c.timestamp)
    return (
        select(mine.c.entity_type, mine.c.entity_id, last)
        .group_by(mine.c.entity_type, mine.c.entity_id)
        .order_by(last.desc())
        .limit(literal_limit(limit))
    )


def entries_via(via: str) -> list[tuple]:
    """(entry, name of who made it) of every row one operation wrote (`via`, e.g.
    "merge:<id>"), in the order written (idx_audit_logs_via)."""
    query = (
        select(AuditLog, User.name)
        .outerjoin(User, sa.cast(User.id, sa.String) == AuditLog.user_id)
        .where(AuditLog.via == via)
        .order_by(AuditLog.seq)
    )
    return [tuple(row) for row in db.session.execute(query)]


def vias_present(vias: list[str]) -> set[str]:
    """Which of `vias` some audit row carries (idx_audit_logs_via)."""
    if not vias:
        return set()
    query = select(AuditLog.via).where(AuditLog.via.in_(vias)).distinct()
    return set(db.session.scalars(query))
