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


def _link(url: str, target: str, label: str, extra: str = "") -> str:
    """`url` and `label` raw (escaped here); `extra`: attributes, HTML-safe."""
    url = escape(url)
    return (
        f'<a href="{url}" hx-get="{url}" hx-target="{escape(target)}" hx-swap="outerHTML" '
        f'hx-push-url="true"{extra}>{label}</a>'
    )


def sort_headers(columns, state, target: str, editable: bool = False) -> Markup:
    """_sort_headers, kept by its arguments (`columns` as a tuple, to be part of the key)."""
    return _sort_headers(tuple(columns), state, target, bool(editable))


@lru_cache(maxsize=DRAWINGS_KEPT)
def _sort_headers(columns, state, target: str, editable: bool) -> Markup:
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
                url,
                target,
                f'{label} <span aria-hidden="true">{arrow}</span>',
                ' class="sort sort-active"',
            )
            order = "ascending" if ascending else "descending"
            html.append(f'<th {scope} aria-sort="{order}">{link}</th>')
        else:
            link = _link(state.url(sort=key, dir="asc"), target, label, ' class="sort"')
            html.append(f"<th {scope}>{link}</th>")
    return Markup("\n".join(html))  # noqa: S704 - labels and URLs escaped above


@lru_cache(maxsize=DRAWINGS_KEPT)
def pager(prev_cursor, next_cursor, state, target: str) -> Markup:
    """« First ‹ Previous · Next › Last », each a link to share and an HTMX swap of `target`."""
    links = []
    if prev_cursor:
        links.append(_link(state.url(), target, "« First"))
        links.append(_link(state.url(before=prev_cursor), target, "‹ Previous", ' rel="prev"'))
    if next_cursor:
        links.append(_link(state.url(after=next_cursor), target, "Next ›", ' rel="next"'))
        links.append(_link(state.url(last="1"), target, "Last »"))
    inner = "".join(f"\n  {link}" for link in links)
    return Markup(f'<nav class="pager" aria-label="Pages">{inner}\n</nav>')  # noqa: S704
