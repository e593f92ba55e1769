"""Undoing a duplicates merge (issue 14) from the survivor's or a merged contact's timeline.

What a merge did is its audit trail: every change it made is tagged `via merge:<id>`
(records.merge), so nothing else is stored. Undo reads those rows and, in one transaction tagged
`via undo:merge:<id>`, gives the survivor back its fields, emails, phones and custom values as
they were, moves each deal, task and note back to the contact it came from, deletes the note the
merge wrote and restores the merged contacts. It refuses (UndoRefused) when it was undone
already, or when one of those records changed since in a way undo would overwrite."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from crm_web.activities.services import lock_activities, set_activity_records
from crm_web.audit.services import entries_via, vias_present
from crm_web.contacts.services import (
    contacts_by_id,
    differs_from,
    lock_merged,
    unabsorb_contacts,
)
from crm_web.core.actor import Actor
from crm_web.core.db import transaction
from crm_web.core.errors import ConflictError, NotFoundError
from crm_web.core.permissions import allowed, authorize, may_archive
from crm_web.deals.services import lock_deals, set_deal_contacts
from crm_web.records.merge import MERGE_VIA, UNDO_VIA


class UndoRefused(ConflictError):
    """The merge can't be undone: `undone` ({"who", "when"}) when it was already, or `changed`
    (what changed since, see _changed_since) when undo would overwrite it. The view words it."""

    def __init__(self, survivor, undone: dict | None = None, changed: list | None = None):
        super().__init__(None, "This merge can't be undone.")
        self.survivor = survivor  # the survivor's contact (None when it was deleted)
        self.undone = undone
        self.changed = changed or []


@dataclass
class Plan:
    """What merge `merge_id` changed, read back from its audit rows."""

    merge_id: str
    survivor: str = ""
    losers: list = field(default_factory=list)
    # The survivor's fields: as they were before the merge and as it left them.
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    # {id: (contact it came from, the survivor)} of the deals moved; tasks' and notes' records.
    deals: dict = field(default_factory=dict)
    activities: dict = field(default_factory=lambda: {"task": {}, "note": {}})
    # {id: content} of the notes the merge wrote.
    created: dict = field(default_factory=dict)


def read_plan(merge_id) -> Plan:
    """The merge's changes from its audit rows; NotFoundError when none bear its id."""
    plan = Plan(merge_id=str(merge_id))
    for entry, _ in entries_via(f"{MERGE_VIA}{merge_id}"):
        changes, key = entry.changes or {}, str(entry.entity_id)
        if entry.entity_type == "contact" and "merged_into_id" in changes:
            plan.losers.append(key)
            plan.survivor = changes["merged_into_id"][1]
        elif entry.entity_type == "contact" and entry.action == "update":
            for name, (old, new) in changes.items():
                plan.before.setdefault(name, old)
                plan.after[name] = new
        elif entry.entity_type == "deal" and "contact_id" in changes:
            plan.deals[key] = tuple(changes["contact_id"])
        elif entry.entity_type in ("task", "note") and entry.action == "update":
            kinds = changes.get("entity_type") or [entry.record_type] * 2
            ids = changes.get("entity_id") or [None, None]
            plan.activities[entry.entity_type][key] = ((kinds[0], ids[0]), (kinds[1], ids[1]))
        elif entry.entity_type == "note" and entry.action == "create":
            plan.created[key] = changes.get("content")
    if not plan.survivor:
        raise NotFoundError("merge", merge_id)
    return plan


def undo_merge(merge_id, actor: Actor) -> dict:
    """Undo merge `merge_id` in one transaction (see the module's docstring): {"survivor",
    "restored": the contacts merged into it, back}. The same rights as merging: editors who
    may archive every contact of it (managers and admins any, reps their own), else
    PermissionDenied; UndoRefused when it was undone already or something it would overwrite
    changed since; NotFoundError for an id no merge had."""
    authorize(actor, "records.update")
    through = Actor(id=actor.id, role=actor.role, name=actor.name, via=f"{UNDO_VIA}{merge_id}")
    with transaction(through):
        plan = read_plan(merge_id)
        try:
            contacts = {str(c.id): c for c in lock_merged([plan.survivor, *plan.losers], through)}
        except NotFoundError as exc:
            gone = {"type": "contact", "id": str(exc.entity_id), "name": None, "what": "deleted"}
            raise UndoRefused(None, changed=[gone]) from exc
        survivor = contacts[plan.survivor]
        undone = entries_via(f"{UNDO_VIA}{merge_id}")
        if undone:
            entry, who = undone[0]
            raise UndoRefused(survivor, undone={"who": who, "when": entry.timestamp})
        deals = lock_deals(plan.deals)
        items = {kind: lock_activities(kind, moved) for kind, moved in plan.activities.items()}
        created = lock_activities("note", plan.created)
        changed = _changed_since(plan, contacts, deals, items, created)
        if changed:
            raise UndoRefused(survivor, changed=changed)
        restored = [contacts[i] for i in plan.losers]
        unabsorb_contacts(survivor, restored, plan.before, through)
        set_deal_contacts(deals, {k: _uuid(old) for k, (old, _) in plan.deals.items()}, through)
        for kind, moved in items.items():
            back = {k: (old[0], _uuid(old[1])) for k, (old, _) in plan.activities[kind].items()}
            set_activity_records(moved, back, through)
        set_activity_records(created, dict.fromkeys(created), through)
    return {"survivor": survivor, "restored": restored}


def _uuid(value):
    return None if value is None else uuid.UUID(str(value))


def _changed_since(plan: Plan, contacts: dict, deals: dict, items: dict, created: dict) -> list:
    """What changed since the merge that undo would overwrite, each {"type", "id", "name",
    "what"}: "what" a changed field's name with "now" its value; "restored" (a merged contact
    no longer archived into the survivor); "moved" (a deal, task or note hanging elsewhere);
    "deleted"; "edited" (the note the merge wrote)."""
    survivor = contacts[plan.survivor]
    changed = [
        {
            "type": "contact",
            "id": plan.survivor,
            "name": survivor.full_name,
            "what": name,
            "now": getattr(survivor, name),
        }
        for name in differs_from(survivor, plan.after)
    ]
    for key in plan.losers:
        loser = contacts[key]
        if loser.archived_at is None or str(loser.merged_into_id) != plan.survivor:
            changed.append(
                {"type": "contact", "id": key, "name": loser.full_name, "what": "restored"}
            )
    for key, (_, moved_to) in plan.deals.items():
        deal = deals.get(key)
        if deal is None or str(deal.contact_id) != str(moved_to):
            what = "deleted" if deal is None else "moved"
            changed.append({"type": "deal", "id": key, "name": deal and deal.title, "what": what})
    for kind, moved in plan.activities.items():
        for key, (_, (to_type, to_id)) in moved.items():
            item = items[kind].get(key)
            if item is None or (item.entity_type, str(item.entity_id)) != (to_type, str(to_id)):
                name = item and (item.description if kind == "task" else item.content)
                what = "deleted" if item is None else "moved"
                changed.append({"type": kind, "id": key, "name": name, "what": what})
    for key, content in plan.created.items():
        if key in created and created[key].content != content:
            changed.append({"type": "note", "id": key, "name": content, "what": "edited"})
    return changed


def merges_on(items, actor: Actor) -> dict:
    """The merges a page of a timeline shows (items tagged merge:<id> or undo:merge:<id>):
    {merge id: {"survivor": contact, "merged": [contacts merged into it], "undone": bool,
    "may_undo": bool}} (may_undo: the actor has the rights to merge them all and it was not
    undone). A merge whose contacts are gone (purged) is left out. Readers."""
    ids = {item.merge_id for item in items if item.kind in ("merge", "unmerge")}
    if not ids:
        return {}
    undone = vias_present([f"{UNDO_VIA}{i}" for i in ids])
    plans = [plan for plan in map(_plan_or_none, ids) if plan]
    contacts = contacts_by_id({i for plan in plans for i in (plan.survivor, *plan.losers)})
    states = {}
    for plan in plans:
        if not all(i in contacts for i in (plan.survivor, *plan.losers)):
            continue  # purged
        survivor, merged = contacts[plan.survivor], [contacts[i] for i in plan.losers]
        state = {"survivor": survivor, "merged": merged}
        state["undone"] = f"{UNDO_VIA}{plan.merge_id}" in undone
        state["may_undo"] = (
            not state["undone"]
            and allowed(actor, "records.update")
            and all(may_archive(actor, c) for c in (survivor, *merged))
        )
        states[plan.merge_id] = state
    return states


def _plan_or_none(merge_id) -> Plan | None:
    try:
        return read_plan(merge_id)
    except NotFoundError:  # its rows gone with audit retention
        return None
