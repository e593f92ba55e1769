"""An index on contacts.merged_into_id. Its foreign key sets it to NULL when the survivor is
deleted, and PostgreSQL finds the rows pointing at a deleted contact with a query on that
column: without an index, every contact deleted (a purge, an import's clean-up) read the whole
contacts table. Partial: only merged contacts carry it.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "idx_contacts_merged_into",
        "contacts",
        ["merged_into_id"],
        postgresql_where=sa.text("merged_into_id IS NOT NULL"),
    )


def downgrade():
    op.drop_index("idx_contacts_merged_into", table_name="contacts")
