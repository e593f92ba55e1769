"""Who may do what: one table, role × action, enforced by the services."""

from __future__ import annotations

from crm_web.core.actor import Actor
from crm_web.core.errors import PermissionDenied

EVERYONE = frozenset({"admin", "manager", "rep", "viewer"})
EDITORS = frozenset({"admin", "manager", "rep"})
MANAGERS = frozenset({"admin", "manager"})
ADMINS = frozenset({"admin"})

POLICY: dict[str, frozenset[str]] = {
    "records.read": EVERYONE,
    "records.create": EDITORS,
    "records.update": EDITORS,
    # Reps archive (and restore) only records they own; managers any record.
    "records.archive_own": EDITORS,
    "records.archive_any": MANAGERS,
    "records.purge": ADMINS,
    "data.export": MANAGERS,
    "data.import": MANAGERS,
    "users.manage": ADMINS,
    "stages.manage": ADMINS,
    "custom_fields.manage": ADMINS,
    "audit.read": MANAGERS,
    "profile.update": EVERYONE,
}


def allowed(actor: Actor, action: str) -> bool:
    return actor.role in POLICY[action]


def authorize(actor: Actor, action: str) -> None:
    if not allowed(actor, action):
        raise PermissionDenied(action)


def authorize_archive(actor: Actor, record) -> None:
    """Archive/restore: managers any record, reps their own."""
    if allowed(actor, "records.archive_any"):
        return
    owner = getattr(record, "owner_id", None)
    if allowed(actor, "records.archive_own") and owner is not None and str(owner) == actor.id:
        return
    raise PermissionDenied("records.archive_any", "Only the owner or a manager may archive this.")
