"""Diacritic- and case-insensitive search in the database, the same on SQLite and PostgreSQL.

A search matches *folded* keys (:func:`tinhso.core.text.fold`: lower case, no tone or vowel
marks, ``đ`` → ``d``), so "phan thiet", "Phan Thiết", "PHAN THIẾT" and "O GA" find "ổ gà".
SQLite's ``LIKE`` folds ASCII case only and PostgreSQL's ``ILIKE`` keeps diacritics, so neither
is enough. Two tools:

- :class:`Fold`, a database expression giving the folded key of a column: on SQLite a function
  ``tinhso_fold`` registered on every connection (:func:`register_sqlite_fold`, the Python
  :func:`fold` itself); on PostgreSQL ``translate()`` with the table of Vietnamese letters (no
  extension, independent of the database's locale), which also drops combining marks, so text
  stored decomposed (NFD) folds as its NFC twin. Used for the small tables (categories,
  units, the admin of every model).
- stored folded columns (``search_text``) on the large tables, kept on save and in bulk inserts;
  :func:`folded_filter` matches either.

Every word of the query must occur in one of the fields (the admin's rule).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.expressions import Func
from django.db.models.functions import Cast, Lower

from tinhso.core.text import fold


def _fold_table() -> tuple[str, str]:
    """Every Latin letter whose folded key is one ASCII letter, and that letter."""
    src, dst = [], []
    ranges = (range(0x41, 0x5B), range(0xC0, 0x250), range(0x1E00, 0x1F00))
    for block in ranges:
        for cp in block:
            ch = chr(cp)
            if not unicodedata.category(ch).startswith("L"):
                continue
            key = fold(ch)
            if len(key) == 1 and key.isascii() and key != ch:
                src.append(ch)
                dst.append(key)
    return "".join(src), "".join(dst)


FOLD_FROM, FOLD_TO = _fold_table()
# The combining marks (U+0300–U+036F): dropped by PostgreSQL's translate() as characters of its "from"
# beyond the "to" string. Text typed in decomposed (NFD) form (an admin's paste: the admin's forms do
# not normalise) is a base letter then its marks, so it folds like its composed (NFC) twin.
FOLD_DROP = "".join(chr(cp) for cp in range(0x300, 0x370))


def _fold_or_none(value):
    return None if value is None else fold(str(value))


def register_sqlite_fold(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: give SQLite connections the ``tinhso_fold`` function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("tinhso_fold", 1, _fold_or_none, deterministic=True)


class Fold(Func):
    """The folded search key of an expression (see the module docstring)."""

    arity = 1
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="tinhso_fold", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        text = Cast(self.source_expressions[0], TextField())
        translated = Func(text, Value(FOLD_FROM + FOLD_DROP), Value(FOLD_TO), function="translate",
                          output_field=TextField())
        return compiler.compile(translated)

    def as_sql(self, compiler, connection, **extra):  # other databases: case only
        return compiler.compile(Lower(self.source_expressions[0]))


def words(q: str | None) -> list[str]:
    """The folded words of a query ("Ổ  GÀ" → ["o", "ga"])."""
    return fold(q or "").split()


def folded_q(fields: Sequence[str], q: str | None, *, stored: Iterable[str] = ()) -> tuple[dict, Q]:
    """Aliases and the condition matching every word of ``q`` in one of ``fields``.

    Fields named in ``stored`` already hold folded text (a ``search_text`` column) and are
    compared as they are; the others go through :class:`Fold`.
    """
    stored = set(stored)
    aliases, names = {}, []
    for i, field in enumerate(fields):
        if field in stored:
            names.append(field)
        else:
            name = f"_folded_{i}"
            aliases[name] = Fold(field)
            names.append(name)
    cond = Q()
    for word in words(q):
        any_field = Q()
        for name in names:
            any_field |= Q(**{f"{name}__contains": word})
        cond &= any_field
    return aliases, cond


def folded_filter(qs: QuerySet, q: str | None, fields: Sequence[str] = ("search_text",), *,
                  stored: Iterable[str] = ("search_text",)) -> QuerySet:
    """``qs`` narrowed to rows where every word of ``q`` occurs (folded) in one of ``fields``."""
    if not words(q):
        return qs
    aliases, cond = folded_q(fields, q, stored=stored)
    return qs.alias(**aliases).filter(cond)


class FoldedSearchMixin:
    """ModelAdmin mixin: the admin's search box folds case and diacritics on both databases.

    ``search_fields`` keep their usual meaning (prefixes ``^ = @`` are read as "contains");
    fields listed in ``folded_search_fields`` already hold folded text.
    """

    folded_search_fields: Sequence[str] = ()

    def get_search_results(self, request, queryset, search_term):
        from django.contrib.admin.utils import lookup_spawns_duplicates

        fields = [f.lstrip("^=@") for f in self.get_search_fields(request)]
        if not fields or not words(search_term):
            return queryset, False
        qs = folded_filter(queryset, search_term, fields, stored=self.folded_search_fields)
        return qs, any(lookup_spawns_duplicates(self.opts, f) for f in fields)
