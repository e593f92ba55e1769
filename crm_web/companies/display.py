"""A company field's click-to-edit display, as HTML (see contacts/display.py for why Python)."""

from __future__ import annotations

from html import escape

from flask import url_for
from markupsafe import Markup

ADDRESS_PARTS = frozenset({"street", "city", "state", "postal_code", "country"})
DISPLAYED = ADDRESS_PARTS | {"name", "owner_id"}
LIST_FIELDS = ("name", "city", "country")


def _inner(company, name) -> str:
    if name == "owner_id":
        return escape(company.owner_name or "Unassigned")
    value = company.name if name == "name" else (company.address or {}).get(name)
    return escape(value) if value else '<span class="muted">Empty</span>'


def _display(company_id: str, company, name, compact, base) -> str:
    suffix, query = ("-c", "?compact=1") if compact else ("", "")
    # hx-target="this": a list cell is inside the bulk form, whose target (the whole list) it
    # would inherit, and the editor would replace the list.
    return (
        f'<span class="ie-display" id="company-{company_id}-{name}{suffix}" tabindex="0" '
        f'role="button" hx-get="{base}/fields/{name}/edit{query}" hx-target="this" '
        f'hx-swap="outerHTML">'
        f"{_inner(company, name)}</span>"
    )


def company_display(company, name, compact=False, base=None) -> Markup:
    """The <span> showing one field; click or Enter (static/js/inline-edit.js) opens its editor.
    `name` is one of DISPLAYED and `base` is built from a UUID: neither needs escaping."""
    if name not in DISPLAYED:
        raise ValueError(f"no display for {name!r}")
    base = base or url_for("companies.detail", company_id=company.id)
    # every user-supplied value inside is escaped by _inner
    return Markup(_display(str(company.id), company, name, compact, base))  # noqa: S704


def company_rows(rows, companies_root: str, contacts_root: str, archived: bool) -> Markup:
    """The list's <tr>s: a checkbox, editable name, city and country, the number of contacts
    (a link to them), the owner, the last update and the links (one Python loop, as contacts')."""
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
            f"<td>{_display(company_id, row, 'owner_id', True, base)}</td>"
            f'<td class="nowrap"><time datetime="{updated}">{updated[:10]}</time></td>'
            f'<td class="nowrap">{restore} '
            f'<a href="{base}" class="open-link">Open</a></td></tr>'
        )
    return Markup("".join(html))  # noqa: S704 - names escaped here, values by _inner
