"""Copy the values entered before translation into the English columns.

Before 0003 each film, genre and cinema had one value per field, entered in English; the
English column is what every other language falls back to, so it must hold them. Only
empty English columns are filled, so running this on a database where someone already
ran ``update_translation_fields`` changes nothing.
"""

from django.db import migrations
from django.db.models import F, Q

TRANSLATED = {
    "genre": ["name"],
    "cinema": ["name", "city", "address"],
    "film": ["title", "synopsis"],
}


def copy_to_english(apps, schema_editor):
    for model_name, fields in TRANSLATED.items():
        model = apps.get_model("cinema", model_name)
        for name in fields:
            english = f"{name}_en"
            model.objects.filter(Q(**{f"{english}__isnull": True}) | Q(**{english: ""})).update(
                **{english: F(name)}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("cinema", "0003_translated_content"),
    ]

    operations = [
        migrations.RunPython(copy_to_english, migrations.RunPython.noop),
    ]
