"""Who may do what: one table, role × action, enforced by the services."""

from __future__ import annotations

from dataclasses import dataclass

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
    # Reps change the owner only of records they own (giving them away); managers reassign any.
    # Without the second rule a rep could take a colleague's record, then archive it.
    "records.reassign_own": EDITORS,
    "records.reassign_any": MANAGERS,
    "records.purge": ADMINS,
    # Tasks: reps change (edit, complete, delete) those assigned to them or that they made;
    # managers any. Who may list anyone's tasks on /tasks (reps see their own).
    "tasks.change_any": MANAGERS,
    "tasks.list_any": MANAGERS | {"viewer"},
    # Notes: reps edit, pin and delete the notes they wrote; managers any.
    "notes.change_any": MANAGERS,
    "data.export": MANAGERS,
    # Reps import too (and see only their own imports: crm_web/imports/services.py).
    "data.import": EDITORS,
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


def owns(actor: Actor, record) -> bool:
    owner = getattr(record, "owner_id", None)
    return owner is not None and str(owner) == actor.id


def may_archive(actor: Actor, record) -> bool:
    """Archive/restore: managers any record, reps their own."""
    if allowed(actor, "records.archive_any"):
        return True
    return allowed(actor, "records.archive_own") and owns(actor, record)


def may_reassign(actor: Actor, record) -> bool:
    """Change the owner: managers any record, reps only one they own."""
    if allowed(actor, "records.reassign_any"):
        return True
    return allowed(actor, "records.reassign_own") and owns(actor, record)


def authorize_archive(actor: Actor, record) -> None:
    if not may_archive(actor, record):
        raise PermissionDenied(
            "records.archive_any", "Only the owner or a manager may archive this."
        )


def authorize_reassign(actor: Actor, record, new_owner) -> None:
    """Before setting `record`'s owner to `new_owner` (None: unassigned); keeping it is no change."""
    current = getattr(record, "owner_id", None)
    if str(current or "") != str(new_owner or ""):
        authorize_owner_change(actor, record)


def authorize_owner_change(actor: Actor, record) -> None:
    """Before offering (or making) a change of `record`'s owner."""
    if not may_reassign(actor, record):
        raise PermissionDenied(
            "records.reassign_any", "Only the owner or a manager may change the owner of this."
        )


@dataclass(frozen=True)
class RecordRights:
    """What an actor may do to records, decided once for a page of them (a list draws hundreds
    of cells: one comparison per row, no lookups)."""

    me: str = ""
    update: bool = False
    archive_any: bool = False
    archive_own: bool = False
    reassign_any: bool = False
    reassign_own: bool = False

    def archive(self, owner_id) -> bool:
        return self.archive_any or (self.archive_own and str(owner_id) == self.me)

    def reassign(self, owner_id) -> bool:
        return self.update and (
            self.reassign_any or (self.reassign_own and str(owner_id) == self.me)
        )


def record_rights(actor: Actor | None) -> RecordRights:
    if actor is None:
        return RecordRights()
    return RecordRights(
        me=actor.id,
        **{
            name: allowed(actor, f"records.{name}")
            for name in ("update", "archive_any", "archive_own", "reassign_any", "reassign_own")
        },
    )
