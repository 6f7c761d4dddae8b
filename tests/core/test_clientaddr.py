"""The client's address behind reverse proxies: believed from trusted proxies only, and the one
address every per-address rate limit counts by."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from tinhso.core.clientaddr import client_ip

PROXY = "10.0.0.5"
rf = RequestFactory()


def ip(**meta) -> str:
    return client_ip(rf.get("/", **meta))


@pytest.fixture
def trusted(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "2001:db8:ff::/48"]
    settings.PROXY_HEADER = "X-Forwarded-For"
    return settings


def test_without_trusted_proxies_the_peer_is_the_client(settings):
    settings.TRUSTED_PROXIES = []
    assert ip(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1") == "203.0.113.7"
    assert ip(REMOTE_ADDR="") == "unknown"


def test_forwarded_for_is_read_from_a_trusted_peer_only(trusted):
    assert ip(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1") == "198.51.100.1"
    # A client reaching the server directly cannot choose its address.
    assert ip(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1") == "203.0.113.7"


def test_the_chain_is_walked_right_to_left_past_trusted_hops(trusted):
    # The client forged the first entry; our proxies appended the real address, then each other's.
    chain = "1.1.1.1, 198.51.100.9, 10.0.0.7"
    assert ip(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=chain) == "198.51.100.9"
    # Every hop trusted: the leftmost is the client.
    assert ip(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="10.0.0.8, 10.0.0.7") == "10.0.0.8"
    # Garbage where the proxy wrote an address: the last trusted hop, never anything further left.
    assert ip(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.9, bogus") == PROXY
    # Ports and IPv6 forms proxies write.
    assert ip(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.9:5123") == "198.51.100.9"
    assert ip(REMOTE_ADDR="2001:db8:ff::1", HTTP_X_FORWARDED_FOR="[2001:db8:1::7]:443") == "2001:db8:1::7"


def test_rfc7239_forwarded_when_configured(trusted):
    trusted.PROXY_HEADER = "Forwarded"
    header = 'for=1.1.1.1, for="[2001:db8:1::7]:4711";proto=https, for=10.0.0.7;by=10.0.0.5'
    assert ip(REMOTE_ADDR=PROXY, HTTP_FORWARDED=header) == "2001:db8:1::7"
    # The header the proxy does not write is the client's to forge: ignored.
    assert ip(REMOTE_ADDR=PROXY, HTTP_FORWARDED="for=10.0.0.9", HTTP_X_FORWARDED_FOR="198.51.100.1") == "10.0.0.9"
    assert ip(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1") == PROXY
    assert ip(REMOTE_ADDR=PROXY, HTTP_FORWARDED="for=unknown") == PROXY


def test_a_bad_trusted_proxy_setting_refuses_to_start():
    import os
    import subprocess
    import sys

    env = {**os.environ, "TINHSO_TRUSTED_PROXIES": "10.0.0.1,not-an-ip"}
    done = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "TINHSO_TRUSTED_PROXIES" in done.stderr and "not-an-ip" in done.stderr


# --- the rate limits count by it -------------------------------------------------------------------

def _sign_in_codes(client, n, **meta):
    return [client.post("/dang-nhap", {"username": "nobody", "password": f"guess-{i}"}, **meta).status_code
            for i in range(n)]


@pytest.mark.django_db
def test_two_clients_behind_a_trusted_proxy_are_counted_separately(trusted):
    trusted.REPORTS_RATE_LIMITS = {"login": 2}
    client = Client()
    first = _sign_in_codes(client, 3, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1")
    second = _sign_in_codes(client, 2, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert first == [200, 200, 429]
    assert second == [200, 200]  # before: both were the proxy's address, so this one was refused


@pytest.mark.django_db
def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(trusted):
    trusted.REPORTS_RATE_LIMITS = {"login": 2}
    client = Client()
    codes = [client.post("/dang-nhap", {"username": "nobody", "password": "x"}, REMOTE_ADDR="203.0.113.7",
                         HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(3)]
    assert codes == [200, 200, 429]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/reports/track/PA-AAAAA-AAAAA", "/open311/v2/services.json"])
def test_api_limits_count_the_forwarded_client(trusted, path):
    trusted.REPORTS_RATE_LIMITS = {"track": 1}
    trusted.OPEN311_RATE_LIMITS = {"get": 1, "post": 0}
    client = Client()
    first = client.get(path, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code
    again = client.get(path, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code
    other = client.get(path, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code
    assert first != 429 and again == 429 and other != 429


def test_forwarded_proto_is_believed_from_trusted_proxies_only(trusted):
    from tinhso.core.clientaddr import ForwardedProtoGuard

    seen = {}

    def view(request):
        seen["proto"] = request.META.get("HTTP_X_FORWARDED_PROTO")

    guard = ForwardedProtoGuard(view)
    guard(rf.get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_PROTO="https"))
    assert seen["proto"] is None
    guard(rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https"))
    assert seen["proto"] == "https"
