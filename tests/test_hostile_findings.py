"""One test per hostile-input finding of issue 17 (points 2, 4 and 6): each answered 5xx, said
something untrue, or sent megabytes back before its fix."""

from __future__ import annotations

import json

import pytest

from crm_web.core import validation as v
from crm_web.core.errors import ValidationError
from tests.api.test_api import auth, token_for
from tests.support import (
    ADMIN,
    TEST_PASSWORD,
    make_company,
    make_contact,
    make_deal,
    make_user,
    sign_in,
)

UNSTORABLE = "cannot be stored"


# -- NUL bytes and lone surrogates: refused at the door, never "the database could not…" -----


@pytest.mark.parametrize(
    "url",
    [
        "/contacts/?q=ada%00",
        "/companies/?q=%00",
        "/deals?q=a%00b",
        "/companies/picker?company_q=%00",
        "/deals/new/contacts?company_id=%00",
        "/contacts/duplicates?emails=a%00@example.com",
        "/contacts/%00",
    ],
)
def test_a_nul_byte_in_a_search_filter_picker_or_id_is_a_clear_400(client, url):
    sign_in(client, "rep")
    response = client.get(url)
    assert response.status_code == 400
    assert UNSTORABLE in response.get_data(as_text=True)


def test_a_nul_byte_in_the_login_email_is_a_clear_400_not_a_database_error(client, no_csrf):
    response = client.post("/login", data={"email": "a\x00@example.com", "password": "x"})
    assert response.status_code == 400
    assert UNSTORABLE in response.get_data(as_text=True)


def test_a_lone_surrogate_in_a_json_body_is_refused_as_json(client, no_csrf):
    sign_in(client, "rep")
    body = '{"first_name": "\\ud800", "last_name": "X"}'  # valid JSON, not storable text
    response = client.post("/contacts/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert UNSTORABLE in response.get_json()["detail"]


def test_a_json_body_nested_too_deeply_is_a_400(client, no_csrf):
    sign_in(client, "rep")
    response = client.post("/contacts/", data="[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["detail"] == "The JSON body is nested too deeply."


def test_the_services_refuse_nul_and_lone_surrogates_for_the_api_and_cli(session):
    for bad in ("Ada\x00", "Ada\ud800"):
        with pytest.raises(ValidationError) as refused:
            make_contact(first_name=bad)
        assert "first_name" in refused.value.fields


# -- digits str.isdigit takes and int() does not ----------------------------------------------


@pytest.mark.parametrize("key", ["%C2%B3", "%C2%B2", "%D9%A3"])  # ³, ², an Arabic-Indic 3
def test_an_import_named_by_another_script_s_digit_is_not_found(client, key):
    sign_in(client, "rep")
    assert client.get(f"/imports/{key}").status_code == 404


@pytest.mark.parametrize("cursor", ["³", "9" * 5000])
def test_a_short_list_s_cursor_of_odd_digits_reads_as_the_first_page(client, session, cursor):
    _, _, secret = token_for("rep")
    response = client.get(
        "/api/v1/pipeline-stages", query_string={"cursor": cursor}, headers=auth(secret)
    )
    assert response.status_code == 200
    assert response.json["data"]


# -- deal amounts: the bound before rounding ---------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e26", "Must be less than 10,000,000,000,000."),
        ("1e999999", "Must be less than 10,000,000,000,000."),
        ("NaN", "Must be an amount."),
        ("Infinity", "Must be an amount."),
        ("-0", "Must not be negative."),
        ("1e-30", "At most two decimal places."),
    ],
)
def test_an_absurd_deal_amount_gets_a_field_message(typed, message):
    with pytest.raises(v.FieldError, match=message):
        v.money(typed)


def test_creating_a_deal_of_1e26_re_renders_the_form_with_the_message(client, no_csrf):
    sign_in(client, "rep")
    company = make_company()
    data = {"title": "Big", "value": "1e26", "stage": "Lead", "company_id": str(company.id)}
    response = client.post("/deals", data=data)
    assert response.status_code == 422
    assert "Must be less than 10,000,000,000,000." in response.get_data(as_text=True)


# -- `next` at sign-in ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/contacts/\r\nSet-Cookie: evil=1", "/x\nLocation: //evil.example.com", "/\t/evil.com"],
)
def test_a_next_with_control_characters_signs_in_and_goes_home(client, no_csrf, target):
    user = make_user("rep")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": user.email, "password": TEST_PASSWORD},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "evil" not in str(response.headers)


# -- point 4: a refused restore says so ------------------------------------------------------------


def _flashes(client) -> list[str]:
    with client.session_transaction() as cookie_session:
        return [message for _, message in cookie_session.get("_flashes", [])]


@pytest.mark.parametrize("area", ["contacts", "companies"])
def test_restoring_a_record_that_is_not_archived_does_not_say_restored(client, no_csrf, area):
    sign_in(client, "manager")
    record = make_contact() if area == "contacts" else make_company()
    response = client.post(f"/{area}/{record.id}/restore")
    assert response.status_code == 303
    messages = _flashes(client)
    entity = "contact" if area == "contacts" else "company"
    assert messages == [f"This {entity} is not archived: nothing was restored."]


@pytest.mark.parametrize("area", ["contacts", "companies"])
def test_restoring_a_purged_record_does_not_say_restored(client, no_csrf, area):
    from crm_web.records import operations

    sign_in(client, "admin")
    record = make_contact() if area == "contacts" else make_company()
    purge = operations.delete_contact if area == "contacts" else operations.delete_company
    purge(record.id, ADMIN)
    response = client.post(f"/{area}/{record.id}/restore")
    assert response.status_code == 404
    assert "restored" not in response.get_data(as_text=True).lower()
    assert not any("restored" in m.lower() for m in _flashes(client))


def test_restoring_a_deal_that_is_not_archived_does_not_say_restored(client, no_csrf):
    sign_in(client, "manager")
    deal = make_deal()
    response = client.post(f"/deals/{deal.id}/restore", data={"version": deal.version})
    assert response.status_code == 303
    assert _flashes(client) == ["This deal is not archived: nothing was restored."]


# -- point 6: list sizes and request bodies --------------------------------------------------------


def test_too_many_emails_get_one_message_and_a_small_page(client, no_csrf):
    sign_in(client, "rep")
    emails = [f"a{n}@example.com" for n in range(500)]
    response = client.post(
        "/contacts/", data={"first_name": "A", "last_name": "B", "emails": emails}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "At most 20 emails (this had 500)." in page
    assert page.count('name="emails"') <= 21  # the 20 kept, and a blank one to add another
    assert len(page) < 100_000


def test_the_services_cap_emails_too(session):
    emails = [f"a{n}@example.com" for n in range(21)]
    with pytest.raises(ValidationError) as refused:
        make_contact(emails=emails)
    assert refused.value.fields["emails"] == ["At most 20 values (this has 21)."]


def test_a_create_with_10000_emails_is_a_clear_413(client, no_csrf):
    sign_in(client, "rep")
    emails = [f"a{n}@example.com" for n in range(10_000)]
    response = client.post("/contacts/", data={"first_name": "A", "emails": emails})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The request is too large" in page
    assert len(page) < 50_000


def test_a_too_large_body_is_413_as_json_when_the_client_asks_for_json(client, no_csrf, app):
    sign_in(client, "rep")
    body = json.dumps({"first_name": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    response = client.post(
        "/contacts/",
        data=body,
        content_type="application/json",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 413
    assert response.get_json()["detail"].startswith("The request is too large")
