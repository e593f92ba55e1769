"""The app factory and its configuration: clear errors for bad settings, never a literal secret."""

from __future__ import annotations

import re
import stat

import pytest

from crm_web.config import ConfigError, database_url, load_settings
from tests.support import sign_in


def _settings(tmp_path, **environ):
    return load_settings(environ, tmp_path)


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY is required in production"):
        _settings(tmp_path, CRM_ENV="production")
    with pytest.raises(ConfigError, match="SECRET_KEY is required in production"):
        _settings(tmp_path, CRM_ENV="production", SECRET_KEY="   ")


def test_setting_a_database_url_means_production(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        _settings(tmp_path, DATABASE_URL="postgresql://u:p@db/crm")
    settings = _settings(tmp_path, DATABASE_URL="postgresql://u:p@db/crm", SECRET_KEY="k" * 40)
    assert settings["CRM_ENV"] == "production" and settings["SECRET_KEY"] == "k" * 40


def test_create_app_reports_a_missing_production_secret_before_touching_the_database(
    monkeypatch,
):
    from crm_web import create_app

    monkeypatch.setenv("CRM_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(ConfigError) as caught:
        create_app()
    assert "SECRET_KEY" in str(caught.value) and "\n" not in str(caught.value)


def test_outside_production_the_secret_is_random_per_install_and_kept(tmp_path):
    first = _settings(tmp_path / "a", CRM_ENV="development")["SECRET_KEY"]
    again = _settings(tmp_path / "a", CRM_ENV="development")["SECRET_KEY"]
    other = _settings(tmp_path / "b", CRM_ENV="development")["SECRET_KEY"]
    assert first == again != other
    assert len(first) >= 40
    assert stat.S_IMODE((tmp_path / "a" / "secret_key").stat().st_mode) == 0o600


@pytest.mark.parametrize("region", ["XX", "USA", "12"])
def test_a_bad_default_phone_region_is_refused(tmp_path, region):
    with pytest.raises(ConfigError, match="CRM_DEFAULT_PHONE_REGION must be a region code"):
        _settings(tmp_path, CRM_ENV="test", CRM_DEFAULT_PHONE_REGION=region)


def test_the_default_phone_region_is_read_case_insensitively(tmp_path):
    assert _settings(tmp_path, CRM_ENV="test")["DEFAULT_PHONE_REGION"] == "US"
    settings = _settings(tmp_path, CRM_ENV="test", CRM_DEFAULT_PHONE_REGION=" gb ")
    assert settings["DEFAULT_PHONE_REGION"] == "GB"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("five", "CRM_DB_POOL_SIZE must be a whole number, got 'five'"),
        ("0", "CRM_DB_POOL_SIZE must be at least 1, got 0"),
        ("-3", "CRM_DB_POOL_SIZE must be at least 1, got -3"),
    ],
)
def test_a_bad_pool_size_is_refused(tmp_path, raw, message):
    with pytest.raises(ConfigError) as caught:
        _settings(tmp_path, CRM_ENV="test", CRM_DB_POOL_SIZE=raw)
    assert str(caught.value) == message


def test_the_api_rate_limit_is_read_from_the_environment(tmp_path):
    defaults = _settings(tmp_path, CRM_ENV="test")
    assert (defaults["API_RATE_LIMIT"], defaults["API_RATE_WINDOW"]) == (600, 60)
    chosen = _settings(tmp_path, CRM_ENV="test", CRM_API_RATE_LIMIT="5000", CRM_API_RATE_WINDOW="1")
    assert (chosen["API_RATE_LIMIT"], chosen["API_RATE_WINDOW"]) == (5000, 1)
    with pytest.raises(ConfigError, match="CRM_API_RATE_LIMIT must be at least 1, got 0"):
        _settings(tmp_path, CRM_ENV="test", CRM_API_RATE_LIMIT="0")
    with pytest.raises(ConfigError, match="CRM_API_RATE_WINDOW must be a whole number"):
        _settings(tmp_path, CRM_ENV="test", CRM_API_RATE_WINDOW="a minute")


def test_an_unknown_environment_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="CRM_ENV must be one of development, test, production"):
        _settings(tmp_path, CRM_ENV="staging")


@pytest.mark.parametrize(
    "raw",
    [
        "postgres://u:p@db:5432/crm",
        "postgresql://u:p@db:5432/crm",
        "postgresql+psycopg2://u:p@db:5432/crm",
        "postgresql+psycopg://u:p@db:5432/crm",
    ],
)
def test_database_url_spellings_are_normalised_to_psycopg3(raw):
    assert database_url(raw) == "postgresql+psycopg://u:p@db:5432/crm"


@pytest.mark.parametrize("raw", ["mysql://u:p@db/crm", "sqlite:///crm.db", "db:5432/crm"])
def test_a_database_url_that_is_not_postgresql_is_refused(raw):
    with pytest.raises(ConfigError, match="DATABASE_URL must be a PostgreSQL URL"):
        database_url(raw)


def test_healthz_answers_ok_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"


def test_healthz_answers_ok_when_the_database_does_not(app):
    """Liveness only: restarting the web process would not bring the database back."""
    from sqlalchemy.engine import make_url

    from crm_web import create_app

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(database="crm_no_such_database")
    broken = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False)}
    )
    assert broken.test_client().get("/healthz").text == "ok"
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["problems"] == {"database": "The database does not answer."}


def test_the_app_uses_the_configured_pool_and_statement_timeout(app):
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_size"] == app.config["DB_POOL_SIZE"]
    assert (
        f"statement_timeout={app.config['STATEMENT_TIMEOUT_MS']}"
        in (options["connect_args"]["options"])
    )


def test_processes_starting_at_once_share_one_development_secret(tmp_path):
    import threading

    keys = []

    def start():
        keys.append(_settings(tmp_path, CRM_ENV="development")["SECRET_KEY"])

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_an_emptied_secret_key_file_is_reported_not_used(tmp_path):
    (tmp_path / "secret_key").write_text("\n")
    with pytest.raises(ConfigError, match="secret_key is empty"):
        _settings(tmp_path, CRM_ENV="development")


def test_the_app_and_its_web_modules_never_load_the_operator_tools():
    """crm_web.tools (demo data, the bench) is for the command line: building the app and
    importing every other module leaves it unloaded (a fresh interpreter, so no test has)."""
    import subprocess
    import sys

    script = """
import pkgutil, sys
import crm_web
from crm_web import create_app
create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
def walk(package):
    for module in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if module.name != "crm_web.tools":
            __import__(module.name)
            if module.ispkg:
                walk(sys.modules[module.name])
walk(crm_web)
loaded = sorted(name for name in sys.modules if name.startswith("crm_web.tools"))
assert not loaded, loaded
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env={"CRM_ENV": "test"}
    )
    assert result.returncode == 0, result.stderr


def test_the_served_app_keeps_its_start_up_heap_out_of_the_collector(app):
    """wsgi.py (what gunicorn serves) freezes what start-up made: a full collection then walks
    only what requests made since, not ~175,000 objects (a ~100 ms stall every ~2,000
    requests of a worker)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    environ = {
        **os.environ,
        "CRM_ENV": "production",
        "SECRET_KEY": "k" * 40,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
    }
    code = "import gc, wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    served = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=environ, capture_output=True, text=True
    )
    assert served.returncode == 0, served.stderr
    frozen, collected = map(int, served.stdout.split())
    assert frozen > 50_000 and collected < frozen / 10


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/deals/board", "Pipeline"),  # not Deals, though /deals is its prefix too
        ("/deals", "Deals"),
        ("/deals/new", "Deals"),
        ("/contacts/new", "Contacts"),
        ("/tasks/", "Tasks"),
        ("/admin/users", "Admin"),
        ("/admin/stages", "Admin"),  # every /admin/ page is Admin's
        ("/profile", None),
    ],
)
def test_the_navigation_marks_the_section_a_page_is_in(client, session, path, current):
    sign_in(client, "admin")
    page = client.get(path)
    assert page.status_code == 200
    nav = re.search(r'<nav class="nav" id="main-nav".*?</nav>', page.get_data(as_text=True), re.S)
    marked = re.findall(r'aria-current="page">([^<\n]+)', nav[0])
    assert [label.strip() for label in marked] == ([current] if current else [])
