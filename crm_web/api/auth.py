"""Bearer tokens for the API: session cookies never authenticate it (so it has no CSRF surface),
and a read token's writes are refused before any service runs."""

from __future__ import annotations

from flask import g, request

from crm_web.accounts.tokens import authenticate, ensure_write_scope
from crm_web.api.problems import unauthorized
from crm_web.core.actor import Actor
from crm_web.core.security import SAFE_METHODS


def authenticate_request(probe=None) -> None:
    """Before every API call: who the token stands for, in g.api_actor (401 otherwise); with
    a `probe` (statement, params), the row it found in the same statement, in g.api_probed."""
    secret = bearer_secret(request.headers.get("Authorization", ""))
    if secret is None:
        raise unauthorized("Send a personal API token: `Authorization: Bearer <token>`.", False)
    found = authenticate(secret, probe)
    if found is None:
        raise unauthorized(
            "The token is unknown, revoked or expired, or its user is inactive.", True
        )
    g.api_actor, g.api_token, g.api_probed = found
    if request.method not in SAFE_METHODS:
        ensure_write_scope(g.api_token)


def bearer_secret(header: str) -> str | None:
    """The secret of an `Authorization: Bearer <secret>` header; None for any other."""
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    return secret if scheme.lower() == "bearer" and secret else None


def api_actor() -> Actor:
    return g.api_actor


def api_token():
    return g.api_token
