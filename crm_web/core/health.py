"""Readiness: the database answers and its schema is the one this code was written for."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text

from crm_web.core.db import db, discard_session

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@cache
def script_heads() -> frozenset[str]:
    """The head revision(s) of the migration scripts shipped with this code."""
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def readiness() -> dict[str, str]:
    """What is wrong, by check ("database", "migrations"); empty when ready to serve."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means the database cannot serve
        discard_session()
        return {"database": "The database does not answer."}
    try:
        rows = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars()
        current = frozenset(rows)
    except Exception:  # noqa: BLE001 - no alembic_version table: never migrated
        discard_session()
        current = frozenset()
    heads = script_heads()
    if current != heads:
        at = ", ".join(sorted(current)) or "none"
        return {
            "migrations": f"The database is at {at}; the code needs {', '.join(sorted(heads))}."
        }
    return {}
