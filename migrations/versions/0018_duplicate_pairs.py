"""Duplicates (issue 14): the likely duplicate contact pairs the background job finds
(duplicate_pairs, with "not a duplicate" dismissals), the contacts changed since it last looked
(duplicate_rechecks, filled by a trigger in the same transaction as the change), and the
survivor a merged contact points to (contacts.merged_into_id).

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

RECHECK_FUNCTION = """
CREATE FUNCTION crm_queue_duplicate_recheck() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO duplicate_rechecks (contact_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$"""

RECHECK_TRIGGER = (
    "CREATE TRIGGER trg_contacts_duplicate_recheck AFTER INSERT OR UPDATE OF "
    "first_name, last_name, emails, phones, company_id, archived_at ON contacts "
    "FOR EACH ROW EXECUTE FUNCTION crm_queue_duplicate_recheck()"
)


def upgrade():
    op.add_column(
        "contacts",
        sa.Column(
            "merged_into_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey(
                "contacts.id", ondelete="SET NULL", name="fk_contacts_merged_into_id_contacts"
            ),
            nullable=True,
        ),
    )
    op.create_table(
        "duplicate_pairs",
        sa.Column("contact_a", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("contact_b", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("reasons", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column(
            "found_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismissed_by", sa.String(255), nullable=True),
        sa.CheckConstraint("contact_a < contact_b", name="ck_duplicate_pairs_ordered"),
        sa.ForeignKeyConstraint(
            ["contact_a"],
            ["contacts.id"],
            ondelete="CASCADE",
            name="fk_duplicate_pairs_contact_a_contacts",
        ),
        sa.ForeignKeyConstraint(
            ["contact_b"],
            ["contacts.id"],
            ondelete="CASCADE",
            name="fk_duplicate_pairs_contact_b_contacts",
        ),
        sa.PrimaryKeyConstraint("contact_a", "contact_b", name="pk_duplicate_pairs"),
    )
    op.create_index(
        "idx_duplicate_pairs_open",
        "duplicate_pairs",
        [sa.text("score DESC"), "contact_a", "contact_b"],
        postgresql_where=sa.text("dismissed_at IS NULL"),
    )
    op.create_index("idx_duplicate_pairs_b", "duplicate_pairs", ["contact_b"])
    op.create_table(
        "duplicate_rechecks",
        sa.Column("contact_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column(
            "queued_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("contact_id", name="pk_duplicate_rechecks"),
    )
    op.execute(RECHECK_FUNCTION)
    op.execute(RECHECK_TRIGGER)


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS trg_contacts_duplicate_recheck ON contacts")
    op.execute("DROP FUNCTION IF EXISTS crm_queue_duplicate_recheck()")
    op.drop_table("duplicate_rechecks")
    op.drop_index("idx_duplicate_pairs_b", table_name="duplicate_pairs")
    op.drop_index("idx_duplicate_pairs_open", table_name="duplicate_pairs")
    op.drop_table("duplicate_pairs")
    op.drop_column("contacts", "merged_into_id")
