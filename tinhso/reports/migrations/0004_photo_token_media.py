"""Photos get an unguessable ``token``: they are served by it, never by the sequential id."""

import secrets

from django.db import migrations, models

import tinhso.reports.models


def fill_tokens(apps, schema_editor):
    Photo = apps.get_model("reports", "Photo")
    batch = []
    for photo in Photo.objects.only("id").iterator(chunk_size=2000):
        photo.token = secrets.token_urlsafe(16)
        batch.append(photo)
        if len(batch) >= 2000:
            Photo.objects.bulk_update(batch, ["token"])
            batch = []
    if batch:
        Photo.objects.bulk_update(batch, ["token"])


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0003_public_listing_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="token",
            field=models.CharField(max_length=32, null=True, editable=False),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="photo",
            name="token",
            field=models.CharField(default=tinhso.reports.models.new_photo_token, editable=False, max_length=32,
                                   unique=True),
        ),
    ]
