"""A record page's Tasks and Notes cards read their first rows, and each "Show more" the next,
down an index in the lists' own order (activities.repository.RECORD_LISTS): a record's open
tasks by when due (the undated last), its done tasks latest first, its notes pinned first then
newest. Through (entity_type, entity_id) alone, each page sorted all of the record's tasks or
notes: a record holding 50,000 notes sorted 50,000 rows for every view of its page. The notes'
new index starts with (entity_type, entity_id), so it serves every look-up the old one did.

Revision ID: 0027
Revises: 0026
"""

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

DUE_ORDER = "coalesce(due_at, timezone('UTC', due_date::timestamp), created_at)"


def upgrade():
    op.execute(
        "CREATE INDEX idx_tasks_record_open ON tasks "
        f"(entity_type, entity_id, (due_date IS NULL), ({DUE_ORDER}), id) WHERE status = 'open'"
    )
    op.execute(
        "CREATE INDEX idx_tasks_record_done ON tasks "
        "(entity_type, entity_id, updated_at, id) WHERE status = 'closed'"
    )
    op.execute(
        "CREATE INDEX idx_notes_record ON notes (entity_type, entity_id, pinned, created_at, id)"
    )
    op.execute("DROP INDEX idx_notes_entity")


def downgrade():
    op.execute("CREATE INDEX idx_notes_entity ON notes (entity_type, entity_id)")
    op.execute("DROP INDEX idx_notes_record")
    op.execute("DROP INDEX idx_tasks_record_done")
    op.execute("DROP INDEX idx_tasks_record_open")
