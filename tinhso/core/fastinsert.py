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
import functools
import operator
from collections.abc import Sequence

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
        self.returning = f" RETURNING {quote(self.pk.column)}" if isinstance(self.pk, models.AutoField) else ""
        self.statements: dict[int, str] = {}
        # Per field, in column order: the types passed through unchanged, and how to prepare the others.
        self.getter = operator.attrgetter(*(f.attname for f in self.fields))
        self.custom = [(i, f) for i, f in enumerate(self.fields) if type(f).pre_save is not Field.pre_save
                       and not (isinstance(f, models.DateField) and not f.auto_now and not f.auto_now_add)]
        self.plain = [_plain_types(f, connection) for f in self.fields]
        self.prepare = [functools.partial(f.get_db_prep_save, connection=connection) for f in self.fields]

    def values(self, obj) -> list:
        values = list(self.getter(obj)) if len(self.fields) > 1 else [self.getter(obj)]
        for i, field in self.custom:  # e.g. auto_now dates: the field decides the value
            values[i] = field.pre_save(obj, True)
        plain, prepare = self.plain, self.prepare
        for i, value in enumerate(values):
            kind = type(value)
            if value is not None and (kind not in plain[i] or kind is dt.datetime and value.tzinfo is None):
                values[i] = prepare[i](value)
        return values

    def statement(self, n: int) -> str:
        if n not in self.statements:
            self.statements[n] = self.head + ", ".join([self.row] * n) + self.returning
        return self.statements[n]


def _plain_types(field: Field, connection) -> frozenset:
    """The probe types ``field`` prepares as themselves (a naive datetime is never passed through: the ORM
    warns about it and converts it)."""
    plain = set()
    for probe in _PROBES:
        try:
            if field.get_db_prep_save(probe, connection=connection) is probe:
                plain.add(type(probe))
        except Exception:  # noqa: BLE001, S110 - a type the field refuses is simply not passed through
            pass
    return frozenset(plain)


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
    for obj in objs:
        params += plan.values(obj)
    with connection.cursor() as cursor:
        cursor.execute(plan.statement(len(objs)), params)
        ids = [row[0] for row in cursor.fetchall()] if plan.returning else []
    attname = plan.pk.attname
    for i, obj in enumerate(objs):
        if ids:
            setattr(obj, attname, ids[i])
        obj._state.adding = False
        obj._state.db = using
