"""Tasks and notes, attached to a contact, company or deal."""

from __future__ import annotations

from dataclasses import dataclass

from crm_web.activities import repository as repo
from crm_web.activities.models import ENTITY_TYPES, TASK_STATUSES, Note, Task
from crm_web.companies.services import get_company
from crm_web.contacts.services import get_contact
from crm_web.core import lifecycle
from crm_web.core import validation as v
from crm_web.core.actor import Actor
from crm_web.core.db import db
from crm_web.core.errors import NotFoundError, ValidationError
from crm_web.core.permissions import authorize
from crm_web.deals.services import get_deal

_GETTERS = {"contact": get_contact, "company": get_company, "deal": get_deal}


def _entity_lookup(entity_type: str):
    """A function finding a record of `entity_type` by id, or None when there is none."""
    get = _GETTERS[entity_type]

    def find(entity_id):
        try:
            return get(entity_id)
        except NotFoundError:
            return None

    return find


def _check_attachment(check: v.Checker, creating: bool) -> None:
    """entity_type/entity_id must name a record that exists."""
    if not creating:
        if check.has("entity_type") or check.has("entity_id"):
            check.fail("entity_id", "A task or note cannot be moved to another record.")
        return
    entity_type = check.field("entity_type", v.choice, ENTITY_TYPES, required=True)
    entity_id = check.field("entity_id", v.uuid_value, required=True)
    if entity_type and entity_id and _entity_lookup(entity_type)(entity_id) is None:
        check.fail("entity_id", f"No {entity_type} with this id.")


def _clean_task(data: dict, creating: bool) -> dict:
    check = v.Checker(data)
    if creating or check.has("description"):
        check.field("description", v.text, 10_000, required=True)
    check.field("due_date", v.date)
    check.field("assigned_to", v.text, 255)
    check.field("status", v.choice, TASK_STATUSES)
    _check_attachment(check, creating)
    return check.done()


def _clean_note(data: dict, creating: bool) -> dict:
    check = v.Checker(data)
    if creating or check.has("content"):
        check.field("content", v.text, 100_000, required=True)
    _check_attachment(check, creating)
    return check.done()


def create_task(data: dict, actor: Actor) -> Task:
    """Add a task to a contact, company or deal. Editors."""
    authorize(actor, "records.create")
    clean = _clean_task(data, creating=True)
    clean.setdefault("status", "open")
    return lifecycle.create_record(Task, clean, actor)


def update_task(task_id, data: dict, actor: Actor, expected_version=None) -> Task:
    """Change a task (complete it: status "closed"). Editors."""

    def clean_for(_task) -> dict:
        clean = _clean_task(data, creating=False)
        if "status" in clean and clean["status"] is None:
            raise ValidationError({"status": ["This field is required."]})
        return clean

    return lifecycle.update_record(_locked_task, task_id, clean_for, actor, expected_version)


def delete_task(task_id, actor: Actor) -> None:
    lifecycle.delete_record(_locked_task, task_id, actor)


def get_task(task_id) -> Task:
    return lifecycle.found(repo.get_task(task_id), "task", task_id)


def _locked_task(task_id) -> Task:
    return lifecycle.locked(repo.get_task, "task", task_id)


def create_note(data: dict, actor: Actor) -> Note:
    """Add a note to a contact, company or deal. Editors."""
    authorize(actor, "records.create")
    return lifecycle.create_record(Note, _clean_note(data, creating=True), actor)


def update_note(note_id, data: dict, actor: Actor, expected_version=None) -> Note:
    """Change a note's text. Editors."""
    return lifecycle.update_record(
        _locked_note, note_id, lambda _note: _clean_note(data, False), actor, expected_version
    )


def delete_note(note_id, actor: Actor) -> None:
    lifecycle.delete_record(_locked_note, note_id, actor)


def get_note(note_id) -> Note:
    return lifecycle.found(repo.get_note(note_id), "note", note_id)


def _locked_note(note_id) -> Note:
    return lifecycle.locked(repo.get_note, "note", note_id)


def tasks_for(entity_type: str, entity_id) -> list[Task]:
    return repo.tasks_for(entity_type, [entity_id])


def notes_for(entity_type: str, entity_id) -> list[Note]:
    return repo.notes_for(entity_type, [entity_id])


@dataclass
class RecordWithAttachments:
    record: object
    tasks: list[Task]
    notes: list[Note]


def get_with_attachments(entity_type: str, entity_id) -> RecordWithAttachments:
    """A contact, company or deal with all its tasks and notes."""
    if entity_type not in ENTITY_TYPES:
        raise NotFoundError(entity_type, entity_id)
    record = _entity_lookup(entity_type)(entity_id)
    if record is None:
        raise NotFoundError(entity_type, entity_id)
    return RecordWithAttachments(
        record, tasks_for(entity_type, record.id), notes_for(entity_type, record.id)
    )


def delete_attachments(entity_type: str, entity_ids: list) -> None:
    """Part of deleting records: their tasks and notes go too (the caller holds the transaction)."""
    if not entity_ids:
        return
    for item in [
        *repo.tasks_for(entity_type, entity_ids),
        *repo.notes_for(entity_type, entity_ids),
    ]:
        db.session.delete(item)
    db.session.flush()
