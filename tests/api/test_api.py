"""The REST API as a client uses it: bearer tokens, the seed's customers, records, errors
(RFC 9457), ETags and the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from crm_web.accounts.models import ApiToken
from crm_web.accounts.services import set_active
from crm_web.accounts.tokens import create_token, revoke_token
from crm_web.audit.models import AuditLog
from crm_web.core.actor import SYSTEM
from crm_web.core.db import transaction
from tests.support import make_company, make_contact, make_user, sign_in

PROBLEM = "application/problem+json"


def token_for(role_or_user="rep", scope="read_write", **fields):
    user = make_user(role_or_user) if isinstance(role_or_user, str) else role_or_user
    token, secret = create_token({"name": "script", "scope": scope, **fields}, user.as_actor())
    return user, token, secret


def auth(secret, **headers):
    return {"Authorization": f"Bearer {secret}", **headers}


@pytest.fixture
def admin_secret(session):
    return token_for("admin")[2]


def test_without_a_token_the_api_answers_401_with_a_bearer_challenge(client):
    response = client.get("/api/v1/customers")
    assert response.status_code == 401
    assert response.mimetype == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["status"] == 401


def test_a_signed_in_session_cookie_does_not_authenticate_the_api(client):
    sign_in(client, "admin")
    assert client.get("/api/v1/customers").status_code == 401
    assert client.post("/api/v1/contacts", json={"first_name": "A"}).status_code == 401


def test_a_revoked_or_expired_token_or_a_deactivated_user_gets_401(client, session):
    user, token, secret = token_for("rep")
    assert client.get("/api/v1/users/me", headers=auth(secret)).json["email"] == user.email
    revoke_token(token.id, user.as_actor())
    response = client.get("/api/v1/users/me", headers=auth(secret))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]

    _, expiring, secret = token_for("rep", expires_at=datetime.now(UTC) + timedelta(hours=1))
    assert client.get("/api/v1/users/me", headers=auth(secret)).status_code == 200
    with transaction(SYSTEM):
        expiring.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    assert client.get("/api/v1/users/me", headers=auth(secret)).status_code == 401

    user, _, secret = token_for("rep")
    set_active(user.id, False, SYSTEM)
    assert client.get("/api/v1/users/me", headers=auth(secret)).status_code == 401
    assert client.get("/api/v1/users/me", headers=auth("crm_made-up")).status_code == 401


def test_a_read_token_reads_but_its_writes_get_403(client):
    _, _, secret = token_for("admin", scope="read")
    assert client.get("/api/v1/contacts", headers=auth(secret)).status_code == 200
    response = client.post(
        "/api/v1/contacts", json={"first_name": "Ann", "last_name": "Lee"}, headers=auth(secret)
    )
    assert response.status_code == 403
    assert response.mimetype == PROBLEM
    assert "read-only" in response.json["detail"]


def test_a_tokens_last_use_is_stamped(client, session):
    _, token, secret = token_for("rep")
    assert token.last_used_at is None
    client.get("/api/v1/users/me", headers=auth(secret))
    session.refresh(token)
    assert token.last_used_at is not None


def test_a_tokens_last_use_is_stamped_again_once_a_minute_has_passed(client, session):
    """The stamp is not a write per call (one a minute at most), but it never goes stale."""
    _, token, secret = token_for("rep")
    contact = make_contact()
    client.get(f"/api/v1/contacts/{contact.id}", headers=auth(secret))
    session.refresh(token)
    first = token.last_used_at
    client.get(f"/api/v1/contacts/{contact.id}", headers=auth(secret))
    session.refresh(token)
    assert token.last_used_at == first  # within the minute: no write
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    session.execute(
        update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=an_hour_ago)
    )
    session.flush()
    client.get(f"/api/v1/contacts/{contact.id}", headers=auth(secret))
    session.refresh(token)
    assert token.last_used_at > datetime.now(UTC) - timedelta(minutes=1)


def test_customers_crud_as_the_seed_describes(client, admin_secret):
    company = make_company(name="Globex", address={"city": "Springfield", "country": "US"})
    headers = auth(admin_secret)
    created = client.post(
        "/api/v1/customers",
        json={
            "first_name": "Hank",
            "last_name": "Scorpio",
            "emails": ["hank@globex.example"],
            "company_id": str(company.id),
        },
        headers=headers,
    )
    assert created.status_code == 201, created.json
    customer = created.json
    assert customer["company"] == {
        "id": str(company.id),
        "name": "Globex",
        "address": {"city": "Springfield", "country": "US"},
    }
    assert customer["status"] == "active"
    url = f"/api/v1/customers/{customer['id']}"
    assert created.headers["Location"].endswith(url)

    found = client.get("/api/v1/customers?search=globex&status=active", headers=headers)
    assert [c["name"] for c in found.json["data"]] == ["Hank Scorpio"]
    assert found.json["data"][0]["company"]["address"]["city"] == "Springfield"

    read = client.get(url, headers=headers)
    etag = read.headers["ETag"]
    body = {**read.json, "job_title": "CEO"}
    updated = client.put(url, json=body, headers={**headers, "If-Match": etag})
    assert updated.status_code == 200, updated.json
    assert updated.json["job_title"] == "CEO"
    assert updated.headers["ETag"] != etag

    archived = client.delete(url, headers={**headers, "If-Match": updated.headers["ETag"]})
    assert archived.status_code == 200
    assert archived.json["status"] == "archived"
    assert client.get("/api/v1/customers?search=globex", headers=headers).json["data"] == []
    listed = client.get("/api/v1/customers?search=globex&status=archived", headers=headers)
    assert [c["status"] for c in listed.json["data"]] == ["archived"]


def test_customer_search_matches_company_contact_name_and_email(client, admin_secret):
    initech = make_company(name="Initech")
    make_contact(first_name="Peter", last_name="Gibbons", company_id=initech.id)
    make_contact(first_name="Milton", last_name="Waddams", emails=["red@stapler.example"])
    make_contact(first_name="Bill", last_name="Lumbergh")
    headers = auth(admin_secret)

    def names(term):
        response = client.get(f"/api/v1/customers?search={term}", headers=headers)
        return [c["last_name"] for c in response.json["data"]]

    assert names("initech") == ["Gibbons"]
    assert names("stapler") == ["Waddams"]
    assert names("lumb") == ["Lumbergh"]


def test_lists_page_by_number_and_by_cursor_and_refuse_a_deep_page(client, admin_secret):
    for n in range(5):
        make_contact(first_name="Pat", last_name=f"Pager{n}")
    headers = auth(admin_secret)
    first = client.get("/api/v1/contacts?search=pager&sort=name&limit=2", headers=headers)
    assert [c["last_name"] for c in first.json["data"]] == ["Pager0", "Pager1"]
    assert first.headers["Link"] == f'<{first.json["next"]}>; rel="next"'
    second = client.get(first.json["next"], headers=headers)
    assert [c["last_name"] for c in second.json["data"]] == ["Pager2", "Pager3"]
    by_number = client.get(
        "/api/v1/contacts?search=pager&sort=name&limit=2&page=2", headers=headers
    )
    assert [c["last_name"] for c in by_number.json["data"]] == ["Pager2", "Pager3"]
    third = client.get(second.json["next"], headers=headers)
    assert [c["last_name"] for c in third.json["data"]] == ["Pager4"]
    assert third.json["next"] is None and "Link" not in third.headers

    deep = client.get("/api/v1/contacts?limit=200&page=50", headers=headers)
    assert deep.status_code == 400
    assert "next" in deep.json["detail"] and "cursor" in deep.json["detail"]
    # `page` reaches the first 1,000 records and no further: rows 801-1,000, not 1,001-1,200.
    for limit, last_page in ((200, 5), (50, 20), (3, 334)):
        reached = client.get(f"/api/v1/contacts?limit={limit}&page={last_page}", headers=headers)
        assert reached.status_code == 200
        beyond = client.get(f"/api/v1/contacts?limit={limit}&page={last_page + 1}", headers=headers)
        assert beyond.status_code == 400 and beyond.json["type"].endswith("page_too_deep")
    too_many = client.get("/api/v1/contacts?limit=500", headers=headers)
    assert too_many.status_code == 422
    assert "limit" in too_many.json["errors"]


def test_contacts_companies_and_deals_round_trip_with_custom_fields_as_an_object(
    client, admin_secret
):
    headers = auth(admin_secret)
    company = client.post(
        "/api/v1/companies",
        json={"name": "Umbrella", "website": "https://u.example"},
        headers=headers,
    )
    assert company.status_code == 201, company.json
    assert company.json["custom_fields"] == {}
    company_id = company.json["id"]
    contact = client.post(
        "/api/v1/contacts",
        json={"first_name": "Alice", "last_name": "Abernathy", "company_id": company_id},
        headers=headers,
    )
    assert contact.json["company_name"] == "Umbrella"
    deal = client.post(
        "/api/v1/deals",
        json={"title": "Vaccine", "company_id": company_id, "value": "99.50", "stage": "Lead"},
        headers=headers,
    )
    assert deal.status_code == 201, deal.json
    assert deal.json["value"] == "99.50"
    url = f"/api/v1/deals/{deal.json['id']}"
    patched = client.patch(
        url, json={"probability": 80}, headers={**headers, "If-Match": deal.headers["ETag"]}
    )
    assert patched.json["probability"] == 80 and patched.json["title"] == "Vaccine"
    archived = client.delete(url, headers={**headers, "If-Match": patched.headers["ETag"]})
    restored = client.post(
        f"{url}/restore", headers={**headers, "If-Match": archived.headers["ETag"]}
    )
    assert restored.json["status"] == "active"
    history = client.get(f"{url}/history", headers=headers).json["data"]
    assert [entry["action"] for entry in history] == ["update", "update", "update", "create"]
    assert {entry["via"] for entry in history} == {history[0]["via"]}
    assert history[0]["via"].startswith("api:")
    listed = client.get(f"/api/v1/deals?company_id={company_id}", headers=headers)
    assert [d["title"] for d in listed.json["data"]] == ["Vaccine"]


def test_validation_errors_are_422_problems_naming_each_field(client, admin_secret):
    response = client.post(
        "/api/v1/contacts",
        json={"first_name": "", "emails": ["not an email"], "shoe_size": 9},
        headers=auth(admin_secret),
    )
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert set(response.json["errors"]) == {"shoe_size"}
    response = client.post(
        "/api/v1/contacts", json={"first_name": "", "emails": ["nope"]}, headers=auth(admin_secret)
    )
    assert response.status_code == 422
    assert {"first_name", "last_name", "emails"} <= set(response.json["errors"])
    not_json = client.post("/api/v1/contacts", data="x", headers=auth(admin_secret))
    assert not_json.status_code == 415 and not_json.mimetype == PROBLEM


def test_missing_records_and_unknown_urls_are_404_problems(client, admin_secret):
    headers = auth(admin_secret)
    for url in (
        "/api/v1/contacts/7d4c5c3e-0000-4000-8000-000000000000",
        "/api/v1/customers/not-a-uuid",
        "/api/v1/nothing-here",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert response.mimetype == PROBLEM


def test_if_none_match_gives_304_until_the_record_changes(client, admin_secret):
    contact = make_contact()
    headers = auth(admin_secret)
    url = f"/api/v1/contacts/{contact.id}"
    etag = client.get(url, headers=headers).headers["ETag"]
    cached = client.get(url, headers={**headers, "If-None-Match": etag})
    assert cached.status_code == 304 and cached.data == b""
    client.patch(url, json={"job_title": "Countess"}, headers={**headers, "If-Match": etag})
    fresh = client.get(url, headers={**headers, "If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.json["job_title"] == "Countess"


def test_writes_need_if_match_428_and_a_stale_one_is_412_with_the_current_record(
    client, admin_secret
):
    contact = make_contact()
    headers = auth(admin_secret)
    url = f"/api/v1/customers/{contact.id}"
    missing = client.patch(url, json={"job_title": "X"}, headers=headers)
    assert missing.status_code == 428 and missing.mimetype == PROBLEM
    assert client.delete(url, headers=headers).status_code == 428


def test_two_puts_with_the_same_etag_one_wins_one_gets_412(client, admin_secret):
    contact = make_contact()
    headers = auth(admin_secret)
    url = f"/api/v1/customers/{contact.id}"
    read = client.get(url, headers=headers)
    etag = read.headers["ETag"]
    first = client.put(
        url, json={**read.json, "job_title": "First"}, headers={**headers, "If-Match": etag}
    )
    second = client.put(
        url, json={**read.json, "job_title": "Second"}, headers={**headers, "If-Match": etag}
    )
    assert (first.status_code, second.status_code) == (200, 412)
    assert second.json["current"]["job_title"] == "First"
    assert second.headers["ETag"] == first.headers["ETag"]
    assert client.get(url, headers=headers).json["job_title"] == "First"


def test_a_reps_token_cannot_change_what_a_reps_session_cannot(client, session):
    owner = make_user("rep")
    _, _, secret = token_for("rep")
    theirs = make_contact(by=owner.as_actor())
    url = f"/api/v1/contacts/{theirs.id}"
    etag = client.get(url, headers=auth(secret)).headers["ETag"]
    archive = client.delete(url, headers=auth(secret, **{"If-Match": etag}))
    assert archive.status_code == 403 and archive.mimetype == PROBLEM
    me = make_user("rep")
    reassign = client.patch(
        url, json={"owner_id": str(me.id)}, headers=auth(secret, **{"If-Match": etag})
    )
    assert reassign.status_code == 403
    assert client.get(f"{url}/history", headers=auth(secret)).status_code == 403
    _, _, viewer = token_for("viewer")
    created = client.post(
        "/api/v1/contacts", json={"first_name": "V", "last_name": "W"}, headers=auth(viewer)
    )
    assert created.status_code == 403


def test_api_changes_are_audited_with_the_token(client, session):
    _, token, secret = token_for("admin")
    created = client.post(
        "/api/v1/contacts", json={"first_name": "Audit", "last_name": "Me"}, headers=auth(secret)
    )
    row = session.query(AuditLog).filter_by(entity_id=created.json["id"]).one()
    assert row.via == f"api:{token.id}"


def test_users_me_names_the_user_and_the_token(client):
    user, token, secret = token_for("manager", scope="read")
    me = client.get("/api/v1/users/me", headers=auth(secret)).json
    assert (me["email"], me["role"]) == (user.email, "manager")
    assert me["token"] == {
        "id": str(token.id),
        "name": "script",
        "scope": "read",
        "expires_at": None,
    }


def test_the_openapi_document_describes_every_operation(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    for name in ("customers", "contacts", "companies", "deals"):
        assert set(paths[f"/{name}"]) >= {"get", "post"}
        assert set(paths[f"/{name}/{{record_id}}"]) >= {"get", "put", "patch", "delete"}
    assert "archived" in document["tags"][0]["description"]
