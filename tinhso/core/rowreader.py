"""Model instances from the rows of a fixed SQL statement, with Django's own value converters.

For the few statements a busy request runs every time (the duplicate search at intake, the API key
lookup): the SQL is built once per database, and each row becomes an instance through
``Model.from_db`` after the converters Django's iterators apply (``connection.ops.get_db_converters``
and the field's own: SQLite's text timestamps become aware datetimes, its 0/1 booleans become bools).
``QuerySet``/``raw()`` do the same, but recompile or re-derive the column mapping on every call, which
cost more than the query itself there (docs/benchmarks.md, intake). Fields not read are deferred, as
with ``only()``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from django.db import connection, models


def per_vendor(build: Callable) -> Callable[[], str]:
    """``build(connection) → SQL`` run once per database vendor, then the same text each call (a fixed
    statement: psycopg and PostgreSQL then also reuse their conversion and plan)."""
    built: dict[str, str] = {}

    @functools.wraps(build)
    def statement() -> str:
        if connection.vendor not in built:
            built[connection.vendor] = build(connection)
        return built[connection.vendor]

    return statement


class RowReader:
    """``reader(row) → instance`` for rows whose first columns are ``fields`` of ``model`` in that order."""

    def __init__(self, model: type[models.Model], attnames: Sequence[str]):
        self.model, self.attnames = model, list(attnames)
        self._per_vendor: dict[str, tuple] = {}

    def columns(self, alias: str = "") -> str:
        """The fields' columns, quoted, optionally prefixed with a table alias, for a SELECT list."""
        quote = connection.ops.quote_name
        by_name = {f.attname: f for f in self.model._meta.concrete_fields}
        prefix = f"{alias}." if alias else ""
        return ", ".join(prefix + quote(by_name[name].column) for name in self.attnames)

    def _converters(self) -> list[tuple[int, object, list[Callable]]]:
        vendor = connection.vendor
        if vendor not in self._per_vendor:
            fields = {f.attname: f for f in self.model._meta.concrete_fields}
            converters = []
            for i, name in enumerate(self.attnames):
                col = fields[name].get_col(self.model._meta.db_table)
                convert = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if convert:
                    converters.append((i, col, convert))
            self._per_vendor[vendor] = converters
        return self._per_vendor[vendor]

    def __call__(self, row: Sequence) -> models.Model:
        values = list(row[:len(self.attnames)])
        for i, col, convert in self._converters():
            for fn in convert:
                values[i] = fn(values[i], col, connection)
        return self.model.from_db(connection.alias, self.attnames, values)
