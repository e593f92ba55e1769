"""A list's sort headers and pager as HTML (templates/_macros/lists.html draws them through
these): each link is the list's URL for another sort or page, and an HTMX swap of the list. A
page has a dozen; as macros (a macro call, a nested call and a url() each) they cost more than
the list's statement."""

from __future__ import annotations

from functools import lru_cache
from html import escape

from markupsafe import Markup

# Drawings kept per process, by everything they show (the columns, the list's state, the
# target): a list paged, searched again, or swapped in after an edit draws the same headers.
# Per macro kept by web.kept too (the signed-in header, the lists' filter forms).
DRAWINGS_KEPT = 1024


def _link(url: str, label: str, extra: str = "") -> str:
    """`url` raw (escaped here), `label` and `extra` (attributes) HTML-safe. Its container says
    where the answer goes (swap_attributes), once for all of its links."""
    url = escape(url)
    return f'<a href="{url}" hx-get="{url}"{extra}>{label}</a>'


@lru_cache(maxsize=DRAWINGS_KEPT)
def swap_attributes(target: str) -> Markup:
    """A container's attributes that its links inherit (htmx): the answer replaces `target` and
    the address bar shows the link's URL, so the list as shown is a link to share."""
    return Markup(f'hx-target="{escape(target)}" hx-swap="outerHTML" hx-push-url="true"')  # noqa: S704


def sort_headers(columns, state, editable: bool = False) -> Markup:
    """_sort_headers, kept by its arguments (`columns` as a tuple, to be part of the key). Their
    <thead> says where the answer goes (swap_attributes)."""
    return _sort_headers(tuple(columns), state, bool(editable))


@lru_cache(maxsize=DRAWINGS_KEPT)
def _sort_headers(columns, state, editable: bool) -> Markup:
    """One <th> per (sort key, label, field name) of `columns`; a column with an empty key is not
    sortable. The active column gets aria-sort and an arrow; its link flips the direction.
    `editable`: the column of a field says its name (data-field) once for all of its cells,
    which static/js/inline-edit.js opens the editors of (a cell marked data-locked excepted)."""
    ascending = state.direction == "asc"
    html = []
    for key, label, field in columns:
        label = escape(label)
        scope = f'scope="col" data-field="{field}"' if editable and field else 'scope="col"'
        if not key:
            html.append(f"<th {scope}>{label}</th>")
        elif key == state.sort:
            url = state.url(sort=key, dir="desc" if ascending else "asc")
            arrow = "▲" if ascending else "▼"
            link = _link(
                url, f'{label} <span aria-hidden="true">{arrow}</span>', ' class="sort sort-active"'
            )
            order = "ascending" if ascending else "descending"
            html.append(f'<th {scope} aria-sort="{order}">{link}</th>')
        else:
            link = _link(state.url(sort=key, dir="asc"), label, ' class="sort"')
            html.append(f"<th {scope}>{link}</th>")
    return Markup("\n".join(html))  # noqa: S704 - labels and URLs escaped above


@lru_cache(maxsize=DRAWINGS_KEPT)
def pager(prev_cursor, next_cursor, state, target: str) -> Markup:
    """« First ‹ Previous · Next › Last », each a link to share and an HTMX swap of `target`."""
    links = []
    if prev_cursor:
        links.append(_link(state.url(), "« First"))
        links.append(_link(state.url(before=prev_cursor), "‹ Previous", ' rel="prev"'))
    if next_cursor:
        links.append(_link(state.url(after=next_cursor), "Next ›", ' rel="next"'))
        links.append(_link(state.url(last="1"), "Last »"))
    inner = "".join(f"\n  {link}" for link in links)
    nav = f'<nav class="pager" aria-label="Pages" {swap_attributes(target)}>{inner}\n</nav>'
    return Markup(nav)  # noqa: S704 - URLs escaped by _link
