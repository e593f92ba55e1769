"""Global search results as HTML: each kind's group and its results, built as f-strings (a
results page holds up to 100 of them; a Jinja macro call per result cost more than its query).
Titles and details arrive as Markup from services.highlight, escaped there; the rest is ours."""

from __future__ import annotations

from html import escape

from flask import url_for
from markupsafe import Markup

# A record page's URL parameter by kind; its URL is built once a kind and the id put in.
DETAIL = {"contacts": "contact_id", "companies": "company_id", "deals": "deal_id"}
_ID = "00000000-0000-0000-0000-00000000cafe"


def _urls() -> dict:
    return {kind: url_for(f"{kind}.detail", **{name: _ID}) for kind, name in DETAIL.items()}


def _result(result, element_id, urls, compact) -> str:
    record = result["record"]  # (kind, id), or None for a task on no record
    url = escape(urls[record[0]].replace(_ID, str(record[1]))) if record else None
    attributes = f' role="option" id="{element_id}" aria-selected="false"' if compact else ""
    if url:
        attributes += f' data-url="{url}"'
    inner = f'<span class="search-title">{result["title"]}</span>'
    if result["archived"]:
        inner += ' <span class="badge">archived</span>'
    if result["detail"]:
        inner += f' <span class="search-detail">{result["detail"]}</span>'
    if url:
        inner = f'<a href="{url}" tabindex="{-1 if compact else 0}">{inner}</a>'
    return f'<li{attributes} class="search-result">{inner}</li>'


def groups_html(found: dict, prefix: str, compact: bool = True) -> Markup:
    """One list of results per kind (`found` from services.search); `prefix` keeps the ids unique
    (the top bar's list, the palette's and the results page can share a page). A compact list
    is a listbox static/js/search.js moves through."""
    urls = _urls()
    role = "listbox" if compact else "list"
    html = []
    for group in found["groups"]:
        head = f"{prefix}-{group['kind']}"
        more = "+" if group["more"] else ""
        results = "\n".join(
            _result(result, f"{head}-{n}", urls, compact)
            for n, result in enumerate(group["results"], 1)
        )
        html.append(
            f'<section class="search-group" aria-labelledby="{head}">\n'
            f'<h2 class="search-group-head" id="{head}">{group["heading"]}'
            f' <span class="search-count">{group["count"]}{more}</span></h2>\n'
            f'<ul class="search-results" role="{role}" aria-labelledby="{head}">\n'
            f"{results}\n</ul>\n</section>"
        )
    return Markup("\n".join(html))  # noqa: S704 - titles and details escaped in services
