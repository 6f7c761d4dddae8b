"""``{{ indicator.unit_of_measure|uom }}``: a unit of measure in the reader's language
(:func:`tinhso.indicators.units.label`)."""

from __future__ import annotations

from django import template

from tinhso.indicators.units import label

register = template.Library()
uom = register.filter("uom", label)
