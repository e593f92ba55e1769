"""Reading the audit trail (writing it is the flush hook's job, in core/audit.py)."""

from crm_web.audit import repository as repo
from crm_web.audit.models import AuditLog


def history_of_entity(entity_type: str, entity_id, limit: int = 500) -> list[AuditLog]:
    """Every recorded change to one record (the latest `limit`), oldest first."""
    return repo.history_of_entity(entity_type, entity_id, limit)


def history_with_names(entity_type: str, entity_id, limit: int = 500) -> list[tuple]:
    """A record's history as its page shows it: (entry, name of who made it or None) pairs."""
    return repo.history_with_names(entity_type, entity_id, limit)


def history_of_user(user_id: str, limit: int = 500) -> list[AuditLog]:
    """Every change one user made (the latest `limit`), oldest first."""
    return repo.history_of_user(user_id, limit)
