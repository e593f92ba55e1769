"""Duplicate prevention: a second live contact with the same email (any case) or phone is
refused with a link to the first, unless the person confirms it is someone else."""

import pytest

from crm_web.contacts.services import archive_contact, create_contact
from crm_web.core.errors import DuplicateError
from tests.support import ADMIN, make_contact, sign_in


def _create(refuse=True, **data):
    return create_contact({"first_name": "Ada", **data}, ADMIN, refuse_duplicates=refuse)


def test_an_email_in_another_case_is_refused_naming_the_other_contact(session):
    ada = make_contact(emails=["ada@example.com"])
    with pytest.raises(DuplicateError) as refused:
        _create(last_name="Again", emails=["Ada@Example.com"])
    assert refused.value.duplicates == [(ada.id, "Ada Lovelace")]
    assert refused.value.status == 409
    assert refused.value.fields["emails"] == ["Already the email of Ada Lovelace."]


def test_a_phone_in_another_format_is_refused_and_allowed_when_confirmed(session):
    make_contact(phones=["+1 415 555 0100"])
    with pytest.raises(DuplicateError) as refused:
        _create(last_name="Twin", phones=["(415) 555-0100"])
    assert "Already the phone of Ada Lovelace" in refused.value.fields["phones"][0]
    twin = _create(refuse=False, last_name="Twin", phones=["(415) 555-0100"])
    assert twin.phones == ["+14155550100"]


def test_an_archived_contact_does_not_block(session):
    old = make_contact(emails=["ada@example.com"])
    archive_contact(old.id, ADMIN, expected_version=old.version)
    assert _create(last_name="New", emails=["ada@example.com"]).emails == ["ada@example.com"]


def test_the_create_form_warns_with_a_link_and_create_anyway_saves(client, no_csrf):
    sign_in(client, "rep")
    ada = make_contact(emails=["ada@example.com"])
    form = {"first_name": "Ada", "last_name": "Again", "emails": "Ada@Example.com"}
    refused = client.post("/contacts/", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert f'href="/contacts/{ada.id}">Ada Lovelace</a>' in html and "Create anyway" in html
    created = client.post("/contacts/", data={**form, "allow_duplicate": "1"})
    assert created.status_code == 303


def test_a_company_with_the_same_name_or_web_domain_is_refused_until_confirmed(client, no_csrf):
    from tests.support import make_company

    sign_in(client, "rep")
    # A name no other test gives a company (some commit theirs: "Acme Ltd" is the default).
    acme = make_company(name="Quillfeather Ltd", website="https://www.quillfeather.example/about")
    for form in (
        {"name": "QUILLFEATHER LTD"},
        {"name": "Quillfeather Widgets", "website": "http://quillfeather.example"},
    ):
        refused = client.post("/companies/", data=form)
        html = refused.get_data(as_text=True)
        assert refused.status_code == 409, form
        assert f'href="/companies/{acme.id}">Quillfeather Ltd</a>' in html
        assert "Create anyway" in html
    assert client.post("/companies/", data={"name": "Quillfeather Labs"}).status_code == 303
    again = {"name": "QUILLFEATHER LTD", "allow_duplicate": "1"}
    confirmed = client.post("/companies/", data=again)
    assert confirmed.status_code == 303


def test_the_api_answers_409_with_the_other_contacts_id(client):
    from tests.api.test_api import auth, token_for

    ada = make_contact(emails=["ada@example.com"])
    secret = token_for("rep")[2]
    body = {"first_name": "Ada", "last_name": "Two", "emails": ["ADA@example.com"]}
    refused = client.post("/api/v1/contacts", json=body, headers=auth(secret))
    assert refused.status_code == 409
    assert refused.get_json()["duplicates"] == [str(ada.id)]
    allowed = client.post("/api/v1/contacts?allow_duplicate=true", json=body, headers=auth(secret))
    assert allowed.status_code == 201
