# The reports app's own Notification outbox is replaced by tinhso.notify: existing notices are
# copied into the new outbox (an inbox message for the recipient, plus an e-mail message when the
# notice had an address and was not sent yet), then the old table is dropped.

from django.db import migrations


def copy_to_notify(apps, schema_editor):
    Notification = apps.get_model("reports", "Notification")
    Message = apps.get_model("notify", "Message")
    rows = []
    for n in Notification.objects.select_related("report").iterator():
        kind = "report_overdue" if n.kind == "overdue" else f"report_{n.kind}"
        common = dict(kind=kind, subject=n.subject, body=n.body, ref_app="reports", ref_code=n.report.code,
                      ref_url=f"/don-vi/phan-anh/{n.report.code}", data={"step": n.step},
                      created_at=n.created_at, next_attempt_at=n.created_at)
        clock = int(n.report.accept_started_at.timestamp()) if (
            n.step == "accept" and n.report.accept_started_at) else (
            int(n.report.accepted_at.timestamp()) if n.report.accepted_at else 0)
        key = f"{kind}:{n.report.code}:{n.step}:{clock}"
        if n.recipient_id:
            rows.append(Message(channel="inbox", user_id=n.recipient_id, state="sent", sent_at=n.created_at,
                                dedupe_key=f"{key}:inbox:u{n.recipient_id}"[:200], **common))
        if n.email:
            sent = n.sent_at is not None
            rows.append(Message(channel="email", user_id=n.recipient_id, address=n.email,
                                state="sent" if sent else "pending", sent_at=n.sent_at, last_error=n.error,
                                dedupe_key=f"{key}:email:u{n.recipient_id}"[:200] if n.recipient_id else None,
                                **common))
    Message.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0007_expected_at_perfrep"),
        ("notify", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_to_notify, migrations.RunPython.noop, elidable=True),
        migrations.DeleteModel(name="Notification"),
    ]
