"""Bulk create (`POST /api/v1/contacts/bulk`, and companies): up to 10,000 records as a JSON
array or NDJSON are kept as the items of a job and made by a worker (jobs/batches.py: a batch
of items and the note of how far it got commit together, so a killed worker's job resumes
without making a record twice). Each item is checked by the same service rules as a single
POST and a batch's good ones are written set-based (core/batch.py): a bad item gets its errors
and its index, the others are made."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from flask import current_app, request
from sqlalchemy import insert, or_, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from crm_web.api.catalog import RESOURCES
from crm_web.api.models import BulkItem, BulkJob
from crm_web.api.problems import ApiProblem
from crm_web.api.resources import plain
from crm_web.companies import services as companies
from crm_web.contacts import services as contacts
from crm_web.core.actor import Actor
from crm_web.core.db import constraint_error, db, transaction
from crm_web.core.errors import CRMError, NotFoundError
from crm_web.jobs.ahead import LookAhead
from crm_web.jobs.batches import run_in_batches
from crm_web.jobs.queue import defer, job

BULK_KINDS = ("contacts", "companies")
MAX_ITEMS = 10_000
NDJSON = ("application/x-ndjson", "application/ndjson", "application/jsonl")
BATCH = 2000  # items a transaction: fewer commits and round trips, one batch redone at most


def _items() -> list:
    """The records of the request: a JSON array (or {"records": [...]}), or one JSON object a
    line (NDJSON)."""
    if request.mimetype in NDJSON:
        lines = request.get_data(as_text=True).splitlines()
        try:
            items = [json.loads(line) for line in lines if line.strip()]
        except ValueError as exc:
            raise ApiProblem(400, "bad_json", f"A line is not JSON: {exc}.") from None
    elif request.is_json:
        body = request.get_json(silent=True)
        items = body.get("records") if isinstance(body, dict) else body
        if not isinstance(items, list):
            raise ApiProblem(400, "bad_json", 'Send a JSON array of records, or {"records": […]}.')
    else:
        raise ApiProblem(
            415, "unsupported_media_type", "Send application/json or application/x-ndjson."
        )
    if not items:
        raise ApiProblem(400, "no_records", "Send at least one record.")
    if len(items) > MAX_ITEMS:
        raise ApiProblem(
            413, "too_many_records", f"A bulk request holds {MAX_ITEMS:,} records at most."
        )
    return items


def submit(kind: str, actor: Actor, token_id) -> uuid.UUID:
    """Keep the request's records as a job's items and queue the job; returns its id."""
    items = _items()
    with transaction(actor) as session:
        bulk = BulkJob(
            resource=kind,
            token_id=token_id,
            actor={"id": actor.id, "role": actor.role, "name": actor.name, "via": actor.via},
            total=len(items),
        )
        session.add(bulk)
        session.flush()
        rows = [{"job_id": bulk.id, "index": i, "payload": item} for i, item in enumerate(items)]
        session.execute(insert(BulkItem), rows)
    defer("api_bulk_create", bulk_id=str(bulk.id))
    return bulk.id


def _item_data(kind: str, payload) -> dict:
    """An item's fields, held to the rules of a single POST's body (api/views._writes)."""
    resource = RESOURCES[kind]
    if not isinstance(payload, dict):
        raise _ItemError({"record": ["Each record must be a JSON object."]})
    unknown = set(payload) - set(resource.writable) - resource.read_only
    if unknown:
        raise _ItemError({name: ["This field does not exist."] for name in sorted(unknown)})
    return {k: v for k, v in payload.items() if k in resource.writable}


class _ItemError(Exception):
    def __init__(self, fields: dict):
        self.fields = fields


# Each bulk kind's batch path: the checks of its create service, then a set-based insert.
BATCH_PATHS = {
    "contacts": (contacts.check_contacts, contacts.insert_contacts),
    "companies": (companies.check_companies, companies.insert_companies),
}


def _check_items(kind: str, items: list, actor: Actor, shared: dict) -> tuple[list, dict, list]:
    """The first half of a batch, which writes nothing: (the items with their fields, the
    outcomes of those refused before the rules ran, the rules' results for the others)."""
    check, _ = BATCH_PATHS[kind]
    inputs, outcomes = [], {}
    for item in items:
        try:
            inputs.append((item, _item_data(kind, item.payload)))
        except _ItemError as exc:
            outcomes[item.index] = (None, exc.fields)
    return inputs, outcomes, check([data for _, data in inputs], actor, shared)


def _create_items(kind: str, items: list, actor: Actor, checked: tuple | None = None) -> None:
    """A batch the way a single POST makes each record (the same checks), written set-based in
    one savepoint (core/batch.py): a refused item gets its errors and its index, the others
    are made. `checked` is _check_items' answer for these items when it was worked out ahead.
    Should the batch as a whole fail (the database refuses a row the checks passed, or the
    actor may not create), each item goes through the single path in a savepoint of its own,
    which names the item at fault."""
    _, insert = BATCH_PATHS[kind]
    try:
        with db.session.begin_nested():
            inputs, outcomes, results = checked or _check_items(
                kind, items, actor, BATCH_RULES[kind](actor)
            )
            made = iter(insert([r for r in results if isinstance(r, dict)], actor))
    except (CRMError, DBAPIError, psycopg.Error):
        outcomes = {item.index: _create_item(kind, item, actor) for item in items}
    else:
        for (item, _), result in zip(inputs, results, strict=True):
            ok = isinstance(result, dict)
            outcomes[item.index] = (next(made), None) if ok else (None, _errors_of(result))
    # What became of each item, in one statement; the payload is done with.
    indexes = sorted(outcomes)
    db.session.execute(
        _ITEM_OUTCOMES,
        {
            "job": items[0].job_id,
            "indexes": indexes,
            "ids": [outcomes[i][0] for i in indexes],
            "errors": [json.dumps(outcomes[i][1]) if outcomes[i][1] else None for i in indexes],
        },
    )


_ITEM_OUTCOMES = text(
    """
    UPDATE api_bulk_items AS i
       SET record_id = o.record_id, errors = CAST(o.errors AS jsonb), payload = NULL
      FROM unnest(CAST(:indexes AS integer[]), CAST(:ids AS uuid[]), CAST(:errors AS text[]))
           AS o(n, record_id, errors)
     WHERE i.job_id = :job AND i.index = o.n
    """
)


def _create_item(kind: str, item, actor: Actor) -> tuple:
    """(the id made, None) or (None, the errors) of one item through the single path."""
    try:
        data = _item_data(kind, item.payload)
        with db.session.begin_nested():
            return _create_record(kind, data, actor).id, None
    except _ItemError as exc:
        return None, exc.fields
    except IntegrityError as exc:
        error = constraint_error(exc)
        return None, {error.field or "record": [error.message]}
    except DBAPIError:
        return None, {"record": ["The database refused this record."]}
    except CRMError as exc:
        return None, _errors_of(exc)


def _create_record(kind: str, data: dict, actor: Actor):
    """As a single POST, but as an import creates: each item reports its own errors, and no
    item is held back for another record's email, phone or name."""
    resource = RESOURCES[kind]
    if resource.checks_duplicates:
        return resource.create(data, actor, refuse_duplicates=False)
    return resource.create(data, actor)


def _errors_of(exc: CRMError) -> dict:
    message = getattr(exc, "message", None) or str(exc)
    return getattr(exc, "fields", None) or {"record": [message]}


# What each kind's checks read once a batch (the custom field definitions, the default owner).
BATCH_RULES = {"contacts": contacts.batch_rules, "companies": companies.batch_rules}
_ITEMS = select(BulkItem.job_id, BulkItem.index, BulkItem.payload)


@dataclass(frozen=True, slots=True)
class _Item:
    """An item as a batch reads it: plain values (a Row's .index would be tuple.index)."""

    job_id: uuid.UUID
    index: int
    payload: object


@job("api_bulk_create")
def run_bulk(context, bulk_id: str) -> int:
    """The worker's side of a bulk request: its items, a batch at a time, as its sender. The
    next batch is checked in a thread while PostgreSQL writes this one (jobs/ahead.py); the
    thread reads what the checks need (a company or owner an item names) through its own
    session."""
    bulk = db.session.get(BulkJob, uuid.UUID(bulk_id))
    actor = Actor(**bulk.actor)
    kind, job_id = bulk.resource, bulk.id
    ahead = LookAhead(
        current_app._get_current_object(),
        lambda items, shared: _check_items(kind, items, actor, shared),
    )

    def read_batch(after: int, size: int) -> list:
        # Plain rows, not ORM objects: nothing the batch's commit expires under the thread.
        query = _ITEMS.where(BulkItem.job_id == job_id, BulkItem.index > after)
        return [
            _Item(*row) for row in db.session.execute(query.order_by(BulkItem.index).limit(size))
        ]

    def next_batch(after, size):
        after = -1 if after is None else after
        return ahead.rows_after(after) or read_batch(after, size)

    def process(items):
        checked = ahead.result(items)
        following = read_batch(items[-1].index, BATCH)
        if following:
            ahead.start(items[-1].index, following, BATCH_RULES[kind](actor))
        _create_items(kind, items, actor, checked)

    try:
        done = run_in_batches(f"api-bulk:{bulk_id}", next_batch, process, _index, actor, BATCH)
    finally:
        ahead.stop()
    with transaction(actor):
        db.session.get(BulkJob, job_id).finished_at = datetime.now(UTC)
    return done


def _index(item) -> int:
    return item.index


def status(bulk_id, actor: Actor) -> dict:
    """A bulk job's progress and what became of each item so far. Only its sender sees it."""
    bulk = db.session.get(BulkJob, _uuid(bulk_id))
    if bulk is None or bulk.actor.get("id") != actor.id:
        raise NotFoundError("job", bulk_id)
    items = db.session.execute(
        select(BulkItem.index, BulkItem.record_id, BulkItem.errors)
        .where(
            BulkItem.job_id == bulk.id,
            or_(BulkItem.record_id.is_not(None), BulkItem.errors.is_not(None)),
        )
        .order_by(BulkItem.index)
    ).all()
    results = [
        {"index": i, "id": str(record_id)} if record_id else {"index": i, "errors": errors}
        for i, record_id, errors in items
    ]
    created = sum(1 for r in results if "id" in r)
    processed = len(results)
    state = "finished" if bulk.finished_at else ("running" if processed else "queued")
    return {
        "id": str(bulk.id),
        "resource": bulk.resource,
        "status": state,
        "total": bulk.total,
        "processed": processed,
        "created": created,
        "failed": processed - created,
        "created_at": plain(bulk.created_at),
        "finished_at": plain(bulk.finished_at),
        "results": results,
    }


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFoundError("job", value) from None
