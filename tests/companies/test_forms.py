"""The company create form and inline editors are WTForms forms made from companies/fields.py:
website, phone and industry from the form to the list, messages beside the inputs (422),
custom fields' inputs, and a bulk archive that returns ids, not a notice."""

import re

import pytest

from crm_web.companies import services
from crm_web.companies.fields import FIELDS
from crm_web.companies.forms import CompanyForm, field_form
from crm_web.companies.services import get_company, list_companies
from crm_web.core.errors import PermissionDenied
from tests.support import (
    ADMIN,
    actor,
    assert_inline_editors,
    list_cells,
    make_company,
    message_beside,
    patch_field,
    post_form,
    sign_in,
)


def test_bad_website_phone_and_industry_get_messages_beside_them_and_stay_typed(client, no_csrf):
    sign_in(client)
    response = post_form(
        client, "/companies/", website="javascript:alert(1)", phone="555", industry="i" * 101
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "is not a web address" in message_beside(html, "website")
    assert "not a valid phone number" in message_beside(html, "phone")
    assert "at most 100 characters" in message_beside(html, "industry")
    assert 'value="javascript:alert(1)"' in html and 'value="555"' in html
    assert 'value="Initech"' in html
    assert "Initech" not in [company.name for company in list_companies()]


def test_website_phone_and_industry_from_the_form_to_the_record_and_the_list(client, no_csrf):
    sign_in(client)
    response = post_form(
        client,
        "/companies/",
        website="Initech.Example.com/",
        phone="(415) 555-0100",
        industry="Software",
    )
    assert response.status_code == 303
    company = list_companies()[0]
    assert (company.website, company.phone, company.industry) == (
        "https://initech.example.com",
        "+14155550100",
        "Software",
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'href="https://initech.example.com" target="_blank" rel="noopener noreferrer"' in page
    assert '<a href="tel:+14155550100">+1 415-555-0100</a>' in page
    refused = patch_field(client, f"/companies/{company.id}/fields/phone", "12")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "not a valid phone number" in html
    assert 'value="12"' in html and 'aria-invalid="true"' in html
    saved = patch_field(client, f"/companies/{company.id}/fields/industry", "Consulting")
    assert saved.status_code == 200 and "Consulting" in saved.get_data(as_text=True)
    assert get_company(company.id).phone == "+14155550100"
    listing = client.get("/companies/").get_data(as_text=True)
    assert ">Industry</th>" in listing
    assert list_cells(listing, company.id)["industry"] == "Consulting"


def test_a_required_custom_field_has_its_input_and_its_message_on_new_company(client, no_csrf):
    from crm_web.custom_fields.services import create_definition

    data = {"entity_type": "company", "name": "tier", "label": "Tier", "field_type": "enum"}
    create_definition({**data, "enum_values": ["Gold", "Silver"], "required": True}, ADMIN)
    sign_in(client)
    form = client.get("/companies/new").get_data(as_text=True)
    assert re.search(r'<select id="custom_fields-tier" name="custom_fields.tier" required', form)
    response = post_form(client, "/companies/")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="err-custom_fields-tier"[^>]*>Tier is required.<', html)
    created = post_form(client, "/companies/", **{"custom_fields.tier": "Gold"})
    assert created.status_code == 303 and list_companies()[0].custom_fields == {"tier": "Gold"}


def test_every_field_is_a_wtforms_field_of_the_create_form_and_has_an_inline_form(client, no_csrf):
    # The rep's own record: its owner too is theirs to change.
    rep = sign_in(client)
    company = make_company(owner_id=rep.id)
    assert set(CompanyForm()._fields) == {n for n, f in FIELDS.items() if f.create}
    assert_inline_editors(client, f"/companies/{company.id}", FIELDS, field_form)


def test_bulk_archive_returns_the_ids_and_a_refusal_is_an_error(session):
    acme = make_company(name="Acme")
    assert services.bulk_archive([str(acme.id)], ADMIN) == [str(acme.id)]
    with pytest.raises(PermissionDenied):
        services.bulk_archive([str(acme.id)], actor("rep"), restore=True)
    assert get_company(acme.id).archived_at is not None
