"""Report.expected_at: Open311's expected_datetime stored when a deadline changes (issue 15).

Lists computed it per row with working-time arithmetic; now tinhso.reports.sla keeps it on every
transition. Existing rows are filled here with the same rule (sla.expected_datetime): the handle
deadline once accepted; none for rejected or merged reports; otherwise the accept deadline plus
the handle allowance of the deadline rules in the database now (built from this migration's
historical models, so later schema changes cannot break it).
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import F

CHUNK = 2000


def fill_expected(apps, schema_editor):
    from tinhso.core.workcalendar import DEFAULT_PERIODS, WorkCalendar, parse_periods
    from tinhso.reports import sla

    Report = apps.get_model("reports", "Report")
    DeadlineRule = apps.get_model("reports", "DeadlineRule")
    CalendarException = apps.get_model("reports", "CalendarException")
    Report.objects.filter(handle_due__isnull=False).update(expected_at=F("handle_due"))
    pending = (Report.objects.filter(handle_due__isnull=True, accept_due__isnull=False)
               .exclude(state__in=("rejected", "merged")))
    if not pending.exists():
        return
    off, on = set(), set()
    for day, kind in CalendarException.objects.values_list("date", "kind"):
        (off if kind == "holiday" else on).add(day)
    periods = getattr(settings, "WORKING_HOURS", None)
    calendar = WorkCalendar(periods=parse_periods(periods) if periods else DEFAULT_PERIODS,
                            extra_holidays=frozenset(off), extra_working_days=frozenset(on))
    rules = {(r.category_id, r.severity, r.step): (r.amount, r.measure) for r in DeadlineRule.objects.filter(active=True)}
    policy = sla.Policy(calendar=calendar, rules=rules)
    last = 0
    while True:
        rows = list(pending.filter(pk__gt=last).order_by("pk")
                    .only("pk", "state", "category_id", "severity", "accept_due", "handle_due")[:CHUNK])
        if not rows:
            break
        for row in rows:
            row.expected_at = sla.expected_datetime(row, policy)
        Report.objects.bulk_update(rows, ["expected_at"])
        last = rows[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0006_roles"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="expected_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True,
                help_text="Open311 expected_datetime, kept by sla on every deadline change "
                          "(the handle deadline; before acceptance, the accept deadline plus the handle allowance)"),
        ),
        migrations.RunPython(fill_expected, migrations.RunPython.noop, elidable=True),
    ]
