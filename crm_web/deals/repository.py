from functools import cache

import sqlalchemy as sa
from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import aliased, joinedload

from crm_web.accounts.models import User
from crm_web.companies.models import Company
from crm_web.contacts.models import Contact
from crm_web.core.db import db
from crm_web.core.repository import (
    archived_or_live,
    as_uuid,
    get_by_id,
    literal_limit,
    page,
    read,
    text_id,
)
from crm_web.deals.models import Deal, PipelineStage, deal_stage_totals
from crm_web.lists.keyset import SortKey, decode_cursor, estimate_total, fetch_page


def get_deal(deal_id, *, for_update: bool = False) -> Deal | None:
    return get_by_id(Deal, deal_id, for_update=for_update)


def get_stage_by_name(name: str) -> PipelineStage | None:
    return db.session.scalars(select(PipelineStage).where(PipelineStage.name == name)).first()


def list_stages() -> list[PipelineStage]:
    return list(db.session.scalars(select(PipelineStage).order_by(PipelineStage.position)))


def _array_of(query):
    return func.array(query.scalar_subquery())


# The list pages' filter pickers: the stages in board order, and the active users by name
# (accounts.repository.active_users). A full list page reads them with the signed-in user
# (activities.repository.SIGNED_IN_WITH_PICKERS); otherwise in one statement built once.
_ACTIVE = select(User.id, User.name).where(User.active).order_by(User.name, User.id)
PICKER_COLUMNS = (
    _array_of(select(PipelineStage.name).order_by(PipelineStage.position)).label("stages"),
    _array_of(_ACTIVE.with_only_columns(User.id)).label("owner_ids"),
    _array_of(_ACTIVE.with_only_columns(User.name)).label("owner_names"),
)
_LIST_PICKERS = select(*PICKER_COLUMNS)


def pickers(stages: list, owner_ids: list, owner_names: list) -> dict:
    """PICKER_COLUMNS' values as the filters draw them: {"stages": names, "owners": (id, name)
    of each active user}."""
    return {"stages": stages, "owners": list(zip(owner_ids, owner_names, strict=True))}


def list_pickers() -> dict:
    return pickers(*read(_LIST_PICKERS)[0])


def deals_query(filters: dict):
    query = archived_or_live(select(Deal), Deal, filters.get("archived"))
    return _equal_to(query, filters, ("company_id", "contact_id", "owner_id", "stage"), False)


def _equal_to(query, filters: dict, names, bound: bool):
    """Only the deals whose column equals each named filter that is set (an id, or the stage);
    `bound`: the values as bindparams of those names, given when the statement runs."""
    for name in names:
        if filters.get(name):
            if bound:
                value = bindparam(name)
            else:
                value = filters[name] if name == "stage" else as_uuid(filters[name])
            query = query.where(getattr(Deal, name) == value)
    return query


# The list's filters a statement built once per shape takes as bound values (search_deals);
# the others build their statement per request.
_BOUND_FILTERS = ("owner_id", "company_id", "stage", "archived")
_UNBOUND_FILTERS = ("close_from", "close_to", "q", "status")


def list_deals(filters: dict, limit: int = 50, offset: int = 0) -> list[Deal]:
    query = deals_query(filters).order_by(Deal.created_at.desc(), Deal.id.desc())
    return page(query, limit, offset)


def deals_of_company(company_id, *, include_archived: bool = False) -> list[Deal]:
    query = select(Deal).where(Deal.company_id == as_uuid(company_id))
    if not include_archived:
        query = query.where(Deal.archived_at.is_(None))
    return list(db.session.scalars(query.order_by(Deal.created_at, Deal.id)))


@cache
def _related_deals(entity_type: str, limit: int):
    column = Deal.company_id if entity_type == "company" else Deal.contact_id
    return (
        select(Deal)
        .where(column == bindparam("id"), Deal.archived_at.is_(None))
        .order_by(Deal.close_date.asc().nulls_last(), Deal.id)
        .limit(literal_limit(limit))
    )


def related_deals(entity_type: str, entity_id, limit: int) -> list[Deal]:
    """Live deals of a company or contact for its record page: soonest close date first."""
    return list(db.session.scalars(_related_deals(entity_type, limit), {"id": as_uuid(entity_id)}))


def deals_of_contact(contact_id) -> list[Deal]:
    return list(db.session.scalars(select(Deal).where(Deal.contact_id == as_uuid(contact_id))))


# Filters shared by the list, the board and the print view (already cleaned by the service):
# owner_id, company_id, stage, close_from, close_to, status (open/won/lost), q (title search).
def filtered(query, filters: dict, *, bound: bool = False):
    """`query` narrowed by the filters; `bound`: those of _BOUND_FILTERS as bindparams."""
    query = _equal_to(query, filters, ("owner_id", "company_id", "stage"), bound)
    if filters.get("close_from"):
        query = query.where(Deal.close_date >= filters["close_from"])
    if filters.get("close_to"):
        query = query.where(Deal.close_date <= filters["close_to"])
    if filters.get("q"):
        term = filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Deal.title.ilike(f"%{term}%", escape="\\"))
    if filters.get("status"):
        stages = select(PipelineStage.name).where(_of_status(PipelineStage, filters["status"]))
        query = query.where(Deal.stage.in_(stages.scalar_subquery()))
    # Archived deals: only the list asks for them, never the board or totals.
    return archived_or_live(query, Deal, filters.get("archived"))


def _of_status(stage, status: str):
    """The condition on a pipeline stage (or an alias of it) for its deals to have `status`."""
    if status == "won":
        return stage.is_won
    if status == "lost":
        return stage.is_lost
    return sa.and_(~stage.is_won, ~stage.is_lost)


def _with_links(query):
    return query.options(joinedload(Deal.company), joinedload(Deal.owner), joinedload(Deal.contact))


# Board cards: soonest close date first, undated last; keyset on (sort date, id).
_INFINITY = sa.literal_column("'infinity'::date", sa.Date)
_CLOSE_KEY = func.coalesce(Deal.close_date, _INFINITY)
# A column's cursor (the lists' format): the card's close date (null when undated) and id.
BOARD_KEY = SortKey((_CLOSE_KEY, Deal.id), ("date_or_none", "uuid"))


def column_deals(stage: str, filters: dict, after: tuple | None, limit: int) -> list[Deal]:
    """One board column's cards after the keyset cursor `after` = (close key, id)."""
    query = filtered(select(Deal), filters).where(Deal.stage == stage)
    if after is not None:
        when, deal_id = after
        key = _INFINITY if when is None else sa.literal(when, sa.Date)
        query = query.where(sa.tuple_(_CLOSE_KEY, Deal.id) > sa.tuple_(key, deal_id))
    query = _with_links(query).order_by(_CLOSE_KEY, Deal.id).limit(literal_limit(limit))
    return list(db.session.scalars(query).unique())


# The filters deal_stage_totals can answer (it is kept per owner, stage and currency; a status
# is a set of stages).
KEPT_TOTALS_FILTERS = frozenset({"owner_id", "status"})
# The kept totals' statements, one per shape (owner filtered or not, status), built once: the
# home page asks for its user's open deals' totals on every view.
_KEPT_TOTALS: dict = {}


def stage_currency_totals(filters: dict) -> list:
    """One aggregate query: (stage, currency, count, total, weighted) per stage and currency.
    Unfiltered, by owner or by status, from the kept totals (a few rows, however many deals);
    with other filters, from the deals they match."""
    # (An owner filter of None, deals without an owner, takes the general path: a bound None
    # would compare as `= NULL`, never true.)
    if set(filters) <= KEPT_TOTALS_FILTERS and filters.get("owner_id", "") is not None:
        status = filters.get("status") or None
        if status not in (None, "won", "lost"):
            status = "open"  # as _of_status reads any other value
        shape = ("owner_id" in filters, status)
        statement = _KEPT_TOTALS.get(shape)
        if statement is None:
            shaped = {"owner_id": bindparam("owner_id", type_=sa.Uuid)} if shape[0] else {}
            statement = _KEPT_TOTALS[shape] = _totals_query({**shaped, "status": status})
        return read(statement, {"owner_id": as_uuid(filters.get("owner_id"))})
    return list(db.session.execute(_totals_query(filters)))


def _totals_query(filters: dict):
    """stage_currency_totals' statement, its columns named."""
    if set(filters) <= KEPT_TOTALS_FILTERS:
        kept = deal_stage_totals.c
        query = select(
            kept.stage, kept.currency, sa.cast(func.sum(kept.deals), sa.BigInteger).label("count"),
            func.sum(kept.total).label("total"),
            func.sum(kept.weighted).label("weighted"),
        )  # fmt: skip
        if "owner_id" in filters:
            query = query.where(kept.owner_id == filters["owner_id"])
        if filters.get("status"):
            stages = select(PipelineStage.name).where(_of_status(PipelineStage, filters["status"]))
            query = query.where(kept.stage.in_(stages.scalar_subquery()))
        query = query.group_by(kept.stage, kept.currency).having(func.sum(kept.deals) > 0)
        return query.order_by(kept.stage, kept.currency)
    weighted = func.sum(Deal.value * Deal.probability / 100).label("weighted")
    query = filtered(
        select(
            Deal.stage,
            Deal.currency,
            func.count().label("count"),
            func.sum(Deal.value).label("total"),
            weighted,
        ),
        filters,
    )
    return query.group_by(Deal.stage, Deal.currency).order_by(Deal.stage, Deal.currency)


def _json_object(columns) -> sa.ColumnElement:
    """A JSON object of `columns` by name; amounts as text, so they come back exact."""
    pairs = []
    for column in columns:
        value = sa.cast(column, sa.Text) if isinstance(column.type, sa.Numeric) else column
        pairs += [sa.literal_column(f"'{column.key}'"), value]
    return func.json_build_object(*pairs)


def _with_names(*columns) -> sa.Select:
    """`columns` of deals and, beside them, their company's and owner's names (`company_name`,
    `owner_name`): what the board, the list and the printed pipeline show of them."""
    return (
        select(*columns, Company.name.label("company_name"), User.name.label("owner_name"))
        .select_from(Deal)
        .outerjoin(Company, Company.id == Deal.company_id)
        .outerjoin(User, User.id == Deal.owner_id)
    )


# The board's statements, one per shape (owner filtered or not; the cards a column shows),
# built once, the owner a bound value, and run prepared on the driver (core.repository.read):
# with the kept cards, a board view's CPU fell by about half. A date range builds its own.
_BOARDS: dict = {}


def board(filters: dict, limit: int) -> list:
    """The board in one statement: a row per stage in order (its columns), with `cards` (JSON:
    its first `limit` cards as column_deals orders them, with company and owner names), the same
    `totals` on every row (JSON: stage_currency_totals) and `owners` (JSON: the active users,
    for the owner filter)."""
    if set(filters) <= {"owner_id"}:  # (an owner is a UUID: pipeline.clean_filters)
        shape = ("owner_id" in filters, limit)
        statement = _BOARDS.get(shape)
        if statement is None:
            owner = bindparam("owner_id", type_=sa.Uuid) if shape[0] else None
            statement = _BOARDS[shape] = _board(filters, limit, owner)
        return read(statement, {"owner_id": as_uuid(filters.get("owner_id"))})
    return list(db.session.execute(_board(filters, limit)))


def _board(filters: dict, limit: int, owner=None):
    """board()'s statement; `owner`: the owner filter's bindparam, to build it once for every
    owner (else the filters' values are written in)."""
    bound = owner is not None
    cards = (
        filtered(
            _with_names(
                Deal.id,
                Deal.title,
                Deal.stage,
                Deal.version,
                Deal.value,
                Deal.currency,
                Deal.close_date,
                Deal.probability,
                Deal.company_id,
                Deal.owner_id,
                _CLOSE_KEY.label("close_key"),
            ),
            filters,
            bound=bound,
        )  # fmt: skip
        .where(Deal.stage == PipelineStage.name)
        .order_by(_CLOSE_KEY, Deal.id)
        .limit(literal_limit(limit))
        .lateral("cards")
    )
    card = _json_object([c for c in cards.c if c.key != "close_key"])
    listed = func.json_agg(aggregate_order_by(card, cards.c.close_key, cards.c.id))
    totals = _totals_query({**filters, "owner_id": owner} if bound else filters).subquery("totals")
    owners = select(User.id, User.name, User.email).where(User.active).subquery()
    owner = _json_object([owners.c.id, owners.c.name])
    empty = sa.literal_column("'[]'::json")
    query = (
        select(
            *sa.inspect(PipelineStage).columns,
            func.coalesce(listed.filter(cards.c.id.is_not(None)), empty).label("cards"),
            select(func.coalesce(func.json_agg(_json_object(list(totals.c))), empty))
            .scalar_subquery()
            .label("totals"),
            select(
                func.coalesce(
                    func.json_agg(aggregate_order_by(owner, owners.c.name, owners.c.email)), empty
                )
            )
            .scalar_subquery()
            .label("owners"),
        )
        .select_from(PipelineStage)
        .outerjoin(cards, sa.true())
        .group_by(PipelineStage.id)
        .order_by(PipelineStage.position)
    )
    return query


def printable_deals(filters: dict, limit: int) -> list:
    """The first `limit` deals the filters match, ordered for the printed pipeline (read in
    that order from idx_deals_print_keyset, migration 0029), as rows of the columns the sheet
    shows (company and owner names joined, no ORM objects). How many match is the board's
    totals' count: a count(*) OVER () here read and sorted every matching deal."""
    query = (
        filtered(
            _with_names(
                Deal.title, Deal.stage, Deal.currency, Deal.value, Deal.probability,
                Deal.close_date,
            ),
            filters,
        )
        .order_by(_CLOSE_KEY, Deal.title, Deal.id)
        .limit(literal_limit(limit))
    )  # fmt: skip
    return db.session.execute(query).all()


# The deals list: each sort a keyset, read either way (fetch_page orders every key column the
# same way), each served by an index of migration 0004. Undated deals close the close-date
# order; the key says so with an IS NULL column rather than _CLOSE_KEY, as psycopg cannot read
# PostgreSQL's 'infinity' date into a cursor. The date is a constant in the SQL, not a bound
# parameter, so that even a generic (prepared) plan matches idx_deals_close_keyset.
_UNDATED = Deal.close_date.is_(None)
_CLOSE_OR_ANY = func.coalesce(Deal.close_date, sa.literal_column("'0001-01-01'::date", sa.Date))
LIST_SORTS = {
    "title": SortKey((Deal.title, Deal.id), ("str", "uuid")),
    "value": SortKey((Deal.value, Deal.id), ("decimal", "uuid")),
    "close_date": SortKey((_UNDATED, _CLOSE_OR_ANY, Deal.id), ("bool", "date", "uuid")),
    "stage": SortKey((PipelineStage.position, Deal.title, Deal.id), ("int", "str", "uuid")),
    "created": SortKey((Deal.created_at, Deal.id), ("datetime", "uuid")),
}
# Each sort's direction when the URL does not say: the newest and the largest deals first.
DESCENDING_SORTS = ("value", "created")


def _stage_sort_candidates(filters: dict, cursor: dict, limit: int, descending: bool):
    """The ids the stage sort's page is among. Its leading key is the stage's position, a column
    of pipeline_stages that no index of deals holds, but within a stage the order is (title, id):
    idx_deals_stage_keyset's. So the page fetch_page reads is among the first `limit` deals of
    each stage past the cursor, read by one short index scan per stage (LATERAL): the page
    sorts those few rows, never every deal the filters match."""
    key = LIST_SORTS["stage"]
    # Which way and from where fetch_page will read (the same rules as fetch_page's).
    after = decode_cursor(cursor.get("after"), key)
    before = None if after is not None else decode_cursor(cursor.get("before"), key)
    backwards = before is not None or (bool(cursor.get("last")) and after is None)
    reverse = descending != backwards  # reading from the end of the order
    bound = after if after is not None else before
    stage = aliased(PipelineStage)
    # The stage and status filters pick stages: applied to the stages, not to each deal read.
    of_stage = {k: v for k, v in filters.items() if k not in ("stage", "status")}
    stages = []
    if filters.get("stage"):
        stages.append(stage.name == filters["stage"])
    if filters.get("status"):
        stages.append(_of_status(stage, filters["status"]))

    def per_stage(which_stages, title_bound):
        deals = filtered(select(Deal.id), of_stage).where(Deal.stage == stage.name)
        if title_bound is not None:
            row, past = sa.tuple_(Deal.title, Deal.id), sa.tuple_(*map(sa.literal, title_bound))
            deals = deals.where(row < past if reverse else row > past)
        order = (Deal.title.desc(), Deal.id.desc()) if reverse else (Deal.title, Deal.id)
        deals = deals.order_by(*order).limit(limit).correlate(stage).lateral()
        return select(deals.c.id).select_from(stage).join(deals, sa.true()).where(*which_stages)

    if bound is None:
        return per_stage(stages, None)
    # Past (position, title, id): the rest of the cursor's stage, then the stages beyond it.
    position, title, deal_id = bound
    beyond = stage.position < position if reverse else stage.position > position
    return sa.union_all(
        per_stage([*stages, stage.position == position], (title, deal_id)),
        per_stage([*stages, beyond], None),
    )


# The deals list's columns (deals/display.py deal_rows), with the names _with_names joins: plain
# rows, not Deal objects with three eager-loaded entities (most of what the page cost).
LIST_COLUMNS = (
    text_id(Deal.id),  # printed into URLs only (core.repository.text_id)
    Deal.version,
    Deal.title,
    Deal.value,
    Deal.currency,
    Deal.stage,
    Deal.close_date,
    text_id(Deal.owner_id),
    Deal.created_at,
)


def search_deals(
    filters: dict,
    sort: str,
    cursor: dict,
    limit: int,
    descending: bool | None = None,
    full: bool = False,
) -> tuple[list, str | None, str | None]:
    """One page of the deals list, filtered and sorted: (rows, next cursor, prev cursor); the
    rows have LIST_COLUMNS, or are Deal objects with their company, owner and contact (`full`,
    the API's). `cursor` holds fetch_page's after/before/last; an unknown sort reads as
    "created"; `descending` None lists in the sort's own direction (DESCENDING_SORTS)."""
    sort = sort if sort in LIST_SORTS else "created"
    key = LIST_SORTS[sort]
    if descending is None:
        descending = sort in DESCENDING_SORTS
    if not full and sort != "stage" and not any(filters.get(name) for name in _UNBOUND_FILTERS):
        # The statement depends only on which filters are set (their values are bound).
        shape = ("deals", *(bool(filters.get(name)) for name in _BOUND_FILTERS))
        values = {name: filters.get(name) for name in _BOUND_FILTERS}
        values.update({name: as_uuid(values[name]) for name in ("owner_id", "company_id")})
        return fetch_page(
            lambda: filtered(_with_names(*LIST_COLUMNS), filters, bound=True),
            key,
            descending=descending,
            limit=limit,
            shape=shape,
            params=values,
            **cursor,
        )
    query = filtered(select(Deal) if full else _with_names(*LIST_COLUMNS), filters)
    if sort == "stage":
        candidates = _stage_sort_candidates(filters, cursor, limit + 1, descending)
        query = query.join(PipelineStage, PipelineStage.name == Deal.stage)
        query = query.where(Deal.id.in_(candidates))
    if full:
        query = _with_links(query)
    rows, next_cursor, prev_cursor = fetch_page(
        query, key, descending=descending, limit=limit, **cursor
    )
    # A full row is the deal followed by its key values (for the cursors).
    return [row[0] for row in rows] if full else rows, next_cursor, prev_cursor


def count_deals(filters: dict):
    """(total, is_estimate) for the list header (see lists.keyset.estimate_total)."""
    query = filtered(select(Deal.id), filters)
    return estimate_total(query, "deals", unfiltered=not any(filters.values()))


def get_stage(stage_id, *, for_update: bool = False) -> PipelineStage | None:
    return get_by_id(PipelineStage, stage_id, for_update=for_update)


def count_deals_in_stage(name: str) -> int:
    """Archived deals count too: the foreign key does not care."""
    return db.session.scalar(select(func.count()).where(Deal.stage == name))


def deals_in_stage(name: str) -> list[Deal]:
    return list(db.session.scalars(select(Deal).where(Deal.stage == name).with_for_update()))


def max_stage_position() -> int:
    return db.session.scalar(select(func.coalesce(func.max(PipelineStage.position), 0)))


def open_deals_of_owner(owner_id, limit: int) -> list[Deal]:
    """An owner's live deals in open stages, soonest close date first, undated last (the home
    page; idx_deals_owner_id)."""
    query = filtered(select(Deal), {"owner_id": owner_id, "status": "open"})
    query = query.options(joinedload(Deal.company)).order_by(_CLOSE_KEY, Deal.id)
    return list(db.session.scalars(query.limit(literal_limit(limit))))


def export_rows(filters: dict):
    """Every deal the list's `filters` select as (deal, company name, contact name, owner
    email), newest first, streamed from a server-side cursor (a thousand rows at a time)."""
    contact_name = func.concat_ws(" ", Contact.first_name, Contact.last_name)
    query = (
        filtered(select(Deal, Company.name, contact_name, User.email), filters)
        .outerjoin(Company, Company.id == Deal.company_id)
        .outerjoin(Contact, Contact.id == Deal.contact_id)
        .outerjoin(User, User.id == Deal.owner_id)
        .order_by(Deal.created_at.desc(), Deal.id.desc())
        .execution_options(yield_per=1000)
    )
    return db.session.execute(query)
