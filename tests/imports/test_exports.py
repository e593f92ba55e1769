"""Exports: every row the list's filters and search select (not one page), every field with
custom fields as columns, and cells a spreadsheet would run as formulas neutralised."""

from __future__ import annotations

import csv
import io

import pytest

from crm_web.custom_fields.services import create_definition
from crm_web.imports.exports import neutralised
from tests.support import ADMIN, make_company, make_contact, sign_in


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_export_holds_every_filtered_row_across_pages_with_all_fields(client):
    manager = sign_in(client, "manager")
    create_definition(
        {"entity_type": "contact", "label": "Shoe size", "name": "shoe_size", "field_type": "text"},
        ADMIN,
    )
    acme = make_company(name="Exportco")
    for n in range(60):  # more than one page of the list (50)
        make_contact(
            first_name=f"Ex{n}",
            last_name="Portable",
            emails=[f"ex{n}@exportco.example", f"second{n}@exportco.example"],
            phones=["+14155550100"],
            company_id=acme.id,
            owner_id=manager.id,
            custom_fields={"shoe_size": str(40 + n % 5)},
        )
    make_contact(first_name="Other", last_name="Portable", owner_id=manager.id)
    make_contact(first_name="Ex-owner", last_name="Portable")  # someone else's

    rows = _csv(client.get(f"/exports/contacts.csv?q=portable&owner={manager.id}&has_email=1"))
    assert len(rows) == 60
    first = next(r for r in rows if r["First Name"] == "Ex0")
    assert first["Email"] == "ex0@exportco.example"
    assert first["Email 2"] == "second0@exportco.example"
    assert first["Phone"] == "+14155550100"  # a plain number is left as it is
    assert first["Company"] == "Exportco"
    assert first["Owner"] == manager.email
    assert first["Shoe size"] == "40"


def test_formulas_are_neutralised_in_the_export(client):
    sign_in(client, "manager")
    make_company(name='=HYPERLINK("http://x","click")', industry="@SUM(A1)")
    make_company(name="+cmd|' /C calc'!A0", industry="-2+3")
    rows = _csv(client.get("/exports/companies.csv"))
    names = {r["Name"] for r in rows}
    assert '\'=HYPERLINK("http://x","click")' in names
    assert "'+cmd|' /C calc'!A0" in names
    assert {r["Industry"] for r in rows} >= {"'@SUM(A1)", "'-2+3"}


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        (' "=1"', '\' "=1"'),
        ("\uff1dcmd", "'\uff1dcmd"),
        ("-5", "-5"),
        ("+14155550100", "+14155550100"),
        ("Plain text", "Plain text"),
        ("a=b", "a=b"),
    ],
)
def test_neutralised_follows_owasp_including_its_known_bypasses(value, safe):
    assert neutralised(value) == safe


def test_exporting_is_a_permission_of_its_own(client):
    sign_in(client, "viewer")
    assert client.get("/exports/contacts.csv").status_code == 403
    assert "Export all as CSV" not in client.get("/contacts/").get_data(as_text=True)
    sign_in(client, "rep")
    assert client.get("/exports/companies.csv").status_code == 403
    sign_in(client, "manager")
    page = client.get("/contacts/?q=smith").get_data(as_text=True)
    assert 'href="/exports/contacts.csv?q=smith' in page
