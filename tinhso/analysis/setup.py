"""Demo step of the monthly analysis (idempotent): last month's report for the province and the demo
accounts' units, so ``make demo`` shows it at ``/phan-tich``. The synthetic reports and dossiers make
it a synthetic report, and it says so on every page and file."""

from __future__ import annotations

import time

DEMO_UNITS = 12  # the demo accounts' units, then the busiest units up to this many (keeps the demo quick)


def demo_units() -> list[str]:
    from django.db.models import Count

    from tinhso.reports.models import HandlingUnit, Membership, UnitKind

    mine = list(Membership.objects.filter(active=True).exclude(unit=None)
                .values_list("unit__code", flat=True).distinct().order_by("unit__code"))
    busy = (HandlingUnit.objects.filter(active=True).exclude(kind=UnitKind.IOC)
            .annotate(n=Count("reports")).order_by("-n", "code").values_list("code", flat=True)[:DEMO_UNITS])
    return list(dict.fromkeys([*mine, *busy]))[:max(DEMO_UNITS, len(mine))]


def load_demo(out=print) -> None:
    from django.conf import settings
    from django.utils import timezone

    from tinhso.analysis import headline, report, schedule
    from tinhso.analysis.models import MonthlyReport

    month = headline.shift(timezone.localdate().replace(day=1), -1)
    started = time.monotonic()
    source = headline.DossierSource()
    made = 0
    for code in [None, *demo_units()]:
        if MonthlyReport.objects.filter(month=month, unit_code=code or settings.PROVINCE_CODE).exists():
            continue
        item = report.generate(month, code, source=source)
        schedule.notify(item)
        made += 1
    from tinhso.core.demo_accounts import demo_url

    out(f"Monthly analysis: {made} report(s) of {headline.label(month)} generated in {time.monotonic() - started:.1f} s "
        f"(synthetic data); {demo_url('/phan-tich')} (staff)")
