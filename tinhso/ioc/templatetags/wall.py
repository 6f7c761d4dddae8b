"""``{{ value|figure:"pct" }}``: a wall figure as the wall's script writes it (``wall.js`` ``format``:
``int``, ``num``, ``pct``, ``pp``), so the first paint — and a browser without script — shows
"58,6%" rather than the raw 0.5858 the script later replaces. Vietnamese pages group thousands with
"." and write decimals with ","; English pages the other way round."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal
from django import template

from tinhso.core.i18n import english_now

register = template.Library()


def _number(value: float, digits: int, english: bool) -> str:
    """``value`` with at most ``digits`` decimals in the reader's locale (babel). Halves are rounded
    away from zero first, as the browser's ``Intl.NumberFormat`` does (babel would round to even)."""
    fixed = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(fixed, format=pattern, locale="en_GB" if english else "vi_VN")


@register.filter
def figure(value, kind: str = "num") -> str:
    if value is None or value == "":
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    english = english_now()
    if kind == "int":
        return _number(number, 0, english)
    if kind == "pct":
        return _number(number * 100, 1, english) + "%"
    if kind == "pp":
        text = _number(number * 100, 2, english)
        return ("+" if number > 0 else "") + text + (" pp" if english else " điểm %")
    return _number(number, 2, english)
