"""A separate tinhso installation for tests that run the real command line or server: its own
``TINHSO_VAR_DIR`` and its own database (SQLite in that folder; on a PostgreSQL run, a new database
on the same cluster, dropped afterwards). Nothing here touches pytest-django's test database."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def on_postgresql() -> bool:
    return os.environ.get("TINHSO_DATABASE_URL", "").startswith("postgres")


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A new empty database on the cluster of ``TINHSO_DATABASE_URL``; its URL."""
    import psycopg

    url = os.environ["TINHSO_DATABASE_URL"]
    name = f"tinhso_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def base_env(*, settings_module: bool = False) -> dict[str, str]:
    """This process's environment for a tinhso subprocess of its own: no ``TINHSO_*`` setting but the
    locator grid folder ``make test`` shares, and no ``DJANGO_SETTINGS_MODULE`` unless asked."""
    return {k: v for k, v in os.environ.items()
            if (not k.startswith("TINHSO_") or k == "TINHSO_LOCATOR_GRID_DIR")
            and (settings_module or k != "DJANGO_SETTINGS_MODULE")}


@contextlib.contextmanager
def installation(var_dir: Path, **extra: str) -> Iterator[dict[str, str]]:
    """The environment of a fresh installation in ``var_dir`` (same engine as this test run)."""
    env = base_env()
    env.update(TINHSO_VAR_DIR=str(var_dir), TINHSO_ACCESS_LOG="off", PYTHONUNBUFFERED="1",
               TINHSO_LOG_LEVEL="ERROR", PYTHONPATH=str(REPO), **extra)
    for name in ("TINHSO_PG_BIN", "TINHSO_PG_PORT"):
        if name in os.environ:
            env[name] = os.environ[name]
    if on_postgresql():
        with postgres_database() as url:
            env["TINHSO_DATABASE_URL"] = url
            yield env
    else:
        yield env


def tinhso(env: dict[str, str], *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "tinhso.cli", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)
    if check and done.returncode:
        raise AssertionError(f"tinhso {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def python(env: dict[str, str], script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", script, *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    if done.returncode:
        raise AssertionError(f"script failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(env: dict[str, str], log: Path, *, ready_path: str = "/api/v1/openapi.json",
           timeout: float = 60) -> Iterator[str]:
    """``tinhso serve`` on 127.0.0.1 (one worker), its output in ``log``; yields the base URL."""
    port = free_port()
    with log.open("a") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "tinhso.cli", "serve", "--port", str(port), "--workers", "1"],
                                env={"TINHSO_THREADS": "4", **env}, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(base + ready_path, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"tinhso serve did not start; log:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield base
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
