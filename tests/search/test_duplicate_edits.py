"""Duplicate prevention on edit: changing a contact's email or phone (or a company's name or
website) to one another live record has is refused with a link to it, unless confirmed."""

from crm_web.companies.services import get_company
from crm_web.contacts.services import get_contact
from tests.support import HX_REQUEST, make_company, make_contact, patch_field, sign_in


def test_an_inline_email_edit_to_another_contacts_email_is_refused_with_a_link(client, no_csrf):
    sign_in(client, "rep")
    ada = make_contact(emails=["ada@example.com"])
    bob = make_contact(first_name="Bob", last_name="Smith", emails=["bob@example.com"])
    url = f"/contacts/{bob.id}/fields/emails"
    refused = patch_field(client, url, ["bob@example.com", "ADA@example.com"], bob.version)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert f'<a href="/contacts/{ada.id}">Ada Lovelace</a>' in html
    assert "Save anyway" in html and 'value="ADA@example.com"' in html
    assert get_contact(bob.id).emails == ["bob@example.com"]

    data = {"value": ["bob@example.com", "ADA@example.com"], "version": str(bob.version)}
    saved = client.patch(url, data={**data, "allow_duplicate": "1"}, headers=HX_REQUEST)
    assert saved.status_code == 200 and "Save anyway" not in saved.get_data(as_text=True)
    assert get_contact(bob.id).emails == ["bob@example.com", "ADA@example.com"]


def test_a_shared_phone_saved_anyway_does_not_hold_up_later_edits(client, no_csrf):
    sign_in(client, "rep")
    make_contact(phones=["+14155550100"])
    bob = make_contact(first_name="Bob", last_name="Smith", phones=["+14155550100"])
    url = f"/contacts/{bob.id}/fields/phones"
    # The shared phone was his already (saved anyway once); the new one is nobody's.
    saved = patch_field(client, url, ["(415) 555-0100", "+1 415 555 0199"], bob.version)
    assert saved.status_code == 200
    assert get_contact(bob.id).phones == ["+14155550100", "+14155550199"]
    other = make_contact(first_name="Cy", last_name="Lee", phones=["+14155550111"])
    taken = patch_field(client, f"/contacts/{other.id}/fields/phones", ["415 555 0100"])
    assert taken.status_code == 409 and "Save anyway" in taken.get_data(as_text=True)


def test_a_company_renamed_to_another_companys_name_is_refused_until_confirmed(client, no_csrf):
    sign_in(client, "rep")
    first = make_company(name="Brindlewick Ltd", website="https://brindlewick.example")
    second = make_company(name="Other Co")
    url = f"/companies/{second.id}/fields/name"
    refused = patch_field(client, url, "BRINDLEWICK LTD", second.version)
    assert refused.status_code == 409
    assert f'<a href="/companies/{first.id}">Brindlewick Ltd</a>' in refused.get_data(as_text=True)
    site = patch_field(
        client, f"/companies/{second.id}/fields/website", "http://www.brindlewick.example/x"
    )
    assert site.status_code == 409
    data = {"value": "BRINDLEWICK LTD", "version": str(second.version), "allow_duplicate": "1"}
    assert client.patch(url, data=data, headers=HX_REQUEST).status_code == 200
    assert get_company(second.id).name == "BRINDLEWICK LTD"


def test_the_api_refuses_an_edit_with_409_and_the_other_id_unless_allowed(client):
    from tests.api.test_api import auth, token_for

    ada = make_contact(emails=["ada@example.com"])
    bob = make_contact(first_name="Bob", last_name="Smith", emails=["bob@example.com"])
    headers = auth(token_for("rep")[2])
    url = f"/api/v1/contacts/{bob.id}"
    etag = client.get(url, headers=headers).headers["ETag"]
    body = {"emails": ["Ada@Example.com"]}
    refused = client.patch(url, json=body, headers={**headers, "If-Match": etag})
    assert refused.status_code == 409
    assert refused.get_json()["duplicates"] == [str(ada.id)]
    allowed = client.patch(
        f"{url}?allow_duplicate=true", json=body, headers={**headers, "If-Match": etag}
    )
    assert allowed.status_code == 200 and allowed.get_json()["emails"] == ["Ada@example.com"]
