"""Companies: create, read, update, archive and delete, with validation and permissions."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import current_app

from crm_web.accounts.services import check_user_id, owner_id_for
from crm_web.audit.services import change_since
from crm_web.companies import repository as repo
from crm_web.companies.models import Company
from crm_web.core import lifecycle
from crm_web.core import validation as v
from crm_web.core.actor import Actor
from crm_web.core.batch import insert_records
from crm_web.core.db import transaction
from crm_web.core.errors import ConflictError, DuplicateError, NotFoundError, ValidationError
from crm_web.core.permissions import authorize
from crm_web.core.repository import as_uuid, check_version, list_extras
from crm_web.custom_fields.services import (
    checked_with_custom_fields,
    plain_definitions,
)
from crm_web.lists import keyset

ADDRESS_PARTS = ("street", "city", "state", "postal_code", "country")


def _address(value) -> dict | None:
    """{street, city, state, postal_code, country}, each optional text; empty parts dropped."""
    value = v.mapping(value)
    unknown = set(value) - set(ADDRESS_PARTS)
    if unknown:
        raise v.FieldError(f"Unknown address parts: {', '.join(sorted(unknown))}.")
    address = {}
    for part in ADDRESS_PARTS:
        if not v.is_blank(value.get(part)):
            address[part] = v.text(value[part], 255)
    return address or None


def _clean(data: dict, existing: Company | None = None, batch: dict | None = None) -> dict:
    """Validated values for the fields present in `data`. A `batch` (check_companies) runs the
    same checks with what every row shares read once."""
    batch = batch or {}
    creating = existing is None
    check = v.Checker(data)
    if creating or check.has("name"):
        check.field("name", v.text, 255, required=True)
    check.field("website", v.url)
    region = batch.get("phone_region") or current_app.config.get("DEFAULT_PHONE_REGION", "US")
    check.field("phone", v.phone, region)
    check.field("industry", v.text, 100)
    check.field("address", _address)
    check.field("owner_id", batch.get("owner_id", check_user_id))
    definitions = batch.get("definitions")
    clean = checked_with_custom_fields(check, "company", data, existing, definitions)
    return clean


def create_company(data: dict, actor: Actor, *, refuse_duplicates: bool = False) -> Company:
    """Create a company. Editors. With `refuse_duplicates` (a person at the create form, until
    they confirm), a name (in any case) or web domain another live company has raises
    DuplicateError naming it."""
    authorize(actor, "records.create")
    clean = _clean(data)
    if refuse_duplicates:
        _refuse_duplicates(clean)
    clean.setdefault("owner_id", owner_id_for(actor))
    return lifecycle.create_record(Company, clean, actor)


def check_companies(
    rows: list[dict], actor: Actor, shared: dict | None = None
) -> list[dict | ValidationError]:
    """Each input checked as create_company checks it: its clean values (owner defaulted), or
    the ValidationError refusing it, in input order; insert_companies adds the clean ones.
    Editors. `shared` (batch_rules), read beforehand, spares the check its queries when the
    rows give no owner id, or only its "owner_ids" (contacts.services.check_contacts)."""
    authorize(actor, "records.create")
    shared = shared or batch_rules(actor)
    owners = v.Remembered(check_user_id, shared.get("owner_ids", ()))
    region = shared.get("phone_region")
    batch = {"definitions": shared["definitions"], "owner_id": owners, "phone_region": region}
    return v.check_each(rows, lambda data: _clean(data, batch=batch), shared["owner_id"])


def batch_rules(actor: Actor) -> dict:
    """What check_companies reads once for every row (contacts.services.batch_rules)."""
    return {"definitions": plain_definitions("company"), "owner_id": owner_id_for(actor)}


def insert_companies(cleaned: list[dict], actor: Actor) -> list:
    """Add companies checked by check_companies, set-based (COPY, then INSERT … SELECT), with
    the audit rows create_company would leave; returns their ids in order. Editors."""
    authorize(actor, "records.create")
    with transaction(actor):
        return insert_records(Company, cleaned)


def company_ids_named(names, actor: Actor) -> dict:
    """{lower-cased name: id, or the ValidationError refusing a new company} for `names`: the
    oldest live company of each name (any case), the others created (spelt as first
    mentioned), all in two statements. How an import's batch links contacts to companies."""
    wanted: dict[str, str] = {}
    for name in names:  # a new company is spelt as its first mention
        if name.strip():
            wanted.setdefault(name.strip().lower(), name.strip())
    found = repo.company_ids_by_name(list(wanted)) if wanted else {}
    missing = [name for key, name in wanted.items() if key not in found]
    checked = check_companies([{"name": name} for name in missing], actor)
    clean = [c for c in checked if isinstance(c, dict)]
    made = iter(insert_companies(clean, actor))
    for name, result in zip(missing, checked, strict=True):
        found[name.lower()] = next(made) if isinstance(result, dict) else result
    return found


def get_company(company_id) -> Company:
    return lifecycle.found(repo.get_company(company_id), "company", company_id)


def list_companies(filters: dict | None = None, limit: int = 50, offset: int = 0) -> list[Company]:
    return repo.list_companies(filters or {}, limit, offset)


def update_company(
    company_id, data: dict, actor: Actor, expected_version=None, *, refuse_duplicates=False
) -> Company:
    """Change the fields present in `data`; a stale `expected_version` raises ConflictError.
    With `refuse_duplicates` (a person editing, or an API client, until they confirm), a new
    name or web domain another live company has raises DuplicateError naming it."""

    def clean_for(company):
        clean = _clean(data, company)
        if refuse_duplicates:
            _refuse_duplicates(_changed(clean, company), exclude=company.id)
        return clean

    return lifecycle.update_record(_locked, company_id, clean_for, actor, expected_version)


def _changed(clean: dict, company: Company) -> dict:
    """The name and website `clean` changes (an unchanged one, shared and saved anyway
    earlier, does not hold up every later edit)."""
    changed = {}
    if "name" in clean and clean["name"].lower() != company.name.lower():
        changed["name"] = clean["name"]
    if "website" in clean and web_domain(clean["website"]) != web_domain(company.website):
        changed["website"] = clean["website"]
    return changed


def archive_company(company_id, actor: Actor, expected_version=None) -> Company:
    return _set_archived(company_id, actor, datetime.now(UTC), expected_version)


def restore_company(company_id, actor: Actor, expected_version=None) -> Company:
    return _set_archived(company_id, actor, None, expected_version)


def lock_company(company_id) -> Company:
    """The company, locked (FOR UPDATE) until the transaction ends; NotFoundError if none."""
    return _locked(company_id)


def remove_company(company_id, actor: Actor) -> None:
    """Delete the company row alone. Only records.operations.delete_company calls it, after
    removing what hangs on the company (deals, tasks, notes, links from contacts). Admins only."""
    lifecycle.delete_record(_locked, company_id, actor, "records.purge")


def _set_archived(company_id, actor: Actor, when, expected_version) -> Company:
    return lifecycle.set_archived(_locked, company_id, actor, when, expected_version)


def _locked(company_id) -> Company:
    return lifecycle.locked(repo.get_company, "company", company_id)


def company_id_check(ids):
    """check_company_id for a batch's references (imports, API bulk): which of `ids` name a
    company is read in one query of ids alone (no records loaded, no query a row); any other
    value gets check_company_id's own answer and message."""
    known = repo.existing_company_ids(
        {value for value in ids if isinstance(value, str | uuid.UUID)}
    )

    def check(value):
        key = as_uuid(value) if isinstance(value, str | uuid.UUID) else None
        return key if key in known else check_company_id(value)

    return check


def check_company_id(value):
    """Field check for references to a company."""
    company = repo.get_company(value)
    if company is None:
        raise v.FieldError("No such company.")
    return company.id


# The list, the record page and inline editing.

# The fields an inline edit may change; an address part changes one part of `address`.
EDITABLE_FIELDS = frozenset(("name", "website", "phone", "industry", "owner_id", *ADDRESS_PARTS))


def list_page(state, actor: Actor, *, cells: bool = False) -> dict:
    """One page of the company list in `state` (a lists.state.ListState); `cells`: only what
    the list page's cells show (repository.cells_query). Everyone."""
    authorize(actor, "records.read")
    fetch = functools.partial(repo.list_page, cells=cells)
    return keyset.list_page(state, fetch, repo.count_companies)


def list_details(ids, actor: Actor) -> dict:
    """Custom field values and created/archived times of the listed companies (a list page's rows
    leave them out), in one query: {id: row}. Everyone."""
    authorize(actor, "records.read")
    return list_extras(Company, ids)


def row_query():
    """The SELECT of a company's row as its page shows it (repository.row_query), for a statement
    that reads the row with more beside it (records.page_query). No rights: building a query
    reads nothing; whoever runs it checks records.read."""
    return repo.row_query()


def company_view(company_id, actor: Actor):
    """The company as its page and fragments show it (owner name, number of contacts)."""
    authorize(actor, "records.read")
    row = repo.company_row(company_id)
    if row is None:
        raise NotFoundError("company", company_id)
    return row


def companies_for_export(filters: dict, actor: Actor):
    """Every selected company as (company, owner email), streamed. Those who may export."""
    authorize(actor, "data.export")
    return repo.export_rows(filters)


def company_name(company_id) -> str | None:
    """The name of a company id (for showing a chosen company); None when there is none."""
    company = repo.get_company(company_id) if company_id else None
    return company.name if company else None


def picker_options(term: str, actor: Actor) -> list:
    """Companies whose name contains `term`, for the company pickers."""
    authorize(actor, "records.read")
    return repo.picker_options(term or "")


def field_change_since(company, field: str, seen, actor: Actor) -> dict | None:
    """How `field` of `company` (as company_view shows it; an address part alone) changed
    since the version `seen` a page was drawn from (audit.services.change_since); None if it
    did not. Readers."""
    authorize(actor, "records.read")
    path = ("address", field) if field in ADDRESS_PARTS else (field,)
    return change_since("company", company.id, seen, company.version, path)


def update_company_field(
    company_id, field: str, value, expected_version, actor: Actor, *, allow_duplicate=False
):
    """Inline edit of one field (an address part changes only that part); returns the company
    as shown. A stale version raises ConflictError carrying the company as it is now; a name
    or website another live company has raises DuplicateError unless `allow_duplicate`."""
    if field not in EDITABLE_FIELDS:
        raise NotFoundError("field", field)
    lifecycle.require_version(expected_version, field)
    if field in ADDRESS_PARTS:
        current = get_company(company_id)
        check_version(current, expected_version)
        data = {"address": {**(current.address or {}), field: value}}
    else:
        data = {field: value}
    try:
        update_company(
            company_id,
            data,
            actor,
            expected_version=expected_version,
            refuse_duplicates=not allow_duplicate,
        )
    except ValidationError as exc:
        if "address" in exc.fields:
            raise ValidationError({field: exc.fields["address"]}) from exc
        raise
    except ConflictError as exc:
        raise ConflictError(repo.company_row(company_id)) from exc
    return repo.company_row(company_id)


def bulk_archive(ids: list, actor: Actor, restore: bool = False) -> list[str]:
    """Archive (or restore) the selected companies, all or nothing: one the actor may not
    change raises PermissionDenied and changes none. Returns the ids changed (for the undo)."""
    return lifecycle.bulk_set_archived(repo.companies_by_ids, ids, actor, restore)


def my_recent_companies(actor: Actor, limit: int = 5) -> list[Company]:
    """The companies the actor owns, last updated first (their home page)."""
    authorize(actor, "records.read")
    return repo.recently_updated(actor.id, limit)


def web_domain(website: str | None) -> str | None:
    """`https://www.acme.com/about` → `acme.com`."""
    if not website:
        return None
    host = urlsplit(website if "//" in website else f"//{website}").hostname or ""
    return host.removeprefix("www.") or None


def _refuse_duplicates(clean: dict, exclude=None) -> None:
    name, domain = clean.get("name") or "", web_domain(clean.get("website"))
    if not name and not domain:
        return
    fields = {}
    others = []
    for other in repo.live_companies_like(name, domain, exclude):
        if other.name.lower() == name.lower():
            fields.setdefault("name", []).append(f"Already the name of {other.name}.")
        elif domain and web_domain(other.website) == domain:
            fields.setdefault("website", []).append(f"Already the website of {other.name}.")
        else:
            continue
        others.append((other.id, other.name))
    if others:
        raise DuplicateError(fields, others)
