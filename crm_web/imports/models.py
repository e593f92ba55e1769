import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_web.core.audit import Audited
from crm_web.core.db import db, uuid_pk

IMPORT_KINDS = ("contacts", "companies")
# uploaded -> (mapped) -> queued -> running -> done | failed
IMPORT_STATUSES = ("uploaded", "queued", "running", "done", "failed")


class Import(db.Model):
    """One uploaded file and what became of it: import #id in the records' history."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    file_name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, server_default="uploaded")
    # The file's first row, and per column its target ("first_name", "emails", "cf:size", "").
    header: Mapped[list] = mapped_column(JSONB, nullable=False)
    mapping: Mapped[list | None] = mapped_column(JSONB)
    total: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    done: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    created: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    skipped: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    refused: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    # Migration 0025: contacts it changed (a row matching one, with "fill" or "overwrite"), and
    # the options chosen with the mapping (services.IMPORT_OPTIONS).
    updated: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    options: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default="{}")
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    job_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Undo (migration 0019): when, by whom, and how many of its records it archived.
    undone_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    undone_by: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    archived: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    # Who imported: the imports list shows it to managers, who see everyone's.
    user = relationship("User", foreign_keys=[user_id], viewonly=True, lazy="select")


class ImportRow(db.Model):
    """The staging table: every data row of an uploaded file (COPY), with its row number as a
    spreadsheet shows it (the header is row 1). The job reads it batch by batch; a refused row
    keeps its reason here (the report and errors.csv read it). UNLOGGED: it is scratch data
    that a crash may lose (the upload is then done again), and it is written at COPY speed."""

    __tablename__ = "import_rows"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    import_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("imports.id", ondelete="CASCADE"), primary_key=True
    )
    row_number: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    cells: Mapped[list] = mapped_column(JSONB, nullable=False)
    # "created", "skipped" or "refused" once the job processed the row.
    outcome: Mapped[str | None] = mapped_column(sa.String(10))
    column_name: Mapped[str | None] = mapped_column(sa.Text)
    message: Mapped[str | None] = mapped_column(sa.Text)


class ImportMapping(db.Model):
    """A column mapping saved under a name, offered for a later file with the same header.
    Team-wide: whoever sets up the mapping of the old CRM's export once spares every rep."""

    __tablename__ = "import_mappings"
    __table_args__ = (sa.UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    header: Mapped[list] = mapped_column(JSONB, nullable=False)
    mapping: Mapped[list] = mapped_column(JSONB, nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )


class DataExport(Audited, db.Model):
    """One CSV export: its row is written when the download ends, so the audit hook records
    who exported which list, with which filters, and how many rows went out."""

    __tablename__ = "data_exports"
    __audit_entity__ = "export"

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    filters: Mapped[dict] = mapped_column(JSONB, nullable=False)
    row_count: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    # False when the download was cut short (the rows counted are those sent).
    finished: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )
