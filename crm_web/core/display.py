"""Display helpers every area's pages share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from html import escape

import phonenumbers
from markupsafe import Markup

from crm_web.core.dates import time_html, user_zone


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


def detail_cells(fields, display: Callable, editable: bool, owner_editable: bool) -> Markup:
    """A record page's Details card fields (_macros/records.html details_card): a <dt> label and
    a <dd> `display(field, editable)` each, the owner editable as `owner_editable`, the rest as
    `editable`. One call for the card: a Jinja caller per field cost three times the fields'
    displays (3.6 % of a contact page's instructions). `display` escapes what it shows; the
    labels are the fields' own text."""
    cells = [
        f"<dt>{field.label}</dt>"
        f"<dd>{display(field, owner_editable if field.name == 'owner_id' else editable)}</dd>"
        for field in fields
    ]
    return Markup("".join(cells))  # noqa: S704 - see above


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
# that and the row's record id and data-version (static/js/inline-edit.js), so the 300 cells
# of a page carry no attributes. LOCKED_CELL: a cell of an editable column that this row's record
# does not let the user change (the owner of a record a rep may not reassign).
CELL, LOCKED_CELL = "<td>", "<td data-locked>"


def row_start(record_id: str, version: int, editable: bool) -> str:
    """A contact or company list row's <tr>: its version, and its record's id unless its
    bulk-selection checkbox (select_cell, drawn where the user may edit) holds that already,
    which inline-edit.js reads (50 ids written once, not twice: 2.3 KB a page)."""
    if editable:
        return f'<tr data-version="{version}">'
    return f'<tr data-id="{record_id}" data-version="{version}">'


def select_cell(record_id: str, name: str, editable: bool) -> str:
    """A list row's first cell: its checkbox for the bulk actions, where the user may edit rows.
    `name` is HTML-safe (escaped by the caller)."""
    if not editable:
        return ""
    return (
        f'<td><input type="checkbox" name="ids" value="{record_id}" '
        f'aria-label="Select {name}"></td>'
    )


# Rows kept drawn per list and process (about 0.7 KB each).
ROWS_KEPT = 4096


class KeptRows:
    """A list's row drawing, kept: a row is drawn once for everything it shows.

    `draw(key, page)` returns a row's HTML before and after its time cell's <time>, from `key`
    (the row, or all of it that the row shows) and `page` (everything else the rows show,
    decided once a page: roots, rights). Both are hashable and the drawing reads nothing else,
    so a kept row is the row as it would be drawn now: an edit, a renamed owner or another
    user's rights is another key. The time, which moves with the clock, is drawn every time.
    Paging back and forth, sorting, a filter toggled and the list swapped in again after an
    edit draw the same rows."""

    def __init__(self, draw: Callable[[object, tuple], tuple[str, str]]):
        self.kept = lru_cache(maxsize=ROWS_KEPT)(draw)

    def __call__(self, keys, times, page: tuple) -> Markup:
        """The rows of `keys`, each with its `times` entry shown, as one Markup."""
        now, tz = datetime.now(UTC), user_zone()
        today = now.astimezone(tz).date()
        kept = self.kept
        html = []
        for key, at in zip(keys, times, strict=True):
            head, tail = kept(key, page)
            html += (head, time_html(at, now, tz, today) if at is not None else "", tail)
        return Markup("".join(html))  # noqa: S704 - `draw` escapes what it shows, time_html is ours


def row_keys(rows, rights, archived: bool, values=None) -> list:
    """Each row's KeptRows key: the row (or `values(row)`, what of it the row shows, hashable),
    whether its owner's cell is locked (the user may edit the row but not reassign it) and
    whether the archived list offers it Restore. `rights`: the user's RecordRights."""
    archived = bool(archived)  # a template's missing filter is Undefined, hashed in Python
    return [
        (
            values(row) if values else row,
            rights.update and not rights.reassign(row.owner_id),
            archived and rights.archive(row.owner_id),
        )
        for row in rows
    ]


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


def thousands(count: int) -> str:
    """`1,204`: a count where the sentence names what it counts (the pages' `| thousands`)."""
    return f"{count:,}"


def count_of(count: int, noun: str, plural: str | None = None) -> str:
    """`1,204 rows`, `1 row`: a count with its noun, for the pages' sentences."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"
