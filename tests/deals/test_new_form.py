"""The new-deal form (DealForm): messages beside the inputs with what was typed kept, and the
custom fields defined for deals asked for on it."""

import re

from crm_web.core.db import db
from crm_web.custom_fields.services import create_definition
from crm_web.deals.models import Deal
from tests.support import ADMIN, make_company


def test_bad_input_is_422_with_messages_beside_the_inputs_and_what_was_typed(client, sign_in):
    sign_in("rep")
    company = make_company(name="Hooli")
    data = {"title": " ", "company_id": str(company.id), "value": "12,5x", "currency": "XXY"}
    response = client.post("/deals", data={**data, "stage": "Lead", "close_date": "soon"})
    html = response.text
    assert response.status_code == 422
    assert re.search(r'id="title-error">This field is required.<', html)
    assert re.search(r'id="value-error">[^<]*is not an amount', html)
    assert re.search(r'id="currency-error">[^<]*ISO 4217', html)
    assert re.search(r'id="close_date-error">[^<]*is not a date', html)
    assert 'value="12,5x"' in html and 'value="XXY"' in html and "Hooli" in html
    assert db.session.query(Deal).count() == 0


def test_a_required_custom_field_is_asked_for_with_its_message_beside_it(client, sign_in):
    data = {"entity_type": "deal", "name": "source", "label": "Lead source"}
    create_definition({**data, "field_type": "text", "required": True}, ADMIN)
    sign_in("rep")
    company = make_company(name="Hooli")
    assert 'name="custom_fields.source" required' in client.get("/deals/new").text
    deal = {"title": "XYZ", "company_id": str(company.id), "value": "10", "stage": "Lead"}
    response = client.post("/deals", data=deal)
    assert response.status_code == 422
    assert re.search(r'id="err-custom_fields-source"[^>]*>Lead source is required.<', response.text)
    created = client.post("/deals", data={**deal, "custom_fields.source": "Web"})
    assert created.status_code == 303
    assert db.session.query(Deal).one().custom_fields == {"source": "Web"}
