from django.db import migrations

PURPOSES = [
    ("essential", "contract", True),
    ("functional", "consent", False),
    ("analytics", "consent", False),
    ("advertising", "consent", False),
    ("recommendations", "consent", False),
    ("location", "consent", False),
    ("marketing_email", "consent", False),
    ("marketing_sms", "consent", False),
]


def create_purposes(apps, schema_editor):
    ConsentPurpose = apps.get_model("privacy", "ConsentPurpose")
    for position, (key, basis, essential) in enumerate(PURPOSES):
        ConsentPurpose.objects.get_or_create(
            key=key,
            defaults={"legal_basis": basis, "essential": essential, "position": position},
        )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0002_consent")]

    operations = [migrations.RunPython(create_purposes, migrations.RunPython.noop)]
