"""Re-index the search text of existing datasets: it now holds the spatial coverage and the theme and
frequency labels in both languages (a search for "Lâm Đồng", "lam dong" or "health" finds them)."""

from django.db import migrations


def reindex(apps, schema_editor):
    from tinhso.opendata.publishing import search_text

    Dataset = apps.get_model("opendata", "Dataset")
    for ds in Dataset.objects.select_related("publisher"):
        text = search_text(ds)
        if text != ds.search_text:
            Dataset.objects.filter(pk=ds.pk).update(search_text=text)


class Migration(migrations.Migration):
    dependencies = [("opendata", "0003_people_choice_labels")]
    operations = [migrations.RunPython(reindex, migrations.RunPython.noop, elidable=True)]
