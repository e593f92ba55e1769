"""Blueprints, extensions and page-wide plumbing (error pages, health check)."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from crm_web.core.db import db
from crm_web.core.errors import CRMError

csrf = CSRFProtect()
log = logging.getLogger(__name__)


def _blueprints():
    """Every area's blueprint. An area adds itself here."""
    from crm_web.accounts.views import bp as accounts

    return [accounts]


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error_response(status: int, code: str, message: str, fields: dict | None = None):
    if _wants_json():
        body = {"error": {"code": code, "message": message, "fields": fields or {}}}
        return jsonify(body), status
    template = f"errors/{status}.html" if status in (403, 404, 409, 422, 429) else "errors/500.html"
    return render_template(template, status=status, message=message, fields=fields or {}), status


def init_app(app: Flask) -> None:
    from crm_web.accounts.auth import login_manager, public

    Htmx(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    for blueprint in _blueprints():
        app.register_blueprint(blueprint)

    @app.get("/")
    @public
    def home():
        """The start page."""
        return render_template("home.html")

    @app.get("/favicon.ico")
    @public
    def favicon():
        """Browsers ask for it on every page, even JSON ones; a 404 would be a console error."""
        return app.send_static_file("favicon.svg")

    @app.get("/healthz")
    @public
    def healthz():
        """200 when the database answers, 503 otherwise (for load balancers)."""
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            db.session.rollback()
            return {"status": "unavailable"}, 503
        return {"status": "ok"}

    @app.errorhandler(CRMError)
    def domain_error(exc: CRMError):
        """A service refused: the status and message come from the error type (DESIGN §5)."""
        db.session.rollback()
        return _error_response(exc.status, exc.code, exc.message, getattr(exc, "fields", None))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _error_response(exc.code or 500, exc.name.lower().replace(" ", "_"), exc.description)

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        """Log the stack; show a page that leaks nothing."""
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return _error_response(500, "internal_error", "Something went wrong on our side.")
