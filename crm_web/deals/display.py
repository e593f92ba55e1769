"""A deal's fields as HTML: the deals list's rows (a page draws 350 cells), the board's cards,
the printed pipeline's rows and the record page's click-to-edit displays (through the macros its
nine fields were a sixth of the deal page's cost). f-strings, as contacts/display.py draws a
contact's; the same markup as _macros/fields.html's display."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from html import escape

from flask import url_for
from markupsafe import Markup

from crm_web.core.dates import local_date
from crm_web.core.display import ROWS_KEPT, KeptRows, field_display, row_keys
from crm_web.core.permissions import RecordRights
from crm_web.core.security import csrf_token
from crm_web.core.urls import fixed_url
from crm_web.deals.fields import FIELDS, LIST_FIELDS

MUTED = '<span class="muted">{}</span>'
LIST_FIELDS_BY_NAME = {field.name: field for field in LIST_FIELDS}
_COMPANY, _STAGE, _CLOSE, _OWNER = (
    LIST_FIELDS_BY_NAME[name] for name in ("company_id", "stage", "close_date", "owner_id")
)


def deal_money(amount, currency: str = "") -> str:
    """1234.5, 'EUR' -> 'EUR 1,234.50' (half up, as accountants round)."""
    if amount is None:
        return ""
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{currency} {value:,.2f}".strip()


def deal_date(value) -> str:
    """2026-03-05 -> '5 Mar 2026' (unambiguous in every locale): core.dates.local_date."""
    return local_date(value)


def _inner(row, field, company_name, owner_name) -> str:
    """A column field's value as its list cell shows it (HTML-safe)."""
    kind = field.kind
    if kind == "company":
        return escape(company_name or "")
    if kind == "owner":
        return escape(owner_name or field.empty)
    if kind == "money":
        return escape(deal_money(row.value, row.currency))
    if kind == "date":
        return deal_date(getattr(row, field.name))
    value = getattr(row, field.name)
    return escape(str(value)) if value is not None else ""


def _cell(row, field, locked: bool) -> str:
    """The cell of one column field but the title (the header has its label and, in an editable
    list, its field): it edits in place unless `locked` (as core/display.py CELL; the table's
    one listener in static/js/inline-edit.js opens the editor)."""
    inner = _inner(row, field, row.company_name, row.owner_name)
    nowrap = ' class="nowrap"' if field.kind in ("money", "date") else ""
    return f"<td{nowrap}{' data-locked' if locked else ''}>{inner}</td>"


def deal_compact(deal, name: str) -> Markup:
    """A deal's field as its list cell shows it, which the cell's editor swaps back to after a
    save or Escape (id "deal-<id>-<name>-c"; data-version: the row's version now). A Deal."""
    field = LIST_FIELDS_BY_NAME[name]
    company_name = deal.company.name if deal.company else None
    owner_name = deal.owner.name if deal.owner else None
    inner = _inner(deal, field, company_name, owner_name)
    html = field_display("deal", deal.id, name, deal.version, inner, True, "")
    return Markup(html)  # noqa: S704 - every value escaped by _inner


def _restore_cell(row, url: str, state: str, token: str, may_restore: bool) -> str:
    """The archived list's Restore, in place: the archived list comes back without the deal
    (`state`: the list's state as hidden inputs, HTML-safe; `token`: the session's CSRF token)."""
    if not may_restore:
        return '<td class="nowrap"></td>'
    action = f"{url}/restore"
    return (
        f'<td class="nowrap"><form method="post" action="{action}" hx-post="{action}" '
        f'hx-target="#deal_list" hx-swap="outerHTML">'
        f'<input type="hidden" name="csrf_token" value="{token}">'
        f'<input type="hidden" name="version" value="{row.version}">'
        f'<input type="hidden" name="from" value="list">{state}'
        f'<button type="submit" class="button button-small" '
        f'aria-label="Restore {escape(row.title)}">Restore</button></form></td>'
    )


def deal_rows(rows, deals_root: str, query_args: dict, archived: bool, rights: RecordRights):
    """The list's <tr>s (data-id, data-version: what a cell's editor needs): a cell per column
    field (deals/fields.py), editable as `rights` allow (the owner where the user may reassign
    the deal), Created, and Restore on the archived list (`query_args`: the list's state, which
    the restored list keeps). Kept drawn (core.display.KeptRows) by the row and what the user
    may do to it, as the contact and company lists' rows."""
    state = token = ""
    if archived:
        state = "".join(
            f'<input type="hidden" name="{escape(k)}" value="{escape(str(v))}">'
            for k, v in query_args.items()
        )
        token = csrf_token()
    page = (deals_root, bool(archived), state, token)
    keys = row_keys(rows, rights, archived)
    return _deal_rows(keys, [row.created_at for row in rows], page)


def _deal_row(key, page) -> tuple[str, str]:
    row, locked, may_restore = key
    deals_root, archived, state, token = page
    record_id = str(row.id)
    url = deals_root + record_id
    company = _cell(row, _COMPANY, False)
    stage = _cell(row, _STAGE, False)
    close = _cell(row, _CLOSE, False)
    owner = _cell(row, _OWNER, locked)
    # deal_money without its rounding: numeric(15, 2) has two places already.
    value = f'<td class="nowrap">{escape(row.currency)} {row.value:,.2f}</td>'
    restore = _restore_cell(row, url, state, token, may_restore) if archived else ""
    return (
        f'<tr data-id="{record_id}" data-version="{row.version}">'
        f'<td><a href="{url}">{escape(row.title)}</a></td>{company}{value}{stage}{close}'
        f'{owner}<td class="nowrap">',
        f"</td>{restore}</tr>",
    )


_deal_rows = KeptRows(_deal_row)


def board_cards(deals, message: str | None = None) -> Markup:
    """Board cards, a column's at a time (deals/board.html, _cards.html; one moved card with
    `message` in _moved.html): the deal's title, company, value, close date and owner, with
    what board.js needs (id, stage, version). Kept drawn (core.display.KeptRows) by what a card
    shows; its close date's words are drawn every time. As a Jinja macro, a board's 150 cards
    were most of its CPU."""
    keys = [
        (
            str(deal.id),
            deal.title,
            deal.company.name if deal.company else "",
            deal.value,
            deal.currency,
            deal.stage,
            deal.version,
            deal.owner.name if deal.owner else "Unassigned",
            deal.close_date is not None,
            message,
        )
        for deal in deals
    ]
    return _board_cards(keys, [deal.close_date for deal in deals], (fixed_url("deals.index"),))


def _board_card(key, page) -> tuple[str, str]:
    deal_id, title, company, value, currency, stage, version, owner, dated, message = key
    (deals_root,) = page
    title, stage, money = escape(title), escape(stage), escape(deal_money(value, currency))
    head = (
        f'<li class="deal-card{" has-message" if message else ""}" id="deal-{deal_id}" '
        f'tabindex="0" data-stage="{stage}" data-version="{version}" '
        f'aria-label="{title}, {money}, {stage}">'
        f'<a class="card-title" href="{deals_root}/{deal_id}" tabindex="-1">{title}</a>'
        f'<span class="card-company">{escape(company)}</span>'
        f'<span class="card-value">{money}</span>'
        f'<span class="card-close">{"Closes " if dated else "No date"}'
    )
    alert = f'<p class="card-message" role="alert">{escape(message)}</p>' if message else ""
    return head, f'</span><span class="card-owner">{escape(owner)}</span>{alert}</li>'


_board_cards = KeptRows(_board_card)


def print_rows(deals) -> Markup:
    """The printed pipeline's rows (deals/print.html), a stage's at a time: title, company,
    owner, close date, probability, value and weighted value. A sheet holds up to 1,000; as a
    Jinja loop (seven cells, three filters a row) they were most of the print view's CPU."""
    return Markup("".join(map(_print_row, deals)))  # noqa: S704 - each cell escaped below


# Kept by the row (everything it shows), as the lists' rows are: printing again draws nothing.
@lru_cache(maxsize=ROWS_KEPT)
def _print_row(deal) -> str:
    weighted = deal.value * deal.probability / 100
    return (
        f"<tr><td>{escape(deal.title)}</td><td>{escape(deal.company_name or '')}</td>"
        f"<td>{escape(deal.owner_name or 'Unassigned')}</td><td>{deal_date(deal.close_date)}</td>"
        f'<td class="num">{deal.probability}%</td>'
        f'<td class="num">{escape(deal_money(deal.value, deal.currency))}</td>'
        f'<td class="num">{escape(deal_money(weighted, deal.currency))}</td></tr>'
    )


def _value(deal, field) -> tuple[str, str]:
    """(HTML, words) of a field's value: the display's content and its accessible name."""
    kind, name = field.kind, field.name
    if kind == "company" and deal.company:
        href = url_for("companies.detail", company_id=deal.company_id)
        return f'<a href="{href}">{escape(deal.company.name)}</a>', deal.company.name
    if kind == "contact" and deal.contact:
        href = url_for("contacts.detail", contact_id=deal.contact_id)
        words = f"{deal.contact.first_name} {deal.contact.last_name}"
        return f'<a href="{href}">{escape(words)}</a>', words
    if kind == "owner":
        words = deal.owner.name if deal.owner else field.empty
        return escape(words), words
    if kind == "money":
        words = deal_money(deal.value, deal.currency)
        return escape(words), words
    value = getattr(deal, name)
    if kind == "percent":
        return escape(f"{value}%"), f"{value}%"
    if kind == "date" and value:
        words = local_date(value)
        return escape(words), words
    if kind in ("company", "contact", "date") or not value:  # nothing to show: says so, in grey
        return MUTED.format(escape(field.empty)), field.empty
    return escape(str(value)), str(value)


def deal_display(deal, name: str, editable: bool) -> Markup:
    """The <span> showing one field of `deal`; click or Enter (static/js/inline-edit.js) opens
    its editor when `editable` (the caller knows the user's rights)."""
    field = FIELDS[name]
    inner, words = _value(deal, field)
    label = f"{field.label}: {' '.join(words.split())}" if editable else None
    base = url_for("deals.detail", deal_id=deal.id)
    html = field_display("deal", deal.id, name, deal.version, inner, False, base, label)
    return Markup(html)  # noqa: S704 - values escaped in _value, the label by field_display
