import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, Unmapped, mapped_column, unmapped_column

from crm_web.core.audit import Audited
from crm_web.core.db import TimestampedMixin, VersionedMixin, db, uuid_pk

# List sorts (migration 0006): companies without a city, country or owner last.
CITY_SORT = (
    "((address ->> 'city'::text) IS NULL)",
    "COALESCE(address ->> 'city'::text, ''::text)",
)
COUNTRY_SORT = (
    "((address ->> 'country'::text) IS NULL)",
    "COALESCE(address ->> 'country'::text, ''::text)",
)
OWNER_SORT = ("(owner_sort_name IS NULL)", "(COALESCE(owner_sort_name, ''::text))")


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
        # Migration 0006: the list's other sorts.
        sa.Index("idx_companies_city_keyset", *map(sa.text, CITY_SORT), "name", "id"),
        sa.Index("idx_companies_country_keyset", *map(sa.text, COUNTRY_SORT), "name", "id"),
        sa.Index("idx_companies_owner_keyset", *map(sa.text, OWNER_SORT), "name", "id"),
        sa.Index("idx_companies_updated_keyset", "updated_at", "id"),
        # Migration 0012: global search (crm_web/search), full text and accent-free trigrams.
        sa.Index(
            "idx_companies_document",
            sa.func.crm_company_document(sa.column("name"), sa.column("website")),
            postgresql_using="gin",
        ),
        sa.Index(
            "idx_companies_search_trgm",
            sa.func.crm_company_search(sa.column("name"), sa.column("website")).label("search"),
            postgresql_using="gin",
            postgresql_ops={"search": "gin_trgm_ops"},
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    # Migration 0007: the web address (http/https), the switchboard (E.164) and the industry.
    website: Mapped[str | None] = mapped_column(sa.String(2048))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    industry: Mapped[str | None] = mapped_column(sa.String(100))
    # {street, city, state, postal_code, country}; any may be absent.
    address: Mapped[dict | None] = mapped_column(JSONB)
    custom_fields: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default="{}")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    archived_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The owner's name, kept by triggers (migration 0006) for the list's owner sort only.
    owner_sort_name: Unmapped[str | None] = unmapped_column(sa.Text)

    @property
    def status(self) -> str:
        """The customer status of the customer-management notes: active or archived."""
        return "archived" if self.archived_at else "active"
