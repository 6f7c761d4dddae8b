"""Re-index the search text of existing datasets: it now holds the folded words separated by single
spaces, with a space before the first and after the last, so a search matches whole words or their
beginnings ("phan anh" no longer finds "một phần ... hành chính")."""

from django.db import migrations


def reindex(apps, schema_editor):
    from tinhso.opendata.publishing import search_text

    Dataset = apps.get_model("opendata", "Dataset")
    for ds in Dataset.objects.select_related("publisher"):
        text = search_text(ds)
        if text != ds.search_text:
            Dataset.objects.filter(pk=ds.pk).update(search_text=text)


class Migration(migrations.Migration):
    dependencies = [("opendata", "0006_returned_state")]
    operations = [migrations.RunPython(reindex, migrations.RunPython.noop, elidable=True)]
