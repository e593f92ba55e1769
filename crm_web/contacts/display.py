"""A contact field's click-to-edit display, as HTML. A list page shows 300 of them; built here
with f-strings it costs a tenth of the same markup from a Jinja macro, and the record page and
HTMX fragments use the very same function, so there is one source of this markup.
Values are escaped with the standard library's html.escape (quotes included): it returns a str,
where markupsafe's escape builds a Markup object per value at twice the cost."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from html import escape

from flask import url_for
from markupsafe import Markup

from crm_web.contacts.fields import FIELDS, LIST_FIELDS
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


@lru_cache(maxsize=65536)
def _tel_link(phone: str) -> str:
    return f'<a href="tel:{escape(phone)}">{escape(readable_phone(phone))}</a>'


def _mailto_link(email: str) -> str:
    email = escape(email)
    return f'<a href="mailto:{email}">{email}</a>'


def _items(values, compact, render, empty) -> str:
    if not values:
        return MUTED.format(empty)
    shown = values[:1] if compact else values
    html = "<br>".join(render(v) for v in shown)
    if compact and len(values) > 1:
        html += f' <span class="more">+{len(values) - 1}</span>'
    return html


def _inner(contact, field, compact, company_root) -> str:
    kind, name = field.kind, field.name
    if kind == "emails":
        return _items(contact.emails, compact, _mailto_link, field.empty)
    if kind == "phones":
        return _items(contact.phones, compact, _tel_link, field.empty)
    if kind == "company":
        if not contact.company_id:
            return MUTED.format(field.empty)
        href = (
            f"{company_root}{contact.company_id}"
            if company_root
            else url_for("companies.detail", company_id=contact.company_id)
        )
        return f'<a href="{href}">{escape(contact.company_name)}</a>'  # href: from a UUID
    if kind == "owner":
        return escape(contact.owner_name or field.empty)
    value = getattr(contact, name)
    return escape(value) if value else MUTED.format(field.empty)


def _text(contact, field) -> str:
    """The value in words, for the display's accessible name."""
    kind = field.kind
    if kind == "emails":
        values = contact.emails
    elif kind == "phones":
        values = [readable_phone(p) for p in contact.phones or ()]
    elif kind == "company":
        values = [contact.company_name] if contact.company_id else ()
    elif kind == "owner":
        values = [contact.owner_name] if contact.owner_name else ()
    else:
        value = getattr(contact, field.name)
        values = [value] if value else ()
    return ", ".join(values) if values else field.empty


def _display(contact_id: str, contact, field, compact, base, company_root, editable) -> str:
    inner = _inner(contact, field, compact, company_root)
    label = f"{field.label}: {_text(contact, field)}" if editable else None
    version = contact.version
    return field_display("contact", contact_id, field.name, version, inner, compact, base, label)


def contact_display(
    contact, name, compact=False, base=None, company_root=None, editable=True
) -> Markup:
    """The <span> showing one field; click or Enter (static/js/inline-edit.js) opens its editor
    when `editable` (the caller knows the user's rights). A list passes `base` (the contact's URL)
    and `company_root` ("/companies/") to skip url_for.
    `name` is one of FIELDS and `base` is built from a UUID: neither needs escaping."""
    if name not in FIELDS:
        raise ValueError(f"no display for {name!r}")
    base = base or url_for("contacts.detail", contact_id=contact.id)
    field = FIELDS[name]
    # every user-supplied value inside is escaped by _inner
    html = _display(str(contact.id), contact, field, compact, base, company_root, editable)
    return Markup(html)  # noqa: S704


# The list's name cells open the record, as in every CRM; the other cells edit in place.
NAME_FIELDS = frozenset(("first_name", "last_name"))


def contact_rows(
    rows, contacts_root: str, company_root: str, archived: bool, rights: RecordRights
) -> Markup:
    """The list's <tr>s (data-id, data-version: what a cell's editor needs): a checkbox (for the
    bulk actions, when the user may edit), a cell per list field (fields.LIST_FIELDS: the names
    link to the record, the others edit in place as `rights` allow: core/display.py list_cell),
    the last update. One Python loop, not a Jinja one: it is most of a list
    page's cost (see above)."""
    html = []
    now, tz = datetime.now(UTC), user_zone()  # once for every row's "Updated" cell
    editable = rights.update
    for row in rows:
        contact_id = str(row.id)
        base = contacts_root + contact_id
        name = escape(f"{row.first_name} {row.last_name}")
        updated = time_html(row.updated_at, now, tz)
        reassign = rights.reassign(row.owner_id)
        cells = []
        for field in LIST_FIELDS:
            if field.name in NAME_FIELDS:
                value = escape(getattr(row, field.name))
                cells.append(f'<td><a href="{base}">{value}</a></td>')
            else:
                can_edit = reassign if field.kind == "owner" else editable
                inner = _inner(row, field, True, company_root)
                cells.append(list_cell(field.name, inner, can_edit))
        select = select_cell(contact_id, name, editable)
        restore = restore_cell(contact_id, name, rights.archive(row.owner_id)) if archived else ""
        html.append(
            f'<tr data-id="{contact_id}" data-version="{row.version}">{select}{"".join(cells)}'
            f"<td>{updated}</td>"
            f"{restore}</tr>"
        )
    return Markup("".join(html))  # noqa: S704 - names escaped here, values by _inner
