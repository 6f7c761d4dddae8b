"""Every choice label of every model is in one language: the Vietnamese text is the msgid and its
English is in the catalogue, so the admin, filters and pages show "Đang xử lý" or "In progress",
never "Đang xử lý / In progress"."""

from __future__ import annotations

from django.apps import apps
from django.utils.functional import Promise

from tinhso.core.i18n import both


def _choice_labels():
    for model in apps.get_models():
        if not model.__module__.startswith("tinhso."):
            continue
        for field in model._meta.get_fields():
            for value, label in getattr(field, "flatchoices", None) or []:
                yield f"{model._meta.label}.{field.name}={value}", label


def test_no_choice_label_holds_two_languages_and_each_is_translated():
    labels = list(_choice_labels())
    assert len(labels) > 100
    bilingual, untranslated = [], []
    for where, label in labels:
        vi, en = both(label)
        if " / " in vi or " / " in en:
            bilingual.append((where, vi))
        if isinstance(label, Promise) and vi == en and vi.upper() != vi:
            untranslated.append((where, vi))
    assert bilingual == []
    assert untranslated == []


def test_state_labels_follow_the_language():
    from tinhso.reports.models import State

    assert both(State.IN_PROGRESS.label) == ("Đang xử lý", "In progress")
    assert both(State.REJECTED.label) == ("Từ chối", "Rejected")
