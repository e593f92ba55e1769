"""Blueprints, extensions and page-wide plumbing (error pages, health check)."""

from __future__ import annotations

import functools
import logging

from flask import (
    Flask,
    current_app,
    g,
    get_template_attribute,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from htmx_flask import Htmx
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from crm_web.accounts.auth import (
    load_user,
    login_manager,
    public,
    signed_in_actor,
    signed_in_user,
)
from crm_web.accounts.views import bp as accounts
from crm_web.activities.note_views import bp as notes
from crm_web.activities.services import (
    due_count,
    signed_in_user_with_due_count,
    signed_in_user_with_pickers,
)
from crm_web.activities.views import bp as tasks
from crm_web.api.problems import problem
from crm_web.api.views import bp as api
from crm_web.api.views import docs_bp as api_docs
from crm_web.companies.views import bp as companies
from crm_web.contacts.views import bp as contacts
from crm_web.core import dates, input_guard, jinja, request_log, security
from crm_web.core.actor import Actor
from crm_web.core.db import discard_session
from crm_web.core.display import count_of, thousands
from crm_web.core.errors import CRMError
from crm_web.core.health import readiness
from crm_web.core.permissions import allowed, may_archive, may_reassign, record_rights
from crm_web.core.urls import fixed_url, id_url
from crm_web.custom_fields.views import bp as custom_fields
from crm_web.deals.views import bp as deals
from crm_web.imports.views import bp as imports
from crm_web.imports.views import exports_bp as exports
from crm_web.lists import links
from crm_web.records.duplicate_views import bp as duplicates
from crm_web.records.home import RECORD_PAGES, home_page, opened_records, remember_opened
from crm_web.records.pages import related_timeline, signed_in_with_record_page
from crm_web.search.views import bp as search

csrf = CSRFProtect()
log = logging.getLogger(__name__)


def _blueprints():
    """Every area's blueprint. An area adds itself here."""
    return [
        accounts, deals, contacts, companies, custom_fields, tasks, notes, search, imports,
        exports, api, api_docs, duplicates,
    ]  # fmt: skip


def _wants_json() -> bool:
    """The API, or a client that sent JSON or prefers JSON to HTML (a monitor, a script)."""
    if request.path.startswith("/api/") or request.is_json:
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    )


def _error_response(status: int, code: str, message: str, fields: dict | None = None, **extra):
    if _wants_json():
        # RFC 9457 problem details, per-field messages in `errors` (issue 13).
        reference = request_log.request_id()
        body = problem(status, code, message, errors=fields or None, reference=reference, **extra)
        return body, status
    if status in (403, 404, 409, 422, 429, 500, 503):
        template = f"errors/{status}.html"
    else:
        template = "errors/error.html"
    try:
        body = render_template(template, status=status, message=message, fields=fields or {})
    except Exception:  # noqa: BLE001 - e.g. the database is down and the shell needs the user
        log.exception("error page %s could not be rendered", status)
        body = FALLBACK_ERROR_PAGE.format(
            status=status, message=escape(message), reference=escape(request_log.request_id())
        )
    return body, status


# Served when even the error page fails (the shell reads the signed-in user from the database,
# which may be the thing that is down).
FALLBACK_ERROR_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Unavailable · crm_web</title><link rel="stylesheet" href="/static/css/app.css"></head>
<body><main><section class="error-page"><p class="error-code">{status}</p>
<h1 id="error-title">Something went wrong</h1>
<p id="error-message">{message}</p>
<p><a class="button" href="/">Back to the start page</a></p>
<p class="error-reference">Reference: <code>{reference}</code></p></section></main></body></html>"""


# The top navigation: (label, endpoint, action). An item shows when the signed-in role may do
# the action.
NAVIGATION = [
    ("Contacts", "contacts.index", "records.read"),
    ("Companies", "companies.index", "records.read"),
    ("Deals", "deals.index", "records.read"),
    ("Pipeline", "deals.board", "records.read"),
    ("Tasks", "tasks.index", "records.read"),
    ("Import", "imports.index", "data.import"),
    ("Admin", "accounts.admin_users", "users.manage"),
]

# Items that stand for a whole section: Admin is current on every /admin/ page.
SECTIONS = {"accounts.admin_users": "/admin/"}


def navigation() -> tuple:
    """The navigation items the signed-in user may see, as (label, endpoint, URL, current): the
    one whose URL is the longest prefix of this page's path is current (/deals/board is
    Pipeline, not Deals). The same for every page of a route, so worked out once per role,
    mount point and route (~25 µs a page)."""
    actor = signed_in_actor()
    if actor is None:
        return ()
    rule = request.url_rule
    return _navigation(actor.role, request.script_root, rule.rule if rule else request.path)


@functools.lru_cache(maxsize=256)
def _navigation(role: str, root: str, path: str) -> tuple:
    items = [
        (label, endpoint, fixed_url(endpoint))
        for label, endpoint, action in NAVIGATION
        if allowed(Actor(id="", role=role), action)
    ]

    def prefix(endpoint, url):
        # Within the app, as `path` is: the URL without the mount point (`root`).
        return SECTIONS.get(endpoint) or url.removeprefix(root).rstrip("/") + "/"

    path = path.rstrip("/") + "/"
    matches = [(len(prefix(e, url)), e) for _, e, url in items if path.startswith(prefix(e, url))]
    current = max(matches)[1] if matches else None
    return tuple((label, endpoint, url, endpoint == current) for label, endpoint, url in items)


def kept(template: str, macro: str, *args) -> Markup:
    """`macro` of `template` drawn with `args`, kept for the next call with the same args (lists
    among them are read as tuples). Only for macros that show their arguments and nothing else:
    no request, user or CSRF token but passed in, so a drawing is never stale. Templates that
    reload (debug) are drawn every time."""
    args = tuple(tuple(arg) if isinstance(arg, list) else arg for arg in args)
    app = current_app
    if app.jinja_env.auto_reload:
        return get_template_attribute(template, macro)(*args)
    drawings = app.extensions["kept_drawings"]
    draw = drawings.get((template, macro))
    if draw is None:
        draw = functools.lru_cache(maxsize=links.DRAWINGS_KEPT)(
            get_template_attribute(template, macro)
        )
        drawings[template, macro] = draw
    return draw(*args)


def signed_in_header() -> Markup:
    """The top bar and command palette of a signed-in page (templates/_header.html). What they
    show depends only on the key below: who is signed in, the navigation (current item
    included), the Tasks badge, the session's CSRF token (signed once a session) and the search
    box's text. So each drawing is kept (kept): drawn anew, they were a tenth of a list page's
    CPU (callgrind: 1.35M of 12.5M instructions)."""
    user = signed_in_user()
    items = navigation()
    query = request.args.get("q", "") if request.endpoint == "search.index" else ""
    key = (items, user.name, user.email, user.role, task_badge(), security.csrf_token(), query)
    return kept("_header.html", "signed_in", *key)


def can(action: str) -> bool:
    """May the signed-in user do `action` (core/permissions.py POLICY)?"""
    actor = signed_in_actor()
    return actor is not None and allowed(actor, action)


def can_archive(record) -> bool:
    """May the signed-in user archive or restore `record` (managers any, reps their own)?"""
    actor = signed_in_actor()
    return actor is not None and may_archive(actor, record)


def can_reassign(record) -> bool:
    """May the signed-in user change `record`'s owner (managers any, reps their own)?"""
    actor = signed_in_actor()
    return actor is not None and may_reassign(actor, record)


def task_badge() -> int:
    """The nav's count on Tasks: my open tasks overdue or due today (one indexed count, read
    with the user on a full page: _load_user)."""
    user = signed_in_user()
    if user is None:
        return 0
    if user.due_count is not None:
        return user.due_count
    return due_count(user.as_actor())


# The list pages whose full page draws owner (and stage) pickers: read with the user.
LISTS_WITH_PICKERS = frozenset({"contacts.index", "companies.index", "deals.index"})


def _load_user(session_token: str):
    """The session's user (auth.load_user); a full page, which draws the navigation, reads the
    nav badge's count in the same statement, a list page its filter pickers too (kept in
    g.list_pickers for the view), and a record page the record's (g.record_page)."""
    full_page = request.method == "GET" and not request.headers.get("HX-Request")
    if full_page and request.endpoint in LISTS_WITH_PICKERS:
        return load_user(session_token, _user_with_pickers)
    if full_page and request.endpoint in RECORD_PAGES:
        return load_user(session_token, _user_with_record_page)
    if full_page and not request.path.startswith("/api/"):
        return load_user(session_token, signed_in_user_with_due_count)
    return load_user(session_token)


def _user_with_pickers(user_id, session_version: int):
    user, g.list_pickers = signed_in_user_with_pickers(user_id, session_version)
    return user


def _user_with_record_page(user_id, session_version: int):
    kind = RECORD_PAGES[request.endpoint]
    record_id = request.view_args[f"{kind}_id"]
    related = kind == "company" and related_timeline(request.args)
    user, g.record_page = signed_in_with_record_page(
        kind, record_id, related, user_id, session_version
    )
    return user


def rights():
    """The signed-in user's RecordRights, for a list page to decide its cells once."""
    return record_rights(signed_in_actor())


def init_app(app: Flask) -> None:
    request_log.init_app(app)  # first: every answer, even a refused one, has its request id
    jinja.init_app(app)
    Htmx(app)
    security.init_app(app)  # before CSRFProtect: a cross-site post gets 403 before anything else
    input_guard.init_app(app)  # text the database cannot hold: 400 before any view reads it
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    dates.init_app(app)
    app.add_template_filter(count_of)
    app.add_template_filter(thousands)
    for blueprint in _blueprints():
        app.register_blueprint(blueprint)
    # Only bearer tokens authenticate the API (never the session cookie): no CSRF surface there.
    csrf.exempt(api)

    # Permission tests for templates, macros included (imported macros see globals, not the
    # context): pages offer only what the signed-in role may do; the services still refuse.
    app.add_template_global(can, "can")
    app.add_template_global(can_archive, "can_archive")
    app.add_template_global(can_reassign, "can_reassign")
    app.add_template_global(rights, "record_rights")
    app.add_template_global(task_badge, "task_badge")
    app.extensions["kept_drawings"] = {}
    app.add_template_global(kept, "kept")
    # Macros draw fixed URLs too (the add forms' actions).
    app.add_template_global(fixed_url, "fixed_url")
    # In place of Flask-WTF's csrf_token: the same token, taken from `g` once signed.
    app.add_template_global(security.csrf_token, "csrf_token")
    app.add_template_global(id_url, "id_url")
    # A list's sort headers and pager (templates/_macros/lists.html).
    app.add_template_global(links.sort_headers, "list_sort_headers")
    app.add_template_global(links.pager, "list_pager")
    app.add_template_global(links.swap_attributes, "list_swap_attributes")

    @app.context_processor
    def shell_context():
        """What base.html needs on every page: a permission test, and the signed-in header as a
        function base.html calls (an HTMX fragment, which has no header, never draws it)."""
        return {"signed_in_header": signed_in_header, "can": can}

    @app.get("/")
    @public
    def home():
        """Where a signed-in user's day starts (records.home); signed out, the sign-in page."""
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login"))
        opened = opened_records(session, current_user.id)
        return render_template("home.html", **home_page(current_user.as_actor(), opened))

    @app.after_request
    def remember_record_pages(response):
        """A record page shown in full joins the home page's "opened" list (records.home)."""
        # The endpoint first: other requests (static files) must not load the user.
        if (
            request.endpoint in RECORD_PAGES
            and response.status_code == 200
            and request.method == "GET"
            and request.headers.get("HX-Request") != "true"
            and (user := signed_in_user()) is not None
        ):
            remember_opened(session, user.id, request.endpoint, request.view_args)
        return response

    @app.get("/favicon.ico")
    @public
    def favicon():
        """Browsers ask for it on every page, even JSON ones; a 404 would be a console error."""
        return app.send_static_file("favicon.svg")

    @app.get("/healthz")
    @public
    def healthz():
        """Liveness: the process answers. Never the database (a restart would not mend it)."""
        return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}

    @app.get("/readyz")
    @public
    def readyz():
        """Readiness (for load balancers): the database answers and its migrations are at head;
        503 naming what is wrong otherwise."""
        problems = readiness()
        if problems:
            return {"status": "unavailable", "problems": problems}, 503
        return {"status": "ready"}

    @app.errorhandler(CRMError)
    def domain_error(exc: CRMError):
        """A service refused: the status and message come from the error type (DESIGN §5)."""
        discard_session()
        # A refused duplicate (409) names the records it would duplicate, by id.
        others = getattr(exc, "duplicates", None)
        duplicates = [str(record_id) for record_id, _ in others] if others else None
        fields = getattr(exc, "fields", None)
        return _error_response(exc.status, exc.code, exc.message, fields, duplicates=duplicates)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        """A state-changing request without a valid token: refused, with a way forward."""
        message = (
            "This form has expired or did not come from this site. Reload the page and try again."
        )
        return _error_response(403, "csrf_failed", message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # Werkzeug's 413 text ("The data value transmitted exceeds the capacity limit.") says
        # nothing a person can act on.
        message = input_guard.TOO_LARGE_MESSAGE if exc.code == 413 else exc.description
        return _error_response(exc.code or 500, exc.name.lower().replace(" ", "_"), message)

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        """Log the stack; show a page that leaks nothing."""
        log.exception("unhandled error on %s %s", request.method, request.path)
        discard_session()
        return _error_response(500, "internal_error", "Something went wrong on our side.")
