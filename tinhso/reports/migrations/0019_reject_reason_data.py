"""Rejections stored their reason as text in both languages, "Tin rác / Spam: <the operator's text>":
the reason becomes a code in the event's data ({"reason": "spam"}) and the note the operator's text
alone, so each page names the reason in its own language (tinhso.reports.triage.REJECT_REASONS).
A rejected report's Open311 status note keeps the reason, in Vietnamese ("Tin rác: <text>")."""

import re

from django.db import migrations

REASONS = {
    "spam": ("Tin rác", "Spam"),
    "duplicate": ("Trùng lặp", "Duplicate"),
    "out_of_scope": ("Không thuộc phạm vi xử lý", "Out of scope"),
    "other": ("Lý do khác", "Other reason"),
}
BATCH = 500


def _parse(note: str):
    for code, (vi, en) in REASONS.items():
        match = re.fullmatch(re.escape(f"{vi} / {en}: ") + r"(.*)", note or "", flags=re.S)
        if match:
            return code, match.group(1)
    return None


def forwards(apps, schema_editor):
    ReportEvent = apps.get_model("reports", "ReportEvent")
    Report = apps.get_model("reports", "Report")
    events = ReportEvent.objects.filter(action="reject", note__contains=" / ").only("pk", "note", "data", "report_id")
    changed = []
    for event in events.iterator(chunk_size=BATCH):
        parsed = _parse(event.note)
        if parsed is None:
            continue
        code, text = parsed
        old_note = event.note
        event.data = {**(event.data or {}), "reason": code}
        event.note = text
        changed.append(event)
        Report.objects.filter(pk=event.report_id, status_note=old_note).update(
            status_note=f"{REASONS[code][0]}: {text}")
        if len(changed) >= BATCH:
            ReportEvent.objects.bulk_update(changed, ["data", "note"])
            changed = []
    if changed:
        ReportEvent.objects.bulk_update(changed, ["data", "note"])


class Migration(migrations.Migration):
    dependencies = [("reports", "0018_reply_template_use")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
