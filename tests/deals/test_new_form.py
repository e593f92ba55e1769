"""The new-deal form (DealForm) asks for the custom fields defined for deals, with their
messages beside their inputs."""

import re

from crm_web.core.db import db
from crm_web.custom_fields.services import create_definition
from crm_web.deals.models import Deal
from tests.support import ADMIN, make_company, sign_in


def test_a_required_custom_field_is_asked_for_with_its_message_beside_it(client):
    data = {"entity_type": "deal", "name": "source", "label": "Lead source"}
    create_definition({**data, "field_type": "text", "required": True}, ADMIN)
    sign_in(client, "rep")
    company = make_company(name="Hooli")
    assert 'name="custom_fields.source" required' in client.get("/deals/new").text
    deal = {"title": "XYZ", "company_id": str(company.id), "value": "10", "stage": "Lead"}
    response = client.post("/deals", data={**deal, "value": "12,5x"})
    assert response.status_code == 422
    assert re.search(r'id="value-error">[^<]*is not an amount', response.text)
    assert 'value="12,5x"' in response.text and 'value="XYZ"' in response.text
    assert re.search(r'id="err-custom_fields-source"[^>]*>Lead source is required.<', response.text)
    created = client.post("/deals", data={**deal, "custom_fields.source": "Web"})
    assert created.status_code == 303
    assert db.session.query(Deal).one().custom_fields == {"source": "Web"}
