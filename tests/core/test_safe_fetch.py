"""Outbound fetches (tinhso.core.safe_fetch) against real HTTP servers on 127.0.0.1.

The servers are on loopback, which the default policy refuses; tests that need a first hop to
succeed pass ``allow`` = "exactly this server" (address and port), so any other address — another
loopback port included — is still refused.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import quote

import pytest

from tests.loopback_http import LoopbackServer, image_bytes
from tinhso.core import safe_fetch
from tinhso.core.safe_fetch import FetchError, fetch


@pytest.fixture
def server():
    with LoopbackServer() as s:
        yield s


@pytest.fixture
def internal():
    """A second server standing for an internal service (admin page, metadata endpoint)."""
    with LoopbackServer() as s:
        yield s


def only(server):
    """An address policy allowing exactly ``server`` (its address and port)."""
    return lambda ip, port: str(ip) == server.host and port == server.port


def public_name(name="anh.example.vn", to="127.0.0.1"):
    """A resolver giving ``name`` the address ``to`` (a public-looking host without internet)."""
    return lambda host, port: [to] if host == name else safe_fetch.system_resolver(host, port)


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "100.127.255.254", "0.0.0.0", "::", "224.0.0.1", "239.255.255.250", "255.255.255.255",
    "240.0.0.1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
    "2002:7f00:1::", "2002:a00:1::", "64:ff9b::a00:1", "64:ff9b::7f00:1", "2001:db8::1", "192.0.2.1",
    "198.18.0.1", "198.51.100.1",
])
def test_non_public_addresses_are_refused_by_the_default_policy(address):
    assert not safe_fetch.public_address(ipaddress.ip_address(address), 80)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "203.119.8.1", "2001:4860:4860::8888"])
def test_public_addresses_are_allowed(address):
    assert safe_fetch.public_address(ipaddress.ip_address(address), 443)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "2130706433", "0x7f.1",
                                  "127.1"])
def test_loopback_is_refused_before_any_connection(server, host):
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/img.jpg", host=host), max_bytes=10_000)
    assert caught.value.reason == safe_fetch.REFUSED
    assert server.paths == []  # nothing reached the server


def test_a_name_resolving_to_a_private_address_is_refused(server):
    with pytest.raises(FetchError) as caught:
        fetch(f"http://anh.example.vn:{server.port}/img.jpg", max_bytes=10_000, resolver=public_name())
    assert caught.value.reason == safe_fetch.REFUSED and server.paths == []


def test_every_resolved_address_must_pass():
    allow_first = lambda ip, port: str(ip) == "127.0.0.1"  # noqa: E731
    two = lambda host, port: ["127.0.0.1", "10.0.0.7"]  # noqa: E731
    with pytest.raises(FetchError) as caught:
        fetch("http://anh.example.vn/img.jpg", max_bytes=10_000, allow=allow_first, resolver=two)
    assert caught.value.reason == safe_fetch.REFUSED


def test_an_allowed_server_is_fetched(server):
    got = fetch(f"http://anh.example.vn:{server.port}/img.jpg", max_bytes=10_000, allow=only(server),
                resolver=public_name())
    assert got.body == image_bytes("JPEG") and got.content_type == "image/jpeg"
    assert server.paths == ["/img.jpg"]


def test_a_redirect_to_an_internal_address_is_refused_at_the_hop(server, internal):
    target = quote(internal.url("/html"), safe="")
    with pytest.raises(FetchError) as caught:
        fetch(f"http://anh.example.vn:{server.port}/redirect?to={target}", max_bytes=10_000,
              allow=only(server), resolver=public_name())
    assert caught.value.reason == safe_fetch.REFUSED
    assert server.paths == [f"/redirect?to={target}"]  # the first hop was fetched …
    assert internal.paths == []  # … the internal one never


def test_a_redirect_to_a_name_of_a_private_address_is_refused(server, internal):
    target = quote(f"http://localhost:{internal.port}/html", safe="")
    with pytest.raises(FetchError) as caught:
        fetch(server.url(f"/redirect?to={target}"), max_bytes=10_000, allow=only(server))
    assert caught.value.reason == safe_fetch.REFUSED and internal.paths == []


def test_a_redirect_to_another_scheme_is_refused(server):
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/redirect?to=file%3A%2F%2F%2Fetc%2Fpasswd"), max_bytes=10_000, allow=only(server))
    assert caught.value.reason == safe_fetch.BAD_URL


def test_redirects_are_followed_at_most_max_redirects_times(server):
    got = fetch(server.url("/redirect?to=%2Fimg.jpg"), max_bytes=10_000, allow=only(server))
    assert got.body == image_bytes("JPEG") and got.url == server.url("/img.jpg")
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/loop"), max_bytes=10_000, allow=only(server), max_redirects=3)
    assert caught.value.reason == safe_fetch.TOO_MANY_REDIRECTS
    assert server.paths[-4:] == ["/loop"] * 4 and server.paths.count("/loop") == 4


def test_the_checked_address_is_the_one_connected_to(server):
    """No second DNS lookup between the check and the connection (DNS rebinding)."""
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])  # a rebinding resolver: public first, then internal
    calls = []

    def rebinding(host, port):
        calls.append(host)
        return next(answers)

    got = fetch(f"http://anh.example.vn:{server.port}/img.jpg", max_bytes=10_000, allow=only(server),
                resolver=rebinding)
    assert got.body == image_bytes("JPEG") and calls == ["anh.example.vn"]


@pytest.mark.parametrize("path", ["/drip-body", "/drip-headers"])
def test_a_slow_drip_is_cut_at_the_total_deadline(server, path):
    with pytest.raises(FetchError) as caught:
        fetch(server.url(path), max_bytes=10**9, deadline=0.4, allow=only(server))
    assert caught.value.reason == safe_fetch.DEADLINE


def test_an_oversized_body_is_cut_at_the_cap(server):
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/big?n=300000"), max_bytes=100_000, allow=only(server))
    assert caught.value.reason == safe_fetch.TOO_LARGE
    assert fetch(server.url("/big?n=90000"), max_bytes=100_000, allow=only(server)).body == b"\xff" * 90000


def test_a_declared_oversized_body_is_refused_unread(server):
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/declared?n=50000000"), max_bytes=100_000, allow=only(server))
    assert caught.value.reason == safe_fetch.TOO_LARGE


def test_a_content_length_of_other_digits_is_not_a_crash(server):
    """"²" is a digit to str.isdigit but not to int: the length is unknown and the body is read (up to
    the cap), where the int() of it used to fail the fetch as "unreachable"."""
    answer = fetch(server.url("/declared?n=" + quote("²")), max_bytes=100_000, allow=only(server))
    assert answer.body == b""


def test_content_types_and_statuses(server):
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/html"), max_bytes=10_000, allow=only(server), content_types=["image/jpeg"])
    assert caught.value.reason == safe_fetch.BAD_TYPE
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/missing"), max_bytes=10_000, allow=only(server))
    assert caught.value.reason == safe_fetch.BAD_STATUS


@pytest.mark.parametrize("url", ["ftp://example.org/a.jpg", "file:///etc/passwd", "http://user:pw@example.org/",
                                 "http:///nohost", "http://example.org:99999/"])
def test_bad_urls(url):
    with pytest.raises(FetchError) as caught:
        fetch(url, max_bytes=10)
    assert caught.value.reason == safe_fetch.BAD_URL


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate for ``anh.example.vn``, and a
    client context trusting it."""
    import shutil
    import ssl
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=anh.example.vn", "-addext", "subjectAltName=DNS:anh.example.vn",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    client_side = ssl.create_default_context(cafile=str(cert))
    with LoopbackServer(tls=server_side) as s:
        yield s, client_side


def test_https_connects_to_the_checked_address_and_verifies_the_name(tls_server):
    server, trust = tls_server
    got = fetch(f"https://anh.example.vn:{server.port}/img.jpg", max_bytes=10_000, allow=only(server),
                resolver=public_name(), tls=trust)
    assert got.body == image_bytes("JPEG")
    # The certificate is checked against the name asked for, not the address connected to.
    with pytest.raises(FetchError) as caught:
        fetch(f"https://other.example.vn:{server.port}/img.jpg", max_bytes=10_000, allow=only(server),
              resolver=public_name("other.example.vn"), tls=trust)
    assert caught.value.reason == safe_fetch.UNREACHABLE and "certificate" in caught.value.detail.lower()
