import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0020_recordings"),
    ]

    operations = [
        migrations.AddField(
            model_name="imageset",
            name="station",
            field=models.CharField(
                blank=True,
                db_index=True,
                help_text="the station or site code the set's images come from, e.g. EMSO-OBSEA",
                max_length=64,
                validators=[
                    django.core.validators.RegexValidator(
                        "\\A[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?\\Z",
                        "A station code: 1 to 64 letters, digits, '.', '_' or '-', beginning "
                        "and ending with a letter or digit (e.g. EMSO-OBSEA).",
                    )
                ],
            ),
        ),
    ]
