import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from crm_web.core.db import db, uuid_pk

AUDIT_ACTIONS = ("create", "update", "delete")


class AuditLog(db.Model):
    """One change to one record. Written only by the flush hook in core/audit.py."""

    __tablename__ = "audit_logs"
    __table_args__ = (
        sa.CheckConstraint("action IN ('create', 'update', 'delete')", name="action"),
        sa.Index("idx_audit_logs_entity", "entity_type", "entity_id", "seq"),
        sa.Index("idx_audit_logs_user_id", "user_id", "seq"),
        sa.Index("idx_audit_logs_timestamp", "timestamp"),
        # An operation's rows by its tag ("merge:<id>", "undo:merge:<id>"; migration 0021).
        sa.Index("idx_audit_logs_via", "via", postgresql_where=sa.text("via IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # Orders rows written in the same microsecond, so history reads in the order it happened.
    seq: Mapped[int] = mapped_column(
        sa.BigInteger, sa.Identity(always=True), nullable=False, unique=True
    )
    entity_type: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    action: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    user_id: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    changes: Mapped[dict | None] = mapped_column(JSONB)
    # How the change came in when not through the pages: "api:<token id>" (migration 0010).
    via: Mapped[str | None] = mapped_column(sa.String(100))
    timestamp: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )
    # The record a task's or note's entry belongs to (migration 0012), so the record's timeline
    # finds it; None for entries of anything else, whose record is the entry's own entity.
    record_type: Mapped[str | None] = mapped_column(sa.String(50))
    record_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


# "A record's timeline by time": its own entries and its tasks' and notes', newest first, read
# by keyset on (timestamp, seq) (records/timeline.py queries these very expressions).
TIMELINE_RECORD_TYPE = func.coalesce(AuditLog.record_type, AuditLog.entity_type)
TIMELINE_RECORD_ID = func.coalesce(AuditLog.record_id, AuditLog.entity_id)
sa.Index(
    "idx_audit_logs_record_time",
    TIMELINE_RECORD_TYPE,
    TIMELINE_RECORD_ID,
    AuditLog.timestamp,
    AuditLog.seq,
)
