"""Tasks and notes as plain lists, newest first, a keyset page at a time: what the REST API
lists (the pages show them per record, or as "My tasks" in sections). Readers."""

from __future__ import annotations

from sqlalchemy import select

from crm_web.activities.models import ENTITY_TYPES, TASK_STATUSES, Note, Task
from crm_web.core import validation as v
from crm_web.core.actor import Actor
from crm_web.core.permissions import authorize
from crm_web.lists.keyset import SortKey, fetch_page, like_pattern


def _key(model) -> SortKey:
    return SortKey((model.created_at, model.id), ("datetime", "uuid"))


def _filters(filters: dict, statuses: tuple = ()) -> dict:
    check = v.Checker(filters)
    check.field("entity_type", v.choice, ENTITY_TYPES)
    check.field("entity_id", v.uuid_value)
    if statuses:
        check.field("status", v.choice, statuses)
        check.field("assignee_id", v.uuid_value)
    return check.done()


def _page(model, query, filters: dict, cursor, limit: int):
    for name in ("entity_type", "entity_id", "status", "assignee_id"):
        if filters.get(name) is not None:
            query = query.where(getattr(model, name) == filters[name])
    rows, after, _before = fetch_page(
        query, _key(model), descending=True, after=cursor, limit=limit
    )
    return [row[0] for row in rows], after


def task_feed(filters: dict, cursor: str | None, limit: int, actor: Actor):
    """(tasks, next cursor): filters entity_type, entity_id, status, assignee_id, q."""
    authorize(actor, "records.read")
    clean = _filters(filters, TASK_STATUSES)
    query = select(Task)
    if filters.get("q"):
        query = query.where(Task.description.ilike(like_pattern(filters["q"])))
    return _page(Task, query, clean, cursor, limit)


def note_feed(filters: dict, cursor: str | None, limit: int, actor: Actor):
    """(notes, next cursor): filters entity_type, entity_id, q."""
    authorize(actor, "records.read")
    clean = _filters(filters)
    query = select(Note)
    if filters.get("q"):
        query = query.where(Note.content.ilike(like_pattern(filters["q"])))
    return _page(Note, query, clean, cursor, limit)
