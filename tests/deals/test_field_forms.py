"""The deal record page's inline editors: each field's one-field form (deals/forms.py, made
from deals/fields.py) refuses bad input with 422 and the message beside the input, and the
deal stays as it was. The list's headers and the create form come from the same field list."""

from __future__ import annotations

import re
from html import unescape

import pytest

from crm_web.deals.fields import FIELDS
from crm_web.deals.services import get_deal
from tests.support import make_company, make_contact, make_deal, patch_field, sign_in

HTMX = {"HX-Request": "true"}

BAD_INPUT = [
    ("title", "   ", "This field is required."),
    ("value", "lots", "'lots' is not an amount."),
    ("value", "-5", "Must not be negative."),
    ("probability", "150", "Must be between 0 and 100."),
    ("probability", "likely", "Must be a whole number."),
    ("close_date", "31/02/2027", "'31/02/2027' is not a date (YYYY-MM-DD)."),
    ("stage", "Nope", "'Nope' is not a pipeline stage"),
    ("currency", "ZZZ", ""),
    ("company_id", "", "This field is required."),
    ("owner_id", "someone", ""),
    ("contact_id", "nobody", ""),
]


def _snapshot(deal_id):
    deal = get_deal(deal_id)
    return {name: getattr(deal, name) for name in FIELDS} | {"version": deal.version}


def _error_beside_input(html: str) -> str:
    """The editor's message: the .ie-error inside the <form class="ie-editor …">."""
    editor = re.search(r'<form class="ie-editor ie-invalid".*?</form>', html, re.S)
    assert editor, "the editor comes back marked invalid"
    assert 'aria-invalid="true"' in editor.group(0) or "picker" in editor.group(0)
    message = re.search(r'<span class="ie-error" role="alert"[^>]*>(.*?)</span>', editor.group(0))
    assert message, "the message is inside the editor, beside the input"
    return unescape(message.group(1))


@pytest.mark.parametrize(("name", "typed", "message"), BAD_INPUT)
def test_each_inline_editor_refuses_bad_input_beside_it_and_changes_nothing(
    client, name, typed, message
):
    sign_in(client, "rep")
    deal = make_deal(title="Kept", value="100", close_date="2027-01-31")
    before = _snapshot(deal.id)
    response = patch_field(client, f"/deals/{deal.id}/fields/{name}", typed)
    assert response.status_code == 422
    shown = _error_beside_input(response.text)
    assert message in shown and shown.strip()
    assert "HX-Trigger" not in response.headers  # nothing saved: the page refreshes nothing
    assert _snapshot(deal.id) == before


def test_a_bad_value_without_its_version_says_what_is_wrong_with_the_value(client):
    """The field's own form speaks first: the user fixes the input they can see."""
    sign_in(client, "rep")
    deal = make_deal(value="100")
    response = client.patch(f"/deals/{deal.id}/fields/value", data={"value": "lots"}, headers=HTMX)
    assert response.status_code == 422
    assert "'lots' is not an amount." in _error_beside_input(response.text)
    assert get_deal(deal.id).version == 1


def test_a_good_value_saves_and_its_dependent_field_follows(client):
    sign_in(client, "rep")
    deal = make_deal(stage="Lead")
    response = patch_field(client, f"/deals/{deal.id}/fields/stage", "Qualified")
    assert response.status_code == 200
    assert f'id="deal-{deal.id}-probability" hx-swap-oob="true"' in response.text
    assert get_deal(deal.id).probability == 25


def test_the_contact_editor_offers_only_the_deal_s_company_s_people(client):
    sign_in(client, "rep")
    company, other = make_company(name="One"), make_company(name="Two")
    make_contact(company_id=company.id, first_name="Ada", last_name="Here")
    stranger = make_contact(company_id=other.id, first_name="Bob", last_name="Elsewhere")
    deal = make_deal(company_id=company.id)
    editor = client.get(f"/deals/{deal.id}/fields/contact_id/edit", headers=HTMX).text
    assert "Ada Here" in editor and "Bob Elsewhere" not in editor
    refused = patch_field(client, f"/deals/{deal.id}/fields/contact_id", str(stranger.id))
    assert refused.status_code == 422
    assert "must belong to the deal's company" in _error_beside_input(refused.text)


def test_the_list_headers_and_the_record_page_follow_the_field_list(client):
    sign_in(client, "rep")
    deal = make_deal(title="Listed")
    listing = client.get("/deals").text
    head = re.search(r"<thead\b(.*?)</thead>", listing, re.S).group(1)
    labels = [
        unescape(re.sub(r"<[^>]+>", "", th)).strip()
        for th in re.findall(r"<th.*?</th>", head, re.S)
    ]
    columns = [field.label for field in FIELDS.values() if field.column]
    assert [label.rstrip(" ▲▼↑↓") for label in labels] == [*columns, "Created"]
    page = client.get(f"/deals/{deal.id}").text
    shown = re.findall(r"<dt>(.*?)</dt>", page)
    assert shown[: len(FIELDS)] == [field.label for field in FIELDS.values()]
    assert "Updated" in shown


def test_the_create_form_asks_the_field_list_s_create_fields(client):
    sign_in(client, "rep")
    page = client.get("/deals/new").text
    for field in FIELDS.values():
        if field.create and field.name != "contact_id":  # the contact <select> has its own
            assert f'<label for="field-{field.name}">{field.label}</label>' in page
    refused = client.post("/deals", data={"title": "", "value": "lots", "stage": "Lead"})
    assert refused.status_code == 422
    assert "'lots' is not an amount." in unescape(refused.text)
