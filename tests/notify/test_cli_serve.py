"""``tinhso notify run --once`` and the worker that ``tinhso serve`` starts and stops with itself."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.installation import base_env
from tinhso import notify
from tinhso.cli import main
from tinhso.notify.models import Message

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_run_once_delivers_and_reports(smtp, capsys):
    notify.send("k", subject="Xin chào", body="b", emails=["a@example.org"])
    assert main(["notify", "run", "--once"]) == 0
    assert "sent 1" in capsys.readouterr().out
    assert [smtp.subject(m) for m in smtp.messages] == ["Xin chào"]
    assert Message.objects.get().state == "sent"
    assert main(["notify", "status"]) == 0
    assert "email    sent     1" in capsys.readouterr().out


@pytest.mark.django_db
def test_bad_email_url_exits_2_with_the_reason(settings, capsys):
    settings.NOTIFY_EMAIL_URL = "imap://mail.example.org"
    assert main(["notify", "run", "--once"]) == 2
    err = capsys.readouterr().err
    assert "smtp, smtp+starttls, smtps" in err and "Traceback" not in err


def _children(pid: int) -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append((int(entry.name), cmdline))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait(predicate, timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _serve(tmp_path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = base_env(settings_module=True)
    env.update(TINHSO_VAR_DIR=str(tmp_path), TINHSO_DEMO="1", TINHSO_ACCESS_LOG="off", TINHSO_NOTIFY_INTERVAL="0.2",
               PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "tinhso.cli", "serve", "--port", str(port), "--workers", "1"],
                            env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    worker: list[int] = []

    def started() -> bool:
        worker[:] = [pid for pid, cmd in _children(proc.pid) if "notify run" in cmd]
        return bool(worker)

    assert _wait(started), "tinhso serve did not start the notification worker"
    return proc, worker[0]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_serve_starts_the_worker_and_it_stops_with_the_server(tmp_path, sig):
    proc, worker = _serve(tmp_path)
    try:
        assert _alive(worker)
        os.kill(proc.pid, sig)  # the server's own process only, not its group
        proc.wait(timeout=30)
        # SIGTERM: serve stops it on the way out; SIGKILL: the worker sees its parent is gone.
        assert _wait(lambda: not _alive(worker)), "the worker outlived the server"
    finally:
        for pid in (proc.pid, worker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_worker_can_be_left_out(tmp_path, monkeypatch):
    from tinhso.core import serve

    monkeypatch.setenv("TINHSO_NOTIFY_WORKER", "off")
    assert serve.start_notify_worker() is None
