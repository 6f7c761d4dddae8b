"""The platform as a user meets it: the `tinhso` command, init twice, the landing page, admin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TINHSO = str(Path(sys.executable).with_name("tinhso"))


def run_cli(*args: str, var_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TINHSO_VAR_DIR": str(var_dir)}
    return subprocess.run([TINHSO, *args], capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def initialised(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("var")
    first = run_cli("init", var_dir=var_dir)
    assert first.returncode == 0, first.stderr
    return var_dir, first


def test_init_is_safe_to_run_twice(initialised):
    var_dir, first = initialised
    second = run_cli("init", var_dir=var_dir)
    assert second.returncode == 0, second.stderr
    if "TINHSO_DATABASE_URL" not in os.environ:
        assert (var_dir / "tinhso.sqlite3").exists()
    found = run_cli("units", "search", "phan thiet", "--json", var_dir=var_dir)
    assert found.returncode == 0, found.stderr
    assert "Phan Thiết" in found.stdout


def test_user_error_exits_2_without_traceback(initialised):
    var_dir, _ = initialised
    result = run_cli("geo", "locate", "abc", "108.1", "--json", var_dir=var_dir)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    # The bad value is reported even though this database has no boundaries yet.
    assert "invalid_coordinate" in result.stdout + result.stderr


@pytest.mark.django_db
def test_landing_page_says_what_is_there(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "3321" in html.replace(",", "").replace(".", "") and "34" in html


@pytest.mark.django_db
def test_openapi_docs_are_served(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/units" in schema.json()["paths"]


@pytest.mark.django_db
def test_admin_requires_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_command_on_an_uninitialised_database_says_run_init(tmp_path):
    if "TINHSO_DATABASE_URL" in os.environ:
        pytest.skip("the PostgreSQL run shares one initialised database")
    result = run_cli("units", "summary", var_dir=tmp_path / "fresh")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "tinhso init" in result.stderr
    assert oct((tmp_path / "fresh").stat().st_mode & 0o777) == "0o700"  # holds personal data


def _database_options(**env: str) -> dict:
    """The ``DATABASES["default"]["OPTIONS"]`` a fresh process reads from the given environment."""
    code = ("import json, django; from django.conf import settings; "
            "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))")
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "tinhso.settings", **env}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_postgresql_prepared_statements_keep_the_url_options():
    """The prepared-statement options are added to what the database URL says (``sslmode`` must not be
    dropped: the connection would silently go without TLS), and ``TINHSO_DB_PREPARE=0`` turns them off."""
    url = "postgres://u:p@db.example.org:5432/tinhso?sslmode=verify-full"
    options = _database_options(TINHSO_DATABASE_URL=url)
    assert options == {"sslmode": "verify-full", "server_side_binding": True, "prepare_threshold": 2}
    assert _database_options(TINHSO_DATABASE_URL=url, TINHSO_DB_PREPARE="0") == {"sslmode": "verify-full"}


def test_every_model_change_has_its_migration(db):
    """makemigrations finds nothing to write (the squashed migrations and the models agree)."""
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)  # SystemExit(1) on a missing migration
