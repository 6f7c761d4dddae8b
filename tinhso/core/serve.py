"""Serve the WSGI app with gunicorn (threaded workers), static files via WhiteNoise."""

from __future__ import annotations

import os


def serve(host: str, port: int, workers: int | None = None) -> int:
    from gunicorn.app.wsgiapp import WSGIApplication

    workers = workers or int(os.environ.get("TINHSO_WORKERS", (os.cpu_count() or 1) + 1))
    print(f"tinhso: serving on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    argv = [
        "gunicorn",
        "tinhso.wsgi:application",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--worker-class", "gthread",
        "--threads", os.environ.get("TINHSO_THREADS", "4"),
        "--timeout", "120",
        "--access-logfile", os.environ.get("TINHSO_ACCESS_LOG", "-") or "-",
    ]
    if os.environ.get("TINHSO_ACCESS_LOG") == "off":
        argv = argv[:-2]
    import sys

    sys.argv = argv
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
    return 0
