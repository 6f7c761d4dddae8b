"""CPU per Open311 submission in one process, split into Python and its PostgreSQL backend.

    TINHSO_PG_KEEP=/tmp/intake-work/pg scripts/with-postgres .venv/bin/python bench/intake_cpu.py \
        --work /tmp/intake-work/var --requests 600 [--profile]

Submits ``--requests`` Open311 requests through Django's test client (one thread, one database
connection; the same middleware and view as ``tinhso serve``, without gunicorn) and reads the CPU
time of this process and of its PostgreSQL backend (``pg_backend_pid()``, from /proc): no other
process's work is counted, so the figures move little when the machine is shared, unlike the
closed and open loops of ``bench/open311_intake.py``. The first run loads ``tinhso init``, the
reference data and an API key into ``--work`` (and the kept cluster); later runs reuse them, so
two trees (``PYTHONPATH``) can be compared on the same database one after the other.
``--profile``: cProfile with the process's CPU clock, the 40 costliest functions.
"""

from __future__ import annotations

import argparse
import os
import random
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, required=True, help="kept TINHSO_VAR_DIR (fixture)")
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--profile", action="store_true")
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
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)  # the migrations of the tree under test
    from django.test import Client

    client = Client()
    jobs = bench.intake_jobs(key, args.requests + 30, random.Random(time.time_ns()))
    for _, path, body, headers in jobs[:30]:  # warm-up: caches, locator, prepared statements
        assert client.post(path, body, content_type=headers["Content-Type"]).status_code == 201
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
    python0, database0 = time.process_time(), backend_cpu(pid)
    for _, path, body, headers in jobs[30:]:
        assert client.post(path, body, content_type=headers["Content-Type"]).status_code == 201
    python1, database1 = time.process_time(), backend_cpu(pid)
    if profiler:
        profiler.disable()
    n = args.requests
    print(f"{n} in-process submissions, load average {os.getloadavg()[0]:.1f}: CPU per submission "
          f"Python {(python1 - python0) / n * 1000:.2f} ms + PostgreSQL backend {(database1 - database0) / n * 1000:.2f} ms"
          f"{' (profiler on)' if profiler else ''}")
    if profiler:
        import pstats

        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
    return 0


if __name__ == "__main__":
    sys.exit(main())
