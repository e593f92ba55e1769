"""Read models of the record pages: what a contact's, company's or deal's page gathers from
several areas (its deals, tasks, notes, custom fields and history). They sit above the areas'
services they combine, so no service has to call a higher area."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from crm_web.accounts.models import SignedInUser
from crm_web.accounts.services import get_signed_in_row
from crm_web.activities.display import remember_assignees
from crm_web.activities.services import (
    first_page,
    record_list_page,
    record_names,
    signed_in_user_with_due_count,
)
from crm_web.audit.services import history_page
from crm_web.companies.services import company_view
from crm_web.contacts.services import contact_view
from crm_web.core.actor import Actor
from crm_web.core.errors import NotFoundError
from crm_web.core.permissions import allowed, authorize
from crm_web.core.repository import as_uuid
from crm_web.deals.pipeline import list_filter_choices
from crm_web.deals.services import get_deal
from crm_web.records import page_query
from crm_web.records.merge_undo import merges_on
from crm_web.records.timeline import page_of, referenced, timeline_page


def contact_page(contact_id, actor: Actor, read_with_user=None) -> dict:
    """Everything the record page shows: the contact, its company, deals, tasks, notes, history
    (one statement: records.page_query), or what the signed-in user's statement read of it
    (`read_with_user`: signed_in_with_record_page's). Those who read records."""
    authorize(actor, "records.read")
    activity_only = not allowed(actor, "audit.read")
    row, listed = _read(page_query.CONTACT[activity_only], contact_id, "contact", read_with_user)
    merged = row.merged_into
    return {
        "contact": row,
        "history": _first_timeline_page(
            "contact", row.id, listed["timeline"], activity_only, actor
        ),
        "custom_fields": _fields(listed["definitions"], row),
        # A merged contact points to the one it was merged into (records/merge.py).
        "merged_into": SimpleNamespace(**merged) if merged else None,
        **_listed_related(listed),
    }


def _read(query: page_query.PageQuery, record_id, entity_type: str, read_with_user=None):
    """The record's row and lists (query.run, or `read_with_user` when the signed-in user's
    statement read them); NotFoundError when there is no such record. Remembers the users'
    names for the task rows and notes (activities.display)."""
    key = as_uuid(record_id)
    if read_with_user is not None:
        row, listed = read_with_user
    else:
        row, listed = query.run(key) if key else (None, {})
    if row is None:
        raise NotFoundError(entity_type, record_id)
    remember_assignees([(user.id, user.name) for user in listed["users"]])
    return row, listed


def _first_timeline_page(
    entity_type: str, record_id, rows, activity_only: bool, actor: Actor
) -> dict:
    """The Timeline card's first page from the JSON rows the page's statement read (_card).
    Each row stands for its audit entry as it is (it has the entry's columns, and the extra
    ones beside them): no copy of 50 entries."""
    rows = [(row, row.who, row.task, row.note, row.on_type, row.on_id, row.label) for row in rows]
    return _card(page_of(rows, entity_type, record_id), actor, False, activity_only)


def _card(page: dict, actor: Actor, related: bool, activity_only: bool) -> dict:
    """A Timeline card's page with what its entries show beside them: the names of the records
    they refer to by id (archived ones too) and the merges they stand for (records.merge_undo)."""
    items = page["items"]
    return {
        **page,
        "names": record_names(referenced(items), actor, archived=True),
        "merges": merges_on(items, actor),
        "related": related,
        "activity_only": activity_only,
    }


def _fields(definitions, record) -> list:
    """custom_fields.services.record_fields from the definitions the page's statement read."""
    values = record.custom_fields or {}
    return [(definition, values.get(definition.name)) for definition in definitions]


def _listed_related(listed: dict) -> dict:
    """What a company or contact page lists beside its fields, from its statement: up to
    RELATED_DEALS deals, whether there are more, and the first of its tasks and notes."""
    deals = listed["deals"]
    return {
        "deals": deals[: page_query.RELATED_DEALS],
        "more_deals": len(deals) > page_query.RELATED_DEALS,
        **_attachments(listed),
    }


def _attachments(listed: dict) -> dict:
    """The Tasks card's first open and done tasks and the Notes card's first notes, each with
    its "Show more" cursor (activities.services.first_page)."""
    return {
        "tasks": {name: first_page(name, listed[name]) for name in ("open", "done")},
        "notes": first_page("notes", listed["notes"]),
    }


def attached_page(entity_type: str, record_id, name: str, actor: Actor, after: str | None):
    """The next page of a record's open or done tasks or its notes (`name`), past the cursor
    `after`: what "Show more" appends (activities.services.record_list_page). Readers of the
    record."""
    record = _VIEWS[entity_type](record_id, actor)  # checks records.read
    return record_list_page(name, entity_type, record.id, after)


def company_page(company_id, actor: Actor, related: bool = False, read_with_user=None) -> dict:
    """The record page: the company, its contacts, deals, tasks, notes and timeline (`related`:
    with its contacts' and deals' activity), in one statement (records.page_query), or as
    contact_page's `read_with_user`. Readers."""
    authorize(actor, "records.read")
    activity_only = not allowed(actor, "audit.read")
    query = page_query.COMPANY[activity_only, bool(related)]
    row, listed = _read(query, company_id, "company", read_with_user)
    history = _first_timeline_page("company", row.id, listed["timeline"], activity_only, actor)
    return {
        "company": row,
        "contacts": listed["contacts"],
        "history": {**history, "related": bool(related)},
        "custom_fields": _fields(listed["definitions"], row),
        **_listed_related(listed),
    }


def deal_page(deal_id, actor: Actor, read_with_user=None) -> dict:
    """Everything the record page shows: the deal, its tasks, notes, custom fields and history,
    in one statement (records.page_query), or as contact_page's `read_with_user`. Readers."""
    authorize(actor, "records.read")
    activity_only = not allowed(actor, "audit.read")
    row, listed = _read(page_query.DEAL[activity_only], deal_id, "deal", read_with_user)
    values = row._asdict()
    # The deal as its templates read it: its columns, and its company, contact and owner.
    deal = SimpleNamespace(
        **{name: values[name] for name in page_query.DEAL_COLUMNS},
        **{name: SimpleNamespace(**values[name]) if values[name] else None for name in NAMED},
    )
    return {
        "deal": deal,
        **_attachments(listed),
        "custom_fields": _fields(listed["definitions"], deal),
        "history": _first_timeline_page("deal", deal.id, listed["timeline"], activity_only, actor),
    }


NAMED = ("company", "contact", "owner")


def history(entity_type: str, record_id, actor: Actor, before: str | None = None) -> dict:
    """One page of a record's own audit trail (see audit.services.history_page), newest first,
    as the API serves it (the record page's card is its `timeline`). Managers and admins
    (audit.read)."""
    authorize(actor, "audit.read")
    record = _VIEWS[entity_type](record_id, actor)
    return history_page(entity_type, record.id, actor, before=before)


def timeline(
    entity_type: str, record_id, actor: Actor, before: str | None = None, related: bool = False
) -> dict:
    """One page of a record's Timeline card, newest first: its tasks' and notes' activity for
    everyone who reads records, and its field changes for those who read the audit trail
    (managers and admins: audit logs may hold sensitive values, seed 004)
    (records.timeline.timeline_page); a company's contacts' and deals' with `related`."""
    record = _VIEWS[entity_type](record_id, actor)  # checks records.read
    related = related and entity_type == "company"
    activity_only = not allowed(actor, "audit.read")
    page = timeline_page(entity_type, record.id, before, related, activity_only)
    return _card(page, actor, related, activity_only)


def _deal_view(deal_id, actor: Actor):
    authorize(actor, "records.read")
    return get_deal(deal_id)


_VIEWS = {"contact": contact_view, "company": company_view, "deal": _deal_view}


def related_timeline(args) -> bool:
    """Does a company page's query string ask for its Timeline with its contacts' and deals'
    activity (?timeline=all)?"""
    return args.get("timeline") == "all"


def signed_in_with_record_page(
    kind: str, record_id, related: bool, user_id, session_version: int, now=None
):
    """The session's user (accounts' SignedInUser with the nav badge's due count; None when the
    session is no longer valid) and its full record page's row and lists, read in one
    statement (page_query.PageWithUser), for web.py's loader: ((kind, id, related), (row,
    lists)) for the page's view (record_views.page_read_with_user) to take. Only reading:
    the view checks access before it shows any of it. A `record_id` that is no id reads the
    user alone (the view answers 404)."""
    now = now or dt.datetime.now(dt.UTC)
    key = as_uuid(record_id)
    if key is None:
        return signed_in_user_with_due_count(user_id, session_version, now), None
    query = page_query.WITH_USER[kind, related]
    row = get_signed_in_row(user_id, session_version, query.statement, {"now": now, "id": key})
    if row is None:
        return None, None
    user, page = query.read(row)
    return SignedInUser(*user), ((kind, key, related), page)


def list_pickers(read_with_user: dict | None) -> dict:
    """A full list page's filter pickers ({"owners": (id, name), "stages": names}): those its
    signed-in user's statement read (web.LISTS_WITH_PICKERS), else read now."""
    return read_with_user or list_filter_choices()
