"""``{{ unit|local_name }}``: a unit's, agency's or category's name in the page's language (its
``name_en`` on an English page, else the Vietnamese name); see :func:`tinhso.core.i18n.local_name`.
``{{ org|local_title }}``: the same for ``title_vi``/``title_en``."""

from __future__ import annotations

from django import template

from tinhso.core import i18n

register = template.Library()


@register.filter
def local_name(obj) -> str:
    return i18n.local_name(obj)


@register.filter
def local_title(obj) -> str:
    return i18n.local_title(obj)
