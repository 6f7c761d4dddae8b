"""Labels in one language: choice labels are translatable (``gettext_lazy``, Vietnamese msgid, the
English in ``locale/en``); these helpers read one in a given language, whatever the active one."""

from __future__ import annotations

from django.utils import translation


def in_language(text, language: str) -> str:
    """``text`` (a lazy translatable string or a plain one) rendered in ``language`` ("vi", "en")."""
    with translation.override(language):
        return str(text)


def both(text) -> tuple[str, str]:
    """``(Vietnamese, English)`` of a translatable label."""
    return in_language(text, "vi"), in_language(text, "en")


def english_now() -> bool:
    return (translation.get_language() or "vi").startswith("en")


def grouped(n: int | float, english: bool | None = None) -> str:
    """A whole number with its thousands grouped as the language writes them: 200.000 (Vietnamese),
    200,000 (English); the active language unless ``english`` says. (Django's Vietnamese formats do not
    group digits.)"""
    text = f"{int(n):,}"
    return text if (english_now() if english is None else english) else text.replace(",", ".")


def pick(vi: str, en: str) -> str:
    """``en`` on an English page when there is one, else ``vi``."""
    return en if en and english_now() else vi


def local_name(obj) -> str:
    """The name of a unit, agency, handling unit or category in the active language: its ``name_en``
    on an English page when it has one, else its Vietnamese ``name`` (or ``name_vi``). Works on model
    instances and on dicts with the same keys; ``None`` gives ""."""
    if obj is None or obj == "":
        return ""
    if isinstance(obj, dict):
        vi, en = obj.get("name") or obj.get("name_vi") or "", obj.get("name_en") or ""
    else:
        vi = getattr(obj, "name", None) or getattr(obj, "name_vi", None) or ""
        en = getattr(obj, "name_en", None) or ""
    return pick(vi, en)


def local_title(obj) -> str:
    """An object's ``title_en`` on an English page when it has one, else its ``title_vi``."""
    if obj is None or obj == "":
        return ""
    if isinstance(obj, dict):
        return pick(obj.get("title_vi") or "", obj.get("title_en") or "")
    return pick(getattr(obj, "title_vi", "") or "", getattr(obj, "title_en", "") or "")


class BilingualLabels(dict):
    """``{value: (Vietnamese, English)}`` of a ``TextChoices`` class, each filled on first use."""

    def __init__(self, choices):
        super().__init__()
        self.choices = choices

    def __missing__(self, value):
        labels = both(self.choices(value).label)
        self[value] = labels
        return labels


def half(text: str, english: bool | None = None) -> str:
    """The half of a system text stored in both languages, ``"Tiếng Việt / English"``, in the page's
    language (``english``: the active language when None); a text without exactly one ``" / "`` is
    returned whole. Only for texts the system wrote that way, never a person's own words (a citizen's
    note may hold " / "): callers decide which texts are such (e.g. the reports' history notes,
    :mod:`tinhso.reports.history_notes`). The server-side twin of map.js's ``half()``."""
    text = text or ""
    parts = text.split(" / ")
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        return text
    return parts[1].strip() if (english_now() if english is None else english) else parts[0].strip()
