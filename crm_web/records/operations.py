"""Operations that change records of several areas at once: deleting a record for good with
what hangs on it, and a new deal with its follow-up tasks (the new-deal form skips its blank
task rows and maps errors back to them: deals/forms.py). Each is one transaction (the nested
`transaction` of core.db): all of it happens, or none."""

from __future__ import annotations

from crm_web.activities.services import create_task, delete_attachments
from crm_web.companies.services import lock_company, remove_company
from crm_web.contacts.services import lock_contact, remove_contact, unlink_company
from crm_web.core.actor import Actor
from crm_web.core.db import transaction
from crm_web.core.errors import ValidationError
from crm_web.core.permissions import authorize
from crm_web.deals.models import Deal
from crm_web.deals.services import (
    create_deal,
    get_deals_by_company,
    lock_deal,
    remove_deals,
    unlink_contact,
)


def delete_contact(contact_id, actor: Actor) -> None:
    """Delete for good: its tasks and notes go, its deals lose the link. Admins only."""
    authorize(actor, "records.purge")
    with transaction(actor):
        contact = lock_contact(contact_id)
        delete_attachments("contact", [contact.id])
        unlink_contact(contact.id, actor)
        remove_contact(contact.id, actor)


def delete_company(company_id, actor: Actor) -> None:
    """Delete for good: its deals (and their tasks and notes) go with it, its contacts stay
    without a company. Every change is audited. Admins only."""
    authorize(actor, "records.purge")
    with transaction(actor):
        company = lock_company(company_id)
        _delete_deals(get_deals_by_company(company.id, include_archived=True), actor)
        unlink_company(company.id, actor)
        delete_attachments("company", [company.id])
        remove_company(company.id, actor)


def delete_deal(deal_id, actor: Actor) -> None:
    """Delete for good, with its tasks and notes. Admins only."""
    authorize(actor, "records.purge")
    with transaction(actor):
        _delete_deals([lock_deal(deal_id)], actor)


def _delete_deals(deals: list[Deal], actor: Actor) -> None:
    delete_attachments("deal", [deal.id for deal in deals])
    remove_deals(deals, actor)


def create_deal_with_tasks(deal_data: dict, tasks: list[dict], actor: Actor) -> Deal:
    """Create a deal and its follow-up tasks in one transaction: all of them or none.
    Task errors come back keyed `tasks.<n>.<field>`."""
    with transaction(actor):
        deal = create_deal(deal_data, actor)
        errors: dict[str, list[str]] = {}
        for index, task in enumerate(tasks):
            try:
                create_task({**task, "entity_type": "deal", "entity_id": deal.id}, actor)
            except ValidationError as exc:
                for field, messages in exc.fields.items():
                    errors[f"tasks.{index}.{field}"] = messages
        if errors:
            raise ValidationError(errors, "A follow-up task is not valid; nothing was saved.")
    return deal
