import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_web.core.audit import Audited
from crm_web.core.db import TimestampedMixin, VersionedMixin, db, uuid_pk

# Index expressions (migration 0004), the same as the queries' (repository.LIST_SORTS, _CLOSE_KEY).
UNARCHIVED = sa.text("archived_at IS NULL")
# The list's close-date sort: dated deals by date, then the undated.
CLOSE_SORT = ("(close_date IS NULL)", "(COALESCE(close_date, '0001-01-01'::date))")
# A board column's cards: soonest close date first, undated last.
BOARD_CLOSE_KEY = "(COALESCE(close_date, 'infinity'::date))"


class PipelineStage(Audited, TimestampedMixin, VersionedMixin, db.Model):
    """A column of the pipeline board. Deals refer to it by name."""

    __tablename__ = "pipeline_stages"
    __audit_entity__ = "pipeline_stage"
    __table_args__ = (
        sa.CheckConstraint(
            "default_probability >= 0 AND default_probability <= 100", name="default_probability"
        ),
        sa.CheckConstraint("NOT (is_won AND is_lost)", name="won_or_lost"),
        sa.UniqueConstraint("name"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    default_probability: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    is_won: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false())
    is_lost: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false())


class Deal(Audited, TimestampedMixin, VersionedMixin, db.Model):
    __tablename__ = "deals"
    __audit_entity__ = "deal"
    __table_args__ = (
        sa.CheckConstraint("probability >= 0 AND probability <= 100", name="probability"),
        sa.CheckConstraint("value >= 0", name="value"),
        sa.Index("idx_deals_company_id", "company_id"),
        sa.Index("idx_deals_contact_id", "contact_id"),
        sa.Index("idx_deals_stage", "stage"),
        sa.Index("idx_deals_close_date", "close_date"),
        sa.Index("idx_deals_owner_id", "owner_id"),
        # Migration 0004: a keyset index per list sort and for a board column, over the deals
        # those read (unarchived), each in its sort key's column order.
        sa.Index("idx_deals_title_keyset", "title", "id", postgresql_where=UNARCHIVED),
        sa.Index("idx_deals_value_keyset", "value", "id", postgresql_where=UNARCHIVED),
        sa.Index(
            "idx_deals_close_keyset", *map(sa.text, CLOSE_SORT), "id", postgresql_where=UNARCHIVED
        ),
        sa.Index("idx_deals_created_keyset", "created_at", "id", postgresql_where=UNARCHIVED),
        sa.Index("idx_deals_stage_keyset", "stage", "title", "id", postgresql_where=UNARCHIVED),
        sa.Index(
            "idx_deals_board_keyset",
            "stage",
            sa.text(BOARD_CLOSE_KEY),
            "id",
            postgresql_where=UNARCHIVED,
        ),
        # Migration 0029: the printed pipeline's order (repository.printable_deals).
        sa.Index(
            "idx_deals_print_keyset",
            sa.text(BOARD_CLOSE_KEY),
            "title",
            "id",
            postgresql_where=UNARCHIVED,
        ),
        # Migration 0012: global search (crm_web/search), full text and accent-free trigrams.
        sa.Index(
            "idx_deals_document",
            sa.func.crm_text_document(sa.column("title")),
            postgresql_using="gin",
        ),
        sa.Index(
            "idx_deals_search_trgm",
            sa.func.crm_text_search(sa.column("title")).label("search"),
            postgresql_using="gin",
            postgresql_ops={"search": "gin_trgm_ops"},
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    title: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    company_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("companies.id", ondelete="CASCADE"), nullable=False
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    value: Mapped[Decimal] = mapped_column(sa.Numeric(15, 2), nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, server_default="USD")
    # Renaming a stage renames it on its deals; a stage that has deals cannot be deleted.
    stage: Mapped[str] = mapped_column(
        sa.String(100),
        sa.ForeignKey("pipeline_stages.name", onupdate="CASCADE", ondelete="RESTRICT"),
        nullable=False,
    )
    probability: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    close_date: Mapped[date | None] = mapped_column(sa.Date)
    custom_fields: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default="{}")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    archived_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    # Read-only links for display (board cards, lists); writes go through the id columns.
    company = relationship("Company", viewonly=True, lazy="select")
    contact = relationship("Contact", viewonly=True, lazy="select")
    owner = relationship("User", viewonly=True, lazy="select")


# The board's totals per owner, stage and currency over live (unarchived) deals, kept by the
# trigger of migration 0020 in the same transaction as every change to deals: never written by
# the app, read by repository.stage_currency_totals. No owner (NULL) is a key like any other.
deal_stage_totals = sa.Table(
    "deal_stage_totals",
    db.metadata,
    sa.Column("owner_id", UUID(as_uuid=True), nullable=True),
    sa.Column("stage", sa.String(100), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("deals", sa.BigInteger, nullable=False),
    sa.Column("total", sa.Numeric, nullable=False),
    sa.Column("weighted", sa.Numeric, nullable=False),
    sa.Index(
        "uq_deal_stage_totals_key",
        "owner_id",
        "stage",
        "currency",
        unique=True,
        postgresql_nulls_not_distinct=True,
    ),
)
