"""The record pages' data in one prebuilt statement each (issue 16 point 3): the record's row
with, in JSON subqueries, what its page lists beside it (deals, tasks, notes, custom field
definitions, the users tasks and notes name, the Timeline card's first page). PostgreSQL does
the work in well under a millisecond; building ORM objects for it cost several times that, so
the rows come back as plain objects (SimpleNamespace, attributes named as the models' columns)
with their dates and amounts turned back into Python types (ids stay text: _converter).

The caller (records.pages) checks access and shapes the page; the statements are built once, at
import, for each variant (activity-only timeline or not), as the areas' own are. A full page
reads its record in the signed-in user's statement (PageWithUser, from web.py's user loader);
a fragment, or a page of no valid id, runs the record's statement alone."""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from decimal import Decimal
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.orm import aliased
from sqlalchemy.sql.util import ClauseAdapter

from crm_web.accounts.models import User
from crm_web.activities.services import RECORD_LISTS, SIGNED_IN_WITH_DUE_COUNT
from crm_web.audit.models import AuditLog
from crm_web.companies.models import Company
from crm_web.companies.services import row_query as company_row_query
from crm_web.contacts.models import Contact
from crm_web.contacts.services import row_query as contact_row_query
from crm_web.core.permissions import POLICY
from crm_web.core.repository import literal_limit, read
from crm_web.custom_fields.models import CustomFieldDefinition
from crm_web.deals.models import Deal
from crm_web.records.timeline import timeline_query

RELATED_DEALS = 20  # deals.services.RELATED_LIMIT: the page says "All deals" past it
RELATED_CONTACTS = 20  # a company page's Contacts card; "All N contacts" lists the rest
ID = bindparam("id", type_=sa.Uuid)
AUDIT_COLUMNS = [column.key for column in sa.inspect(AuditLog).columns]
# A timeline row's values after the audit entry's (records.timeline.timeline_query).
TIMELINE_EXTRA = ["who", "task", "note", "on_type", "on_id", "label"]


def _converter(type_):
    """How a column's JSON value becomes the Python value the ORM would have given."""
    if isinstance(type_, sa.DateTime):
        return dt.datetime.fromisoformat
    if isinstance(type_, sa.Date):
        return dt.date.fromisoformat
    # Ids stay the text PostgreSQL wrote (the canonical form: nothing to escape). Each is only
    # printed into a URL or an id, or compared as str (permissions, records.timeline): a
    # uuid.UUID() per id, and a str() of it again per use, were ~2 ms of a contact page's 18.
    if isinstance(type_, sa.Numeric) and not isinstance(type_, sa.Float):
        return Decimal  # sent as text: a JSON number would go through float
    return None


class Listed:
    """A JSON array subquery of the rows of a select, and how to read its items back. Each row
    is a JSON array of its columns' values (named `names` when read back), ordered in the
    aggregate by `order` (columns the select has). Arrays, not objects: with the names written
    once here rather than in every row, the JSON a contact page reads is a quarter smaller (the
    bench's: 22.1 → 16.6 KB), which PostgreSQL writes and Python decodes; a json_build_object
    per row, or a row_number() window to order them by, cost PostgreSQL half again as much as
    json_agg(row)."""

    def __init__(self, query, order, names=None):
        columns = list(query.selected_columns)
        names = names or [column.key for column in columns]
        labelled, self.converters = [], []
        for name, column in zip(names, columns, strict=True):
            convert = _converter(column.type)
            labelled.append(
                (sa.cast(column, sa.Text) if convert is Decimal else column).label(name)
            )
            if convert is not None:
                self.converters.append((name, convert))
        self.names = names
        rows = query.with_only_columns(*labelled, maintain_column_froms=True).subquery()
        # (the order's columns as the subquery's; an ORM attribute through its column)
        adapt = ClauseAdapter(rows).traverse
        order = [adapt(getattr(term, "__clause_element__", lambda t=term: t)()) for term in order]
        values = func.json_build_array(*(rows.c[name] for name in names))
        items = func.json_agg(aggregate_order_by(values, *order))
        empty = literal_column("'[]'::json")
        self.column = select(func.coalesce(items, empty)).select_from(rows).scalar_subquery()

    def read(self, items: list[list]) -> list[SimpleNamespace]:
        names = self.names
        return [
            SimpleNamespace(**self.convert(dict(zip(names, item, strict=True)))) for item in items
        ]

    def convert(self, item: dict) -> dict:
        for name, convert in self.converters:
            if item[name] is not None:
                item[name] = convert(item[name])
        return item


def _columns(model):
    """The model's mapped columns (not the search documents kept beside them)."""
    return list(sa.inspect(model).columns)


def _first_page(name: str, entity_type: str) -> Listed:
    """The first page of a list of the record's tasks or notes (activities.repository's
    RECORD_LISTS[name]), one row more to tell whether there are more, each row with its sort
    key as _k0, _k1… (first_page makes "Show more"'s cursor of them)."""
    listed = RECORD_LISTS[name]
    keys = [column.label(f"_k{i}") for i, column in enumerate(listed.key.columns)]
    query = (
        listed.query(entity_type, ID)
        .with_only_columns(*_columns(listed.model), *keys)
        .order_by(*listed.order())
        .limit(literal_limit(listed.size + 1))
    )
    return Listed(query, listed.order())


def _attached(entity_type: str) -> dict[str, Listed]:
    """The record's open tasks, done tasks and notes: each list's first page."""
    return {name: _first_page(name, entity_type) for name in RECORD_LISTS}


def _deals(column):
    """The live deals of a company or contact, soonest close first (deals.repository)."""
    order = (Deal.close_date.asc().nulls_last(), Deal.id)
    query = select(*_columns(Deal)).where(column == ID, Deal.archived_at.is_(None))
    return Listed(query.order_by(*order).limit(literal_limit(RELATED_DEALS + 1)), order)


def _definitions(entity_type: str):
    order = (CustomFieldDefinition.created_at, CustomFieldDefinition.name)
    query = select(*_columns(CustomFieldDefinition)).where(
        CustomFieldDefinition.entity_type == entity_type
    )
    return Listed(query, order)


# Who tasks and notes name (activities.display's assignee names): the active users by name.
USERS = Listed(
    # (email: the order's tie-break, which the aggregate orders by, must be a column)
    select(sa.cast(User.id, sa.String).label("id"), User.name, User.email).where(User.active),
    (User.name, User.email),
)


def _timeline(entity_type: str, activity_only: bool, related: bool = False):
    query = timeline_query(entity_type, ID, None, related, activity_only)
    order = (AuditLog.timestamp.desc(), AuditLog.seq.desc())
    return Listed(query, order, AUDIT_COLUMNS + TIMELINE_EXTRA)


class PageQuery:
    """One record page's statement: `row_columns` from `base`, plus the lists in `listed`."""

    def __init__(self, base, listed: dict[str, Listed]):
        self.base, self.listed = base, listed
        self.statement = base.add_columns(
            *(item.column.label(name) for name, item in listed.items())
        )

    def run(self, record_id):
        """The row (None if there is none) and each list read back, through
        core.repository.read: the ORM's execute path cost more than the statement's decoding."""
        rows = read(self.statement, {"id": record_id})
        return _lists_read(rows[0], self.listed) if rows else (None, {})


def _lists_read(row, listed: dict[str, Listed]):
    """(row, each of `listed` read back from its column of `row`)."""
    mapping = row._asdict()
    return row, {name: item.read(mapping[name]) for name, item in listed.items()}


class PageWithUser:
    """A full record page's statement with the signed-in user's (activities.repository's
    SIGNED_IN_WITH_DUE_COUNT: its columns, then the page's): the page ran them one after the
    other, and the second round trip cost it ~0.2 ms of Python and 0.04 of PostgreSQL, a
    twentieth of the page (issue 16). No row when the session is no longer valid, as with the
    user's statement alone; the page's columns are null when there is no such record.

    `pages` are the page's two variants ({activity_only: PageQuery}); which Timeline card the
    user reads depends on the role, read in the same row: the full one for the roles that may
    read the audit log (core.permissions' audit.read), the activity for the others."""

    def __init__(self, pages: dict[bool, PageQuery]):
        full, activity = pages[False], pages[True]
        self.listed = full.listed
        signed_in = SIGNED_IN_WITH_DUE_COUNT.subquery("signed_in")
        lists = [
            item.column.label(name) for name, item in self.listed.items() if name != "timeline"
        ]
        page = full.base.add_columns(*lists).subquery("page")
        # (= ANY of an array, not IN: an IN list is rendered anew on every run, unprepared)
        readers = sa.literal(sorted(POLICY["audit.read"]), ARRAY(sa.String))
        reads_audit = signed_in.c.role == sa.any_(readers)
        timeline = sa.case(
            (reads_audit, full.listed["timeline"].column), else_=activity.listed["timeline"].column
        )
        self.statement = select(signed_in, page, timeline.label("timeline")).select_from(
            signed_in.outerjoin(page, sa.true())
        )
        self.user_width = len(signed_in.c)
        self.row = namedtuple("PageRow", [*page.c.keys(), "timeline"])

    def read(self, row) -> tuple:
        """(the user's columns, (the page's row or None, its lists)) of a row of `statement`."""
        page = self.row(*row[self.user_width :])
        if page.id is None:
            return row[: self.user_width], (None, {})
        return row[: self.user_width], _lists_read(page, self.listed)


def _contact_query(activity_only: bool) -> PageQuery:
    merged = aliased(Contact)
    merged_into = (
        select(
            func.json_build_object(
                "id", merged.id, "first_name", merged.first_name, "last_name", merged.last_name
            )
        )
        .where(merged.id == Contact.merged_into_id)
        .correlate(Contact)
        .scalar_subquery()
    )
    base = contact_row_query().add_columns(merged_into.label("merged_into")).where(Contact.id == ID)
    return PageQuery(
        base,
        {
            "deals": _deals(Deal.contact_id),
            **_attached("contact"),
            "definitions": _definitions("contact"),
            "users": USERS,
            "timeline": _timeline("contact", activity_only),
        },
    )


CONTACT = {activity_only: _contact_query(activity_only) for activity_only in (False, True)}


def _company_query(activity_only: bool, related: bool) -> PageQuery:
    base = company_row_query().where(Company.id == ID)
    # Its first live contacts by name (contacts.repository's contacts_of_company); the row
    # counts them all (contact_count), and the card links to the rest.
    order = (Contact.last_name, Contact.first_name, Contact.id)
    contacts = (
        select(*_columns(Contact))
        .where(Contact.company_id == ID, Contact.archived_at.is_(None))
        .order_by(*order)
        .limit(literal_limit(RELATED_CONTACTS))
    )
    return PageQuery(
        base,
        {
            "contacts": Listed(contacts, order),
            "deals": _deals(Deal.company_id),
            **_attached("company"),
            "definitions": _definitions("company"),
            "users": USERS,
            "timeline": _timeline("company", activity_only, related),
        },
    )


# (activity_only, related): the Timeline card for a reader, and "with its contacts and deals".
COMPANY = {
    (activity_only, related): _company_query(activity_only, related)
    for activity_only in (False, True)
    for related in (False, True)
}


def _deal_query(activity_only: bool) -> PageQuery:
    def named(model, *columns):
        """The deal's company, contact or owner as a JSON object of `columns` (None without)."""
        pairs = [part for column in columns for part in (literal_column(f"'{column.key}'"), column)]
        key = {Company: Deal.company_id, Contact: Deal.contact_id, User: Deal.owner_id}[model]
        return (
            select(func.json_build_object(*pairs))
            .where(model.id == key)
            .correlate(Deal)
            .scalar_subquery()
        )

    base = select(
        *_columns(Deal),
        named(Company, Company.name).label("company"),
        named(Contact, Contact.first_name, Contact.last_name).label("contact"),
        named(User, User.name).label("owner"),
    ).where(Deal.id == ID)
    return PageQuery(
        base,
        {
            **_attached("deal"),
            "definitions": _definitions("deal"),
            "users": USERS,
            "timeline": _timeline("deal", activity_only),
        },
    )


DEAL = {activity_only: _deal_query(activity_only) for activity_only in (False, True)}
# A full record page's statement with its signed-in user's: (kind, company's `related`).
WITH_USER = {
    ("contact", False): PageWithUser(CONTACT),
    ("deal", False): PageWithUser(DEAL),
    **{
        ("company", related): PageWithUser({only: COMPANY[only, related] for only in (False, True)})
        for related in (False, True)
    },
}
DEAL_COLUMNS = [column.key for column in _columns(Deal)]
