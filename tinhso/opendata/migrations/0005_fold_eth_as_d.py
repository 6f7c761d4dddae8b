# The search fold now reads Ð/ð (U+00D0/U+00F0, typed for Đ/đ in legacy Vietnamese encodings) as d,
# like Đ/đ (tinhso.core.text.fold). Stored folded keys held "ð" for them (fold lower-cased Ð): fold works
# per character, so replacing "ð" by "d" in a stored key gives exactly the new key. Only rows holding
# "ð" change (none in the demo data).
from django.db import migrations
from django.db.models import F, Value
from django.db.models.functions import Replace


def refold(apps, schema_editor):
    model = apps.get_model("opendata", "Dataset")
    model.objects.filter(search_text__contains="ð").update(search_text=Replace(F("search_text"), Value("ð"), Value("d")))


class Migration(migrations.Migration):

    dependencies = [("opendata", "0004_search_text_coverage")]

    operations = [migrations.RunPython(refold, migrations.RunPython.noop, elidable=True)]
