"""A deal field's click-to-edit display on its record page, as HTML (templates/deals/_macros.html
deal_field calls deal_display): through the macros (two url_for, a call block, striptags) its
nine fields were a sixth of the deal page's cost; with f-strings, as a contact's fields are drawn
(contacts/display.py), they cost a fraction. Same markup as _macros/fields.html's display."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from html import escape

from flask import url_for
from markupsafe import Markup

from crm_web.core.dates import local_date
from crm_web.core.display import field_display
from crm_web.deals.fields import FIELDS

MUTED = '<span class="muted">{}</span>'


def deal_money(amount, currency: str = "") -> str:
    """1234.5, 'EUR' -> 'EUR 1,234.50' (half up, as accountants round)."""
    if amount is None:
        return ""
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{currency} {value:,.2f}".strip()


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
