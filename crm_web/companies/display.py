"""A company field's click-to-edit display, as HTML (see contacts/display.py for why Python)."""

from __future__ import annotations

from html import escape

from flask import url_for
from markupsafe import Markup

from crm_web.companies.fields import FIELDS
from crm_web.core.display import (
    CELL,
    LOCKED_CELL,
    KeptRows,
    detail_cells,
    field_display,
    readable_phone,
    restore_cell,
    row_keys,
    row_start,
    select_cell,
)
from crm_web.core.permissions import RecordRights

MUTED = '<span class="muted">{}</span>'
DETAIL_FIELDS = [field for field in FIELDS.values() if field.detail]


def _inner(company, field, compact: bool = False) -> str:
    """A field's value as HTML; empty in a list cell (`compact`), which CSS marks with a dash."""
    kind = field.kind
    if kind == "owner":
        return escape(company.owner_name or field.empty)
    if kind == "address":
        value = (company.address or {}).get(field.name)
    else:
        value = getattr(company, field.name)
    if not value:
        return "" if compact else MUTED.format(field.empty)
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
    inner = _inner(company, field, compact)
    label = f"{field.label}: {_text(company, field)}" if editable else None
    version = company.version
    return field_display("company", company_id, field.name, version, inner, compact, base, label)


def company_details(company, base: str, editable: bool, owner_editable: bool) -> Markup:
    """The record page's Details card fields (core.display.detail_cells)."""
    company_id = str(company.id)

    def display(field, allowed: bool) -> str:
        return _display(company_id, company, field, False, base, allowed)

    return detail_cells(DETAIL_FIELDS, display, editable, owner_editable)


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
    """The list's <tr>s (the markup of contacts/display.py contact_rows, rows of
    repository.cells_query): the name links to the record, the other fields edit in place as
    `rights` allow, then the number of contacts (a link to them), the last update, and Restore
    on the archived list. Kept drawn (core.display.KeptRows) by the row and what the user may
    do to it."""
    page = (companies_root, contacts_root, bool(archived), rights.update)
    keys = row_keys(rows, rights, archived)
    return _company_rows(keys, [row.updated_at for row in rows], page)


def _company_row(key, page) -> tuple[str, str]:
    row, locked, may_restore = key
    companies_root, contacts_root, archived, editable = page
    record_id = row.id
    title = escape(row.name)
    cells = "".join(
        f"<td>{escape(value or '')}</td>" for value in (row.industry, row.city, row.country)
    )
    owner = f"{LOCKED_CELL if locked else CELL}{escape(row.owner_name or 'Unassigned')}</td>"
    select = select_cell(record_id, title, editable)
    restore = restore_cell(record_id, title, may_restore) if archived else ""
    return (
        f"{row_start(record_id, row.version, editable)}{select}"
        f'<td><a href="{companies_root}{record_id}">{title}</a></td>{cells}{owner}'
        f'<td class="num"><a href="{contacts_root}?company={record_id}">{row.contact_count}</a>'
        "</td><td>",
        f"</td>{restore}</tr>",
    )


_company_rows = KeptRows(_company_row)
