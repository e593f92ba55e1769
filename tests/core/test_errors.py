"""Every domain error type, raised the way a service raises it, says what a caller needs."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from crm_web.contacts.services import create_contact, get_contact, update_contact
from crm_web.core.actor import Actor
from crm_web.core.db import db, transaction
from crm_web.core.errors import (
    ConflictError,
    ConstraintViolationError,
    CRMError,
    DatabaseError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from crm_web.deals.services import update_deal
from tests.support import ADMIN, make_company, make_contact, make_deal

VIEWER = Actor(id="user-viewer", role="viewer")


def test_validation_error_maps_each_bad_field_to_its_messages(session):
    with pytest.raises(ValidationError) as caught:
        create_contact({"first_name": "", "last_name": "x" * 256, "emails": ["nope"]}, ADMIN)
    error = caught.value
    assert error.fields == {
        "first_name": ["This field is required."],
        "last_name": ["Must be at most 255 characters (this is 256)."],
        "emails": [error.fields["emails"][0]],
    }
    assert error.fields["emails"][0].startswith("'nope' is not a valid email address")
    assert (error.status, error.code) == (422, "validation_failed")
    assert isinstance(error, CRMError) and str(error) == error.message


def test_validation_error_copies_the_lists_it_is_given():
    messages = ["Too short."]
    error = ValidationError({"name": messages})
    messages.append("Changed later.")
    assert error.fields == {"name": ["Too short."]}


def test_reading_a_missing_record_is_not_found_naming_it(session):
    missing = uuid.uuid4()
    with pytest.raises(NotFoundError) as caught:
        get_contact(missing)
    assert (caught.value.entity, caught.value.entity_id) == ("contact", str(missing))
    assert caught.value.message == f"contact with id {missing} not found"
    assert caught.value.status == 404


def test_an_id_that_is_not_a_uuid_is_simply_not_found(session):
    with pytest.raises(NotFoundError):
        get_contact("../etc/passwd")


def test_saving_over_a_newer_version_is_a_conflict_carrying_the_current_record(session):
    contact = make_contact()
    update_contact(contact.id, {"first_name": "Grace"}, ADMIN, expected_version=1)
    with pytest.raises(ConflictError) as caught:
        update_contact(contact.id, {"first_name": "Ada"}, ADMIN, expected_version=1)
    assert caught.value.current.id == contact.id
    assert caught.value.current.first_name == "Grace" and caught.value.current.version == 2
    assert caught.value.status == 409
    assert get_contact(contact.id).first_name == "Grace"


def test_a_version_that_is_not_a_number_is_a_validation_error(session):
    contact = make_contact()
    with pytest.raises(ValidationError) as caught:
        update_contact(contact.id, {"first_name": "X"}, ADMIN, expected_version="abc")
    assert caught.value.fields == {"version": ["Must be a whole number."]}


def test_a_concurrent_write_behind_the_sessions_back_is_a_conflict_too(session):
    """The ORM's version check (not only check_version) catches a row changed meanwhile."""
    contact = make_contact()
    with pytest.raises(ConflictError), transaction(ADMIN) as tx:
        assert contact.version == 1  # what this session read
        tx.execute(
            text("UPDATE contacts SET version = version + 1 WHERE id = :id"), {"id": contact.id}
        )
        contact.first_name = "Mine"
        tx.flush()


def test_a_viewer_writing_is_permission_denied(session):
    with pytest.raises(PermissionDenied) as caught:
        create_contact({"first_name": "A", "last_name": "B"}, VIEWER)
    assert caught.value.action == "records.create" and caught.value.status == 403
    assert caught.value.message


def test_a_constraint_violation_names_the_constraint_and_the_field(session):
    deal = make_deal()
    with pytest.raises(ConstraintViolationError) as caught, transaction(ADMIN):
        deal.probability = 150
        db.session.flush()
    error = caught.value
    assert (error.constraint, error.field) == ("ck_deals_probability", "probability")
    assert error.message == "Must satisfy: probability >= 0 AND probability <= 100."
    assert error.fields == {"probability": [error.message]} and error.status == 409


def test_a_foreign_key_violation_says_which_record_is_missing(session):
    contact = make_contact()
    with pytest.raises(ConstraintViolationError) as caught, transaction(ADMIN):
        contact.company_id = uuid.uuid4()
        db.session.flush()
    assert caught.value.field == "company_id"
    assert caught.value.message == "No such record in companies."


def test_a_missing_not_null_value_names_the_column(session):
    company = make_company()
    with pytest.raises(ConstraintViolationError) as caught, transaction(ADMIN):
        company.name = None
        db.session.flush()
    assert caught.value.field == "name" and caught.value.message == "This field is required."


def test_a_duplicate_custom_field_name_is_reported_on_the_name(session):
    from crm_web.custom_fields.models import CustomFieldDefinition

    data = {"name": "tier", "label": "Tier", "entity_type": "contact", "field_type": "text"}
    with pytest.raises(ConstraintViolationError) as caught, transaction(ADMIN) as tx:
        tx.add(CustomFieldDefinition(**data, created_by="t"))
        tx.add(CustomFieldDefinition(**data, created_by="t"))
        tx.flush()
    assert caught.value.field == "name"
    assert "already exists" in caught.value.message


def test_a_statement_timeout_is_a_database_error_and_the_session_recovers(session):
    deal = make_deal()
    with pytest.raises(DatabaseError) as caught, transaction(ADMIN) as tx:
        tx.execute(text("SET LOCAL statement_timeout = '20ms'"))
        tx.execute(text("SELECT pg_sleep(5)"))
    assert caught.value.status == 503
    assert "canceling statement due to statement timeout" in str(caught.value.original)
    assert "statement timeout" not in caught.value.message  # nothing internal leaks
    # The failed transaction was rolled back; the next one works.
    update_deal(deal.id, {"title": "Still works"}, ADMIN)
    assert make_deal(title="After").title == "After"


def test_a_read_the_database_cannot_answer_is_a_database_error_too(session):
    from crm_web.contacts.services import list_contacts

    # Another connection holds the table; the read gives up after lock_timeout.
    with db.engine.connect() as other:
        other.execute(text("LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE"))
        session.execute(text("SET LOCAL lock_timeout = '50ms'"))
        with pytest.raises(DatabaseError) as caught:
            list_contacts()
        other.rollback()
    assert "lock timeout" in str(caught.value.original)
    assert caught.value.message == "The database could not complete the request."


def test_a_database_error_is_logged_with_its_cause(session, caplog):
    with pytest.raises(DatabaseError), transaction(ADMIN) as tx:
        tx.execute(text("SELECT no_such_column FROM contacts"))
    assert any(
        "no_such_column" in record.getMessage() and record.exc_info for record in caplog.records
    )
