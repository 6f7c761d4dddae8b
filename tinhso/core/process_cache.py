"""Reference tables read on every submission (or every message), kept per server process.

Categories, routing rules, committees and the deadline policy change a few times a year (admin
edits) but were read from the database on every submission. A :class:`ProcessCache` loads such
a value once and keeps it until

- a row of one of its models is saved or deleted in this process (``post_save`` /
  ``post_delete`` signals; dropped again at commit, in case another thread reloaded the old
  rows meanwhile), or
- ``ttl`` seconds have passed: the only way an edit made in *another* server process (another
  gunicorn worker, the admin on another machine) arrives. That delay is the trade-off: an
  edited rule applies to new reports up to ``ttl`` seconds late in the other processes.

Inside a transaction (imports, tests, a view running in ``atomic``) the value is loaded fresh
and not kept: the rows read there may be uncommitted, or rolled back later.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from django.db import transaction
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")


def in_transaction() -> bool:
    return transaction.get_connection().in_atomic_block


class ProcessCache(Generic[T]):
    def __init__(self, name: str, load: Callable[[], T], *, ttl: float, models: Iterable[type]):
        self.name, self.load, self.ttl = name, load, ttl
        self._value: tuple[float, T] | None = None
        self._lock = threading.Lock()
        for model in models:
            post_save.connect(self._changed, sender=model, dispatch_uid=f"{name}-save-{model.__name__}")
            post_delete.connect(self._changed, sender=model, dispatch_uid=f"{name}-delete-{model.__name__}")

    def get(self) -> T:
        if in_transaction():
            return self.load()
        kept = self._value
        if kept is not None and time.monotonic() - kept[0] < self.ttl:
            return kept[1]
        with self._lock:
            loaded_at, value = time.monotonic(), self.load()
            self._value = (loaded_at, value)
        return value

    def forget(self) -> None:
        self._value = None

    def _changed(self, sender, **kwargs) -> None:
        self.forget()
        transaction.on_commit(self.forget)
