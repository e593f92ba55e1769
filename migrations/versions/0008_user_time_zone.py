"""A user's time zone (an IANA name), for showing times as their clock reads them.

Nullable, no default: adding it rewrites no rows; None means "not known yet" (the browser's zone
is stored at the next page load).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("time_zone", sa.String(64), nullable=True))


def downgrade():
    op.drop_column("users", "time_zone")
