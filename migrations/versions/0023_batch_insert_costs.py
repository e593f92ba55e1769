"""What a batch insert of contacts costs PostgreSQL (issues 12 and 13: imports and API bulk
create): one trigram index over contacts' search text instead of two, and sort names set by the
batch's own statement.

The contacts list searched `crm_contact_search_text` (lower-cased) and global
search `crm_contact_search` (the same text, lower-cased and without accents), each with its own
GIN trigram index over a million rows; every contact inserted paid for both, the costliest
indexes of the table after the full-text one. The list now searches the accent-free text too
(`jose` finds José, as global search does), so `idx_contacts_search_trgm` goes.

The sort-name triggers (migration 0006) looked up a contact's company and owner names, and a
company's owner's, in two plpgsql queries a row (~10-35 µs of 120-215 a contact in a batch,
by the load). A batch insert (crm_web/core/batch.py) now fills those columns in its own
INSERT … SELECT and, for that statement only, sets `crm.batch_insert`, which the triggers'
WHEN reads to stand aside.

Revision ID: 0023
Revises: 0022
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


# (trigger, table, columns whose update fires it, function): as migration 0006 made them.
SORT_NAME_TRIGGERS = (
    ("trg_contacts_sort_names", "contacts", "company_id, owner_id", "crm_contact_sort_names"),
    ("trg_companies_sort_names", "companies", "owner_id", "crm_company_sort_names"),
)
BATCH_INSERT_STANDS_ASIDE = (
    "WHEN (current_setting('crm.batch_insert', true) IS DISTINCT FROM 'on') "
)


def _sort_name_triggers(when: str) -> None:
    for name, table, columns, function in SORT_NAME_TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute(
            f"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE OF {columns} ON {table} "
            f"FOR EACH ROW {when}EXECUTE FUNCTION {function}()"
        )


def upgrade():
    op.execute("DROP INDEX IF EXISTS idx_contacts_search_trgm")
    _sort_name_triggers(BATCH_INSERT_STANDS_ASIDE)


def downgrade():
    _sort_name_triggers("")
    op.execute(
        "CREATE INDEX idx_contacts_search_trgm ON contacts USING gin "
        "(crm_contact_search_text(first_name, last_name, emails, phones) gin_trgm_ops)"
    )
