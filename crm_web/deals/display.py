"""A deal's fields as HTML: the deals list's rows (a page draws 350 cells) and the record
page's click-to-edit displays (through the macros its nine fields were a sixth of the deal
page's cost). f-strings, as contacts/display.py draws a contact's; the same markup as
_macros/fields.html's display."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from flask import url_for
from markupsafe import Markup

from crm_web.core.dates import local_date, time_html, user_zone
from crm_web.core.display import field_display
from crm_web.core.permissions import RecordRights
from crm_web.core.security import csrf_token
from crm_web.deals.fields import FIELDS, LIST_FIELDS

MUTED = '<span class="muted">{}</span>'
LIST_FIELDS_BY_NAME = {field.name: field for field in LIST_FIELDS}
# The cells deal_rows draws once per distinct value on a page.
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


def _cell(row, field, url: str, locked: bool) -> str:
    """The cell of one column field (the header has its label and, in an editable list, its
    field): the title links to the record, the others edit in place unless `locked` (as
    core/display.py CELL; the table's one listener in static/js/inline-edit.js opens the
    editor)."""
    if field.name == "title":
        return f'<td><a href="{url}">{escape(row.title)}</a></td>'
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


def _restore_cell(row, url: str, query_args: str, rights: RecordRights) -> str:
    """The archived list's Restore, in place: the archived list comes back without the deal."""
    if not rights.archive(row.owner_id):
        return '<td class="nowrap"></td>'
    action = f"{url}/restore"
    return (
        f'<td class="nowrap"><form method="post" action="{action}" hx-post="{action}" '
        f'hx-target="#deal_list" hx-swap="outerHTML">'
        f'<input type="hidden" name="csrf_token" value="{csrf_token()}">'
        f'<input type="hidden" name="version" value="{row.version}">'
        f'<input type="hidden" name="from" value="list">{query_args}'
        f'<button type="submit" class="button button-small" '
        f'aria-label="Restore {escape(row.title)}">Restore</button></form></td>'
    )


def deal_rows(rows, deals_root: str, query_args: dict, archived: bool, rights: RecordRights):
    """The list's <tr>s (data-id, data-version: what a cell's editor needs): a cell per column
    field (deals/fields.py), editable as `rights` allow (the owner where the user may reassign
    the deal), Created, and Restore on the archived list (`query_args`: the list's state, which
    the restored list keeps). One pass; the cells of values that repeat down a page (company,
    stage, close date, owner) are drawn once per distinct value."""
    now, tz = datetime.now(UTC), user_zone()  # once for every row's "Created" cell
    today = now.astimezone(tz).date()
    state = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(str(v))}">'
        for k, v in query_args.items()
    )
    editable = rights.update
    drawn: dict = {}  # (field name, value) -> its cell
    currencies: dict = {}  # code -> escaped
    html = []
    for row in rows:
        record_id = str(row.id)
        url = deals_root + record_id
        cells = []
        for field, key in (
            (_COMPANY, row.company_name),
            (_STAGE, row.stage),
            (_CLOSE, row.close_date),
            (_OWNER, (row.owner_id, row.owner_name)),
        ):
            cell = drawn.get((field.name, key))
            if cell is None:
                locked = field is _OWNER and editable and not rights.reassign(row.owner_id)
                cell = drawn[field.name, key] = _cell(row, field, url, locked)
            cells.append(cell)
        company, stage, close, owner = cells
        currency = currencies.get(row.currency)
        if currency is None:
            currency = currencies[row.currency] = escape(row.currency)
        # deal_money without its rounding: numeric(15, 2) has two places already.
        value = f'<td class="nowrap">{currency} {row.value:,.2f}</td>'
        restore = _restore_cell(row, url, state, rights) if archived else ""
        created = time_html(row.created_at, now, tz, today)
        html.append(
            f'<tr data-id="{record_id}" data-version="{row.version}">'
            f'<td><a href="{url}">{escape(row.title)}</a></td>{company}{value}{stage}{close}'
            f'{owner}<td class="nowrap">{created}</td>{restore}</tr>'
        )
    return Markup("".join(html))  # noqa: S704 - every value escaped above


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
