"""The per-token rate limit: a fixed-window counter in PostgreSQL, so every worker process
(gunicorn's, the dev server's) counts against the same number. A process adds its requests to
the shared count in batches (`_Window`): far from the limit one statement every `batch` calls
instead of one a call; near it (and for limits under 100) every call, so the count is exact
where it decides. A token may pass its limit by at most 1 % per other process. Counted on an
autocommit connection, committed at once: a request that fails still counted, and no request
waits on another's transaction."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from flask import current_app, g
from sqlalchemy import text

from crm_web.api.problems import ApiProblem
from crm_web.core.db import db

# One statement, one round trip (adding a batch of this process's requests), run in autocommit so it is committed at once: the count of
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
    SELECT :token, start, :requests FROM slot
    ON CONFLICT (token_id, window_start)
        DO UPDATE SET count = api_rate_counts.count + EXCLUDED.count
    RETURNING count,
        extract(epoch FROM window_start + make_interval(secs => :window) - clock_timestamp())
    """
)


def settings(config) -> tuple[int, int]:
    """(limit, window): requests per token per window of seconds, from an app's `config`
    (CRM_API_RATE_LIMIT and CRM_API_RATE_WINDOW, crm_web/config.py)."""
    return int(config["API_RATE_LIMIT"]), int(config["API_RATE_WINDOW"])


def counter_engine():
    """The engine's pool in autocommit (set and reset client-side): no BEGIN, no COMMIT."""
    extensions = current_app.extensions
    if "rate_counter" not in extensions:
        extensions["rate_counter"] = db.engine.execution_options(isolation_level="AUTOCOMMIT")
    return extensions["rate_counter"]


# A batch is at most this share of the limit, and at most MAX_BATCH requests.
BATCH_SHARE = 100
MAX_BATCH = 50


@dataclass
class _Window:
    """One token's current window as this process knows it: the shared count when it last
    added to it, the requests counted here since, and when the window ends (monotonic)."""

    shared: int
    pending: int
    ends: float


_windows: dict = {}
_windows_lock = threading.Lock()  # `flask run` serves in threads


def _batch(limit: int) -> int:
    return max(1, min(MAX_BATCH, limit // BATCH_SHARE))


def _count_locally(token_id, limit: int) -> _Window | None:
    """This request counted in the process's batch; None when the shared count must be added
    to now (a new window, a full batch, or near the limit)."""
    batch = _batch(limit)
    with _windows_lock:
        known = _windows.get(token_id)
        if known is None or time.monotonic() >= known.ends:
            return None
        if known.pending + 1 >= batch or known.shared + known.pending + batch > limit:
            return None
        known.pending += 1
        return known


def _add_to_shared(token_id, window: int, engine) -> tuple[int, float]:
    """Add this request and the batch waiting in this process to the shared count: (count,
    seconds left in the window)."""
    with _windows_lock:
        known = _windows.pop(token_id, None)
    waiting = known.pending if known and time.monotonic() < known.ends else 0
    params = {"token": token_id, "window": window, "requests": waiting + 1}
    with engine.connect() as conn:
        count, left = conn.execute(_COUNT, params).one()
    left = float(left)
    with _windows_lock:
        if len(_windows) > 10_000:  # tokens gone quiet
            now = time.monotonic()
            for key in [k for k, w in _windows.items() if w.ends <= now]:
                del _windows[key]
        _windows[token_id] = _Window(count, 0, time.monotonic() + left)
    return count, left


def count_request(token_id) -> None:
    """Count this request against its token's window; 429 with Retry-After past the limit."""
    limit, window = settings(current_app.config)
    limit, left, retry_after = count(token_id, limit, window, counter_engine())
    g.api_rate = (limit, max(0, left), retry_after)
    if left < 0:
        raise ApiProblem(
            429,
            "rate_limited",
            f"This token made more than {limit} requests in {window} seconds: "
            f"wait {retry_after} s (Retry-After) and try again.",
            {"Retry-After": str(retry_after), **rate_headers()},
        )


def count(token_id, limit: int, window: int, engine) -> tuple[int, int, int]:
    """Count a request of the token (on `engine`, autocommit, when the shared count is due; no
    app context needed): (limit, requests left, seconds to the window's end), fewer than none
    left past the limit."""
    known = _count_locally(token_id, limit)
    if known is not None:
        counted, left = known.shared + known.pending, known.ends - time.monotonic()
    else:
        counted, left = _add_to_shared(token_id, window, engine)
    return limit, limit - counted, max(1, math.ceil(left))


def rate_headers() -> dict:
    """RateLimit-Limit/-Remaining/-Reset of the request's window (IETF draft names)."""
    return headers(*getattr(g, "api_rate", (None, None, None)))


def headers(limit, remaining, reset) -> dict:
    """rate_headers of a count (`count`'s answer)."""
    if limit is None:
        return {}
    return {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(remaining),
        "RateLimit-Reset": str(reset),
    }
