"""Outbound HTTP(S) fetches that never reach private addresses (the one way tinhso fetches a URL).

Every URL that comes from outside (an Open311 ``media_url`` today; webhooks and notification
targets later) is fetched with :func:`fetch`, never with ``urllib``/``http.client`` directly:

- **Addresses.** The host is resolved and *every* address it resolves to must pass the address
  policy, else the fetch is refused before any connection. The default policy,
  :func:`public_address`, accepts only globally routable unicast addresses (``ipaddress``'s
  ``is_global``): loopback, private (RFC 1918, ULA), link-local (cloud metadata
  169.254.169.254), CGNAT 100.64/10, multicast, reserved, unspecified and documentation ranges
  are refused, and so are IPv6 forms that embed such an IPv4 address (IPv4-mapped
  ``::ffff:127.0.0.1``, 6to4, Teredo, NAT64 ``64:ff9b::/96``). Odd spellings (``2130706433``,
  ``0x7f.1``) are resolved by the system first, so the resolved address is what is checked.
- **No rebinding.** The connection goes to the very address that was checked (the host name is
  kept for the ``Host`` header, TLS SNI and certificate check); no second DNS lookup happens.
- **Redirects** are followed by hand (at most ``max_redirects``), each hop checked again as above.
- **One deadline** covers the whole fetch (DNS, connects, TLS, headers, body, redirects): a
  watchdog shuts the socket when it passes, so a server dripping one byte at a time cannot hold
  a worker thread longer than ``deadline`` seconds.
- **A byte cap**: a declared ``Content-Length`` above it is refused unread, a body growing past
  it is cut; ``content_types`` (if given) restricts the response's media type.
- No proxy from the environment, no cookies, no credentials in the URL, only ``http``/``https``.

Failures raise :class:`FetchError` with a ``reason`` (one of the constants below) for the caller
and a ``detail`` for the server log only: callers show the outside world a generic message and
never the detail (it would tell whether an internal port is open).

Webhooks (:mod:`tinhso.notify.webhook`) POST through the same function (``method``, ``body``,
``headers``), without following redirects.

Tests (and an installation that must reach one internal server) pass ``allow``: a callable
``(address, port) -> bool`` replacing :func:`public_address` for that call only.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

logger = logging.getLogger("tinhso.outbound")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Policy = Callable[[Address, int], bool]
Resolver = Callable[[str, int], Iterable[str]]

DEFAULT_DEADLINE = 10.0
DEFAULT_MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024

# FetchError reasons
BAD_URL = "bad_url"
REFUSED = "refused_address"
UNREACHABLE = "unreachable"
DEADLINE = "deadline"
TOO_LARGE = "too_large"
BAD_TYPE = "bad_content_type"
BAD_STATUS = "bad_status"
TOO_MANY_REDIRECTS = "too_many_redirects"

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class FetchError(Exception):
    """A fetch that did not give a usable body. ``detail`` is for the server log, not for users."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content_type: str
    body: bytes


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def public_address(ip: Address, port: int = 0) -> bool:
    """The default policy: a globally routable unicast address (and so is any IPv4 it embeds)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not public_address(embedded):
            return False
    return (ip.is_global and not ip.is_multicast and not ip.is_loopback and not ip.is_link_local
            and not ip.is_reserved and not ip.is_unspecified and not ip.is_private)


def system_resolver(host: str, port: int) -> list[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class _Clock:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise FetchError(DEADLINE, "deadline passed")
        return left


def _split(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path?query) of an absolute http(s) URL without credentials."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise FetchError(BAD_URL, str(exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(BAD_URL, "not an absolute http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise FetchError(BAD_URL, "credentials in the URL")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), target


def _resolve(host: str, port: int, resolver: Resolver, clock: _Clock) -> list[Address]:
    """The host's addresses, the lookup itself bounded by the deadline (it runs in a thread)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    box: dict = {}

    def run():
        try:
            box["found"] = list(resolver(host, port))
        except Exception as exc:  # noqa: BLE001 - reported below as "unreachable"
            box["error"] = exc

    thread = threading.Thread(target=run, name="tinhso-resolve", daemon=True)
    thread.start()
    thread.join(clock.left())
    if thread.is_alive():
        raise FetchError(DEADLINE, f"resolving {host}")
    if "error" in box or not box.get("found"):
        raise FetchError(UNREACHABLE, f"resolving {host}: {box.get('error')!r}")
    return [ipaddress.ip_address(text.split("%", 1)[0]) for text in box["found"]]


def _checked_address(host: str, port: int, allow: Policy, resolver: Resolver, clock: _Clock) -> Address:
    addresses = _resolve(host, port, resolver, clock)
    refused = [ip for ip in addresses if not allow(ip, port)]
    if refused:
        raise FetchError(REFUSED, f"{host}:{port} resolves to {', '.join(map(str, refused))}")
    return addresses[0]


def _connection(scheme: str, host: str, port: int, ip: Address, timeout: float,
                tls: ssl.SSLContext | None) -> http.client.HTTPConnection:
    """A connection to ``ip`` (the checked address) that still speaks to ``host`` (Host, SNI, cert)."""
    if scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=tls or ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def connect_to_checked(_address, timeout=timeout, source_address=None):
        return socket.create_connection((str(ip), port), timeout, source_address)

    conn._create_connection = connect_to_checked  # http.client's documented-by-source hook
    return conn


class _Watchdog:
    """Shuts the connection's socket when the deadline passes (unblocks a dripping read)."""

    def __init__(self, conn: http.client.HTTPConnection, clock: _Clock) -> None:
        self.conn = conn
        self.fired = False
        self.timer = threading.Timer(max(0.0, clock.end - time.monotonic()), self._fire)
        self.timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        sock = self.conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.timer.cancel()


def _read_body(response: http.client.HTTPResponse, max_bytes: int, watchdog: _Watchdog) -> bytes:
    length = (response.getheader("Content-Length") or "").strip()
    if length.isascii() and length.isdigit() and int(length) > max_bytes:
        raise FetchError(TOO_LARGE, f"Content-Length {length}")
    parts, size = [], 0
    while True:
        chunk = response.read1(CHUNK)
        if watchdog.fired:
            raise FetchError(DEADLINE, "body")
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(TOO_LARGE, f"more than {max_bytes} bytes")
        parts.append(chunk)
    return b"".join(parts)


def fetch(url: str, *, max_bytes: int, deadline: float = DEFAULT_DEADLINE,
          max_redirects: int = DEFAULT_MAX_REDIRECTS, content_types: Iterable[str] | None = None,
          allow: Policy | None = None, resolver: Resolver | None = None,
          user_agent: str = "tinhso", tls: ssl.SSLContext | None = None, method: str = "GET",
          body: bytes | None = None, headers: dict[str, str] | None = None,
          ok_statuses: Iterable[int] = (200,)) -> Fetched:
    """GET ``url`` under the rules of this module; the body (≤ ``max_bytes``) or :class:`FetchError`.

    ``tls``: the context for https (default: the system's CAs, host name checked).
    ``method``/``body``/``headers``: e.g. a webhook's signed POST (pass ``max_redirects=0``: a
    POST is never replayed to another address); ``ok_statuses``: the statuses that count as success.
    """
    allow = allow or public_address
    resolver = resolver or system_resolver
    accepted = {t.lower() for t in content_types} if content_types is not None else None
    ok_set = frozenset(ok_statuses)
    clock = _Clock(deadline)
    try:
        for _hop in range(max_redirects + 1):
            scheme, host, port, target = _split(url)
            ip = _checked_address(host, port, allow, resolver, clock)
            conn = _connection(scheme, host, port, ip, clock.left(), tls)
            response = None
            with _Watchdog(conn, clock) as watchdog:
                try:
                    conn.request(method, target, body=body,
                                 headers={"User-Agent": user_agent, "Accept": "*/*", "Connection": "close",
                                          **(headers or {})})
                    response = conn.getresponse()
                    if watchdog.fired:
                        raise FetchError(DEADLINE, "headers")
                    if response.status in REDIRECT_STATUSES:
                        location = response.getheader("Location")
                        if not location:
                            raise FetchError(BAD_STATUS, f"HTTP {response.status} without Location")
                        url = urljoin(url, location.strip())
                        continue
                    if response.status not in ok_set:
                        raise FetchError(BAD_STATUS, f"HTTP {response.status}")
                    content_type = response.headers.get_content_type().lower()
                    if accepted is not None and content_type not in accepted:
                        raise FetchError(BAD_TYPE, content_type)
                    return Fetched(url, content_type, _read_body(response, max_bytes, watchdog))
                except FetchError:
                    raise
                except (OSError, http.client.HTTPException, ValueError) as exc:
                    if watchdog.fired or time.monotonic() >= clock.end:
                        raise FetchError(DEADLINE, repr(exc)) from None
                    raise FetchError(UNREACHABLE, repr(exc)) from None
                finally:
                    if response is not None:
                        response.close()
                    conn.close()
        raise FetchError(TOO_MANY_REDIRECTS, f"more than {max_redirects}")
    except FetchError as err:
        logger.warning("outbound fetch refused or failed (%s): %s", err.reason, err.detail)
        raise
