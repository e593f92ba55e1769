"""Columns are matched to fields from the header names other CRMs export, and from values."""

from __future__ import annotations

from crm_web.custom_fields.services import create_definition
from crm_web.imports.mapping import suggest
from tests.support import ADMIN


def test_outlook_google_and_hubspot_headers_are_recognised(session):
    header = [
        "Given Name",
        "Family Name",
        "E-mail Address",
        "Email 2",
        "E-mail 3 Address",
        "Business Phone",
        "Mobile Phone",
        "Job Title",
        "Account Name",
        "Contact Owner",
    ]
    assert suggest("contacts", header, []) == [
        "first_name",
        "last_name",
        "emails:1",
        "emails:2",
        "emails:3",
        "phones:1",
        "phones:2",
        "job_title",
        "company",
        "owner",
    ]
    assert suggest("companies", ["Account Name", "Account Owner"], []) == ["name", "owner"]


def test_company_headers_and_a_second_email_column(session):
    assert suggest(
        "companies", ["Organization", "Company Domain Name", "Billing City", "Zip"], []
    ) == ["name", "website", "address.city", "address.postal_code"]
    # Two columns both called "Email": the second becomes Email 2, not a second Email.
    assert suggest("contacts", ["Name", "Email", "Email"], []) == [
        "full_name",
        "emails:1",
        "emails:2",
    ]


def test_unnamed_columns_are_guessed_from_their_values(session):
    samples = [
        ["x@example.com", "+1 415 555 0100", "blue"],
        ["y@example.org", "(415) 555-0101", "red"],
    ]
    assert suggest("contacts", ["Col A", "Col B", "Col C"], samples) == ["emails:1", "phones:1", ""]


def test_a_custom_field_is_suggested_by_its_label(session):
    create_definition(
        {"entity_type": "contact", "label": "Shoe size", "name": "shoe_size", "field_type": "text"},
        ADMIN,
    )
    assert suggest("contacts", ["Shoe Size"], []) == ["cf:shoe_size"]
