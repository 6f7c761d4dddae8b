"""``{{ value|figure:"pct" }}``: a wall figure as the wall's script writes it (``wall.js`` ``format``:
``int``, ``num``, ``pct``, ``pp``), so the first paint — and a browser without script — shows
"58,6%" rather than the raw 0.5858 the script later replaces. Vietnamese pages group thousands with
"." and write decimals with ","; English pages the other way round."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template

from tinhso.core.i18n import english_now

register = template.Library()


def _number(value: float, digits: int, english: bool) -> str:
    quantum = Decimal(1).scaleb(-digits)
    fixed = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if fixed < 0 else ""
    whole, _, frac = f"{abs(fixed):f}".partition(".")
    frac = frac.rstrip("0")
    group, point = (",", ".") if english else (".", ",")
    grouped = f"{int(whole):,}".replace(",", group)
    return f"{sign}{grouped}{point + frac if frac else ''}"


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
