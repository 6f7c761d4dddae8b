"""CPU per Open311 submission in one process, split into Python and its PostgreSQL backend, against
the floor measured the same way in the same run.

    TINHSO_PG_KEEP=/tmp/intake-work/pg scripts/with-postgres .venv/bin/python bench/intake_cpu.py \
        --work /tmp/intake-work/var --requests 600 [--rounds 3] [--profile [--sort cumulative]] [--without PART]

Submits ``--requests`` Open311 requests through Django's test client (one thread, one database
connection; the same middleware and view as ``tinhso serve``, without gunicorn) and reads the CPU
time of this process and of its PostgreSQL backend (``pg_backend_pid()``, from /proc): no other
process's work is counted, so the figures move little when the machine is shared, unlike the
closed and open loops of ``bench/open311_intake.py``. The **floor** of that benchmark (``POST
/bench/floor``: the same form bodies through the same middleware, one INSERT; ``intake_floor_urls``)
is measured the same way, in ``--rounds`` interleaved rounds, and the submission's CPU is reported as a
multiple of the floor's (medians). The first run loads ``tinhso init``, the reference data and an API
key into ``--work`` (and the kept cluster); later runs reuse them, so two trees (``PYTHONPATH``) can be
compared on the same database one after the other.

``--profile``: cProfile with the process's CPU clock over one round of submissions (``--sort``).
``--without PART`` (repeatable): measure with one part of intake switched off, to see what it costs
without the profiler's distortion — ``acknowledgement`` (the citizen's and handlers' notices),
``duplicates`` (the nearby search after the commit), ``journal`` (the IOC aggregate journal row).
Never a product setting: the patched functions are replaced in this process only.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import open311_intake as bench  # noqa: E402


def backend_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        raw = f.read()
    fields = raw[raw.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class GcClock:
    """CPU time spent in the cyclic garbage collector (gc.callbacks), and its full collections."""

    def __init__(self):
        self.cpu, self.full, self._start = 0.0, 0, 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.process_time()
        else:
            self.cpu += time.process_time() - self._start
            self.full += info["generation"] == 2


def ablate(parts: list[str]) -> None:
    if "acknowledgement" in parts:
        from tinhso.reports import notices

        notices.on_submitted = lambda *a, **k: None
    if "duplicates" in parts:
        from tinhso.reports import duplicates

        duplicates.find_nearby = lambda *a, **k: []
    if "journal" in parts:
        from tinhso.ioc import aggregates

        aggregates.JOURNAL = False


def show_queries(client, jobs: list) -> None:
    """The statements the submissions sent, by their first words, per submission."""
    from collections import Counter

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    kinds: Counter = Counter()
    with CaptureQueriesContext(connection) as queries:
        for _, path, body, headers in jobs:
            client.post(path, body, content_type=headers["Content-Type"])
    for query in queries.captured_queries:
        kinds[" ".join(query["sql"].split()[:4])[:90]] += 1
    print(f"statements per submission ({len(jobs)} submissions): {len(queries.captured_queries) / len(jobs):.2f}")
    for kind, count in kinds.most_common():
        print(f"  {count / len(jobs):5.2f}  {kind}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, required=True, help="kept TINHSO_VAR_DIR (fixture)")
    parser.add_argument("--requests", type=int, default=600, help="submissions (and floor posts) per round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of floor and submissions")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime", help="with --profile: pstats order (tottime, cumulative)")
    parser.add_argument("--dump", default="", help="with --profile: also write the pstats file here")
    parser.add_argument("--queries", type=int, default=0,
                        help="also print the statements of N submissions (kinds and counts per submission)")
    parser.add_argument("--without", action="append", default=[],
                        choices=["acknowledgement", "duplicates", "journal"])
    args = parser.parse_args()
    if bench.database_label() != "postgresql":
        sys.exit("PostgreSQL only (scripts/with-postgres with TINHSO_PG_KEEP)")
    env = bench.prepare_environment("postgresql", args.work)
    key_file = args.work / "api-key.txt"
    if not key_file.exists():
        bench.run(env, "init")
        bench.load_reference()
        key_file.write_text(bench.run(env, "reports", "create-api-key", "intake-cpu").strip().splitlines()[-1])
    key = key_file.read_text()
    bench.setup_django()
    import intake_floor_urls
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    call_command("migrate", verbosity=0)  # the migrations of the tree under test
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [intake_floor_urls.TABLE])
        if cursor.fetchone()[0] is None:
            intake_floor_urls.create_table()
    ablate(args.without)
    client = Client()
    jobs = bench.intake_jobs(key, (args.requests + 30) * args.rounds, random.Random(time.time_ns()))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

    gc_clock = GcClock()
    wal_bytes: dict[bool, list[float]] = {}

    def wal_lsn() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")
            return int(cursor.fetchone()[0])

    def measure(batch: list, floor: bool, profiler=None) -> tuple[float, float, float]:
        """Post ``batch`` (after 30 warm-up posts); CPU ms per post: (Python, PostgreSQL backend)."""
        warm, timed = batch[:30], batch[30:]
        for _, path, body, headers in warm:  # caches, locator, prepared statements
            response = client.post("/bench/floor" if floor else path, body, content_type=headers["Content-Type"])
            assert response.status_code == 201, response.content
        if profiler:
            profiler.enable()
        wal0 = wal_lsn()
        python0, database0, gc0 = time.process_time(), backend_cpu(pid), gc_clock.cpu
        for _, path, body, headers in timed:
            client.post("/bench/floor" if floor else path, body, content_type=headers["Content-Type"])
        python1, database1, gc1 = time.process_time(), backend_cpu(pid), gc_clock.cpu
        wal_bytes.setdefault(floor, []).append((wal_lsn() - wal0) / len(timed))
        if profiler:
            profiler.disable()
        n = len(timed)
        return (python1 - python0) / n * 1000, (database1 - database0) / n * 1000, (gc1 - gc0) / n * 1000

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)
    size = args.requests + 30
    floors, submissions = [], []
    for k in range(args.rounds):
        batch = jobs[k * size:(k + 1) * size]
        with override_settings(ROOT_URLCONF="intake_floor_urls"):
            floors.append(measure(batch, True))
        submissions.append(measure(batch, False, profiler if k == 0 else None))
        f, s = floors[-1], submissions[-1]
        print(f"round {k + 1}: floor {f[0]:.2f} + {f[1]:.2f} ms, submission {s[0]:.2f} + {s[1]:.2f} ms "
              f"(of which the garbage collector: floor {f[2]:.2f}, submission {s[2]:.2f} ms)"
              f"{' (profiler on)' if profiler and k == 0 else ''}", flush=True)
    rounds = submissions[1:] if profiler and args.rounds > 1 else submissions
    floor = [statistics.median(x[i] for x in floors) for i in (0, 1)]
    sub = [statistics.median(x[i] for x in rounds) for i in (0, 1)]
    without = f" without {', '.join(args.without)}" if args.without else ""
    print(f"{args.requests} in-process posts × {args.rounds} rounds{without}, load average "
          f"{os.getloadavg()[0]:.1f}; CPU per post, medians (Python + PostgreSQL backend):\n"
          f"  floor      {floor[0]:.2f} + {floor[1]:.2f} = {sum(floor):.2f} ms\n"
          f"  submission {sub[0]:.2f} + {sub[1]:.2f} = {sum(sub):.2f} ms\n"
          f"  multiple of the floor: {sum(sub) / sum(floor):.2f}x\n"
          f"  WAL per post, medians: floor {statistics.median(wal_bytes[True]):,.0f} bytes, "
          f"submission {statistics.median(wal_bytes[False]):,.0f} bytes")
    if args.queries:
        show_queries(client, jobs[-args.queries:])
    if profiler:
        import pstats

        if args.dump:
            profiler.dump_stats(args.dump)
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(60 if args.sort == "cumulative" else 40)
    return 0


if __name__ == "__main__":
    sys.exit(main())
