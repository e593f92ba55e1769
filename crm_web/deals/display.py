"""The deals list's rows, as HTML (see contacts/display.py for why Python, not a Jinja macro:
a page draws 350 cells)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from crm_web.core.dates import local_date, time_html, user_zone
from crm_web.core.permissions import RecordRights
from crm_web.deals.fields import LIST_FIELDS


def deal_money(amount, currency: str = "") -> str:
    """1234.5, 'EUR' -> 'EUR 1,234.50' (half up, as accountants round)."""
    if amount is None:
        return ""
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{currency} {value:,.2f}".strip()


def deal_date(value) -> str:
    """2026-03-05 -> '5 Mar 2026' (unambiguous in every locale): core.dates.local_date."""
    return local_date(value)


def _cell(row, field, url: str) -> str:
    """The cell of one column field (the header has its label)."""
    kind = field.kind
    if field.name == "title":
        return f'<td><a href="{url}">{escape(row.title)}</a></td>'
    if kind == "company":
        return f"<td>{escape(row.company_name or '')}</td>"
    if kind == "owner":
        return f"<td>{escape(row.owner_name or field.empty)}</td>"
    if kind == "money":
        return f'<td class="nowrap">{escape(deal_money(row.value, row.currency))}</td>'
    if kind == "date":
        return f'<td class="nowrap">{deal_date(getattr(row, field.name))}</td>'
    value = getattr(row, field.name)
    return f"<td>{escape(str(value)) if value is not None else ''}</td>"


def _restore_cell(row, url: str, query_args: str, rights: RecordRights) -> str:
    """The archived list's Restore, in place: the archived list comes back without the deal."""
    if not rights.archive(row.owner_id):
        return '<td class="nowrap"></td>'
    action = f"{url}/restore"
    return (
        f'<td class="nowrap"><form method="post" action="{action}" hx-post="{action}" '
        f'hx-target="#deal_list" hx-swap="outerHTML">'
        f'<input type="hidden" name="csrf_token" value="{generate_csrf()}">'
        f'<input type="hidden" name="version" value="{row.version}">'
        f'<input type="hidden" name="from" value="list">{query_args}'
        f'<button type="submit" class="button button-small" '
        f'aria-label="Restore {escape(row.title)}">Restore</button></form></td>'
    )


def deal_rows(rows, deals_root: str, query_args: dict, archived: bool, rights: RecordRights):
    """The list's <tr>s: a cell per column field (deals/fields.py), Created, and Restore on the
    archived list (`query_args`: the list's state, which the restored list keeps)."""
    now, tz = datetime.now(UTC), user_zone()  # once for every row's "Created" cell
    state = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(str(v))}">'
        for k, v in query_args.items()
    )
    html = []
    for row in rows:
        url = deals_root + str(row.id)
        cells = "".join(_cell(row, field, url) for field in LIST_FIELDS)
        restore = _restore_cell(row, url, state, rights) if archived else ""
        created = time_html(row.created_at, now, tz)
        html.append(f'<tr>{cells}<td class="nowrap">{created}</td>{restore}</tr>')
    return Markup("".join(html))  # noqa: S704 - every value escaped above
