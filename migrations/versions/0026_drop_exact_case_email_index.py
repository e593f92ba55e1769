"""An email matches in any case everywhere now (the create form's duplicate check, the import's
match, the "possible duplicates" hint), through idx_contacts_emails_lower; the exact-case GIN
index on contacts.emails served no query any more, and every contact written paid for it
(114 MB at a million contacts, and a GIN insertion per email per row an import writes).

Revision ID: 0026
Revises: 0025
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DROP INDEX idx_contacts_emails")


def downgrade():
    op.execute("CREATE INDEX idx_contacts_emails ON contacts USING gin (emails)")
