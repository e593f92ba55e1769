"""Settings read from the environment and checked once, at start-up."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import phonenumbers

ENVIRONMENTS = ("development", "test", "production")


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _int_setting(environ, name: str, default: int | None, minimum: int = 1) -> int | None:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _nice_setting(environ, name: str, default: int) -> int:
    value = _int_setting(environ, name, default, minimum=0)
    if value > 19:
        raise ConfigError(f"{name} must be a niceness from 0 to 19, got {value}")
    return value


ON_WORDS, OFF_WORDS = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def _flag_setting(environ, name: str) -> bool:
    """On or off; any other word stops the app (a mistyped security flag must not mean off)."""
    raw = environ.get(name, "").strip().lower()
    if raw not in ON_WORDS + OFF_WORDS:
        raise ConfigError(f"{name} must be 1 or 0 (true/false, yes/no, on/off), got {raw!r}")
    return raw in ON_WORDS


def _origins_setting(environ, name: str) -> tuple[str, ...]:
    """Comma-separated origins (scheme://host[:port]); anything else would never match a
    browser's Origin header, so it stops the app instead of being ignored."""
    origins = []
    for raw in environ.get(name, "").split(","):
        origin = raw.strip().rstrip("/").lower()
        if not origin:
            continue
        try:
            parts = urlsplit(origin)
            parts.port  # noqa: B018 - raises ValueError for a port that is not one
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path
            or parts.query
            or parts.fragment
            or "@" in parts.netloc
        ):
            raise ConfigError(
                f"{name} must list origins such as https://crm.example.com, got {raw.strip()!r}"
            )
        origins.append(origin)
    return tuple(origins)


def database_url(raw: str, name: str = "DATABASE_URL") -> str:
    """Accept the usual postgres:// spellings and pin SQLAlchemy to psycopg 3."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    if raw.startswith("postgresql+psycopg://"):
        return raw
    raise ConfigError(f"{name} must be a PostgreSQL URL (postgresql://user:pass@host/db)")


def _development_secret(instance_path: Path) -> str:
    """A random key kept in the instance folder, so a local install's sessions survive restarts."""
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        # Written 0600 to a private file, then linked into place: never readable by others,
        # never seen half-written, and two processes starting at once share one key.
        draft = instance_path / f".secret_key.{secrets.token_hex(8)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    secret = path.read_text().strip()
    if not secret:
        raise ConfigError(f"{path} is empty: delete it and start again, or set SECRET_KEY")
    return secret


def load_settings(environ, instance_path: Path) -> dict:
    """Flask config values from environment variables; raises ConfigError with a clear message."""
    url = environ.get("DATABASE_URL", "").strip()
    env = environ.get("CRM_ENV") or ("production" if url else "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"CRM_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")

    secret = environ.get("SECRET_KEY", "").strip()
    if not secret:
        if env == "production":
            raise ConfigError(
                "SECRET_KEY is required in production: set it to a long random string "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        secret = _development_secret(instance_path)

    replica = environ.get("DATABASE_REPLICA_URL", "").strip()
    region = environ.get("CRM_DEFAULT_PHONE_REGION", "US").strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(
            f"CRM_DEFAULT_PHONE_REGION must be a region code like US or GB, got {region!r}"
        )

    return {
        "CRM_ENV": env,
        "SECRET_KEY": secret,
        "DATABASE_URL": database_url(url) if url else None,
        # A streaming standby for the read-only pages (core/replica.py); unset, none is used.
        "DATABASE_REPLICA_URL": database_url(replica, "DATABASE_REPLICA_URL") if replica else None,
        "REPLICA_MAX_LAG_S": _int_setting(environ, "CRM_REPLICA_MAX_LAG_S", 10),
        "READ_YOUR_WRITES_S": _int_setting(environ, "CRM_READ_YOUR_WRITES_S", 5),
        "DB_POOL_SIZE": _int_setting(environ, "CRM_DB_POOL_SIZE", 5),
        "STATEMENT_TIMEOUT_MS": _int_setting(environ, "CRM_STATEMENT_TIMEOUT_MS", 10_000),
        "DEFAULT_PHONE_REGION": region,
        "SESSION_COOKIE_SECURE": _flag_setting(environ, "CRM_SECURE_COOKIES"),
        "SESSION_IDLE_MINUTES": _int_setting(environ, "CRM_SESSION_IDLE_MINUTES", 480),
        # A worker silent this long is taken for dead and its running job is queued again.
        "JOBS_STALLED_SECONDS": _int_setting(environ, "CRM_JOBS_STALLED_SECONDS", 30),
        # The niceness a worker runs at, and its database backends where it may renice them
        # (jobs/priority.py): the web's requests come first. 0 leaves the priority alone.
        "JOBS_NICE": _nice_setting(environ, "CRM_JOBS_NICE", 10),
        # The largest file the import wizard takes (bytes; 200 MB is about a million rows).
        "IMPORT_MAX_BYTES": _int_setting(environ, "CRM_IMPORT_MAX_BYTES", 200 * 1024 * 1024),
        # Rows an import job commits at a time (a killed worker redoes at most one batch).
        "IMPORT_BATCH_ROWS": _int_setting(environ, "CRM_IMPORT_BATCH_ROWS", 2000),
        # The REST API's requests per token per fixed window of API_RATE_WINDOW seconds
        # (api/limits.py): an integration that must go faster gets a higher limit here.
        "API_RATE_LIMIT": _int_setting(environ, "CRM_API_RATE_LIMIT", 600),
        "API_RATE_WINDOW": _int_setting(environ, "CRM_API_RATE_WINDOW", 60),
        # Retention (the daily job in records/retention.py): unset keeps everything.
        "RETENTION_ARCHIVED_DAYS": _int_setting(environ, "CRM_RETENTION_ARCHIVED_DAYS", None),
        "RETENTION_AUDIT_DAYS": _int_setting(environ, "CRM_RETENTION_AUDIT_DAYS", None),
        # Public origins (scheme://host[:port]) accepted on unsafe requests besides the request's
        # own, e.g. https://crm.example.com when a proxy terminates TLS.
        "TRUSTED_ORIGINS": _origins_setting(environ, "CRM_TRUSTED_ORIGINS"),
    }


def settings_from_os(instance_path: Path) -> dict:
    return load_settings(os.environ, instance_path)
