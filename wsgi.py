"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from crm_web import create_app

app = create_app()
