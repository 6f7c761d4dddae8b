"""The shared cache behind rate limits: Django's database cache with an atomic ``incr``.

Django's :class:`~django.core.cache.backends.db.DatabaseCache` increments by reading the value,
then writing the sum: two server processes counting the same request bucket at once both read
``n`` and both write ``n + 1``, so a limit lets through more than it says. Here the increment
runs in one transaction holding the row: ``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the
transaction starts with ``BEGIN IMMEDIATE`` (``transaction_mode`` in settings), which takes the
database's write lock first. The entry keeps its expiry (the base class would reset it).

``tinhso init`` creates the table (``createcachetable``); Django's test runner does too. Set
``TINHSO_CACHE_URL=redis://…`` to use Redis instead (its ``INCR`` is atomic by itself).
"""

from __future__ import annotations

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone


class DatabaseCache(DjangoDatabaseCache):
    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        qn = connection.ops.quote_name
        table = qn(self._table)
        now = connection.ops.adapt_datetimefield_value(timezone.now().replace(microsecond=0))
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(f"SELECT {qn('value')} FROM {table} WHERE {qn('cache_key')} = %s "
                           f"AND {qn('expires')} >= %s{lock}", [key, now])
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(row[0].encode())) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET {qn('value')} = %s WHERE {qn('cache_key')} = %s", [encoded, key])
        return value

    def decr(self, key, delta=1, version=None):
        return self.incr(key, -delta, version)
