"""Reply templates (admin-edited, per category and per reply box): the texts offered on a report's staff page.

Placeholders ``{code}``, ``{category}``, ``{unit}``, ``{commune}`` are filled for the report; any
other ``{…}`` is left as typed (a template never fails to render). A template naming a placeholder the
report has no value for (``{unit}`` before it is assigned) is not offered: it would insert a broken
sentence ("Đơn vị  đã tiếp nhận …"). Each reply box offers only its own templates
(:class:`~tinhso.reports.models.ReplyTemplate.Use`): an acknowledgement is no reason to reject.
"""

from __future__ import annotations

import re

from django.db.models import Q

from tinhso.reports.models import ReplyTemplate, Report

_PLACEHOLDER = re.compile(r"\{(code|category|unit|commune)\}")
USES = tuple(ReplyTemplate.Use.values)


def values(report: Report, *, english: bool = False) -> dict[str, str]:
    """The placeholders' values for ``report`` ("" where it has none)."""
    category = report.category
    return {
        "code": report.code,
        "category": (category.name_en or category.name_vi) if english else category.name_vi,
        "unit": ((report.handling_unit.name_en or report.handling_unit.name) if english
                 else report.handling_unit.name) if report.handling_unit_id else "",
        "commune": ((report.commune.name_en or report.commune.name) if english
                    else report.commune.name) if report.commune_id else "",
    }


def fill(text: str, report: Report, *, english: bool = False) -> str:
    found = values(report, english=english)
    return _PLACEHOLDER.sub(lambda m: found[m.group(1)], text)


def fillable(text: str, found: dict[str, str]) -> bool:
    """Whether every placeholder ``text`` names has a value."""
    return all(found[name] for name in _PLACEHOLDER.findall(text))


def templates_for(report: Report, *, english: bool = False) -> dict[str, list[dict]]:
    """Active templates for the report's category (and those for every category), filled, by reply box
    (``{"reject": [...], "resolve": [...], ...}``; every box present), titled in the page's language."""
    found = values(report, english=english)
    by_use: dict[str, list[dict]] = {use: [] for use in USES}
    rows = ReplyTemplate.objects.filter(Q(category__isnull=True) | Q(category_id=report.category_id), active=True)
    for t in rows.order_by("order", "title"):
        text = (t.text_en or t.text_vi) if english else t.text_vi
        if t.use not in by_use or not fillable(text, found):
            continue
        by_use[t.use].append({"id": t.pk, "title": (t.title_en or t.title) if english else t.title,
                              "text": _PLACEHOLDER.sub(lambda m: found[m.group(1)], text)})
    return by_use
