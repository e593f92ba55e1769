"""Bulk create (`POST /api/v1/contacts/bulk`, and companies): up to 10,000 records as a JSON
array or NDJSON are kept as the items of a job and made by a worker (jobs/batches.py: a batch
of items and the note of how far it got commit together, so a killed worker's job resumes
without making a record twice). Each item is checked by the same service rules as a single
POST and a batch's good ones are written set-based (core/batch.py): a bad item gets its errors
and its index, the others are made."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime

import psycopg
from flask import current_app, request
from sqlalchemy import insert, null, or_, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from crm_web.api.catalog import RESOURCES
from crm_web.api.models import BulkItem, BulkJob
from crm_web.api.problems import ApiProblem
from crm_web.api.resources import plain
from crm_web.companies import services as companies
from crm_web.contacts import services as contacts
from crm_web.core import validation
from crm_web.core.actor import Actor
from crm_web.core.db import constraint_error, db, transaction
from crm_web.core.errors import CRMError, NotFoundError
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


def _create_items(kind: str, items: list, actor: Actor) -> None:
    """A batch the way a single POST makes each record (the same checks), written set-based in
    one savepoint (core/batch.py): a refused item gets its errors and its index, the others
    are made. Should the batch as a whole fail (the database refuses a row the checks passed,
    or the actor may not create), each item goes through the single path in a savepoint of its
    own, which names the item at fault."""
    check, insert = BATCH_PATHS[kind]
    inputs, outcomes = [], {}
    for item in items:
        try:
            inputs.append((item, _item_data(kind, item.payload)))
        except _ItemError as exc:
            outcomes[item.index] = (None, exc.fields)
    try:
        with db.session.begin_nested():
            results = check([data for _, data in inputs], actor)
            made = iter(insert([r for r in results if isinstance(r, dict)], actor))
    except (CRMError, DBAPIError, psycopg.Error):
        for item in items:
            _create_item(kind, item, actor)
        return
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


def _create_item(kind: str, item: BulkItem, actor: Actor) -> None:
    try:
        data = _item_data(kind, item.payload)
        with db.session.begin_nested():
            record = _create_record(kind, data, actor)
        item.record_id = record.id
    except _ItemError as exc:
        item.errors = exc.fields
    except IntegrityError as exc:
        error = constraint_error(exc)
        item.errors = {error.field or "record": [error.message]}
    except DBAPIError:
        item.errors = {"record": ["The database refused this record."]}
    except CRMError as exc:
        item.errors = _errors_of(exc)
    item.payload = null()  # done with: the job keeps only what became of it


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


@job("api_bulk_create")
def run_bulk(context, bulk_id: str) -> int:
    """The worker's side of a bulk request: its items, a batch at a time, as its sender."""
    bulk = db.session.get(BulkJob, uuid.UUID(bulk_id))
    actor = Actor(**bulk.actor)
    kind = bulk.resource

    def next_batch(after, size):
        query = (
            select(BulkItem)
            .where(BulkItem.job_id == bulk.id, BulkItem.index > (-1 if after is None else after))
            .order_by(BulkItem.index)
            .limit(size)
        )
        return list(db.session.scalars(query))

    ahead: list[threading.Thread] = []

    def process(items):
        for thread in ahead:
            thread.join()
        ahead[:] = [_check_ahead(next_batch(items[-1].index, BATCH))]
        _create_items(kind, items, actor)

    done = run_in_batches(f"api-bulk:{bulk_id}", next_batch, process, _index, actor, BATCH)
    with transaction(actor):
        db.session.get(BulkJob, bulk.id).finished_at = datetime.now(UTC)
    return done


def _index(item: BulkItem) -> int:
    return item.index


def _check_ahead(items) -> threading.Thread:
    """Start checking the emails and phones of `items` (the next batch) in a thread, which runs
    while this batch waits for PostgreSQL; their checks then find the answers ready."""
    found: dict[str, list] = {"emails": [], "phones": []}
    for item in items:
        payload = item.payload if isinstance(item.payload, dict) else {}
        for key, field in (("emails", "emails"), ("phones", "phones"), ("phone", "phones")):
            values = payload.get(key)
            values = [values] if isinstance(values, str) else values
            if isinstance(values, list):
                found[field].extend(v for v in values if isinstance(v, str))
    region = current_app.config.get("DEFAULT_PHONE_REGION", "US")
    args = (found["emails"], found["phones"], region)
    thread = threading.Thread(target=validation.warm_up, args=args)
    thread.start()
    return thread


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
