"""A record's timeline: the audit entries of a task or note name the record it belongs to
(record_type, record_id, filled by the flush hook from now on), and one index serves "a record's
timeline by time": its own entries and its tasks' and notes', newest first.

The backfill takes the record from the task or note as it is now, or, for one since deleted,
from its delete entry's snapshot.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("audit_logs", sa.Column("record_type", sa.String(50), nullable=True))
    op.add_column("audit_logs", sa.Column("record_id", sa.UUID(), nullable=True))
    op.execute(
        "UPDATE audit_logs a SET record_type = t.entity_type, record_id = t.entity_id "
        "FROM tasks t WHERE a.entity_type = 'task' AND a.entity_id = t.id"
    )
    op.execute(
        "UPDATE audit_logs a SET record_type = n.entity_type, record_id = n.entity_id "
        "FROM notes n WHERE a.entity_type = 'note' AND a.entity_id = n.id"
    )
    op.execute(
        "UPDATE audit_logs a SET record_type = d.changes->>'entity_type', "
        "record_id = CAST(d.changes->>'entity_id' AS uuid) "
        "FROM audit_logs d WHERE a.entity_type IN ('task', 'note') AND a.record_id IS NULL "
        "AND d.entity_type = a.entity_type AND d.entity_id = a.entity_id "
        "AND d.action = 'delete' AND d.changes->>'entity_id' IS NOT NULL"
    )
    op.create_index(
        "idx_audit_logs_record_time",
        "audit_logs",
        [
            sa.text("coalesce(record_type, entity_type)"),
            sa.text("coalesce(record_id, entity_id)"),
            "timestamp",
            "seq",
        ],
    )


def downgrade():
    op.drop_index("idx_audit_logs_record_time", table_name="audit_logs")
    op.drop_column("audit_logs", "record_id")
    op.drop_column("audit_logs", "record_type")
