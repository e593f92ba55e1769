"""The contact create form and inline editors are WTForms forms made from contacts/fields.py:
messages beside each input (422) with what was typed kept, custom fields' inputs, the job
title from the form to the list, and services that return data, not notices."""

import re

import pytest

from crm_web.contacts import services
from crm_web.contacts.fields import FIELDS
from crm_web.contacts.forms import ContactForm, field_form
from crm_web.contacts.services import get_contact, list_contacts
from crm_web.core.errors import PermissionDenied
from tests.support import (
    ADMIN,
    HX_REQUEST,
    actor,
    assert_inline_editors,
    list_cells,
    make_contact,
    message_beside,
    post_form,
    sign_in,
)


def test_bad_input_gets_a_message_beside_each_input_and_keeps_what_was_typed(client, no_csrf):
    sign_in(client)
    response = post_form(
        client,
        "/contacts/",
        first_name="  ",
        job_title="x" * 256,
        emails=["grace@example.com", "not-an-email"],
        phones=["12"],
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message_beside(html, "first_name") == "This field is required."
    assert "at most 255 characters" in message_beside(html, "job_title")
    assert "not a valid email" in re.search(r'id="err-emails"[^>]*>([^<]*)<', html).group(1)
    assert "not a valid phone number" in re.search(r'id="err-phones"[^>]*>([^<]*)<', html).group(1)
    # Only the refused email's input is marked; both are still there, as typed.
    assert re.search(r'value="not-an-email"[^>]*aria-invalid="true"', html)
    assert not re.search(r'value="grace@example.com"[^>]*aria-invalid', html)
    assert 'value="Hopper"' in html and f'value="{"x" * 256}"' in html
    assert list_contacts() == []


@pytest.fixture
def required_region(session):
    from crm_web.custom_fields.services import create_definition

    data = {"entity_type": "contact", "name": "region", "label": "Sales region"}
    return create_definition({**data, "field_type": "text", "required": True}, ADMIN)


def test_a_required_custom_field_has_its_input_and_its_message_on_new_contact(
    client, no_csrf, required_region
):
    sign_in(client)
    form = client.get("/contacts/new").get_data(as_text=True)
    assert re.search(r'name="custom_fields.region" required', form)
    response = post_form(client, "/contacts/")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message_beside(html, "custom_fields.region") == "Sales region is required."
    assert 'value="Grace"' in html
    created = post_form(client, "/contacts/", **{"custom_fields.region": "EMEA"})
    assert created.status_code == 303
    assert list_contacts()[0].custom_fields == {"region": "EMEA"}


def test_job_title_from_the_create_form_to_the_record_an_inline_edit_and_the_list(client, no_csrf):
    sign_in(client)
    response = post_form(
        client, "/contacts/", first_name="Peter", last_name="Gibbons", job_title=" Programmer "
    )
    assert response.status_code == 303
    contact = list_contacts()[0]
    assert contact.job_title == "Programmer"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r"<dt>Job title</dt><dd><span[^>]*-job_title\"[^>]*>Programmer<", page)
    saved = client.patch(
        f"/contacts/{contact.id}/fields/job_title",
        data={"value": "Senior programmer", "version": str(contact.version)},
        headers=HX_REQUEST,
    )
    assert saved.status_code == 200 and "Senior programmer" in saved.get_data(as_text=True)
    refused = client.patch(
        f"/contacts/{contact.id}/fields/job_title",
        data={"value": "y" * 300, "version": str(get_contact(contact.id).version)},
        headers=HX_REQUEST,
    )
    assert refused.status_code == 422
    assert "at most 255 characters" in refused.get_data(as_text=True)
    listing = client.get("/contacts/").get_data(as_text=True)
    assert ">Job title</th>" in listing
    assert list_cells(listing, contact.id)["job_title"] == "Senior programmer"


def test_every_field_is_a_wtforms_field_of_the_create_form_and_has_an_inline_form(client, no_csrf):
    # The rep's own record: its owner too is theirs to change.
    rep = sign_in(client)
    contact = make_contact(owner_id=rep.id)
    assert set(ContactForm()._fields) == {n for n, f in FIELDS.items() if f.create}
    assert_inline_editors(client, f"/contacts/{contact.id}", FIELDS, field_form)
    assert field_form("nope") is None
    assert client.get(f"/contacts/{contact.id}/fields/nope/edit").status_code == 404


def test_bulk_action_returns_what_changed_not_a_notice(session):
    a, b = make_contact(last_name="Alpha"), make_contact(last_name="Beta")
    done = services.bulk_action("archive", [str(a.id), str(b.id)], None, ADMIN)
    assert done == {"action": "archive", "count": 2, "ids": sorted([str(a.id), str(b.id)])}
    with pytest.raises(PermissionDenied):
        services.bulk_action("restore", [str(a.id)], None, actor("rep"))
    assert get_contact(a.id).archived_at is not None


def test_the_list_words_a_refused_bulk_archive(client, no_csrf):
    sign_in(client, "rep")
    theirs = make_contact(last_name="Theirs")
    html = client.post(
        "/contacts/bulk", data={"action": "archive", "ids": [str(theirs.id)]}, headers=HX_REQUEST
    ).get_data(as_text=True)
    assert "Only the owner or a manager may archive this. Nothing was changed." in html
    assert "notice-error" in html
