"""Schemathesis over every operation of /api/v1/openapi.json, against the app (WSGI) on the
test database with an admin's token: no server error, and every answer as the document says
(status, content type, headers, body schema). At least 50 examples an operation that has
inputs to vary; the total is printed (`-s`) and checked."""

from __future__ import annotations

import os

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text

from crm_web.core.db import db
from tests.api.test_api import token_for

EXAMPLES = int(os.environ.get("CRM_SCHEMATHESIS_EXAMPLES", "50"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def token(app):
    """A committed admin token, with the rate limit out of the way; what it made goes after."""
    had_limit, limit = "API_RATE_LIMIT" in app.config, app.config.get("API_RATE_LIMIT")
    app.config["API_RATE_LIMIT"] = 1_000_000
    with app.app_context():
        user, made, secret = token_for("admin")
        user_id, token_id = str(user.id), made.id
        db.session.remove()
    yield secret
    if had_limit:
        app.config["API_RATE_LIMIT"] = limit
    else:
        del app.config["API_RATE_LIMIT"]
    with app.app_context(), db.engine.begin() as conn:
        for table in ("tasks", "notes", "deals", "contacts", "companies", "pipeline_stages"):
            conn.execute(text(f"DELETE FROM {table} WHERE created_by = :u"), {"u": user_id})  # noqa: S608
        conn.execute(
            text("DELETE FROM custom_field_definitions WHERE created_by = :u"), {"u": user_id}
        )
        for table in ("api_bulk_jobs", "api_idempotency_keys", "api_rate_counts", "api_tokens"):
            key = "id" if table == "api_tokens" else "token_id"
            conn.execute(text(f"DELETE FROM {table} WHERE {key} = :t"), {"t": token_id})  # noqa: S608
        conn.execute(text("DELETE FROM users WHERE id = :u"), {"u": user_id})


def _fuzz(operation, secret: str, sent: dict) -> None:
    @hypothesis.given(operation.as_strategy())
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        derandomize=True,
        database=None,
        phases=[hypothesis.Phase.generate],
    )
    def run(case):
        sent[operation.label] = sent.get(operation.label, 0) + 1
        case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS)

    run()


def test_every_operation_answers_as_documented(app, token):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    sent: dict[str, int] = {}
    failures, fixed = [], set()
    with app.app_context():
        for result in schema.get_all_operations():
            operation = result.ok()
            if not list(operation.iter_parameters()) and not operation.body:
                fixed.add(operation.label)  # one request is all there is to send
            try:
                _fuzz(operation, token, sent)
            except Exception as exc:  # noqa: BLE001 - gather every operation's, then fail
                failures.append(f"{operation.label}: {exc}")
    print(f"schemathesis: {sum(sent.values())} examples over {len(sent)} operations")
    assert failures == [], "\n\n".join(failures)
    few = {label: n for label, n in sent.items() if n < EXAMPLES and label not in fixed}
    assert few == {}, f"fewer than {EXAMPLES} examples: {few}"
