"""Properties 31-38: create/read/update/delete of every kind of record, typed errors, input
validation, and values that come back from the database exactly as they went in."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from crm_web.core import validation as v
from crm_web.core.db import db, transaction
from crm_web.core.errors import (
    ConflictError,
    ConstraintViolationError,
    CRMError,
    DatabaseError,
    NotFoundError,
    ValidationError,
)
from tests import strategies as s
from tests.properties.helpers import columns
from tests.support import ADMIN, isolated_session, make_company

KINDS = ("contact", "company", "deal", "task", "note")


def _service(kind: str):
    """(create, get-or-None, update, delete) for a kind of record."""
    from crm_web.activities import repository as activities
    from crm_web.activities import services as activity_services
    from crm_web.companies import repository as companies
    from crm_web.companies import services as company_services
    from crm_web.contacts import repository as contacts
    from crm_web.contacts import services as contact_services
    from crm_web.deals import repository as deals
    from crm_web.deals import services as deal_services
    from crm_web.records import operations

    return {
        "contact": (
            contact_services.create_contact,
            contacts.get_contact,
            contact_services.update_contact,
            operations.delete_contact,
        ),
        "company": (
            company_services.create_company,
            companies.get_company,
            company_services.update_company,
            operations.delete_company,
        ),
        "deal": (
            deal_services.create_deal,
            deals.get_deal,
            deal_services.update_deal,
            operations.delete_deal,
        ),
        "task": (
            activity_services.create_task,
            activities.get_task,
            activity_services.update_task,
            activity_services.delete_task,
        ),
        "note": (
            activity_services.create_note,
            activities.get_note,
            activity_services.update_note,
            activity_services.delete_note,
        ),
    }[kind]


@st.composite
def _inputs(draw, kind: str):
    """Valid creation data for `kind`; `$company` stands for a company the test creates."""
    if kind == "contact":
        return draw(s.contact_data())[0]
    if kind == "company":
        return draw(s.company_data)
    if kind == "deal":
        return {**draw(s.deal_data()), "company_id": "$company"}
    attach = {"entity_type": "company", "entity_id": "$company"}
    if kind == "task":
        return {**draw(s.task_data()), **attach}
    return {**draw(s.note_data), **attach}


def _resolve(data: dict, company) -> dict:
    return {k: company.id if val == "$company" else val for k, val in data.items()}


def _create(kind: str, data: dict):
    """A `kind` record made through its service from `data`, with a new company for any
    "$company" reference in it."""
    return _service(kind)[0](_resolve(data, make_company()), ADMIN)


_kind_and_input = st.sampled_from(KINDS).flatmap(
    lambda kind: st.tuples(st.just(kind), _inputs(kind))
)


# Feature: core-data-models, Property 31: Repository create returns entity with ID
@settings(max_examples=100, deadline=None)
@given(st.lists(_kind_and_input, min_size=1, max_size=4))
def test_creating_any_record_returns_it_with_a_new_uuid(app_ctx, items):
    with isolated_session():
        company = make_company()
        ids = set()
        for kind, data in items:
            record = _service(kind)[0](_resolve(data, company), ADMIN)
            assert isinstance(record.id, uuid.UUID) and record.id.version == 4
            ids.add(record.id)
        assert len(ids) == len(items)


# Feature: core-data-models, Property 32: Repository read retrieves by ID
@settings(max_examples=100, deadline=None)
@given(_kind_and_input)
def test_reading_a_record_by_id_returns_it_with_every_field_intact(app_ctx, kind_and_data):
    kind, data = kind_and_data
    get = _service(kind)[1]
    with isolated_session() as session:
        expected = columns(_create(kind, data))
        session.expunge_all()
        found = get(expected["id"])
        assert found is not None and columns(found) == expected
        assert get(uuid.uuid4()) is None
        assert get("not-a-uuid") is None


_changes = {
    "contact": st.fixed_dictionaries({"last_name": s.names}),
    "company": st.fixed_dictionaries({"name": s.names, "address": s.addresses}),
    "deal": st.fixed_dictionaries({"title": s.names, "value": s.money, "stage": s.stages}),
    "task": st.fixed_dictionaries(
        {"description": s.texts(1, 50), "status": st.sampled_from(["open", "closed"])}
    ),
    "note": st.fixed_dictionaries({"content": s.texts(1, 50)}),
}


# Feature: core-data-models, Property 33: Repository update returns updated entity
@settings(max_examples=100, deadline=None)
@given(st.sampled_from(KINDS), st.data())
def test_updating_returns_the_record_with_the_new_values_and_the_same_id(app_ctx, kind, data):
    _, get, update, _ = _service(kind)
    initial = data.draw(_inputs(kind))
    change = data.draw(_changes[kind])
    with isolated_session():
        record_id = _create(kind, initial).id
        updated = update(record_id, change, ADMIN)
        assert updated.id == record_id
        for name, value in change.items():
            expected = value or None if name == "address" else value
            assert getattr(updated, name) == expected
        assert columns(get(record_id)) == columns(updated)


# Feature: core-data-models, Property 34: Repository delete removes entity
@settings(max_examples=100, deadline=None)
@given(_kind_and_input)
def test_a_deleted_record_is_not_found_any_more(app_ctx, kind_and_data):
    kind, data = kind_and_data
    _, get, _, remove = _service(kind)
    with isolated_session() as session:
        record_id = _create(kind, data).id
        remove(record_id, ADMIN)
        session.expunge_all()
        assert get(record_id) is None
        with pytest.raises(NotFoundError):
            remove(record_id, ADMIN)


_failures = st.sampled_from(
    [
        "missing-update",
        "missing-delete",
        "stale",
        "check",
        "foreign-key",
        "lock-timeout",
        "lock-timeout-read",
    ]
)


# Feature: core-data-models, Property 35: Repository error handling
@settings(max_examples=100, deadline=None)
@given(st.sampled_from(KINDS), _failures)
def test_failed_operations_raise_typed_errors_that_say_what_failed(app_ctx, kind, failure):
    create, get, update, remove = _service(kind)
    table = {
        "contact": "contacts",
        "company": "companies",
        "deal": "deals",
        "task": "tasks",
        "note": "notes",
    }[kind]
    with isolated_session() as session:
        if failure.startswith("lock-timeout"):
            # Another connection holds the table (before this session touches it); our write
            # gives up after lock_timeout.
            other = db.engine.connect()
            other.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        company = (
            make_company() if kind != "company" or not failure.startswith("lock-timeout") else None
        )
        base = (
            {
                "contact": {"first_name": "A", "last_name": "B"},
                "company": {"name": "C"},
                "deal": {"title": "D", "value": "5", "stage": "Lead", "company_id": company.id},
                "task": {"description": "T", "entity_type": "company", "entity_id": company.id},
                "note": {"content": "N", "entity_type": "company", "entity_id": company.id},
            }[kind]
            if company
            else {"name": "C"}
        )
        if failure.startswith("lock-timeout"):
            try:
                session.execute(text("SET LOCAL lock_timeout = '50ms'"))
                with pytest.raises(DatabaseError) as caught:
                    if failure == "lock-timeout-read":
                        get(uuid.uuid4())
                    else:
                        create(base, ADMIN)
            finally:
                other.rollback()
                other.close()
            assert caught.value.original is not None and caught.value.status == 503
            return
        record = create(base, ADMIN)
        record_id = record.id
        if failure == "missing-update":
            missing = uuid.uuid4()
            with pytest.raises(NotFoundError) as caught:
                update(missing, {}, ADMIN)
            assert (caught.value.entity, caught.value.entity_id) == (kind, str(missing))
            assert str(missing) in caught.value.message
        elif failure == "missing-delete":
            with pytest.raises(NotFoundError) as caught:
                remove(uuid.uuid4(), ADMIN)
        elif failure == "stale":
            update(record_id, {}, ADMIN)
            first = {"contact": "last_name", "company": "name", "deal": "title"}
            first.update(task="description", note="content")
            update(record_id, {first[kind]: "Changed"}, ADMIN, expected_version=1)
            with pytest.raises(ConflictError) as caught:
                update(record_id, {first[kind]: "Again"}, ADMIN, expected_version=1)
            assert caught.value.current.id == record_id and caught.value.current.version == 2
        else:
            attribute, bad = {
                ("check", "deal"): ("probability", 101),
                ("check", "task"): ("status", "done"),
                ("check", "note"): ("entity_type", "user"),
                ("foreign-key", "deal"): ("company_id", uuid.uuid4()),
                ("foreign-key", "contact"): ("company_id", uuid.uuid4()),
            }.get((failure, kind), ("owner_id", uuid.uuid4()))
            if not hasattr(record, attribute):
                attribute, bad = ("entity_type", "user")
            with pytest.raises(ConstraintViolationError) as caught, transaction(ADMIN):
                setattr(record, attribute, bad)
                session.flush()
            assert caught.value.field == attribute and caught.value.constraint.startswith(
                ("ck_", "fk_")
            )
        assert isinstance(caught.value, CRMError) and caught.value.message
        assert get(record_id) is not None


def _validators():
    """(name, check, valid inputs, invalid inputs)."""
    return st.sampled_from(
        [
            ("email", v.email, s.emails, s.invalid_emails),
            (
                "phone",
                lambda x: v.phone(x, "US"),
                s.phone_numbers().map(lambda p: p[0]),
                s.invalid_phones,
            ),
            ("currency", v.currency, s.currencies, s.invalid_currencies),
            ("money", v.money, s.money_inputs, s.invalid_money),
            ("date", v.date, s.date_inputs, s.invalid_dates),
            (
                "probability",
                lambda x: v.integer(x, 0, 100),
                s.probabilities,
                s.invalid_probabilities,
            ),
            ("text", v.text, s.names, st.one_of(s.too_long_names, s.texts_with_nul, st.integers())),
            ("id", v.uuid_value, st.uuids(), s.texts(1, 20)),
        ]
    )


# Feature: core-data-models, Property 36: Input validation against schemas
@settings(max_examples=100, deadline=None)
@given(_validators(), st.booleans(), st.data())
def test_validators_accept_valid_input_and_reject_invalid_input(app_ctx, validator, valid, data):
    name, check, good, bad = validator
    value = data.draw(good if valid else bad)
    if valid:
        cleaned = check(value)
        # Cleaning is idempotent: a stored value is valid input again, unchanged.
        assert check(cleaned) == cleaned
    else:
        with pytest.raises(v.FieldError) as caught:
            check(value)
        assert str(caught.value).strip()


_BAD_CONTACT = {
    "first_name": s.too_long_names,
    "last_name": s.texts_with_nul,
    "emails": st.lists(s.invalid_emails, min_size=1, max_size=2),
    "phones": st.lists(s.invalid_phones, min_size=1, max_size=2),
    "company_id": st.uuids(),
}
_BAD_DEAL = {
    "title": s.too_long_names,
    "value": s.invalid_money,
    "currency": s.invalid_currencies,
    "probability": s.invalid_probabilities,
    "stage": s.invalid_stages,
    "close_date": s.invalid_dates,
}


# Feature: core-data-models, Property 37: Validation error structure
@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["contact", "deal"]), st.data())
def test_validation_errors_name_each_bad_field_with_its_reasons(app_ctx, kind, data):
    bad_fields = _BAD_CONTACT if kind == "contact" else _BAD_DEAL
    chosen = data.draw(st.sets(st.sampled_from(sorted(bad_fields)), min_size=1))
    with isolated_session():
        company = make_company()
        good = (
            {"first_name": "A", "last_name": "B", "emails": ["a@example.com"]}
            if kind == "contact"
            else {"title": "D", "value": "1", "stage": "Lead", "company_id": company.id}
        )
        values = {name: data.draw(bad_fields[name]) for name in chosen}
        with pytest.raises(ValidationError) as caught:
            _service(kind)[0]({**good, **values}, ADMIN)
        error = caught.value
        assert set(error.fields) == chosen
        for messages in error.fields.values():
            assert isinstance(messages, list) and messages
            assert all(isinstance(m, str) and m.strip() for m in messages)
        assert error.status == 422 and error.code == "validation_failed" and error.message


# Feature: core-data-models, Property 38: Serialization type consistency
@settings(max_examples=100, deadline=None)
@given(s.deal_data(), s.contact_data(), st.data())
def test_values_come_back_from_the_database_with_the_same_types(app_ctx, deal, contact_input, data):
    from crm_web.contacts.services import create_contact
    from crm_web.custom_fields.services import create_definition
    from crm_web.deals import repository as deals
    from crm_web.deals.services import create_deal

    definitions = [
        data.draw(
            s.definition_data(entity_type="deal", field_type=kind).map(
                lambda d, kind=kind: {**d, "name": f"f_{kind}", "required": False}
            )
        )
        for kind in s.FIELD_TYPES
    ]
    custom = {}
    for definition in definitions:
        if data.draw(st.booleans()):
            custom[definition["name"]] = data.draw(s.valid_custom_values(definition))
    with isolated_session() as session:
        company = make_company()
        for definition in definitions:
            create_definition(definition, ADMIN)
        contact = create_contact({**contact_input[0], "company_id": company.id}, ADMIN)
        record = create_deal(
            {
                **deal,
                "company_id": company.id,
                "contact_id": contact.id,
                "custom_fields": {k: typed for k, (typed, _) in custom.items()},
            },
            ADMIN,
        )
        before = columns(record)
        session.expunge_all()
        after = columns(deals.get_deal(before["id"]))
        assert after == before
        assert {k: type(val) for k, val in after.items()} == {
            k: type(val) for k, val in before.items()
        }
        assert after["custom_fields"] == {k: stored for k, (_, stored) in custom.items()}
        assert isinstance(after["value"], Decimal) and after["value"].as_tuple().exponent == -2
        assert isinstance(after["created_at"], dt.datetime) and after["created_at"].tzinfo
        assert isinstance(after["id"], uuid.UUID) and isinstance(after["contact_id"], uuid.UUID)
        assert after["close_date"] is None or type(after["close_date"]) is dt.date
        for name, (_, stored) in custom.items():
            assert type(after["custom_fields"][name]) is type(stored)
