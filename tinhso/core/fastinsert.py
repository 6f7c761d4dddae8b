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

**One statement for a whole write** (:func:`combined`, PostgreSQL): inside the block, :func:`insert`,
:func:`insert_rows` and :func:`insert_select` queue their rows; at its end they are written by one statement, a chain of
data-modifying ``WITH`` queries (``WITH t0 AS (INSERT … RETURNING id), t1 AS (INSERT …) SELECT …``). A row
pointing at a queued instance (a foreign key whose related object is queued, e.g. a report's events)
takes its id from that query (``(SELECT id FROM t0)``). One statement is atomic by itself, so the block
needs no transaction: a submission is one round trip and one commit instead of BEGIN, four INSERTs and
COMMIT. The block must not write anything else (a write that is not queued would not be atomic with
the rest): it refuses any statement other than a ``SELECT`` while open. Queued instances get their
primary keys when the block ends, so only rows nobody reads back inside the block may be written there.

**Instances built without ``Model.__init__``'s field loop** (:func:`new`): ``Report(...)`` walks its ~45
fields, asks each for its default and sets each through ``setattr``, on every submission. :func:`new`
gives the same instance (the same ``__dict__``, related objects cached the same way, a fresh
``_state``) from defaults worked out once per model — a callable default (``dict``, a code generator)
is still called for every instance — and sets only what the caller passes, through the same
descriptors. A model with ``pre_init``/``post_init`` receivers is built by its constructor.
``tests/reports/test_fastinsert.py`` holds :func:`new` to the constructor.

What is not: no ``pre_save``/``post_save`` signals and no ``Model.save()`` override are run — the caller
does what they would have done (``Report.refresh_search_text``; the ``reports_bulk_created`` signal that
keeps the IOC's journal). ``tests/reports/test_fastinsert.py`` checks rows written here equal the ORM's (and
``tests/reports/test_intake_one_statement.py`` the one-statement path).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import operator
import threading
from collections.abc import Sequence

from django.db import connections, models
from django.db.models import Field, signals
from django.db.models.base import ModelState

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
        self.relations = [(i, f.name) for i, f in enumerate(self.fields) if f.is_relation]
        self.position = {f.attname: i for i, f in enumerate(self.fields)}

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

    def prepared(self, attname: str, value):
        """One value as :meth:`values` prepares it for its column."""
        i = self.position[attname]
        kind = type(value)
        if value is not None and (kind not in self.plain[i] or kind is dt.datetime and value.tzinfo is None):
            return self.prepare[i](value)
        return value

    def statement(self, n: int) -> str:
        if n not in self.statements:
            self.statements[n] = self.head + ", ".join([self.row] * n) + self.returning
        return self.statements[n]


class _Builder:
    """What :func:`new` needs of a model: its fixed defaults, its callable ones, how each keyword is set."""

    def __init__(self, model: type[models.Model]):
        from django.db.models.fields.related import ForeignObjectRel

        self.fixed: dict[str, object] = {}
        self.computed: list[Field] = []
        self.keywords: dict[str, tuple[str, bool]] = {}  # keyword → (attribute, set through its descriptor)
        for field in model._meta.fields:
            if field.column is None or field.generated:
                continue
            if field.has_default() and callable(field.default):
                self.computed.append(field)
            else:
                self.fixed[field.attname] = field.get_default()
            if isinstance(field.remote_field, ForeignObjectRel):
                self.keywords[field.name] = (field.name, True)
            self.keywords[field.attname] = (field.attname, hasattr(type(getattr(model, field.attname, None)), "__set__"))


_builders: dict[type, _Builder] = {}


def new(model: type[models.Model], **values):
    """``model(**values)`` without the per-field loop (see the module docstring); unsaved."""
    builder = _builders.get(model)
    if builder is None:
        builder = _builders[model] = _Builder(model)
    # Asked on every call (a cached look-up in Django's signals): a receiver may connect after the first.
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return model(**values)
    obj = model.__new__(model)
    obj._state = ModelState()
    attrs = obj.__dict__
    attrs.update(builder.fixed)
    for field in builder.computed:
        attrs[field.attname] = field.get_default()
    keywords = builder.keywords
    for name, value in values.items():
        try:
            attname, through_descriptor = keywords[name]
        except KeyError:
            raise TypeError(f"{model.__qualname__}() got an unexpected keyword argument '{name}'") from None
        if through_descriptor:
            setattr(obj, attname, value)
        else:
            attrs[attname] = value
    return obj


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


def _plan(model: type[models.Model], using: str) -> _Plan:
    connection = connections[using]
    key = (model, using, connection.vendor)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _Plan(model, connection)
    return plan


def prepared(model: type[models.Model], attname: str, value, using: str = "default"):
    """``value`` as :func:`insert` would write it into ``model``'s column ``attname`` (for statements
    built around the model's columns, e.g. an ``INSERT … SELECT`` through :func:`insert_select`)."""
    return _plan(model, using).prepared(attname, value)


def insert(objs: Sequence[models.Model], using: str = "default") -> None:
    """INSERT ``objs`` (instances of one model, not yet saved) in one statement; sets their primary keys
    (inside :func:`combined`: queued, keys set at the end of the block)."""
    if not objs:
        return
    plan = _plan(type(objs[0]), using)
    queue = _queue(using)
    if queue is not None:
        queue.append((plan, list(objs)))
        return
    params: list = []
    for obj in objs:
        params += plan.values(obj)
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(plan.statement(len(objs)), params)
        ids = [row[0] for row in cursor.fetchall()] if plan.returning else []
    _saved(plan, objs, ids, using)


def insert_rows(head: str, width: int, rows: Sequence[Sequence], using: str = "default") -> None:
    """``head`` (``INSERT INTO t (a, b) VALUES ``) with ``rows`` of ``width`` prepared values each, one
    statement (inside :func:`combined`: queued)."""
    if not rows:
        return
    queue = _queue(using)
    if queue is not None:
        queue.append((head, width, [list(r) for r in rows]))
        return
    row = "(" + ", ".join(["%s"] * width) + ")"
    with connections[using].cursor() as cursor:
        cursor.execute(head + ", ".join([row] * len(rows)), [v for r in rows for v in r])


class _Select:
    """A queued ``INSERT … SELECT``: rows the database works out itself (e.g. one message per recipient)."""

    def __init__(self, head: str, select: str, params: Sequence):
        self.head, self.select, self.params = head, select, list(params)


def insert_select(head: str, select: str, params: Sequence, using: str = "default") -> None:
    """``head`` (``INSERT INTO t (a, b) ``) with the rows of ``select`` (a ``SELECT`` of those columns, with
    ``params``), one statement (inside :func:`combined`: queued, and run by the combined statement)."""
    queue = _queue(using)
    if queue is not None:
        queue.append(_Select(head, select, params))
        return
    with connections[using].cursor() as cursor:
        cursor.execute(head + select, list(params))


def _saved(plan: _Plan, objs: Sequence[models.Model], ids: list, using: str) -> None:
    attname = plan.pk.attname
    for i, obj in enumerate(objs):
        if ids:
            setattr(obj, attname, ids[i])
        obj._state.adding = False
        obj._state.db = using


# ---------------------------------------------------------------------------------------------
# One statement for a whole write (PostgreSQL)

_local = threading.local()


def _queue(using: str) -> list | None:
    queues = getattr(_local, "queues", None)
    return queues.get(using) if queues else None


class NotCombinable(RuntimeError):
    """A write other than a queued insert inside :func:`combined`: it would not be atomic with the rest."""


class Combined:
    """What :func:`combined` yields: after the block, ``rows`` holds the rows of its ``then`` query."""

    def __init__(self):
        self.rows: list[tuple] = []


@contextlib.contextmanager
def combined(using: str = "default", then: tuple[str, list] | None = None):
    """Queue the inserts of the block and write them with one statement at its end (see the module
    docstring). PostgreSQL only (data-modifying ``WITH``); not inside a transaction (the caller chooses:
    this or ``transaction.atomic``).

    ``then = (sql, params)``: a read (``SELECT``) run by the same statement, its rows given back as
    ``.rows`` of the yielded object. It sees the database as it was before the inserts (the snapshot of
    a statement's data-modifying ``WITH`` queries), not the rows written with it."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise NotCombinable("combined() needs PostgreSQL (data-modifying WITH queries)")
    if connection.in_atomic_block or _queue(using) is not None:
        raise NotCombinable("combined() is its own transaction: not inside atomic() or another combined()")
    queues = _local.__dict__.setdefault("queues", {})
    queues[using] = queue = []
    result = Combined()

    def reads_only(execute, sql, params, many, context):
        if not sql.lstrip()[:6].upper() == "SELECT":
            raise NotCombinable(f"a write inside combined() would not be atomic with its inserts: {sql[:80]}")
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(reads_only):
            yield result
    finally:
        del queues[using]
    result.rows = _write(queue, using, then)


def _write(queue: list, using: str, then: tuple[str, list] | None = None) -> list[tuple]:
    connection = connections[using]
    if not queue:
        if then is None:
            return []
        with connection.cursor() as cursor:
            cursor.execute(*then)
            return cursor.fetchall()
    quote = connection.ops.quote_name
    ctes, params, returned = [], [], []
    linked: list[tuple] = []  # (instance, foreign key attribute, queued related instance)
    cte_of: dict[int, str] = {}  # id(instance) → the query that inserts it (single-row inserts only)
    for k, entry in enumerate(queue):
        name = f"t{k}"
        if isinstance(entry, _Select):
            ctes.append(f"{name} AS ({entry.head}{entry.select})")
            params += entry.params
        elif isinstance(entry[0], _Plan):
            plan, objs = entry
            rows = []
            for obj in objs:
                values, marks = plan.values(obj), ["%s"] * len(plan.fields)
                for i, relation in plan.relations:
                    related = obj._state.fields_cache.get(relation)
                    if related is not None and id(related) in cte_of and related.pk is None:
                        marks[i] = f"(SELECT {quote(related._meta.pk.column)} FROM {cte_of[id(related)]})"
                        linked.append((obj, plan.fields[i].attname, related))
                rows.append("(" + ", ".join(marks) + ")")
                params += [v for v, m in zip(values, marks, strict=True) if m == "%s"]
            ctes.append(f"{name} AS ({plan.head}{', '.join(rows)}{plan.returning})")
            if plan.returning:
                returned.append((name, plan, objs))
            if len(objs) == 1:
                cte_of[id(objs[0])] = name
        else:
            head, width, rows = entry
            row = "(" + ", ".join(["%s"] * width) + ")"
            ctes.append(f"{name} AS ({head}{', '.join([row] * len(rows))})")
            params += [v for r in rows for v in r]
    select = ", ".join(f"(SELECT array_agg({quote(plan.pk.column)} ORDER BY {quote(plan.pk.column)}) FROM {name})"
                       for name, plan, _objs in returned) or "1"
    if then is not None:
        # The read's rows, each after the id arrays (repeated); one row of NULLs when it finds none.
        select = f"ids.*, r.* FROM (SELECT {select}) AS ids LEFT JOIN ({then[0]}) AS r ON TRUE"
        params += list(then[1])
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(ctes)} SELECT {select}", params)
        rows = cursor.fetchall()
    arrays = rows[0][:len(returned)] if rows else ()
    for (_name, plan, objs), ids in zip(returned, arrays, strict=True):
        _saved(plan, objs, list(ids), using)
    for obj, attname, related in linked:  # as Model.save() does for a related object saved meanwhile
        setattr(obj, attname, related.pk)
    if then is None:
        return []
    read = [row[len(returned):] for row in rows]
    return [] if len(read) == 1 and all(v is None for v in read[0]) else read  # the LEFT JOIN's empty row
