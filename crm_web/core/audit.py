"""The audit trail: a flush hook that records every insert, update and delete of an audited model.

Nobody calls it. Whatever flushes an audited record — a service, the API, a job — writes the
audit row in the same transaction, naming the actor the enclosing `transaction()` was given.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from crm_web.core.db import db

# Bookkeeping columns that change on every write; recording them would only be noise.
UNRECORDED = frozenset({"id", "created_at", "updated_at", "created_by", "updated_by", "version"})


class Audited:
    """Mixin: instances of this model are recorded in audit_logs. Set `__audit_entity__`."""

    __audit_entity__: str = ""
    # Columns whose values must never be copied into the log (e.g. password hashes).
    __audit_redact__: frozenset[str] = frozenset()
    # The columns naming the record this one belongs to (a task's or note's contact, company or
    # deal): copied onto its audit rows, so that record's timeline shows them.
    __audit_record__: tuple[str, str] | None = None


class MissingActorError(RuntimeError):
    """An audited record was written outside `transaction(actor)`."""


def to_json(value):
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


def _recorded_columns(obj):
    mapper = inspect(obj).mapper
    for attr in mapper.column_attrs:
        if attr.key not in UNRECORDED:
            yield attr.key


def _value(obj, key):
    if key in obj.__audit_redact__:
        return "[redacted]"
    # The loaded state only: reading an expired attribute here would query mid-flush.
    return to_json(inspect(obj).dict.get(key))


def _snapshot(obj) -> dict:
    return {key: _value(obj, key) for key in _recorded_columns(obj) if key in inspect(obj).dict}


def _changes(obj) -> dict:
    state = inspect(obj)
    changes = {}
    for key in _recorded_columns(obj):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        if key in obj.__audit_redact__:
            changes[key] = ["[redacted]", "[redacted]"]
        else:
            changes[key] = [to_json(old), to_json(new)]
    return changes


def _record_of(obj) -> dict:
    """The audit row's record_type and record_id (None for a record that belongs to none)."""
    type_key, id_key = obj.__audit_record__ or (None, None)
    loaded = inspect(obj).dict
    return {"record_type": loaded.get(type_key), "record_id": loaded.get(id_key)}


def _left(obj, changes: dict) -> list[dict]:
    """The record a task moved away from, as a second row's record_type and record_id (so that
    record's timeline says it left too); none when it was on no record or did not move."""
    type_key, id_key = obj.__audit_record__ or (None, None)
    if type_key not in changes and id_key not in changes:
        return []
    now = _record_of(obj)
    old_type = changes[type_key][0] if type_key in changes else now["record_type"]
    old_id = changes[id_key][0] if id_key in changes else now["record_id"]
    if old_type is None or old_id is None:
        return []
    return [{"record_type": old_type, "record_id": uuid.UUID(str(old_id))}]


@event.listens_for(Session, "before_flush")
def drop_stamp_only_updates(session: Session, flush_context, instances) -> None:
    """A write that changes nothing but the `updated_by` stamp (restoring a record that is not
    archived, saving a form unchanged) is no change: without this it would bump the version and
    updated_at — making other people's forms stale — and leave no audit row."""
    for obj in session.dirty:
        if not isinstance(obj, Audited) or _changes(obj):
            continue
        history = inspect(obj).attrs.updated_by.history if hasattr(obj, "updated_by") else None
        if history is not None and history.has_changes() and history.deleted:
            set_committed_value(obj, "updated_by", history.deleted[0])


@event.listens_for(Session, "after_flush")
def write_audit_rows(session: Session, flush_context) -> None:
    """After the flush, before commit: new/dirty/deleted still describe what the flush did."""
    rows = []
    for obj in session.new:
        if isinstance(obj, Audited):
            rows.append((obj, "create", _snapshot(obj)))
    for obj in session.dirty:
        if isinstance(obj, Audited):
            changes = _changes(obj)
            if changes:
                rows.append((obj, "update", changes))
                rows.extend((obj, "update", changes, left) for left in _left(obj, changes))
    for obj in session.deleted:
        if isinstance(obj, Audited):
            rows.append((obj, "delete", _snapshot(obj)))
    if not rows:
        return
    actor_id = session.info.get("actor_id")
    via = session.info.get("actor_via")
    if not actor_id:
        raise MissingActorError("audited records may only be written inside transaction(actor)")
    session.connection().execute(
        # The audit area's table (crm_web/audit/models.py), found by name: core is below every
        # area and imports none of them.
        insert(db.metadata.tables["audit_logs"]),
        [
            {
                "entity_type": obj.__audit_entity__,
                "entity_id": obj.id,
                "action": action,
                "user_id": actor_id,
                "changes": changes,
                "via": via,
                **(record[0] if record else _record_of(obj)),
            }
            for obj, action, changes, *record in rows
        ],
    )
