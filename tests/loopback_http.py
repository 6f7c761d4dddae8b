"""A real HTTP server on 127.0.0.1 (``http.server`` in a thread) for tests of outbound fetches.

Routes (GET):
- ``/img.jpg``, ``/img.png``: a small real image with its content type;
- ``/html``: an HTML page; ``/fake.jpg``: HTML sent as ``image/jpeg``;
- ``/redirect?to=<url>``: 302 to ``url``; ``/loop``: 302 to itself;
- ``/big?n=<bytes>``: ``n`` bytes of image/jpeg in 64 KiB chunks, no Content-Length;
- ``/declared?n=<bytes>``: declares ``Content-Length: n`` and sends nothing more;
- ``/drip-body``: headers at once, then one body byte every 50 ms for ever;
- ``/drip-headers``: the status line, then one header byte every 50 ms for ever.

``server.paths`` lists the paths requested, so a test can assert that nothing was asked.
"""

from __future__ import annotations

import contextlib
import io
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from PIL import Image


def image_bytes(fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (10, 120, 200)).save(buffer, fmt)
    return buffer.getvalue()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body: bytes = b"", content_type: str = "image/jpeg", **headers):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's name
        self.server.paths.append(self.path)
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with contextlib.suppress(OSError):  # the client gave up (the point of several routes)
            self._route(url.path, query)

    def _route(self, path: str, query: dict):
        if path == "/img.jpg":
            self._send(200, image_bytes("JPEG"))
        elif path == "/img.png":
            self._send(200, image_bytes("PNG"), "image/png")
        elif path == "/html":
            self._send(200, b"<html>internal admin</html>", "text/html")
        elif path == "/fake.jpg":
            self._send(200, b"<html>not an image</html>", "image/jpeg")
        elif path == "/redirect":
            self._send(302, b"", "text/plain", Location=query["to"])
        elif path == "/loop":
            self._send(302, b"", "text/plain", Location="/loop")
        elif path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Connection", "close")
            self.end_headers()
            left = int(query["n"])
            while left > 0:
                self.wfile.write(b"\xff" * min(left, 65536))
                left -= 65536
            self.close_connection = True
        elif path == "/declared":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", query["n"])
            self.end_headers()
            self.close_connection = True
        elif path == "/drip-body":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", "5000")  # 250 s at this pace
            self.end_headers()
            self.wfile.flush()
            self._drip(b"\xff")
        elif path == "/drip-headers":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self._drip(b"X")
        else:
            self._send(404, b"not found", "text/plain")

    def _drip(self, byte: bytes):
        while not self.server.stopping.is_set():
            self.wfile.write(byte)
            self.wfile.flush()
            time.sleep(0.05)
        self.close_connection = True


class LoopbackServer:
    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.httpd = ThreadingHTTPServer((host, 0), _Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.httpd.daemon_threads = True
        self.httpd.paths = []
        self.httpd.stopping = threading.Event()
        self.host = host
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def paths(self) -> list[str]:
        return self.httpd.paths

    def url(self, path: str, host: str | None = None) -> str:
        return f"{self.scheme}://{host or self.host}:{self.port}{path}"

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
