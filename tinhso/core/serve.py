"""Serve the WSGI app with gunicorn (threaded workers), static files via WhiteNoise.

Defaults: one worker process per core, 8 threads each (``TINHSO_WORKERS``, ``TINHSO_THREADS``).
Django's request handling is CPU-bound Python, so more processes than cores only adds context
switches; the threads cover the time a request waits for the database (a commit's fsync). On
the 2-core development machine, Open311 intake with 50 clients on PostgreSQL measured ~235
requests/s with 2 × 8, ~200 with 4 × 4 or 2 × 4, and ~120 with the former 3 × 4 (see
docs/benchmarks.md; the machine was shared, so the figures are noisy).
"""

from __future__ import annotations

import os

DEFAULT_THREADS = 8
# Gunicorn's default access line logs the full request URI and the Referer. Query strings carry
# secrets here (the citizen's private link ``/phan-anh/<code>?k=…``, an Open311 ``api_key``) and a page
# opened by that link sends it on as the Referer of its own photos and scripts: log the path only.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'


def serve(host: str, port: int, workers: int | None = None) -> int:
    from gunicorn.app.wsgiapp import WSGIApplication

    workers = workers or int(os.environ.get("TINHSO_WORKERS", os.cpu_count() or 1))
    print(f"tinhso: serving on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    argv = [
        "gunicorn",
        "tinhso.wsgi:application",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--worker-class", "gthread",
        "--threads", os.environ.get("TINHSO_THREADS", str(DEFAULT_THREADS)),
        "--timeout", "120",
        "--access-logformat", ACCESS_LOG_FORMAT,
        "--access-logfile", os.environ.get("TINHSO_ACCESS_LOG", "-") or "-",
    ]
    if os.environ.get("TINHSO_ACCESS_LOG") == "off":
        argv = argv[:-4]
    import sys

    sys.argv = argv
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
    return 0
