"""/tasks reads each section in its order down an index: partial indexes on open tasks by when
they are due (activities.repository.TASK_KEY), for one assignee and for anyone's. Before, the
Overdue section sorted every overdue task of the assignee (or of everyone) for its first page.

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

DUE_ORDER = "coalesce(due_at, timezone('UTC', due_date::timestamp), created_at)"


def upgrade():
    op.execute(
        "CREATE INDEX idx_tasks_open_assignee_order ON tasks "
        f"(assignee_id, ({DUE_ORDER}), id) WHERE status = 'open'"
    )
    op.execute(
        f"CREATE INDEX idx_tasks_open_order ON tasks (({DUE_ORDER}), id) WHERE status = 'open'"
    )


def downgrade():
    op.execute("DROP INDEX idx_tasks_open_order")
    op.execute("DROP INDEX idx_tasks_open_assignee_order")
