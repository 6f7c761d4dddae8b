"""What the plan pages show of stored texts, in the page's language and without internal codes.

- the product's own texts of the data files (an observation's note, the source's wording of a period,
  an aggregation note, an issuer) in English on an English page when the data file gives it
  (:func:`tinhso.indicators.datafiles.english_for`); a text a person typed is shown as typed;
- the source's wording of a period on an English page only translated: else the year says it;
- the loader's name (``LOADER_NAME``) and its data file's name said in words;
- a target revision's values as a reader knows them (a level's label, ≥, the source's title).

Exports and the API keep the stored values.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tinhso.core.i18n import english_now
from tinhso.indicators.datafiles import LOADER_NAME, english_for
from tinhso.indicators.models import AdminLevel, Source

OBSERVATION_LOADED = _("Nạp từ nguồn đã dẫn (dữ liệu mẫu)")
TARGET_LOADED = _("Nạp từ văn bản kế hoạch (dữ liệu mẫu)")
WEB_FORM = _("nhập trên biểu mẫu web")
SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "~": "≈", "": "="}


def text(value, english: bool | None = None) -> str:
    """``value``, or on an English page the English the data files give for it."""
    value = str(value or "")
    if english is None:
        english = english_now()
    return (english_for(value) or value) if english else value


def period_label(value, english: bool | None = None) -> str:
    """The source's wording of a period; on an English page its translation, else nothing."""
    value = str(value or "")
    if english is None:
        english = english_now()
    return english_for(value) if english else value


def entered_by(name: str) -> str:
    return str(OBSERVATION_LOADED) if name == LOADER_NAME else name


def changed_by(name: str) -> str:
    return str(TARGET_LOADED) if name == LOADER_NAME else name


def revision_note(note: str) -> str:
    return str(WEB_FORM) if note == "web form" else text(note)


def target_note(revision) -> str:
    """A target revision's note; the loader's note (its data file's name) is said by "changed by"."""
    note = revision.note or ""
    if revision.changed_by_name == LOADER_NAME and note.endswith(".toml"):
        return ""
    return text(note)


def target_value(field: str, value):
    """A tracked target field's stored value as a reader knows it."""
    if value is None or value == "":
        return value
    if field == "level" and value in AdminLevel.values:
        return str(AdminLevel(value).label)
    if field == "comparator":
        return SYMBOLS.get(value, value)
    if field == "source":
        source = Source.objects.filter(key=value).first()
        return source.title if source else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def observation(obs) -> None:
    """Set ``period_label_shown``, ``note_shown``, ``entered_by_shown`` and ``revision_note_shown`` on
    an observation (a model instance) for the page."""
    obs.period_label_shown = period_label(obs.period_label)
    obs.note_shown = text(obs.note)
    obs.entered_by_shown = entered_by(obs.entered_by_name)
    obs.revision_note_shown = revision_note(obs.revision_note)


def latest(item: dict | None) -> dict | None:
    """The plan status's ``latest`` figure (a dict) with ``period_label_shown`` and ``note_shown``."""
    if not item:
        return item
    return {**item, "period_label_shown": period_label(item.get("period_label")),
            "note_shown": text(item.get("note"))}
