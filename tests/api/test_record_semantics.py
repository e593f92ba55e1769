"""The REST API's record semantics a client relies on: duplicates refused until confirmed,
custom fields in list items, PUT against PATCH, archive and restore, the customer's cache
moving with its company, and a record's history."""

from __future__ import annotations

from contextlib import contextmanager

import psycopg
from psycopg.rows import namedtuple_row

from crm_web.accounts import repository as accounts_repository
from crm_web.accounts.tokens import revoke_token
from crm_web.companies.services import update_company
from crm_web.contacts.services import archive_contact
from crm_web.custom_fields.services import create_definition
from tests.api.test_api import PROBLEM, auth, token_for
from tests.support import ADMIN, counted, make_company, make_contact


def test_a_company_like_a_live_one_is_409_naming_it_until_allow_duplicate(client, session):
    secret = token_for("rep")[2]
    # A name no other test gives a company (some commit theirs).
    wren = make_company(name="Wrenfield Mills", website="https://www.wrenfield.example")
    for body in ({"name": "WRENFIELD MILLS"}, {"name": "Wren", "website": "wrenfield.example"}):
        refused = client.post("/api/v1/companies", json=body, headers=auth(secret))
        assert refused.status_code == 409, body
        assert refused.mimetype == PROBLEM
        assert refused.json["duplicates"] == [str(wren.id)]
        allowed = client.post(
            "/api/v1/companies?allow_duplicate=true", json=body, headers=auth(secret)
        )
        assert allowed.status_code == 201, allowed.json
    distinct = client.post("/api/v1/companies", json={"name": "Other Mills"}, headers=auth(secret))
    assert distinct.status_code == 201


def test_a_customer_with_a_live_contacts_email_is_409_until_allow_duplicate(client, session):
    ada = make_contact(emails=["ada.customer@example.com"])
    secret = token_for("rep")[2]
    body = {"first_name": "Ada", "last_name": "Two", "emails": ["ADA.customer@example.com"]}
    refused = client.post("/api/v1/customers", json=body, headers=auth(secret))
    assert refused.status_code == 409
    assert refused.json["duplicates"] == [str(ada.id)]
    url = "/api/v1/customers?allow_duplicate=1"
    assert client.post(url, json=body, headers=auth(secret)).status_code == 201


def test_the_openapi_document_offers_allow_duplicate_where_it_applies(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for name in ("contacts", "companies", "customers"):
        names = [p["name"] for p in paths[f"/{name}"]["post"]["parameters"]]
        assert "allow_duplicate" in names, name
        assert "duplicates" in paths[f"/{name}"]["post"]["responses"]["409"]["description"]
    assert "allow_duplicate" not in str(paths["/deals"]["post"]["parameters"])


def _define(entity_type: str, name: str) -> None:
    create_definition(
        {"name": name, "label": name.title(), "entity_type": entity_type, "field_type": "text"},
        ADMIN,
    )


def test_list_items_carry_custom_fields_with_one_query_for_the_page(client, session):
    _define("contact", "shoe_size")
    _define("company", "tier")
    secret = token_for("admin")[2]
    for i in range(2):
        company = make_company(name=f"Cobble {i}", custom_fields={"tier": f"T{i}"})
        make_contact(
            first_name="Cobb",
            last_name=f"Ler{i}",
            company_id=company.id,
            custom_fields={"shoe_size": str(40 + i)},
        )
    urls = (
        "/api/v1/contacts?search=cobb&sort=name",
        "/api/v1/customers?search=cobb&sort=name",
        "/api/v1/companies?search=cobble&sort=name",
    )
    for url in urls:  # the token's first use stamps it: count the calls after
        client.get(url, headers=auth(secret))
    with counted() as few:
        answers = [client.get(url, headers=auth(secret)).json["data"] for url in urls]
    contacts, customers, companies = answers
    assert [c["custom_fields"] for c in contacts] == [{"shoe_size": "40"}, {"shoe_size": "41"}]
    assert [c["custom_fields"] for c in customers] == [{"shoe_size": "40"}, {"shoe_size": "41"}]
    assert [c["custom_fields"] for c in companies] == [{"tier": "T0"}, {"tier": "T1"}]
    assert all(c["created_at"] for c in contacts + companies)

    for i in range(2, 12):
        company = make_company(name=f"Cobble {i}", custom_fields={"tier": f"T{i}"})
        make_contact(first_name="Cobb", last_name=f"Ler{i}", company_id=company.id)
    with counted() as many:
        answers = [client.get(url, headers=auth(secret)).json["data"] for url in urls]
    assert [len(rows) for rows in answers] == [12, 12, 12]
    assert len(_queries(many)) == len(_queries(few)), many


def _queries(statements) -> list:
    """The statements a request runs (the test session's savepoints left out, and the rate
    limit's count, which a process adds to the shared one in batches: api/limits.py)."""
    return [
        s
        for s in statements
        if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")) and "api_rate_counts" not in s
    ]


def test_put_clears_what_it_leaves_out_and_patch_changes_only_what_it_sends(client, session):
    secret = token_for("admin")[2]
    contact = make_contact(job_title="Engineer", phones=["+1 415 555 0199"])
    url = f"/api/v1/contacts/{contact.id}"
    read = client.get(url, headers=auth(secret))
    patched = client.patch(
        url, json={"job_title": "Lead"}, headers=auth(secret, **{"If-Match": read.headers["ETag"]})
    )
    assert patched.status_code == 200
    assert (patched.json["job_title"], patched.json["phones"]) == ("Lead", ["+14155550199"])
    put = client.put(
        url,
        json={"first_name": "Ada", "last_name": "Put"},
        headers=auth(secret, **{"If-Match": patched.headers["ETag"]}),
    )
    assert put.status_code == 200, put.json
    assert (put.json["last_name"], put.json["job_title"], put.json["phones"]) == ("Put", None, [])


def test_archive_and_restore_move_a_company_between_the_lists(client, session):
    secret = token_for("admin")[2]
    company = make_company(name="Quarrystone Ltd")
    url = f"/api/v1/companies/{company.id}"
    etag = client.get(url, headers=auth(secret)).headers["ETag"]

    def listed(status):
        found = client.get(
            f"/api/v1/companies?search=quarrystone&status={status}", headers=auth(secret)
        )
        return [(c["name"], c["status"]) for c in found.json["data"]]

    archived = client.delete(url, headers=auth(secret, **{"If-Match": etag}))
    assert archived.status_code == 200 and archived.json["status"] == "archived"
    assert archived.json["archived_at"]
    assert listed("active") == []
    assert listed("archived") == [("Quarrystone Ltd", "archived")]
    stale = client.post(f"{url}/restore", headers=auth(secret, **{"If-Match": etag}))
    assert stale.status_code == 412
    restored = client.post(
        f"{url}/restore", headers=auth(secret, **{"If-Match": archived.headers["ETag"]})
    )
    assert restored.status_code == 200 and restored.json["status"] == "active"
    assert listed("active") == [("Quarrystone Ltd", "active")]


def test_a_customers_cached_copy_goes_stale_when_its_company_moves(client, session):
    secret = token_for("admin")[2]
    company = make_company(name="Movers Inc", address={"city": "Leeds"})
    contact = make_contact(company_id=company.id)
    url = f"/api/v1/customers/{contact.id}"
    etag = client.get(url, headers=auth(secret)).headers["ETag"]
    assert client.get(url, headers=auth(secret, **{"If-None-Match": etag})).status_code == 304
    update_company(company.id, {"address": {"city": "York"}}, ADMIN)
    fresh = client.get(url, headers=auth(secret, **{"If-None-Match": etag}))
    assert fresh.status_code == 200
    assert fresh.json["company"]["address"]["city"] == "York"
    assert fresh.headers["ETag"] != etag


@contextmanager
def counted_with_token(monkeypatch):
    """counted(), plus the token's statement, which runs on the driver's cursor (unseen by
    SQLAlchemy's events: accounts.repository._run_prepared)."""
    run = accounts_repository._run_prepared

    def run_counted(sql, params, **how):
        statements.append(sql)
        return run(sql, params, **how)

    with counted() as statements:
        monkeypatch.setattr(accounts_repository, "_run_prepared", run_counted)
        yield statements
    monkeypatch.setattr(accounts_repository, "_run_prepared", run)


def test_a_record_read_or_revalidated_is_one_statement_with_the_token(client, session, monkeypatch):
    """A GET of one contact or customer reads the record in the token's own statement, so a call
    is one round trip; a 304 reads only the versions there (no record loaded or serialised)."""
    secret = token_for("rep")[2]
    contact = make_contact(company_id=make_company(name="Versions Ltd").id)
    client.get("/api/v1/users/me", headers=auth(secret))  # its first use stamps the token
    for kind in ("contacts", "customers"):
        url = f"/api/v1/{kind}/{contact.id}"
        with counted_with_token(monkeypatch) as statements:
            full = client.get(url, headers=auth(secret))
        assert full.status_code == 200 and full.json["id"] == str(contact.id)
        reads = _queries(statements)
        assert len(reads) == 1 and "api_tokens" in reads[0] and "emails" in reads[0], reads
        etag = full.headers["ETag"]
        with counted_with_token(monkeypatch) as statements:
            cached = client.get(url, headers=auth(secret, **{"If-None-Match": etag}))
        assert cached.status_code == 304 and cached.headers["ETag"] == etag
        reads = _queries(statements)
        assert len(reads) == 1, reads
        assert "api_tokens" in reads[0] and "version" in reads[0] and "emails" not in reads[0]
        head = client.head(url, headers=auth(secret))
        assert head.status_code == 200 and head.headers["ETag"] == etag


def test_a_revalidation_answers_404_and_401_as_a_full_read_does(client, session):
    """The one-statement read keeps the rules: no such record (or no UUID) is 404 with or
    without If-None-Match, an archived one still revalidates, a revoked token is 401."""
    user, token, secret = token_for("rep")
    contact = make_contact(company_id=make_company(name="Gone Ltd").id)
    etag = client.get(f"/api/v1/contacts/{contact.id}", headers=auth(secret)).headers["ETag"]
    for kind in ("contacts", "customers"):
        for missing in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
            url = f"/api/v1/{kind}/{missing}"
            for headers in (auth(secret), auth(secret, **{"If-None-Match": etag})):
                gone = client.get(url, headers=headers)
                assert gone.status_code == 404 and gone.mimetype == PROBLEM, (url, headers)
    archive_contact(contact.id, ADMIN)
    url = f"/api/v1/contacts/{contact.id}"
    archived = client.get(url, headers=auth(secret))
    assert archived.status_code == 200 and archived.json["status"] == "archived"
    assert archived.headers["ETag"] != etag
    stale = client.get(url, headers=auth(secret, **{"If-None-Match": etag}))
    assert stale.status_code == 200 and stale.json["status"] == "archived"
    fresh = client.get(url, headers=auth(secret, **{"If-None-Match": archived.headers["ETag"]}))
    assert fresh.status_code == 304
    revoke_token(token.id, ADMIN)
    refused = client.get(url, headers=auth(secret, **{"If-None-Match": archived.headers["ETag"]}))
    assert refused.status_code == 401 and refused.mimetype == PROBLEM


def test_a_records_history_names_each_change_and_where_it_came_from(client, session):
    _, token, secret = token_for("manager")
    contact = make_contact(job_title="Clerk")
    url = f"/api/v1/contacts/{contact.id}"
    etag = client.get(url, headers=auth(secret)).headers["ETag"]
    client.patch(url, json={"job_title": "Chief"}, headers=auth(secret, **{"If-Match": etag}))
    history = client.get(f"{url}/history", headers=auth(secret))
    assert history.status_code == 200
    newest, oldest = history.json["data"][0], history.json["data"][-1]
    assert newest["action"] == "update"
    assert newest["changes"]["job_title"] == ["Clerk", "Chief"]
    assert newest["via"] == f"api:{token.id}"
    assert oldest["action"] == "create"
    missing = client.get(
        "/api/v1/contacts/7d4c5c3e-0000-4000-8000-000000000000/history", headers=auth(secret)
    )
    assert missing.status_code == 404


def test_a_token_statement_the_driver_fails_runs_again_through_sqlalchemy(
    client, session, monkeypatch
):
    """The token's statement runs on the driver's cursor; when that fails, SQLAlchemy runs it
    (and handles its error as any other's), so the call still answers."""
    secret = token_for("rep")[2]
    contact = make_contact(first_name="Fallback")
    cursor = psycopg.Connection.cursor
    failed = []

    def failing_cursor(self, *args, **kwargs):
        if kwargs.get("row_factory") is namedtuple_row:
            failed.append(True)
            raise psycopg.OperationalError("the driver's cursor failed")
        return cursor(self, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "cursor", failing_cursor)
    response = client.get(f"/api/v1/contacts/{contact.id}", headers=auth(secret))
    assert failed
    assert response.status_code == 200 and response.json["first_name"] == "Fallback"
    assert client.get("/api/v1/contacts", headers=auth(secret)).status_code == 200
