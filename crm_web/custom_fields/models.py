import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from crm_web.core.audit import Audited
from crm_web.core.db import db, uuid_pk

FIELD_TYPES = ("text", "number", "date", "enum", "boolean")
# The records that carry a custom_fields column.
CUSTOMISABLE_ENTITIES = ("contact", "company", "deal")


class CustomFieldDefinition(Audited, db.Model):
    __tablename__ = "custom_field_definitions"
    __audit_entity__ = "custom_field_definition"
    __table_args__ = (
        sa.CheckConstraint(
            "field_type IN ('text', 'number', 'date', 'enum', 'boolean')", name="field_type"
        ),
        sa.CheckConstraint("entity_type IN ('contact', 'company', 'deal')", name="entity_type"),
        sa.UniqueConstraint("entity_type", "name", name="uq_custom_field_definitions_entity_name"),
        sa.Index("idx_custom_fields_entity_type", "entity_type"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    label: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    entity_type: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    field_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    enum_values: Mapped[list[str] | None] = mapped_column(ARRAY(sa.Text))
    required: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )
    created_by: Mapped[str] = mapped_column(sa.String(255), nullable=False)
