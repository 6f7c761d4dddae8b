"""Vietnamese text primitives: NFC normalisation and diacritic folding for search.

Vietnamese can be typed in composed (NFC) or decomposed (NFD) form and the two look identical;
everything stored is NFC. Search compares *folded* keys: lower case, no tone or vowel marks, and
``đ`` → ``d`` (``đ`` is a letter of its own, not ``d`` plus a combining mark, so Unicode
decomposition alone does not remove it; so is its look-alike ``Ð``/``ð``, typed for it in legacy
encodings, folded the same way). So "phan thiet", "Phan Thiết" and "PHAN THIET" match.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC with runs of whitespace collapsed and ends stripped."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


# Letters that are a d with a stroke but no combining mark: đ/Đ (U+0111/U+0110), and ð/Ð (U+00F0/U+00D0,
# the Icelandic eth) which the legacy Vietnamese encodings (TCVN3, VNI, Windows-1258 fonts) and some
# keyboards put where Đ belongs, so "Ðà Lạt" is typed and stored for "Đà Lạt".
_D_STROKES = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "Ð": "D"})


def _strip_marks(text: str) -> str:
    """``text`` decomposed (NFD) without its combining marks, ``đ`` (and its look-alike ``ð``) → ``d``:
    the rule, for any text."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_STROKES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# The same rule as a str.translate table over the blocks Vietnamese is written in (Basic Latin, Latin-1,
# Latin Extended-A/B, the combining diacritics and Latin Extended Additional, where the precomposed
# Vietnamese vowels are): built once (about 600 entries), and a text within those blocks is folded in C
# instead of a Python loop per character — fold is the key of every search, and SQLite's search
# function calls it on each row it compares. Per character is the same as per text: decomposition is
# per character up to the reordering of combining marks, which are all dropped.
_BLOCKS = ((0x0080, 0x0250), (0x0300, 0x0370), (0x1E00, 0x1F00))
_TABLE = {cp: folded for lo, hi in _BLOCKS for cp in range(lo, hi) if (folded := _strip_marks(chr(cp))) != chr(cp)}
_OUTSIDE_BLOCKS = re.compile("[^" + "".join(f"\\u{lo:04x}-\\u{hi - 1:04x}" for lo, hi in ((0, 0x80), *_BLOCKS)) + "]")


def fold(text: str) -> str:
    """Search key: lower case, diacritics removed, ``đ`` → ``d``, single spaces.

    >>> fold("Phường Phan Thiết")
    'phuong phan thiet'
    >>> fold("ĐẮK NÔNG")
    'dak nong'
    """
    if not text.isascii():
        text = text.translate(_TABLE) if _OUTSIDE_BLOCKS.search(text) is None else _strip_marks(text)
    return " ".join(text.lower().split())  # str.split() and \s split on the same (Unicode) whitespace
