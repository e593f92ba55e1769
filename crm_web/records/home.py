"""The home page's read model: where a signed-in user's day starts. It gathers the user's open
tasks overdue or due today, their open deals by stage (totals per currency) and closing soonest,
and the records they changed or opened lately, each from its area's services (one LIMITed,
index-backed query apiece; the records' names in one more).

"Opened" lives in the session (a signed cookie), not in a table: remembering a page view then
costs no write on the record pages' hot path, and a list of eight (type, id, when) triples is
small. The price is that it is per browser and forgotten at sign-out; "changed" comes from the
audit log, so it follows the user everywhere."""

from __future__ import annotations

import contextlib
import datetime as dt

from crm_web.activities.services import my_due_tasks, record_names
from crm_web.audit.services import recently_changed_by
from crm_web.core.actor import Actor
from crm_web.deals.pipeline import get_board_totals
from crm_web.deals.services import my_open_deals

DEALS_SHOWN = 5
TASKS_SHOWN = 20
RECENT_SHOWN = 8
# How stale the time of the record opened last may grow before a reopening stamps it again.
RESTAMP_AFTER = dt.timedelta(minutes=1)
RECORD_TYPES = ("contact", "company", "deal")
OPENED_KEY = "home_opened"  # session: {"user": id, "items": [[type, id, iso time], …]}
# The record pages whose visits count as "opened" (endpoint -> record type).
RECORD_PAGES = {"contacts.detail": "contact", "companies.detail": "company", "deals.detail": "deal"}


def home_page(actor: Actor, opened: list | None = None, now=None) -> dict:
    """What the home page shows `actor`; `opened` is the session's list (opened_records)."""
    now = now or dt.datetime.now(dt.UTC)
    tasks = my_due_tasks(actor, TASKS_SHOWN + 1, now)
    board = get_board_totals({"owner_id": actor.id, "status": "open"}, actor)
    stages = [c for c in board.columns if c.totals.count]
    return {
        "tasks": tasks[:TASKS_SHOWN],
        "more_tasks": len(tasks) > TASKS_SHOWN,
        "deal_stages": stages,
        "deal_totals": board.totals,
        "deals": my_open_deals(actor, DEALS_SHOWN) if stages else [],
        "recent": _recent(actor, opened or []),
    }


def _recent(actor: Actor, opened: list) -> list[dict]:
    """The records changed (audit log) or opened (session) lately, newest first, each once,
    with the name it has now; records since archived or deleted drop out."""
    seen: dict = {}
    for kind, record_id, when in recently_changed_by(actor, RECORD_TYPES, RECENT_SHOWN):
        seen[(kind, str(record_id))] = {"verb": "changed", "when": when}
    for kind, record_id, when in opened:
        when = dt.datetime.fromisoformat(when)
        item = seen.get((kind, record_id))
        if item is None or when > item["when"]:
            seen[(kind, record_id)] = {"verb": "opened", "when": when}
    if not seen:
        return []
    names = record_names(list(seen), actor)
    items = [
        {"type": kind, "id": record_id, "name": names[(kind, record_id)], **item}
        for (kind, record_id), item in seen.items()
        if (kind, record_id) in names
    ]
    items.sort(key=lambda item: item["when"], reverse=True)
    return items[:RECENT_SHOWN]


def opened_records(session, user_id) -> list:
    """The session's recently opened records of this user ([type, id, iso time] lists)."""
    stored = session.get(OPENED_KEY) or {}
    return list(stored.get("items", [])) if stored.get("user") == str(user_id) else []


def remember_opened(session, user_id, endpoint: str | None, view_args: dict | None, now=None):
    """After a record page was shown: put it first in the session's recently opened list."""
    kind = RECORD_PAGES.get(endpoint or "")
    if kind is None or not view_args:
        return
    record_id = str(next(iter(view_args.values())))
    now = now or dt.datetime.now(dt.UTC)
    items = opened_records(session, user_id)
    # The same record reopened within a minute (a reload, a page after an edit): the list
    # would read the same ("just now"), so the session stays as it is and the response
    # carries no new cookie.
    if items and items[0][:2] == [kind, record_id]:
        with contextlib.suppress(ValueError, TypeError):
            if now - dt.datetime.fromisoformat(items[0][2]) < RESTAMP_AFTER:
                return
    when = now.isoformat(timespec="seconds")
    items = [i for i in items if i[:2] != [kind, record_id]]
    session[OPENED_KEY] = {
        "user": str(user_id),
        "items": [[kind, record_id, when], *items][:RECENT_SHOWN],
    }
