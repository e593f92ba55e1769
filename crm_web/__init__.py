"""crm_web: a self-hosted CRM. `create_app` builds the Flask application."""

from __future__ import annotations

import gc
from pathlib import Path

from flask import Flask

from crm_web.config import settings_from_os
from crm_web.core import replica
from crm_web.core.db import db, read_without_transaction, release_session

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _import_models() -> None:
    """Every model must be known to SQLAlchemy before the first query and to Alembic."""
    # Model registration: imported for their side effect, once the app is being built.
    from crm_web.accounts import models as _accounts  # noqa: F401
    from crm_web.activities import models as _activities  # noqa: F401
    from crm_web.api import models as _api  # noqa: F401
    from crm_web.audit import models as _audit  # noqa: F401
    from crm_web.companies import models as _companies  # noqa: F401
    from crm_web.contacts import models as _contacts  # noqa: F401
    from crm_web.custom_fields import models as _custom_fields  # noqa: F401
    from crm_web.deals import models as _deals  # noqa: F401
    from crm_web.imports import models as _imports  # noqa: F401
    from crm_web.jobs import models as _jobs  # noqa: F401


def _database_uri(app: Flask) -> str:
    """DATABASE_URL if set; otherwise the embedded cluster in the instance folder, started on demand."""
    if app.config.get("SQLALCHEMY_DATABASE_URI"):
        return app.config["SQLALCHEMY_DATABASE_URI"]
    if app.config["DATABASE_URL"]:
        return app.config["DATABASE_URL"]
    # Only without DATABASE_URL: a deployment never loads the embedded cluster's code.
    from crm_web.core.embedded_db import EmbeddedPostgres

    cluster = EmbeddedPostgres(Path(app.instance_path) / "pgdata")
    cluster.start()
    app.extensions["embedded_db"] = cluster
    name = app.config.get("EMBEDDED_DATABASE_NAME", "crm_web")
    cluster.ensure_database(name)
    return cluster.url(name)


class App(Flask):
    """Flask, remembering which hooks and views are coroutines: Flask asks it (ensure_sync,
    through inspect) of every hook and view on every request, fourteen times a page, and the
    answer never changes. An async view still runs through Flask's async_to_sync."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync: dict = {}  # hook or view -> what ensure_sync runs

    def ensure_sync(self, func):
        sync = self._sync.get(func)
        if sync is None:
            sync = self._sync[func] = super().ensure_sync(func)
        return sync


def create_app(test_config: dict | None = None) -> Flask:
    """Defaults, then the environment, then `test_config` (as the Flask tutorial does)."""
    app = App(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(settings_from_os(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)

    app.config["SQLALCHEMY_DATABASE_URI"] = _database_uri(app)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "pool_size": app.config["DB_POOL_SIZE"],
        # No pre-ping (a round trip on every checkout): core/db.py drops a connection the
        # server closed as it is checked out, and none is kept past half an hour.
        "pool_recycle": 1800,
        # Sessions in UTC, whatever the server's default: dates cast in SQL do not move with
        # the server's zone, and psycopg reads each timestamp straight as UTC (a server zone
        # such as "Etc/UTC" is a ZoneInfo it converts every value to: a third of a list's
        # row decoding).
        "connect_args": {
            "options": f"-c statement_timeout={app.config['STATEMENT_TIMEOUT_MS']} -c TimeZone=UTC"
        },
    }
    replica.configure(app)
    _import_models()
    db.init_app(app)
    # Registered after Flask-SQLAlchemy's, so it runs first: a rollback on a connection the
    # database dropped is logged instead of failing the response after it was chosen.
    app.teardown_appcontext(release_session)
    app.before_request(read_without_transaction)

    # App-factory wiring below is imported here, not at the top: `import crm_web` (Alembic,
    # tools, the models) stays light, and web pulls in every area's views.
    from flask_migrate import Migrate

    Migrate(app, db, directory=str(PROJECT_ROOT / "migrations"), compare_type=True)

    # See above: the views and CLI commands are loaded only by the app factory.
    from crm_web import cli, web
    from crm_web.api.revalidation import Revalidation

    # Registers the import job too.
    from crm_web.imports import jobs as _imports  # noqa: F401

    # Registers the daily retention task with the job queue (crm_web/jobs/queue.py).
    from crm_web.records import retention as _retention  # noqa: F401

    web.init_app(app)
    cli.init_app(app)
    # A revalidated API record's 304 without the cost of a Flask request (api/revalidation.py).
    app.wsgi_app = Revalidation(app)
    return app


def settle_heap() -> None:
    """Once a served app is built: what start-up made (modules, models, ~175,000 objects) lives
    as long as the process, so it is moved out of the collector's way (gc.freeze, after a
    collection of start-up's garbage). Otherwise each full collection walks all of it: a request
    stalled ~100 ms about every 2,000 in a worker. A worker forked from it also keeps sharing
    those pages, as the collector no longer writes to them."""
    gc.collect()
    gc.freeze()
