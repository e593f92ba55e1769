"""What the API keeps of its own: bulk jobs and their items, the responses of POSTs sent with
an Idempotency-Key, and the per-token request counts of the rate limit."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from crm_web.core.db import db, uuid_pk


class BulkJob(db.Model):
    """One `POST /api/v1/<records>/bulk`: who sent it (the actor its records are made by) and
    how many items it holds. Its items say what became of each."""

    __tablename__ = "api_bulk_jobs"
    __table_args__ = (sa.Index("idx_api_bulk_jobs_token", "token_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    resource: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    token_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    actor: Mapped[dict] = mapped_column(JSONB, nullable=False)
    total: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class BulkItem(db.Model):
    """One record of a bulk job, by its index in the request: the id made, or the errors."""

    __tablename__ = "api_bulk_items"

    job_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("api_bulk_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    index: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    payload: Mapped[dict | None] = mapped_column(JSONB)
    record_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    errors: Mapped[dict | None] = mapped_column(JSONB)


class IdempotentResponse(db.Model):
    """The first answer to a POST with an Idempotency-Key, replayed to its retries (status
    None: the first request is still running)."""

    __tablename__ = "api_idempotency_keys"
    # Keys are forgotten after a day (api/idempotency.py).
    __table_args__ = (sa.Index("idx_api_idempotency_keys_created", "created_at"),)

    token_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    status: Mapped[int | None] = mapped_column(sa.Integer)
    body: Mapped[str | None] = mapped_column(sa.Text)
    headers: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )


class RateCount(db.Model):
    """Requests of one token in one fixed window: shared by every worker process."""

    __tablename__ = "api_rate_counts"

    token_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer, nullable=False)
