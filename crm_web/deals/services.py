"""Deals and the pipeline they move through."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_web.accounts.services import check_user_id, owner_id_for
from crm_web.audit.services import change_since
from crm_web.companies.services import check_company_id, company_name
from crm_web.contacts.services import get_contact
from crm_web.core import lifecycle
from crm_web.core import validation as v
from crm_web.core.actor import Actor
from crm_web.core.db import transaction
from crm_web.core.errors import NotFoundError, ValidationError
from crm_web.core.permissions import authorize
from crm_web.custom_fields.services import checked_with_custom_fields
from crm_web.deals import repository as repo
from crm_web.deals.models import Deal, PipelineStage


def _stage(value) -> PipelineStage:
    stage = repo.get_stage_by_name(v.text(value, 100))
    if stage is None:
        names = ", ".join(s.name for s in repo.list_stages())
        raise v.FieldError(f"{value!r} is not a pipeline stage (one of: {names}).")
    return stage


def _clean(data: dict, existing: Deal | None = None) -> dict:
    creating = existing is None
    check = v.Checker(data)
    if creating or check.has("title"):
        check.field("title", v.text, 255, required=True)
    if creating or check.has("company_id"):
        check.field("company_id", check_company_id, required=True)
    if creating or check.has("value"):
        check.field("value", v.money, required=True)
    check.field("currency", v.currency)
    stage = None
    if creating or check.has("stage"):
        stage = check.field("stage", _stage, required=True)
    check.field("probability", v.integer, 0, 100)
    check.field("close_date", v.date)
    check.field("contact_id", v.uuid_value)
    check.field("owner_id", check_user_id)
    clean = checked_with_custom_fields(check, "deal", data, existing)

    if stage is not None:
        clean["stage"] = stage.name
        # A new deal, or one moved to another stage, takes the stage's probability unless given.
        if "probability" not in clean and (creating or stage.name != existing.stage):
            clean["probability"] = stage.default_probability
    if clean.get("contact_id"):
        company_id = clean.get("company_id") or (existing.company_id if existing else None)
        contact = _find_contact(get_contact, clean["contact_id"])
        if contact is None:
            raise ValidationError({"contact_id": ["No such contact."]})
        if contact.company_id != company_id:
            raise ValidationError(
                {"contact_id": ["The contact must belong to the deal's company."]}
            )
    elif "contact_id" not in clean and existing is not None and existing.contact_id:
        # Moving a deal to another company must not keep a contact of the old one.
        contact = _find_contact(get_contact, existing.contact_id)
        if clean.get("company_id") and contact and contact.company_id != clean["company_id"]:
            raise ValidationError(
                {"company_id": ["The deal's contact works elsewhere: change or clear it too."]}
            )
    return clean


def _find_contact(get_contact, contact_id):
    try:
        return get_contact(contact_id)
    except NotFoundError:
        return None


def create_deal(data: dict, actor: Actor) -> Deal:
    """Create a deal in a pipeline stage. Editors."""
    authorize(actor, "records.create")
    clean = _clean(data)
    clean.setdefault("owner_id", owner_id_for(actor))
    return lifecycle.create_record(Deal, clean, actor)


def get_deal(deal_id) -> Deal:
    return lifecycle.found(repo.get_deal(deal_id), "deal", deal_id)


def list_deals(filters: dict | None = None, limit: int = 50, offset: int = 0) -> list[Deal]:
    return repo.list_deals(filters or {}, limit, offset)


def field_change_since(deal, field: str, seen, actor: Actor) -> dict | None:
    """How `field` of `deal` changed since the version `seen` a page was drawn from
    (audit.services.change_since; a company as its name); None if it did not. Readers."""
    authorize(actor, "records.read")
    change = change_since("deal", deal.id, seen, deal.version, (field,))
    if change and field == "company_id":
        change.update(old=company_name(change["old"]), new=company_name(change["new"]))
    return change


def get_deals_by_company(company_id, *, include_archived: bool = False) -> list[Deal]:
    return repo.deals_of_company(company_id, include_archived=include_archived)


def get_deals_by_contact(contact_id) -> list[Deal]:
    """Every deal of a contact, archived ones too."""
    return repo.deals_of_contact(contact_id)


RELATED_LIMIT = 20


def related_deals(entity_type: str, entity_id) -> tuple[list[Deal], bool]:
    """The live deals a company or contact page lists, and whether there are more."""
    deals = repo.related_deals(entity_type, entity_id, RELATED_LIMIT + 1)
    return deals[:RELATED_LIMIT], len(deals) > RELATED_LIMIT


def list_stages() -> list[PipelineStage]:
    return repo.list_stages()


def update_deal(deal_id, data: dict, actor: Actor, expected_version=None) -> Deal:
    """Change the fields present in `data`; a stale `expected_version` raises ConflictError."""
    return lifecycle.update_record(
        _locked, deal_id, lambda deal: _clean(data, deal), actor, expected_version
    )


def archive_deal(deal_id, actor: Actor, expected_version=None, *, version_required=False) -> Deal:
    """Archive a deal (off the board, lists and totals). Its owner, managers and admins.
    A form says `version_required`: without the version it saw, nothing changes (422)."""
    if version_required:
        lifecycle.require_version(expected_version)
    return _set_archived(deal_id, actor, datetime.now(UTC), expected_version)


def restore_deal(
    deal_id, actor: Actor, expected_version=None, *, version_required=False, must_change=False
) -> Deal:
    """Bring an archived deal back (see archive_deal). `must_change`: one that is not archived
    raises ValidationError instead of being "restored" as it is."""
    if version_required:
        lifecycle.require_version(expected_version)
    return lifecycle.set_archived(
        _locked, deal_id, actor, None, expected_version, must_change=must_change
    )


def lock_deal(deal_id) -> Deal:
    """The deal, locked (FOR UPDATE) until the transaction ends; NotFoundError if none."""
    return _locked(deal_id)


def remove_deals(deals: list[Deal], actor: Actor) -> None:
    """Delete these deal rows alone. Only records.operations calls it, after removing their
    tasks and notes. Admins only."""
    authorize(actor, "records.purge")
    with transaction(actor) as session:
        for deal in deals:
            session.delete(deal)
        session.flush()


def unlink_contact(contact_id, actor: Actor) -> None:
    """Part of deleting a contact: its deals stay, without the contact."""
    with transaction(actor) as session:
        for deal in repo.deals_of_contact(contact_id):
            deal.contact_id = None
            deal.updated_by = actor.id
        session.flush()


def move_contact_deals(from_id, to_id, actor: Actor) -> int:
    """Part of merging contacts (records.merge): the deals of `from_id` become `to_id`'s.
    The caller holds the transaction and has checked the permission. Returns how many."""
    with transaction(actor) as session:
        deals = repo.deals_of_contact(from_id)
        for deal in deals:
            deal.contact_id = to_id
            deal.updated_by = actor.id
        session.flush()
    return len(deals)


def lock_deals(ids) -> dict:
    """{id as text: deal} of those of `ids` that still exist, locked in id order (undoing a
    merge checks where each is now before moving it back)."""
    found = (repo.get_deal(i, for_update=True) for i in sorted({str(i) for i in ids}))
    return {str(deal.id): deal for deal in found if deal is not None}


def set_deal_contacts(deals: dict, contact_ids: dict, actor: Actor) -> None:
    """Part of undoing a merge (records.merge): each deal of `deals` ({id: locked deal}) takes
    the contact `contact_ids[id]` again. The caller holds the transaction and checked rights."""
    with transaction(actor) as session:
        for deal_id, deal in deals.items():
            deal.contact_id = contact_ids[deal_id]
            deal.updated_by = actor.id
        session.flush()


def _set_archived(deal_id, actor: Actor, when, expected_version) -> Deal:
    return lifecycle.set_archived(_locked, deal_id, actor, when, expected_version)


def _locked(deal_id) -> Deal:
    return lifecycle.locked(repo.get_deal, "deal", deal_id)


def move_deal(deal_id, stage: str, actor: Actor, expected_version) -> Deal:
    """Move a deal to another stage (the board's drag and keys); it takes the stage's default
    probability. A stale `expected_version` raises ConflictError, a missing one ValidationError;
    either changes nothing."""
    lifecycle.require_version(expected_version, "stage")
    return update_deal(deal_id, {"stage": stage}, actor, expected_version)


# Fields of a deal the record page edits in place.
EDITABLE_FIELDS = (
    "title",
    "company_id",
    "contact_id",
    "value",
    "currency",
    "stage",
    "probability",
    "close_date",
    "owner_id",
)


def update_deal_field(deal_id, field: str, value, actor: Actor, expected_version) -> Deal:
    """Click-to-edit: change one field, with the version the user saw (without it: 422, nothing
    changes). Moving a deal to another company drops its contact (a deal's contact must work
    for the deal's company). Editors."""
    if field not in EDITABLE_FIELDS:
        raise NotFoundError("deal field", field)
    lifecycle.require_version(expected_version, field)
    data = {field: value}
    if field == "company_id":
        current = get_deal(deal_id)
        if current.contact_id and str(current.company_id) != str(value).strip():
            data["contact_id"] = None
    return update_deal(deal_id, data, actor, expected_version)


def my_open_deals(actor: Actor, limit: int = 5) -> list[Deal]:
    """The actor's open deals closing soonest (their home page). Everyone who may read."""
    authorize(actor, "records.read")
    return repo.open_deals_of_owner(actor.id, limit)


def deals_for_export(filters: dict, actor: Actor):
    """Every deal the list's filters select, as (deal, company, contact, owner email), streamed.
    Those who may export (data.export)."""
    authorize(actor, "data.export")
    return repo.export_rows(filters)
