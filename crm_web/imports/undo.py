"""Undo an import: archive exactly the contacts and companies it created, and put back the
fields of the contacts it updated, in one transaction, keeping (unless the user says
otherwise) those someone changed since. The link from an import
to its records is its audit trail: every record it created has a create entry `via import:<id>`,
however the rows were written, so nothing extra is stored per row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm_web.companies.services import bulk_archive as archive_companies
from crm_web.contacts.services import EDITABLE_FIELDS, update_contact
from crm_web.contacts.services import bulk_archive as archive_contacts
from crm_web.core.actor import Actor
from crm_web.core.db import transaction
from crm_web.core.errors import CRMError, PermissionDenied, ValidationError
from crm_web.imports import repository as repo
from crm_web.imports.models import Import
from crm_web.imports.services import get_import

UNDO_DAYS = 30
CHUNK = 1000
SHOWN_CHANGES = 50


def undo_refusal(record: Import) -> str | None:
    """Why this import can't be undone now, or None when it can."""
    if record.undone_at:
        return "This import was undone already."
    if record.status not in ("done", "failed") or record.started_at is None:
        return "Only an import that ran can be undone."
    if record.finished_at and datetime.now(UTC) - record.finished_at > timedelta(UNDO_DAYS):
        return f"Imports can be undone for {UNDO_DAYS} days; this one is older."
    return None


def undo_plan(import_id, actor: Actor) -> dict:
    """What undo would archive: the records the import created, and those changed since (kept
    unless confirmed). The importer, managers and admins."""
    record = get_import(import_id, actor)
    refusal = undo_refusal(record)
    if refusal:
        return {"record": record, "refusal": refusal}
    created = _created(record)
    changed = [(kind, key, seq) for kind, key, seq, in_use in created if seq or in_use]
    updated = _updated(record)
    changed += [("contact", key, seq) for key, (_, seq) in updated.items() if seq]
    return {
        "record": record,
        "refusal": None,
        "contacts": sum(row[0] == "contact" for row in created),
        "companies": sum(row[0] == "company" for row in created),
        "updated": len(updated),
        "changed_count": len(changed),
        "changed": _described(changed[:SHOWN_CHANGES]),
    }


def _described(changed: list[tuple]) -> list[dict]:
    """Each record changed since: its name, and the latest change (who, what, when) or, for a
    record only put to use (a deal, another contact at the company), None."""
    names = repo.names_of([(kind, key) for kind, key, _ in changed])
    entries = repo.entries_with_user([seq for _, _, seq in changed if seq])
    result = []
    for kind, key, seq in changed:
        entry, by = entries.get(seq, (None, None))
        what = None
        if entry is not None:
            action = "edited" if entry.action == "update" else f"{entry.action}d"
            what = action if entry.entity_type == kind else f"{entry.entity_type} {action}"
        name = names.get((kind, key))
        result.append(
            {"type": kind, "id": key, "name": name, "entry": entry, "what": what, "by": by}
        )
    return result


def undo_import(import_id, actor: Actor, include_changed: bool = False) -> dict:
    """Archive what import `import_id` created and put back the fields of the contacts it
    updated, all in one transaction; records changed since it ran are kept unless
    `include_changed`. Returns {archived, restored, kept}. The importer, managers and admins;
    the history names the user and `undo:import:<id>`."""
    through = Actor(id=actor.id, role=actor.role, name=actor.name, via=f"undo:import:{import_id}")
    with transaction(through):
        record = get_import(import_id, actor)
        refusal = undo_refusal(record)
        if refusal:
            raise ValidationError({"undo": [refusal]})
        created = _created(record)
        chosen = [
            (kind, key)
            for kind, key, seq, in_use in created
            if include_changed or not (seq or in_use)
        ]
        archived = 0
        try:
            for kind, archive in (("contact", archive_contacts), ("company", archive_companies)):
                ids = [str(key) for entity, key in chosen if entity == kind]
                for start in range(0, len(ids), CHUNK):
                    archived += len(archive(ids[start : start + CHUNK], through))
        except PermissionDenied as exc:
            raise ValidationError(
                {"undo": ["Some of these records belong to others: ask a manager to undo it."]}
            ) from exc
        restored = kept = 0
        for key, (before, later) in _updated(record).items():
            if later and not include_changed:
                kept += 1
                continue
            try:
                update_contact(key, before, through)
                restored += 1
            except CRMError:  # a value it had can't be set again (its company is gone)
                kept += 1
        record.undone_at = datetime.now(UTC)
        record.undone_by = actor.id
        record.archived = archived
    return {"archived": archived, "restored": restored, "kept": len(created) - len(chosen) + kept}


# What undo puts back of a contact an import updated: the fields an import row can give.
RESTORED_FIELDS = EDITABLE_FIELDS | {"custom_fields"}


def _updated(record: Import) -> dict:
    """{contact id: (its fields' values before the import, the seq of a later change by
    anything else or None)} of the contacts the import updated (each field's value before
    the import's first change to it; custom fields key by key, None removing a key)."""
    since = record.started_at - timedelta(seconds=1)
    until = (record.finished_at or datetime.now(UTC)) + timedelta(seconds=1)
    found: dict = {}
    for key, changes, latest in repo.contacts_updated(record.id, since, until):
        before, _ = found.get(key, ({}, None))
        for name, (old, new) in (changes or {}).items():
            if name == "custom_fields":
                old, new = old or {}, new or {}
                custom = before.setdefault(name, {})
                for field in {*old, *new}:
                    if old.get(field) != new.get(field):
                        custom.setdefault(field, old.get(field))
            elif name in RESTORED_FIELDS:
                before.setdefault(name, old)
        found[key] = (before, latest)
    return found


def _created(record: Import) -> list[tuple]:
    # A second either side: the app's clock stamped the run, the database's the audit entries.
    since = record.started_at - timedelta(seconds=1)
    until = (record.finished_at or datetime.now(UTC)) + timedelta(seconds=1)
    return repo.records_created(record.id, since, until)
