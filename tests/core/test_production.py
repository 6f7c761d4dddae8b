"""Production hardening: `check --deploy` clean with the documented settings, a strict CSP and the
security headers on every page, no inline script/style/handler in any template, the secret key
required in production, owner-only files under var/, request size limits per door."""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.installation import base_env

REPO = Path(__file__).resolve().parents[2]
SECURITY_DOC = REPO / "docs" / "security.md"


def documented_production_env() -> dict[str, str]:
    """The ``TINHSO_…=`` lines of the first ``sh`` block under "Production settings"."""
    text = SECURITY_DOC.read_text()
    section = text[text.index("## Production settings"):]
    block = section[section.index("```sh") + 5:]
    block = block[:block.index("```")]
    env = dict(re.findall(r"^(TINHSO_[A-Z_]+)=(\S*)$", block, flags=re.M))
    assert {"TINHSO_SECRET_KEY", "TINHSO_HTTPS", "TINHSO_ALLOWED_HOSTS"} <= set(env)
    return env


def run_python(code: str, env_extra: dict[str, str], tmp_path: Path, **kwargs) -> subprocess.CompletedProcess:
    env = base_env()
    env.update(DJANGO_SETTINGS_MODULE="tinhso.settings", TINHSO_VAR_DIR=str(tmp_path / "var"),
               PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]))
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=False, **kwargs)


# --- settings -------------------------------------------------------------------------------------

def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    env = documented_production_env()
    env["TINHSO_SECRET_KEY"] = secrets.token_urlsafe(50)  # the document shows a placeholder
    code = ("import sys; from django.core.management import execute_from_command_line; "
            "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])")
    done = run_python(code, env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNINGS" not in done.stdout + done.stderr


def test_https_settings_follow_the_environment(tmp_path):
    probe = ("import django, json; django.setup(); from django.conf import settings as s; print(json.dumps("
             "[s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
             "s.SECURE_PROXY_SSL_HEADER]))")
    key = {"TINHSO_SECRET_KEY": secrets.token_urlsafe(50)}
    plain = json.loads(run_python(probe, key, tmp_path).stdout)
    https = json.loads(run_python(probe, {**key, "TINHSO_HTTPS": "1"}, tmp_path).stdout)
    proxied = json.loads(run_python(probe, {**key, "TINHSO_HTTPS": "1", "TINHSO_TRUSTED_PROXIES": "127.0.0.1"},
                                    tmp_path).stdout)
    assert plain == [False, False, False, 0, None]
    # The proxy's X-Forwarded-Proto is believed only when there is a trusted proxy.
    assert https == [True, True, True, 31536000, None]
    assert proxied[:4] == https[:4] and proxied[4] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    https = run_python("import django; django.setup()", {"TINHSO_HTTPS": "1"}, tmp_path)
    assert https.returncode != 0 and "TINHSO_SECRET_KEY is required" in https.stderr
    # A WSGI server loading the app on the generated key, outside a demo.
    wsgi = run_python("import tinhso.wsgi", {}, tmp_path)
    assert wsgi.returncode != 0 and "TINHSO_SECRET_KEY is not set" in wsgi.stderr
    assert run_python("import tinhso.wsgi", {"TINHSO_DEMO": "1"}, tmp_path).returncode == 0
    given = run_python("import tinhso.wsgi", {"TINHSO_SECRET_KEY": secrets.token_urlsafe(50)}, tmp_path)
    assert given.returncode == 0, given.stderr
    # `tinhso serve`: a clear message and exit status 2, no traceback.
    serve = run_python("from tinhso.cli import main; raise SystemExit(main(['serve', '--port', '1']))", {}, tmp_path)
    assert serve.returncode == 2 and "TINHSO_SECRET_KEY" in serve.stderr and "Traceback" not in serve.stderr


def test_gunicorn_is_started_with_request_limits(settings):
    from gunicorn.config import Config

    from tinhso.core.serve import gunicorn_argv

    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    argv = gunicorn_argv("127.0.0.1", 8000, workers=1)
    config = Config()
    parsed = config.parser().parse_args(argv[1:])
    for name, value in vars(parsed).items():
        if value is not None and name in config.settings:
            config.set(name, value)
    assert config.limit_request_line == 4096
    assert config.limit_request_fields == 50
    assert config.limit_request_field_size == 8190
    assert config.timeout == 120
    assert config.forwarded_allow_ips == ["10.0.0.0/24"]


# --- files under var/ -------------------------------------------------------------------------------

def test_var_files_are_owner_only_whatever_the_umask(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    (var / "old.log").write_text("from before")
    (var / "old.log").chmod(0o644)
    code = """
import django, os, stat
django.setup()
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
connection.ensure_connection()
name = default_storage.save("reports/2026/photo.jpg", ContentFile(b"jpeg"))
with open(os.path.join(os.environ["TINHSO_VAR_DIR"], "backup.sql"), "w") as fh:
    fh.write("dump")
"""
    done = run_python(code, {"TINHSO_SECRET_KEY": ""}, tmp_path, preexec_fn=lambda: os.umask(0o022))
    assert done.returncode == 0, done.stderr
    assert "tightened to 0700" in done.stderr and "tightened to 0600" in done.stderr

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(var) == 0o700
    assert mode(var / "old.log") == 0o600
    for path in [var / "secret_key", var / "tinhso.sqlite3", var / "backup.sql", var / "media/reports/2026/photo.jpg"]:
        assert mode(path) == 0o600, path
    for path in [var / "media", var / "media/reports", var / "media/reports/2026", var / "static"]:
        assert mode(path) == 0o700, path


# --- headers and templates ------------------------------------------------------------------------

PAGES = ["/", "/phan-anh", "/phan-anh/tra-cuu", "/phan-anh/cong-khai", "/phan-anh/thong-ke", "/dang-nhap",
         "/admin/login/", "/chi-so", "/api/v1/docs", "/ke-hoach", "/chi-so/phuong-phap/dti-922"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_strict_csp_and_the_security_headers(path):
    response = Client().get(path, follow=True)
    assert response.status_code == 200, path
    csp = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if " " in part.strip())
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "geolocation=(self)" in response.headers["Permissions-Policy"]
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html) and not HANDLER.search(html) and not STYLE.search(html), path
    assert "cdn." not in html  # nothing from a CDN (the API docs' Swagger UI is served locally)


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)


def test_no_template_has_inline_script_style_or_event_handler():
    offenders = []
    for template in sorted((REPO / "tinhso").glob("*/templates/**/*.html")):
        text = template.read_text()
        for pattern in (INLINE_SCRIPT, HANDLER, STYLE):
            offenders += [f"{template.relative_to(REPO)}: {m.group(0)[:60]}" for m in pattern.finditer(text)]
    assert offenders == []


# --- request sizes --------------------------------------------------------------------------------

MB = 1024 * 1024


@pytest.mark.django_db
def test_an_oversized_json_body_gets_a_json_413_on_the_api():
    body = json.dumps({"description": "x" * (2 * MB)})
    response = Client().post("/api/v1/reports/submit", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert response.json()["error"]["details"]["limit"] == 2 * MB
    open311 = Client().post("/open311/v2/requests.json", "x" * (2 * MB + 1),
                            content_type="application/x-www-form-urlencoded")
    assert open311.status_code == 413 and open311.json()[0]["code"] == 413


@pytest.mark.django_db
def test_an_oversized_multipart_form_gets_a_413_before_it_is_read():
    from django.core.files.uploadedfile import SimpleUploadedFile

    def photo():
        return SimpleUploadedFile("big.jpg", b"\xff" * (25 * MB), content_type="image/jpeg")

    response = Client().post("/phan-anh", {"description": "ổ gà", "photos": photo()})
    assert response.status_code == 413
    assert "25 MB" in response.content.decode()
    api = Client().post("/api/v1/reports/submit", {"description": "ổ gà", "photos": photo()})
    assert api.status_code == 413 and api.json()["error"]["code"] == "request_too_large"


def test_doors_have_their_own_limits():
    from tinhso.core.bodylimit import limit_for

    assert limit_for("/api/v1/reports/submit", "application/json") == 2 * MB
    assert limit_for("/phan-anh", "multipart/form-data; boundary=x") == 25 * MB
    assert limit_for("/api/v1/indices/dti-922/compute", "application/json") == 40 * MB
