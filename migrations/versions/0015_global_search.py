"""Global search (issue 14): accent-free, weighted full-text documents and trigram text for
contacts, companies, deals, notes and tasks, each behind a GIN index.

`unaccent()` is only STABLE (its dictionary could change), so no index may call it:
`crm_unaccent` pins the dictionary and is declared IMMUTABLE, the usual wrapper; the other
functions call it schema-qualified, as pg_restore runs them with an empty search_path. Each
`crm_*_document` is the record's weighted tsvector ('simple' configuration: names are not
English words to be stemmed), each `crm_*_search` its lower-cased accent-free text for
trigram matching (typos, fragments of emails and phone digits). Queries call the very same
functions (crm_web/search/repository.py), so PostgreSQL matches them to these indexes.

`crm_lower_emails` lower-cases a contact's emails for the case-insensitive duplicate check.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

FUNCTIONS = [
    (
        "crm_unaccent(text)",
        """
CREATE FUNCTION crm_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT public.unaccent('public.unaccent'::regdictionary, $1)
$$""",
    ),
    (
        "crm_contact_document(text, text, text[], text[])",
        """
CREATE FUNCTION crm_contact_document(first_name text, last_name text, emails text[],
                                     phones text[])
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT setweight(to_tsvector('simple', public.crm_unaccent(first_name || ' ' || last_name)), 'A')
      || setweight(to_tsvector('simple', public.crm_unaccent(
           translate(array_to_string(emails, ' '), '@.+_-', '     '))), 'B')
      || setweight(to_tsvector('simple',
           translate(array_to_string(phones, ' '), '+', '')), 'C')
$$""",
    ),
    (
        "crm_contact_search(text, text, text[], text[])",
        """
CREATE FUNCTION crm_contact_search(first_name text, last_name text, emails text[],
                                   phones text[])
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(public.crm_unaccent(first_name || ' ' || last_name || ' '
               || array_to_string(emails, ' ') || ' '
               || translate(array_to_string(phones, ' '), '+', '')))
$$""",
    ),
    (
        "crm_company_document(text, text)",
        """
CREATE FUNCTION crm_company_document(name text, website text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT setweight(to_tsvector('simple', public.crm_unaccent(name)), 'A')
      || setweight(to_tsvector('simple', translate(
           regexp_replace(coalesce(website, ''), '^[a-z]+://(www\\.)?', '', 'i'),
           './-', '   ')), 'B')
$$""",
    ),
    (
        "crm_company_search(text, text)",
        """
CREATE FUNCTION crm_company_search(name text, website text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(public.crm_unaccent(name || ' '
               || regexp_replace(coalesce(website, ''), '^[a-z]+://(www\\.)?', '', 'i')))
$$""",
    ),
    (
        "crm_lower_emails(text[])",
        """
CREATE FUNCTION crm_lower_emails(emails text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT coalesce(array_agg(lower(e)), '{}') FROM unnest(emails) AS e
$$""",
    ),
    (
        "crm_text_document(text)",
        """
CREATE FUNCTION crm_text_document(body text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT to_tsvector('simple', public.crm_unaccent(body))
$$""",
    ),
    (
        "crm_text_search(text)",
        """
CREATE FUNCTION crm_text_search(body text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(public.crm_unaccent(body))
$$""",
    ),
]

INDEXES = [
    "CREATE INDEX idx_contacts_document ON contacts USING gin "
    "(crm_contact_document(first_name, last_name, emails, phones))",
    "CREATE INDEX idx_contacts_search_unaccent_trgm ON contacts USING gin "
    "(crm_contact_search(first_name, last_name, emails, phones) gin_trgm_ops)",
    # Duplicate prevention: a contact whose email, in any case, another live contact has.
    "CREATE INDEX idx_contacts_emails_lower ON contacts USING gin (crm_lower_emails(emails))",
    "CREATE INDEX idx_companies_document ON companies USING gin "
    "(crm_company_document(name, website))",
    "CREATE INDEX idx_companies_search_trgm ON companies USING gin "
    "(crm_company_search(name, website) gin_trgm_ops)",
    "CREATE INDEX idx_deals_document ON deals USING gin (crm_text_document(title))",
    "CREATE INDEX idx_deals_search_trgm ON deals USING gin (crm_text_search(title) gin_trgm_ops)",
    # Notes and tasks: full text only (words and their prefixes); a trigram index over a million
    # notes' whole text would cost more than typo tolerance in note bodies is worth.
    "CREATE INDEX idx_notes_document ON notes USING gin (crm_text_document(content))",
    "CREATE INDEX idx_tasks_document ON tasks USING gin (crm_text_document(description))",
]


def upgrade():
    for _, statement in FUNCTIONS:
        op.execute(statement)
    for statement in INDEXES:
        op.execute(statement)


def downgrade():
    for statement in reversed(INDEXES):
        op.execute(f"DROP INDEX IF EXISTS {statement.split()[2]}")
    for signature, _ in reversed(FUNCTIONS):
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
