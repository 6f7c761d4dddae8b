"""Report.search_text: the folded description and address, so searches ignore case and diacritics
on SQLite as on PostgreSQL (tinhso.core.search). Existing rows are backfilled here."""

from django.db import migrations, models

from tinhso.core.text import fold


def backfill(apps, schema_editor):
    Report = apps.get_model("reports", "Report")
    batch = []
    for report in Report.objects.only("id", "description", "address").iterator(chunk_size=2000):
        report.search_text = fold(f"{report.description} {report.address}")
        batch.append(report)
        if len(batch) >= 2000:
            Report.objects.bulk_update(batch, ["search_text"])
            batch = []
    if batch:
        Report.objects.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [("reports", "0008_notify_move_notifications")]

    operations = [
        migrations.AddField(
            model_name="report",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False,
                                   help_text="Folded description and address (tinhso.core.search), kept on save"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
