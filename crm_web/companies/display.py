"""A company field's click-to-edit display, as HTML (see contacts/display.py for why Python)."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from flask import url_for
from markupsafe import Markup

from crm_web.companies.fields import FIELDS
from crm_web.core.dates import time_html, user_zone
from crm_web.core.display import (
    CELL,
    LOCKED_CELL,
    field_display,
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
    """The list's <tr>s (the markup of core/display.py record_rows, rows of
    repository.cells_query): the name links to the record, the other fields edit in place as
    `rights` allow, then the number of contacts (a link to them), the last update, and Restore
    on the archived list. Written out here rather than through record_rows' callbacks: industry,
    city, country and owner repeat down a page, so each distinct value is escaped once."""
    now, tz = datetime.now(UTC), user_zone()  # once for every row's "Updated" cell
    today = now.astimezone(tz).date()
    editable = rights.update
    # A text cell's inner HTML by value ("" and None: the field's muted "Empty").
    shown = {None: MUTED.format("Empty"), "": MUTED.format("Empty")}
    owners: dict = {}  # owner id -> the owner's cell
    html = []
    for row in rows:
        record_id = str(row.id)
        title = escape(row.name)
        owner = owners.get(row.owner_id)
        if owner is None:
            name = escape(row.owner_name or "Unassigned")
            locked = editable and not rights.reassign(row.owner_id)
            owner = owners[row.owner_id] = f"{LOCKED_CELL if locked else CELL}{name}</td>"
        cells = []
        for value in (row.industry, row.city, row.country):
            inner = shown.get(value)
            if inner is None:
                inner = shown[value] = escape(value)
            cells.append(inner)
        select = select_cell(record_id, title, editable)
        restore = restore_cell(record_id, title, rights.archive(row.owner_id)) if archived else ""
        html.append(
            f'<tr data-id="{record_id}" data-version="{row.version}">{select}'
            f'<td><a href="{companies_root}{record_id}">{title}</a></td>'
            f"<td>{cells[0]}</td><td>{cells[1]}</td><td>{cells[2]}</td>{owner}"
            f'<td class="num"><a href="{contacts_root}?company={record_id}">{row.contact_count}</a>'
            f"</td><td>{time_html(row.updated_at, now, tz, today)}</td>{restore}</tr>"
        )
    return Markup("".join(html))  # noqa: S704 - every value escaped above
