"""Shared by the custom fields tests: sign in through the session, define a field."""

from __future__ import annotations

from crm_web.custom_fields.services import create_definition
from tests.support import ADMIN


def sign_in(client, role="admin"):
    from crm_web.accounts.services import create_user
    from crm_web.core.actor import SYSTEM

    data = {"email": f"{role}@example.com", "name": f"{role} user", "role": role}
    user = create_user({**data, "password": "long enough pw"}, SYSTEM)
    with client.session_transaction() as s:
        s["_user_id"] = user.get_id()
        s["_fresh"] = True
    return user


def define(entity_type, label, field_type, **extra):
    name = extra.pop("name", label.lower())
    data = {"entity_type": entity_type, "label": label, "name": name, "field_type": field_type}
    return create_definition({**data, **extra}, ADMIN)
