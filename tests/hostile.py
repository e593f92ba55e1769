"""Hostile input never gets a 5xx (issue 17, point 2): every route of the app's URL map, each
method it takes plus one it doesn't, as every role and signed out, with NUL bytes, lone
surrogates, CR/LF, 1 MB strings, huge and tiny numbers, forged cursors and ids in its URL
variables, query and form (or JSON) body. CSRF is off, so the requests reach the views.

One app, one set of records and one signed-in client per role serve every example; whatever
the examples write is rolled back at the end (tests/support.isolated_session).
The sweep itself is here; tests/test_hostile_input.py and tests/test_hostile_input_more.py each
run it over half the routes, so that `make test`'s two workers share it (pytest-xdist keeps a
file on one worker, and the whole sweep was the suite's longest file by minutes)."""

from __future__ import annotations

import base64
import functools
import json
import re
from urllib.parse import quote

from flask import Flask, g
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.support import (
    isolated_session,
    make_company,
    make_contact,
    make_deal,
    make_user,
    sign_in,
)

ROLES = ("anonymous", "viewer", "rep", "manager", "admin")
WRONG_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _routes() -> list[tuple[str, str, tuple[str, ...]]]:
    """(endpoint, rule, methods) of every route, read from an app built without a database."""
    from crm_web import web

    bare = Flask("crm_web_routes")
    web.init_app(bare)
    return sorted(
        (rule.endpoint, rule.rule, tuple(sorted(rule.methods - {"HEAD", "OPTIONS"})))
        for rule in bare.url_map.iter_rules()
    )


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass")).decode().rstrip("=")


FORGED_CURSORS = [
    _b64('["\\ud800","00000000-0000-0000-0000-000000000000"]'),
    _b64('["a\\u0000b","00000000-0000-0000-0000-000000000000"]'),
    _b64(f"[{2**70},{-(2**70)}]"),
    _b64("[1e999999,-1e-999999]"),
    _b64('{"a": 1}'),
    _b64("[" * 5000),
    _b64("[null, null, null]"),
    _b64('["x", "not-a-uuid"]'),
    "!!!not base64!!!",
    "A",
    "AAAA",
]
NUMBERS = [
    "1e26",
    "1e13",
    "9" * 40,
    str(2**31),
    str(2**63),
    str(2**64),
    str(-(2**63) - 1),
    "-1",
    "-0",
    "0",
    "1e-30",
    "NaN",
    "Infinity",
    "-Infinity",
    "0x10",
    "1_000",
]
STRINGS = [
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\r\n",
    "/\r\nSet-Cookie: evil=1",
    "/contacts/\nx",
    "//evil.example.com",
    "https://evil.example.com/",
    "javascript:alert(1)",
    "\\\\evil.example.com",
    "<script>alert(1)</script>",
    "'; DROP TABLE contacts; --",
    "%",
    "_",
    "",
    " ",
    "00000000-0000-0000-0000-000000000000",
    "true",
    "on",
    "Lead",
    "restore",
    "archive",
    "assign",
    "relevance",
    "desc",
]
FIELD_NAMES = [
    # list state and pickers
    "q", "sort", "dir", "after", "before", "last", "owner", "company", "stage", "archived",
    "company_q", "compact", "seen", "next",
    # record fields and actions
    "value", "version", "email", "password", "name", "first_name", "last_name", "emails",
    "phones", "job_title", "company_id", "contact_id", "owner_id", "title", "currency",
    "probability", "close_date", "industry", "website", "description", "due_date", "action",
    "ids", "one", "from", "move_to", "role", "active", "time_zone", "label", "field_type",
    "entity_type", "enum_values", "required", "default_probability", "is_won", "is_lost",
    "custom_fields.nickname", "current_password", "new_password", "confirm",
]  # fmt: skip

_any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=30)
hostile = st.one_of(
    st.sampled_from(STRINGS),
    st.sampled_from(NUMBERS),
    st.sampled_from(FORGED_CURSORS),
    _any_text,
    st.integers().map(str),
    st.floats().map(repr),
)
# One example in about five carries a huge value (a 1 MB string, a thousand NULs, 100,000
# digits): about 19 of each route's 100, enough to find what breaks on size. At one in three,
# sending and parsing megabytes was a third of the whole sweep's time.
HUGE = [*[None] * 13, "x" * 1_000_000, "\x00" * 1_000, "9" * 100_000]
_pairs = st.lists(st.tuples(st.sampled_from(FIELD_NAMES) | _any_text, hostile), max_size=6)


@functools.lru_cache(maxsize=1024)  # quoting the 1 MB strings costs more than sending them
def _quoted(value: str) -> str:
    """Percent-encoded as a browser would send it, lone surrogates as their UTF-8-ish bytes."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _encoded(pairs) -> str:
    return "&".join(f"{_quoted(name)}={_quoted(value)}" for name, value in pairs)


def make_world(app):
    """Records of every kind and a signed-in client per role, rolled back afterwards: a
    module-scoped fixture's body (each test file's `world`)."""
    from crm_web.custom_fields.services import create_definition
    from crm_web.deals.models import PipelineStage
    from tests.support import ADMIN

    previous = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context(), isolated_session() as session:
        users = {role: make_user(role) for role in ROLES[1:]}
        company = make_company()
        ids = {
            "contact_id": str(make_contact(company_id=company.id).id),
            "company_id": str(company.id),
            "deal_id": str(make_deal(company_id=company.id).id),
            "user_id": str(users["rep"].id),
            "stage_id": str(session.query(PipelineStage.id).limit(1).scalar()),
        }
        definition = create_definition(
            {"entity_type": "contact", "name": "nickname", "label": "Nickname",
             "field_type": "text"},
            ADMIN,
        )  # fmt: skip
        ids["definition_id"] = str(definition.id)
        clients = {role: app.test_client() for role in ROLES}
        yield {"app": app, "ids": ids, "users": users, "clients": clients}
    app.config["WTF_CSRF_ENABLED"] = previous


def _variable_values(rule: str, name: str, ids: dict):
    """A real value for a URL variable (so a route's inner code is reached) or a hostile one."""
    real = {
        "filename": ["css/app.css", "../../pyproject.toml"],
        "field": ["first_name", "emails", "phones", "name", "owner_id", "company_id"],
        "name": ["title", "value", "close_date", "stage", "nickname", "probability"],
        # A record's "Show more" (tasks.on_record, notes.on_record): the contact's lists.
        "entity_type": ["contact"],
        "entity_id": [ids["contact_id"]],
        "which": ["open", "done"],
    }.get(name, [])
    if name == "record_id":
        area = rule.split("/")[1]
        real = [ids.get({"contacts": "contact_id", "companies": "company_id"}.get(area, "deal_id"))]
    elif name in ids:
        real = [ids[name]]
    return st.sampled_from(real) | hostile if real else hostile


def _path(rule: str, values: dict) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: _quoted(values[m.group(1)]), rule)


ROUTES = _routes()


def route_id(value):
    return value if isinstance(value, str) else None


def probe_route(world, endpoint, rule, methods):
    """Hypothesis's examples of hostile requests to one route: none answers 5xx."""
    variables = re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule)
    wrong = next(m for m in WRONG_METHODS if m not in methods)

    @settings(
        max_examples=100,
        deadline=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(
        method=st.sampled_from([*methods, wrong]),
        role=st.sampled_from(ROLES),
        values=st.fixed_dictionaries(
            {name: _variable_values(rule, name, world["ids"]) for name in variables}
        ),
        query=_pairs,
        body=_pairs,
        as_json=st.booleans(),
        htmx=st.booleans(),
        huge=st.sampled_from(HUGE),
        huge_name=st.sampled_from(FIELD_NAMES),
        huge_in_query=st.booleans(),
    )
    def probe(method, role, values, query, body, as_json, htmx, huge, huge_name, huge_in_query):
        if huge is not None:
            (query if huge_in_query or method == "GET" else body).append((huge_name, huge))
        client = world["clients"][role]
        g.pop("_login_user", None)  # the app context is shared by every client: see sign_in
        if role == "anonymous":
            with client.session_transaction() as cookie_session:
                cookie_session.clear()
        else:
            sign_in(client, world["users"][role])
        kwargs = {"headers": {"HX-Request": "true"} if htmx else {}}
        if method != "GET":
            if as_json:
                kwargs["data"] = json.dumps(dict(body)) if body else "[" * 50_000
                kwargs["content_type"] = "application/json"
            else:
                kwargs["data"] = _encoded(body)
                kwargs["content_type"] = "application/x-www-form-urlencoded"
        path = _path(rule, values)
        response = client.open(path, method=method, query_string=_encoded(query), **kwargs)
        assert response.status_code < 500, (
            f"{method} {path}?{_encoded(query)[:300]} as {role} "
            f"(body {str(body)[:300]}) answered {response.status_code}"
        )

    probe()
