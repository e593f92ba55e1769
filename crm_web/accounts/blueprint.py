"""The accounts blueprint; views.py and admin_views.py add their routes to it (a module of its
own, so the two need not import each other)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("accounts", __name__)
