"""Several workers at once never claim the same message (PostgreSQL: FOR UPDATE SKIP LOCKED + lease)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from tinhso import notify
from tinhso.notify import worker


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_are_disjoint(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections (PostgreSQL); SQLite runs one writer at a time")
    settings.NOTIFY_EMAIL_URL = "smtp://127.0.0.1:25"
    now = timezone.now()
    for i in range(120):
        notify.send("k", subject=f"s{i}", body="b", emails=[f"a{i}@example.org"], now=now)
    claimed: list[list[int]] = []
    start = threading.Barrier(4)

    def run():
        try:
            start.wait()
            mine = []
            while True:
                ids = worker.claim(now, limit=7)
                if not ids:
                    break
                mine += ids
            claimed.append(mine)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    every = [pk for mine in claimed for pk in mine]
    assert len(claimed) == 4 and len(every) == 120 and len(set(every)) == 120
