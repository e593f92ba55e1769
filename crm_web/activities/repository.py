from sqlalchemy import select

from crm_web.activities.models import Note, Task
from crm_web.core.db import db
from crm_web.core.repository import as_uuid, get_by_id


def get_task(task_id, *, for_update: bool = False) -> Task | None:
    return get_by_id(Task, task_id, for_update=for_update)


def get_note(note_id, *, for_update: bool = False) -> Note | None:
    return get_by_id(Note, note_id, for_update=for_update)


def tasks_for(entity_type: str, entity_ids: list) -> list[Task]:
    ids = [as_uuid(i) for i in entity_ids]
    query = (
        select(Task)
        .where(Task.entity_type == entity_type, Task.entity_id.in_(ids))
        .order_by(Task.due_date.asc().nulls_last(), Task.created_at, Task.id)
    )
    return list(db.session.scalars(query))


def notes_for(entity_type: str, entity_ids: list) -> list[Note]:
    ids = [as_uuid(i) for i in entity_ids]
    query = (
        select(Note)
        .where(Note.entity_type == entity_type, Note.entity_id.in_(ids))
        .order_by(Note.created_at.desc(), Note.id)
    )
    return list(db.session.scalars(query))
