"""Two partial indexes for duplicates merges (issue 14):
- `audit_logs.via`, so one operation's rows are found without a scan: undoing a merge reads
  every row tagged "merge:<id>" and checks for "undo:merge:<id>". Most rows (changes made
  through the pages) carry no `via`.
- `contacts.merged_into_id`: its foreign key sets it to NULL when the survivor is deleted, and
  PostgreSQL finds the rows pointing at a deleted contact by that column; without an index every
  contact deleted (a purge, an import's clean-up) read the whole contacts table. Only merged
  contacts carry it.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

INDEXES = (
    ("idx_audit_logs_via", "audit_logs", "via"),
    ("idx_contacts_merged_into", "contacts", "merged_into_id"),
)


def upgrade():
    for name, table, column in INDEXES:
        op.create_index(name, table, [column], postgresql_where=sa.text(f"{column} IS NOT NULL"))


def downgrade():
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
