"""The messages people see beside a field, for each check the services make."""

from __future__ import annotations

import importlib
import uuid

import pytest

from crm_web.activities.services import create_note, create_task, update_note, update_task
from crm_web.contacts.services import create_contact, get_contact
from crm_web.core import validation as v
from crm_web.core.errors import ValidationError
from crm_web.custom_fields.services import create_definition
from crm_web.deals.services import create_deal, update_deal
from tests.support import ADMIN, make_company, make_contact, make_deal


def _fields(call, *args):
    with pytest.raises(ValidationError) as caught:
        call(*args)
    return caught.value.fields


# -- email, phone, currency, money -------------------------------------------------------------


def test_a_malformed_email_is_refused_with_the_reason(session):
    fields = _fields(
        create_contact, {"first_name": "A", "last_name": "B", "emails": ["a@b"]}, ADMIN
    )
    assert fields == {
        "emails": [
            "'a@b' is not a valid email address: The part after the @-sign is not valid. "
            "It should have a period."
        ]
    }


def test_emails_are_stored_normalised_and_without_duplicates(session):
    contact = make_contact(emails=[" Ada@Example.COM ", "ada@example.com", ""])
    assert get_contact(contact.id).emails == ["Ada@example.com", "ada@example.com"]


def test_addresses_sharing_a_domain_read_as_alone_and_the_domain_is_checked_once():
    """An import of many addresses at a few domains: each address still comes out as
    email-validator makes it (domain lower-cased, an IDN in Unicode) and a bad domain is
    refused each time with its message, but each good domain's check runs once."""
    check = importlib.import_module("email_validator.validate_email").validate_email_domain_name
    check.cache_clear()
    typed = [f"Person{n}@Example.COM" for n in range(200)] + ["Ann@BÜCHER.example"] * 2
    assert [v.email(e) for e in typed] == [f"Person{n}@example.com" for n in range(200)] + [
        "Ann@bücher.example"
    ] * 2
    assert check.cache_info().misses == 2
    for _ in range(2):
        with pytest.raises(v.FieldError, match="'a@b_c.example' is not a valid email address"):
            v.email("a@b_c.example")


def test_a_us_number_typed_nationally_is_stored_as_e164(session):
    contact = make_contact(phones=["(415) 555-0100", "+44 20 7946 0018"])
    assert get_contact(contact.id).phones == ["+14155550100", "+442079460018"]


def test_the_default_phone_region_is_configurable(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "DEFAULT_PHONE_REGION", "GB")
    contact = make_contact(phones=["020 7946 0018"])
    assert get_contact(contact.id).phones == ["+442079460018"]


def test_a_phone_number_that_cannot_exist_is_refused(session):
    fields = _fields(
        create_contact, {"first_name": "A", "last_name": "B", "phones": ["555-01"]}, ADMIN
    )
    assert fields == {"phones": ["'555-01' is not a valid phone number."]}
    assert v.Checker({}).done() == {}
    with pytest.raises(v.FieldError, match="is not a phone number"):
        v.phone("call me", "US")


def test_an_unknown_currency_is_refused_and_a_known_one_upper_cased(session):
    company = make_company()
    base = {"title": "T", "value": "1", "stage": "Lead", "company_id": company.id}
    assert _fields(create_deal, {**base, "currency": "XYZ"}, ADMIN) == {
        "currency": ["'XYZ' is not an ISO 4217 currency code (e.g. USD, EUR)."]
    }
    assert create_deal({**base, "currency": "eur"}, ADMIN).currency == "EUR"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "Must not be negative."),
        ("1.234", "At most two decimal places."),
        ("abc", "'abc' is not an amount."),
        ("1e13", "Must be less than 10,000,000,000,000."),
        ("NaN", "Must be an amount."),
    ],
)
def test_a_deal_value_must_be_an_amount(session, value, message):
    deal = make_deal()
    assert _fields(update_deal, deal.id, {"value": value}, ADMIN) == {"value": [message]}


def test_amounts_accept_thousands_separators(session):
    assert str(make_deal(value="1,234.5").value) == "1234.50"


# -- probability and stage --------------------------------------------------------------------


@pytest.mark.parametrize("probability", [-1, 101, 1000])
def test_probability_must_be_between_0_and_100(session, probability):
    deal = make_deal()
    assert _fields(update_deal, deal.id, {"probability": probability}, ADMIN) == {
        "probability": ["Must be between 0 and 100."]
    }


@pytest.mark.parametrize("probability", ["ten", 5.5, True])
def test_probability_must_be_a_whole_number(session, probability):
    deal = make_deal()
    assert _fields(update_deal, deal.id, {"probability": probability}, ADMIN) == {
        "probability": ["Must be a whole number."]
    }


def test_probability_limits_themselves_are_allowed(session):
    deal = make_deal()
    assert update_deal(deal.id, {"probability": 0}, ADMIN).probability == 0
    assert update_deal(deal.id, {"probability": "100"}, ADMIN).probability == 100


def test_an_unknown_stage_is_refused_listing_the_stages(session):
    deal = make_deal()
    fields = _fields(update_deal, deal.id, {"stage": "Closed"}, ADMIN)
    assert fields == {
        "stage": [
            "'Closed' is not a pipeline stage "
            "(one of: Lead, Qualified, Proposal, Negotiation, Won, Lost)."
        ]
    }


def test_moving_a_deal_takes_the_stages_probability_unless_one_is_given(session):
    deal = make_deal(stage="Lead")
    assert deal.probability == 10
    assert update_deal(deal.id, {"stage": "Proposal"}, ADMIN).probability == 50
    assert update_deal(deal.id, {"stage": "Won", "probability": 90}, ADMIN).probability == 90


def test_a_deals_contact_must_exist_and_belong_to_its_company(session):
    deal = make_deal()
    stranger = make_contact()
    assert _fields(update_deal, deal.id, {"contact_id": uuid.uuid4()}, ADMIN) == {
        "contact_id": ["No such contact."]
    }
    assert _fields(update_deal, deal.id, {"contact_id": stranger.id}, ADMIN) == {
        "contact_id": ["The contact must belong to the deal's company."]
    }


# -- tasks and notes must name an existing record ---------------------------------------------


def test_a_task_must_name_a_kind_of_record_it_can_attach_to(session):
    fields = _fields(
        create_task, {"description": "x", "entity_type": "user", "entity_id": uuid.uuid4()}, ADMIN
    )
    assert fields == {"entity_type": ["Must be one of: contact, company, deal."]}


def test_a_task_must_name_a_record_that_exists(session):
    missing = uuid.uuid4()
    fields = _fields(
        create_task, {"description": "x", "entity_type": "deal", "entity_id": missing}, ADMIN
    )
    assert fields == {"entity_id": ["No deal with this id."]}


def test_a_note_must_name_a_record_that_exists(session):
    contact = make_contact()
    # The id of a contact, but said to be a company's: no such company.
    fields = _fields(
        create_note, {"content": "x", "entity_type": "company", "entity_id": contact.id}, ADMIN
    )
    assert fields == {"entity_id": ["No company with this id."]}
    fields = _fields(
        create_note, {"content": "x", "entity_type": "contact", "entity_id": "abc"}, ADMIN
    )
    assert fields == {"entity_id": ["'abc' is not a valid id."]}


def test_a_note_cannot_be_moved_and_a_task_moves_only_to_a_record_that_exists(session):
    company = make_company()
    note = create_note({"content": "x", "entity_type": "company", "entity_id": company.id}, ADMIN)
    fields = _fields(update_note, note.id, {"entity_id": make_company().id}, ADMIN)
    assert fields == {"entity_id": ["A note cannot be moved to another record."]}
    task = create_task(
        {"description": "x", "entity_type": "company", "entity_id": company.id}, ADMIN
    )
    fields = _fields(
        update_task, task.id, {"entity_type": "deal", "entity_id": make_company().id}, ADMIN
    )
    assert fields == {"entity_id": ["No deal with this id."]}
    fields = _fields(update_task, task.id, {"entity_id": make_company().id}, ADMIN)
    assert fields == {"entity_type": ["This field is required."]}


def test_a_task_status_is_open_or_closed_and_cannot_be_cleared(session):
    company = make_company()
    task = create_task(
        {"description": "x", "entity_type": "company", "entity_id": company.id}, ADMIN
    )
    assert task.status == "open"
    assert _fields(update_task, task.id, {"status": "done"}, ADMIN) == {
        "status": ["Must be one of: open, closed."]
    }
    assert _fields(update_task, task.id, {"status": None}, ADMIN) == {
        "status": ["This field is required."]
    }


# -- custom fields ----------------------------------------------------------------------------


def _define(field_type, **extra):
    data = {
        "name": f"f_{field_type}",
        "label": field_type.title(),
        "entity_type": "contact",
        "field_type": field_type,
        **extra,
    }
    return create_definition(data, ADMIN)


@pytest.mark.parametrize(
    ("field_type", "extra", "bad", "message"),
    [
        ("text", {}, 12, "Text: Must be text."),
        ("number", {}, "twelve", "Number: 'twelve' is not a number."),
        ("number", {}, "nan", "Number: Must be a finite number."),
        ("number", {}, True, "Number: Must be a number."),
        ("date", {}, "2024-02-30", "Date: '2024-02-30' is not a date (YYYY-MM-DD)."),
        ("enum", {"enum_values": ["a", "b"]}, "c", "Enum: Must be one of: a, b."),
        ("boolean", {}, "perhaps", "Boolean: Must be yes or no."),
    ],
)
def test_custom_field_values_are_checked_against_their_type(
    session, field_type, extra, bad, message
):
    _define(field_type, **extra)
    fields = _fields(
        create_contact,
        {"first_name": "A", "last_name": "B", "custom_fields": {f"f_{field_type}": bad}},
        ADMIN,
    )
    assert fields == {f"custom_fields.f_{field_type}": [message]}


def test_custom_field_values_are_stored_in_their_type(session):
    for field_type in ("text", "number", "date", "boolean"):
        _define(field_type)
    _define("enum", enum_values=["gold", "silver"])
    contact = make_contact(
        custom_fields={
            "f_text": " hi ",
            "f_number": "12",
            "f_date": "2024-02-29",
            "f_enum": "gold",
            "f_boolean": "yes",
        }
    )
    assert get_contact(contact.id).custom_fields == {
        "f_text": "hi",
        "f_number": 12,
        "f_date": "2024-02-29",
        "f_enum": "gold",
        "f_boolean": True,
    }


def test_a_required_custom_field_must_be_given_on_create_and_cannot_be_cleared(session):
    _define("text", required=True)
    assert _fields(create_contact, {"first_name": "A", "last_name": "B"}, ADMIN) == {
        "custom_fields.f_text": ["Text is required."]
    }
    contact = make_contact(custom_fields={"f_text": "x"})
    from crm_web.contacts.services import update_contact

    # Other edits need not repeat it; clearing it is refused.
    assert update_contact(contact.id, {"first_name": "Z"}, ADMIN).custom_fields == {"f_text": "x"}
    assert _fields(update_contact, contact.id, {"custom_fields": {"f_text": ""}}, ADMIN) == {
        "custom_fields.f_text": ["Text is required."]
    }


def test_a_value_for_an_undefined_custom_field_is_refused(session):
    fields = _fields(
        create_contact,
        {"first_name": "A", "last_name": "B", "custom_fields": {"shoe_size": 42}},
        ADMIN,
    )
    assert fields == {
        "custom_fields.shoe_size": ["There is no custom field 'shoe_size' for contact records."]
    }


def test_custom_field_definitions_are_checked(session):
    fields = _fields(
        create_definition,
        {"name": "Bad Name", "label": "", "entity_type": "task", "field_type": "enum"},
        ADMIN,
    )
    assert fields == {
        "name": ["Use lower-case letters, digits and _, starting with a letter."],
        "label": ["This field is required."],
        "entity_type": ["Must be one of: contact, company, deal."],
        "enum_values": ["An enum field needs at least one value."],
    }


# -- text --------------------------------------------------------------------------------------


def test_text_is_trimmed_limited_and_free_of_nul():
    assert v.text("  Ada  ") == "Ada"
    assert v.text("é" * 255) == "é" * 255
    with pytest.raises(v.FieldError, match="at most 255 characters"):
        v.text("x" * 256)
    with pytest.raises(v.FieldError, match="NUL"):
        v.text("a\x00b")


def test_moving_a_deal_to_another_company_cannot_keep_the_old_companys_contact(session):
    company, other = make_company(), make_company(name="Other")
    contact = make_contact(company_id=company.id)
    deal = make_deal(company_id=company.id, contact_id=contact.id)
    assert _fields(update_deal, deal.id, {"company_id": other.id}, ADMIN) == {
        "company_id": ["The deal's contact works elsewhere: change or clear it too."]
    }
    moved = update_deal(deal.id, {"company_id": other.id, "contact_id": None}, ADMIN)
    assert (moved.company_id, moved.contact_id) == (other.id, None)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("acme.com", "https://acme.com"),
        ("HTTP://Acme.COM/", "http://acme.com"),
        (" https://acme.com/about?x=1 ", "https://acme.com/about?x=1"),
        ("https://acme.com:8080/x", "https://acme.com:8080/x"),
    ],
)
def test_a_website_is_an_http_url_with_scheme_and_host_normalised(typed, stored):
    assert v.url(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["ftp://acme.com", "javascript:alert(1)", "acme", "https://ac me.com", "http://u:p@acme.com"],
)
def test_anything_but_an_http_or_https_address_is_refused(typed):
    with pytest.raises(v.FieldError):
        v.url(typed)
