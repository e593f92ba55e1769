"""Global search: the results page, the top bar's suggestions and the command palette's list."""

from __future__ import annotations

from flask import Blueprint, current_app, request, url_for

from crm_web.accounts.auth import current_actor, requires
from crm_web.core.htmx import render
from crm_web.core.permissions import allowed
from crm_web.core.replica import reads_replica
from crm_web.search import services
from crm_web.search.display import groups_html

bp = Blueprint("search", __name__, url_prefix="/search")

# The palette's actions: (label, endpoint, action the user must be allowed). An action shows
# only when its page exists in this app (Import arrives with the imports area).
ACTIONS = (
    ("New contact", "contacts.new", "records.create"),
    ("New company", "companies.new", "records.create"),
    ("New deal", "deals.new", "records.create"),
    ("My tasks", "tasks.index", "records.read"),
    ("Pipeline board", "deals.board", "records.read"),
    ("Print pipeline", "deals.board_print", "records.read"),
    ("Import", "imports.index", "data.import"),
)
bp.add_app_template_global(groups_html, "search_groups")

SUGGESTIONS = 3  # a kind's results in the top bar and the palette
PAGE_RESULTS = 20  # on the results page


def _archived() -> bool:
    return request.args.get("archived") in ("1", "on", "true")


@bp.get("/")
@requires("records.read")
@reads_replica
def index():
    """The results page; the toggle's HTMX request gets only #search_results."""
    q = request.args.get("q", "")
    found = services.search(q, current_actor(), archived=_archived(), limit=PAGE_RESULTS)
    return render("search/index.html", "search_results", found=found, archived=_archived())


@bp.get("/suggestions")
@requires("records.read")
@reads_replica
def suggestions():
    """The top bar's list as the user types (swapped into #global-search-results)."""
    q = request.args.get("q", "")
    found = services.search(q, current_actor(), limit=SUGGESTIONS)
    return render("search/_suggestions.html", found=found, prefix="suggest", actions=[])


@bp.get("/palette")
@requires("records.read")
@reads_replica
def palette():
    """The command palette's list: matching actions, then records (into #palette-results)."""
    q = request.args.get("q", "").strip()
    found = services.search(q, current_actor(), limit=SUGGESTIONS)
    return render("search/_suggestions.html", found=found, prefix="palette", actions=_actions(q))


def _actions(q: str) -> list[dict]:
    actor = current_actor()
    words = services.fold(q).split()
    return [
        {"label": label, "url": url_for(endpoint)}
        for label, endpoint, action in ACTIONS
        if endpoint in current_app.view_functions
        and allowed(actor, action)
        and all(w in services.fold(label) for w in words)
    ]
