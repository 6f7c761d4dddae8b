"""The dossier list's text search (``q``), in word mode like the reports and open data
(:mod:`tinhso.core.search`): every word of the query is a *whole word* of a dossier's code, procedure
code or handling officer, or of the name (Vietnamese or English) or code of its procedure or agency; the query's last word may
also be the *start* of a word (the user is typing) when it is the only word or when it follows the
previous word in the same field. Case, diacritics and punctuation do not matter: "an" finds "Nguyễn Văn
An" and "AN", not "Hoàng" or "Lan"; "nguyen van a" finds "Nguyễn Văn An".

Dossiers live in the Parquet store (millions of rows, :mod:`tinhso.dossiers.store`), read by DuckDB or
Spark, so their fields are not folded into a stored key: a word becomes one regular expression per field
(:func:`word_pattern`) that matches the word's letters with or without their marks, in either case, between
separators (:data:`tinhso.core.search.SEPARATORS`), straight on the stored text. RE2 (DuckDB) and Java
(Spark, after sqlglot) read the same syntax (``\\x{hhhh}`` escapes, classes, ``^``/``$``). Measured on
10 million dossiers (DuckDB, 2 threads): a one-word list (count and first page) in about 2–6 s, where folding
every row with ``translate()`` before took about 23 s per million (≈ 4 min at 10 M); no stored key is
needed. The agencies' and procedures' names and codes are small tables in the Django database: matched
there with the same word conditions (:func:`tinhso.core.search.word_conditions` over
:class:`~tinhso.core.search.SearchKey`), on SQLite and PostgreSQL alike, and turned into ``agency IN (…)`` /
``ma_tthc IN (…)``.
"""

from __future__ import annotations

from tinhso.core import search
from tinhso.core.errors import UserError

MAX_Q = 200
MAX_WORDS = 10
ROW_FIELDS = ("ma_ho_so", "ma_tthc", "officer")
"""The dossier's own text fields searched row by row (the agency is matched through its catalogue row:
every stored agency code is one of the catalogue's, the importer refuses others)."""
MAX_PROCEDURES = 2000


def _escape(ch: str) -> str:
    return ch if ch.isascii() and ch.isalnum() else f"\\x{{{ord(ch):x}}}"


def char_class(chars) -> str:
    """A regular-expression class of ``chars``, consecutive code points as ranges, every character
    that is not an ASCII letter or digit escaped as ``\\x{hhhh}`` (plain ASCII in the SQL text)."""
    points = sorted({ord(c) for c in chars})
    parts, i = [], 0
    while i < len(points):
        j = i
        while j + 1 < len(points) and points[j + 1] == points[j] + 1:
            j += 1
        lo, hi = _escape(chr(points[i])), _escape(chr(points[j]))
        parts.append(lo if i == j else f"{lo}{'' if j == i + 1 else '-'}{hi}")
        i = j + 1
    return "[" + "".join(parts) + "]"


def _variants() -> dict[str, str]:
    out: dict[str, set[str]] = {}
    for src, dst in zip(search.FOLD_FROM, search.FOLD_TO, strict=False):
        out.setdefault(dst, set()).add(src)
    return {key: "".join(sorted(chars)) for key, chars in out.items()}


_VARIANTS = _variants()  # folded letter → every letter folding to it ("a" → "AÀÁÂ…àáâ…")
SEP = char_class(search.SEPARATORS)
_MARKS = "[\\x{300}-\\x{36f}]*"  # combining marks (text stored decomposed): ignored, as folding drops them
_START = f"(^|{SEP})"
_END = f"({SEP}|$)"


def word_pattern(word: str) -> str:
    """The regular expression of one folded word's letters in stored text: each letter in either case and
    with any marks, combining marks allowed after it."""
    return "".join(char_class(ch + _VARIANTS.get(ch, "")) + _MARKS for ch in word)


def pattern(words: list[str], i: int) -> str:
    """The expression word ``i`` of ``words`` must match in a field: a whole word; the last word also as a
    word start, alone or right after the previous word (separators between them)."""
    word = word_pattern(words[i])
    if i < len(words) - 1:
        return f"{_START}{word}{_END}"
    if i == 0:
        return f"{_START}{word}"
    return f"{_START}({word}{_END}|{word_pattern(words[i - 1])}{SEP}+{word})"


def _quote(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _keyed(model, fields: tuple[str, ...], q: str) -> list:
    """Per word of ``q``, the rows of ``model`` (a queryset, not evaluated) with the word in one of ``fields``
    (word mode, as :func:`tinhso.core.search.word_conditions`)."""
    aliases = {f"_key_{name}": search.SearchKey(name) for name in fields}
    keyed = model.objects.alias(**aliases)
    return [keyed.filter(cond) for cond in search.word_conditions(list(aliases), q)]


def condition(q: str) -> str:
    """The SQL condition (DuckDB dialect) of the dossiers matching every word of ``q`` (see the module)."""
    from tinhso.dossiers.models import Agency, Procedure

    if len(q) > MAX_Q:
        raise UserError("bad_q", f"Từ khóa tìm kiếm tối đa {MAX_Q} ký tự",
                        f"The search words are at most {MAX_Q} characters", field="q")
    words = search.words(q)
    if len(words) > MAX_WORDS:
        raise UserError("bad_q", f"Tìm tối đa {MAX_WORDS} từ (có {len(words)} từ)",
                        f"Search at most {MAX_WORDS} words ({len(words)} given)", field="q")
    procedures = _keyed(Procedure, ("code", "name", "name_en"), q)
    agencies = _keyed(Agency, ("code", "name", "name_en"), q)
    parts = []
    for i in range(len(words)):
        # The catalogue's matches first: the engines test the expressions only on the rows not found yet.
        alternatives = []
        codes = list(agencies[i].values_list("code", flat=True))
        if codes:
            alternatives.append(f"agency IN ({', '.join(_quote(c) for c in codes)})")
        codes = list(procedures[i].values_list("code", flat=True)[:MAX_PROCEDURES])
        if codes:
            alternatives.append(f"ma_tthc IN ({', '.join(_quote(c) for c in codes)})")
        regex = _quote(pattern(words, i))
        alternatives += [f"regexp_matches({field}, {regex})" for field in ROW_FIELDS]
        parts.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(parts) or "TRUE"


def procedure_codes(text: str) -> list[str]:
    """The catalogue's procedures a procedure filter names (the list's "Thủ tục" field): a code, as it is
    (any case); else every procedure whose Vietnamese or English name is the text (case and diacritics
    ignored: the suggestion the user picked); else those whose code or names hold every word of it
    (word mode, as :func:`condition`). The small Django table only; sorted codes, at most
    :data:`MAX_PROCEDURES`."""
    from tinhso.core.text import fold
    from tinhso.dossiers.models import Procedure

    text = " ".join(str(text or "").split())
    if len(text) > MAX_Q:
        raise UserError("bad_procedure", f"Tên thủ tục tối đa {MAX_Q} ký tự",
                        f"The procedure's name is at most {MAX_Q} characters", field="procedure")
    if not text:
        return []
    code = Procedure.objects.filter(code__iexact=text).values_list("code", flat=True).first()
    if code:
        return [code]
    wanted = fold(text)
    named = sorted(c for c, vi, en in Procedure.objects.values_list("code", "name", "name_en")
                   if wanted in (fold(vi), fold(en or "")))
    if named:
        return named[:MAX_PROCEDURES]
    if not search.words(text):
        return []
    found: set[str] | None = None
    for rows in _keyed(Procedure, ("code", "name", "name_en"), text):
        codes = set(rows.values_list("code", flat=True))
        found = codes if found is None else found & codes
    return sorted(found or ())[:MAX_PROCEDURES]
