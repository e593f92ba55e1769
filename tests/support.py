"""Test helpers: an isolated database session per test (or per Hypothesis example), and
plain factory functions that build records through the services."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

from sqlalchemy.orm import Session, scoped_session, sessionmaker

from crm_web.core.actor import Actor
from crm_web.core.db import db

ADMIN = Actor(id="user-admin", role="admin", name="Test Admin")


@contextmanager
def isolated_session():
    """Everything done inside is rolled back at the end, even code that commits: the session
    joins an outer transaction and turns its own commits into savepoints."""
    connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint", class_=Session)
    )
    try:
        yield db.session
    finally:
        db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()


def actor(role: str = "admin") -> Actor:
    return Actor(id=f"user-{uuid.uuid4().hex[:8]}", role=role, name=f"Test {role}")


def make_company(by: Actor = ADMIN, **overrides):
    from crm_web.companies.services import create_company

    return create_company({"name": "Acme Ltd", **overrides}, by)


def make_contact(by: Actor = ADMIN, **overrides):
    from crm_web.contacts.services import create_contact

    return create_contact({"first_name": "Ada", "last_name": "Lovelace", **overrides}, by)


def make_deal(by: Actor = ADMIN, **overrides):
    from crm_web.deals.services import create_deal

    data = {"title": "Annual licence", "value": "1200.00", "stage": "Lead", **overrides}
    if "company_id" not in data:
        data["company_id"] = make_company(by).id
    return create_deal(data, by)


def make_task(entity_type: str, entity_id, by: Actor = ADMIN, **overrides):
    from crm_web.activities.services import create_task

    data = {"description": "Call back", "entity_type": entity_type, "entity_id": entity_id}
    return create_task({**data, **overrides}, by)


def make_note(entity_type: str, entity_id, by: Actor = ADMIN, **overrides):
    from crm_web.activities.services import create_note

    data = {"content": "Met at the fair", "entity_type": entity_type, "entity_id": entity_id}
    return create_note({**data, **overrides}, by)
