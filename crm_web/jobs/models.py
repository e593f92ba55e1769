import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from crm_web.core.audit import Audited
from crm_web.core.db import db, uuid_pk


class JobProgress(db.Model):
    """How far one batched job got: the key of the last row it committed, written in the same
    transaction as that batch (jobs/batches.py), so a re-run continues right after it."""

    __tablename__ = "job_progress"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    cursor: Mapped[list | None] = mapped_column(JSONB)
    done: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    finished: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default="false")
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=func.clock_timestamp(),
        onupdate=func.clock_timestamp(),
    )


class JobRun(Audited, db.Model):
    """What a finished job did (e.g. retention: how many of what it purged). Audited: its
    creation is the job's entry in the audit trail, under the job's actor."""

    __tablename__ = "job_runs"
    __audit_entity__ = "job"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    summary: Mapped[dict] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )
