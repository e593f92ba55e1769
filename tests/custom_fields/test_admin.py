"""The admin's custom fields page: define, refuse, delete, and for admins only."""

from __future__ import annotations

import pytest

from crm_web.companies.services import get_company
from crm_web.custom_fields.services import list_definitions
from tests.custom_fields.support import define as _define
from tests.support import make_company, sign_in


def test_admin_defines_a_field_with_a_key_made_from_the_label(client):
    sign_in(client, "admin")
    form = {
        "entity_type": "company",
        "label": "Industry Sector",
        "name": "",
        "field_type": "enum",
        "enum_values": "Retail, Energy, ,Software",
        "required": "on",
    }
    response = client.post("/admin/custom-fields", data=form)
    assert response.status_code == 303
    (definition,) = list_definitions("company")
    assert definition.name == "industry_sector" and definition.required
    assert definition.enum_values == ["Retail", "Energy", "Software"]
    html = client.get("/admin/custom-fields").get_data(as_text=True)
    assert "Industry Sector" in html and "industry_sector" in html and "Retail, Energy" in html
    subnav = html.split('aria-label="Admin"')[1].split("</nav>")[0]
    assert '<a href="/admin/custom-fields" aria-current="page">Custom fields' in subnav
    assert '<a href="/admin/users">Users' in subnav
    assert '<a href="/admin/users" aria-current="page">Admin</a>' in html  # the top navigation


def test_refused_definitions_show_the_messages_beside_the_fields(client):
    sign_in(client, "admin")
    form = {"entity_type": "contact", "label": "Tier", "name": "Bad Key", "field_type": "enum"}
    response = client.post("/admin/custom-fields", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="field-name-error"' in html and "lower-case letters" in html
    assert 'id="field-enum_values-error"' in html and "at least one value" in html
    assert 'value="Tier"' in html  # what was typed is kept
    _define("contact", "Tier", "text")
    again = client.post("/admin/custom-fields", data={**form, "name": "", "field_type": "text"})
    assert again.status_code == 422 and "already exists" in again.get_data(as_text=True)
    assert list_definitions("contact")[0].field_type == "text"


def test_deleting_a_field_removes_its_value_from_every_record(client):
    sign_in(client, "admin")
    tier = _define("company", "Tier", "text")
    acme = make_company(name="Acme", custom_fields={"tier": "Gold"})
    other = make_company(name="Other", custom_fields={"tier": "Silver"})
    page = client.get("/admin/custom-fields").get_data(as_text=True)
    assert "removed from every company record" in page
    response = client.post(f"/admin/custom-fields/{tier.id}/delete")
    assert response.status_code == 303
    assert list_definitions("company") == []
    assert get_company(acme.id).custom_fields == {} == get_company(other.id).custom_fields


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_only_admins_manage_custom_fields(client, role):
    sign_in(client, role)
    tier = _define("company", "Tier", "text")
    form = {"entity_type": "company", "label": "X", "field_type": "text"}
    assert client.get("/admin/custom-fields").status_code == 403
    assert client.post("/admin/custom-fields", data=form).status_code == 403
    assert client.post(f"/admin/custom-fields/{tier.id}/delete").status_code == 403
    assert [d.name for d in list_definitions("company")] == ["tier"]
