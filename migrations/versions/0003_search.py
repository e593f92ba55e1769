"""Search: trigram indexes for contacts and companies, and a keyset index per list sort."""

import sqlalchemy as sa  # noqa: F401
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# One lower-cased string per contact: names, emails and phone digits (E.164 without the +),
# so `LIKE '%smi%'` or `LIKE '%4155550100%'` is one trigram index lookup.
SEARCH_FUNCTION = """
CREATE FUNCTION crm_contact_search_text(first_name text, last_name text, emails text[],
                                        phones text[])
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(first_name || ' ' || last_name || ' ' || array_to_string(emails, ' ') || ' '
               || replace(array_to_string(phones, ' '), '+', ''))
$$
"""

INDEXES = [
    "CREATE INDEX idx_contacts_name_keyset ON contacts (last_name, first_name, id)",
    "CREATE INDEX idx_contacts_updated_keyset ON contacts (updated_at, id)",
    "CREATE INDEX idx_contacts_email_keyset ON contacts "
    "((cardinality(emails) = 0), (COALESCE(emails[1], ''::text)), id)",
    "CREATE INDEX idx_contacts_phone_keyset ON contacts "
    "((cardinality(phones) = 0), (COALESCE(phones[1], ''::text)), id)",
    "CREATE INDEX idx_contacts_phones ON contacts USING gin (phones)",
    "CREATE INDEX idx_contacts_archived_at ON contacts (archived_at) WHERE archived_at IS NOT NULL",
    "CREATE INDEX idx_contacts_search_trgm ON contacts USING gin "
    "(crm_contact_search_text(first_name, last_name, emails, phones) gin_trgm_ops)",
    "CREATE INDEX idx_companies_name_keyset ON companies (name, id)",
    "CREATE INDEX idx_companies_name_trgm ON companies USING gin "
    "(lower((name)::text) gin_trgm_ops)",
    "CREATE INDEX idx_companies_archived_at ON companies (archived_at) "
    "WHERE archived_at IS NOT NULL",
]


def upgrade():
    op.execute(SEARCH_FUNCTION)
    for statement in INDEXES:
        op.execute(statement)


def downgrade():
    for statement in reversed(INDEXES):
        op.execute(f"DROP INDEX IF EXISTS {statement.split()[2]}")
    op.execute("DROP FUNCTION IF EXISTS crm_contact_search_text(text, text, text[], text[])")
