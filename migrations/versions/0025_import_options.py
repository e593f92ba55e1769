"""An import's options (issue 12): what to do with a row that matches a contact already in the
CRM (skip it, fill the contact's empty fields, overwrite them, or create a contact anyway), the
records' default owner and the phone region of numbers written without a country code; and how
many records it updated.

Revision ID: 0025
Revises: 0024
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("ALTER TABLE imports ADD COLUMN options jsonb NOT NULL DEFAULT '{}'")
    op.execute("ALTER TABLE imports ADD COLUMN updated integer NOT NULL DEFAULT 0")


def downgrade():
    op.execute("ALTER TABLE imports DROP COLUMN updated")
    op.execute("ALTER TABLE imports DROP COLUMN options")
