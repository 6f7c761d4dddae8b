"""What the plan pages show of stored texts, in the page's language and without internal codes.

- the product's own texts of the data files (an observation's note, the source's wording of a period,
  an aggregation note, an issuer, a source's publisher) in English on an English page when the data file
  gives it (:func:`tinhso.indicators.datafiles.english_for`), and the ones it wrote in English in
  Vietnamese on a Vietnamese page (:func:`~tinhso.indicators.datafiles.vietnamese_for`); a text a person
  typed is shown as typed;
- a source's citation with its publisher in the page's language (:func:`citation`);
- the assessment's thresholds said in words, not by the threshold set's code (:func:`method_note`);
- the source's wording of a period on an English page only translated: else the year says it;
- the loader's name (``LOADER_NAME``) and its data file's name said in words;
- a target revision's values as a reader knows them (a level's label, ≥, the source's title).

Exports and the API keep the stored values.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tinhso.core.i18n import english_now
from tinhso.indicators.datafiles import LOADER_NAME, english_for, vietnamese_for
from tinhso.indicators.models import AdminLevel, Source, ThresholdSet

OBSERVATION_LOADED = _("Nạp từ nguồn đã dẫn (dữ liệu mẫu)")
TARGET_LOADED = _("Nạp từ văn bản kế hoạch (dữ liệu mẫu)")
WEB_FORM = _("nhập trên biểu mẫu web")
SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "~": "≈", "": "="}


def text(value, english: bool | None = None) -> str:
    """``value`` in the page's language when the data files give it: its English on an English page, its
    Vietnamese on a Vietnamese page (for a text they wrote in English); else as stored."""
    value = str(value or "")
    if english is None:
        english = english_now()
    return (english_for(value) if english else vietnamese_for(value)) or value


def citation(source, english: bool | None = None) -> str:
    """A source as cited on the pages (its title, publisher, date and address), the publisher in the page's
    language when the data files give it; the title is the document's own."""
    if source is None:
        return ""
    parts = [source.title]
    if source.publisher:
        parts.append(text(source.publisher, english))
    if source.published:
        parts.append(source.published.strftime("%d/%m/%Y"))
    if source.url:
        parts.append(source.url)
    return " — ".join(parts)


def _share(value: float, english: bool) -> str:
    shown = f"{value * 100:.4g}%"
    return shown if english else shown.replace(".", ",")


def method_note(thresholds: dict | None) -> str:
    """The plan page's method line: the assessment's methods and its thresholds in words (a plan status's
    ``summary["thresholds"]``: the threshold set's code and parameters), in the page's language."""
    params = (thresholds or {}).get("params") or {}
    english = english_now()
    note = gettext(
        "Phương pháp: tốc độ tăng trưởng bình quân năm (CAGR) theo Thống kê Canada / Open SDG và hồi quy tuyến "
        "tính có trọng số thời gian (ESCAP). Chỉ tiêu có mục tiêu được xếp theo tốc độ tăng thực tế so với tốc "
        "độ cần để đạt mục tiêu: từ %(high)s trở lên là đúng hướng, từ %(medium)s là có nguy cơ không đạt, từ "
        "%(low)s là chệch hướng, thấp hơn là đi lùi.") % {
        "high": _share(params.get("cagr_high", 0.95), english),
        "medium": _share(params.get("cagr_med", 0.60), english),
        "low": _share(params.get("cagr_low", 0.0), english)}
    code = (thresholds or {}).get("code")
    default = code is None or ThresholdSet.objects.filter(code=code, is_default=True).exists()
    return f"{note} {gettext('Ngưỡng mặc định của hệ thống.') if default else gettext('Ngưỡng riêng của kế hoạch này.')}"


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
