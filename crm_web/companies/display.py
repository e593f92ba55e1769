"""A company field's click-to-edit display, as HTML (see contacts/display.py for why Python)."""

from __future__ import annotations

from flask import url_for
from markupsafe import Markup, escape

ADDRESS_PARTS = frozenset({"street", "city", "state", "postal_code", "country"})
DISPLAYED = ADDRESS_PARTS | {"name", "owner_id"}
LIST_FIELDS = ("name", "city", "country")


def _inner(company, name) -> str:
    if name == "owner_id":
        return str(escape(company.owner_name or "Unassigned"))
    value = company.name if name == "name" else (company.address or {}).get(name)
    return str(escape(value)) if value else '<span class="muted">Empty</span>'


def company_display(company, name, compact=False, base=None) -> Markup:
    """The <span> showing one field; click or Enter (static/js/inline-edit.js) opens its editor.
    `name` is one of DISPLAYED and `base` is built from a UUID: neither needs escaping."""
    if name not in DISPLAYED:
        raise ValueError(f"no display for {name!r}")
    base = base or url_for("companies.detail", company_id=company.id)
    suffix, query = ("-c", "?compact=1") if compact else ("", "")
    return Markup(  # noqa: S704 - every user-supplied value inside is escaped by _inner
        f'<span class="ie-display" id="company-{company.id}-{name}{suffix}" tabindex="0" '
        f'role="button" hx-get="{base}/fields/{name}/edit{query}" hx-swap="outerHTML">'
        f"{_inner(company, name)}</span>"
    )


def company_cells(company, base) -> Markup:
    """The list row's name, city and country cells."""
    return Markup(  # noqa: S704 - company_display escapes every value
        "".join(f"<td>{company_display(company, name, True, base)}</td>" for name in LIST_FIELDS)
    )
