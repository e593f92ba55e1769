"""Bulk create through a real worker, Idempotency-Key retries, the rate limit and the body
limit, as a client meets them."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from crm_web import create_app
from crm_web.api import bulk
from crm_web.api.models import BulkItem, BulkJob
from crm_web.core.db import db
from tests.api.test_api import auth, token_for
from tests.jobs.support import run_worker_once, start_worker, wait_for
from tests.support import make_user

PROBLEM = "application/problem+json"
BAD_EVERY = 100  # one item in a hundred has no last name


def _scalar(sql: str, **params):
    with db.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.fixture
def committed_token(app_ctx):
    """An admin's token, committed (a worker process sees only committed rows); everything
    its user made goes afterwards."""
    user, token, secret = token_for("admin")
    made = [(user.id, token.id)]
    db.session.remove()
    yield secret, made
    _forget(made)


def _forget(made) -> None:
    """Delete the committed users and tokens `made`, and what they made."""
    for user_id, token_id in made:
        _forget_one(user_id, token_id)


def _forget_one(user_id, token_id) -> None:
    with db.engine.begin() as conn:
        for table in ("contacts", "companies"):
            conn.execute(text(f"DELETE FROM {table} WHERE created_by = :u"), {"u": str(user_id)})  # noqa: S608
        conn.execute(text("DELETE FROM api_bulk_jobs WHERE token_id = :t"), {"t": token_id})
        conn.execute(text("DELETE FROM api_idempotency_keys WHERE token_id = :t"), {"t": token_id})
        conn.execute(text("DELETE FROM job_progress WHERE key LIKE 'api-bulk:%'"))
        conn.execute(text("DELETE FROM api_tokens WHERE id = :t"), {"t": token_id})
        conn.execute(text("DELETE FROM users WHERE id = :u"), {"u": user_id})


def _work_until_finished(app, job_url):
    """A worker on the queue until the job says it finished (10,000 records through the
    services take a while on a busy machine: longer than run_worker_once waits)."""
    worker = start_worker(app)
    try:
        bulk_id = job_url.rsplit("/", 1)[1]
        finished = "SELECT finished_at IS NOT NULL FROM api_bulk_jobs WHERE id = :id"
        # This job's failure only: other tests on this database may leave failed jobs behind.
        failed = (
            "SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed' "
            "AND args->>'bulk_id' = :id"
        )

        def done():
            # A job that raised will never finish: fail now (its traceback is on stderr).
            assert not _scalar(failed, id=bulk_id), "the bulk job failed in the worker"
            return _scalar(finished, id=bulk_id)

        # The database, not the job's URL, is polled: its answer grows to 10,000 results.
        wait_for(done, timeout=900, what="the bulk job")
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_a_bulk_of_10000_contacts_with_100_bad_makes_9900_and_names_the_bad_ones(
    app, committed_token
):
    committed_token, _ = committed_token
    client = app.test_client()
    records = [
        {"first_name": "Bulk", "last_name": "" if i % BAD_EVERY == 7 else f"Row{i}"}
        for i in range(10_000)
    ]
    headers = auth(committed_token, **{"Idempotency-Key": "import-2026-12-04"})
    sent = client.post("/api/v1/contacts/bulk", json=records, headers=headers)
    assert sent.status_code == 202, sent.json
    assert sent.json["status"] == "queued" and sent.json["total"] == 10_000
    job_url = sent.headers["Location"]
    assert job_url == sent.json["url"] and "/api/v1/jobs/" in job_url

    _work_until_finished(app, job_url)

    job = client.get(job_url, headers=auth(committed_token))
    assert job.status_code == 200
    body = job.json
    assert body["status"] == "finished"
    assert (body["processed"], body["created"], body["failed"]) == (10_000, 9_900, 100)
    errors = [r for r in body["results"] if "errors" in r]
    assert [r["index"] for r in errors] == [i for i in range(10_000) if i % BAD_EVERY == 7]
    assert all("last_name" in r["errors"] for r in errors)
    made = {r["id"] for r in body["results"] if "id" in r}
    assert len(made) == 9_900
    one = client.get(f"/api/v1/contacts/{body['results'][0]['id']}", headers=auth(committed_token))
    assert one.json["last_name"] == "Row0"
    user_made = "SELECT count(*) FROM contacts WHERE first_name = 'Bulk' AND id = ANY(:ids)"
    assert _scalar(user_made, ids=list(made)) == 9_900
    via = _scalar(
        "SELECT via FROM audit_logs WHERE entity_id = :id AND action = 'create'",
        id=body["results"][0]["id"],
    )
    assert via and via.startswith("api:")

    again = client.post("/api/v1/contacts/bulk", json=records, headers=headers)
    assert again.status_code == 202
    assert again.headers["Location"] == job_url
    assert again.headers["Idempotent-Replayed"] == "true"
    run_worker_once(app)
    assert _scalar("SELECT count(*) FROM contacts WHERE first_name = 'Bulk'") == 9_900


def test_a_bulk_as_ndjson_and_its_refusals(app, committed_token):
    committed_token, made = committed_token
    client = app.test_client()
    lines = "\n".join(
        json.dumps(item)
        for item in (
            {"name": "Nd One"},
            {"name": "Nd Two", "colour": "red"},
            ["not", "a", "record"],
            {"name": "ND ONE"},  # a bulk creates as an import does: no duplicate refusal
        )
    )
    sent = client.post(
        "/api/v1/companies/bulk",
        data=lines,
        headers=auth(committed_token, **{"Content-Type": "application/x-ndjson"}),
    )
    assert sent.status_code == 202, sent.json
    run_worker_once(app)
    results = client.get(sent.headers["Location"], headers=auth(committed_token)).json["results"]
    assert "id" in results[0]
    assert results[1] == {"index": 1, "errors": {"colour": ["This field does not exist."]}}
    assert results[2]["index"] == 2 and "record" in results[2]["errors"]
    assert results[3]["index"] == 3 and "id" in results[3]

    too_many = client.post(
        "/api/v1/contacts/bulk", json=[{}] * 10_001, headers=auth(committed_token)
    )
    assert too_many.status_code == 413 and too_many.mimetype == PROBLEM
    assert "10,000" in too_many.json["detail"]
    stranger, stranger_token, other = token_for("admin")
    made.append((stranger.id, stranger_token.id))
    db.session.remove()
    assert client.get(sent.headers["Location"], headers=auth(other)).status_code == 404


def test_a_retried_post_with_the_same_idempotency_key_creates_nothing_more(client, session):
    _, _, secret = token_for("rep")
    headers = auth(secret, **{"Idempotency-Key": "7d3c-once"})
    body = {"first_name": "Ida", "last_name": "Empotent"}
    first = client.post("/api/v1/contacts", json=body, headers=headers)
    assert first.status_code == 201
    second = client.post("/api/v1/contacts", json=body, headers=headers)
    assert second.status_code == 201
    assert second.json["id"] == first.json["id"]
    assert second.headers["Location"] == first.headers["Location"]
    found = client.get("/api/v1/contacts?search=empotent", headers=auth(secret)).json["data"]
    assert len(found) == 1

    reused = client.post("/api/v1/contacts", json={**body, "last_name": "Other"}, headers=headers)
    assert reused.status_code == 422 and reused.mimetype == PROBLEM
    assert "Idempotency-Key" in reused.json["detail"]

    invalid = {"first_name": "", "last_name": ""}
    key = auth(secret, **{"Idempotency-Key": "bad-first"})
    assert client.post("/api/v1/contacts", json=invalid, headers=key).status_code == 422
    fixed = client.post("/api/v1/contacts", json=invalid, headers=key)
    assert fixed.status_code == 422  # a refusal made nothing: the retry runs again


def test_an_idempotency_key_is_kept_24_hours_then_it_is_a_new_key(client, session):
    """A retry within a day gets the first answer; a day later the key is forgotten, as the
    docs say, and the same key makes a new record (or serves another body) instead of
    replaying or refusing."""
    _, _, secret = token_for("rep")
    headers = auth(secret, **{"Idempotency-Key": "daily-sync"})
    body = {"first_name": "Ida", "last_name": "Daily"}
    first = client.post("/api/v1/contacts", json=body, headers=headers)
    assert (
        client.post("/api/v1/contacts", json=body, headers=headers).json["id"] == first.json["id"]
    )
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE api_idempotency_keys SET created_at = created_at - interval '25 hours' "
                "WHERE key = 'daily-sync'"
            )
        )
    again = client.post("/api/v1/contacts", json=body, headers=headers)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert again.json["id"] != first.json["id"]
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE api_idempotency_keys SET created_at = created_at - interval '25 hours' "
                "WHERE key = 'daily-sync'"
            )
        )
    other = client.post("/api/v1/contacts", json={**body, "last_name": "Later"}, headers=headers)
    assert other.status_code == 201 and other.json["last_name"] == "Later"


def test_past_the_rate_limit_a_token_gets_429_with_retry_after(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 5)
    _, _, secret = token_for("viewer")
    _, _, other = token_for("viewer")
    answers = [client.get("/api/v1/users/me", headers=auth(secret)) for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert answers[-1].headers["RateLimit-Remaining"] == "0"
    refused = client.get("/api/v1/users/me", headers=auth(secret))
    assert refused.status_code == 429 and refused.mimetype == PROBLEM
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert client.get("/api/v1/users/me", headers=auth(other)).status_code == 200


def test_an_operator_sets_the_rate_limit_in_the_environment(app, committed_token, monkeypatch):
    """CRM_API_RATE_LIMIT and CRM_API_RATE_WINDOW, as a server started with them: its answers
    announce the limit, and the call past it gets 429 (600 a minute fits no busy integration)."""
    monkeypatch.setenv("CRM_API_RATE_LIMIT", "3")
    monkeypatch.setenv("CRM_API_RATE_WINDOW", "3600")
    same_database = {
        key: app.config[key]
        for key in ("TESTING", "EMBEDDED_DATABASE_NAME", "SQLALCHEMY_DATABASE_URI")
        if key in app.config
    }
    served = create_app(same_database).test_client()
    secret, _ = committed_token
    answers = [served.get("/api/v1/users/me", headers=auth(secret)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["RateLimit-Limit"] == "3"
    # Windows are fixed: this one ends on the hour (the default, a minute, within 60 s).
    until_the_hour = 3600 - time.time() % 3600
    assert abs(int(answers[3].headers["Retry-After"]) - until_the_hour) <= 2


def test_requests_counted_by_another_process_bring_the_429_sooner(
    app, client, session, monkeypatch
):
    """Far from the limit a process adds its requests to the shared count in batches; the other
    worker processes' requests still count, and near the limit every call is counted at once."""
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 300)
    _, token, secret = token_for("viewer")
    first = client.get("/api/v1/users/me", headers=auth(secret))
    assert first.headers["RateLimit-Remaining"] == "299"
    # Another gunicorn worker served 297 calls of the same token in this window.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(
            text("UPDATE api_rate_counts SET count = count + 297 WHERE token_id = :t"),
            {"t": token.id},
        )
    answers = [client.get("/api/v1/users/me", headers=auth(secret)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["RateLimit-Remaining"] == "0"
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 60


def test_a_record_read_and_its_304_borrow_a_connection_yet_keep_the_token_rules(
    app, committed_token, monkeypatch
):
    """A GET of one record, and its revalidation, is the token's one statement on a connection
    borrowed for it alone: the request's ORM session never begins a transaction (its bookkeeping
    was a tenth of a 304's CPU). Committed rows, outside the tests' isolated session, as in
    production. The token check is the same: a 304 counts against the limit, a revoked token
    gets 401."""
    secret, made = committed_token
    client = app.test_client()
    created = client.post(
        "/api/v1/contacts",
        json={"first_name": "Ada", "last_name": "Borrowed"},
        headers=auth(secret),
    )
    assert created.status_code == 201
    url, etag = created.headers["Location"], created.headers["ETag"]
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 4)  # the POST was the first
    begun = []

    def began(session, transaction, connection):
        begun.append(connection)

    event.listen(Session, "after_begin", began)
    try:
        full = client.get(url, headers=auth(secret))
        cached = client.get(url, headers=auth(secret, **{"If-None-Match": etag}))
    finally:
        event.remove(Session, "after_begin", began)
    assert full.status_code == 200 and full.json["last_name"] == "Borrowed"
    assert full.headers["ETag"] == etag
    assert cached.status_code == 304 and cached.headers["ETag"] == etag
    assert begun == []
    assert cached.headers["RateLimit-Remaining"] == "1"
    assert client.get(url, headers=auth(secret, **{"If-None-Match": etag})).status_code == 304
    limited = client.get(url, headers=auth(secret, **{"If-None-Match": etag}))
    assert limited.status_code == 429 and limited.mimetype == PROBLEM
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE api_tokens SET revoked_at = now() WHERE id = :t"), {"t": made[0][1]}
        )
    refused = client.get(url, headers=auth(secret, **{"If-None-Match": etag}))
    assert refused.status_code == 401 and refused.mimetype == PROBLEM


def test_a_body_past_the_size_limit_gets_a_413_problem(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    _, _, secret = token_for("rep")
    response = client.post(
        "/api/v1/contacts", json={"first_name": "x" * 2000, "last_name": "y"}, headers=auth(secret)
    )
    assert response.status_code == 413
    assert response.mimetype == PROBLEM
    assert response.json["status"] == 413


def test_a_batch_refused_as_a_whole_gives_each_item_its_own_error(session):
    """The batch path's fallback: when the batch cannot be made at all (here its sender may
    not create records), each item goes through the single path and the job names the error
    of each, by index."""
    viewer = make_user("viewer").as_actor()
    job = BulkJob(
        resource="contacts",
        token_id=uuid.uuid4(),
        actor={"id": viewer.id, "role": viewer.role, "name": viewer.name, "via": "api:test"},
        total=2,
    )
    db.session.add(job)
    db.session.flush()
    payloads = [{"first_name": "Vera", "last_name": "Viewer"}, ["not", "a", "record"]]
    db.session.add_all(BulkItem(job_id=job.id, index=i, payload=p) for i, p in enumerate(payloads))
    db.session.flush()

    items = [bulk._Item(job.id, i, p) for i, p in enumerate(payloads)]
    bulk._create_items("contacts", items, viewer)

    results = bulk.status(job.id, viewer)["results"]
    assert [r["index"] for r in results] == [0, 1]
    assert "id" not in results[0] and results[0]["errors"]["record"]
    assert results[1]["errors"] == {"record": ["Each record must be a JSON object."]}
    left = "SELECT count(*) FROM api_bulk_items WHERE job_id = :j AND payload IS NOT NULL"
    assert db.session.execute(text(left), {"j": job.id}).scalar() == 0  # done with
