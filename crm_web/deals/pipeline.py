"""Reading the pipeline: filters, the board's columns and totals, the printable pipeline, the list.

Totals are kept per currency: amounts in different currencies are never added together."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from uuid import UUID

import sqlalchemy as sa

from crm_web.accounts.services import active_users, get_user
from crm_web.companies.services import company_name
from crm_web.contacts.services import get_contacts_by_company
from crm_web.core import validation as v
from crm_web.core.actor import Actor
from crm_web.core.errors import NotFoundError
from crm_web.core.permissions import authorize
from crm_web.core.repository import as_uuid
from crm_web.deals import repository as repo
from crm_web.deals.models import Deal, PipelineStage
from crm_web.lists import keyset

CARDS_PER_PAGE = 25
# The print view's bound: a sheet of more deals is neither readable nor quick to render; it
# says how many matched and asks for a narrower filter.
PRINT_LIMIT = 1000
LIST_PAGE_SIZE = 50
STATUSES = ("open", "won", "lost")
SORTS = tuple(repo.LIST_SORTS)
DESCENDING = repo.DESCENDING_SORTS  # sorts that list downwards unless the user flips them
CENT = Decimal("0.01")


@dataclass
class Money:
    """A count and the total and probability-weighted value of some deals in one currency."""

    currency: str
    count: int = 0
    total: Decimal = Decimal("0")
    weighted: Decimal = Decimal("0")

    def add(self, count: int, total: Decimal, weighted: Decimal) -> None:
        self.count += count
        self.total += total
        self.weighted += weighted


@dataclass
class Totals:
    """Totals of a stage (or the whole pipeline): a line per currency, never summed across."""

    lines: dict[str, Money] = field(default_factory=dict)

    def add(self, currency: str, count: int, total: Decimal, weighted: Decimal) -> None:
        self.lines.setdefault(currency, Money(currency)).add(count, total, weighted)

    @property
    def count(self) -> int:
        return sum(line.count for line in self.lines.values())

    @property
    def per_currency(self) -> list[Money]:
        return [self.lines[c] for c in sorted(self.lines)]


@dataclass
class Column:
    stage: PipelineStage
    totals: Totals
    deals: list[Deal]
    next_cursor: str | None


@dataclass
class Board:
    columns: list[Column]
    totals: Totals
    filters: dict
    # The print view: how many deals matched, and how many the sheet holds (PRINT_LIMIT).
    matching: int = 0
    shown: int = 0
    # The board: the active users, for its owner filter (read in the board's statement).
    owners: list = field(default_factory=list)

    # The headline says what it sums: deals still open, and those won and lost apart, by the
    # flags of their stage (PipelineStage.is_won / is_lost).
    @property
    def open(self) -> Totals:
        return _sum_columns(c for c in self.columns if not (c.stage.is_won or c.stage.is_lost))

    @property
    def won(self) -> Totals:
        return _sum_columns(c for c in self.columns if c.stage.is_won)

    @property
    def lost(self) -> Totals:
        return _sum_columns(c for c in self.columns if c.stage.is_lost)


def _sum_columns(columns) -> Totals:
    summed = Totals()
    for column in columns:
        for line in column.totals.per_currency:
            summed.add(line.currency, line.count, line.total, line.weighted)
    return summed


def clean_filters(raw) -> dict:
    """Filters from a query string; a value that makes no sense is dropped (a GET never fails)."""
    raw = raw or {}
    clean: dict = {}
    for name in ("owner_id", "company_id"):
        value = raw.get(name)
        if value:
            with contextlib.suppress(v.FieldError):
                clean[name] = v.uuid_value(value)
    for name in ("close_from", "close_to"):
        value = raw.get(name)
        if value:
            with contextlib.suppress(v.FieldError):
                clean[name] = v.date(value)
    if raw.get("stage"):
        clean["stage"] = str(raw["stage"])[:100]
    if raw.get("status") in STATUSES:
        clean["status"] = raw["status"]
    if raw.get("q") and str(raw["q"]).strip():
        clean["q"] = str(raw["q"]).strip()[:200]
    if raw.get("archived") in ("1", "on", "true"):
        clean["archived"] = True  # archived deals only (the list's "Archived" filter)
    return clean


def filter_args(filters: dict) -> dict:
    """Filters back as query-string values (for links that keep them)."""
    return {
        k: (val.isoformat() if isinstance(val, date) else str(val)) for k, val in filters.items()
    }


def stage_totals(filters: dict) -> tuple[dict[str, Totals], Totals]:
    """Per-stage and grand totals from one aggregate query (GROUP BY stage, currency)."""
    per_stage: dict[str, Totals] = {}
    grand = Totals()
    for stage, currency, count, total, weighted in repo.stage_currency_totals(filters):
        per_stage.setdefault(stage, Totals()).add(currency, count, total, weighted)
        grand.add(currency, count, total, weighted)
    return per_stage, grand


def column_page(
    stage: str, filters: dict, cursor: str | None = None
) -> tuple[list[Deal], str | None]:
    """Up to CARDS_PER_PAGE cards of a column after `cursor`, and the cursor of the next page."""
    # The lists' cursor format: (close date or null for undated, id); a tampered one is page 1.
    after = keyset.decode_cursor(cursor, repo.BOARD_KEY)
    deals = repo.column_deals(stage, filters, after, CARDS_PER_PAGE + 1)
    more = len(deals) > CARDS_PER_PAGE
    deals = deals[:CARDS_PER_PAGE]
    last = deals[-1] if more else None
    return deals, (keyset.encode_cursor([last.close_date, last.id]) if last else None)


def get_board(filters: dict, actor: Actor) -> Board:
    """The board: a column per stage with its first cards, and totals. Everyone may read."""
    authorize(actor, "records.read")
    rows = repo.board(filters, CARDS_PER_PAGE + 1)
    per_stage, grand = _totals(rows[0].totals if rows else [])
    columns = []
    for row in rows:
        values = row._asdict()
        stage = SimpleNamespace(**{name: values[name] for name in STAGE_COLUMNS})
        deals = [_card(item) for item in row.cards]
        more = len(deals) > CARDS_PER_PAGE
        deals = deals[:CARDS_PER_PAGE]
        last = deals[-1] if more else None
        cursor = keyset.encode_cursor([last.close_date, last.id]) if last else None
        columns.append(Column(stage, per_stage.get(stage.name, Totals()), deals, cursor))
    owners = (
        [SimpleNamespace(id=UUID(user["id"]), name=user["name"]) for user in rows[0].owners]
        if rows
        else []
    )
    return Board(columns, grand, filters, owners=owners)


STAGE_COLUMNS = [column.key for column in sa.inspect(PipelineStage).columns]


def _totals(lines: list[dict]) -> tuple[dict[str, Totals], Totals]:
    """stage_totals from the board statement's JSON lines (amounts as text)."""
    per_stage: dict[str, Totals] = {}
    grand = Totals()
    for line in lines:
        total, weighted = Decimal(line["total"] or 0), Decimal(line["weighted"] or 0)
        per_stage.setdefault(line["stage"], Totals()).add(
            line["currency"], line["count"], total, weighted
        )
        grand.add(line["currency"], line["count"], total, weighted)
    return per_stage, grand


def _card(item: dict) -> SimpleNamespace:
    """A board card from the board statement's JSON: what deals/_macros.html's card reads."""
    company, owner, close = item.pop("company_name"), item.pop("owner_name"), item["close_date"]
    item.update(
        id=UUID(item["id"]),
        value=Decimal(item["value"]),
        close_date=date.fromisoformat(close) if close else None,
        company=SimpleNamespace(name=company) if company is not None else None,
        owner=SimpleNamespace(name=owner) if owner is not None else None,
    )
    return SimpleNamespace(**item)


def get_column(stage_id, filters: dict, cursor: str | None, actor: Actor) -> tuple:
    """The next page of one column's cards: (stage, deals, next cursor)."""
    authorize(actor, "records.read")
    stage = repo.get_stage(stage_id)
    if stage is None:
        raise NotFoundError("pipeline_stage", stage_id)
    deals, next_cursor = column_page(stage.name, filters, cursor)
    return stage, deals, next_cursor


def get_printable(filters: dict, actor: Actor, limit: int | None = None) -> Board:
    """The matching deals (the first `limit`, soonest close first) grouped by stage, with the
    totals of every matching deal per stage and overall, and how many matched."""
    authorize(actor, "records.read")
    per_stage, grand = stage_totals(filters)
    rows = repo.printable_deals(filters, limit or PRINT_LIMIT)
    by_stage: dict[str, list] = {}
    for row in rows:
        by_stage.setdefault(row.stage, []).append(row)
    columns = [
        Column(stage, per_stage.get(stage.name, Totals()), by_stage.get(stage.name, []), None)
        for stage in repo.list_stages()
    ]
    # (the totals count every matching deal: how many the sheet is the first of)
    return Board(columns, grand, filters, matching=grand.count, shown=len(rows))


def list_page(state, actor: Actor, full: bool = False) -> dict:
    """One page of the deals list in `state` (a lists.state.ListState): rows (the list's
    columns, or Deal objects when `full`), the cursors of the pages after and before it (None
    at the ends) and the total. Everyone."""
    authorize(actor, "records.read")

    def fetch(filters, sort, descending, cursor, limit=LIST_PAGE_SIZE):
        sort = sort if sort in SORTS else "created"
        return repo.search_deals(filters, sort, cursor, limit, descending=descending, full=full)

    return keyset.list_page(state, fetch, repo.count_deals)


def weighted_value(deal: Deal) -> Decimal:
    return (deal.value * deal.probability / 100).quantize(CENT)


def get_board_totals(filters: dict, actor: Actor) -> Board:
    """Only the column headers' totals (after a move), without cards."""
    authorize(actor, "records.read")
    per_stage, grand = stage_totals(filters)
    columns = [
        Column(stage, per_stage.get(stage.name, Totals()), [], None) for stage in repo.list_stages()
    ]
    return Board(columns, grand, filters)


def owner_choices() -> list:
    """The users a deal can belong to, for owner pickers and filters."""
    return active_users()


def list_filter_choices() -> dict:
    """The list pages' filter pickers, read together: {"owners": (id, name) of the users a
    record can belong to, "stages": stage names in board order}."""
    return repo.list_pickers()


# The same pickers' columns and their values as list_filter_choices gives them, for a statement
# that reads them beside something else (the signed-in user's, on a full list page).
PICKER_COLUMNS = repo.PICKER_COLUMNS
pickers = repo.pickers


def describe_filters(filters: dict) -> dict:
    """The filters with names for ids (owner, company; None when not found): the page words them."""
    described = dict(filters)
    if filters.get("owner_id"):
        user = get_user(filters["owner_id"])
        described["owner"] = user.name if user else None
    if filters.get("company_id"):
        described["company"] = company_name(filters["company_id"])
    return described


BOARD_FILTERS = ("owner_id", "company_id", "close_from", "close_to")


def board_filters(raw) -> dict:
    """The filters the board and its print view take (a column is a stage: no stage filter)."""
    return {k: val for k, val in clean_filters(raw).items() if k in BOARD_FILTERS}


def contact_choices(company_id) -> list:
    """The contacts a deal of this company may name: that company's own."""
    if as_uuid(company_id) is None:
        return []
    return get_contacts_by_company(company_id)
