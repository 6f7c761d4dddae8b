"""``{{ text|half }}``: the page-language half of a system text stored as "Tiếng Việt / English"
(:func:`tinhso.core.i18n.half`); only for texts known to be the system's, never a person's words."""

from __future__ import annotations

from django import template

from tinhso.core import i18n

register = template.Library()


@register.filter
def half(text) -> str:
    return i18n.half(str(text or ""))
