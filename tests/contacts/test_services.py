import pytest

from crm_web.audit.services import history_of_entity
from crm_web.contacts.services import create_contact, get_contact, update_contact
from crm_web.core.errors import ConflictError, ValidationError
from tests.support import ADMIN, make_company, make_contact


def test_phone_typed_in_us_format_is_stored_as_e164(session):
    contact = make_contact(phones=["(415) 555-0100"], emails=["ada@example.com", "a@b.co"])
    assert get_contact(contact.id).phones == ["+14155550100"]
    assert get_contact(contact.id).emails == ["ada@example.com", "a@b.co"]


def test_bad_email_and_missing_name_are_reported_per_field_and_nothing_is_saved(session):
    from crm_web.contacts.services import list_contacts

    with pytest.raises(ValidationError) as caught:
        create_contact({"first_name": "", "last_name": "X", "emails": ["not-an-email"]}, ADMIN)
    assert set(caught.value.fields) == {"first_name", "emails"}
    assert list_contacts() == []


def test_update_records_changed_fields_in_the_audit_log(session):
    contact = make_contact(company_id=make_company().id)
    update_contact(contact.id, {"last_name": "Byron"}, ADMIN, expected_version=contact.version)
    history = history_of_entity("contact", contact.id)
    assert [row.action for row in history] == ["create", "update"]
    assert history[1].changes == {"last_name": ["Lovelace", "Byron"]}
    assert history[1].user_id == ADMIN.id


def test_stale_version_is_a_conflict_and_changes_nothing(session):
    contact = make_contact()
    update_contact(contact.id, {"last_name": "One"}, ADMIN, expected_version=1)
    with pytest.raises(ConflictError):
        update_contact(contact.id, {"last_name": "Two"}, ADMIN, expected_version=1)
    assert get_contact(contact.id).last_name == "One"
