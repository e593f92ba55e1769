"""A record's timeline: its audit entries and those of its tasks and notes (the flush hook
names their record on them), newest first, a page at a time, in one statement whatever the page
holds. A company's can take in its contacts' and deals' (and their tasks' and notes') too.

Each page is read by keyset on (timestamp, seq), the audit trail's cursor (audit.services'
HISTORY_KEY, lists/keyset.py's format), down the index idx_audit_logs_record_time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import literal, select
from sqlalchemy.dialects.postgresql import ARRAY

from crm_web.accounts.models import User
from crm_web.activities.models import Note, Task
from crm_web.audit.models import TIMELINE_RECORD_ID, TIMELINE_RECORD_TYPE, AuditLog
from crm_web.audit.services import HISTORY_KEY
from crm_web.contacts.models import Contact
from crm_web.core.db import db
from crm_web.core.repository import as_uuid, literal_limit
from crm_web.deals.models import Deal
from crm_web.lists import keyset
from crm_web.records.merge import MERGE_VIA, UNDO_VIA

# A record page opens on the newest 20 (about a screen); "Show older" appends 20 more. Fifty
# made a contact page ~6,000 px tall under its Tasks and Notes cards (and ~10 % of its CPU).
PAGE_SIZE = 20
BIGINT = range(-(2**63), 2**63)
# What every reader of a record sees on its timeline; its own field changes need audit.read.
ACTIVITY = ("task", "note")


@dataclass(frozen=True)
class Item:
    """One line of a timeline: the audit entry, who made it (a name, or None for a system id),
    the record it is on when that is not the page's own (("contact", id, "Zoe Zed") under a
    company's "with contacts and deals"), and the task's or note's text for their entries."""

    entry: AuditLog
    who: str | None
    on: tuple | None
    text: str | None

    @property
    def kind(self) -> str:
        """ "merge"/"unmerge" for the entry that stands for a duplicates merge or its undo
        (see is_merge_entry), else "task", "note" or "change"."""
        if is_merge_entry(self.entry):
            return "unmerge" if self.entry.via.startswith(UNDO_VIA) else "merge"
        return self.entry.entity_type if self.entry.entity_type in ACTIVITY else "change"

    @property
    def merge_id(self) -> str | None:
        """The merge this entry was part of (its audit tag "merge:<id>" or "undo:merge:<id>")."""
        via = self.entry.via or ""
        for prefix in (UNDO_VIA, MERGE_VIA):
            if via.startswith(prefix):
                return via[len(prefix) :]
        return None


def is_merge_entry(entry: AuditLog) -> bool:
    """Whether `entry` stands for a whole merge (or its undo) on a timeline: on a merged
    contact's, its archiving into the survivor; on the survivor's, the note the merge wrote
    (the merge may change none of its fields, but always writes that note)."""
    if not (entry.via or "").startswith((MERGE_VIA, UNDO_VIA)):
        return False
    if entry.entity_type == "contact":
        return "merged_into_id" in (entry.changes or {})
    return entry.entity_type == "note" and entry.action in ("create", "delete")


def _records(entity_type: str, record_id, related: bool):
    """The (type, id, label) of every record whose entries a company's timeline shows with its
    contacts and deals; None for one record alone (its entries are found without a join)."""
    if not related:
        return None
    own = select(
        literal(entity_type, sa.String).label("type"),
        # (a bound parameter when the statement is built once for every record: page_query)
        (
            record_id if isinstance(record_id, sa.ColumnElement) else literal(record_id, sa.Uuid)
        ).label("id"),
        sa.null().label("label"),
    )
    name = sa.func.concat_ws(" ", Contact.first_name, Contact.last_name)
    contacts = select(literal("contact", sa.String), Contact.id, name)
    deals = select(literal("deal", sa.String), Deal.id, Deal.title)
    return sa.union_all(
        own,
        contacts.where(Contact.company_id == record_id),
        deals.where(Deal.company_id == record_id),
    ).subquery("records")


def _text(entry: AuditLog, task, note) -> str | None:
    """A task's title or a note's text: as it is now, or as its last entry left it (deleted)."""
    if entry.entity_type == "task":
        return task if task is not None else (entry.changes or {}).get("description")
    if entry.entity_type == "note":
        return note if note is not None else (entry.changes or {}).get("content")
    return None


def _text_of(entity_type: str, model, column):
    """The task's title or the note's text of an entry about one: looked up only for those
    entries (a CASE), where an outer join probed both tables for every entry of the page."""
    found = select(column).where(model.id == AuditLog.entity_id).scalar_subquery()
    return sa.case((AuditLog.entity_type == entity_type, found))


def timeline_query(
    entity_type: str, record_id, bound: list | None, related: bool, activity_only: bool = False
):
    """The statement of one page: up to PAGE_SIZE + 1 rows older than `bound` (HISTORY_KEY
    values, or None), with who made each, a task's or note's text and the record it is on.
    A company's with its contacts and deals takes each record's newest rows down the index
    (a LATERAL subquery per record, none reading more than a page) and keeps the newest."""
    limit = literal_limit(PAGE_SIZE + 1)
    order = (AuditLog.timestamp.desc(), AuditLog.seq.desc())
    older = sa.true()
    if activity_only:  # tasks and notes, not the record's field changes (audit.read)
        # ... but a merged contact's archiving into the survivor, and back: the merge's entry.
        merged = AuditLog.via.startswith(MERGE_VIA) | AuditLog.via.startswith(UNDO_VIA)
        # (= ANY of an array, not IN: an IN list is rendered anew on every run, unprepared)
        activity = AuditLog.entity_type == sa.any_(literal(list(ACTIVITY), ARRAY(sa.String)))
        older = activity | (merged & AuditLog.changes.has_key("merged_into_id"))
    if bound is not None:
        values = sa.tuple_(literal(bound[0], sa.DateTime(timezone=True)), literal(int(bound[1])))
        older = older & (sa.tuple_(AuditLog.timestamp, AuditLog.seq) < values)
    query = select(
        AuditLog,
        User.name,
        _text_of("task", Task, Task.description),
        _text_of("note", Note, Note.content),
    ).outerjoin(User, sa.cast(User.id, sa.String) == AuditLog.user_id)
    records = _records(entity_type, record_id, related)
    if records is None:
        query = query.add_columns(sa.null(), sa.null(), sa.null()).where(
            entity_type == TIMELINE_RECORD_TYPE, record_id == TIMELINE_RECORD_ID, older
        )
    else:
        recent = (
            select(AuditLog.seq)
            .where(records.c.type == TIMELINE_RECORD_TYPE, records.c.id == TIMELINE_RECORD_ID)
            .where(older)
            .order_by(*order)
            .limit(limit)
            .lateral("recent")
        )
        picked = (
            select(records.c.type, records.c.id, records.c.label, recent.c.seq)
            .select_from(records.join(recent, sa.true()))
            .subquery("picked")
        )
        query = query.add_columns(picked.c.type, picked.c.id, picked.c.label).join(
            picked, picked.c.seq == AuditLog.seq
        )
    return query.order_by(*order).limit(limit)


def timeline_page(
    entity_type: str, record_id, before: str | None, related: bool, activity_only: bool = False
) -> dict:
    """Up to PAGE_SIZE items of a record's timeline, newest first, older than the cursor
    `before` (None, forged or out of range: the newest): {"items": [Item], "older": the next
    page's cursor or None}. The caller checks access."""
    record_id = as_uuid(record_id)
    bound = keyset.decode_cursor(before, HISTORY_KEY)
    if bound is not None and int(bound[1]) not in BIGINT:
        bound = None
    query = timeline_query(entity_type, record_id, bound, related, activity_only)
    return page_of(db.session.execute(query).all(), entity_type, record_id)


def page_of(rows, entity_type: str, record_id) -> dict:
    """timeline_page's answer from the rows of timeline_query (up to PAGE_SIZE + 1 of them):
    (entry, who, task, note, on_type, on_id, label), the entry an AuditLog or alike."""
    items = [_item(row, entity_type, record_id) for row in rows[:PAGE_SIZE]]
    older = None
    if len(rows) > PAGE_SIZE:
        last = items[-1].entry
        older = keyset.encode_cursor([last.timestamp, last.seq])
    return {"items": items, "older": older}


# The columns of audited records that hold another record's id, and that record's kind: their
# changes read with its name ("company from Acme to Initech"), not the id.
REFERENCES = {
    "company_id": "company",
    "contact_id": "contact",
    "merged_into_id": "contact",
    "owner_id": "user",
    "assignee_id": "user",
}


def referenced(items: list[Item]) -> set[tuple[str, str]]:
    """The (kind, id) of the records a page's entries refer to by id (REFERENCES, and where a
    task or note moved from or to): the names its card shows instead of the ids."""
    refs = set()
    for item in items:
        changes = item.entry.changes or {}
        if item.entry.action != "update":
            continue
        for column, kind in REFERENCES.items():
            refs.update((kind, value) for value in changes.get(column) or () if value)
        if item.entry.entity_type in ACTIVITY and "entity_id" in changes:
            kinds = changes.get("entity_type") or [item.entry.record_type] * 2
            refs.update((k, i) for k, i in zip(kinds, changes["entity_id"], strict=True) if k and i)
    return refs


def _item(row: Any, entity_type: str, record_id) -> Item:
    entry, who, task, note, on_type, on_id, label = row
    # (str: a record page's statement reads the ids as text, records.page_query)
    own = on_type is None or (on_type, str(on_id)) == (entity_type, str(record_id))
    on = None if own else row[4:]
    return Item(entry=entry, who=who, on=on and tuple(on), text=_text(entry, task, note))
