"""Periodic jobs run by the background worker (``tinhso notify run``, which ``tinhso serve`` starts).

A capability app registers its job in its ``AppConfig.ready`` (notify imports no capability app)::

    from tinhso.notify import periodic
    periodic.register("opendata-refresh", schedule.refresh_due, every=300)

Each worker round runs the jobs whose interval has passed since their last run in this process
(the first run comes one interval after start, so a restart does not stampede). A job decides
itself whether there is anything to do and must be cheap when there is not, idempotent, and safe
when several workers run it (a lock of its own). A failing job is logged and tried again at its
next interval; it never stops the worker."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger("tinhso.notify")


@dataclass
class Job:
    name: str
    func: Callable[[], object]
    every: float
    next_at: float = 0.0


JOBS: dict[str, Job] = {}


def register(name: str, func: Callable[[], object], every: float) -> None:
    """Run ``func()`` about every ``every`` seconds in the worker; registering a name again replaces it."""
    JOBS[name] = Job(name, func, float(every), time.monotonic() + float(every))


def run_due(clock: Callable[[], float] = time.monotonic) -> list[str]:
    """Run the jobs that are due now; their names."""
    ran = []
    for job in list(JOBS.values()):
        now = clock()
        if now < job.next_at:
            continue
        job.next_at = now + job.every
        try:
            job.func()
        except Exception:  # noqa: BLE001 — one job's failure must not end the worker
            logger.exception("periodic job %s failed", job.name)
        ran.append(job.name)
    return ran
