"""A company field's click-to-edit display, as HTML (see contacts/display.py for why Python)."""

from __future__ import annotations

from html import escape

from flask import url_for
from markupsafe import Markup

from crm_web.companies.fields import FIELDS, LIST_FIELDS
from crm_web.core.display import readable_phone

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


def _display(company_id: str, company, field, compact, base) -> str:
    suffix, query = ("-c", "?compact=1&") if compact else ("", "?")
    name = field.name
    # hx-target="this": a list cell is inside the bulk form, whose target (the whole list) it
    # would inherit, and the editor would replace the list. seen=: the version this was drawn
    # from, so the editor can say what changed since.
    return (
        f'<span class="ie-display" id="company-{company_id}-{name}{suffix}" tabindex="0" '
        f'role="button" hx-get="{base}/fields/{name}/edit{query}seen={company.version}" '
        f'hx-target="this" hx-swap="outerHTML">'
        f"{_inner(company, field)}</span>"
    )


def company_display(company, name, compact=False, base=None) -> Markup:
    """The <span> showing one field; click or Enter (static/js/inline-edit.js) opens its editor.
    `name` is one of FIELDS and `base` is built from a UUID: neither needs escaping."""
    if name not in FIELDS:
        raise ValueError(f"no display for {name!r}")
    base = base or url_for("companies.detail", company_id=company.id)
    # every user-supplied value inside is escaped by _inner
    return Markup(_display(str(company.id), company, FIELDS[name], compact, base))  # noqa: S704


def company_rows(rows, companies_root: str, contacts_root: str, archived: bool) -> Markup:
    """The list's <tr>s: a checkbox, an editable cell per list field (fields.LIST_FIELDS), the
    number of contacts (a link to them), the last update and the links (one Python loop, as
    contacts')."""
    html = []
    for row in rows:
        company_id = str(row.id)
        base = companies_root + company_id
        name = escape(row.name)
        updated = row.updated_at.isoformat()
        cells = "".join(
            f"<td>{_display(company_id, row, field, True, base)}</td>" for field in LIST_FIELDS
        )
        restore = (
            f'<button type="submit" name="one" value="{company_id}" class="button button-small" '
            f'aria-label="Restore {name}">Restore</button>'
            if archived
            else ""
        )
        html.append(
            f'<tr id="row-{company_id}"><td class="select"><input type="checkbox" name="ids" '
            f'value="{company_id}" aria-label="Select {name}"></td>{cells}'
            f'<td class="num"><a href="{contacts_root}?company={company_id}">{row.contact_count}</a></td>'
            f'<td class="nowrap"><time datetime="{updated}">{updated[:10]}</time></td>'
            f'<td class="nowrap">{restore} '
            f'<a href="{base}" class="open-link">Open</a></td></tr>'
        )
    return Markup("".join(html))  # noqa: S704 - names escaped here, values by _inner
