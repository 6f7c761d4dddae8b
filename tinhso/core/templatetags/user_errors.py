"""``{{ error|message }}``: a :class:`~tinhso.core.errors.UserError`'s message in the reader's
language (the page shows one language, not both), for templates."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def message(error) -> str:
    if error is None:
        return ""
    english = (get_language() or "vi").startswith("en")
    return getattr(error, "message_en" if english else "message_vi", "") or str(error)
