"""Properties 18-22: custom field definitions, typed values, and deleting a definition."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_web.audit.services import history_of_entity
from crm_web.core.errors import ValidationError
from crm_web.custom_fields.services import create_definition, delete_definition, list_definitions
from tests import strategies as s
from tests.properties.helpers import get_entity, make_entity, update_entity
from tests.support import ADMIN, isolated_session


# Feature: core-data-models, Property 18: Custom field definition persistence
@settings(max_examples=100, deadline=None)
@given(s.definition_data())
def test_a_custom_field_definition_is_listed_for_its_entity_type(app_ctx, data):
    with isolated_session() as session:
        definition = create_definition(data, ADMIN)
        definition_id = definition.id
        session.expunge_all()
        listed = {d.id: d for d in list_definitions(data["entity_type"])}
        assert definition_id in listed
        stored = listed[definition_id]
        assert stored.name == data["name"]
        assert stored.label == data["label"]
        assert stored.field_type == data["field_type"]
        assert stored.required == data["required"]
        assert stored.enum_values == data.get("enum_values")
        for other in set(s.ENTITY_TYPES) - {data["entity_type"]}:
            assert definition_id not in {d.id for d in list_definitions(other)}


# Feature: core-data-models, Property 19: Custom field type validation
@settings(max_examples=100, deadline=None)
@given(st.data())
def test_custom_field_values_of_the_wrong_type_are_refused_and_right_ones_accepted(app_ctx, data):
    definition = data.draw(s.definition_data())
    typed, stored = data.draw(s.valid_custom_values(definition))
    bad = data.draw(s.invalid_custom_values(definition))
    entity_type, name = definition["entity_type"], definition["name"]
    with isolated_session():
        create_definition(definition, ADMIN)
        entity = make_entity(entity_type, custom_fields={name: typed})
        assert entity.custom_fields[name] == stored
        with pytest.raises(ValidationError) as caught:
            update_entity(entity_type, entity.id, {"custom_fields": {name: bad}})
        assert list(caught.value.fields) == [f"custom_fields.{name}"]
        (message,) = caught.value.fields[f"custom_fields.{name}"]
        assert (
            message.startswith(definition["label"] + ": ")
            and len(message) > len(definition["label"]) + 2
        )
        assert get_entity(entity_type, entity.id).custom_fields == {name: stored}


# Feature: core-data-models, Property 20: Custom field value persistence
@settings(max_examples=100, deadline=None)
@given(st.data())
def test_a_valid_custom_field_value_is_stored_with_the_record(app_ctx, data):
    definition = data.draw(s.definition_data())
    definition["required"] = False
    typed, stored = data.draw(s.valid_custom_values(definition))
    entity_type, name = definition["entity_type"], definition["name"]
    with isolated_session() as session:
        create_definition(definition, ADMIN)
        entity = make_entity(entity_type)
        entity_id = entity.id
        update_entity(entity_type, entity_id, {"custom_fields": {name: typed}})
        session.expunge_all()
        value = get_entity(entity_type, entity_id).custom_fields[name]
        assert value == stored
        assert type(value) is type(stored)


# Feature: core-data-models, Property 21: Custom field retrieval completeness
@settings(max_examples=100, deadline=None)
@given(st.sampled_from(s.ENTITY_TYPES), st.data())
def test_a_record_carries_every_custom_field_value_it_was_given(app_ctx, entity_type, data):
    definitions = data.draw(
        st.lists(
            s.definition_data(entity_type=entity_type),
            min_size=1,
            max_size=5,
            unique_by=lambda d: d["name"],
        )
    )
    values, expected = {}, {}
    for definition in definitions:
        if definition["required"] or data.draw(st.booleans()):
            typed, stored = data.draw(s.valid_custom_values(definition))
            values[definition["name"]] = typed
            expected[definition["name"]] = stored
    with isolated_session() as session:
        for definition in definitions:
            create_definition(definition, ADMIN)
        entity_id = make_entity(entity_type, custom_fields=values).id
        session.expunge_all()
        assert get_entity(entity_type, entity_id).custom_fields == expected


# Feature: core-data-models, Property 22: Custom field definition deletion cascade
@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(s.ENTITY_TYPES),
    st.lists(st.sampled_from(["both", "doomed", "kept", "none"]), max_size=5),
    st.data(),
)
def test_deleting_a_definition_removes_its_values_from_every_record(
    app_ctx, entity_type, plan, data
):
    doomed = data.draw(s.definition_data(entity_type=entity_type))
    kept = data.draw(
        s.definition_data(entity_type=entity_type).filter(lambda d: d["name"] != doomed["name"])
    )
    doomed["required"] = kept["required"] = False
    # The same name on another kind of record is another field, and must survive.
    elsewhere_type = next(t for t in s.ENTITY_TYPES if t != entity_type)
    elsewhere = {**doomed, "entity_type": elsewhere_type}
    with isolated_session() as session:
        doomed_id = create_definition(doomed, ADMIN).id
        create_definition(kept, ADMIN)
        create_definition(elsewhere, ADMIN)
        records, expected, holders = [], {}, set()
        for what in plan:
            values = {}
            if what in ("both", "doomed"):
                values[doomed["name"]] = data.draw(s.valid_custom_values(doomed))[0]
            if what in ("both", "kept"):
                typed, stored = data.draw(s.valid_custom_values(kept))
                values[kept["name"]] = typed
            record = make_entity(entity_type, custom_fields=values)
            records.append(record.id)
            expected[record.id] = {kept["name"]: stored} if what in ("both", "kept") else {}
            if what in ("both", "doomed"):
                holders.add(record.id)
        other_value = data.draw(s.valid_custom_values(elsewhere))
        other_id = make_entity(elsewhere_type, custom_fields={doomed["name"]: other_value[0]}).id

        assert delete_definition(doomed_id, ADMIN) == len(holders)
        session.expunge_all()

        for record_id in records:
            assert get_entity(entity_type, record_id).custom_fields == expected[record_id]
            updates = [
                row for row in history_of_entity(entity_type, record_id) if row.action == "update"
            ]
            assert len(updates) == (1 if record_id in holders else 0)
            assert all(row.user_id == ADMIN.id for row in updates)
        assert doomed["name"] not in {d.name for d in list_definitions(entity_type)}
        assert get_entity(elsewhere_type, other_id).custom_fields == {
            doomed["name"]: other_value[1]
        }
