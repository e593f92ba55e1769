"""Queries about users and failed sign-ins. Never commits."""

from sqlalchemy import delete, func, select, text

from crm_web.accounts.models import LoginAttempt, User
from crm_web.core.db import db
from crm_web.core.repository import get_by_id


def get_user(user_id) -> User | None:
    return get_by_id(User, user_id)


def get_user_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(func.lower(User.email) == email.lower())).first()


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.name, User.email)))


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def count_active_admins() -> int:
    query = select(func.count()).select_from(User).where(User.role == "admin", User.active)
    return db.session.scalar(query)


def lock(key: str) -> None:
    """A transaction-scoped advisory lock: callers using the same key run one at a time."""
    db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def count_recent_failures(*, seconds: int, email: str | None = None, address: str | None = None):
    """Failed sign-ins for this email (or from this address) in the last `seconds`, by the
    database's clock so every web worker agrees."""
    since = func.clock_timestamp() - func.make_interval(0, 0, 0, 0, 0, 0, seconds)
    query = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.attempted_at > since)
    if email is not None:
        query = query.where(LoginAttempt.email == email)
    if address is not None:
        query = query.where(LoginAttempt.address == address)
    return db.session.scalar(query)


def add_login_failure(email: str, address: str) -> None:
    db.session.add(LoginAttempt(email=email, address=address))
    # Old rows of the same keys have served their purpose; the indexes make this cheap.
    old = func.clock_timestamp() - func.make_interval(0, 0, 0, 1)
    db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.attempted_at < old)
    )
    db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.address == address, LoginAttempt.attempted_at < old)
    )


def clear_login_failures(email: str) -> None:
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
