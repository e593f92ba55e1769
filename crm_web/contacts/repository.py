"""Contact queries: the list (filters, search, keyset sort), record rows, duplicates. Never commits."""

from __future__ import annotations

import functools
import re

import sqlalchemy as sa
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased

from crm_web.accounts.models import User
from crm_web.companies.models import Company
from crm_web.contacts.models import (
    COMPANY_SORT,
    EMAIL_SORT,
    OWNER_SORT,
    PHONE_SORT,
    SEARCH_TEXT,
    Contact,
    name_key,
)
from crm_web.core.db import db
from crm_web.core.repository import (
    archived_or_live,
    as_uuid,
    copy_csv,
    get_by_id,
    get_by_ids,
    latest_owned,
    literal_limit,
    page,
    row_by_id,
    text_id,
)
from crm_web.core.spreadsheet import json_text_sql, neutralised_sql, stamp_sql
from crm_web.lists.keyset import (
    SortKey,
    estimate_total,
    fetch_page,
    fetch_tiered_page,
    like_pattern,
)

# Each list sort, its expressions matching an index of migration 0003 (company and owner: 0006).
SORTS = {
    "name": SortKey((Contact.last_name, Contact.first_name, Contact.id), ("str", "str", "uuid")),
    "email": SortKey(
        (*map(sa.literal_column, EMAIL_SORT), Contact.id),
        ("bool", "str", "uuid"),
    ),
    "phone": SortKey(
        (*map(sa.literal_column, PHONE_SORT), Contact.id),
        ("bool", "str", "uuid"),
    ),
    "updated": SortKey((Contact.updated_at, Contact.id), ("datetime", "uuid")),
    "company": SortKey(
        (*map(sa.literal_column, COMPANY_SORT), Contact.last_name, Contact.id),
        ("bool", "str", "str", "uuid"),
    ),
    "owner": SortKey(
        # Qualified: the list joins companies, which have an owner_sort_name too.
        (
            *(sa.literal_column(e.replace("owner_", "contacts.owner_")) for e in OWNER_SORT),
            Contact.last_name,
            Contact.id,
        ),
        ("bool", "str", "str", "uuid"),
    ),
}
# Matches the index expression text, so the trigram index serves the search.
SEARCH_EXPR = sa.literal_column(SEARCH_TEXT)
PHONE_CHARS = re.compile(r"^[\d\s()+\-.]+$")


def get_contact(contact_id, *, for_update: bool = False) -> Contact | None:
    return get_by_id(Contact, contact_id, for_update=for_update)


@functools.cache  # a Select is immutable: built once a shape, not on every list (~0.25 ms)
def row_query(*, full: bool = True):
    """Contact columns plus company and owner names, in one query (no N+1 in lists). A list
    (`full=False`) leaves out what it never shows: custom fields alone cost a JSON parse a row."""
    # A list's ids as text (core.repository.text_id); the full row's stay UUIDs.
    ids = (lambda column: column) if full else text_id
    columns = [
        ids(Contact.id),
        Contact.first_name,
        Contact.last_name,
        Contact.job_title,
        Contact.emails,
        Contact.phones,
        ids(Contact.company_id),
        Company.name.label("company_name"),
        ids(Contact.owner_id),
        User.name.label("owner_name"),
        Contact.updated_at,
        Contact.version,  # a list cell's editor tells what changed since the list was drawn
    ]
    if full:
        columns += [
            Contact.created_at,
            Contact.archived_at,
            Contact.custom_fields,
            Contact.merged_into_id,
            # The API's customer shows its company's address, and its ETag the company's version.
            Company.address.label("company_address"),
            Company.version.label("company_version"),
        ]
    return (
        select(*columns)
        .outerjoin(Company, Company.id == Contact.company_id)
        .outerjoin(User, User.id == Contact.owner_id)
    )


# Built once, at import, as the other statements a record page runs (see core.repository).
_CONTACT_ROW = row_query().where(Contact.id == bindparam("id"))


def contact_row(contact_id):
    """One contact as the list and record templates show it."""
    return row_by_id(_CONTACT_ROW, contact_id)


# A revalidation's read (the API's If-None-Match): the versions an ETag is made of, no more.
_VERSIONS = (
    select(Contact.version, Company.version.label("company_version"))
    .outerjoin(Company, Company.id == Contact.company_id)
    .where(Contact.id == bindparam("id"))
)


def contact_probe(contact_id, versions_only: bool = False):
    """(statement, parameters) reading contact_row, or contact_versions when `versions_only`,
    for a caller that runs it beside another statement (the API, with its token's lookup)."""
    return (_VERSIONS if versions_only else _CONTACT_ROW), {"id": as_uuid(contact_id)}


def contact_versions(contact_id):
    """(contact version, its company's version or None) of one contact, or None."""
    key = as_uuid(contact_id)
    if key is None:
        return None
    return db.session.execute(_VERSIONS, {"id": key}).first()


def _search_values(term: str) -> dict:
    """The LIKE patterns of a contains-search for `term` (_search's bindparams): the term, its
    phone digits when it looks like a phone number, and the company name pattern."""
    term = term.strip().lower()
    digits = re.sub(r"\D", "", term)
    values = {"pattern0": like_pattern(term), "company_pattern": like_pattern(term)}
    if PHONE_CHARS.match(term) and len(digits) >= 3 and digits != term:
        values["pattern1"] = like_pattern(digits)
    return values


def _search(query, patterns: dict):
    """Name, email, phone digits (any format typed) or company name contains the term, its
    patterns bound (_search_values: a second pattern when the term is a phone number)."""
    # One LIKE ANY, so a row the trigram index can't rule out computes its search text once;
    # the term without accents, as the search text is (crm_contact_search).
    names = [name for name in ("pattern0", "pattern1") if name in patterns]
    typed = [func.lower(func.crm_unaccent(bindparam(name, type_=sa.String))) for name in names]
    conditions = [SEARCH_EXPR.op("LIKE")(sa.any_(postgresql.array(typed)))]
    companies = (
        select(Company.id)
        .where(
            func.lower(Company.name).like(bindparam("company_pattern", type_=sa.String)),
            Company.archived_at.is_(None),
        )
        .limit(200)
    )
    conditions.append(Contact.company_id == sa.any_(func.array(companies.scalar_subquery())))
    return query.where(or_(*conditions))


def filtered(query, filters: dict, *, bound: bool = False):
    """`query` narrowed by the list's filters; `bound`: the company and owner ids as bindparams
    (their values given when it runs: a statement built once per shape, see list_page)."""
    query = archived_or_live(query, Contact, filters.get("archived"))
    if filters.get("company_id"):
        company = (
            bindparam("company_id", type_=sa.Uuid) if bound else as_uuid(filters["company_id"])
        )
        query = query.where(Contact.company_id == company)
    if filters.get("owner_id"):
        owner = bindparam("owner_id", type_=sa.Uuid) if bound else as_uuid(filters["owner_id"])
        query = query.where(Contact.owner_id == owner)
    if filters.get("has_email"):
        query = query.where(func.cardinality(Contact.emails) > 0)
    if filters.get("has_phone"):
        query = query.where(func.cardinality(Contact.phones) > 0)
    term = (filters.get("q") or "").strip()
    if term:
        if _contains_search(term):
            query = _search(query, _search_values(term))
            values = _search_values(term)
        else:
            conditions, values = _starts_with(term)
            query = query.where(or_(*conditions))
        # Built per request here (the count, a search sorted by a column): values in place.
        query = query.params(values)
    return query


# Trigrams need three characters: a shorter term would scan every contact for a contains-match
# (seconds at a million, for `zq`), so it matches names that start with it, from an index.
MIN_CONTAINS_SEARCH = 3


def _contains_search(term: str) -> bool:
    return len(term.strip()) >= MIN_CONTAINS_SEARCH


def contacts_query(filters: dict):
    return filtered(select(Contact), filters)


# A search pages through (and sorts) at most this many matches, found in no particular order:
# sorting every match of a 3-letter term at a million contacts takes seconds (DESIGN §10);
# typing more narrows it. Best matches first (a search's default) lists every name that starts
# with the term, in order, before up to this many other matches (see list_page).
SEARCH_CAP = 300

# Best matches first: lower-cased last name, first name, id, compared byte by byte, so that
# `LIKE 'smi%'` is a range of idx_contacts_last_first_lower (migration 0005) and a page of Smiths
# is read in order straight from it.
LAST_LOWER = name_key(Contact.last_name)
FIRST_LOWER = name_key(Contact.first_name)
RELEVANCE = SortKey((LAST_LOWER, FIRST_LOWER, Contact.id), ("str", "str", "uuid"))
# "First last" prefixes tried for a term with spaces ("mary ann smi": first name "mary" or
# "mary ann"); a name past that many spaces is still found, among the other matches.
FULL_NAME_SPLITS = 3


def list_page(
    filters: dict, sort: str, descending: bool, cursor: dict, limit: int = 50, full: bool = False
):
    """(rows, next cursor, prev cursor) of the contact list; `full`: rows with every column a
    record has (contact_row's), as the API lists them. Each statement is built once per shape
    (which filters are set; for a search, its number of words and whether it holds phone
    digits), its values bound (lists.keyset.fetch_page)."""
    term = filters.get("q", "").strip()
    values = {name: as_uuid(filters.get(name)) for name in ("company_id", "owner_id")}
    shape = ("contacts", full, *(bool(filters.get(name)) for name in SHAPE_FILTERS))
    if term and sort == "relevance":
        # Every name starting with the term (index ranges, read in list order: `smi` costs
        # under a millisecond, and the alphabetically first Smiths are on page 1), then the
        # other matches: the first SEARCH_CAP found through the trigram index, in name order.
        # Those are only looked for once the names starting with the term run out.
        starts, starts_values = _starts_with(term)
        patterns = _search_values(term)

        def unsearched():
            return filtered(select(Contact.id), {**filters, "q": ""}, bound=True)

        def others():
            found = _search(unsearched(), patterns).where(~or_(*starts)).limit(SEARCH_CAP)
            found = found.cte("others").prefix_with("MATERIALIZED")
            return [select(Contact.id).join(found, found.c.id == Contact.id)]

        tiers = [lambda: [unsearched().where(condition) for condition in starts]]
        if _contains_search(term):
            tiers.append(others)
        return fetch_tiered_page(
            tiers,
            RELEVANCE,
            _full_rows_of if full else _rows_of,
            descending=descending,
            limit=limit,
            shape=(*shape, "best", len(starts), len(tiers), len(patterns) - 1),
            params={**values, **starts_values, **patterns},
            **cursor,
        )
    if term:
        # The first SEARCH_CAP matches, found through the trigram index, then sorted and paged.
        matches = filtered(select(Contact.id), filters).limit(SEARCH_CAP).cte("matches")
        matches = matches.prefix_with("MATERIALIZED")
        query = row_query(full=full).join(matches, matches.c.id == Contact.id)
        return fetch_page(query, SORTS[sort], descending=descending, limit=limit, **cursor)
    # No search: the statement depends only on which filters are set (their values are bound).
    return fetch_page(
        lambda: filtered(row_query(full=full), filters, bound=True),
        SORTS["name"] if sort == "relevance" else SORTS[sort],
        descending=descending,
        limit=limit,
        shape=shape,
        params=values,
        **cursor,
    )


SHAPE_FILTERS = ("archived", "company_id", "owner_id", "has_email", "has_phone")


def _rows_of(page):
    return row_query(full=False).join(page, page.c.id == Contact.id)


def _full_rows_of(page):
    return row_query().join(page, page.c.id == Contact.id)


def _starts_with(term: str) -> tuple[list, dict]:
    """Disjoint conditions, together "the last name, or first name + ' ' + last name, starts
    with the term", each an index range in RELEVANCE order (so LIMIT stops early): the last
    name starts with it; else the first name is the term up to a space and the last name
    starts with the rest ("ada tur"). A first name alone starting with the term is left to the
    other matches: no index range gives those in last-name order, and an ordered scan of the
    whole index for a term no first name starts with costs ~70 ms at a million contacts.
    The values are bindparams (`last0`, `first1`, `last1`, …), returned beside."""
    term = term.strip().lower()
    values = {"last0": like_pattern(term)[1:]}
    splits = [i for i, char in enumerate(term) if char == " "][:FULL_NAME_SPLITS]
    for n, i in enumerate(splits, start=1):
        values[f"first{n}"], values[f"last{n}"] = term[:i], like_pattern(term[i + 1 :])[1:]
    return _starts_conditions(len(splits)), values


@functools.lru_cache(maxsize=FULL_NAME_SPLITS + 1)
def _starts_conditions(splits: int) -> list:
    """_starts_with's conditions for a term with `splits` spaces: the same for every such term
    (its values are bound), so built once rather than on every keystroke."""
    last = LAST_LOWER.like(bindparam("last0", type_=sa.String))
    conditions = [last]
    for n in range(1, splits + 1):
        rest = LAST_LOWER.like(bindparam(f"last{n}", type_=sa.String))
        conditions.append((bindparam(f"first{n}", type_=sa.String) == FIRST_LOWER) & rest & ~last)
    return conditions


def listed(query, filters: dict):
    """`query` narrowed to the contacts the list pages through for `filters` (list_page), so
    an export holds exactly the rows of all its pages. Without a search, every filtered row.
    A search sorted by relevance (filters["sort"], the list's default for one): the names
    starting with the term and the first SEARCH_CAP other matches; sorted by a column: the
    first SEARCH_CAP matches. Those caps are found as list_page finds them (the same
    subqueries, materialised), so they are the same rows."""
    term = (filters.get("q") or "").strip()
    if not term:
        return filtered(query, filters)
    unsearched = {**filters, "q": ""}
    if filters.get("sort") in SORTS:
        matches = filtered(select(Contact.id), filters).limit(SEARCH_CAP)
        matches = matches.cte("matches").prefix_with("MATERIALIZED")
        return filtered(query, unsearched).where(Contact.id.in_(select(matches.c.id)))
    starts, values = _starts_with(term)
    shown = [*starts]
    if _contains_search(term):
        patterns = _search_values(term)
        others = _search(filtered(select(Contact.id), unsearched), patterns)
        others = others.where(~or_(*starts)).limit(SEARCH_CAP)
        others = others.cte("others").prefix_with("MATERIALIZED")
        shown.append(Contact.id.in_(select(others.c.id)))
        values |= patterns
    return filtered(query, unsearched).where(or_(*shown)).params(values)


def count_contacts(filters: dict):
    """(total, is_estimate) for the list header."""
    narrowed = {k: v for k, v in filters.items() if v and k != "archived"}
    query = filtered(select(Contact.id), filters)
    return estimate_total(
        query, "contacts", unfiltered=not narrowed and not filters.get("archived")
    )


def list_contacts(filters: dict, limit: int = 50, offset: int = 0) -> list[Contact]:
    query = contacts_query(filters).order_by(Contact.created_at.desc(), Contact.id.desc())
    return page(query, limit, offset)


_CONTACTS_OF_COMPANY = (  # built once (core.repository)
    select(Contact)
    .where(Contact.company_id == bindparam("id"), Contact.archived_at.is_(None))
    .order_by(Contact.last_name, Contact.first_name, Contact.id)
)


def contacts_of_company(company_id) -> list[Contact]:
    return list(db.session.scalars(_CONTACTS_OF_COMPANY, {"id": as_uuid(company_id)}))


def contacts_with_company(company_id) -> list[Contact]:
    """Every contact linked to the company, archived or not (for unlinking on delete)."""
    return list(
        db.session.scalars(select(Contact).where(Contact.company_id == as_uuid(company_id)))
    )


def contacts_by_ids(ids, *, for_update: bool = False) -> list[Contact]:
    return get_by_ids(Contact, ids, for_update=for_update)


def contacts_with_email_or_phone(emails: list[str], phones: list[str], exclude=None):
    """Contacts already holding any of these emails (in any case) or phones (GIN indexes
    idx_contacts_emails_lower and idx_contacts_phones)."""
    conditions = []
    if emails:
        lowered = sa.cast([e.lower() for e in emails], Contact.emails.type)
        conditions.append(func.crm_lower_emails(Contact.emails).op("&&")(lowered))
    if phones:
        conditions.append(Contact.phones.overlap(sa.cast(phones, Contact.phones.type)))
    if not conditions:
        return []
    query = select(Contact).where(or_(*conditions)).order_by(Contact.last_name).limit(5)
    if exclude is not None:
        query = query.where(Contact.id != as_uuid(exclude))
    return list(db.session.scalars(query))


def live_contacts_sharing(emails: list[str], phones: list[str], exclude=None, limit: int = 5):
    """Live contacts holding any of these emails (in any case) or phones (GIN indexes
    idx_contacts_emails_lower and idx_contacts_phones)."""
    conditions = []
    if emails:
        lowered = sa.cast([e.lower() for e in emails], Contact.emails.type)
        conditions.append(func.crm_lower_emails(Contact.emails).op("&&")(lowered))
    if phones:
        conditions.append(Contact.phones.overlap(sa.cast(phones, Contact.phones.type)))
    if not conditions:
        return []
    query = (
        select(Contact)
        .where(or_(*conditions), Contact.archived_at.is_(None))
        .order_by(Contact.last_name, Contact.id)
        .limit(limit)
    )
    if exclude is not None:
        query = query.where(Contact.id != as_uuid(exclude))
    return list(db.session.scalars(query))


def export_csv(filters: dict, emails: int, phones: int, fields: list[str]):
    """Every contact the list of `filters` pages through (listed), in name order, as CSV rows
    written by PostgreSQL (core.repository.copy_csv): id, names, job title, `emails` and
    `phones` columns, company name, owner email, times, the custom `fields`; each cell
    neutralised as the export's Python cells are (core.spreadsheet)."""
    # An alias: the search's own subquery of companies must not correlate with this join.
    company = aliased(Company)
    cells = [
        Contact.first_name,
        Contact.last_name,
        Contact.job_title,
        *(Contact.emails[n] for n in range(1, emails + 1)),
        *(Contact.phones[n] for n in range(1, phones + 1)),
        company.name,
        User.email,
    ]
    query = (
        listed(
            select(
                Contact.id,  # a UUID and times start with a digit: nothing to neutralise
                *map(neutralised_sql, cells),
                *map(stamp_sql, (Contact.created_at, Contact.updated_at, Contact.archived_at)),
                *(neutralised_sql(json_text_sql(Contact.custom_fields, f)) for f in fields),
            ),
            filters,
        )
        .outerjoin(company, company.id == Contact.company_id)
        .outerjoin(User, User.id == Contact.owner_id)
        .order_by(Contact.last_name, Contact.first_name, Contact.id)
    )
    return copy_csv(query)


def most_emails_and_phones(filters: dict) -> tuple[int, int]:
    """The most emails and the most phones one listed contact has (the export's columns)."""
    query = listed(
        select(
            func.coalesce(func.max(func.cardinality(Contact.emails)), 0),
            func.coalesce(func.max(func.cardinality(Contact.phones)), 0),
        ),
        filters,
    )
    return tuple(db.session.execute(query).one())


# The live contact holding each value (the oldest, should two), through the GIN indexes on
# the emails (lower-cased: an email matches in any case) and the phones. An aggregate, not
# ORDER BY created_at LIMIT 1, which the planner may serve by walking idx_contacts_created_at
# until a row matches: every contact read for a value nobody holds.
_HOLDER_SQL = (
    "SELECT w.value, (SELECT (array_agg(id ORDER BY created_at, id))[1] FROM contacts "
    "WHERE {held} @> ARRAY[w.value] AND archived_at IS NULL) AS id "
    "FROM unnest(CAST(:values AS text[])) AS w(value)"
)
_HOLDERS = {
    "emails": sa.text(_HOLDER_SQL.format(held="crm_lower_emails(emails)")),
    "phones": sa.text(_HOLDER_SQL.format(held="phones")),
}
_MERGE_PENDING = sa.text(
    "SELECT gin_clean_pending_list('idx_contacts_emails_lower'::regclass), "
    "gin_clean_pending_list('idx_contacts_phones'::regclass)"
)


def contacts_holding(emails: list[str], phones: list[str]) -> dict:
    """{value: id} of the live contacts holding these emails (lower-cased) and phones: one GIN
    index look-up per value (`column @> ARRAY[value]`), so a batch's thousands of values stay
    as quick as a few (one `column && all_of_them` lets the planner scan every contact)."""
    # Rows just inserted wait in each GIN index's pending list, which every look-up reads whole
    # (0.7 ms each after a few batches of an import): merged first, thousands take 10 ms.
    db.session.execute(_MERGE_PENDING)
    found: dict = {}
    for column, values in (("emails", {e.lower() for e in emails}), ("phones", set(phones))):
        if values:
            rows = db.session.execute(_HOLDERS[column], {"values": sorted(values)})
            found.update((value, key) for value, key in rows if key is not None)
    return found


def baseline_rows(limit: int = 50) -> list:
    query = (
        select(Contact.id, Contact.first_name, Contact.last_name, Contact.emails)
        .where(Contact.archived_at.is_(None))
        .order_by(Contact.last_name, Contact.first_name, Contact.id)
        .limit(literal_limit(limit))  # as the list's own query: a fair yardstick
    )
    return list(db.session.execute(query))


def recently_updated(owner_id, limit: int) -> list[Contact]:
    """An owner's live contacts, last updated first (idx_contacts_owner_id)."""
    return latest_owned(Contact, owner_id, limit)
