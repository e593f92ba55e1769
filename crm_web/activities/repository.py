import sqlalchemy as sa
from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql

from crm_web.activities.models import Note, Task
from crm_web.core.db import db
from crm_web.core.repository import as_uuid, get_by_id


def get_task(task_id, *, for_update: bool = False) -> Task | None:
    return get_by_id(Task, task_id, for_update=for_update)


def get_note(note_id, *, for_update: bool = False) -> Note | None:
    return get_by_id(Note, note_id, for_update=for_update)


# Built once (core.repository); `= ANY(:ids)` takes the whole list as one array parameter.
_IDS = bindparam("ids", type_=postgresql.ARRAY(sa.Uuid))
_TASKS_FOR = (
    select(Task)
    .where(Task.entity_type == bindparam("type"), Task.entity_id == sa.any_(_IDS))
    .order_by(Task.due_date.asc().nulls_last(), Task.created_at, Task.id)
)
_NOTES_FOR = (
    select(Note)
    .where(Note.entity_type == bindparam("type"), Note.entity_id == sa.any_(_IDS))
    .order_by(Note.created_at.desc(), Note.id)
)


def tasks_for(entity_type: str, entity_ids: list) -> list[Task]:
    ids = [as_uuid(i) for i in entity_ids]
    return list(db.session.scalars(_TASKS_FOR, {"type": entity_type, "ids": ids}))


def notes_for(entity_type: str, entity_ids: list) -> list[Note]:
    ids = [as_uuid(i) for i in entity_ids]
    return list(db.session.scalars(_NOTES_FOR, {"type": entity_type, "ids": ids}))
