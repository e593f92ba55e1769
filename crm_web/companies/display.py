"""A company field's click-to-edit display, as HTML (see contacts/display.py for why Python)."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from flask import url_for
from markupsafe import Markup

from crm_web.companies.fields import FIELDS, LIST_FIELDS
from crm_web.core.dates import time_html, user_zone
from crm_web.core.display import (
    field_display,
    list_cell,
    readable_phone,
    restore_cell,
    select_cell,
)
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
    """The list's <tr>s (data-id, data-version: what a cell's editor needs): a checkbox (for the bulk actions, when the user may edit), a cell per
    list field (fields.LIST_FIELDS: the name links to the record, the others edit in place as
    `rights` allow), the number of contacts (a link to them), the last update (one Python loop,
    as contacts')."""
    html = []
    now, tz = datetime.now(UTC), user_zone()  # once for every row's "Updated" cell
    editable = rights.update
    for row in rows:
        company_id = str(row.id)
        base = companies_root + company_id
        name = escape(row.name)
        updated = time_html(row.updated_at, now, tz)
        reassign = rights.reassign(row.owner_id)
        cells = []
        for field in LIST_FIELDS:
            if field.name == "name":
                # The name opens the record, as in every CRM; the other cells edit in place.
                cells.append(f'<td><a href="{base}">{name}</a></td>')
            else:
                can_edit = reassign if field.kind == "owner" else editable
                cells.append(list_cell(field.name, _inner(row, field), can_edit))
        select = select_cell(company_id, name, editable)
        restore = restore_cell(company_id, name, rights.archive(row.owner_id)) if archived else ""
        html.append(
            f'<tr data-id="{company_id}" data-version="{row.version}">{select}{"".join(cells)}'
            f'<td class="num"><a href="{contacts_root}?company={company_id}">{row.contact_count}</a></td>'
            f"<td>{updated}</td>"
            f"{restore}</tr>"
        )
    return Markup("".join(html))  # noqa: S704 - names escaped here, values by _inner
