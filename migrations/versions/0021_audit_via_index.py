"""An index on the audit trail's `via`, so one operation's rows are found without a scan: undoing
a duplicates merge reads every row tagged "merge:<id>" and checks for "undo:merge:<id>" (issue 14).
Partial: most rows (changes made through the pages) carry no `via`.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "idx_audit_logs_via",
        "audit_logs",
        ["via"],
        postgresql_where=sa.text("via IS NOT NULL"),
    )


def downgrade():
    op.drop_index("idx_audit_logs_via", table_name="audit_logs")
