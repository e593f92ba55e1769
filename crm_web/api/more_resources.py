"""The API's tasks, notes, pipeline stages and custom fields: records without an archive, so
DELETE deletes them. Tasks and notes hang on a contact, company or deal (set on create);
stages and custom fields are read by everyone and written by admins (the services say so)."""

from __future__ import annotations

import hashlib
import json

from crm_web.activities import feeds
from crm_web.activities import services as activities
from crm_web.api.resources import Resource, attributes, plain, reader, writable
from crm_web.audit.services import history_page
from crm_web.core.actor import Actor
from crm_web.core.errors import NotFoundError
from crm_web.core.permissions import authorize
from crm_web.core.validation import small_whole_number
from crm_web.custom_fields import services as custom_fields
from crm_web.custom_fields.models import CUSTOMISABLE_ENTITIES
from crm_web.deals import stages

STRING = {"type": "string"}
ID = {"type": "string", "format": "uuid"}
ATTACHMENT_PARAMS = (
    {"name": "search", "in": "query", "schema": STRING},
    {"name": "entity_type", "in": "query", "schema": {"enum": ["contact", "company", "deal"]}},
    {"name": "entity_id", "in": "query", "schema": ID},
)


_ATTACHED = ("entity_type", "entity_id")


def _stamps(record) -> dict:
    return {
        "created_at": plain(record.created_at),
        "updated_at": plain(record.updated_at),
        "version": record.version,
    }


def task_json(task) -> dict:
    names = ("description", "due_date", "due_at", "status", "priority", "assignee_id")
    return {**attributes(task, *names, "assigned_to", *_ATTACHED), **_stamps(task)}


def note_json(note) -> dict:
    return {**attributes(note, "content", *_ATTACHED), **_stamps(note)}


def stage_json(stage) -> dict:
    names = ("name", "position", "default_probability", "is_won", "is_lost")
    return {**attributes(stage, *names), **_stamps(stage)}


def definition_json(definition) -> dict:
    return {
        "id": str(definition.id),
        "name": definition.name,
        "label": definition.label,
        "entity_type": definition.entity_type,
        "field_type": definition.field_type,
        "enum_values": list(definition.enum_values) if definition.enum_values else None,
        "required": definition.required,
        "created_at": plain(definition.created_at),
    }


def _history(entity: str, read):
    def history(record_id, actor: Actor, before):
        read(record_id, actor)  # 404 for what does not exist
        return history_page(entity, record_id, actor, before=before)

    return history


def _feed(feed, as_json):
    def page(args, limit: int, actor: Actor):
        filters = {k: args.get(k) for k in ("entity_type", "entity_id", "status", "assignee_id")}
        filters["q"] = args.get("search")
        rows, cursor = feed(filters, args.get("cursor") or None, limit, actor)
        return [as_json(row) for row in rows], cursor

    return page


def _small_page(items: list, args, limit: int):
    """A short list (stages, custom fields) a page at a time; its cursor is the offset."""
    raw = args.get("cursor") or "0"
    start = small_whole_number(raw) or 0
    chunk = items[start : start + limit]
    return chunk, str(start + limit) if start + limit < len(items) else None


def _stage_rows(args, limit: int, actor: Actor):
    authorize(actor, "records.read")
    return _small_page([stage_json(s) for s in stages.list_stages()], args, limit)


def _definitions(entity_type: str | None = None) -> list:
    types = [entity_type] if entity_type in CUSTOMISABLE_ENTITIES else CUSTOMISABLE_ENTITIES
    return [d for kind in types for d in custom_fields.list_definitions(kind)]


def _definition_rows(args, limit: int, actor: Actor):
    authorize(actor, "records.read")
    rows = [definition_json(d) for d in _definitions(args.get("entity_type"))]
    return _small_page(rows, args, limit)


def _read_definition(definition_id, actor: Actor):
    """A definition has no version: its ETag is a digest of what it reads as."""
    authorize(actor, "records.read")
    found = next((d for d in _definitions() if str(d.id) == str(definition_id)), None)
    if found is None:
        raise NotFoundError("custom_field_definition", definition_id)
    body = definition_json(found)
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:20]
    return body, f'"{digest}"'


def _delete_task(task_id, actor, _version, _args):
    activities.delete_task(task_id, actor)


def _delete_note(note_id, actor, _version, _args):
    activities.delete_note(note_id, actor)


def _delete_stage(stage_id, actor, _version, args):
    stages.delete_stage(stage_id, actor, move_to=args.get("move_to") or None)


def _delete_definition(definition_id, actor, _version, _args):
    custom_fields.delete_definition(definition_id, actor)


_read_task = reader(activities.get_task, task_json)
_read_note = reader(activities.get_note, note_json)
_read_stage = reader(stages.get_stage, stage_json)
STAMPS = frozenset({"id", "created_at", "updated_at", "version"})

MORE_RESOURCES = (
    Resource(
        name="tasks",
        entity="task",
        read=_read_task,
        page=_feed(feeds.task_feed, task_json),
        create=activities.create_task,
        update=activities.update_task,
        delete=_delete_task,
        writable=writable(
            *("description", "due_date", "due_time", "assignee_id", "assigned_to", *_ATTACHED),
            status="open",
            priority="normal",
        ),
        create_only=frozenset({"entity_type", "entity_id"}),
        read_only=STAMPS | {"due_at"},
        params=(
            *ATTACHMENT_PARAMS,
            {"name": "status", "in": "query", "schema": {"enum": ["open", "closed"]}},
            {"name": "assignee_id", "in": "query", "schema": ID},
        ),
        history=_history("task", _read_task),
        description="To-dos, on a contact, company or deal or on none; `due_time` (HH:MM) is "
        "read on the token user's clock. Their assignee, their author and managers change them.",
    ),
    Resource(
        name="notes",
        entity="note",
        read=_read_note,
        page=_feed(feeds.note_feed, note_json),
        create=activities.create_note,
        update=activities.update_note,
        delete=_delete_note,
        writable=writable("content", *_ATTACHED),
        create_only=frozenset({"entity_type", "entity_id"}),
        read_only=STAMPS,
        params=ATTACHMENT_PARAMS,
        history=_history("note", _read_note),
        description="Text on a contact, company or deal.",
    ),
    Resource(
        name="pipeline-stages",
        entity="pipeline_stage",
        read=_read_stage,
        page=_stage_rows,
        create=stages.create_stage,
        update=stages.update_stage,
        delete=_delete_stage,
        writable={"name": None, "default_probability": None, "is_won": False, "is_lost": False},
        read_only=STAMPS | {"position"},
        params=(),
        history=_history("pipeline_stage", _read_stage),
        description="The pipeline board's columns, in board order. Everyone reads them; admins "
        "write them. DELETE of a stage with deals needs `move_to`, the stage receiving them.",
    ),
    Resource(
        name="custom-fields",
        entity="custom_field_definition",
        read=_read_definition,
        page=_definition_rows,
        create=custom_fields.create_definition,
        delete=_delete_definition,
        writable=writable(
            "name", "label", "entity_type", "field_type", "enum_values", required=False
        ),
        read_only=frozenset({"id", "created_at"}),
        history=_history("custom_field_definition", _read_definition),
        params=(
            {
                "name": "entity_type",
                "in": "query",
                "schema": {"enum": list(CUSTOMISABLE_ENTITIES)},
            },
        ),
        description="Custom field definitions: records carry their values in `custom_fields`, "
        "keyed by `name`. Everyone reads them; admins create and delete them (a deletion "
        "clears the field's values on every record). They are not edited: delete and create.",
    ),
)
