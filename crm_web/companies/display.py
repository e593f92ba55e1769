"""A company field's click-to-edit display, as HTML (see contacts/display.py for why Python)."""

from __future__ import annotations

from html import escape

from flask import url_for
from markupsafe import Markup

from crm_web.companies.fields import FIELDS, LIST_FIELDS
from crm_web.core.display import field_display, readable_phone, record_rows
from crm_web.core.permissions import RecordRights

MUTED = '<span class="muted">{}</span>'


def _inner(company, field) -> str:
    kind = field.kind
    if kind == "owner":
        return escape(company.owner_name or field.empty)
    if kind == "address":
        value = (company.address or {}).get(field.name)
    else:
        value = getattr(company, field.name)
    if not value:
        return MUTED.format(field.empty)
    if kind == "url" and value.startswith(("https://", "http://")):
        # Opens beside the CRM; the link text is the address without its scheme.
        shown = escape(value.split("://", 1)[1])
        return f'<a href="{escape(value)}" target="_blank" rel="noopener noreferrer">{shown}</a>'
    if kind == "phone":
        return f'<a href="tel:{escape(value)}">{escape(readable_phone(value))}</a>'
    return escape(value)


def _text(company, field) -> str:
    """The value in words, for the display's accessible name."""
    kind = field.kind
    if kind == "owner":
        return company.owner_name or field.empty
    if kind == "address":
        value = (company.address or {}).get(field.name)
    else:
        value = getattr(company, field.name)
    if kind == "phone" and value:
        value = readable_phone(value)
    return value or field.empty


def _display(company_id: str, company, field, compact, base, editable) -> str:
    inner = _inner(company, field)
    label = f"{field.label}: {_text(company, field)}" if editable else None
    version = company.version
    return field_display("company", company_id, field.name, version, inner, compact, base, label)


def company_display(company, name, compact=False, base=None, editable=True) -> Markup:
    """The <span> showing one field; click or Enter (static/js/inline-edit.js) opens its editor
    when `editable` (the caller knows the user's rights).
    `name` is one of FIELDS and `base` is built from a UUID: neither needs escaping."""
    if name not in FIELDS:
        raise ValueError(f"no display for {name!r}")
    base = base or url_for("companies.detail", company_id=company.id)
    # every user-supplied value inside is escaped by _inner
    html = _display(str(company.id), company, FIELDS[name], compact, base, editable)
    return Markup(html)  # noqa: S704


def company_rows(
    rows, companies_root: str, contacts_root: str, archived: bool, rights: RecordRights
) -> Markup:
    """The list's <tr>s (core/display.py record_rows): the name links to the record, the other
    fields edit in place, then the number of contacts (a link to them)."""

    def contact_count(row, company_id: str) -> str:
        url = f"{contacts_root}?company={company_id}"
        return f'<td class="num"><a href="{url}">{row.contact_count}</a></td>'

    return record_rows(
        rows,
        companies_root,
        rights,
        archived,
        fields=LIST_FIELDS,
        linked=("name",),
        inner=_inner,
        name=lambda row: row.name,
        extra=contact_count,
    )
