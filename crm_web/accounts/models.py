import uuid
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy import func
from sqlalchemy.orm import Mapped, mapped_column

from crm_web.core.actor import ROLES, Actor
from crm_web.core.audit import Audited
from crm_web.core.db import TimestampedMixin, db, uuid_pk


class User(UserMixin, Audited, TimestampedMixin, db.Model):
    """Someone who signs in. `session_version` is bumped to revoke every session they hold."""

    __tablename__ = "users"
    __audit_entity__ = "user"
    __audit_redact__ = frozenset({"password_hash"})
    __table_args__ = (
        sa.CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="role"),
        sa.Index("uq_users_email_lower", func.lower(sa.column("email")), unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(sa.String(320), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.true())
    session_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="1")
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # An IANA name ("Europe/Berlin"): times are shown in it. None until the user or their
    # browser sets it (pages show UTC meanwhile).
    time_zone: Mapped[str | None] = mapped_column(sa.String(64))

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        # The session stores id and session version: bumping the version revokes the session.
        return f"{self.id}:{self.session_version}"

    def as_actor(self) -> Actor:
        return Actor(id=str(self.id), role=self.role, name=self.name)


class LoginAttempt(db.Model):
    """A failed sign-in, kept briefly so repeated failures can be throttled per account and per
    client address. In PostgreSQL, not in process memory: every web worker sees the same count."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_email_at", "email", "attempted_at"),
        sa.Index("ix_login_attempts_address_at", "address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(always=True), primary_key=True)
    # Lower-cased as typed, whether or not such a user exists (so throttling reveals nothing).
    email: Mapped[str] = mapped_column(sa.String(320), nullable=False)
    address: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    attempted_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )
