"""Serve the WSGI app with gunicorn (threaded workers), static files via WhiteNoise.

Defaults: one worker process per core, 8 threads each (``TINHSO_WORKERS``, ``TINHSO_THREADS``).
Django's request handling is CPU-bound Python, so more processes than cores only adds context
switches; the threads cover the time a request waits for the database (a commit's fsync). On
the 2-core development machine, Open311 intake with 50 clients on PostgreSQL measured ~235
requests/s with 2 × 8, ~200 with 4 × 4 or 2 × 4, and ~120 with the former 3 × 4 (see
docs/benchmarks.md; the machine was shared, so the figures are noisy).

Request limits (gunicorn refuses beyond them before Django sees the request): a request line of
4 KiB, 50 header fields of 8 KiB each, and a worker that does not answer within ``TINHSO_TIMEOUT``
seconds (120) is restarted. Bodies are limited per door by :mod:`tinhso.core.bodylimit`.

The server refuses to start on the generated per-install secret key (``var/secret_key``) unless
it is a demo (``tinhso demo``, ``TINHSO_DEMO=1``) or ``TINHSO_DEBUG=1``: production needs
``TINHSO_SECRET_KEY``.

The notification worker (``tinhso notify run``) is started beside gunicorn as a child process
(not a thread in the gunicorn master, which forks the workers: a thread holding a database
connection or a lock across ``fork`` is unsafe). It stops with the server: it is terminated when
gunicorn returns, and it exits by itself if this process disappears (it watches its parent).
``TINHSO_NOTIFY_WORKER=off`` leaves it out (e.g. when systemd runs the worker separately).
"""

from __future__ import annotations

import os
import subprocess
import sys

DEFAULT_THREADS = 8
LIMIT_REQUEST_LINE = 4096
LIMIT_REQUEST_FIELDS = 50
LIMIT_REQUEST_FIELD_SIZE = 8190
DEFAULT_TIMEOUT = 120
# Gunicorn's default access line logs the full request URI and the Referer. Query strings carry
# secrets here (the citizen's private link ``/phan-anh/<code>?k=…``, an Open311 ``api_key``) and a page
# opened by that link sends it on as the Referer of its own photos and scripts: log the path only.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'


def production_key_error():
    """The UserError for serving without ``TINHSO_SECRET_KEY`` outside demo/debug, else None."""
    from django.conf import settings

    from tinhso.core.errors import UserError

    if getattr(settings, "SECRET_KEY_GENERATED", False) and not (settings.DEMO or settings.DEBUG):
        return UserError(
            "secret_key_required",
            "Thiếu TINHSO_SECRET_KEY: máy chủ thật cần khóa bí mật riêng (một chuỗi ngẫu nhiên dài, giữ ngoài "
            "kho mã). Chạy thử thì dùng `tinhso demo` hoặc TINHSO_DEMO=1. Xem docs/security.md.",
            "TINHSO_SECRET_KEY is not set: a production server needs its own secret key (a long random "
            "string kept outside the repository). For a trial run use `tinhso demo` or TINHSO_DEMO=1. "
            "See docs/security.md.")
    return None


def require_production_key() -> None:
    """For WSGI servers: refuse to load the application on a generated key in production."""
    from django.core.exceptions import ImproperlyConfigured

    error = production_key_error()
    if error is not None:
        raise ImproperlyConfigured(error.message_en)


def gunicorn_argv(host: str, port: int, workers: int | None = None) -> list[str]:
    from django.conf import settings

    workers = workers or int(os.environ.get("TINHSO_WORKERS", os.cpu_count() or 1))
    argv = [
        "gunicorn",
        "tinhso.wsgi:application",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--worker-class", "gthread",
        "--threads", os.environ.get("TINHSO_THREADS", str(DEFAULT_THREADS)),
        "--timeout", os.environ.get("TINHSO_TIMEOUT", str(DEFAULT_TIMEOUT)),
        "--limit-request-line", str(LIMIT_REQUEST_LINE),
        "--limit-request-fields", str(LIMIT_REQUEST_FIELDS),
        "--limit-request-field_size", str(LIMIT_REQUEST_FIELD_SIZE),
        # Gunicorn believes X-Forwarded-Proto from these peers only: the same trusted proxies as Django.
        "--forwarded-allow-ips", ",".join(settings.TRUSTED_PROXIES),
        "--access-logformat", ACCESS_LOG_FORMAT,
        "--access-logfile", os.environ.get("TINHSO_ACCESS_LOG", "-") or "-",
    ]
    if os.environ.get("TINHSO_ACCESS_LOG") == "off":
        argv = argv[:-4]
    return argv


def serve(host: str, port: int, workers: int | None = None) -> int:
    from gunicorn.app.wsgiapp import WSGIApplication

    error = production_key_error()
    if error is not None:
        raise error
    sys.argv = gunicorn_argv(host, port, workers)
    print(f"tinhso: serving on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    worker = start_notify_worker()
    try:
        WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
    finally:
        stop_notify_worker(worker)
    return 0


def start_notify_worker() -> subprocess.Popen | None:
    if os.environ.get("TINHSO_NOTIFY_WORKER", "on").strip().lower() in {"off", "0", "no", "false"}:
        return None
    return subprocess.Popen([sys.executable, "-m", "tinhso.cli", "notify", "run", "--parent-pid", str(os.getpid())])


def stop_notify_worker(worker: subprocess.Popen | None) -> None:
    if worker is None or worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=5)
