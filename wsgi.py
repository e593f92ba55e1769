"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from crm_web import create_app, settle_heap

app = create_app()
settle_heap()
