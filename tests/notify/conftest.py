"""Fixtures for notification tests: a real SMTP server and a real webhook receiver on loopback."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.loopback_smtp import SmtpServer


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        settings.NOTIFY_EMAIL_URL = server.url
        settings.NOTIFY_EMAIL_FROM = "IOC Lâm Đồng <ioc@example.org>"
        yield server


class _Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


class WebhookReceiver:
    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
        self.httpd.daemon_threads = True
        self.httpd.received = []
        self.httpd.statuses = []  # answer these statuses first, then 200
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def received(self) -> list[dict]:
        return self.httpd.received

    @property
    def statuses(self) -> list[int]:
        return self.httpd.statuses

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def payloads(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.received]


@pytest.fixture
def receiver():
    server = WebhookReceiver()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
