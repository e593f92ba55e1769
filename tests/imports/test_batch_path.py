"""The batch path (check_* then insert_*: COPY into a staging table, INSERT … SELECT) makes the
very records, refusals and history the one-at-a-time services make for the same input."""

from __future__ import annotations

import dataclasses
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import event, text

from crm_web.accounts.services import set_active
from crm_web.companies import services as companies
from crm_web.contacts import services as contacts
from crm_web.core.db import db
from crm_web.core.errors import ValidationError
from crm_web.custom_fields.services import create_definition
from crm_web.imports import services as imports
from tests.support import ADMIN, make_company, make_user

RECORD_COLUMNS = {
    "contacts": "first_name, last_name, job_title, emails, phones, company_id, custom_fields, "
    "owner_id, archived_at, created_by, updated_by, version, company_sort_name, owner_sort_name",
    "companies": "name, website, phone, industry, address, custom_fields, owner_id, "
    "archived_at, created_by, updated_by, version, owner_sort_name",
}
HISTORY = "entity_type, action, user_id, changes, via, record_type, record_id"


def _row(table: str, record_id) -> tuple:
    columns = RECORD_COLUMNS[table]
    query = text(f"SELECT {columns} FROM {table} WHERE id = :id")  # noqa: S608 (constants)
    return tuple(db.session.execute(query, {"id": record_id}).one())


def _history(record_id) -> list[tuple]:
    query = text(f"SELECT {HISTORY} FROM audit_logs WHERE entity_id = :id ORDER BY seq")  # noqa: S608
    return [tuple(row) for row in db.session.execute(query, {"id": record_id})]


def _one_at_a_time(create, inputs, actor) -> list:
    results = []
    for data in inputs:
        try:
            results.append(create(data, actor).id)
        except ValidationError as exc:
            results.append(exc.fields)
    return results


def _in_a_batch(check, insert, inputs, actor) -> list:
    checked = check(inputs, actor)
    made = iter(insert([c for c in checked if isinstance(c, dict)], actor))
    return [next(made) if isinstance(c, dict) else c.fields for c in checked]


def _same_outcomes(table: str, single: list, batch: list) -> int:
    """Each input refused with the same messages, or made into the same row and history."""
    assert len(single) == len(batch)
    made = 0
    for one, other in zip(single, batch, strict=True):
        if isinstance(one, dict):
            assert other == one
            continue
        assert not isinstance(other, dict), f"the batch refused what one-at-a-time made: {other}"
        assert _row(table, other) == _row(table, one)
        assert _history(other) == _history(one)
        assert len(_history(one)) == 1
        made += 1
    return made


@pytest.fixture
def importer(session):
    user = make_user("rep")
    actor = user.as_actor()
    # History says how the records came in, as an import's does.
    return dataclasses.replace(actor, via="import:77")


def test_batch_contacts_match_contacts_made_one_at_a_time(session, importer):
    create_definition(
        {
            "name": "tier",
            "label": "Tier",
            "entity_type": "contact",
            "field_type": "enum",
            "enum_values": ["Gold", "Silver"],
        },
        ADMIN,
    )
    create_definition(
        {"name": "seats", "label": "Seats", "entity_type": "contact", "field_type": "number"},
        ADMIN,
    )
    firm = make_company(importer, name="Batch Path Firm")
    old_firm = make_company(importer, name="Batch Path Old Firm")
    companies.archive_company(old_firm.id, ADMIN)
    inputs = [
        {"first_name": " Ada ", "last_name": "Lovelace", "emails": ["Ada@Example.COM"]},
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "phones": ["(415) 555-0100", "+44 20 7946 0958"],
            "company_id": str(firm.id),
            "job_title": "Rear Admiral",
            "custom_fields": {"tier": "Gold", "seats": "12"},
        },
        {"first_name": "Alan", "last_name": "Turing", "job_title": "", "emails": []},
        {"first_name": "Bad", "last_name": "Email", "emails": ["not an email"]},
        {"first_name": "No last name"},
        {"first_name": "Bad", "last_name": "Tier", "custom_fields": {"tier": "Bronze", "x": 1}},
        {"first_name": "Bad", "last_name": "Company", "company_id": "not-a-company"},
        {"first_name": "Gone", "last_name": "Company", "company_id": str(uuid.uuid4())},
        # The same company as Grace's, spelt in capitals; and one archived, still a company.
        {"first_name": "Upper", "last_name": "Case", "company_id": str(firm.id).upper()},
        {"first_name": "Archived", "last_name": "Firm", "company_id": str(old_firm.id)},
        {
            "first_name": "Kept",
            "last_name": "Owner",
            "owner_id": importer.id,
            "custom_fields": {"seats": 3.5},
        },
    ]
    single = _one_at_a_time(contacts.create_contact, inputs, importer)
    batch = _in_a_batch(contacts.check_contacts, contacts.insert_contacts, inputs, importer)
    assert _same_outcomes("contacts", single, batch) == 6
    assert batch[7] == {"company_id": ["No such company."]}
    # What a person sees on the record: normalised email and phones, company, custom fields.
    grace = contacts.contact_view(batch[1], importer)
    assert grace.phones == ["+14155550100", "+442079460958"]
    assert grace.custom_fields == {"tier": "Gold", "seats": 12}
    assert contacts.get_contact(batch[0]).emails == ["Ada@example.com"]
    assert _history(batch[0])[0][3]["first_name"] == "Ada"
    assert _history(batch[0])[0][4] == "import:77"


def test_batch_companies_match_companies_made_one_at_a_time(session, importer):
    create_definition(
        {"name": "segment", "label": "Segment", "entity_type": "company", "field_type": "text"},
        ADMIN,
    )
    inputs = [
        {
            "name": "Initech",
            "website": "https://www.initech.example/about",
            "phone": "415 555 0100",
            "address": {"city": "Austin", "country": "US"},
            "custom_fields": {"segment": "SMB"},
        },
        {"name": "Hooli"},
        {"name": ""},
        {"name": "Bad Site", "website": "not a url at all"},
        {"name": "Bad Part", "address": {"planet": "Mars"}},
    ]
    single = _one_at_a_time(companies.create_company, inputs, importer)
    batch = _in_a_batch(companies.check_companies, companies.insert_companies, inputs, importer)
    assert _same_outcomes("companies", single, batch) == 2


def test_companies_named_by_an_import_are_matched_in_any_case_or_made_once(session, importer):
    older = make_company(importer, name="Matched Name Co")
    make_company(importer, name="matched name co")  # a younger one of the same name
    found = companies.company_ids_named(
        ["MATCHED NAME CO", "Brand New Co", " brand new co "], importer
    )
    assert found["matched name co"] == older.id
    made = companies.get_company(found["brand new co"])
    assert made.name == "Brand New Co" and made.owner_id is not None
    history = _history(made.id)
    assert [(entry[1], entry[2], entry[4]) for entry in history] == [
        ("create", importer.id, "import:77")
    ]


def test_sort_names_of_a_batch_and_of_a_contact_made_after_it_in_the_same_transaction(
    session, importer
):
    # The batch fills the sort names itself while the triggers stand aside (migration 0023);
    # a contact made by hand after it, in the same transaction, gets them from the trigger.
    firm = make_company(importer, name="Sort Name Firm")
    data = {"first_name": "In", "last_name": "Batch", "company_id": str(firm.id)}
    [batch] = contacts.insert_contacts(contacts.check_contacts([data], importer), importer)
    later = contacts.create_contact({**data, "last_name": "ByHand"}, importer)
    owner = db.session.execute(text("SELECT name FROM users WHERE id = :id"), {"id": importer.id})
    expected = ("Sort Name Firm", owner.scalar())
    query = text("SELECT company_sort_name, owner_sort_name FROM contacts WHERE id = :id")
    for record_id in (batch, later.id):
        assert tuple(db.session.execute(query, {"id": record_id}).one()) == expected
    flag = db.session.execute(text("SELECT current_setting('crm.batch_insert', true)"))
    assert flag.scalar() == "off"


def _plan(mapping: list[str]):
    header = ["Given", "Family", "Email", "Company", "Size"][: len(mapping)]
    return SimpleNamespace(id=0, kind="contacts", header=header, mapping=mapping)


def _staged(*cells: list[str]) -> list:
    return [SimpleNamespace(row_number=n, cells=c) for n, c in enumerate(cells, start=2)]


def test_checking_a_batch_with_its_rules_read_beforehand_runs_no_statement(session, importer):
    # The import job checks the next batch in a thread, beside the current batch's writes: it
    # must not touch the session (nor reload a definition a commit expired).
    create_definition(
        {"name": "size", "label": "Size", "entity_type": "contact", "field_type": "number"},
        ADMIN,
    )
    plan = _plan(["first_name", "last_name", "emails:1", "company", "cf:size"])
    rows = _staged(
        ["Ann", "Ahead", "ann@ahead.example", "Ahead Firm", "12"],
        ["Bob", "Ahead", "bob at nowhere", "", ""],
        ["Cy", "Ahead", "cy@ahead.example", "", "many"],
    )
    rules = imports.check_rules("contacts", importer)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        checked = imports.check_batch(plan, rows, importer, rules)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert statements == []
    (_, ann, _, company), (_, bob, _, _), (_, cy, _, _) = checked
    assert ann["custom_fields"] == {"size": 12} and company == "Ahead Firm"
    assert isinstance(bob, ValidationError) and "emails" in bob.fields
    assert isinstance(cy, ValidationError) and "custom_fields.size" in cy.fields


def test_a_company_only_refused_rows_name_is_not_made(session, importer):
    plan = _plan(["first_name", "last_name", "emails:1", "company"])
    rows = _staged(
        ["Ann", "Named", "ann@named.example", "Kept Firm"],
        ["Bob", "Named", "bob at nowhere", "Refused Rows Firm"],
    )
    outcomes = imports.import_batch(plan, rows, importer, {})
    assert [o["outcome"] for o in outcomes] == ["created", "refused"]
    names = text("SELECT name FROM companies WHERE name LIKE '% Firm' ORDER BY name")
    assert list(db.session.scalars(names)) == ["Kept Firm"]


def test_an_owner_column_names_users_by_email_or_name(session, importer):
    casey = make_user("rep", name="Casey Closer", email="casey@crm.example")
    make_user("rep", name="Sam Twin", email="sam1@crm.example")
    make_user("rep", name="Sam  twin", email="sam2@crm.example")
    gone = make_user("rep", name="Gone Away", email="gone@crm.example")
    set_active(gone.id, False, ADMIN)
    plan = SimpleNamespace(
        id=0,
        kind="contacts",
        header=["First", "Last", "Contact Owner"],
        mapping=["first_name", "last_name", "owner"],
    )
    rows = _staged(
        ["Ann", "Owned", "CASEY@crm.example"],
        ["Bob", "Owned", "casey   closer"],
        ["Cy", "Owned", ""],  # no owner given: the importer's, as on the form
        ["Di", "Owned", "Sam Twin"],
        ["Ed", "Owned", "nobody@crm.example"],
        ["Flo", "Owned", "Gone Away"],
    )
    rules = imports.check_rules("contacts", importer)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:  # read beforehand, as the job's thread checks a batch: no look-up per owner
        checked = imports.check_batch(plan, rows, importer, rules)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert statements == []
    owners = [c[1]["owner_id"] if isinstance(c[1], dict) else c[1].fields for c in checked]
    assert owners[:3] == [casey.id, casey.id, uuid.UUID(str(importer.id))]
    assert owners[3] == {"owner_id": ["Two users are called “Sam Twin”: give an email."]}
    assert owners[4] == {"owner_id": ["No user has the email or name “nobody@crm.example”."]}
    assert owners[5] == {"owner_id": ["No user has the email or name “Gone Away”."]}
    outcomes = imports.import_batch(plan, rows, importer, {})
    assert [(o["outcome"], o["column_name"]) for o in outcomes[3:]] == [
        ("refused", "Contact Owner")
    ] * 3
