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

Every word of the query must occur in one of the fields. How a word occurs:

- word mode (:func:`folded_q`'s default; the report lists, the dossiers' names): as a *whole word*
  of the field, punctuation and spaces separating words (:data:`SEPARATORS`); the query's last word
  may also be the *start* of a word (the user is typing) when it is the query's only word, or when it
  follows the query's previous word in the field ("phan thi" finds "Phan Thiết", "o ga" finds
  "ổ gà" but not "gây … ở", "ổ" not "giao"). A field's *search key* (:func:`search_key`,
  :class:`SearchKey`) is its folded words separated by single spaces with a space before and after
  (`` o ga sau ``), so every test is a plain ``LIKE '% word %'`` (or ``'% word%'``) on any database.
- substring mode (the admin's rule): the folded word anywhere in the field.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.expressions import Func
from django.db.models.functions import Cast, Concat, Lower

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




def _separators() -> str:
    """Characters that separate words in a search key: every space, control, punctuation and symbol
    character of the blocks text is typed in (ASCII, Latin-1, General Punctuation, currency, CJK
    and full-width punctuation). An explicit list, so that Python and PostgreSQL's ``translate()``
    split words identically; the characters outside it (letters, digits, marks) are left as they are.
    NUL is not in it: PostgreSQL's text cannot hold it."""
    blocks = ((0x01, 0x100), (0x1680, 0x1681), (0x2000, 0x2070), (0x20A0, 0x20D0), (0x3000, 0x3040),
              (0xFF00, 0xFF66))
    return "".join(chr(cp) for lo, hi in blocks for cp in range(lo, hi)
                   if unicodedata.category(chr(cp))[0] in "PSZ" or unicodedata.category(chr(cp)) == "Cc")


SEPARATORS = _separators()
_TO_SPACES = str.maketrans(SEPARATORS, " " * len(SEPARATORS))


def search_words(text: str | None) -> list[str]:
    """The folded words of ``text``, punctuation separating them ("(Ổ GÀ)," → ["o", "ga"])."""
    return fold(text or "").translate(_TO_SPACES).split()


def search_key(text: str | None) -> str:
    """The search key of ``text``: its folded words, single spaces between them and at both ends
    (``" o ga sau truoc cho "``), so a whole word is found as ``" word "`` and a word start as
    ``" word"`` (the ``search_text`` columns; :class:`SearchKey` computes the same in SQL)."""
    return f" {' '.join(search_words(text))} "


def _fold_or_none(value):
    return None if value is None else fold(str(value))


def _search_key_or_none(value):
    return None if value is None else search_key(str(value))


def register_sqlite_fold(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: give SQLite connections the ``tinhso_fold`` and
    ``tinhso_search_key`` functions."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("tinhso_fold", 1, _fold_or_none, deterministic=True)
        connection.connection.create_function("tinhso_search_key", 1, _search_key_or_none, deterministic=True)


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


class SearchKey(Func):
    """The search key of an expression (:func:`search_key`) in the database: on SQLite the Python
    function itself (``tinhso_search_key``); on PostgreSQL :class:`Fold`'s ``translate()`` also
    turning the :data:`SEPARATORS` into spaces, runs of spaces collapsed, one space at both ends."""

    arity = 1
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="tinhso_search_key", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        text = Cast(self.source_expressions[0], TextField())
        # translate(): FOLD_FROM → FOLD_TO, SEPARATORS → spaces, FOLD_DROP (beyond "to") removed.
        translated = Func(text, Value(FOLD_FROM + SEPARATORS + FOLD_DROP), Value(FOLD_TO + " " * len(SEPARATORS)),
                          function="translate", output_field=TextField())
        spaced = Func(translated, Value(" +"), Value(" "), Value("g"), function="regexp_replace",
                      output_field=TextField())
        trimmed = Func(spaced, function="btrim", output_field=TextField())
        return compiler.compile(Concat(Value(" "), trimmed, Value(" "), output_field=TextField()))

    def as_sql(self, compiler, connection, **extra):  # other databases: case only, words by spaces
        return compiler.compile(Concat(Value(" "), Lower(self.source_expressions[0]), Value(" "),
                                       output_field=TextField()))


def words(q: str | None) -> list[str]:
    """The folded words of a query, punctuation separating them ("Ổ  GÀ," → ["o", "ga"])."""
    return search_words(q)


def word_conditions(keys: Sequence[str], q: str | None) -> list[Q]:
    """One condition per word of ``q`` (word mode, see the module docstring): the word in one of
    ``keys``, fields holding a search key (:func:`search_key`: a stored column or a
    :class:`SearchKey` alias). Every condition must hold; the last one allows a word start."""
    ws = words(q)
    conds = []
    for i, word in enumerate(ws):
        any_field = Q()
        for key in keys:
            any_field |= Q(**{f"{key}__contains": f" {word} "})
            if i == len(ws) - 1:  # the word being typed: the start of a word, after the previous word
                start = f" {ws[i - 1]} {word}" if i else f" {word}"
                any_field |= Q(**{f"{key}__contains": start})
        conds.append(any_field)
    return conds


def folded_q(fields: Sequence[str], q: str | None, *, stored: Iterable[str] = (),
             word_start: bool = True) -> tuple[dict, Q]:
    """Aliases and the condition matching every word of ``q`` in one of ``fields``.

    ``word_start`` (word mode): fields named in ``stored`` hold a search key (:func:`search_key`,
    a ``search_text`` column), the others go through :class:`SearchKey`. Otherwise (substring
    mode): fields in ``stored`` hold folded text, the others go through :class:`Fold`.
    """
    stored = set(stored)
    aliases, names = {}, []
    for i, field in enumerate(fields):
        if field in stored:
            names.append(field)
        else:
            name = f"_folded_{i}"
            aliases[name] = SearchKey(field) if word_start else Fold(field)
            names.append(name)
    cond = Q()
    if word_start:
        for word_cond in word_conditions(names, q):
            cond &= word_cond
        return aliases, cond
    for word in fold(q or "").split():
        any_field = Q()
        for name in names:
            any_field |= Q(**{f"{name}__contains": word})
        cond &= any_field
    return aliases, cond


def folded_filter(qs: QuerySet, q: str | None, fields: Sequence[str] = ("search_text",), *,
                  stored: Iterable[str] = ("search_text",), word_start: bool = True) -> QuerySet:
    """``qs`` narrowed to rows where every word of ``q`` occurs (folded) in one of ``fields``
    (as words, or anywhere with ``word_start=False``)."""
    if not (words(q) if word_start else fold(q or "").split()):
        return qs
    aliases, cond = folded_q(fields, q, stored=stored, word_start=word_start)
    return qs.alias(**aliases).filter(cond)


class FoldedSearchMixin:
    """ModelAdmin mixin: the admin's search box folds case and diacritics on both databases.

    ``search_fields`` keep their usual meaning (prefixes ``^ = @`` are read as "contains": substring
    mode, a part of a code or a name finds it); fields listed in ``folded_search_fields`` already
    hold folded text.
    """

    folded_search_fields: Sequence[str] = ()

    def get_search_results(self, request, queryset, search_term):
        from django.contrib.admin.utils import lookup_spawns_duplicates

        fields = [f.lstrip("^=@") for f in self.get_search_fields(request)]
        if not fields or not fold(search_term or "").split():
            return queryset, False
        qs = folded_filter(queryset, search_term, fields, stored=self.folded_search_fields, word_start=False)
        return qs, any(lookup_spawns_duplicates(self.opts, f) for f in fields)
