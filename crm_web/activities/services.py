"""Tasks and notes, attached to a contact, company or deal."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from crm_web.accounts.models import SignedInUser
from crm_web.accounts.services import (
    check_user_id,
    get_signed_in_row,
    get_signed_in_user,
    get_user,
    owner_id_for,
)
from crm_web.activities import repository as repo
from crm_web.activities.models import ENTITY_TYPES, PRIORITIES, TASK_STATUSES, Note, Task
from crm_web.audit.services import history_of_entity
from crm_web.companies.services import get_company
from crm_web.contacts.services import get_contact
from crm_web.core import lifecycle
from crm_web.core import validation as v
from crm_web.core.actor import Actor
from crm_web.core.dates import zone
from crm_web.core.db import db, transaction
from crm_web.core.errors import NotFoundError, PermissionDenied, ValidationError
from crm_web.core.permissions import allowed, authorize
from crm_web.deals.pipeline import pickers
from crm_web.deals.services import get_deal
from crm_web.lists.keyset import decode_cursor, encode_cursor

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


def _check_attachment(
    check: v.Checker, creating: bool, optional: bool = False, movable: bool = False
) -> None:
    """entity_type/entity_id must name a record that exists (`optional`: or neither is given,
    for a task on no record). A change names both (`movable`: a task may move; a note not)."""
    if not creating:
        if not (check.has("entity_type") or check.has("entity_id")):
            return
        if not movable:
            check.fail("entity_id", "A note cannot be moved to another record.")
            return
        if v.is_blank(check.data.get("entity_type")) and v.is_blank(check.data.get("entity_id")):
            check.clean.update(entity_type=None, entity_id=None)  # on no record now
            return
    if (
        optional
        and v.is_blank(check.data.get("entity_type"))
        and v.is_blank(check.data.get("entity_id"))
    ):
        return
    entity_type = check.field("entity_type", v.choice, ENTITY_TYPES, required=True)
    entity_id = check.field("entity_id", v.uuid_value, required=True)
    if entity_type and entity_id and _entity_lookup(entity_type)(entity_id) is None:
        check.fail("entity_id", f"No {entity_type} with this id.")


def _time(value) -> dt.time:
    """'14:30' (a time input's value) as a time of day."""
    try:
        return dt.time.fromisoformat(str(value).strip())
    except ValueError:
        raise v.FieldError("Enter a time like 14:30.") from None


def _clean_task(data: dict, creating: bool, actor: Actor, task: Task | None = None) -> dict:
    check = v.Checker(data)
    if creating or check.has("description"):
        check.field("description", v.text, 10_000, required=True)
    check.field("due_date", v.date)
    due_time = check.field("due_time", _time)
    check.field("assigned_to", v.text, 255)
    check.field("status", v.choice, TASK_STATUSES)
    check.field("priority", v.choice, PRIORITIES)
    check.field("assignee_id", check_user_id)
    _check_attachment(check, creating, optional=True, movable=True)
    clean = check.done()
    clean.pop("due_time", None)
    if "due_date" in clean or "due_time" in data:
        day = clean.get("due_date", task.due_date if task else None)
        if "due_time" not in data and task and task.due_at and day:
            due_time = task.due_at.astimezone(_actor_zone(actor)).time()  # a new day, same time
        if due_time and day is None:
            raise ValidationError({"due_date": ["Choose a day for this time."]})
        # A time is read on the actor's clock; the day stays the day they picked.
        clean["due_at"] = (
            dt.datetime.combine(day, due_time, _actor_zone(actor)) if due_time else None
        )
    return clean


def _actor_zone(actor: Actor) -> dt.tzinfo:
    user = get_user(actor.id)
    return zone(getattr(user, "time_zone", None))


def may_change_task(actor: Actor, task: Task) -> bool:
    """Edit, complete or delete: managers any task, reps those assigned to them or that they
    made, viewers none."""
    if allowed(actor, "tasks.change_any"):
        return True
    mine = {str(task.assignee_id or ""), str(task.created_by or "")}
    return allowed(actor, "records.update") and actor.id in mine


def _authorize_change(actor: Actor, task: Task) -> None:
    if not may_change_task(actor, task):
        raise PermissionDenied(
            "tasks.change_any", "Only its assignee, its author or a manager may change this task."
        )


def may_change_note(actor: Actor, note: Note) -> bool:
    """Edit, pin or delete: managers any note, reps those they wrote, viewers none."""
    if allowed(actor, "notes.change_any"):
        return True
    return allowed(actor, "records.update") and str(note.created_by or "") == actor.id


def _authorize_note_change(actor: Actor, note: Note) -> None:
    if not may_change_note(actor, note):
        raise PermissionDenied(
            "notes.change_any", "Only its author or a manager may change this note."
        )


def _flag(value) -> bool:
    """A checkbox's or a hidden input's "1"/"true"/"on" (or a bool) as True."""
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("1", "true", "on", "yes"):
        return True
    if str(value).strip().lower() in ("", "0", "false", "off", "no"):
        return False
    raise v.FieldError("Choose yes or no.")


def _clean_note(data: dict, creating: bool) -> dict:
    check = v.Checker(data)
    if creating or check.has("content"):
        check.field("content", v.text, 100_000, required=True)
    check.field("pinned", _flag)
    _check_attachment(check, creating)
    clean = check.done()
    if clean.get("pinned") is None:
        clean.pop("pinned", None)
    return clean


def create_task(data: dict, actor: Actor) -> Task:
    """Add a task to a contact, company or deal. Editors."""
    authorize(actor, "records.create")
    clean = _clean_task(data, creating=True, actor=actor)
    clean.setdefault("status", "open")
    if clean.get("assignee_id") is None:
        clean["assignee_id"] = owner_id_for(actor)  # "assigned to me" unless said otherwise
    return lifecycle.create_record(Task, clean, actor)


def update_task(task_id, data: dict, actor: Actor, expected_version=None) -> Task:
    """Change a task (complete it: status "closed"; reopen: "open"). Its assignee, its author,
    managers and admins."""

    def clean_for(task) -> dict:
        _authorize_change(actor, task)
        clean = _clean_task(data, creating=False, actor=actor, task=task)
        for name in ("status", "priority"):
            if name in clean and clean[name] is None:
                raise ValidationError({name: ["This field is required."]})
        return clean

    return lifecycle.update_record(_locked_task, task_id, clean_for, actor, expected_version)


def delete_task(task_id, actor: Actor) -> None:
    """Delete a task for good. Its assignee, its author, managers and admins."""

    _delete_checked(_locked_task, _authorize_change, task_id, actor)


def _delete_checked(locked, check, record_id, actor: Actor) -> None:
    """Lock the record, let check(actor, record) refuse, then delete it."""

    def lock(record_id):
        record = locked(record_id)
        check(actor, record)
        return record

    lifecycle.delete_record(lock, record_id, actor)


def restore_task(task_id, actor: Actor) -> Task:
    """Undo a task's deletion: the Undo in "Deleted." Only who deleted it, while its record
    still exists."""
    return _restore(Task, "task", task_id, actor, _authorize_change)


def _restore(model, entity: str, record_id, actor: Actor, check):
    """Put back a deleted task or note as its delete entry in the audit log left it (same id,
    author and creation time), audited as created again."""
    authorize(actor, "records.update")
    try:
        record_id = v.uuid_value(record_id)
    except v.FieldError:
        raise NotFoundError(entity, record_id) from None
    history = history_of_entity(entity, record_id)
    if not history or history[-1].action != "delete" or db.session.get(model, record_id):
        raise NotFoundError(entity, record_id)
    deletion = history[-1]
    if deletion.user_id != actor.id:
        raise PermissionDenied("records.update", f"Only who deleted this {entity} may undo it.")
    values = _from_snapshot(model, deletion.changes or {})
    kind = values.get("entity_type")
    if kind and _entity_lookup(kind)(values["entity_id"]) is None:
        raise ValidationError({"entity_id": [f"Its {kind} is gone."]}, f"Its {kind} is gone.")
    if values.get("assignee_id") and get_user(values["assignee_id"]) is None:
        values["assignee_id"] = None  # removed meanwhile: the task waits for someone
    created = history[0] if history[0].action == "create" else deletion
    with transaction(actor) as session:
        record = model(id=record_id, **values, created_by=created.user_id, updated_by=actor.id)
        record.created_at = created.timestamp
        check(actor, record)
        session.add(record)
        session.flush()
    return record


def _from_snapshot(model, changes: dict) -> dict:
    """An audit snapshot's JSON values as `model`'s column values (dates, times, ids)."""
    values = {}
    for column in model.__table__.columns:
        value = changes.get(column.key)
        if column.key not in changes or value is None:
            continue
        if isinstance(column.type, sa.DateTime):
            value = dt.datetime.fromisoformat(value)
        elif isinstance(column.type, sa.Date):
            value = dt.date.fromisoformat(value)
        elif isinstance(column.type, sa.Uuid):
            value = uuid.UUID(value)
        values[column.key] = value
    return values


def get_task(task_id) -> Task:
    return lifecycle.found(repo.get_task(task_id), "task", task_id)


def _locked_task(task_id) -> Task:
    return lifecycle.locked(repo.get_task, "task", task_id)


def create_note(data: dict, actor: Actor) -> Note:
    """Add a note to a contact, company or deal. Editors."""
    authorize(actor, "records.create")
    return lifecycle.create_record(Note, _clean_note(data, creating=True), actor)


def update_note(note_id, data: dict, actor: Actor, expected_version=None) -> Note:
    """Change a note's text, or pin/unpin it ({"pinned": True}). Its author, managers, admins."""

    def clean_for(note) -> dict:
        _authorize_note_change(actor, note)
        return _clean_note(data, False)

    return lifecycle.update_record(_locked_note, note_id, clean_for, actor, expected_version)


def delete_note(note_id, actor: Actor) -> None:
    """Delete a note for good. Its author, managers and admins."""

    _delete_checked(_locked_note, _authorize_note_change, note_id, actor)


def restore_note(note_id, actor: Actor) -> Note:
    """Undo a note's deletion: the Undo in "Deleted." Only who deleted it, while its record
    still exists."""
    return _restore(Note, "note", note_id, actor, _authorize_note_change)


def get_note(note_id) -> Note:
    return lifecycle.found(repo.get_note(note_id), "note", note_id)


def _locked_note(note_id) -> Note:
    return lifecycle.locked(repo.get_note, "note", note_id)


def move_activities(entity_type: str, from_id, to_id, actor: Actor) -> int:
    """Part of merging records (records.merge): the tasks and notes of `from_id` become
    `to_id`'s. The caller holds the transaction and has checked the permission."""
    with transaction(actor) as session:
        moved = repo.tasks_for(entity_type, [from_id]) + repo.notes_for(entity_type, [from_id])
        for item in moved:
            item.entity_id = to_id
            item.updated_by = actor.id
        session.flush()
    return len(moved)


def lock_activities(kind: str, ids) -> dict:
    """{id as text: task or note} of those of `ids` (kind "task" or "note") that still exist,
    locked in id order (undoing a merge checks where each is now before moving it back)."""
    get = repo.get_task if kind == "task" else repo.get_note
    found = (get(i, for_update=True) for i in sorted({str(i) for i in ids}))
    return {str(item.id): item for item in found if item is not None}


def set_activity_records(items: dict, records: dict, actor: Actor) -> None:
    """Part of undoing a merge (records.merge): each task or note of `items` ({id: locked
    item}) hangs on `records[id]` ((entity_type, entity_id)) again; `records[id]` None deletes
    it (the note the merge wrote). The caller holds the transaction and checked rights."""
    with transaction(actor) as session:
        for item_id, item in items.items():
            if records[item_id] is None:
                session.delete(item)
                continue
            item.entity_type, item.entity_id = records[item_id]
            item.updated_by = actor.id
        session.flush()


def tasks_for(entity_type: str, entity_id) -> list[Task]:
    return repo.tasks_for(entity_type, [entity_id])


def notes_for(entity_type: str, entity_id) -> list[Note]:
    return repo.notes_for(entity_type, [entity_id])


# What a record page's Tasks and Notes cards list, and how much of it at first ("open" and
# "done" tasks, "notes"): activities.repository.RecordList.
RECORD_LISTS = repo.RECORD_LISTS
# The signed-in user's statement with the nav badge's count: a full record page reads its
# record in it (records.page_query.PageWithUser).
SIGNED_IN_WITH_DUE_COUNT = repo.SIGNED_IN_WITH_DUE_COUNT


@dataclass(frozen=True)
class ListPage:
    rows: list
    more: str | None  # "Show more"'s cursor; None at the end


def first_page(name: str, rows: list) -> ListPage:
    """RECORD_LISTS[name]'s first page from its first `size` + 1 rows, each carrying its sort
    key as attributes _k0, _k1… (records.page_query reads them so, with the record page)."""
    listed = RECORD_LISTS[name]
    if len(rows) <= listed.size:
        return ListPage(rows, None)
    last = rows[listed.size - 1]
    key = [getattr(last, f"_k{i}") for i in range(len(listed.key.columns))]
    return ListPage(rows[: listed.size], encode_cursor(key))


def record_list_page(name: str, entity_type: str, entity_id, after: str | None) -> ListPage:
    """The next page of RECORD_LISTS[name] on a record, past the cursor `after` ("Show more";
    None: the first page). A cursor the page did not write is refused: appending the first
    page again would list its rows twice. The caller checks that the record may be read."""
    if name not in RECORD_LISTS:
        raise ValidationError({"list": ["No such list."]})
    if after is not None and decode_cursor(after, RECORD_LISTS[name].key) is None:
        raise ValidationError({"after": ["This position in the list is not valid."]})
    return ListPage(*repo.record_list_page(name, entity_type, entity_id, after))


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


@dataclass
class TaskList:
    """A page of "My tasks": sections as (name, rows) in order (a row: the task's shown columns
    and its record's `record_name`), the cursors, the assignee shown (None: anyone's)."""

    sections: list
    next_cursor: str | None
    prev_cursor: str | None
    assignee_id: str | None  # None: anyone's
    short_search: bool = False  # a term too short to look for inside titles


def _today(actor: Actor, now: dt.datetime) -> tuple[dt.date, str]:
    name = actor.time_zone or getattr(get_user(actor.id), "time_zone", None) or "UTC"
    return now.astimezone(zone(name)).date(), name


def task_list(filters: dict, cursor: dict, actor: Actor, now=None) -> TaskList:
    """/tasks: the sections Overdue, Today, Upcoming, No date and Done recently, "today" on the
    actor's clock. filters: q, assignee ("" me, "anyone", or a user id). Readers; a role
    without tasks.list_any (reps) sees only their own."""
    authorize(actor, "records.read")
    now = now or dt.datetime.now(dt.UTC)
    today, tz_name = _today(actor, now)
    wanted = filters.get("assignee") or ""
    if not allowed(actor, "tasks.list_any") or wanted == "":
        assignee = actor.id
    else:
        assignee = None if wanted == "anyone" else wanted
    query = {"q": filters.get("q") or "", "assignee_id": assignee}
    rows, after, before = repo.task_page(query, today, now, tz_name, cursor)
    sections: list = []
    for row in rows:
        name = repo.SECTIONS[row[len(repo.ROW_COLUMNS)]]  # the section's number follows
        if not sections or sections[-1][0] != name:
            sections.append((name, []))
        sections[-1][1].append(row)
    short = 0 < len(query["q"]) < repo.MIN_CONTAINS_SEARCH
    return TaskList(sections, after, before, None if assignee is None else str(assignee), short)


def record_name(task: Task) -> str | None:
    """The name of the record `task` hangs on (None: on no record, or it is gone)."""
    if not task.entity_type:
        return None
    record = _entity_lookup(task.entity_type)(task.entity_id)
    if record is None:
        return None
    return getattr(record, "full_name", None) or getattr(record, "name", None) or record.title


def due_count(actor: Actor, now=None) -> int:
    """The nav badge: the actor's open tasks overdue or due today (one indexed count)."""
    today, tz_name = _today(actor, now or dt.datetime.now(dt.UTC))
    return repo.due_count(actor.id, today, tz_name)


def signed_in_user_with_due_count(user_id, session_version: int, now=None):
    """The session's user (accounts' SignedInUser, None when the session is no longer valid)
    with `due_count`, the nav badge's count, read in the same statement."""
    now = now or dt.datetime.now(dt.UTC)
    query = repo.SIGNED_IN_WITH_DUE_COUNT
    return get_signed_in_user(user_id, session_version, query, {"now": now})


def signed_in_user_with_pickers(user_id, session_version: int, now=None):
    """signed_in_user_with_due_count with a list page's filter pickers read in the same
    statement: (the user, {"stages", "owners"} as deals.pipeline.list_filter_choices gives
    them), or (None, None) when the session is no longer valid."""
    now = now or dt.datetime.now(dt.UTC)
    query = repo.SIGNED_IN_WITH_PICKERS
    row = get_signed_in_row(user_id, session_version, query, {"now": now})
    if row is None:
        return None, None
    *user, stages, owner_ids, owner_names = row
    return SignedInUser(*user), pickers(stages, owner_ids, owner_names)


def my_due_tasks(actor: Actor, limit: int, now=None) -> list:
    """The actor's open tasks overdue or due today, earliest first, as rows of the columns a
    task's row shows with the name of its record (`record_name`) (the home page). Readers."""
    authorize(actor, "records.read")
    today, tz_name = _today(actor, now or dt.datetime.now(dt.UTC))
    return repo.due_tasks(actor.id, today, tz_name, limit)


def record_names(refs, actor: Actor, *, archived: bool = False) -> dict:
    """{(type, id as text): name} of the live contacts, companies, deals and users among `refs`
    ((type, id) pairs), archived records too with `archived`, in one query. Readers."""
    authorize(actor, "records.read")
    return repo.record_names(refs, archived=archived)


def tasks_for_export(filters: dict, actor: Actor, now=None):
    """Every task /tasks shows for `filters` (q, assignee as task_list reads them) in all its
    sections, as (task, record name, assignee email), streamed. Those who may export."""
    authorize(actor, "data.export")
    now = now or dt.datetime.now(dt.UTC)
    today, tz_name = _today(actor, now)
    wanted = filters.get("assignee") or ""
    mine = not allowed(actor, "tasks.list_any") or wanted == ""
    assignee = actor.id if mine else (None if wanted == "anyone" else wanted)
    return repo.export_tasks(
        {"q": filters.get("q") or "", "assignee_id": assignee}, today, now, tz_name
    )
