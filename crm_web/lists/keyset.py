"""Keyset pagination: a page is "the next 50 rows after this sort key", never an OFFSET, so the
last page of a million rows costs what the first does (DESIGN §10: a deep OFFSET is 3.7 req/s)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import uuid
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from cachetools import TTLCache
from sqlalchemy import func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.visitors import InternalTraversal

from crm_web.core.db import db
from crm_web.core.repository import literal_limit, read


def _text(value) -> str:
    string = str(value)
    if "\x00" in string:
        raise ValueError("PostgreSQL text cannot hold NUL")
    string.encode()  # a lone surrogate ("\ud800" in the JSON) is no UTF-8: UnicodeEncodeError
    return string


def _integer(value) -> int:
    number = int(value)
    if not -(2**31) <= number < 2**31:
        raise ValueError("out of the integer column's range")
    return number


def _decimal(value) -> Decimal:
    number = Decimal(str(value))
    if not number.is_finite() or abs(number.adjusted()) > 100:
        raise ValueError("no numeric column holds that")
    return number


# Each decoder refuses what PostgreSQL would refuse as a parameter (a NUL, an int past int4,
# a numeric overflow), so a tampered cursor reads as page 1 instead of a database error.
DECODERS = {
    "str": _text,
    "bool": bool,
    "int": _integer,
    "decimal": _decimal,
    "uuid": uuid.UUID,
    "date": dt.date.fromisoformat,
    # A date that may be missing (JSON null), e.g. a board card without a close date.
    "date_or_none": lambda value: None if value is None else dt.date.fromisoformat(value),
    "datetime": dt.datetime.fromisoformat,
}


@dataclass(frozen=True)
class SortKey:
    """One sortable column of a list: the SQL expressions, ending with the id, that order it
    (each matching an index), and the type of each expression's value in a cursor."""

    columns: tuple
    types: tuple[str, ...]


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    prev_cursor: str | None
    total: int
    total_is_estimate: bool


def encode_cursor(values) -> str:
    plain = [v.isoformat() if isinstance(v, dt.date) else v for v in values]  # and datetimes
    plain = [str(v) if isinstance(v, (uuid.UUID, Decimal)) else v for v in plain]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, key: SortKey) -> list | None:
    """The sort values in a cursor; None for a missing or tampered one (it reads as page 1)."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(key.types):
            return None
        return [DECODERS[kind](value) for kind, value in zip(key.types, values, strict=True)]
    except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError, RecursionError):
        return None


# (shape, sort key, walk, limit) -> the statement fetch_page (or a tier of fetch_tiered_page)
# runs: bounded by the lists' filter combinations, sorts, page sizes and tiers.
_PAGE_STATEMENTS: dict = {}


def fetch_page(
    query,
    key: SortKey,
    *,
    descending=False,
    after=None,
    before=None,
    last=False,
    limit=50,
    shape=None,
    params=None,
) -> tuple[list, str | None, str | None]:
    """Rows of one page, and the cursors of the pages after and before it (None at the ends).
    With `shape` (hashable: whatever the query's SQL depends on), `query` is a function that
    builds the query with a bindparam for every value and `params` holds the values: the
    page's statement is then built once per shape and run on the driver (core.repository.read),
    which is what a list page costs most outside its template (2.6 ms built and run through
    the ORM, 0.8 ms so)."""
    after_values = decode_cursor(after, key)
    before_values = None if after_values else decode_cursor(before, key)
    backwards = before_values is not None or (bool(last) and after_values is None)
    bound = after_values if after_values is not None else before_values
    walk = (descending, after_values is not None, before_values is not None, backwards, limit)
    values = {f"_bound{i}": value for i, value in enumerate(bound or ())}

    def build():
        return _page_statement(query() if shape is not None else query, key, *walk)

    rows = _run_page_statement(build, (shape, id(key), *walk), shape, {**(params or {}), **values})
    return _page(rows, len(key.columns), limit, backwards, after_values, before_values)


def _run_page_statement(build, cache_key: tuple, shape, values: dict) -> list:
    """The rows of the statement `build()` makes, with `values` bound: without a `shape`, built
    now and run through the session; with one, built once per `cache_key` and run on the
    driver (core.repository.read)."""
    if shape is None:
        return list(db.session.execute(build(), values))
    statement = _PAGE_STATEMENTS.get(cache_key)
    if statement is None:
        statement = _PAGE_STATEMENTS[cache_key] = build()
    return read(statement, values)


def _page_statement(query, key: SortKey, descending, after, before, backwards, limit):
    """`query` ordered by `key`, past the bound `_bound0`, `_bound1`… (after or before), its key
    columns added last, limit + 1 rows in walking order."""
    row_key = sa.tuple_(*key.columns)
    if after or before:
        bound = sa.tuple_(*[sa.bindparam(f"_bound{i}") for i in range(len(key.columns))])
        query = query.where((row_key < bound) if descending == after else (row_key > bound))
    reverse = descending != backwards
    order = [c.desc() if reverse else c.asc() for c in key.columns]
    columns = [c.label(f"_k{i}") for i, c in enumerate(key.columns)]
    return query.add_columns(*columns).order_by(*order).limit(literal_limit(limit + 1))


def _page(rows, width, limit, backwards, after_values, before_values):
    """(rows, next cursor, prev cursor) from up to limit + 1 rows fetched in walking order."""
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
        has_next, has_prev = before_values is not None, more
    else:
        has_next, has_prev = more, after_values is not None
    next_cursor = encode_cursor(rows[-1][-width:]) if rows and has_next else None
    prev_cursor = encode_cursor(rows[0][-width:]) if rows and has_prev else None
    return rows, next_cursor, prev_cursor


def fetch_tiered_page(
    tiers,
    key: SortKey,
    rows,
    *,
    descending=False,
    after=None,
    before=None,
    last=False,
    limit=50,
    shape=None,
    params=None,
) -> tuple[list, str | None, str | None]:
    """fetch_page over tiers of rows listed one after the other: every row of tier 0 in `key`
    order, then tier 1's, and so on. A tier is a function returning a list of disjoint queries of
    one table's `id` (best each served in `key` order by an index, so its LIMIT stops early), and
    is only built and queried when the tiers before it don't fill the page: a page of best
    matches never pays for finding the others (nor for building that query: ~1 ms).
    `rows(page)` selects the row columns for the ids of `page`, a subquery to join on `id`; or
    `rows` is None and each tier is one query that selects its row columns itself (no join
    back to the table: PostgreSQL plans a third less, and reads no row twice).
    A cursor holds the tier number, then the key values. `shape` and `params`: as fetch_page's
    (the tiers then build their queries with bindparams, built once per shape and tier)."""
    cursor_key = SortKey((None, *key.columns), ("int", *key.types))
    after_values = _in_tiers(decode_cursor(after, cursor_key), tiers)
    before_values = None if after_values else _in_tiers(decode_cursor(before, cursor_key), tiers)
    backwards = before_values is not None or (bool(last) and after_values is None)
    reverse = descending != backwards  # walking from the end of the last tier
    bound = after_values or before_values
    found = []
    for tier in reversed(range(len(tiers))) if reverse else range(len(tiers)):
        if bound and (tier > bound[0] if reverse else tier < bound[0]):
            continue
        values = bound[1:] if bound and tier == bound[0] else None
        walk = (tier, reverse, values is not None, limit + 1 - len(found))
        bound_values = {f"_bound{i}": value for i, value in enumerate(values or ())}
        found += _run_page_statement(
            lambda: _tier_statement(tiers[tier](), key, rows, *walk),  # noqa: B023 (run here)
            (shape, id(key), *walk),
            shape,
            {**(params or {}), **bound_values},
        )
        if len(found) > limit:
            break
    return _page(found, 1 + len(key.columns), limit, backwards, after_values, before_values)


def _in_tiers(values, tiers):
    return values if values is not None and 0 <= values[0] < len(tiers) else None


def _tier_statement(queries, key: SortKey, rows, tier: int, reverse: bool, bound: bool, limit):
    """Up to `limit` rows of one tier past the bound `_bound0`, `_bound1`… (key values, when
    `bound`) in walking order: each query stops at `limit` ids, the union of them is cut to
    `limit`, and only then are rows joined."""
    labels = [f"_k{i}" for i in range(1 + len(key.columns))]
    columns = [sa.literal_column(str(int(tier)), sa.Integer).label(labels[0])]
    columns += [c.label(name) for c, name in zip(key.columns, labels[1:], strict=True)]
    row_key = sa.tuple_(*key.columns)
    parts = []
    for query in queries:
        if bound:
            values = sa.tuple_(*[sa.bindparam(f"_bound{i}") for i in range(len(key.columns))])
            query = query.where(row_key < values if reverse else row_key > values)
        order = [c.desc() if reverse else c.asc() for c in key.columns]
        parts.append(query.add_columns(*columns).order_by(*order).limit(literal_limit(limit)))
    if rows is None:
        (statement,) = parts  # a tier of one query, selecting its rows' columns
        return statement
    if len(parts) > 1:
        union = sa.union_all(*[select(*part.subquery().c) for part in parts]).subquery()
        keys = [union.c[name] for name in labels[1:]]
        order = [k.desc() if reverse else k.asc() for k in keys]
        parts = [select(*union.c).order_by(*order).limit(literal_limit(limit))]
    page = parts[0].subquery("page")
    keys = [page.c[name] for name in labels]
    order = [k.desc() if reverse else k.asc() for k in keys[1:]]
    return rows(page).add_columns(*keys).order_by(*order)


class Explain(Executable, ClauseElement):
    """`EXPLAIN (FORMAT JSON) <statement>` as a statement SQLAlchemy compiles once per shape and
    caches, like any query (compiling the statement by hand on every count cost 0.6 ms)."""

    _traverse_internals = [("statement", InternalTraversal.dp_clauseelement)]

    def __init__(self, statement):
        self.statement = statement

    @property
    def _all_selected_columns(self):
        # A cached compilation matches its result columns (the statement's, compiled inside)
        # to the statement run; the plan comes back as one column where the statement has one.
        return self.statement.selected_columns


@compiles(Explain, "postgresql")
def _compile_explain(element, compiler, **kw):
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


# Estimated totals ("About 200,000 contacts"), per list and filters, for a minute, per process.
# An estimate comes from the planner's statistics, which only ANALYZE refreshes, so it is no
# staler for being kept; asking again cost ~1.7 ms of a filtered page and ~2.5 ms of a search
# (a tenth of either). Exact counts (up to estimate_total's exact_up_to) are never kept.
ESTIMATES: TTLCache = TTLCache(maxsize=4096, ttl=60)
_ESTIMATES_LOCK = threading.Lock()  # TTLCache is not thread-safe; `flask run` serves in threads


def _total(count, filters: dict) -> tuple[int, bool]:
    key = (count.__module__, count.__qualname__, tuple(sorted(filters.items())))
    with _ESTIMATES_LOCK:
        kept = ESTIMATES.get(key)
    if kept is not None:
        return kept, True
    total, estimated = count(filters)
    if estimated:
        with _ESTIMATES_LOCK:
            ESTIMATES[key] = total
    return total, estimated


def list_page(state, fetch, count) -> dict:
    """One page of a list for `state` (a lists.state.ListState): its rows, cursors and total.
    `fetch(filters, sort, descending, cursor, limit)` is the area's repository list query and
    `count(filters)` its (total, is_estimate); a list that fits on one page is not counted."""
    rows, next_cursor, prev_cursor = fetch(
        state.filters, state.sort, state.descending, state.cursor, state.page_size
    )
    if next_cursor is None and prev_cursor is None:
        total, estimated = len(rows), False
    else:
        total, estimated = _total(count, state.filters)
    return {
        "rows": rows,
        "next_cursor": next_cursor,
        "prev_cursor": prev_cursor,
        "total": total,
        "total_is_estimate": estimated,
    }


# A SELECT (not text()), so on a GET it runs as the page's other reads do: read() on the
# autocommit connection, not in a transaction of its own on the primary.
_ROW_ESTIMATE = (
    select(sa.text("reltuples::bigint"))
    .select_from(sa.text("pg_class"))
    .where(sa.text("oid = CAST(:t AS regclass)"))
)


def estimate_total(query, table: str, *, unfiltered: bool, exact_up_to: int = 1000):
    """(count, is_estimate). An unfiltered list reads the table's statistics; a filtered one asks
    the planner first (planning only, no rows read) and counts exactly only when that promises
    at most `exact_up_to` rows, so neither a million-row count(*) (18 req/s) nor counting every
    match of a 3-letter search is ever paid for."""
    if unfiltered:
        rows = read(_ROW_ESTIMATE, {"t": table})
        estimate = rows[0][0] if rows else None
        if estimate is not None and estimate > exact_up_to:
            return int(estimate), True
    bare = query.with_only_columns(sa.literal(1)).order_by(None)
    plan = db.session.execute(Explain(bare)).scalar()
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    if estimate > exact_up_to:
        return estimate, True
    capped = select(func.count()).select_from(bare.limit(exact_up_to + 1).subquery())
    count = db.session.execute(capped).scalar()
    if count <= exact_up_to:
        return count, False
    return max(estimate, count), True


def like_pattern(term: str) -> str:
    """`%term%` for LIKE, with the user's own % and _ taken literally."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
