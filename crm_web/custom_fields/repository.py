from sqlalchemy import bindparam, select, text

from crm_web.core.db import db
from crm_web.core.repository import get_by_id
from crm_web.custom_fields.models import CustomFieldDefinition

# The table behind each entity type that carries custom_fields.
ENTITY_TABLES = {"contact": "contacts", "company": "companies", "deal": "deals"}


def get_definition(definition_id):
    return get_by_id(CustomFieldDefinition, definition_id)


_DEFINITIONS = (  # built once (core.repository)
    select(CustomFieldDefinition)
    .where(CustomFieldDefinition.entity_type == bindparam("type"))
    .order_by(CustomFieldDefinition.created_at, CustomFieldDefinition.name)
)


def list_definitions(entity_type: str) -> list[CustomFieldDefinition]:
    return list(db.session.scalars(_DEFINITIONS, {"type": entity_type}))


def remove_key_everywhere(entity_type: str, name: str, actor_id: str) -> int:
    """Drop `name` from every record's custom_fields, and audit each change, in one statement.

    Every parameter is cast: psycopg sends str as `unknown`, and `jsonb -> unknown`, `jsonb - unknown`
    and jsonb_build_object("any") cannot pick a type for it."""
    table = ENTITY_TABLES[entity_type]
    statement = text(
        f"""
        WITH old AS (
            SELECT id, custom_fields -> CAST(:name AS text) AS removed
              FROM {table}
             WHERE custom_fields ? CAST(:name AS text)
               FOR UPDATE
        ), changed AS (
            UPDATE {table} AS t
               SET custom_fields = t.custom_fields - CAST(:name AS text),
                   updated_at = clock_timestamp(), updated_by = CAST(:actor AS text),
                   version = t.version + 1
              FROM old
             WHERE t.id = old.id
         RETURNING t.id, old.removed
        ), logged AS (
            INSERT INTO audit_logs (entity_type, entity_id, action, user_id, changes)
            SELECT CAST(:entity_type AS text), id, 'update', CAST(:actor AS text),
                   jsonb_build_object(CAST(:key AS text), jsonb_build_array(removed, NULL))
              FROM changed
        )
        SELECT count(*) FROM changed
        """  # noqa: S608 - the table name comes from ENTITY_TABLES, never from input
    )
    params = {
        "name": name,
        "key": f"custom_fields.{name}",
        "actor": actor_id,
        "entity_type": entity_type,
    }
    return db.session.execute(statement, params).scalar_one()
