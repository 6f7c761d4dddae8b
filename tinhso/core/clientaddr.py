"""The client's address: the one function every per-address rule (rate limits, sign-in
throttling, idempotency scopes) asks.

Behind a reverse proxy ``REMOTE_ADDR`` is the proxy's address, shared by every citizen. The
proxies named in ``settings.TRUSTED_PROXIES`` (``TINHSO_TRUSTED_PROXIES``: IP addresses or CIDR
networks) are believed about who called them: the forwarding header they append to
(``settings.PROXY_HEADER``: ``X-Forwarded-For`` by default, or ``Forwarded`` of RFC 7239) is read
from right to left, past every trusted hop, and the first untrusted address is the client. A
request whose direct peer is not a trusted proxy is answered by ``REMOTE_ADDR`` alone, whatever
headers it carries: a forged ``X-Forwarded-For`` changes nothing.

Only one header is read, the one the proxy writes: a proxy passes the other one through from the
client unchanged, so believing it would let anyone pick their address.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = "unknown"


def parse_networks(values) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``["10.0.0.1", "192.168.0.0/16", "::1"]`` as networks; ValueError names a bad entry."""
    networks = []
    for value in values:
        text = str(value).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or CIDR network: {text!r}") from None
    return tuple(networks)


@functools.lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]):
    return parse_networks(values)


def _address(text: str) -> IPAddress | None:
    """An address from a header entry: ``1.2.3.4``, ``1.2.3.4:5678``, ``[2001:db8::1]:80``,
    ``"[2001:db8::1]"`` (quoted, as RFC 7239 requires for IPv6); None for anything else
    (``unknown``, obfuscated identifiers, garbage)."""
    text = text.strip().strip('"').strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # IPv4 with a port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _forwarded_for(value: str) -> list[str]:
    """The ``for=`` of each element of an RFC 7239 ``Forwarded`` header, in order."""
    hops = []
    for element in value.split(","):
        found = ""
        for pair in element.split(";"):
            name, _, param = pair.partition("=")
            if name.strip().lower() == "for":
                found = param
        hops.append(found)
    return hops


def forwarded_chain(meta) -> list[str]:
    """The addresses of the configured forwarding header, left (the first hop) to right."""
    header = getattr(settings, "PROXY_HEADER", "X-Forwarded-For").strip().lower()
    if header == "forwarded":
        value = meta.get("HTTP_FORWARDED", "")
        return _forwarded_for(value) if value else []
    value = meta.get("HTTP_X_FORWARDED_FOR", "")
    return value.split(",") if value else []


def is_trusted(address: str | IPAddress | None) -> bool:
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    if not networks or address is None:
        return False
    if isinstance(address, str):
        address = _address(address)
        if address is None:
            return False
    return any(address.version == net.version and address in net for net in networks)


def client_ip(request) -> str:
    """The address of whoever sent ``request`` (a string; ``"unknown"`` when there is none)."""
    meta = request.META
    peer = (meta.get("REMOTE_ADDR") or "").strip()
    if not is_trusted(peer):
        return peer or UNKNOWN
    client = peer
    for hop in reversed(forwarded_chain(meta)):
        address = _address(hop)
        if address is None:
            # Not an address where a trusted proxy wrote one: stop at the last trusted hop
            # rather than believe anything further left.
            return client
        client = str(address)
        if not is_trusted(address):
            return client
    return client  # every hop is a trusted proxy: the leftmost is the client


class ForwardedProtoGuard:
    """Drop ``X-Forwarded-Proto`` unless the direct peer is a trusted proxy, so that
    ``SECURE_PROXY_SSL_HEADER`` (on only with trusted proxies) is never believed from a client
    that reaches the server directly. First in ``MIDDLEWARE``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "HTTP_X_FORWARDED_PROTO" in request.META and not is_trusted(request.META.get("REMOTE_ADDR")):
            del request.META["HTTP_X_FORWARDED_PROTO"]
        return self.get_response(request)
