"""One permission table (core/permissions.POLICY), on every route and in the services."""

from __future__ import annotations

import uuid

import pytest

from crm_web.core.actor import ROLES, Actor
from crm_web.core.errors import PermissionDenied
from crm_web.core.permissions import POLICY, allowed
from tests.accounts.conftest import submit_login
from tests.support import make_user

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Routes anyone may post to: signing in, first-run set-up, signing out.
PUBLIC_WRITES = {"accounts.login", "accounts.setup", "accounts.logout"}
# Writes to one's own account, open to every role (a viewer may change their password).
OWN_ACCOUNT = "profile.update"
# The REST API is not signed into with the session cookie (only a bearer token: 401 without
# one); tests/api holds it to the same roles with tokens. Its OpenAPI document is open.
API = "/api/"
PUBLIC_DOCUMENTS = {"api.openapi_document", "api_docs.page"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            yield rule, app.view_functions[rule.endpoint]


def _url(rule) -> str:
    """The rule's URL with a made-up id (or name) for each argument."""
    values = {arg: str(uuid.uuid4()) if arg.endswith("id") else "name" for arg in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def test_every_route_declares_who_may_use_it(app):
    missing = [rule.rule for rule, view in _routes(app) if not hasattr(view, "required_action")]
    assert missing == [], f"routes without @requires(action) or @public: {missing}"
    unknown = [
        (rule.rule, view.required_action)
        for rule, view in _routes(app)
        if view.required_action is not None and view.required_action not in POLICY
    ]
    assert unknown == []


def test_only_sign_in_pages_and_probes_are_public(app):
    public = {rule.endpoint for rule, view in _routes(app) if view.required_action is None}
    assert public <= {"home", "favicon", "healthz", "readyz", *PUBLIC_WRITES, *PUBLIC_DOCUMENTS}


def test_the_policy_table_matches_the_roles(app):
    def roles(action):
        return {role for role in ROLES if allowed(Actor(id="x", role=role), action)}

    assert roles("records.read") == set(ROLES)
    assert roles("records.create") == roles("records.update") == {"admin", "manager", "rep"}
    assert roles("records.archive_own") == {"admin", "manager", "rep"}
    assert roles("records.archive_any") == {"admin", "manager"}
    assert roles("data.export") == {"admin", "manager"}
    # Issue 12: reps import (their own imports); viewers never.
    assert roles("data.import") == {"admin", "manager", "rep"}
    for admin_only in ("users.manage", "stages.manage", "custom_fields.manage", "records.purge"):
        assert roles(admin_only) == {"admin"}


def test_a_viewer_gets_403_on_every_write(app, client, session):
    make_user("viewer", email="viewer@example.com")
    submit_login(client, email="viewer@example.com")
    statuses = {}
    for rule, view in _routes(app):
        if rule.endpoint in PUBLIC_WRITES or view.required_action == OWN_ACCOUNT:
            continue
        if rule.rule.startswith(API):
            continue
        for method in sorted(rule.methods & UNSAFE):
            response = client.open(_url(rule), method=method, data={})
            statuses[f"{method} {rule.rule}"] = response.status_code
    assert statuses, "no write routes found"
    assert {route: s for route, s in statuses.items() if s != 403} == {}


def test_a_viewer_can_read_every_page(app, client, session):
    make_user("viewer", email="viewer@example.com")
    submit_login(client, email="viewer@example.com")
    for rule, view in _routes(app):
        if rule.arguments or "GET" not in rule.methods or rule.endpoint == "accounts.setup":
            continue
        if rule.rule.startswith(API):
            continue
        action = view.required_action
        response = client.get(rule.rule)
        if action is None or allowed(Actor(id="x", role="viewer"), action):
            assert response.status_code in (200, 302), rule.rule
        else:
            assert response.status_code == 403, rule.rule


def test_the_admin_page_is_for_admins_only(client, session):
    make_user("manager", email="manager@example.com")
    submit_login(client, email="manager@example.com")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/").status_code == 403
    assert 'href="/admin/users"' not in client.get("/").text


def test_the_admin_section_opens_at_its_users(client, session):
    """/admin and /admin/, typed or bookmarked, lead an admin to the users page."""
    make_user("admin", email="boss@example.com")
    submit_login(client, email="boss@example.com")
    page = client.get("/admin", follow_redirects=True)
    assert page.status_code == 200 and page.request.path == "/admin/users"
    assert "boss@example.com" in page.text


def test_services_enforce_the_table_too(session):
    from crm_web.accounts import services

    rep = make_user(email="rep@example.com")
    viewer = Actor(id=str(make_user("viewer", email="v@example.com").id), role="viewer")
    manager = Actor(id=str(make_user("manager", email="m@example.com").id), role="manager")
    data = {"email": "x@example.com", "name": "X", "role": "admin", "password": "x" * 12}
    for actor in (viewer, manager, rep.as_actor()):
        with pytest.raises(PermissionDenied):
            services.create_user(data, actor)
        with pytest.raises(PermissionDenied):
            services.change_role(rep.id, {"role": "admin"}, actor)
        with pytest.raises(PermissionDenied):
            services.set_active(rep.id, False, actor)
        with pytest.raises(PermissionDenied):
            services.reset_password(rep.id, {"password": "y" * 12}, actor)
        with pytest.raises(PermissionDenied):
            services.list_users(actor)
