"""Units of measure in the reader's language.

Units are stored as the plan writes them, in Vietnamese ("hạng", "%/năm", "người"). The common ones
are translated in the message catalogue (context "đơn vị tính"); a unit the catalogue does not know
is shown as stored. Exports and the API keep the stored text. Templates use the ``uom`` filter
(``{% load uom %}``).
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import pgettext

CONTEXT = "đơn vị tính"


def label(value) -> str:
    text = str(value or "").strip()
    return pgettext(CONTEXT, text) if text else ""


def label_in(value, language: str) -> str:
    """:func:`label` in ``language`` ("vi", "en"), whatever the active one (the wall's API carries both)."""
    with translation.override(language):
        return label(value)
