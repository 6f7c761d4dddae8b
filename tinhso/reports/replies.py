"""Reply templates (admin-edited, per category): the texts offered on a report's staff page.

Placeholders ``{code}``, ``{category}``, ``{unit}``, ``{commune}`` are filled for the report; any
other ``{…}`` is left as typed (a template never fails to render).
"""

from __future__ import annotations

import re

from django.db.models import Q

from tinhso.reports.models import ReplyTemplate, Report

_PLACEHOLDER = re.compile(r"\{(code|category|unit|commune)\}")


def fill(text: str, report: Report, *, english: bool = False) -> str:
    category = report.category
    values = {
        "code": report.code,
        "category": (category.name_en or category.name_vi) if english else category.name_vi,
        "unit": ((report.handling_unit.name_en or report.handling_unit.name) if english
                 else report.handling_unit.name) if report.handling_unit_id else "",
        "commune": ((report.commune.name_en or report.commune.name) if english
                    else report.commune.name) if report.commune_id else "",
    }
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def templates_for(report: Report, *, english: bool = False) -> list[dict]:
    """Active templates for the report's category (and those for every category), filled."""
    rows = ReplyTemplate.objects.filter(Q(category__isnull=True) | Q(category_id=report.category_id), active=True)
    return [{"id": t.pk, "title": t.title,
             "text": fill((t.text_en or t.text_vi) if english else t.text_vi, report, english=english)}
            for t in rows.order_by("order", "title")]
