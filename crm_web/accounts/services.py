"""Users: creating them, checking passwords, and referring to them from other records."""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

from crm_web.accounts import repository as repo
from crm_web.accounts.models import User
from crm_web.core import validation as v
from crm_web.core.actor import ROLES, Actor
from crm_web.core.db import transaction
from crm_web.core.permissions import authorize

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    # werkzeug's default is scrypt: memory-hard and salted.
    return generate_password_hash(password)


def password_matches(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def _password(value) -> str:
    if not isinstance(value, str):
        raise v.FieldError("Must be text.")
    if len(value) < MIN_PASSWORD_LENGTH:
        raise v.FieldError(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if len(value) > 1024:
        raise v.FieldError("Use at most 1024 characters.")
    return value


def create_user(data: dict, actor: Actor) -> User:
    """Create a user with a role. Admins (and the system, for set-up and the CLI)."""
    authorize(actor, "users.manage")
    check = v.Checker(data)
    email = check.field("email", v.email, required=True)
    check.field("name", v.text, 255, required=True)
    check.field("role", v.choice, ROLES, required=True)
    password = check.field("password", _password, required=True)
    if email and repo.get_user_by_email(email) is not None:
        check.fail("email", "A user with this email already exists.")
    clean = check.done()
    clean.pop("password")
    with transaction(actor) as session:
        user = User(
            **clean, password_hash=hash_password(password), created_by=actor.id, updated_by=actor.id
        )
        session.add(user)
        session.flush()
    return user


def get_user(user_id) -> User | None:
    return repo.get_user(user_id)


def check_user_id(value):
    """Field check for references to a user (a record's owner)."""
    user = repo.get_user(value)
    if user is None:
        raise v.FieldError("No such user.")
    return user.id


def owner_id_for(actor: Actor):
    """New records belong to the user who creates them, when the actor is a user."""
    user = repo.get_user(actor.id)
    return user.id if user else None
