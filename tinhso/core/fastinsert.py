"""INSERT model instances through a statement built once per model, database and row count.

Why this exists: Django compiles every INSERT anew — ``SQLInsertCompiler.as_sql`` walks the model's
fields, calls ``pre_save`` and ``get_db_prep_save`` on each value, quotes every column name and joins the
SQL text — which is most of the Python time of a citizen's submission (a report of ~45 columns, its
history events and its outbox messages: ~0.2 ms per row on the 2-core machine of docs/benchmarks.md).
The hot write paths (:mod:`tinhso.reports.intake`, :func:`tinhso.notify.outbox.send`) insert through
:func:`insert` instead; everything else keeps the ORM. Not a library's job: Django offers no compiled
INSERT, and the raw SQL here is a few lines over Django's own field API.

What is the same as ``Model.save()`` / ``bulk_create()``:

- the columns are the model's concrete fields (the auto-increment primary key left to the database
  and read back with ``RETURNING``, as ``bulk_create`` does on PostgreSQL and SQLite ≥ 3.35);
- each value is what the field's ``pre_save`` gives (a field class that overrides it, e.g. ``auto_now``
  dates, is asked; the others' ``pre_save`` is the attribute) prepared by ``get_db_prep_save`` — except
  where that is provably the identity: per field, a probe value of each plain type (``str``, ``int``,
  ``float``, ``bool``, an aware ``datetime``) is prepared once; a type the field returns unchanged is
  passed through for that field (e.g. text and numbers everywhere, aware datetimes on PostgreSQL, never
  on SQLite, never JSON);
- the instances come back saved (primary key set, ``_state.adding`` false, ``_state.db`` set);
- errors are Django's (``IntegrityError`` etc., through the connection's cursor wrapper).

What is not: no ``pre_save``/``post_save`` signals and no ``Model.save()`` override are run — the caller
does what they would have done (``Report.refresh_search_text``; the ``reports_bulk_created`` signal that
keeps the IOC's journal). ``tests/core/test_fastinsert.py`` checks rows written here equal the ORM's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from django.db import connections, models
from django.db.models import Field

_PROBES: tuple = ("probe", 7, 1.5, True, dt.datetime(2025, 7, 1, 8, 30, tzinfo=dt.UTC))
_plans: dict[tuple, _Plan] = {}


class _Plan:
    """A model's INSERT on one database: columns, per-field value preparation, statements by row count."""

    def __init__(self, model: type[models.Model], connection):
        meta = model._meta
        self.pk = meta.pk
        self.fields = [f for f in meta.concrete_fields if not (f.primary_key and isinstance(f, models.AutoField))]
        quote = connection.ops.quote_name
        self.head = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in self.fields)}) "
                     "VALUES ")
        self.row = "(" + ", ".join(["%s"] * len(self.fields)) + ")"
        self.returning = f" RETURNING {quote(self.pk.column)}" if self.pk in meta.concrete_fields \
            and isinstance(self.pk, models.AutoField) else ""
        self.statements: dict[int, str] = {}
        self.readers: list[Callable] = [self._reader(f, connection) for f in self.fields]

    @staticmethod
    def _reader(field: Field, connection) -> Callable:
        """``obj → database value`` for one field (see the module docstring)."""
        attname = field.attname
        custom_pre_save = type(field).pre_save is not Field.pre_save
        plain = frozenset(type(p) for p in _PROBES if _identity(field, p, connection))
        aware_ok = dt.datetime in plain

        def prepare(value):
            kind = type(value)
            if value is None or (kind in plain and (kind is not dt.datetime or value.tzinfo is not None
                                                     and aware_ok)):
                return value
            return field.get_db_prep_save(value, connection=connection)

        if custom_pre_save:
            return lambda obj: prepare(field.pre_save(obj, True))
        return lambda obj: prepare(getattr(obj, attname))

    def statement(self, n: int) -> str:
        if n not in self.statements:
            self.statements[n] = self.head + ", ".join([self.row] * n) + self.returning
        return self.statements[n]


def _identity(field: Field, probe, connection) -> bool:
    try:
        return field.get_db_prep_save(probe, connection=connection) is probe
    except Exception:  # noqa: BLE001 - a type the field refuses is simply not passed through
        return False


def insert(objs: Sequence[models.Model], using: str = "default") -> None:
    """INSERT ``objs`` (instances of one model, not yet saved) in one statement; sets their primary keys."""
    if not objs:
        return
    model = type(objs[0])
    connection = connections[using]
    key = (model, using, connection.vendor)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _Plan(model, connection)
    params: list = []
    readers = plan.readers
    for obj in objs:
        params.extend(read(obj) for read in readers)
    with connection.cursor() as cursor:
        cursor.execute(plan.statement(len(objs)), params)
        ids = [row[0] for row in cursor.fetchall()] if plan.returning else []
    attname = plan.pk.attname
    for i, obj in enumerate(objs):
        if ids:
            setattr(obj, attname, ids[i])
        obj._state.adding = False
        obj._state.db = using
