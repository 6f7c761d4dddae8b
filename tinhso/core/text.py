"""Vietnamese text primitives: NFC normalisation and diacritic folding for search.

Vietnamese can be typed in composed (NFC) or decomposed (NFD) form and the two look identical;
everything stored is NFC. Search compares *folded* keys: lower case, no tone or vowel marks, and
``đ`` → ``d`` (``đ`` is a letter of its own, not ``d`` plus a combining mark, so Unicode
decomposition alone does not remove it). So "phan thiet", "Phan Thiết" and "PHAN THIET" match.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC with runs of whitespace collapsed and ends stripped."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str) -> str:
    """Search key: lower case, diacritics removed, ``đ`` → ``d``, single spaces.

    >>> fold("Phường Phan Thiết")
    'phuong phan thiet'
    >>> fold("ĐẮK NÔNG")
    'dak nong'
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.lower()).strip()
