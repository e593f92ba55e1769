"""What each API resource is made of: how a record reads as JSON, its ETag, and which service
does each operation. The views (api/views.py) are the same for every resource.

A **customer** (the seed's `/api/v1/customers`) is a contact seen with its company's name and
address and a `status` of `active` or `archived` (archived_at set or not)."""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import uuid
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from crm_web.companies import services as companies
from crm_web.contacts import services as contacts
from crm_web.core.actor import Actor
from crm_web.core.errors import ValidationError
from crm_web.core.permissions import authorize
from crm_web.deals import pipeline
from crm_web.deals import services as deals
from crm_web.lists.state import list_state, record_list_state
from crm_web.records import pages


def plain(value):
    """A value as JSON has it: ids and decimals as strings, times ISO 8601."""
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def _id(value) -> str | None:
    return None if value is None else str(value)


def _time(value) -> str | None:
    return None if value is None else value.isoformat()


def _status(record) -> str:
    return "archived" if record.archived_at else "active"


def writable(*names, **defaults) -> dict:
    """The fields a client writes: PUT clears the named ones to None, the others to their
    default."""
    return {**dict.fromkeys(names), **defaults}


def _common(record) -> dict:
    # Typed conversions, not `plain`'s dispatch: a list page makes this dict 200 times.
    custom = record.custom_fields
    archived_at = record.archived_at
    return {
        "owner_id": _id(record.owner_id),
        "custom_fields": plain(custom) if custom else {},
        "status": "archived" if archived_at else "active",
        "archived_at": _time(archived_at),
        "created_at": _time(record.created_at),
        "updated_at": _time(record.updated_at),
        "version": record.version,
    }


def _person(row) -> dict:
    """What a contact and a customer both read as: its id, name, title, emails and phones."""
    return {
        "id": str(row.id),
        "first_name": row.first_name,
        "last_name": row.last_name,
        "job_title": row.job_title,
        "emails": list(row.emails or []),
        "phones": list(row.phones or []),
    }


def contact_json(row) -> dict:
    return {
        **_person(row),
        "company_id": _id(row.company_id),
        "company_name": row.company_name,
        "owner_name": row.owner_name,
        **_common(row),
    }


def attributes(record, *names) -> dict:
    """The record's id and the named attributes, as JSON has them."""
    return {"id": str(record.id), **{name: plain(getattr(record, name)) for name in names}}


def company_json(row) -> dict:
    names = ("name", "website", "phone", "industry", "address", "owner_name", "contact_count")
    return {**attributes(row, *names), **_common(row)}


def deal_json(deal) -> dict:
    names = ("title", "company_id", "contact_id", "value", "currency", "stage", "probability")
    return {**attributes(deal, *names, "close_date"), **_common(deal)}


def customer_json(row) -> dict:
    """A contact (contact_view's row) as a customer: its company's name and address beside it."""
    return {
        **_person(row),
        "name": f"{row.first_name} {row.last_name}",
        "company": None
        if row.company_id is None
        else {"id": str(row.company_id), "name": row.company_name, "address": row.company_address},
        **_common(row),
    }


@dataclass(frozen=True)
class Resource:
    """One record type of the API: `read(id, actor)` gives the record as JSON with its ETag;
    the rest are the area's services, as the pages call them."""

    name: str  # the URL segment: contacts
    entity: str  # the audit trail's entity type: contact
    read: Callable  # (id, actor) -> (json, etag)
    page: Callable  # (args, limit, actor) -> (json rows, next cursor)
    create: Callable  # (data, actor) -> record
    update: Callable | None = None  # (id, data, actor, expected_version) -> record
    archive: Callable | None = None  # None: DELETE deletes (`delete`), or is not offered
    restore: Callable | None = None
    # Fields a client writes; PUT clears the ones it leaves out (to these values).
    writable: dict = field(default_factory=dict)
    # Fields a client may send back as it read them; they are ignored.
    read_only: frozenset = frozenset()
    sorts: tuple = ()
    # Records without an archive: DELETE removes them, (id, actor, expected_version, args).
    delete: Callable | None = None
    # Writable on create only (where a task hangs); ignored on PUT and PATCH.
    create_only: frozenset = frozenset()
    # The list's query parameters besides page, limit and cursor (OpenAPI parameter objects);
    # None: the records' search, status, sort and dir.
    params: tuple | None = None
    # (id, actor, cursor) -> the record's audit trail; None: pages.history (contacts, …).
    history: Callable | None = None
    # `create` and `update` take `refuse_duplicates`: a single POST, PUT or PATCH refuses another
    # live record's email, phone, name or web domain (409 naming it) unless
    # `?allow_duplicate=true`, as the pages do until "Create/Save anyway"; a bulk job passes its own.
    checks_duplicates: bool = False
    description: str = ""
    # (id, actor) -> the record's ETag alone, for a 304 answered before the record is read;
    # None: `read` gives it.
    etag: Callable | None = None
    # (id, versions_only) -> (statement, params) the token's lookup runs beside it, so a GET of
    # one record is one round trip; `read_probed` and `etag_probed` (row found or None, id,
    # actor) then answer from that row as `read` and `etag` do. None: `read` and `etag` query.
    probe: Callable | None = None
    read_probed: Callable | None = None
    etag_probed: Callable | None = None


def _etag(*versions) -> str:
    return '"' + ".".join(str(v or 0) for v in versions) + '"'


def _read_contact(contact_id, actor: Actor):
    row = contacts.contact_view(contact_id, actor)
    return contact_json(row), _etag(row.version)


def _read_company(company_id, actor: Actor):
    row = companies.company_view(company_id, actor)
    return company_json(row), _etag(row.version)


def _contact_etag(contact_id, actor: Actor) -> str:
    return _etag(contacts.contact_versions(contact_id, actor)[0])


def _customer_etag(contact_id, actor: Actor) -> str:
    return _etag(*contacts.contact_versions(contact_id, actor))


def _read_probed_contact(row, contact_id, actor: Actor):
    row = contacts.probed_contact(row, contact_id, actor)
    return contact_json(row), _etag(row.version)


def _read_probed_customer(row, contact_id, actor: Actor):
    row = contacts.probed_contact(row, contact_id, actor)
    return customer_json(row), _etag(row.version, row.company_version)


def _probed_contact_etag(row, contact_id, actor: Actor) -> str:
    return _etag(contacts.probed_versions(row, contact_id, actor)[0])


def _probed_customer_etag(row, contact_id, actor: Actor) -> str:
    return _etag(*contacts.probed_versions(row, contact_id, actor))


def reader(get, as_json):
    """`read(id, actor)` for a record any signed-in user reads: `get(id)` as JSON, its ETag
    its version."""

    def read(record_id, actor: Actor):
        authorize(actor, "records.read")
        record = get(record_id)
        return as_json(record), _etag(record.version)

    return read


_read_deal = reader(deals.get_deal, deal_json)


def _read_customer(contact_id, actor: Actor):
    """A customer's ETag moves with its contact and with its company (whose address it shows)."""
    row = contacts.contact_view(contact_id, actor)
    return customer_json(row), _etag(row.version, row.company_version)


def _state_args(args, sorts) -> dict:
    """The pages' URL arguments from the API's: `search` is the list's `q`, `status=archived`
    its archived filter, `cursor` the page after."""
    plain_args = {k: v for k, v in args.items() if k not in ("search", "status", "cursor")}
    plain_args["q"] = args.get("search", "")
    plain_args["after"] = args.get("cursor", "")
    if args.get("status") == "archived":
        plain_args["archived"] = "1"
    if args.get("sort") not in sorts:
        plain_args.pop("sort", None)
    return plain_args


CONTACT_SORTS = ("name", "company", "email", "phone", "owner", "updated", "relevance")
COMPANY_SORTS = ("name", "city", "country", "owner", "updated")


def _page_contacts(args, limit: int, actor: Actor):
    state = record_list_state(_state_args(args, CONTACT_SORTS), CONTACT_SORTS)
    return contacts.record_page(_sized(state, limit), actor)


def _sized(state, limit: int):
    return replace(state, page_size=limit)


def _contact_rows(args, limit, actor):
    rows, cursor = _page_contacts(args, limit, actor)
    return [contact_json(row) for row in _plain_rows(rows)], cursor


def _plain_rows(rows) -> list:
    """The rows as plain named tuples. A list without a search has them already (run on the
    driver: core.repository.read); a search's rows are SQLAlchemy Rows, which read an attribute
    in ~1 µs, and a contact's JSON reads 17 of them (1 ms of CPU a page of 50)."""
    if not rows or isinstance(rows[0], tuple):
        return rows
    make = _tuple_class(rows[0]._fields)._make
    return [make(row) for row in rows]


@functools.cache
def _tuple_class(fields: tuple):
    # A handful of column sets at most (one a query shape); the keyset's `_k0`… are renamed.
    return namedtuple("Row", fields, rename=True)


class _ListRow:
    """A list row, with what only a record page reads (custom fields, created and archived
    times) from one query for the whole page (`list_details`)."""

    def __init__(self, row, details):
        self._row = row
        self._details = details

    def __getattr__(self, name):
        if name in ("custom_fields", "created_at", "archived_at"):
            return getattr(self._details, name, None)
        return getattr(self._row, name, None)


def _customer_rows(args, limit, actor):
    rows, cursor = _page_contacts(args, limit, actor)
    return [customer_json(row) for row in _plain_rows(rows)], cursor


def _company_rows(args, limit, actor):
    state = record_list_state(_state_args(args, COMPANY_SORTS), COMPANY_SORTS)
    page = companies.list_page(_sized(state, limit), actor)
    details = companies.list_details([row.id for row in page["rows"]], actor)
    rows = [company_json(_ListRow(row, details.get(row.id))) for row in page["rows"]]
    return rows, page["next_cursor"]


def _deal_rows(args, limit, actor):
    raw = _state_args(args, pipeline.SORTS)
    raw.pop("archived", None)
    if args.get("status") == "archived":
        raw["archived"] = "1"
    state = list_state(
        raw,
        pipeline.clean_filters(raw),
        sortable=pipeline.SORTS,
        default_sort="created",
        descending=pipeline.DESCENDING,
    )
    page = pipeline.list_page(_sized(state, limit), actor, full=True)
    return [deal_json(deal) for deal in page["rows"]], page["next_cursor"]


def _archive_customer_status(update):
    """Customers carry `status`: writing it archives or restores the contact."""

    def write(contact_id, data, actor, expected_version=None, *, refuse_duplicates=False):
        data = dict(data)
        status = data.pop("status", None)
        record = (
            update(contact_id, data, actor, expected_version, refuse_duplicates=refuse_duplicates)
            if data
            else None
        )
        return _apply_status(contact_id, status, actor, record)

    return write


def _check_status(status) -> None:
    if status not in (None, "active", "archived"):
        raise ValidationError({"status": ["Must be one of: active, archived."]})


def _apply_status(contact_id, status, actor, record=None):
    _check_status(status)
    current = record or contacts.get_contact(contact_id)
    if status == "archived" and current.archived_at is None:
        return contacts.archive_contact(contact_id, actor)
    if status == "active" and current.archived_at is not None:
        return contacts.restore_contact(contact_id, actor)
    return current


def _create_customer(data, actor, *, refuse_duplicates: bool):
    data = dict(data)
    status = data.pop("status", None)
    _check_status(status)  # before the contact is made
    contact = contacts.create_contact(data, actor, refuse_duplicates=refuse_duplicates)
    return _apply_status(contact.id, status, actor, contact)


COMMON_READ_ONLY = frozenset(
    {"id", "status", "archived_at", "created_at", "updated_at", "version", "owner_name"}
)
CONTACT_FIELDS = {
    "first_name": None,
    "last_name": None,
    "job_title": None,
    "emails": [],
    "phones": [],
    "company_id": None,
    "owner_id": None,
    "custom_fields": {},
}

RESOURCES = {
    resource.name: resource
    for resource in (
        Resource(
            name="customers",
            entity="contact",
            read=_read_customer,
            etag=_customer_etag,
            probe=contacts.contact_probe,
            read_probed=_read_probed_customer,
            etag_probed=_probed_customer_etag,
            page=_customer_rows,
            create=_create_customer,
            checks_duplicates=True,
            update=_archive_customer_status(contacts.update_contact),
            archive=contacts.archive_contact,
            restore=contacts.restore_contact,
            writable={**CONTACT_FIELDS, "status": None},
            read_only=(COMMON_READ_ONLY - {"status"}) | {"name", "company"},
            sorts=CONTACT_SORTS,
        ),
        Resource(
            name="contacts",
            entity="contact",
            read=_read_contact,
            etag=_contact_etag,
            probe=contacts.contact_probe,
            read_probed=_read_probed_contact,
            etag_probed=_probed_contact_etag,
            page=_contact_rows,
            create=contacts.create_contact,
            checks_duplicates=True,
            update=contacts.update_contact,
            archive=contacts.archive_contact,
            restore=contacts.restore_contact,
            writable=CONTACT_FIELDS,
            read_only=COMMON_READ_ONLY | {"company_name"},
            sorts=CONTACT_SORTS,
        ),
        Resource(
            name="companies",
            entity="company",
            read=_read_company,
            page=_company_rows,
            create=companies.create_company,
            checks_duplicates=True,
            update=companies.update_company,
            archive=companies.archive_company,
            restore=companies.restore_company,
            writable=writable(
                "name", "website", "phone", "industry", "address", "owner_id", custom_fields={}
            ),
            read_only=COMMON_READ_ONLY | {"contact_count"},
            sorts=COMPANY_SORTS,
        ),
        Resource(
            name="deals",
            entity="deal",
            read=_read_deal,
            page=_deal_rows,
            create=deals.create_deal,
            update=deals.update_deal,
            archive=deals.archive_deal,
            restore=deals.restore_deal,
            writable=writable(
                *("title", "company_id", "contact_id", "value", "currency", "stage"),
                *("probability", "close_date", "owner_id"),
                custom_fields={},
            ),
            read_only=COMMON_READ_ONLY,
            sorts=tuple(pipeline.SORTS),
        ),
    )
}


def history(resource: Resource, record_id, actor: Actor, before: str | None) -> dict:
    """A record's audit trail, newest first (records.pages.history: managers and admins)."""
    if resource.history is not None:
        page = resource.history(record_id, actor, before)
    else:
        page = pages.history(resource.entity, record_id, actor, before=before)
    entries = [
        {
            "action": entry.action,
            "changes": entry.changes,
            "at": plain(entry.timestamp),
            "user_id": entry.user_id,
            "user_name": name,
            "via": entry.via,
        }
        for entry, name in page["entries"]
    ]
    return {"data": entries, "older_cursor": page["older"]}
