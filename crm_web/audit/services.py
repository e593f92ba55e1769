"""Reading the audit trail (writing it is the flush hook's job, in core/audit.py)."""

from crm_web.audit import repository as repo
from crm_web.audit.models import AuditLog
from crm_web.core.actor import Actor
from crm_web.core.permissions import authorize
from crm_web.lists import keyset

HISTORY_PAGE_SIZE = 50


def history_of_entity(entity_type: str, entity_id, limit: int = 500) -> list[AuditLog]:
    """Every recorded change to one record (the latest `limit`), oldest first."""
    return repo.history_of_entity(entity_type, entity_id, limit)


def history_page(entity_type: str, entity_id, actor: Actor, before: str | None = None) -> dict:
    """One page of a record's history as the History card shows it, newest first: `entries`,
    (entry, name of who made it or None) pairs, and `older`, the cursor of the page after it
    (None at the oldest). `before` is such a cursor; a forged one reads as the first page.
    Managers and admins (audit.read)."""
    authorize(actor, "audit.read")
    bound = keyset.decode_cursor(before, repo.HISTORY_KEY)
    rows = repo.history_page(entity_type, entity_id, bound, HISTORY_PAGE_SIZE + 1)
    entries = rows[:HISTORY_PAGE_SIZE]
    older = None
    if len(rows) > HISTORY_PAGE_SIZE:
        last = entries[-1][0]
        older = keyset.encode_cursor([last.timestamp, last.seq])
    return {"entries": entries, "older": older}


def history_of_user(user_id: str, limit: int = 500) -> list[AuditLog]:
    """Every change one user made (the latest `limit`), oldest first."""
    return repo.history_of_user(user_id, limit)
