"""One trigram index over contacts' search text instead of two (issues 12 and 13: imports and
API bulk create). The contacts list searched `crm_contact_search_text` (lower-cased) and global
search `crm_contact_search` (the same text, lower-cased and without accents), each with its own
GIN trigram index over a million rows; every contact inserted paid for both, the costliest
indexes of the table after the full-text one. The list now searches the accent-free text too
(`jose` finds José, as global search does), so `idx_contacts_search_trgm` goes.

Revision ID: 0023
Revises: 0022
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DROP INDEX IF EXISTS idx_contacts_search_trgm")


def downgrade():
    op.execute(
        "CREATE INDEX idx_contacts_search_trgm ON contacts USING gin "
        "(crm_contact_search_text(first_name, last_name, emails, phones) gin_trgm_ops)"
    )
