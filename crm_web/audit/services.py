"""Reading the audit trail (writing it is the flush hook's job, in core/audit.py)."""

from crm_web.audit import repository as repo
from crm_web.audit.models import AuditLog
from crm_web.core.actor import Actor
from crm_web.core.permissions import authorize
from crm_web.lists import keyset

HISTORY_PAGE_SIZE = 50
# The cursor of every page of the audit trail, newest first: (timestamp, seq). A record's
# timeline (records/timeline.py) pages by it too, so its cursors are the History API's.
HISTORY_KEY = repo.HISTORY_KEY


def history_of_entity(entity_type: str, entity_id, limit: int = 500) -> list[AuditLog]:
    """Every recorded change to one record (the latest `limit`), oldest first."""
    return repo.history_of_entity(entity_type, entity_id, limit)


def history_page(entity_type: str, entity_id, actor: Actor, before: str | None = None) -> dict:
    """One page of a record's history as the History card shows it, newest first: `entries`,
    (entry, name of who made it or None) pairs, and `older`, the cursor of the page after it
    (None at the oldest). `before` is such a cursor; a forged one reads as the first page.
    Managers and admins (audit.read)."""
    authorize(actor, "audit.read")
    bound = keyset.decode_cursor(before, repo.HISTORY_KEY)
    rows = repo.history_page(entity_type, entity_id, bound, HISTORY_PAGE_SIZE + 1)
    entries = rows[:HISTORY_PAGE_SIZE]
    older = None
    if len(rows) > HISTORY_PAGE_SIZE:
        last = entries[-1][0]
        older = keyset.encode_cursor([last.timestamp, last.seq])
    return {"entries": entries, "older": older}


def history_of_user(user_id: str, limit: int = 500) -> list[AuditLog]:
    """Every change one user made (the latest `limit`), oldest first."""
    return repo.history_of_user(user_id, limit)


# How far back an editor looks for changes made since its page was drawn: a page older than
# this many saves of one record gets no notice rather than a slow read.
CHANGES_LOOKBACK = 100


def change_since(entity_type: str, entity_id, seen, current: int, path: tuple) -> dict | None:
    """How one field of a record changed after the version `seen` (the one a page was drawn
    from; the record is now at `current`): {"old": its value at `seen`, "new": its value now,
    "who": the name of whoever changed it last (None for a system job), "when": then}, or None
    when it did not change (or `seen` is not a version number). `path` names the field: a
    column, ("first_name",), or a key inside one, ("address", "city"), ("custom_fields", "x").
    Every save bumps the version and writes one audit row (see core/audit.py), so the changes
    since `seen` are the record's newest `current - seen` rows. The caller checks access."""
    try:
        seen = int(seen)
    except (TypeError, ValueError):
        return None
    if not 0 < seen < current:
        return None
    rows = repo.history_page(entity_type, entity_id, None, min(current - seen, CHANGES_LOOKBACK))
    touched = []
    for entry, name in rows:  # newest first
        pair = (entry.changes or {}).get(path[0]) if entry.action == "update" else None
        if pair is None:
            continue
        old, new = (_part(value, path[1:]) for value in pair)
        if old != new:
            touched.append((entry, name, old, new))
    if not touched or touched[-1][2] == touched[0][3]:
        return None  # untouched, or changed and changed back
    entry, name, _, new = touched[0]
    return {"old": touched[-1][2], "new": new, "who": name, "when": entry.timestamp}


def _part(value, keys: tuple):
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def entries_before(cutoff, after_seq, limit: int) -> list[int]:
    """The `seq`s of audit entries older than `cutoff`, a batch at a time (retention)."""
    return repo.entries_before(cutoff, after_seq, limit)


def purge_entries(seqs: list[int], actor: Actor) -> int:
    """Delete these audit entries (retention's job; the job records that it did). Admins only
    (records.purge)."""
    authorize(actor, "records.purge")
    return repo.delete_entries(seqs)


def recently_changed_by(actor: Actor, entity_types: tuple, limit: int) -> list:
    """(entity_type, entity_id, when) of the records the actor changed last, newest first (their
    home page): their own trail, so anyone signed in may read it."""
    return repo.recently_changed_by(actor.id, entity_types, limit)


def entries_via(via: str) -> list[tuple]:
    """(entry, who) of every change one operation made (its `via`, e.g. "merge:<id>"), in the
    order made. The caller checks access (undoing a merge reads its own rows)."""
    return repo.entries_via(via)


def vias_present(vias: list[str]) -> set[str]:
    """Which of these operations (`via`s) left any entry: e.g. which merges were undone."""
    return repo.vias_present(vias)
