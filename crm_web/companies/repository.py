"""Company queries: the list (filters, search, keyset sort), record rows, the picker. Never commits."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from crm_web.accounts.models import User
from crm_web.companies.models import CITY_SORT, COUNTRY_SORT, OWNER_SORT, Company

# A higher area's model, kept for one join: a company row (its page and each list row) counts
# its live contacts in the same query; asking the contacts area would cost a query per page.
from crm_web.contacts.models import Contact
from crm_web.core.db import db
from crm_web.core.repository import (
    archived_or_live,
    as_uuid,
    get_by_id,
    get_by_ids,
    latest_owned,
    page,
    row_by_id,
    text_id,
)
from crm_web.lists.keyset import SortKey, estimate_total, fetch_page, like_pattern


def _sort(expressions) -> SortKey:
    """A sort by (missing, value) expressions of an index of migration 0006, then name."""
    columns = (*map(sa.literal_column, expressions), Company.name, Company.id)
    return SortKey(columns, ("bool", "str", "str", "uuid"))


SORTS = {
    "name": SortKey((Company.name, Company.id), ("str", "uuid")),
    "city": _sort(CITY_SORT),
    "country": _sort(COUNTRY_SORT),
    "owner": _sort(OWNER_SORT),
    "updated": SortKey((Company.updated_at, Company.id), ("datetime", "uuid")),
}


def get_company(company_id, *, for_update: bool = False) -> Company | None:
    return get_by_id(Company, company_id, for_update=for_update)


def export_rows(filters: dict):
    """Every company the list's `filters` select, with owner email, streamed from a
    server-side cursor (a thousand rows at a time), in name order."""
    query = (
        filtered(select(Company, User.email), filters)
        .outerjoin(User, User.id == Company.owner_id)
        .order_by(Company.name, Company.id)
        .execution_options(yield_per=1000)
    )
    return db.session.execute(query)


def company_ids_by_name(lowered: list[str]) -> dict:
    """{lower-cased name: id of the oldest live company so named} for these lower-cased names."""
    query = (
        select(func.lower(Company.name), Company.id)
        .where(func.lower(Company.name).in_(lowered), Company.archived_at.is_(None))
        .order_by(func.lower(Company.name), Company.created_at.desc(), Company.id.desc())
    )
    # Later rows win: each name ends with its oldest company.
    return dict(db.session.execute(query).all())


def _contact_count():
    return (
        select(func.count())
        .where(Contact.company_id == Company.id, Contact.archived_at.is_(None))
        .correlate(Company)
        .scalar_subquery()
        .label("contact_count")
    )


def row_query(*, full: bool = True):
    """Company columns, owner name and the number of live contacts, in one query. A list
    (`full=False`) leaves out what it never shows: custom fields cost a JSON parse a row."""
    columns = [
        Company.id,
        Company.name,
        Company.website,
        Company.phone,
        Company.industry,
        Company.address,
        Company.owner_id,
        User.name.label("owner_name"),
        _contact_count(),
        Company.updated_at,
        Company.version,  # a list cell's editor tells what changed since the list was drawn
    ]
    if full:
        columns += [Company.created_at, Company.archived_at, Company.custom_fields]
    return select(*columns).outerjoin(User, User.id == Company.owner_id)


def cells_query():
    """The list page's columns alone: the city and country as text (decoding each row's address
    JSON in Python cost a third of reading the page), no website or phone."""
    columns = (
        text_id(Company.id),  # printed into URLs only (core.repository.text_id)
        Company.name,
        Company.industry,
        Company.address["city"].astext.label("city"),
        Company.address["country"].astext.label("country"),
        text_id(Company.owner_id),
        User.name.label("owner_name"),
        _contact_count(),
        Company.updated_at,
        Company.version,
    )
    return select(*columns).outerjoin(User, User.id == Company.owner_id)


_COMPANY_ROW = row_query().where(Company.id == bindparam("id"))  # built once (core.repository)


def company_row(company_id):
    return row_by_id(_COMPANY_ROW, company_id)


def filtered(query, filters: dict, *, bound: bool = False):
    """`query` narrowed by the list's filters; `bound`: their values as bindparams "owner_id"
    and "name_pattern" (given when it runs: a statement built once per shape, see list_page)."""
    query = archived_or_live(query, Company, filters.get("archived"))
    if filters.get("owner_id"):
        owner = bindparam("owner_id", type_=sa.Uuid) if bound else as_uuid(filters["owner_id"])
        query = query.where(Company.owner_id == owner)
    if filters.get("q") and filters["q"].strip():
        pattern = (
            bindparam("name_pattern", type_=sa.String) if bound else _name_pattern(filters["q"])
        )
        query = query.where(func.lower(Company.name).like(pattern))
    return query


def _name_pattern(term: str) -> str:
    return like_pattern(term.lower())


def companies_query(filters: dict):
    return filtered(select(Company), filters)


def list_page(
    filters: dict, sort: str, descending: bool, cursor: dict, limit: int = 50, *, cells=False
):
    """A page of companies: row_query(full=False)'s rows, or with `cells` cells_query's."""
    # The statement depends only on which filters are set (their values are bound).
    shape = ("companies", cells, *(bool(filters.get(name)) for name in ("archived", "owner_id")))
    term = filters.get("q") or ""
    values = {"owner_id": as_uuid(filters.get("owner_id")), "name_pattern": _name_pattern(term)}
    columns = cells_query if cells else lambda: row_query(full=False)
    return fetch_page(
        lambda: filtered(columns(), filters, bound=True),
        SORTS[sort],
        descending=descending,
        limit=limit,
        shape=(*shape, bool(term.strip())),
        params=values,
        **cursor,
    )


def count_companies(filters: dict):
    narrowed = filters.get("q") or filters.get("owner_id") or filters.get("archived")
    query = filtered(select(Company.id), filters)
    return estimate_total(query, "companies", unfiltered=not narrowed)


def list_companies(filters: dict, limit: int = 50, offset: int = 0) -> list[Company]:
    query = companies_query(filters).order_by(Company.created_at.desc(), Company.id.desc())
    return page(query, limit, offset)


def picker_options(term: str, limit: int = 8) -> list:
    """(id, name) of live companies whose name contains `term`, by name."""
    query = select(Company.id, Company.name).where(Company.archived_at.is_(None))
    if term.strip():
        query = query.where(func.lower(Company.name).like(like_pattern(term.strip().lower())))
    return list(db.session.execute(query.order_by(Company.name, Company.id).limit(limit)))


def existing_company_ids(ids) -> set:
    """Which of these ids (any text) name a company, archived or not."""
    keys = [k for k in (as_uuid(i) for i in ids) if k is not None]
    if not keys:
        return set()
    # One array parameter: an IN list of a batch's 2,000 ids costs twice the time to send and plan.
    ids = bindparam("ids", keys, type_=ARRAY(Company.id.type))
    return set(db.session.scalars(select(Company.id).where(Company.id == any_(ids))))


def companies_by_ids(ids, *, for_update: bool = False) -> list[Company]:
    return get_by_ids(Company, ids, for_update=for_update)


def recently_updated(owner_id, limit: int) -> list[Company]:
    """An owner's live companies, last updated first (idx_companies_owner_id)."""
    return latest_owned(Company, owner_id, limit)


# Migration 0012's index expression (idx_companies_search_trgm): name and web domain, lower-cased.
_SEARCH_TEXT = sa.literal_column("crm_company_search(companies.name, companies.website)")


def live_companies_like(name: str, domain: str | None, exclude=None, limit: int = 5):
    """Live companies with this name (in any case) or, roughly, this web domain: candidates for
    the caller to compare exactly (idx_companies_name_trgm, idx_companies_search_trgm)."""
    conditions = [func.lower(Company.name) == name.lower()]
    if domain:
        conditions.append(_SEARCH_TEXT.like(like_pattern(domain.lower())))
    query = (
        select(Company)
        .where(sa.or_(*conditions), Company.archived_at.is_(None))
        .order_by(Company.name, Company.id)
        .limit(limit)
    )
    if exclude is not None:
        query = query.where(Company.id != as_uuid(exclude))
    return list(db.session.scalars(query))
