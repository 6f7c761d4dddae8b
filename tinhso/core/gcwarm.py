"""Move what a server process loads during its first requests out of the cyclic collector's reach.

``tinhso/wsgi.py`` calls ``gc.freeze()`` once the application is imported: Django, the apps and the URL
map then sit in the collector's permanent generation and its full collections stop walking them.
What a worker loads on its first requests is not covered — the locator's index (its grid answers,
legacy candidates and the boundary polygons it tests), the process caches (categories, communes,
deadline rules and calendar), the templates and the modules imported lazily — about 130,000
container objects per worker in the closed loop of ``bench/open311_intake.py``, walked again at every
full collection (≈ 2 % of a submission's server CPU; docs/benchmarks.md, "Intake, tenth round").

:class:`FreezeAfterWarmup` wraps the WSGI application and calls ``gc.freeze()`` once more when the
process has answered ``requests`` requests. What is frozen is never collected as a cycle: the
requests in flight at that moment leave their few cyclic objects behind once (a bounded, one-time
cost); everything frozen is still freed by reference counting when nothing uses it any more.
"""

from __future__ import annotations

import gc
import itertools
import os

DEFAULT_REQUESTS = 500


class FreezeAfterWarmup:
    """A WSGI application that freezes the collector's generations after its first ``requests`` calls."""

    def __init__(self, application, requests: int | None = None):
        self.application = application
        if requests is None:
            requests = int(os.environ.get("TINHSO_GC_WARMUP_REQUESTS", DEFAULT_REQUESTS))
        self.requests = requests
        self._count = itertools.count(1)  # next() is atomic under the GIL: one thread sees `requests`
        self.frozen = False

    def __call__(self, environ, start_response):
        if not self.frozen and self.requests > 0 and next(self._count) == self.requests:
            gc.freeze()
            self.frozen = True
        return self.application(environ, start_response)
