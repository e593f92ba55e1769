"""Tasks a rep makes and finishes: a priority, an optional due time (timestamptz), an assignee
who is a user, and tasks on no record.

`due_date` stays the task's calendar day (the day the assignee sees it under "Today"); `due_at`
is the exact moment when a time was given. `assigned_to` (free text from before) is left as it
was. The partial index serves "my open tasks by due date" (the /tasks page and the nav badge's
count); the second serves "done recently" (a done task's last change: a status change
changes nothing else, as the seed's Property 17 asks).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "tasks", sa.Column("priority", sa.String(10), server_default="normal", nullable=False)
    )
    op.add_column("tasks", sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tasks", sa.Column("assignee_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_tasks_assignee_id_users"),
        "tasks",
        "users",
        ["assignee_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_check_constraint(
        op.f("ck_tasks_priority"), "tasks", "priority IN ('low', 'normal', 'high')"
    )
    op.alter_column("tasks", "entity_type", nullable=True)
    op.alter_column("tasks", "entity_id", nullable=True)
    op.create_index(
        "idx_tasks_assignee_open_due",
        "tasks",
        ["assignee_id", "due_date", "id"],
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index(
        "idx_tasks_assignee_done",
        "tasks",
        ["assignee_id", "updated_at"],
        postgresql_where=sa.text("status = 'closed'"),
    )


def downgrade():
    op.drop_index("idx_tasks_assignee_done", table_name="tasks")
    op.drop_index("idx_tasks_assignee_open_due", table_name="tasks")
    op.execute("DELETE FROM tasks WHERE entity_type IS NULL OR entity_id IS NULL")
    op.alter_column("tasks", "entity_id", nullable=False)
    op.alter_column("tasks", "entity_type", nullable=False)
    op.drop_constraint(op.f("ck_tasks_priority"), "tasks", type_="check")
    op.drop_constraint(op.f("fk_tasks_assignee_id_users"), "tasks", type_="foreignkey")
    op.drop_column("tasks", "assignee_id")
    op.drop_column("tasks", "due_at")
    op.drop_column("tasks", "priority")
