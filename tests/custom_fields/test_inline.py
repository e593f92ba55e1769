"""A record page's "Custom fields" card, each field edited in place like the built-in ones."""

from __future__ import annotations

import pytest

from crm_web.companies.services import get_company
from crm_web.contacts.services import get_contact
from crm_web.deals.services import get_deal
from tests.custom_fields.support import define as _define
from tests.support import HX_REQUEST, make_company, make_contact, make_deal, sign_in


def test_no_card_when_the_record_type_has_no_custom_fields(client):
    sign_in(client, "rep")
    _define("contact", "Tier", "text")
    acme = make_company(name="Acme")
    assert 'id="custom-fields"' not in client.get(f"/companies/{acme.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("entity", "make", "get"),
    [
        ("company", make_company, get_company),
        ("contact", make_contact, get_contact),
        ("deal", make_deal, get_deal),
    ],
)
def test_a_custom_field_is_edited_in_place(client, entity, make, get):
    sign_in(client, "manager")  # who may read the History card (audit.read)
    _define(entity, "Industry", "enum", enum_values=["Retail", "Energy"])
    _define(entity, "Employees", "number")
    record = make(custom_fields={"industry": "Retail"})
    root = {"company": "/companies", "contact": "/contacts", "deal": "/deals"}[entity]
    base = f"{root}/{record.id}/custom-fields"

    page = client.get(f"{root}/{record.id}").get_data(as_text=True)
    assert 'id="custom-fields"' in page and "Industry" in page and "Retail" in page
    editor = client.get(f"{base}/industry/edit", headers=HX_REQUEST).get_data(as_text=True)
    assert '<option value="Energy">' in editor and '<option value="Retail" selected>' in editor

    saved = client.patch(
        f"{base}/industry", data={"value": "Energy", "version": "1"}, headers=HX_REQUEST
    )
    assert saved.status_code == 200 and "Energy" in saved.get_data(as_text=True)
    assert get(record.id).custom_fields == {"industry": "Energy"}

    refused = client.patch(
        f"{base}/employees", data={"value": "abc", "version": "2"}, headers=HX_REQUEST
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "ie-error" in html and "is not a number" in html
    assert 'value="abc"' in html and 'name="version" value="2"' in html

    stale = client.patch(
        f"{base}/industry", data={"value": "Retail", "version": "1"}, headers=HX_REQUEST
    )
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "ie-conflict" in html
    assert 'name="version" value="2"' in html and 'name="value" value="Retail"' in html
    assert get(record.id).custom_fields == {"industry": "Energy"}

    number = client.patch(
        f"{base}/employees", data={"value": "120", "version": "2"}, headers=HX_REQUEST
    )
    assert number.status_code == 200 and "120" in number.get_data(as_text=True)
    cleared = client.patch(
        f"{base}/industry", data={"value": "", "version": "3"}, headers=HX_REQUEST
    )
    assert cleared.status_code == 200 and "Empty" in cleared.get_data(as_text=True)
    assert get(record.id).custom_fields == {"employees": 120}
    history = client.get(f"{root}/{record.id}").get_data(as_text=True).split('id="history"')[1]
    assert "<strong>employees</strong>\n  from <q>—</q> to <q>120</q>" in history
    assert "{&#39;" not in history  # the changed values, not the whole set as a dict


def test_boolean_and_date_editors(client):
    sign_in(client, "rep")
    _define("company", "Partner", "boolean")
    _define("company", "Renewal", "date")
    acme = make_company(custom_fields={"partner": True})
    base = f"/companies/{acme.id}/custom-fields"
    editor = client.get(f"{base}/partner/edit", headers=HX_REQUEST).get_data(as_text=True)
    assert '<option value="true" selected>Yes</option>' in editor and 'value="false"' in editor
    saved = client.patch(
        f"{base}/partner", data={"value": "false", "version": "1"}, headers=HX_REQUEST
    )
    assert saved.status_code == 200 and "No" in saved.get_data(as_text=True)
    assert 'type="date"' in client.get(f"{base}/renewal/edit", headers=HX_REQUEST).get_data(
        as_text=True
    )
    bad = client.patch(
        f"{base}/renewal", data={"value": "soon", "version": "2"}, headers=HX_REQUEST
    )
    assert bad.status_code == 422
    assert client.get(f"{base}/nope/edit", headers=HX_REQUEST).status_code == 404


def test_a_viewer_sees_custom_fields_but_cannot_edit_them(client):
    sign_in(client, "viewer")
    _define("company", "Tier", "text")
    acme = make_company(custom_fields={"tier": "Gold"})
    assert "Gold" in client.get(f"/companies/{acme.id}").get_data(as_text=True)
    base = f"/companies/{acme.id}/custom-fields/tier"
    assert (
        client.patch(base, data={"value": "X", "version": "1"}, headers=HX_REQUEST).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("entity", "make", "update"),
    [("contact", make_contact, "update_contact"), ("deal", make_deal, "update_deal")],
)
def test_a_custom_field_editor_on_an_out_of_date_page_says_who_changed_it(
    client, entity, make, update
):
    import re

    from crm_web.contacts import services as contacts
    from crm_web.deals import services as deals
    from tests.support import make_user

    sign_in(client, "rep")
    _define(entity, "Region", "text")
    _define(entity, "Tier", "text")
    record = make(custom_fields={"region": "EMEA"})
    root = {"contact": "/contacts", "deal": "/deals"}[entity]
    page = client.get(f"{root}/{record.id}").get_data(as_text=True)
    edit_url = re.search(r'hx-get="([^"]*/custom-fields/region/edit[^"]*)"', page)[1]
    service = {"contact": contacts, "deal": deals}[entity]
    mia = make_user("manager").as_actor()
    getattr(service, update)(record.id, {"custom_fields": {"region": "APAC"}}, mia)

    editor = client.get(edit_url, headers=HX_REQUEST).get_data(as_text=True)
    assert "Mia Manager changed it from “EMEA” to “APAC” at " in editor
    tier = client.get(f"{root}/{record.id}/custom-fields/tier/edit?seen=1", headers=HX_REQUEST)
    assert "ie-notice" not in tier.get_data(as_text=True)
