"""Rate-limit counters live in a cache every server process shares, and count exactly."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection

from tests.installation import base_env

REPO = Path(__file__).resolve().parents[2]

# Run by each "server process": count hits on one bucket, or increment one counter.
SCRIPT = r"""
import os, sys, time
import django
django.setup()
from django.core.cache import cache
from django.core.management import call_command
from tinhso.core import ratelimit
from tinhso.core.errors import UserError

mode = sys.argv[1]
if mode == "setup":
    call_command("createcachetable", verbosity=0)
elif mode == "hits":
    out = []
    for _ in range(int(sys.argv[2])):
        try:
            ratelimit.hit("test:shared", int(sys.argv[3]), now=float(sys.argv[4]))
            out.append("ok")
        except UserError as err:
            out.append(str(err.status))
    print(",".join(out))
elif mode == "incr":
    go = sys.argv[3]
    while not os.path.exists(go):
        time.sleep(0.01)
    for _ in range(int(sys.argv[2])):
        if not cache.add("test:counter", 1, timeout=600):
            cache.incr("test:counter")
elif mode == "get":
    print(cache.get("test:counter"))
"""


def _env(var_dir: Path) -> dict:
    env = base_env()
    env.update(TINHSO_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="tinhso.settings",
               PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]))
    return env


def _run(env, *args) -> str:
    done = subprocess.run([sys.executable, "-c", SCRIPT, *map(str, args)], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_limit_holds_across_two_processes(tmp_path):
    env = _env(tmp_path / "var")
    _run(env, "setup")
    now = 1_700_000_000.0  # one fixed minute for both processes
    first = _run(env, "hits", 3, 5, now)
    second = _run(env, "hits", 3, 5, now)
    assert first == "ok,ok,ok"
    # With a per-process cache the second process would have started again from zero.
    assert second == "ok,ok,429"


def test_concurrent_increments_from_two_processes_are_all_counted(tmp_path):
    env = _env(tmp_path / "var")
    _run(env, "setup")
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT, "incr", "150", str(go)], env=env, cwd=REPO,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    assert _run(env, "get") == "300"


@pytest.mark.django_db
def test_a_window_is_started_once_then_only_counted(django_assert_max_num_queries):
    """The minute's first request starts the window; the others only increment it (no INSERT tried
    and rolled back, no row count for culling), and the limit still holds."""
    from tinhso.core import ratelimit
    from tinhso.core.errors import UserError

    cache.clear()
    now = 1_800_000_000.0
    ratelimit.hit("test:window", 3, now=now)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM tinhso_cache")
        assert cursor.fetchone()[0] == 1
    with django_assert_max_num_queries(4) as queries:  # SELECT … FOR UPDATE, UPDATE (and a savepoint here)
        ratelimit.hit("test:window", 3, now=now + 1)
    assert not any(q["sql"].startswith(("INSERT", "SELECT COUNT")) for q in queries.captured_queries)
    ratelimit.hit("test:window", 3, now=now + 2)
    with pytest.raises(UserError) as refused:
        ratelimit.hit("test:window", 3, now=now + 3)
    assert refused.value.status == 429
    ratelimit.hit("test:window", 3, now=now + 60)  # the next minute: a new window
    cache.clear()


@pytest.mark.django_db
def test_incr_keeps_the_expiry_and_refuses_a_missing_key():
    from django.core.cache import caches

    from tinhso.core.cache import DatabaseCache

    assert isinstance(caches["default"], DatabaseCache)

    def expires():
        with connection.cursor() as cursor:
            cursor.execute("SELECT expires FROM tinhso_cache WHERE cache_key = %s", [cache.make_key("k")])
            return cursor.fetchone()[0]

    cache.add("k", 1, timeout=60)
    before = expires()
    assert cache.incr("k") == 2 and cache.incr("k", 5) == 7 and cache.decr("k") == 6
    assert expires() == before  # Django's base incr re-sets the entry with the default 300 s
    cache.touch("k", timeout=-1)  # expired
    with pytest.raises(ValueError):
        cache.incr("k")
    with pytest.raises(ValueError):
        cache.incr("never-set")


@pytest.mark.django_db(transaction=True)
def test_increments_over_two_database_connections_are_all_counted():
    if connection.vendor == "sqlite":
        pytest.skip("the in-memory SQLite test database has one connection; see the two-process tests")
    cache.add("test:threads", 0, timeout=600)
    barrier = threading.Barrier(2)
    errors = []

    def work():
        from django.db import connections

        try:
            barrier.wait()
            for _ in range(100):
                cache.incr("test:threads")
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert cache.get("test:threads") == 200
    cache.delete("test:threads")


def test_redis_is_used_when_configured(tmp_path):
    env = {**_env(tmp_path / "var"), "TINHSO_CACHE_URL": "redis://127.0.0.1:6399/0"}
    probe = ("import django; django.setup(); from django.conf import settings; "
             "print(settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION'])")
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=REPO, capture_output=True, text=True,
                          check=False)
    assert done.stdout.split() == ["django.core.cache.backends.redis.RedisCache", "redis://127.0.0.1:6399/0"]
    bad = subprocess.run([sys.executable, "-c", probe], env={**env, "TINHSO_CACHE_URL": "memcached://x"}, cwd=REPO,
                         capture_output=True, text=True, check=False)
    assert bad.returncode != 0 and "TINHSO_CACHE_URL" in bad.stderr
