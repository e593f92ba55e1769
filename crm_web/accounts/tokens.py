"""Personal API tokens: made on the profile page or by `crm create-token`, shown once, kept as
a sha256, revoked by their owner or an admin. A token acts as its user with the user's role and
never beyond its scope; a deactivated user's tokens stop working at once (checked per call)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from crm_web.accounts import repository as repo
from crm_web.accounts.models import TOKEN_SCOPES, ApiToken, User
from crm_web.core import validation as v
from crm_web.core.actor import Actor
from crm_web.core.db import db, transaction
from crm_web.core.errors import NotFoundError, PermissionDenied
from crm_web.core.permissions import allowed, authorize

PREFIX = "crm_"
# Last-used stamps are written at most this often per token (one UPDATE a minute, not a call).
TOUCH_EVERY = timedelta(minutes=1)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _expiry(value):
    """A date (the token works until the end of that day, UTC) or nothing; never in the past."""
    if isinstance(value, datetime):
        when = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        day = v.date(value)
        when = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    if when <= datetime.now(UTC):
        raise v.FieldError("Choose a date in the future.")
    return when


def create_token(data: dict, actor: Actor, user: User | None = None) -> tuple[ApiToken, str]:
    """A new token for the actor (or, for admins, for `user`): (token, secret). The secret is
    returned this once and never stored. Everyone, for themselves."""
    authorize(actor, "profile.update")
    owner = user or repo.get_user(actor.id)
    if owner is None:
        raise NotFoundError("user", actor.id)
    if str(owner.id) != actor.id:
        authorize(actor, "users.manage")
    check = v.Checker(data)
    name = check.field("name", v.text, 100, required=True)
    scope = check.field("scope", v.choice, TOKEN_SCOPES) or "read_write"
    expires_at = check.field("expires_at", _expiry)
    check.done()
    secret = PREFIX + secrets.token_urlsafe(32)
    with transaction(actor) as session:
        token = ApiToken(
            user_id=owner.id,
            name=name,
            token_hash=hash_token(secret),
            prefix=secret[: len(PREFIX) + 6],
            scope=scope,
            expires_at=expires_at,
            created_by=actor.id,
        )
        session.add(token)
        session.flush()
    return token, secret


def tokens_of(actor: Actor) -> list[ApiToken]:
    """The actor's own tokens, newest first, revoked ones included (their list says so)."""
    return repo.tokens_of_user(actor.id)


def live_tokens(actor: Actor) -> list:
    """(token, owner name) of every other user's usable or expired token, for the admin's
    profile page (their own are listed above it). Admins."""
    authorize(actor, "users.manage")
    return repo.live_tokens(actor.id)


def revoke_token(token_id, actor: Actor) -> ApiToken:
    """Revoke a token: its owner, or an admin. It gets 401 from its next call on."""
    token = repo.get_token(token_id, for_update=True)
    if token is None:
        raise NotFoundError("token", token_id)
    if str(token.user_id) != actor.id and not allowed(actor, "users.manage"):
        # Another user's token is not for this actor to see, let alone revoke.
        raise NotFoundError("token", token_id)
    if token.revoked_at is not None:
        return token
    with transaction(actor) as session:
        token.revoked_at = datetime.now(UTC)
        session.flush()
    return token


@dataclass(frozen=True)
class TokenGrant:
    """What an API call knows of its token: read from one row, not an ORM object."""

    id: uuid.UUID
    name: str
    scope: str
    expires_at: datetime | None

    @property
    def read_only(self) -> bool:
        return self.scope == "read"


def authenticate(secret: str, probe=None) -> tuple[Actor, TokenGrant, object] | None:
    """The actor a bearer secret stands for, its token and, when `probe` is given (a statement
    built once and its parameters: an API read that needs no more than the record's row), the
    row it found in the same statement (a namespace of its columns; None when it found none).
    None when the token is unknown, revoked, expired or its user deactivated. Stamps last use
    (at most once a minute)."""
    if not _plausible(secret):
        return None
    if probe is None:
        row = repo.live_token(hash_token(secret))
    else:
        row = repo.live_token_with(hash_token(secret), *probe)
    if row is None:
        return None
    if _touch_due(row):
        repo.touch_token(row.id)
        db.session.commit()
    return _granted(row)


def authenticate_on(kept, secret: str, probe) -> tuple[Actor, TokenGrant, object] | None:
    """authenticate with a `probe`, outside any request: its statement on `kept` (a
    core.db.KeptConnection). It writes nothing: None too when the token's last-use stamp is
    due (authenticate writes it)."""
    if not _plausible(secret):
        return None
    row = repo.live_token_with_on(kept, hash_token(secret), *probe)
    if row is None or _touch_due(row):
        return None
    return _granted(row)


def _plausible(secret: str) -> bool:
    return secret.startswith(PREFIX) and len(secret) <= 200


def _touch_due(row) -> bool:
    return row.last_used_at is None or datetime.now(UTC) - row.last_used_at >= TOUCH_EVERY


def _granted(row) -> tuple[Actor, TokenGrant, object]:
    """What a live_token(_with) row grants: the actor, the token, the probe's row."""
    actor = Actor(id=str(row.user_id), role=row.role, name=row.user_name, via=f"api:{row.id}")
    return actor, TokenGrant(row.id, row.name, row.scope, row.expires_at), _probed(row)


def _probed(row):
    """The probe's columns of a live_token_with row, without their prefix; None without one."""
    found = getattr(row, repo.PROBE_PREFIX + "probe_found", None)
    if not found:
        return None
    cut = len(repo.PROBE_PREFIX)
    return SimpleNamespace(
        **{k[cut:]: v for k, v in row._asdict().items() if k.startswith(repo.PROBE_PREFIX)}
    )


def ensure_write_scope(token: TokenGrant) -> None:
    """A read token may read only, whatever its user's role."""
    if token.read_only:
        raise PermissionDenied("api.write", "This token is read-only.")
