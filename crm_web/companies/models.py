import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from crm_web.core.audit import Audited
from crm_web.core.db import TimestampedMixin, VersionedMixin, db, uuid_pk


class Company(Audited, TimestampedMixin, VersionedMixin, db.Model):
    __tablename__ = "companies"
    __audit_entity__ = "company"
    __table_args__ = (
        sa.Index("idx_companies_name", "name"),
        sa.Index("idx_companies_created_at", "created_at"),
        sa.Index("idx_companies_owner_id", "owner_id"),
        # Migration 0003: keyset order by name, and trigram search on the name.
        sa.Index("idx_companies_name_keyset", "name", "id"),
        sa.Index(
            "idx_companies_name_trgm",
            sa.func.lower(sa.column("name")).label("name_lower"),
            postgresql_using="gin",
            postgresql_ops={"name_lower": "gin_trgm_ops"},
        ),
        sa.Index(
            "idx_companies_archived_at",
            "archived_at",
            postgresql_where=sa.text("archived_at IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    # {street, city, state, postal_code, country}; any may be absent.
    address: Mapped[dict | None] = mapped_column(JSONB)
    custom_fields: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default="{}")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    archived_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    @property
    def status(self) -> str:
        """The customer status of the customer-management notes: active or archived."""
        return "archived" if self.archived_at else "active"
