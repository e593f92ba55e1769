import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import UUID
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


@dataclass(frozen=True, slots=True)
class SignedInUser(UserMixin):
    """What a request needs of the signed-in user (`current_user`), read as plain columns by
    auth.load_user: no ORM object, no identity map. Services load the User when they change it."""

    id: uuid.UUID
    email: str
    name: str
    role: str
    time_zone: str | None
    last_login_at: datetime | None
    session_version: int
    # The nav badge's count (my open tasks overdue or due today), when a full page's loader
    # read it in the same statement (web.py); None otherwise.
    due_count: int | None = None
    # as_actor's answer, made on first use: a page asks a dozen times (permissions, rows).
    _actor: Actor | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def is_active(self) -> bool:
        return True  # only active users are loaded

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def as_actor(self) -> Actor:
        actor = self._actor
        if actor is None:
            zone = self.time_zone or "UTC"
            actor = Actor(id=str(self.id), role=self.role, name=self.name, time_zone=zone)
            object.__setattr__(self, "_actor", actor)  # frozen: set once, as if at creation
        return actor


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


TOKEN_SCOPES = ("read", "read_write")


class ApiToken(Audited, db.Model):
    """A personal API token (`Authorization: Bearer …`). Only the sha256 of the secret is kept:
    the secret is 32 random bytes, so a plain hash is as good as a slow one and costs nothing
    per request. Acts as its user, with that user's role, never beyond its scope."""

    __tablename__ = "api_tokens"
    __audit_entity__ = "api_token"
    __audit_redact__ = frozenset({"token_hash"})
    __table_args__ = (
        sa.CheckConstraint(f"scope IN ({', '.join(repr(s) for s in TOKEN_SCOPES)})", name="scope"),
        sa.Index("ix_api_tokens_user_id", "user_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    # The token's first characters, so its owner can tell tokens apart in the list.
    prefix: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    scope: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Written by a plain UPDATE at most once a minute (accounts.tokens), outside the audit trail.
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )
    created_by: Mapped[str] = mapped_column(sa.String(255), nullable=False)

    @property
    def read_only(self) -> bool:
        return self.scope == "read"

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= datetime.now(UTC)
