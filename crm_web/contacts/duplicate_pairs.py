"""Likely duplicate contacts, found in the background (issue 14) and listed on /duplicates.

Two live contacts are a likely pair when they share an email (in any case), a phone, or have a
very similar name (pg_trgm similarity) at the same company. Everything is set-based SQL: the
full scan groups the unnested emails and phones of all contacts (a hash join per key, not
pairwise Python) and compares names only within a company; a recheck starts from the changed
contacts and reaches the others through the GIN indexes on emails and phones and the company
index. A trigger (migration 0018) queues every changed contact in duplicate_rechecks, in the
same transaction as the change; the `duplicates_recheck` job (every minute) takes them.

Score, best first: a shared email 1.0, a shared phone 0.9, a similar name 0.5 + 0.4 ×
similarity; each further reason adds 0.05. A dismissal ("not a duplicate") is remembered: the
scan never reopens it."""

from __future__ import annotations

import time
import uuid

import sqlalchemy as sa

from crm_web.contacts.models import Contact, DuplicatePair
from crm_web.core.actor import SYSTEM, Actor
from crm_web.core.db import db, transaction
from crm_web.core.errors import NotFoundError
from crm_web.core.permissions import authorize
from crm_web.core.repository import as_uuid
from crm_web.jobs.queue import job

# Names at least this similar (pg_trgm, 0..1) at the same company make a pair.
NAME_SIMILARITY = 0.6
# An email or phone held by more contacts than this is a shared mailbox or switchboard
# (info@, the front desk), not one person twice: it makes no pairs.
SHARED_KEY_CAP = 20
# A company with more contacts than this has its names compared by the recheck only.
COMPANY_CAP = 500
RECHECK_BATCH = 500
# A run stops after this long (the next minute's goes on): a worker told to stop waits for the
# job in hand, and an import of many rows queues them all.
RECHECK_JOB_SECONDS = 10.0

_NAME = "lower(first_name || ' ' || last_name)"
_NAME_OF_O = "lower(o.first_name || ' ' || o.last_name)"

_PAIRS = """
SELECT least(one, other) AS a, greatest(one, other) AS b,
       array_agg(DISTINCT reason ORDER BY reason) AS reasons,
       max(score) + 0.05 * (count(DISTINCT reason) - 1) AS score
FROM found GROUP BY 1, 2
"""

_UPSERT = """
INSERT INTO duplicate_pairs (contact_a, contact_b, reasons, score, found_at)
SELECT a, b, reasons, score, now() FROM pairs
ON CONFLICT (contact_a, contact_b) DO UPDATE
SET reasons = EXCLUDED.reasons, score = EXCLUDED.score, found_at = EXCLUDED.found_at
"""

# Built from the constants above only (no input): the pairs and upsert shared by both queries.
SCAN_SQL = f"""
WITH live AS MATERIALIZED (
  SELECT id, emails, phones, company_id, {_NAME} AS name FROM contacts WHERE archived_at IS NULL
), email_keys AS MATERIALIZED (
  SELECT DISTINCT id, lower(e) AS key FROM live, unnest(emails) AS e
), phone_keys AS MATERIALIZED (
  SELECT DISTINCT id, p AS key FROM live, unnest(phones) AS p
), small_companies AS (
  SELECT company_id FROM live WHERE company_id IS NOT NULL
  GROUP BY company_id HAVING count(*) BETWEEN 2 AND :company_cap
), found AS (
  SELECT x.id AS one, y.id AS other, 'email' AS reason, 1.0::float AS score
  FROM email_keys x JOIN email_keys y ON x.key = y.key AND x.id < y.id
  WHERE x.key IN (SELECT key FROM email_keys GROUP BY key HAVING count(*) BETWEEN 2 AND :cap)
  UNION ALL
  SELECT x.id, y.id, 'phone', 0.9
  FROM phone_keys x JOIN phone_keys y ON x.key = y.key AND x.id < y.id
  WHERE x.key IN (SELECT key FROM phone_keys GROUP BY key HAVING count(*) BETWEEN 2 AND :cap)
  UNION ALL
  SELECT x.id, y.id, 'name', 0.5 + 0.4 * similarity(x.name, y.name)
  FROM live x JOIN live y ON x.company_id = y.company_id AND x.id < y.id
  WHERE x.company_id IN (SELECT company_id FROM small_companies)
    AND similarity(x.name, y.name) >= :similarity
), pairs AS ({_PAIRS})
{_UPSERT}
"""  # noqa: S608

RECHECK_SQL = f"""
WITH changed AS (
  SELECT id, emails, phones, company_id, {_NAME} AS name
  FROM contacts WHERE id = ANY(:ids) AND archived_at IS NULL
), found AS (
  SELECT c.id AS one, o.id AS other, 'email' AS reason, 1.0::float AS score
  FROM changed c JOIN contacts o
    ON crm_lower_emails(o.emails) && crm_lower_emails(c.emails)
   AND o.id <> c.id AND o.archived_at IS NULL
  UNION ALL
  SELECT c.id, o.id, 'phone', 0.9
  FROM changed c JOIN contacts o
    ON o.phones && c.phones AND o.id <> c.id AND o.archived_at IS NULL
  UNION ALL
  SELECT c.id, o.id, 'name', 0.5 + 0.4 * similarity(c.name, {_NAME_OF_O})
  FROM changed c JOIN contacts o
    ON o.company_id = c.company_id AND o.id <> c.id AND o.archived_at IS NULL
  WHERE similarity(c.name, {_NAME_OF_O}) >= :similarity
), pairs AS ({_PAIRS})
{_UPSERT}
"""  # noqa: S608


def scan_all() -> int:
    """Find every likely pair among all live contacts, afresh: pairs no longer found go (a
    dismissed one stays dismissed). Returns how many pairs are open. The system's job."""
    params = {"cap": SHARED_KEY_CAP, "company_cap": COMPANY_CAP, "similarity": NAME_SIMILARITY}
    with transaction(SYSTEM) as session:
        # A job, not a page: the scan of a million contacts outlasts the web's statement timeout.
        session.execute(sa.text("SET LOCAL statement_timeout = 0"))
        session.execute(sa.text(SCAN_SQL), params)
        session.execute(
            sa.text("DELETE FROM duplicate_pairs WHERE dismissed_at IS NULL AND found_at < now()")
        )
        # A full scan covers whatever was queued before it began.
        session.execute(sa.text("DELETE FROM duplicate_rechecks WHERE queued_at < now()"))
    return count_open()


def recheck(ids) -> None:
    """Look again at these contacts' pairs: drop the open ones, find them again."""
    ids = [i for i in (as_uuid(x) for x in ids) if i is not None]
    if not ids:
        return
    session = db.session
    session.execute(
        sa.text(
            "DELETE FROM duplicate_pairs WHERE dismissed_at IS NULL "
            "AND (contact_a = ANY(:ids) OR contact_b = ANY(:ids))"
        ),
        {"ids": ids},
    )
    session.execute(sa.text(RECHECK_SQL), {"ids": ids, "similarity": NAME_SIMILARITY})


# The batch is picked once (a materialised CTE): as an IN subquery the planner may rescan it,
# and a rescan skips the rows this DELETE already removed and locks the next ones, so a batch
# of 2 once took 3.
TAKE_BATCH_SQL = """
WITH batch AS MATERIALIZED (
  SELECT contact_id FROM duplicate_rechecks ORDER BY queued_at, contact_id
  LIMIT :n FOR UPDATE SKIP LOCKED
)
DELETE FROM duplicate_rechecks d USING batch WHERE d.contact_id = batch.contact_id
RETURNING d.contact_id
"""


def recheck_queued(seconds: float | None = None, batch: int = RECHECK_BATCH) -> int:
    """Recheck the contacts changed since the last run, `batch` of them per transaction (a
    batch another worker holds is skipped), all of them or as many batches as `seconds` allow
    (one at least). Returns how many were rechecked. The system's job."""
    done, started = 0, time.monotonic()
    while True:
        with transaction(SYSTEM) as session:
            ids = list(session.scalars(sa.text(TAKE_BATCH_SQL), {"n": batch}))
            recheck(ids)
        done += len(ids)
        if len(ids) < batch or (seconds is not None and time.monotonic() - started >= seconds):
            return done


@job("duplicates_recheck", cron="* * * * *", queueing_lock="duplicates_recheck")
def recheck_job(context, timestamp: int | None = None) -> int:
    """Every minute: the contacts changed since (queued by the trigger of migration 0018)."""
    return recheck_queued(RECHECK_JOB_SECONDS)


@job("duplicates_scan", cron="41 2 * * *", queueing_lock="duplicates_scan")
def scan_job(context, timestamp: int | None = None) -> int:
    """Nightly, and when an admin asks on /duplicates: every pair found afresh."""
    return scan_all()


def count_open() -> int:
    query = sa.select(sa.func.count()).select_from(DuplicatePair)
    return db.session.scalar(query.where(DuplicatePair.dismissed_at.is_(None))) or 0


def open_pairs(actor: Actor, limit: int = 50, offset: int = 0) -> list[dict]:
    """The open pairs between live contacts, best first, each with both contacts:
    {"a", "b", "reasons", "score"}. Everyone who reads records."""
    authorize(actor, "records.read")
    a, b = sa.orm.aliased(Contact), sa.orm.aliased(Contact)
    query = (
        sa.select(DuplicatePair, a, b)
        .join(a, a.id == DuplicatePair.contact_a)
        .join(b, b.id == DuplicatePair.contact_b)
        .where(
            DuplicatePair.dismissed_at.is_(None),
            a.archived_at.is_(None),
            b.archived_at.is_(None),
        )
        .order_by(DuplicatePair.score.desc(), DuplicatePair.contact_a, DuplicatePair.contact_b)
        .limit(limit)
        .offset(offset)
    )
    return [
        {"a": one, "b": two, "reasons": pair.reasons, "score": pair.score}
        for pair, one, two in db.session.execute(query)
    ]


def dismiss_pair(one, other, actor: Actor) -> None:
    """Mark two contacts "not a duplicate": the pair is never offered again. Editors."""
    authorize(actor, "records.update")
    ids = sorted(i for i in (as_uuid(one), as_uuid(other)) if i is not None)
    with transaction(actor) as session:
        pair = session.get(DuplicatePair, tuple(ids)) if len(ids) == 2 else None
        if pair is None:
            raise NotFoundError("duplicate pair", f"{one},{other}")
        pair.dismissed_at = sa.func.now()
        pair.dismissed_by = actor.id


def pairs_of(contact_id) -> list[uuid.UUID]:
    """The contacts an open pair links `contact_id` with (its record page may say so)."""
    cid = as_uuid(contact_id)
    rows = db.session.execute(
        sa.select(DuplicatePair.contact_a, DuplicatePair.contact_b).where(
            DuplicatePair.dismissed_at.is_(None),
            sa.or_(DuplicatePair.contact_a == cid, DuplicatePair.contact_b == cid),
        )
    )
    return [b if a == cid else a for a, b in rows]
