"""A contact field's click-to-edit display, as HTML. A list page shows 300 of them; built here
with f-strings it costs a tenth of the same markup from a Jinja macro, and the record page and
HTMX fragments use the very same function, so there is one source of this markup.
Values are escaped with the standard library's html.escape (quotes included): it returns a str,
where markupsafe's escape builds a Markup object per value at twice the cost."""

from __future__ import annotations

from functools import lru_cache
from html import escape

from flask import url_for
from markupsafe import Markup

from crm_web.contacts.fields import FIELDS, LIST_FIELDS
from crm_web.core.display import readable_phone

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


def _display(contact_id: str, contact, field, compact, base, company_root) -> str:
    suffix, query = ("-c", "?compact=1&") if compact else ("", "?")
    name = field.name
    # hx-target="this": a list cell is inside the bulk form, whose target (the whole list) it
    # would inherit, and the editor would replace the list. seen=: the version this was drawn
    # from, so the editor can say what changed since.
    return (
        f'<span class="ie-display" id="contact-{contact_id}-{name}{suffix}" tabindex="0" '
        f'role="button" hx-get="{base}/fields/{name}/edit{query}seen={contact.version}" '
        f'hx-target="this" '
        f'hx-swap="outerHTML">'
        f"{_inner(contact, field, compact, company_root)}</span>"
    )


def contact_display(contact, name, compact=False, base=None, company_root=None) -> Markup:
    """The <span> showing one field; click or Enter (static/js/inline-edit.js) opens its editor.
    A list passes `base` (the contact's URL) and `company_root` ("/companies/") to skip url_for.
    `name` is one of FIELDS and `base` is built from a UUID: neither needs escaping."""
    if name not in FIELDS:
        raise ValueError(f"no display for {name!r}")
    base = base or url_for("contacts.detail", contact_id=contact.id)
    # every user-supplied value inside is escaped by _inner
    return Markup(_display(str(contact.id), contact, FIELDS[name], compact, base, company_root))  # noqa: S704


def contact_rows(rows, contacts_root: str, company_root: str, archived: bool) -> Markup:
    """The list's <tr>s: a checkbox, an editable cell per list field (fields.LIST_FIELDS), the
    last update and the links. One Python loop, not a Jinja one: it is most of a list page's
    cost (see above)."""
    html = []
    for row in rows:
        contact_id = str(row.id)
        base = contacts_root + contact_id
        name = escape(f"{row.first_name} {row.last_name}")
        updated = row.updated_at.isoformat()
        cells = "".join(
            f"<td>{_display(contact_id, row, field, True, base, company_root)}</td>"
            for field in LIST_FIELDS
        )
        restore = (
            f'<button type="submit" name="one" value="{contact_id}" class="button button-small" '
            f'aria-label="Restore {name}">Restore</button>'
            if archived
            else ""
        )
        html.append(
            f'<tr id="row-{contact_id}"><td class="select"><input type="checkbox" name="ids" '
            f'value="{contact_id}" aria-label="Select {name}"></td>{cells}'
            f'<td class="nowrap"><time datetime="{updated}">{updated[:10]}</time></td>'
            f'<td class="nowrap">{restore} '
            f'<a href="{base}" class="open-link">Open</a></td></tr>'
        )
    return Markup("".join(html))  # noqa: S704 - names escaped here, values by _inner
