"""Idempotency scopes no longer name the client's address (reports/idempotency.py).

Scopes stored before ('web:<ip>', 'api:<ip>') can no longer be produced, and an IP address is
personal data: they are replaced by a hash ('legacy:<sha256>'), which keeps them distinct.
"""

import hashlib

from django.db import migrations, models


def hide_addresses(apps, schema_editor):
    Report = apps.get_model("reports", "Report")
    old = (Report.objects.filter(models.Q(idempotency_scope__startswith="web:")
                                 | models.Q(idempotency_scope__startswith="api:"))
           .exclude(idempotency_scope__regex=r"^(web|api):[ts]:"))
    for pk, scope in old.values_list("pk", "idempotency_scope"):
        digest = hashlib.sha256(scope.encode()).hexdigest()[:32]
        Report.objects.filter(pk=pk).update(idempotency_scope=f"legacy:{digest}")


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0004_photo_token_media"),
    ]

    operations = [
        migrations.AlterField(
            model_name="report",
            name="idempotency_scope",
            field=models.CharField(blank=True, help_text="Who may replay the key: 'client:<api client id>', "
                                   "'api:t:<hash of client token>', 'api:s:'/'web:s:<hash of session>' or 'anon' "
                                   "(see reports/idempotency.py)", max_length=40),
        ),
        migrations.RunPython(hide_addresses, migrations.RunPython.noop, elidable=True),
    ]
