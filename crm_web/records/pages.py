"""Read models of the record pages: what a contact's, company's or deal's page gathers from
several areas (its deals, tasks, notes, custom fields and history). They sit above the areas'
services they combine, so no service has to call a higher area."""

from __future__ import annotations

from types import SimpleNamespace

from crm_web.activities.display import remember_assignees
from crm_web.activities.services import notes_for, tasks_for
from crm_web.audit.services import history_page
from crm_web.companies.services import company_view
from crm_web.contacts.services import contact_view, get_contacts_by_company
from crm_web.core.actor import Actor
from crm_web.core.db import db
from crm_web.core.errors import NotFoundError
from crm_web.core.permissions import allowed, authorize
from crm_web.core.repository import as_uuid
from crm_web.custom_fields.services import record_fields
from crm_web.deals.services import get_deal, related_deals
from crm_web.records import page_query
from crm_web.records.timeline import page_of, timeline_page


def contact_page(contact_id, actor: Actor) -> dict:
    """Everything the record page shows: the contact, its company, deals, tasks, notes, history
    (one statement: records.page_query). Those who read records."""
    authorize(actor, "records.read")
    activity_only = not allowed(actor, "audit.read")
    row, listed = _read(page_query.CONTACT[activity_only], contact_id, "contact")
    merged = row.merged_into
    return {
        "contact": row,
        "history": _first_timeline_page("contact", row.id, listed["timeline"], activity_only),
        "custom_fields": _fields(listed["definitions"], row),
        # A merged contact points to the one it was merged into (records/merge.py).
        "merged_into": SimpleNamespace(**merged) if merged else None,
        **_listed_related(listed),
        # Fields are displayed, not edited: an editor brings its own owner choices.
        "owners": (),
    }


def _read(query: page_query.PageQuery, record_id, entity_type: str):
    """The record's row and lists (query.run); NotFoundError when there is no such record.
    Remembers the users' names for the task rows and notes (activities.display)."""
    key = as_uuid(record_id)
    row, listed = query.run(db.session, key) if key else (None, {})
    if row is None:
        raise NotFoundError(entity_type, record_id)
    remember_assignees([(user.id, user.name) for user in listed["users"]])
    return row, listed


def _first_timeline_page(entity_type: str, record_id, rows, activity_only: bool) -> dict:
    """The Timeline card's first page from the JSON rows the page's statement read."""
    columns = page_query.AUDIT_COLUMNS
    rows = [
        (SimpleNamespace(**{name: item[name] for name in columns}),)
        + tuple(item[name] for name in page_query.TIMELINE_EXTRA)
        for item in (vars(row) for row in rows)
    ]
    page = page_of(rows, entity_type, record_id)
    return {**page, "related": False, "activity_only": activity_only}


def _fields(definitions, record) -> list:
    """custom_fields.services.record_fields from the definitions the page's statement read."""
    values = record.custom_fields or {}
    return [(definition, values.get(definition.name)) for definition in definitions]


def _listed_related(listed: dict) -> dict:
    """_related from the page's statement: up to RELATED_DEALS deals, whether there are more,
    the tasks and the notes."""
    deals = listed["deals"]
    return {
        "deals": deals[: page_query.RELATED_DEALS],
        "more_deals": len(deals) > page_query.RELATED_DEALS,
        "tasks": listed["tasks"],
        "notes": listed["notes"],
    }


def company_page(company_id, actor: Actor, related: bool = False) -> dict:
    """The record page: the company, its contacts, deals, tasks, notes and timeline (`related`:
    with its contacts' and deals' activity)."""
    row = company_view(company_id, actor)
    return {
        "company": row,
        "contacts": get_contacts_by_company(row.id),
        "history": _history_card("company", row.id, actor, related),
        "custom_fields": record_fields("company", row),
        **_related("company", row.id),
        # Fields are displayed, not edited: an editor brings its own owner choices.
        "owners": (),
    }


def deal_page(deal_id, actor: Actor) -> dict:
    """Everything the record page shows: the deal, its tasks, notes, custom fields and history."""
    deal = _deal_view(deal_id, actor)
    return {
        "deal": deal,
        "tasks": tasks_for("deal", deal.id),
        "notes": notes_for("deal", deal.id),
        "custom_fields": record_fields("deal", deal),
        "history": _history_card("deal", deal.id, actor),
    }


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
    return {**page, "related": related, "activity_only": activity_only}


def _history_card(entity_type: str, record_id, actor: Actor, related: bool = False) -> dict:
    """The Timeline card's first page (see timeline)."""
    related = related and entity_type == "company"
    activity_only = not allowed(actor, "audit.read")
    page = timeline_page(entity_type, record_id, None, related, activity_only)
    return {**page, "related": related, "activity_only": activity_only}


def _related(entity_type: str, entity_id) -> dict:
    """What a company or contact page lists beside its fields: deals, tasks and notes."""
    deals, more_deals = related_deals(entity_type, entity_id)
    return {
        "deals": deals,
        "more_deals": more_deals,
        "tasks": tasks_for(entity_type, entity_id),
        "notes": notes_for(entity_type, entity_id),
    }


def _deal_view(deal_id, actor: Actor):
    authorize(actor, "records.read")
    return get_deal(deal_id)


_VIEWS = {"contact": contact_view, "company": company_view, "deal": _deal_view}
