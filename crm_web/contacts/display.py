"""A contact field's click-to-edit display, as HTML. A list page shows 300 of them; built here
with f-strings it costs a tenth of the same markup from a Jinja macro, and the record page and
HTMX fragments use the very same function, so there is one source of this markup.
Values are escaped with the standard library's html.escape (quotes included): it returns a str,
where markupsafe's escape builds a Markup object per value at twice the cost."""

from __future__ import annotations

from collections import namedtuple
from functools import lru_cache
from html import escape

from flask import url_for
from markupsafe import Markup

from crm_web.contacts.fields import FIELDS, LIST_FIELDS
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


@lru_cache(maxsize=65536)
def _tel_link(phone: str) -> str:
    return f'<a href="tel:{escape(phone)}">{escape(readable_phone(phone))}</a>'


def _mailto_link(email: str) -> str:
    email = escape(email)
    return f'<a href="mailto:{email}">{email}</a>'


def _items(values, compact, render, empty) -> str:
    if not values:
        return "" if compact else MUTED.format(empty)
    shown = values[:1] if compact else values
    html = "<br>".join(render(v) for v in shown)
    if compact and len(values) > 1:
        html += f' <span class="more">+{len(values) - 1}</span>'
    return html


def _inner(contact, field, compact, company_root) -> str:
    """A field's value as HTML; empty in a list cell (`compact`), which CSS marks with a dash."""
    kind, name = field.kind, field.name
    if kind == "emails":
        return _items(contact.emails, compact, _mailto_link, field.empty)
    if kind == "phones":
        return _items(contact.phones, compact, _tel_link, field.empty)
    if kind == "company":
        if not contact.company_id:
            return "" if compact else MUTED.format(field.empty)
        href = (
            f"{company_root}{contact.company_id}"
            if company_root
            else url_for("companies.detail", company_id=contact.company_id)
        )
        return f'<a href="{href}">{escape(contact.company_name)}</a>'  # href: from a UUID
    if kind == "owner":
        return escape(contact.owner_name or field.empty)
    value = getattr(contact, name)
    if not value:
        return "" if compact else MUTED.format(field.empty)
    return escape(value)


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


def contact_details(contact, base: str, editable: bool, owner_editable: bool) -> Markup:
    """The record page's Details card fields (core.display.detail_cells)."""
    contact_id = str(contact.id)

    def display(field, allowed: bool) -> str:
        return _display(contact_id, contact, field, False, base, None, allowed)

    return detail_cells(DETAIL_FIELDS, display, editable, owner_editable)


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


def contact_rows(
    rows, contacts_root: str, company_root: str, archived: bool, rights: RecordRights
) -> Markup:
    """The list's <tr>s (the id and version a cell's editor needs: row_start): a checkbox for the
    bulk actions where the user may edit, the name linking to the record (as in every CRM),
    the other fields editing in place as `rights` allow, the last update, and Restore on the
    archived list. Kept drawn (core.display.KeptRows) by the row and what the user may do to
    it; the row's lists of emails and phones become tuples, to be part of the key."""
    names = rows[0]._fields if rows else ()
    page = (contacts_root, company_root, bool(archived), rights.update, names)
    keys = row_keys(rows, rights, archived, _hashable)
    return _contact_rows(keys, [row.updated_at for row in rows], page)


def _hashable(row) -> tuple:
    return tuple([tuple(v) if v.__class__ is list else v for v in row])


@lru_cache(maxsize=8)
def _row_type(names: tuple) -> type:
    """A row again from its kept values (the driver's rows and SQLAlchemy's differ in type)."""
    return namedtuple("ContactRow", names, rename=True)  # the keyset columns: _k0, …


def _contact_row(key, page) -> tuple[str, str]:
    values, locked, may_restore = key
    contacts_root, company_root, archived, editable, names = page
    row = _row_type(names)._make(values)
    record_id = row.id
    base = contacts_root + record_id
    title = escape(f"{row.first_name} {row.last_name}")
    # The name is the row's header: read out with each of its cells, and kept on one line.
    cells = [f'<th><a href="{base}">{title}</a></th>']
    for field in LIST_FIELDS:
        cell = LOCKED_CELL if field.kind == "owner" and locked else CELL
        cells.append(f"{cell}{_inner(row, field, True, company_root)}</td>")
    select = select_cell(record_id, title, editable)
    restore = restore_cell(record_id, title, may_restore) if archived else ""
    return (
        f"{row_start(record_id, row.version, editable)}{select}{''.join(cells)}<td>",
        f"</td>{restore}</tr>",
    )


_contact_rows = KeptRows(_contact_row)
