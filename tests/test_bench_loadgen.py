"""The load generator of the intake benchmark (``bench/open311_intake.load``) against a real HTTP/1.1
server on 127.0.0.1: every request answered once, statuses counted, bodies handed over whole
(Content-Length, chunked, connection close), the open loop's pace kept. Its figures are only as good
as this."""

from __future__ import annotations

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import open311_intake as bench  # noqa: E402


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.seen.append(body)
        if self.path == "/missing":
            self._send(404, b"no")
        else:
            self._send(201, b"got " + body)

    def do_GET(self):  # noqa: N802
        self.server.seen.append(self.path.encode())
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"hello ", b"chunked ", b"world"):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/slow":
            time.sleep(0.2)
            self._send(200, b"late")
        elif self.path == "/close":
            self._send(200, b"bye", Connection="close")
            self.close_connection = True
        else:
            self._send(200, b"ok")

    def _send(self, status: int, body: bytes, **headers):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _post(n: int, path: str = "/echo"):
    return ("POST", path, f"form-{n}".encode(), {"Content-Type": "application/x-www-form-urlencoded"})


def test_closed_loop_answers_every_request_once_and_counts_the_failures(server):
    jobs = [_post(n, "/missing" if n % 10 == 3 else "/echo") for n in range(60)]
    jobs += [("GET", "/chunked", None, {}), ("GET", "/close", None, {}), ("GET", "/plain", None, {})] * 4
    bodies = []
    result = bench.load(server.server_address[1], jobs, clients=5, on_response=lambda status, body: bodies.append(body))
    assert result["count"] == 72
    assert result["errors"] == {"404": 6}
    assert sorted(server.seen) == sorted([body or path.encode() for _m, path, body, _h in jobs])
    expected = {f"got form-{n}".encode() for n in range(60) if n % 10 != 3}
    assert expected <= set(bodies) and len(bodies) == 66
    assert bodies.count(b"hello chunked world") == 4 and bodies.count(b"bye") == 4 and bodies.count(b"ok") == 4
    assert 0 < result["p50_ms"] <= result["p99_ms"]


def test_open_loop_keeps_the_offered_pace(server):
    rate, count = 200.0, 60
    started = time.perf_counter()
    result = bench.load(server.server_address[1], [_post(n) for n in range(count)], clients=4, rate=rate)
    took = time.perf_counter() - started
    assert result["errors"] == {} and len(server.seen) == count
    assert took >= (count - 1) / rate  # the last job is not sent before it is due
    assert result["rps"] <= rate * 1.05


def test_an_overloaded_server_is_waited_for_not_polled(server):
    """Jobs falling due while every connection is busy wait for an answer: the loop does not spin."""
    jobs = [("GET", "/slow", None, {})] * 8
    cpu, started = time.process_time(), time.perf_counter()
    result = bench.load(server.server_address[1], jobs, clients=2, rate=100.0)
    cpu, took = time.process_time() - cpu, time.perf_counter() - started
    assert result["errors"] == {} and took >= 0.8  # four rounds of two 0.2 s answers
    assert result["p99_ms"] >= 600  # the last jobs were due long before a connection was free
    assert cpu < 0.3 * took


class _ImpatientHandler(_Handler):
    timeout = 0.1  # closes a keep-alive connection idle longer than this, as gunicorn does after 2 s


@pytest.fixture
def impatient_server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _ImpatientHandler)
    httpd.daemon_threads = True
    httpd.seen = []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(("fresh_for", "failures"), [(0.05, False), (100.0, True)])
def test_connections_idle_past_the_servers_keep_alive_are_opened_again(impatient_server, monkeypatch,
                                                                        fresh_for, failures):
    """At 4 requests/s on 2 connections each waits 0.5 s between requests, longer than the server keeps
    it: reopened first (``FRESH_FOR`` below the server's limit), every request is answered; sent on the
    closed connection (``FRESH_FOR`` above it), requests fail."""
    monkeypatch.setattr(bench._Connection, "FRESH_FOR", fresh_for)
    result = bench.load(impatient_server.server_address[1], [_post(n) for n in range(6)], clients=2, rate=4.0)
    assert result["count"] == 6
    assert bool(result["errors"]) is failures


def test_a_refused_connection_is_an_error_not_a_hang(server):
    port = server.server_address[1]
    server.shutdown()
    server.server_close()
    with pytest.raises(OSError):
        bench.load(port, [_post(0)], clients=1)


@pytest.mark.parametrize(("raw", "expected"), [
    (b"HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\nab", None),
    (b"HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\nabcd", (201, b"abcd", True)),
    (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", (200, b"ok", False)),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", None),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", (200, b"abc", True)),
    (b"HTTP/1.1 500 Internal", None),
    (b"HTTP/1.1 204 No Content\r\n\r\n", (204, b"", True)),
])
def test_a_response_is_whole_only_once_all_of_it_arrived(raw, expected):
    assert bench.parse_response(bytearray(raw)) == expected


def test_a_response_without_length_ends_with_the_connection():
    raw = bytearray(b"HTTP/1.1 200 OK\r\n\r\npartial body")
    assert bench.parse_response(raw) is None
    assert bench.parse_response(raw, closed=True) == (200, b"partial body", False)
