"""What the services of every owned, versioned, archivable record (contacts, companies, deals)
do alike: create, change with the version seen, archive and restore, lock. Each area keeps its
own rules (what its fields may hold); the steps and checks around them are written once."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_web.core.actor import Actor
from crm_web.core.db import transaction
from crm_web.core.errors import NotFoundError, ValidationError
from crm_web.core.permissions import authorize, authorize_archive, authorize_reassign
from crm_web.core.repository import check_version


def create_record(model, clean: dict, actor: Actor):
    """Insert a `model` with the checked values `clean`, stamped by `actor`."""
    with transaction(actor) as session:
        record = model(**clean, created_by=actor.id, updated_by=actor.id)
        session.add(record)
        session.flush()
    return record


MISSING_VERSION = "This edit is missing the version it changes; reload the page."


def require_version(expected_version, field: str = "version") -> None:
    """Never a blind write from a page: an edit must say which version of the record it changes
    (ValidationError on `field` otherwise)."""
    if expected_version is None or str(expected_version).strip() == "":
        raise ValidationError({field: [MISSING_VERSION]})


def update_record(lock, record_id, clean_for, actor: Actor, expected_version=None):
    """Change a record in one transaction: `lock(record_id)` it, refuse a stale
    `expected_version` (ConflictError), check the new values with `clean_for(record)`, and
    refuse an owner change the actor may not make. Editors."""
    authorize(actor, "records.update")
    with transaction(actor) as session:
        record = lock(record_id)
        check_version(record, expected_version)
        clean = clean_for(record)
        if "owner_id" in clean:
            authorize_reassign(actor, record, clean["owner_id"])
        for name, value in clean.items():
            setattr(record, name, value)
        record.updated_by = actor.id
        session.flush()
    return record


def set_archived(lock, record_id, actor: Actor, when, expected_version=None, *, must_change=False):
    """Archive (`when` a time) or restore (`when` None): its owner, managers and admins.
    `must_change`: a record already so raises ValidationError, so a page never says "restored"
    of a record that was not archived."""
    with transaction(actor) as session:
        record = lock(record_id)
        authorize_archive(actor, record)
        check_version(record, expected_version)
        if must_change and (record.archived_at is None) == (when is None):
            message = "It is not archived, so there is nothing to restore."
            if when is not None:
                message = "It is already archived."
            raise ValidationError({"archived_at": [message]}, message)
        record.archived_at = when
        record.updated_by = actor.id
        session.flush()
    return record


def bulk_set_archived(by_ids, ids, actor: Actor, restore: bool = False) -> list[str]:
    """Archive (or restore) the records `by_ids(ids, for_update=True)` reads, all or nothing: one
    the actor may not change raises PermissionDenied and changes none. Returns the ids changed
    (for the undo)."""
    when = None if restore else datetime.now(UTC)
    with transaction(actor) as session:
        records = by_ids(ids, for_update=True)
        for record in records:
            authorize_archive(actor, record)
        # One already so is not changed, nor counted: "Restored 1" means one came back.
        changed = [r for r in records if (r.archived_at is None) != (when is None)]
        for record in changed:
            record.archived_at = when
            record.updated_by = actor.id
        session.flush()
    return [str(r.id) for r in changed]


def delete_record(lock, record_id, actor: Actor, action: str = "records.update") -> None:
    """Delete a record for good, alone (whatever hangs on it is the caller's): `action` says
    who may."""
    authorize(actor, action)
    with transaction(actor) as session:
        session.delete(lock(record_id))
        session.flush()


def found(record, entity: str, record_id):
    """`record`, or NotFoundError naming `entity` when there is none."""
    if record is None:
        raise NotFoundError(entity, record_id)
    return record


def locked(get, entity: str, record_id):
    """`get(record_id, for_update=True)`, or NotFoundError naming `entity`."""
    return found(get(record_id, for_update=True), entity, record_id)
