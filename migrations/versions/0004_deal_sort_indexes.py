"""Deals: a keyset index per list sort and for the board's columns.

Every list, board and print query reads only unarchived deals (`archived_at IS NULL`), so the
indexes are partial: smaller, and each one's column order is its sort key exactly, so a page
is an index range scan of 51 entries instead of reading and sorting every matching deal.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEXES = [
    "CREATE INDEX idx_deals_title_keyset ON deals (title, id) WHERE archived_at IS NULL",
    "CREATE INDEX idx_deals_value_keyset ON deals (value, id) WHERE archived_at IS NULL",
    # Undated deals last: the same expressions as repository.LIST_SORTS["close_date"].
    "CREATE INDEX idx_deals_close_keyset ON deals "
    "((close_date IS NULL), (COALESCE(close_date, '0001-01-01'::date)), id) "
    "WHERE archived_at IS NULL",
    "CREATE INDEX idx_deals_created_keyset ON deals (created_at, id) WHERE archived_at IS NULL",
    # The stage sort reads each stage's deals in (title, id) order; a stage filter uses it too.
    "CREATE INDEX idx_deals_stage_keyset ON deals (stage, title, id) WHERE archived_at IS NULL",
    # A board column: its stage's cards by close date, undated last (repository._CLOSE_KEY).
    "CREATE INDEX idx_deals_board_keyset ON deals "
    "(stage, (COALESCE(close_date, 'infinity'::date)), id) WHERE archived_at IS NULL",
]


def upgrade():
    for statement in INDEXES:
        op.execute(statement)


def downgrade():
    for statement in reversed(INDEXES):
        op.execute(f"DROP INDEX IF EXISTS {statement.split()[2]}")
