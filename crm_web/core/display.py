"""Display helpers every area's pages share."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from html import escape

import phonenumbers
from markupsafe import Markup

from crm_web.core.dates import time_html, user_zone
from crm_web.core.permissions import RecordRights


@lru_cache(maxsize=65536)
def readable_phone(value: str | None) -> str:
    """+14155550100 -> +1 415-555-0100 (phonenumbers' INTERNATIONAL format). Cached: parsing is
    the costliest step of rendering a list page."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def field_display(entity, record_id, name, version, inner, compact, base, label=None) -> str:
    """A record field's click-to-edit display (templates/_macros/fields.html writes the same
    markup), e.g. id "contact-<id>-first_name". Read-only (`label` None: a viewer, or an owner
    the user may not change): plain text. Editable: the value itself is the button ("First name:
    Ada, edit"), unless it holds a link (mailto:, tel:, the company): a button may not hold a
    link, so such a value sits beside its own ✎ button, and a click elsewhere on the value still
    opens the editor. hx-target="this": a list cell is inside the bulk form, whose target (the
    whole list) it would inherit. seen=: the version this was drawn from, so the editor can say
    what changed since. `compact`: the value a list cell gets back after an edit (id "…-c"),
    bare: its cell (display.CELL) opens the editor, and data-version tells the row the version
    now. All but `label` (escaped here) are HTML-safe."""
    element_id = f"{entity}-{record_id}-{name}"
    if compact:
        return (
            f'<span class="ie-display" id="{element_id}-c" data-version="{version}">{inner}</span>'
        )
    if label is None:
        return f'<span class="ie-display" id="{element_id}">{inner}</span>'
    label = escape(f"{label}, edit")
    request = (
        f'hx-get="{base}/fields/{name}/edit?seen={version}" hx-target="this" hx-swap="outerHTML"'
    )
    if "<a " in inner:
        return (
            f'<span class="ie-display ie-linked" id="{element_id}" {request}>{inner}'
            f'<button type="button" class="ie-edit" aria-label="{label}"></button></span>'
        )
    return (
        f'<span class="ie-display" id="{element_id}" tabindex="0" role="button" '
        f'aria-label="{label}" {request}>{inner}</span>'
    )


# A list row's cell: the value alone. Its column's header names the field it edits (<th
# data-field>: lists.links.sort_headers) and one listener on the table opens its editor from
# that and the row's data-id and data-version (static/js/inline-edit.js), so the 300 cells of
# a page carry no attributes. LOCKED_CELL: a cell of an editable column that this row's record
# does not let the user change (the owner of a record a rep may not reassign).
CELL, LOCKED_CELL = "<td>", "<td data-locked>"


def select_cell(record_id: str, name: str, editable: bool) -> str:
    """A list row's first cell: its checkbox for the bulk actions, where the user may edit rows.
    `name` is HTML-safe (escaped by the caller)."""
    if not editable:
        return ""
    return (
        f'<td><input type="checkbox" name="ids" value="{record_id}" '
        f'aria-label="Select {name}"></td>'
    )


def record_rows(
    rows,
    root: str,
    rights: RecordRights,
    archived: bool,
    *,
    fields: Sequence,
    linked: Collection[str],
    inner: Callable,
    name: Callable,
    extra: Callable | None = None,
) -> Markup:
    """A list's <tr>s (data-id, data-version: what a cell's editor needs): a checkbox (for the
    bulk actions, when the user may edit), a cell per field of `fields` (those named in `linked`
    link to the record at `root` + id, the others hold `inner(row, field)` and edit in place as
    `rights` allow: CELL), the cells `extra(row, record_id)` adds, the last update, and
    Restore on the archived list. `name(row)` names the row for screen readers. One Python
    loop, not a Jinja one: it is most of a list page's cost (contacts/display.py)."""
    html = []
    now, tz = datetime.now(UTC), user_zone()  # once for every row's "Updated" cell
    today = now.astimezone(tz).date()
    editable = rights.update
    for row in rows:
        record_id = str(row.id)
        base = root + record_id
        title = escape(name(row))
        reassign = rights.reassign(row.owner_id)
        cells = []
        for field in fields:
            if field.name in linked:
                cells.append(f'<td><a href="{base}">{escape(getattr(row, field.name))}</a></td>')
            else:
                locked = field.kind == "owner" and editable and not reassign
                cell = LOCKED_CELL if locked else CELL
                cells.append(f"{cell}{inner(row, field)}</td>")
        select = select_cell(record_id, title, editable)
        more = extra(row, record_id) if extra else ""
        restore = restore_cell(record_id, title, rights.archive(row.owner_id)) if archived else ""
        html.append(
            f'<tr data-id="{record_id}" data-version="{row.version}">{select}{"".join(cells)}'
            f"{more}<td>{time_html(row.updated_at, now, tz, today)}</td>{restore}</tr>"
        )
    return Markup("".join(html))  # noqa: S704 - names escaped here, values by `inner`


def restore_cell(record_id: str, name: str, may_restore: bool) -> str:
    """The archived list's last cell: Restore, where the user may restore the record (empty
    elsewhere). `name` is HTML-safe (escaped by the caller)."""
    button = (
        f'<button type="submit" name="one" value="{record_id}" '
        f'class="button button-small" aria-label="Restore {name}">Restore</button>'
        if may_restore
        else ""
    )
    return f'<td class="nowrap">{button}</td>'


def count_of(count: int, noun: str, plural: str | None = None) -> str:
    """`1,204 rows`, `1 row`: a count with its noun, for the pages' sentences."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"
