import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, Unmapped, mapped_column, unmapped_column

from crm_web.core.audit import Audited
from crm_web.core.db import TimestampedMixin, VersionedMixin, db, uuid_pk

# Index expressions (migration 0003); queries use the very same text so PostgreSQL matches them.
# Sort by first email/phone, contacts without one last.
EMAIL_SORT = ("(cardinality(emails) = 0)", "(COALESCE(emails[1], ''::text))")
PHONE_SORT = ("(cardinality(phones) = 0)", "(COALESCE(phones[1], ''::text))")
# Lower-cased, accent-free names, emails and phone digits in one string, for trigram
# `LIKE '%term%'` (idx_contacts_search_unaccent_trgm, which global search uses too: migration
# 0023 dropped the list's own accented copy, whose upkeep cost every insert as much again).
SEARCH_TEXT = "crm_contact_search(first_name, last_name, emails, phones)"
# Sort by company or owner name (migration 0006), contacts without one last.
COMPANY_SORT = ("(company_sort_name IS NULL)", "(COALESCE(company_sort_name, ''::text))")
SEARCH_COLUMNS = ("first_name", "last_name", "emails", "phones")
OWNER_SORT = ("(owner_sort_name IS NULL)", "(COALESCE(owner_sort_name, ''::text))")


def name_key(column):
    """A name lower-cased and compared byte by byte (COLLATE "C"): with it, `LIKE 'smi%'` is a
    range of the indexes of migration 0005 (no index serves LIKE in the default collation).
    The outer lower() changes nothing (the name is lower-cased already): it keeps the COLLATE
    inside the index expression, where the model/migration comparison sees it (PostgreSQL
    reports a collation applied to a whole index column apart from the expression)."""
    return sa.func.lower(sa.func.lower(column).collate("C"))


class Contact(Audited, TimestampedMixin, VersionedMixin, db.Model):
    __tablename__ = "contacts"
    __audit_entity__ = "contact"
    __table_args__ = (
        # Migration 0024: a company's live contacts counted from the index alone.
        sa.Index("idx_contacts_company_archived", "company_id", "archived_at"),
        sa.Index("idx_contacts_created_at", "created_at"),
        sa.Index("idx_contacts_owner_id", "owner_id"),
        # Migration 0003: one keyset index per list sort, duplicate checks.
        sa.Index("idx_contacts_name_keyset", "last_name", "first_name", "id"),
        sa.Index("idx_contacts_updated_keyset", "updated_at", "id"),
        sa.Index("idx_contacts_email_keyset", *map(sa.text, EMAIL_SORT), "id"),
        sa.Index("idx_contacts_phone_keyset", *map(sa.text, PHONE_SORT), "id"),
        sa.Index("idx_contacts_phones", "phones", postgresql_using="gin"),
        sa.Index(
            "idx_contacts_archived_at",
            "archived_at",
            postgresql_where=sa.text("archived_at IS NOT NULL"),
        ),
        # Migration 0021: the rows a deleted survivor's foreign key sets to NULL.
        sa.Index(
            "idx_contacts_merged_into",
            "merged_into_id",
            postgresql_where=sa.text("merged_into_id IS NOT NULL"),
        ),
        # Migration 0005: names starting with a search term, in list order (name_key).
        sa.Index(
            "idx_contacts_last_first_lower",
            name_key(sa.column("last_name")),
            name_key(sa.column("first_name")),
            "id",
        ),
        # Migration 0006: sorts by company and by owner name.
        sa.Index("idx_contacts_company_keyset", *map(sa.text, COMPANY_SORT), "last_name", "id"),
        sa.Index("idx_contacts_owner_keyset", *map(sa.text, OWNER_SORT), "last_name", "id"),
        # Migration 0012: global search (crm_web/search), full text and accent-free trigrams (the
        # latter the contacts list's search too, migration 0023).
        sa.Index(
            "idx_contacts_document",
            sa.func.crm_contact_document(*map(sa.column, SEARCH_COLUMNS)),
            postgresql_using="gin",
        ),
        sa.Index(
            "idx_contacts_search_unaccent_trgm",
            sa.func.crm_contact_search(*map(sa.column, SEARCH_COLUMNS)).label("search_u"),
            postgresql_using="gin",
            postgresql_ops={"search_u": "gin_trgm_ops"},
        ),
        sa.Index(
            "idx_contacts_emails_lower",
            sa.func.crm_lower_emails(sa.column("emails")),
            postgresql_using="gin",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    first_name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    last_name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    job_title: Mapped[str | None] = mapped_column(sa.String(255))  # migration 0007
    emails: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False, server_default="{}")
    # E.164, e.g. +14155550100
    phones: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False, server_default="{}")
    company_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("companies.id", ondelete="SET NULL")
    )
    custom_fields: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default="{}")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    archived_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The contact this one was merged into (migration 0018); it is archived, and points there.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    # Copies of the company's and owner's names, kept by triggers (migration 0006) for the
    # list's sorts only: in the table, not in the entity (nor in its audit trail).
    company_sort_name: Unmapped[str | None] = unmapped_column(sa.Text)
    owner_sort_name: Unmapped[str | None] = unmapped_column(sa.Text)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class DuplicatePair(db.Model):
    """Two live contacts that are likely one person (migration 0018), found by the background
    job (contacts/duplicates.py); `contact_a` < `contact_b`. A dismissal ("not a duplicate")
    stays, so the pair is never offered again."""

    __tablename__ = "duplicate_pairs"
    __table_args__ = (
        sa.CheckConstraint("contact_a < contact_b", name="ordered"),
        sa.Index(
            "idx_duplicate_pairs_open",
            sa.text("score DESC"),
            "contact_a",
            "contact_b",
            postgresql_where=sa.text("dismissed_at IS NULL"),
        ),
        sa.Index("idx_duplicate_pairs_b", "contact_b"),
    )

    contact_a: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    contact_b: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    # "email", "phone", "name" (a very similar name at the same company)
    reasons: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False)
    score: Mapped[float] = mapped_column(sa.Float, nullable=False)
    found_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.clock_timestamp()
    )
    dismissed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Who said "not a duplicate" (the actor's id, as created_by/updated_by name them).
    dismissed_by: Mapped[str | None] = mapped_column(sa.String(255))


class DuplicateRecheck(db.Model):
    """A contact changed since the duplicates job last looked at it: a trigger on contacts
    (migration 0018) adds it in the same transaction as the change; the job takes it away."""

    __tablename__ = "duplicate_rechecks"

    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.clock_timestamp()
    )
