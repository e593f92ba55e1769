"""Tasks and notes: attached to a contact, company or deal by (entity_type, entity_id)."""

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from crm_web.core.audit import Audited
from crm_web.core.db import TimestampedMixin, VersionedMixin, db, uuid_pk

ENTITY_TYPES = ("contact", "company", "deal")
TASK_STATUSES = ("open", "closed")
PRIORITIES = ("low", "normal", "high")
_ENTITY_CHECK = "entity_type IN ('contact', 'company', 'deal')"


def _search_index(name: str, column: str) -> sa.Index:
    """The GIN index global search reads a text column through (migration 0012)."""
    return sa.Index(name, sa.func.crm_text_document(sa.column(column)), postgresql_using="gin")


# When an open task is due, as /tasks orders them (activities.repository.TASK_KEY).
_DUE_ORDER = sa.func.coalesce(
    sa.column("due_at"),
    sa.func.timezone(sa.literal_column("'UTC'"), sa.cast(sa.column("due_date"), sa.DateTime())),
    sa.column("created_at"),
)


class Task(Audited, TimestampedMixin, VersionedMixin, db.Model):
    __tablename__ = "tasks"
    __audit_entity__ = "task"
    __audit_record__ = ("entity_type", "entity_id")
    __table_args__ = (
        sa.CheckConstraint("status IN ('open', 'closed')", name="status"),
        sa.CheckConstraint(_ENTITY_CHECK, name="entity_type"),
        sa.Index("idx_tasks_entity", "entity_type", "entity_id"),
        sa.Index("idx_tasks_assigned_to", "assigned_to"),
        sa.Index("idx_tasks_due_date", "due_date"),
        sa.Index("idx_tasks_status", "status"),
        sa.CheckConstraint("priority IN ('low', 'normal', 'high')", name="priority"),
        # "My open tasks by due date": the /tasks page and the nav badge's count (0009).
        sa.Index(
            "idx_tasks_assignee_open_due",
            "assignee_id",
            "due_date",
            "id",
            postgresql_where=sa.text("status = 'open'"),
        ),
        # The sections of /tasks in their order (activities.repository.TASK_KEY), one
        # assignee's and anyone's: the dated sections' and No date's apart (0017, 0022).
        *(
            sa.Index(
                f"idx_tasks_open{assignee}_{kind}_order",
                *(("assignee_id",) if assignee else ()),
                _DUE_ORDER,
                "id",
                postgresql_where=sa.text(f"status = 'open' AND {where}"),
            )
            for assignee in ("_assignee", "")
            for kind, where in (("dated", "due_date IS NOT NULL"), ("undated", "due_date IS NULL"))
        ),
        sa.Index(
            "idx_tasks_assignee_done",
            "assignee_id",
            "updated_at",
            postgresql_where=sa.text("status = 'closed'"),
        ),
        # A record page's open and done tasks in their cards' order (RECORD_LISTS, 0027).
        sa.Index(
            "idx_tasks_record_open",
            "entity_type",
            "entity_id",
            sa.column("due_date").is_(None),
            _DUE_ORDER,
            "id",
            postgresql_where=sa.text("status = 'open'"),
        ),
        sa.Index(
            "idx_tasks_record_done",
            "entity_type",
            "entity_id",
            "updated_at",
            "id",
            postgresql_where=sa.text("status = 'closed'"),
        ),
        # Migration 0012: global search (crm_web/search).
        _search_index("idx_tasks_document", "description"),
        # /tasks' search in the titles (activities.repository.title_pattern, 0028).
        sa.Index(
            "idx_tasks_description_trgm",
            "description",
            postgresql_using="gin",
            postgresql_ops={"description": "gin_trgm_ops"},
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    description: Mapped[str] = mapped_column(sa.Text, nullable=False)
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    assigned_to: Mapped[str | None] = mapped_column(sa.String(255))
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, server_default="open")
    # A task on no record has neither.
    entity_type: Mapped[str | None] = mapped_column(sa.String(50))
    entity_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    priority: Mapped[str] = mapped_column(sa.String(10), nullable=False, server_default="normal")
    # The exact moment when the task has a time; due_date is then its day in the creator's zone.
    due_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="SET NULL")
    )


class Note(Audited, TimestampedMixin, VersionedMixin, db.Model):
    __tablename__ = "notes"
    __audit_entity__ = "note"
    __audit_record__ = ("entity_type", "entity_id")
    __table_args__ = (
        sa.CheckConstraint(_ENTITY_CHECK, name="entity_type"),
        # A record's notes as its page lists them, pinned first then newest (0027).
        sa.Index("idx_notes_record", "entity_type", "entity_id", "pinned", "created_at", "id"),
        sa.Index("idx_notes_created_at", "created_at"),
        # Migration 0012: global search (crm_web/search).
        _search_index("idx_notes_document", "content"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    content: Mapped[str] = mapped_column(sa.Text, nullable=False)
    entity_type: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    # Pinned notes head their record's Notes card (0012).
    pinned: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false())
