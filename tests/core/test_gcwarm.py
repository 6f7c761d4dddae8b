"""The WSGI wrapper that freezes the collector's generations once a worker has warmed up."""

import gc
import threading

from tinhso.core.gcwarm import FreezeAfterWarmup


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["body"]]


def call(wrapped, body=b"ok"):
    seen = []
    result = wrapped({"body": body}, lambda status, headers: seen.append(status))
    return seen[0], result


def test_freezes_once_after_the_given_number_of_requests(monkeypatch):
    freezes = []
    real_freeze = gc.freeze
    monkeypatch.setattr(gc, "freeze", lambda: freezes.append(1) or real_freeze())
    gc.unfreeze()
    try:
        wrapped = FreezeAfterWarmup(app, requests=3)
        assert call(wrapped) == ("200 OK", [b"ok"])
        call(wrapped)
        assert freezes == [] and gc.get_freeze_count() == 0 and not wrapped.frozen
        loaded = [{"cache": i} for i in range(1000)]  # what a worker's first requests load
        assert call(wrapped, b"third") == ("200 OK", [b"third"])
        # The permanent generation now holds what was loaded (its exact size moves as objects are
        # freed or untracked, so the number of freezes is what is counted below).
        assert freezes == [1] and wrapped.frozen and gc.get_freeze_count() >= len(loaded)
        for _ in range(5):
            call(wrapped)
        assert freezes == [1]  # once, not at every later request
    finally:
        gc.unfreeze()


def test_zero_turns_it_off_and_concurrent_requests_freeze_once(monkeypatch):
    gc.unfreeze()
    try:
        off = FreezeAfterWarmup(app, requests=0)
        for _ in range(5):
            call(off)
        assert not off.frozen and gc.get_freeze_count() == 0

        freezes = []
        monkeypatch.setattr(gc, "freeze", lambda: freezes.append(1))
        wrapped = FreezeAfterWarmup(app, requests=50)
        threads = [threading.Thread(target=lambda: [call(wrapped) for _ in range(25)]) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert freezes == [1] and wrapped.frozen
    finally:
        gc.unfreeze()


def test_the_request_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("TINHSO_GC_WARMUP_REQUESTS", "7")
    assert FreezeAfterWarmup(app).requests == 7
    monkeypatch.delenv("TINHSO_GC_WARMUP_REQUESTS")
    assert FreezeAfterWarmup(app).requests == 500
