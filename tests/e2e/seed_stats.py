"""Old closed reports on a committee of every commune, for the statistics browser test
(``tests/e2e/test_stats_form_e2e.py``). Communes without a committee unit get one, inactive (no
picker or routing rule offers it), as a province's retired units of past years.

Run against the e2e server's database (``TINHSO_VAR_DIR``) after ``seed.py``:
``python tests/e2e/seed_stats.py FACTS.json``. The reports are dated in YEAR, closed and not public, so
only the statistics page for that year shows them (no queue, map or public list of today changes).
Writes the number of units to FACTS.json; does nothing when that file exists.
"""

from __future__ import annotations

import json
import os
import sys

YEAR = 2001


def main(out_path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()
    import datetime as dt

    from django.utils import timezone

    from tinhso.geo.models import Unit
    from tinhso.reports.models import Category, HandlingUnit, Report, State, UnitKind

    if os.path.exists(out_path):
        return
    have = set(HandlingUnit.objects.filter(kind=UnitKind.COMMUNE_COMMITTEE).values_list("commune_id", flat=True))
    HandlingUnit.objects.bulk_create([
        HandlingUnit(code=f"e2e-tk-{c.code}", name=f"UBND {c.name}", kind=UnitKind.COMMUNE_COMMITTEE, commune=c,
                     active=False)
        for c in Unit.objects.filter(structure="current", level="commune", province_code="68").order_by("code")
        if c.pk not in have])
    categories = list(Category.objects.filter(active=True).order_by("code"))
    units = list(HandlingUnit.objects.filter(kind=UnitKind.COMMUNE_COMMITTEE, commune__isnull=False)
                 .select_related("commune").order_by("code"))
    start = dt.datetime(YEAR, 3, 1, 8, tzinfo=timezone.get_current_timezone())
    rows = []
    for i, unit in enumerate(units):
        for j in range(1 + i % 3):
            at = start + dt.timedelta(days=i % 200, hours=j)
            rows.append(Report(
                category=categories[(i + j) % len(categories)], description="Thống kê e2e",
                lat=unit.commune.lat, lon=unit.commune.lon, commune=unit.commune, province_code="68",
                handling_unit=unit, state=State.CLOSED, is_open=False, public=False, created_at=at, updated_at=at,
                accepted_at=at, handle_due=at + dt.timedelta(days=7),
                resolved_at=at + dt.timedelta(days=3 + 6 * (j % 2)), closed_at=at + dt.timedelta(days=10)))
    for report in rows:
        report.save()
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump({"year": YEAR, "units": len(units)}, fh)


if __name__ == "__main__":
    main(sys.argv[1])
