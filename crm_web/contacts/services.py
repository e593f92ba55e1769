"""Contacts: create, read, update, archive and delete, with validation and permissions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app

from crm_web.accounts.services import active_users, check_user_id, owner_id_for
from crm_web.audit.services import change_since
from crm_web.companies.services import check_company_id, company_id_check, company_name
from crm_web.contacts import repository as repo
from crm_web.contacts.models import Contact
from crm_web.core import lifecycle
from crm_web.core import validation as v
from crm_web.core.actor import Actor
from crm_web.core.audit import to_json
from crm_web.core.batch import insert_records
from crm_web.core.db import transaction
from crm_web.core.errors import (
    ConflictError,
    DuplicateError,
    NotFoundError,
    ValidationError,
)
from crm_web.core.permissions import authorize, authorize_archive, authorize_reassign
from crm_web.core.repository import list_extras
from crm_web.custom_fields.services import (
    checked_with_custom_fields,
    plain_definitions,
)
from crm_web.lists import keyset


def _clean(data: dict, existing: Contact | None = None, batch: dict | None = None) -> dict:
    """Validated values for the fields present in `data` (all required ones on create). A
    `batch` (check_contacts) runs the same checks with what every row shares read once."""
    batch = batch or {}
    creating = existing is None
    check = v.Checker(data)
    for name in ("first_name", "last_name"):
        if creating or check.has(name):
            check.field(name, v.text, 255, required=True)
    check.field("job_title", v.text, 255)
    check.field("emails", v.listed, v.email)
    region = batch.get("phone_region") or current_app.config.get("DEFAULT_PHONE_REGION", "US")
    check.field("phones", v.listed, v.phone, region)
    check.field("company_id", batch.get("company_id", check_company_id))
    check.field("owner_id", batch.get("owner_id", check_user_id))
    definitions = batch.get("definitions")
    clean = checked_with_custom_fields(check, "contact", data, existing, definitions)
    return clean


def create_contact(data: dict, actor: Actor, *, refuse_duplicates: bool = False) -> Contact:
    """Create a contact. Editors (admin, manager, rep). With `refuse_duplicates` (a person at
    the create form, until they confirm), an email (in any case) or phone another live contact
    has raises DuplicateError naming it. Imports, demo data and tests create what they're given."""
    authorize(actor, "records.create")
    clean = _clean(data)
    if refuse_duplicates:
        _refuse_duplicates(clean)
    clean.setdefault("owner_id", owner_id_for(actor))
    return lifecycle.create_record(Contact, clean, actor)


def check_contacts(
    rows: list[dict], actor: Actor, shared: dict | None = None
) -> list[dict | ValidationError]:
    """Each input checked as create_contact checks it: its clean values (owner defaulted), or
    the ValidationError refusing it, in input order. For batches (imports, API bulk), which
    then add the clean ones with insert_contacts. Editors. `shared` (batch_rules), read
    beforehand, spares the check its queries when the rows give no company or owner id, or
    only owners among its "owner_ids" (users read beforehand, as an import's owner column)."""
    authorize(actor, "records.create")
    shared = shared or batch_rules(actor)
    batch = {
        "definitions": shared["definitions"],
        "company_id": v.Remembered(company_id_check(data.get("company_id") for data in rows)),
        "owner_id": v.Remembered(check_user_id, shared.get("owner_ids", ())),
        "phone_region": shared.get("phone_region"),
    }
    return v.check_each(rows, lambda data: _clean(data, batch=batch), shared["owner_id"])


def batch_rules(actor: Actor) -> dict:
    """What check_contacts reads once for every row: the custom field definitions (as plain
    values: the import job checks rows in a thread) and the default owner."""
    return {"definitions": plain_definitions("contact"), "owner_id": owner_id_for(actor)}


def insert_contacts(cleaned: list[dict], actor: Actor) -> list:
    """Add contacts checked by check_contacts, set-based (COPY, then INSERT … SELECT), with
    the audit rows create_contact would leave; returns their ids in order. Editors."""
    authorize(actor, "records.create")
    with transaction(actor):
        return insert_records(Contact, cleaned)


def contacts_csv(filters: dict, actor: Actor, fields: list[str]):
    """((emails, phones), chunks): how many email and phone columns the export has (the most
    one selected contact holds, at least one), and every selected contact as CSV rows
    (contacts.repository.export_csv, its custom `fields` last), streamed as (rows, bytes).
    Those who may export (data.export)."""
    authorize(actor, "data.export")
    emails, phones = (max(n, 1) for n in repo.most_emails_and_phones(filters))
    return (emails, phones), repo.export_csv(filters, emails, phones, fields)


def contacts_holding(emails: list[str], phones: list[str]) -> dict:
    """{value: contact id} of the live contacts holding any of these emails (in any case: the
    keys are lower-cased) or phones, as an import matches its rows (repository)."""
    return repo.contacts_holding(emails, phones)


def get_contact(contact_id) -> Contact:
    return lifecycle.found(repo.get_contact(contact_id), "contact", contact_id)


def list_contacts(filters: dict | None = None, limit: int = 50, offset: int = 0) -> list[Contact]:
    return repo.list_contacts(filters or {}, limit, offset)


def contacts_by_id(ids) -> dict[str, Contact]:
    """{id as text: contact} of these ids, archived ones too (deleted ones missing), in one
    query."""
    return {str(contact.id): contact for contact in repo.contacts_by_ids(ids)}


def get_contacts_by_company(company_id) -> list[Contact]:
    return repo.contacts_of_company(company_id)


def update_contact(
    contact_id, data: dict, actor: Actor, expected_version=None, *, refuse_duplicates=False
) -> Contact:
    """Change the fields present in `data`; a stale `expected_version` raises ConflictError.
    With `refuse_duplicates` (a person editing, or an API client, until they confirm), an email
    or phone added that another live contact has raises DuplicateError naming it."""

    def clean_for(contact):
        clean = _clean(data, contact)
        if refuse_duplicates:
            _refuse_duplicates(_added(clean, contact), exclude=contact.id)
        return clean

    return lifecycle.update_record(_locked, contact_id, clean_for, actor, expected_version)


def _added(clean: dict, contact: Contact) -> dict:
    """The emails and phones `clean` gives the contact that it did not have: one it already
    shared (saved anyway earlier) does not hold up every later edit."""
    had_emails = {e.lower() for e in contact.emails}
    return {
        "emails": [e for e in clean.get("emails") or [] if e.lower() not in had_emails],
        "phones": [p for p in clean.get("phones") or [] if p not in set(contact.phones)],
    }


def archive_contact(contact_id, actor: Actor, expected_version=None) -> Contact:
    """Hide a contact from lists and search; it can be restored."""
    return _set_archived(contact_id, actor, datetime.now(UTC), expected_version)


def restore_contact(contact_id, actor: Actor, expected_version=None) -> Contact:
    return _set_archived(contact_id, actor, None, expected_version)


def unlink_company(company_id, actor: Actor) -> None:
    """Part of deleting a company for good: its contacts stay, without the company. The caller
    (records.operations) holds the transaction and has checked the permission."""
    with transaction(actor) as session:
        for contact in repo.contacts_with_company(company_id):
            contact.company_id = None
            contact.updated_by = actor.id
        session.flush()


def lock_contact(contact_id) -> Contact:
    """The contact, locked (FOR UPDATE) until the transaction ends; NotFoundError if none."""
    return _locked(contact_id)


def remove_contact(contact_id, actor: Actor) -> None:
    """Delete the contact row alone. Only records.operations.delete_contact calls it, after
    removing what hangs on the contact (tasks, notes, links from deals). Admins only."""
    lifecycle.delete_record(_locked, contact_id, actor, "records.purge")


def _set_archived(contact_id, actor: Actor, when, expected_version) -> Contact:
    return lifecycle.set_archived(_locked, contact_id, actor, when, expected_version)


def _locked(contact_id) -> Contact:
    return lifecycle.locked(repo.get_contact, "contact", contact_id)


def check_contact_id(value):
    """Field check for references to a contact."""
    contact = repo.get_contact(value)
    if contact is None:
        raise v.FieldError("No such contact.")
    return contact.id


# The list, the record page and inline editing.

# The fields an inline edit may change (the view's field list says how each is shown and edited).
EDITABLE_FIELDS = frozenset(
    ("first_name", "last_name", "job_title", "emails", "phones", "company_id", "owner_id")
)


def list_page(state, actor: Actor) -> dict:
    """One page of the contact list in `state` (a lists.state.ListState). Everyone."""
    authorize(actor, "records.read")
    page = keyset.list_page(state, repo.list_page, repo.count_contacts)
    total = page["total"]
    return {
        **page,
        "company_filter": company_name(state.filters["company_id"]),
        # A broad search sorted by a column lists only SEARCH_CAP matches; the page says so.
        # (Best matches first lists every name starting with the term, then other matches.)
        # A term too short for a contains-search matches last names only; the page says so.
        "short_search": 0 < len(state.filters["q"]) < repo.MIN_CONTAINS_SEARCH,
        "search_cap": repo.SEARCH_CAP
        if state.filters["q"] and state.sort != "relevance" and total > repo.SEARCH_CAP
        else None,
    }


def record_page(state, actor: Actor) -> tuple[list, str | None]:
    """(rows, next cursor) of the contact list in `state` with every column contact_view has
    (the API's lists: one query, no total counted). Everyone."""
    authorize(actor, "records.read")
    rows, next_cursor, _ = repo.list_page(
        state.filters, state.sort, state.descending, state.cursor, state.page_size, full=True
    )
    return rows, next_cursor


def list_details(ids, actor: Actor) -> dict:
    """Custom field values and created/archived times of the listed contacts (a list page's rows
    leave them out), in one query: {id: row}. Everyone."""
    authorize(actor, "records.read")
    return list_extras(Contact, ids)


def list_choices() -> dict:
    """Owners (for pickers and filters)."""
    return {"owners": active_users()}


def row_query():
    """The SELECT of a contact's row as its page shows it (repository.row_query), for a statement
    that reads the row with more beside it (records.page_query). No rights: building a query
    reads nothing; whoever runs it checks records.read."""
    return repo.row_query()


def contact_view(contact_id, actor: Actor):
    """The contact as its page and fragments show it (with company and owner names)."""
    authorize(actor, "records.read")
    row = repo.contact_row(contact_id)
    if row is None:
        raise NotFoundError("contact", contact_id)
    return row


def contact_versions(contact_id, actor: Actor) -> tuple[int, int | None]:
    """The contact's version and its company's (None without one), read alone: what an API
    client revalidating its copy needs. Readers; 404 as contact_view."""
    authorize(actor, "records.read")
    row = repo.contact_versions(contact_id)
    if row is None:
        raise NotFoundError("contact", contact_id)
    return row.version, row.company_version


def contact_probe(contact_id, versions_only: bool = False):
    """The statement (and its parameters) contact_view reads, or contact_versions when
    `versions_only`, for the API to run in its token's statement: one round trip a call. What
    it finds goes through probed_contact or probed_versions, which hold the same rules."""
    return repo.contact_probe(contact_id, versions_only)


def probed_contact(row, contact_id, actor: Actor):
    """contact_view, given the row contact_probe found (None: none). Readers; 404 otherwise."""
    authorize(actor, "records.read")
    if row is None:
        raise NotFoundError("contact", contact_id)
    return row


def probed_versions(row, contact_id, actor: Actor) -> tuple[int, int | None]:
    """contact_versions, given the row contact_probe(versions_only=True) found (None: none)."""
    row = probed_contact(row, contact_id, actor)
    return row.version, row.company_version


def field_change_since(contact, field: str, seen, actor: Actor) -> dict | None:
    """How `field` of `contact` (as contact_view shows it) changed since the version `seen` a
    page was drawn from (audit.services.change_since; a company as its name); None if it did
    not. Readers."""
    authorize(actor, "records.read")
    change = change_since("contact", contact.id, seen, contact.version, (field,))
    if change and field == "company_id":
        change.update(old=company_name(change["old"]), new=company_name(change["new"]))
    return change


def update_contact_field(
    contact_id, field: str, value, expected_version, actor: Actor, *, allow_duplicate=False
):
    """Inline edit of one field; returns the contact as shown. A stale version raises
    ConflictError carrying the contact as it is now; an email or phone another live contact
    has raises DuplicateError unless `allow_duplicate` (the user confirmed). Editors."""
    if field not in EDITABLE_FIELDS:
        raise NotFoundError("field", field)
    lifecycle.require_version(expected_version, field)
    try:
        update_contact(
            contact_id,
            {field: value},
            actor,
            expected_version=expected_version,
            refuse_duplicates=not allow_duplicate,
        )
    except ConflictError as exc:
        raise ConflictError(repo.contact_row(contact_id)) from exc
    return repo.contact_row(contact_id)


def bulk_assign_owner(ids: list, owner_id, actor: Actor) -> list[str]:
    """Give every selected contact `owner_id`, all or nothing; returns the ids changed. Editors."""
    authorize(actor, "records.update")
    check = v.Checker({"owner_id": owner_id})
    owner = check.field("owner_id", check_user_id, required=True)
    check.done()
    with transaction(actor) as session:
        contacts = repo.contacts_by_ids(ids, for_update=True)
        for contact in contacts:
            authorize_reassign(actor, contact, owner)
            contact.owner_id = owner
            contact.updated_by = actor.id
        session.flush()
    return [str(c.id) for c in contacts]


def bulk_archive(ids: list, actor: Actor, restore: bool = False) -> list[str]:
    """Archive (or restore) every selected contact the actor may, all or nothing: one refusal
    refuses the whole batch. Returns the ids changed (for the undo)."""
    return lifecycle.bulk_set_archived(repo.contacts_by_ids, ids, actor, restore)


def _refuse_duplicates(clean: dict, exclude=None) -> None:
    emails, phones = clean.get("emails") or [], clean.get("phones") or []
    others = repo.live_contacts_sharing(emails, phones, exclude)
    if not others:
        return
    fields = {}
    lowered = {e.lower() for e in emails}
    for other in others:
        said = f"{other.first_name} {other.last_name}"
        if lowered & {e.lower() for e in other.emails}:
            fields.setdefault("emails", []).append(f"Already the email of {said}.")
        if set(phones) & set(other.phones):
            fields.setdefault("phones", []).append(f"Already the phone of {said}.")
    raise DuplicateError(fields, [(o.id, f"{o.first_name} {o.last_name}") for o in others])


def find_duplicates(emails, phones, exclude=None) -> list[Contact]:
    """Contacts that already have one of these emails or phones; unparseable input is ignored."""
    region = current_app.config.get("DEFAULT_PHONE_REGION", "US")
    clean_emails = _lenient(v.email, emails)
    clean_phones = _lenient(lambda value: v.phone(value, region), phones)
    return repo.contacts_with_email_or_phone(clean_emails, clean_phones, exclude)


def _lenient(check, values) -> list[str]:
    cleaned = []
    for value in values or []:
        try:
            cleaned.append(check(value))
        except v.FieldError:
            continue
    return cleaned


BULK_ACTIONS = ("assign", "archive", "restore")


def bulk_action(action: str, ids: list, owner_id, actor: Actor) -> dict:
    """One of the list's bulk actions, all or nothing: {"action", "count", "ids"} (the ids
    changed, for an undo). Raises ValidationError for an unknown action or owner and
    PermissionDenied when a selected contact may not be changed. Editors."""
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": ["Choose an action."]})
    if action == "assign":
        changed = bulk_assign_owner(ids, owner_id, actor)
    else:
        changed = bulk_archive(ids, actor, restore=action == "restore")
    return {"action": action, "count": len(changed), "ids": changed}


def baseline_rows(actor: Actor) -> list:
    """The bench's yardstick: the first 50 contacts by name, one indexed query."""
    authorize(actor, "records.read")
    return repo.baseline_rows()


def my_recent_contacts(actor: Actor, limit: int = 5) -> list[Contact]:
    """The contacts the actor owns, last updated first (their home page)."""
    authorize(actor, "records.read")
    return repo.recently_updated(actor.id, limit)


# Merging duplicates (records.merge holds the transaction and moves deals, tasks and notes).

# The fields a merge chooses, one contact's value each; emails and phones are all kept.
MERGE_FIELDS = ("first_name", "last_name", "job_title", "company_id", "owner_id")


def lock_for_merge(ids: list, versions: dict, actor: Actor) -> list[Contact]:
    """The contacts to merge, locked in id order (two merges of the same pair never deadlock).
    One changed since the merge page showed it (`versions`: {id: version}) raises
    ConflictError; one the actor may not archive (a rep's colleague's) PermissionDenied;
    one archived or gone NotFoundError. Managers and admins merge any; reps their own."""
    authorize(actor, "records.update")
    contacts = [_locked(i) for i in sorted({str(i) for i in ids})]
    for contact in contacts:
        if contact.archived_at is not None:
            raise NotFoundError("contact", contact.id)
        authorize_archive(actor, contact)
        if str(versions.get(str(contact.id), "")) != str(contact.version):
            raise ConflictError(contact)
    return contacts


def absorb_contacts(survivor: Contact, others: list[Contact], chosen: dict, actor: Actor):
    """Give `survivor` the `chosen` values ({field: value} of MERGE_FIELDS), every email and
    phone of `others` (in order, none twice), and the custom values it lacks; archive `others`
    pointing to it (merged_into_id). Part of records.merge.merge_contacts (its transaction)."""
    emails, phones = list(survivor.emails), list(survivor.phones)
    custom = dict(survivor.custom_fields or {})
    for other in others:
        seen = {e.lower() for e in emails}
        emails += [e for e in other.emails if e.lower() not in seen and not seen.add(e.lower())]
        phones += [p for p in other.phones if p not in phones]
        for key, value in (other.custom_fields or {}).items():
            if custom.get(key) in (None, "", []):
                custom[key] = value
    with transaction(actor) as session:
        for field in MERGE_FIELDS:
            if field in chosen:
                setattr(survivor, field, chosen[field])
        survivor.emails, survivor.phones, survivor.custom_fields = emails, phones, custom
        survivor.updated_by = actor.id
        now = datetime.now(UTC)
        for other in others:
            other.archived_at = now
            other.merged_into_id = survivor.id
            other.updated_by = actor.id
        session.flush()
    return survivor


def lock_merged(ids: list, actor: Actor) -> list[Contact]:
    """The contacts of a merge being undone, locked in id order (as lock_for_merge), whether
    archived or not. The same rights as merging: one the actor may not archive raises
    PermissionDenied, one deleted since NotFoundError."""
    authorize(actor, "records.update")
    contacts = [_locked(i) for i in sorted({str(i) for i in ids})]
    for contact in contacts:
        authorize_archive(actor, contact)
    return contacts


def differs_from(contact: Contact, values: dict) -> list[str]:
    """The fields of `values` ({column: value as the audit trail records it}) whose value the
    contact no longer has: what undoing a merge would overwrite."""
    return [name for name, value in values.items() if to_json(getattr(contact, name)) != value]


def unabsorb_contacts(survivor: Contact, others: list[Contact], before: dict, actor: Actor):
    """Undo absorb_contacts: `survivor` takes back `before` ({column: value as the audit trail
    recorded it before the merge}); `others` are restored, pointing to nobody. Part of
    records.merge_undo.undo_merge (its transaction; it checked the rights and what changed since)."""
    columns = Contact.__table__.c
    with transaction(actor) as session:
        for name, value in before.items():
            if value is not None and isinstance(columns[name].type, sa.Uuid):
                value = uuid.UUID(str(value))
            setattr(survivor, name, value)
        survivor.updated_by = actor.id
        for other in others:
            other.archived_at = None
            other.merged_into_id = None
            other.updated_by = actor.id
        session.flush()
    return survivor
