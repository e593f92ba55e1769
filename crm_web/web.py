"""Blueprints and page-wide plumbing."""

from __future__ import annotations

from flask import Flask, render_template
from sqlalchemy import text

from crm_web.core.db import db


def init_app(app: Flask) -> None:
    @app.get("/")
    def home():
        """The start page."""
        return render_template("home.html")

    @app.get("/healthz")
    def healthz():
        """200 when the database answers, 503 otherwise (for load balancers)."""
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            db.session.rollback()
            return {"status": "unavailable"}, 503
        return {"status": "ok"}
