"""Full page or fragment: the one place that decides, so views never re-implement it."""

from __future__ import annotations

from flask import make_response, render_template
from htmx_flask import request
from jinja2_fragments.flask import render_block


def wants_fragment() -> bool:
    """An HTMX swap (not a boosted navigation, not a history restore) gets only a block."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def saved(response):
    """Mark `response` to a save that changed a record: its HX-Trigger tells the page, whose
    History card then fetches itself again (it showed the change only after a reload)."""
    response.headers["HX-Trigger"] = "record-saved"
    return response


def render(template: str, block: str | None = None, *, status: int = 200, **context):
    """Render `template`, or only its `block` when HTMX asked for a fragment.
    Responses vary on HX-Request so caches never serve a fragment as a page."""
    if block and wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response
