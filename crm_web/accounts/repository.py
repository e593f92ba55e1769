from sqlalchemy import func, select

from crm_web.accounts.models import User
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
