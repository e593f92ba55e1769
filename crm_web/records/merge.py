"""Merging duplicate contacts (issue 14): the side-by-side read model of two or more contacts,
and the merge itself, one transaction: the survivor takes the chosen value of each field and
every email and phone; the deals, tasks and notes of the others move to it; the others are
archived pointing to it (merged_into_id); a note on the survivor says who was merged in. The
audit hook records every one of those changes, each tagged `via merge:<id>`: that is how the
survivor's and the others' timelines show the merge, and how records.merge_undo undoes it."""

from __future__ import annotations

import uuid

from crm_web.activities.services import create_note, move_activities, tasks_for
from crm_web.activities.services import notes_for as notes_of
from crm_web.companies.services import company_name
from crm_web.contacts.services import (
    MERGE_FIELDS,
    absorb_contacts,
    contact_view,
    lock_for_merge,
)
from crm_web.core.actor import Actor
from crm_web.core.db import transaction
from crm_web.core.errors import ValidationError
from crm_web.core.permissions import authorize, may_archive
from crm_web.deals.services import get_deals_by_contact, move_contact_deals

MAX_MERGED = 5
# The tag (audit_logs.via) of every change one merge makes, and of those its undo makes.
MERGE_VIA = "merge:"
UNDO_VIA = "undo:merge:"


def _ids(ids) -> list[str]:
    unique = list(dict.fromkeys(str(i) for i in ids if i))
    if not 2 <= len(unique) <= MAX_MERGED:
        raise ValidationError({"ids": [f"Choose 2 to {MAX_MERGED} contacts to merge."]})
    return unique


def merge_view(ids, actor: Actor) -> dict:
    """The contacts side by side: each with its fields, how many deals, tasks and notes it
    has, and whether the actor may merge it. Readers."""
    authorize(actor, "records.read")
    records = []
    for contact_id in _ids(ids):
        row = contact_view(contact_id, actor)
        records.append(
            {
                "contact": row,
                "deals": len(get_deals_by_contact(row.id)),
                "tasks": len(tasks_for("contact", row.id)),
                "notes": len(notes_of("contact", row.id)),
                "may_merge": may_archive(actor, row),
            }
        )
    # The oldest first: the one kept unless the user chooses another.
    records.sort(key=lambda record: record["contact"].created_at)
    return {"records": records, "fields": MERGE_FIELDS}


def merge_contacts(survivor_id, ids, choices: dict, versions: dict, actor: Actor):
    """Merge `ids` into `survivor_id`: `choices` {field: id of the contact whose value it
    keeps} (the survivor's when absent), `versions` {id: version shown}. A contact changed
    since raises ConflictError; one the actor may not archive PermissionDenied. Editors:
    managers and admins any contacts, reps only contacts they own."""
    ids = _ids([survivor_id, *ids])
    via = f"{MERGE_VIA}{uuid.uuid4()}"
    actor = Actor(id=actor.id, role=actor.role, name=actor.name, via=via)
    with transaction(actor):
        contacts = {str(c.id): c for c in lock_for_merge(ids, versions, actor)}
        survivor = contacts[str(survivor_id)]
        others = [contacts[i] for i in ids if i != str(survivor_id)]
        chosen = {}
        for field in MERGE_FIELDS:
            source = contacts.get(str(choices.get(field) or survivor_id))
            if source is None:
                raise ValidationError({field: ["Choose one of the merged contacts' values."]})
            chosen[field] = getattr(source, field)
        absorb_contacts(survivor, others, chosen, actor)
        for other in others:
            move_contact_deals(other.id, survivor.id, actor)
            move_activities("contact", other.id, survivor.id, actor)
        names = ", ".join(f"{o.first_name} {o.last_name}".strip() for o in others)
        company = company_name(survivor.company_id)
        create_note(
            {
                "entity_type": "contact",
                "entity_id": survivor.id,
                "content": f"Merged {names} into this contact"
                + (f" ({company})." if company else "."),
            },
            actor,
        )
    return survivor
