"""Users: the first admin, signing in (throttled), passwords, roles, deactivation.

Whatever revokes a user's standing (sign-out, a password change, a new role, deactivation)
bumps `session_version`, which every request checks (auth.load_user): cookies issued before
stop working on every device."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash

from crm_web.accounts import repository as repo
from crm_web.accounts.models import User
from crm_web.core import validation as v
from crm_web.core.actor import ROLES, SYSTEM, Actor
from crm_web.core.dates import time_zone_names
from crm_web.core.db import transaction
from crm_web.core.errors import CRMError, NotFoundError, PermissionDenied, ValidationError
from crm_web.core.permissions import authorize

MIN_PASSWORD_LENGTH = 10
# The 6th wrong password for one email within a minute is refused, whoever sends it; one client
# address gets more room (an office behind one NAT), but not unlimited.
THROTTLE_SECONDS = 60
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_ADDRESS = 20
BAD_CREDENTIALS = "Email or password is incorrect."
THROTTLED = "Too many failed sign-in attempts. Wait a minute, then try again."


class SignInThrottled(CRMError):
    """Too many recent failures for this email or address; says nothing about the account."""

    status = 429
    code = "too_many_attempts"

    def __init__(self):
        self.message = THROTTLED
        super().__init__(THROTTLED)


class SetupComplete(CRMError):
    """/setup only exists while there are no users."""

    status = 404
    code = "not_found"

    def __init__(self):
        self.message = "This page does not exist."
        super().__init__(self.message)


def hash_password(password: str) -> str:
    # werkzeug's default is scrypt: memory-hard and salted. PASSWORD_HASH_METHOD is for the
    # test suite alone (scrypt's ~0.2 s of CPU a user was minutes of a run); not read from the
    # environment, so no deployment can weaken it by accident.
    config = current_app.config if has_app_context() else {}
    return generate_password_hash(password, config.get("PASSWORD_HASH_METHOD", "scrypt"))


def password_matches(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


@functools.cache
def _decoy_hash() -> str:
    return hash_password("decoy password, never valid")


def _password(value) -> str:
    if not isinstance(value, str):
        raise v.FieldError("Must be text.")
    if len(value) < MIN_PASSWORD_LENGTH:
        raise v.FieldError(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if len(value) > 1024:
        raise v.FieldError("Use at most 1024 characters.")
    return value


def _same_password(check: v.Checker, field: str, confirm_field: str) -> None:
    if check.data.get(field) and check.data.get(confirm_field) != check.data.get(field):
        check.fail(confirm_field, "The two passwords differ.")


def create_user(data: dict, actor: Actor) -> User:
    """Create a user with a role. Admins (and the system, for set-up and the CLI)."""
    authorize(actor, "users.manage")
    check = v.Checker(data)
    email = check.field("email", v.email, required=True)
    check.field("name", v.text, 255, required=True)
    check.field("role", v.choice, ROLES, required=True)
    password = check.field("password", _password, required=True)
    if "password_confirm" in data:
        _same_password(check, "password", "password_confirm")
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


def setup_needed() -> bool:
    """True while nobody can sign in yet: the first visitor may create the admin."""
    return repo.count_users() == 0


def create_first_admin(data: dict) -> User:
    """First run only: create the admin account. Anyone, but only while no user exists."""
    with transaction(SYSTEM):
        # Two visitors submitting at once: the second waits, then finds a user and gets 404.
        repo.lock("accounts.setup")
        if not setup_needed():
            raise SetupComplete()
        return create_user({**data, "role": "admin"}, SYSTEM)


def sign_in(data: dict, address: str) -> User:
    """Check an email and password. The same message whether the email exists or not; too many
    recent failures for the email or the address refuse even a correct password (429)."""
    email = (data.get("email") or "").strip().lower()[:320]
    password = data.get("password") or ""
    missing = {f: ["This field is required."] for f in ("email", "password") if not data.get(f)}
    if missing:
        raise ValidationError(missing)
    failed = False
    with transaction(SYSTEM):
        # One attempt per email at a time, so parallel guesses cannot slip past the count.
        repo.lock(f"sign-in:{email}")
        if (
            repo.count_recent_failures(seconds=THROTTLE_SECONDS, email=email)
            >= MAX_FAILURES_PER_EMAIL
            or repo.count_recent_failures(seconds=THROTTLE_SECONDS, address=address)
            >= MAX_FAILURES_PER_ADDRESS
        ):
            raise SignInThrottled()
        user = repo.get_user_by_email(email)
        if user is None:
            check_password_hash(_decoy_hash(), password)  # same time as a wrong password
        if user is None or not user.active or not password_matches(user, password):
            repo.add_login_failure(email, address)
            failed = True
    if failed:
        raise ValidationError({}, BAD_CREDENTIALS)
    with transaction(user.as_actor()):
        user.last_login_at = datetime.now(UTC)
        repo.clear_login_failures(email)
    return user


def _bump_sessions(user: User) -> None:
    user.session_version = (user.session_version or 0) + 1


def _change_signing_out(user: User, actor: Actor, **changes) -> User:
    """Write changes to a user's account and end their sessions, in one transaction."""
    with transaction(actor):
        for name, value in changes.items():
            setattr(user, name, value)
        user.updated_by = actor.id
        _bump_sessions(user)
    return user


def sign_out(actor: Actor) -> None:
    """End every session of the signed-in user (a copied cookie stops working too)."""
    user = repo.get_user(actor.id)
    if user is None:
        return
    with transaction(actor):
        _bump_sessions(user)


def change_own_password(data: dict, actor: Actor) -> User:
    """Change the actor's password; needs the current one. Other sessions end."""
    user = _own_user(actor)
    check = v.Checker(data)
    current = check.field("current_password", str, required=True)
    password = check.field("new_password", _password, required=True)
    _same_password(check, "new_password", "confirm_password")
    if current and not password_matches(user, current):
        check.fail("current_password", "That is not your current password.")
    check.done()
    return _change_signing_out(user, actor, password_hash=hash_password(password))


def _time_zone(value) -> str:
    if not isinstance(value, str) or value not in time_zone_names():
        raise v.FieldError("Choose a time zone from the list (e.g. Europe/Berlin).")
    return value


def time_zone_choices() -> list[str]:
    """The zones a user may choose, sorted (Africa/Abidjan … UTC, Zulu)."""
    return sorted(time_zone_names())


def set_time_zone(data: dict, actor: Actor, *, only_if_unset: bool = False) -> User:
    """Set the actor's time zone (an IANA name). `only_if_unset`: the browser's guess, which
    never overrides a zone already stored (chosen on the profile, or sent by another tab)."""
    user = _own_user(actor)
    check = v.Checker(data)
    name = check.field("time_zone", _time_zone, required=True)
    check.done()
    if name == user.time_zone or (only_if_unset and user.time_zone):
        return user
    with transaction(actor):
        user.time_zone = name
        user.updated_by = actor.id
    return user


def _own_user(actor: Actor) -> User:
    """The acting user's own account, for a change to their profile."""
    authorize(actor, "profile.update")
    user = repo.get_user(actor.id)
    if user is None:
        raise NotFoundError("user", actor.id)
    return user


def _managed_user(user_id, actor: Actor) -> User:
    authorize(actor, "users.manage")
    user = repo.get_user(user_id)
    if user is None:
        raise NotFoundError("user", user_id)
    return user


def _keep_an_admin(user: User, field: str) -> None:
    """Nobody could manage users any more: refuse to demote or deactivate the last admin."""
    if user.role == "admin" and user.active and repo.count_active_admins() <= 1:
        message = "This is the only active admin; make someone else admin first."
        raise ValidationError({field: [message]}, message)


def change_role(user_id, data: dict, actor: Actor) -> User:
    """Give a user another role; their sessions end. Admins."""
    user = _managed_user(user_id, actor)
    check = v.Checker(data)
    role = check.field("role", v.choice, ROLES, required=True)
    check.done()
    if role == user.role:
        return user
    _keep_an_admin(user, "role")
    return _change_signing_out(user, actor, role=role)


def set_active(user_id, active: bool, actor: Actor) -> User:
    """Deactivate (sessions end, sign-in refused) or reactivate a user. Admins; not themselves."""
    user = _managed_user(user_id, actor)
    if not active and str(user.id) == actor.id:
        raise PermissionDenied("users.manage", "You cannot deactivate your own account.")
    if user.active == active:
        return user
    if not active:
        _keep_an_admin(user, "active")
    return _change_signing_out(user, actor, active=active)


def reset_password(user_id, data: dict, actor: Actor) -> User:
    """Set a new password for someone who lost theirs; their sessions end. Admins."""
    user = _managed_user(user_id, actor)
    check = v.Checker(data)
    password = check.field("password", _password, required=True)
    check.done()
    return _change_signing_out(user, actor, password_hash=hash_password(password))


def list_users(actor: Actor) -> list[User]:
    """Every user, for the admin page. Admins."""
    authorize(actor, "users.manage")
    return repo.list_users()


def get_user(user_id) -> User | None:
    return repo.get_user(user_id)


signed_in_query = repo.signed_in_query
get_signed_in_user = repo.get_signed_in_user
get_signed_in_row = repo.get_signed_in_row


def get_user_by_email(email: str) -> User | None:
    return repo.get_user_by_email(email)


def active_users() -> list:
    """(id, name) of the users who can sign in, by name, for owner pickers and filters."""
    return repo.active_users()


def users_by_email_or_name() -> dict:
    """The users who can sign in by lower-cased email and by lower-cased name, as an import's
    owner column names them: {key: id}; a name two users share maps to None (ambiguous)."""
    users = repo.active_user_keys()
    found: dict = {}
    for user in users:
        name = " ".join(user.name.split()).lower()
        found[name] = None if name in found else user.id
    found.update({user.email.lower(): user.id for user in users})
    return found


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
