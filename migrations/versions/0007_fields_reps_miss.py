"""The fields reps missed: a contact's job title; a company's website, phone and industry.

All nullable, no default: adding them rewrites no rows (a catalogue change only, instant on a
million contacts). None is indexed: the lists show them but neither sorts nor searches by them.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = [
    ("contacts", sa.Column("job_title", sa.String(255), nullable=True)),
    ("companies", sa.Column("website", sa.String(2048), nullable=True)),
    ("companies", sa.Column("phone", sa.String(32), nullable=True)),
    ("companies", sa.Column("industry", sa.String(100), nullable=True)),
]


def upgrade():
    for table, column in COLUMNS:
        op.add_column(table, column)


def downgrade():
    for table, column in reversed(COLUMNS):
        op.drop_column(table, column.name)
