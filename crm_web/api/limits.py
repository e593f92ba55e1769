"""The per-token rate limit: a fixed-window counter in PostgreSQL, so every worker process
(gunicorn's, the dev server's) counts against the same number. Counted on a connection of its
own and committed at once: a request that fails still counted, and no request waits on
another's transaction."""

from __future__ import annotations

import math

from flask import current_app, g
from sqlalchemy import text

from crm_web.api.problems import ApiProblem
from crm_web.core.db import db

# Requests per token per window; API_RATE_LIMIT and API_RATE_WINDOW (seconds) override them.
DEFAULT_LIMIT = 600
DEFAULT_WINDOW = 60

# One statement, one round trip, run in autocommit so it is committed at once: the count of
# this window goes up, the token's past windows go (the table holds about one row per token),
# and the commit does not wait for the WAL to reach the disk (`set_config(…, true)` is SET
# LOCAL for the statement's own transaction): the count is advice, not a record, and a crash
# may forget the last few requests' counts, never corrupt them.
_COUNT = text(
    """
    WITH slot AS (
        SELECT to_timestamp(floor(extract(epoch FROM clock_timestamp()) / :window) * :window)
            AS start,
            set_config('synchronous_commit', 'off', true) AS async_commit
    ), forget AS (
        DELETE FROM api_rate_counts
        WHERE token_id = :token AND window_start < (SELECT start FROM slot)
    )
    INSERT INTO api_rate_counts (token_id, window_start, count)
    SELECT :token, start, 1 FROM slot
    ON CONFLICT (token_id, window_start)
        DO UPDATE SET count = api_rate_counts.count + 1
    RETURNING count,
        extract(epoch FROM window_start + make_interval(secs => :window) - clock_timestamp())
    """
)


def settings() -> tuple[int, int]:
    config = current_app.config
    return (
        int(config.get("API_RATE_LIMIT", DEFAULT_LIMIT)),
        int(config.get("API_RATE_WINDOW", DEFAULT_WINDOW)),
    )


def _autocommit_engine():
    """The engine's pool in autocommit (set and reset client-side): no BEGIN, no COMMIT."""
    extensions = current_app.extensions
    if "rate_counter" not in extensions:
        extensions["rate_counter"] = db.engine.execution_options(isolation_level="AUTOCOMMIT")
    return extensions["rate_counter"]


def count_request(token_id) -> None:
    """Count this request against its token's window; 429 with Retry-After past the limit."""
    limit, window = settings()
    with _autocommit_engine().connect() as conn:
        count, left = conn.execute(_COUNT, {"token": token_id, "window": window}).one()
    retry_after = max(1, math.ceil(float(left)))
    g.api_rate = (limit, max(0, limit - count), retry_after)
    if count > limit:
        raise ApiProblem(
            429,
            "rate_limited",
            f"This token made more than {limit} requests in {window} seconds: "
            f"wait {retry_after} s (Retry-After) and try again.",
            {"Retry-After": str(retry_after), **rate_headers()},
        )


def rate_headers() -> dict:
    """RateLimit-Limit/-Remaining/-Reset of the request's window (IETF draft names)."""
    limit, remaining, reset = getattr(g, "api_rate", (None, None, None))
    if limit is None:
        return {}
    return {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(remaining),
        "RateLimit-Reset": str(reset),
    }
